"""The current plan's table, and the record state it is selected from (a working column of the projector's
tracking table: not a read model, never checksummed)."""

from __future__ import annotations

DDL = """
CREATE TABLE IF NOT EXISTS current_plan (
    record_id uuid PRIMARY KEY,
    nhs_number text NOT NULL,
    given_name text NOT NULL,
    family_name text NOT NULL,
    date_of_birth date NOT NULL,
    postcode text,
    died boolean NOT NULL DEFAULT false,
    version integer NOT NULL,
    position bigint NOT NULL,
    document jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS current_plan_by_nhs_number ON current_plan (nhs_number);
"""

STATE_DDL = "ALTER TABLE projected_records ADD COLUMN IF NOT EXISTS state jsonb;"
