"""The refused_requests table, and the lock every DDL of the access audit's read models takes."""

from __future__ import annotations

REFUSED_REQUESTS_DDL = """
CREATE TABLE IF NOT EXISTS refused_requests (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    kind text NOT NULL,
    reason text NOT NULL,
    token_id text,
    key_id text,
    user_id text,
    role text,
    organisation text,
    operation text,
    client_address text
);
CREATE INDEX IF NOT EXISTS refused_requests_by_time ON refused_requests (at);
ALTER TABLE refused_requests ADD COLUMN IF NOT EXISTS access_id uuid;
ALTER TABLE refused_requests ADD COLUMN IF NOT EXISTS position bigint;
CREATE UNIQUE INDEX IF NOT EXISTS refused_requests_by_access ON refused_requests (access_id);
"""
