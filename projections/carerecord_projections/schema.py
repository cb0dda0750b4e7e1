"""The read models' tables. Each is named after the question it answers. They store dates, never
time-dependent status: whether a review is overdue is worked out when someone asks."""

from __future__ import annotations

from typing import Any

from carerecord_projections.care_relationships.ddl import DDL as CARE_RELATIONSHIPS_DDL
from carerecord_projections.current_plan.ddl import DDL as CURRENT_PLAN_DDL
from carerecord_projections.current_plan.ddl import STATE_DDL
from carerecord_projections.decision_facts.ddl import DDL as DECISION_FACTS_DDL
from carerecord_projections.person_timeline.ddl import DDL as PERSON_TIMELINE_DDL
from carerecord_services.schema_changes import lock_schema_changes

READ_MODEL_TABLES = (
    "current_plan",
    "care_relationships",
    "person_timeline",
    "decision_facts",
    "concern_facts",
    "review_facts",
    "board_findings",
    "conversation_facts",
)

TRACKING_TABLES = ("projected_records", "projection_position", "projection_offsets")

DDL = (
    CURRENT_PLAN_DDL
    + CARE_RELATIONSHIPS_DDL
    + PERSON_TIMELINE_DDL
    + DECISION_FACTS_DDL
    + """
CREATE TABLE IF NOT EXISTS projected_records (
    record_id uuid PRIMARY KEY,
    version integer NOT NULL
);
CREATE TABLE IF NOT EXISTS projection_position (
    consumer text PRIMARY KEY,
    position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS relay_checkpoint (
    topic text PRIMARY KEY,
    position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS projection_offsets (
    consumer text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
);
"""
    + STATE_DDL
)

# Reference data: imported from CSV (see reference.py; staff training, reported by each organisation, see
# staff_training.py), never derived from events, never truncated by a rebuild.
REFERENCE_DDL = """
CREATE TABLE IF NOT EXISTS organisations (
    ods_code text PRIMARY KEY,
    name text NOT NULL,
    setting text NOT NULL,
    icb_code text NOT NULL,
    icb_name text NOT NULL,
    region text NOT NULL
);
CREATE INDEX IF NOT EXISTS organisations_by_icb ON organisations (icb_code);
ALTER TABLE organisations ADD COLUMN IF NOT EXISTS urgent_and_emergency_care boolean NOT NULL DEFAULT false;
ALTER TABLE organisations ADD COLUMN IF NOT EXISTS cqc_location text;
CREATE TABLE IF NOT EXISTS registered_population (
    icb_code text NOT NULL,
    age_band text NOT NULL,
    sex text NOT NULL,
    ethnicity text NOT NULL,
    people integer NOT NULL CHECK (people >= 0),
    PRIMARY KEY (icb_code, age_band, sex, ethnicity)
);
CREATE TABLE IF NOT EXISTS staff_training (
    organisation text NOT NULL,
    quarter text NOT NULL,
    role text NOT NULL,
    staff integer NOT NULL CHECK (staff >= 0),
    trained_in_advance_care_planning integer NOT NULL CHECK (trained_in_advance_care_planning >= 0),
    trained_in_dnacpr_conversations integer NOT NULL CHECK (trained_in_dnacpr_conversations >= 0),
    reported_by text NOT NULL,
    reported_at timestamptz NOT NULL,
    PRIMARY KEY (organisation, quarter, role)
);
CREATE TABLE IF NOT EXISTS local_form_mappings (
    name text PRIMARY KEY,
    title text NOT NULL,
    mapping text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
"""

# What the feed router records: its progress, and every disclosure to an organisation (see feeds.py).
FEED_DDL = """
CREATE TABLE IF NOT EXISTS feed_relationships (
    record_id uuid NOT NULL,
    organisation text NOT NULL,
    PRIMARY KEY (record_id, organisation)
);
ALTER TABLE feed_relationships ADD COLUMN IF NOT EXISTS basis text NOT NULL DEFAULT 'not-recorded';
ALTER TABLE feed_relationships ADD COLUMN IF NOT EXISTS started_at timestamptz;
ALTER TABLE feed_relationships ADD COLUMN IF NOT EXISTS confirmed boolean NOT NULL DEFAULT false;
CREATE TABLE IF NOT EXISTS feed_offsets (
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS feed_disclosures (
    organisation text NOT NULL,
    record_id uuid NOT NULL,
    event_id uuid NOT NULL,
    position bigint NOT NULL,
    event_type text NOT NULL,
    disclosed_at timestamptz NOT NULL,
    PRIMARY KEY (organisation, event_id)
);
"""

CHECKSUM_ORDER = {
    "current_plan": "record_id",
    "care_relationships": "record_id, organisation, started_at",
    "person_timeline": "record_id, version",
    "decision_facts": "plan_id",
    "concern_facts": "concern_id",
    "review_facts": "review_event_id",
    "board_findings": "finding_event_id",
    "conversation_facts": "conversation_id",
}


def create_tables(cursor: Any) -> None:
    lock_schema_changes(cursor)
    cursor.execute(DDL)
    cursor.execute(REFERENCE_DDL)


def truncate_read_models(cursor: Any) -> None:
    cursor.execute(f"TRUNCATE {', '.join(READ_MODEL_TABLES + TRACKING_TABLES)}")


def read_model_checksum(cursor: Any) -> str:
    """One digest over every read model's rows in a fixed order: equal checksums, identical read models."""
    parts = []
    for table, order in CHECKSUM_ORDER.items():
        cursor.execute(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY {order}), '')) FROM {table} t")
        parts.append(f"{table}:{cursor.fetchone()[0]}")
    return ";".join(parts)
