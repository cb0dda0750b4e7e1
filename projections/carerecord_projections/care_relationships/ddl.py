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
    basis text NOT NULL DEFAULT 'not-recorded',
    PRIMARY KEY (record_id, organisation, started_at)
);
-- Added after the table was first made: a read model made before holds 'not-recorded' until it is rebuilt.
ALTER TABLE care_relationships ADD COLUMN IF NOT EXISTS basis text NOT NULL DEFAULT 'not-recorded';
CREATE INDEX IF NOT EXISTS care_relationships_active ON care_relationships (organisation) WHERE ended_at IS NULL;
"""
