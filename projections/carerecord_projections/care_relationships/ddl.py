"""Which organisations care, or cared, for each person, and since when."""

from __future__ import annotations

DDL = """
CREATE TABLE IF NOT EXISTS care_relationships (
    record_id uuid NOT NULL,
    organisation text NOT NULL,
    setting text NOT NULL,
    started_at timestamptz NOT NULL,
    started_by_role text NOT NULL,
    ended_at timestamptz,
    PRIMARY KEY (record_id, organisation, started_at)
);
CREATE INDEX IF NOT EXISTS care_relationships_active ON care_relationships (organisation) WHERE ended_at IS NULL;
"""
