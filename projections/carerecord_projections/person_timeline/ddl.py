"""Every event of a person's record, in order, in plain words."""

from __future__ import annotations

DDL = """
CREATE TABLE IF NOT EXISTS person_timeline (
    record_id uuid NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL,
    event_id uuid NOT NULL UNIQUE,
    event_type text NOT NULL,
    label text NOT NULL,
    summary text NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    recorded_by_user text NOT NULL,
    recorded_by_role text NOT NULL,
    recorded_by_organisation text NOT NULL,
    corrects_event_id uuid,
    entered_in_error boolean NOT NULL DEFAULT false,
    PRIMARY KEY (record_id, version)
);
"""
