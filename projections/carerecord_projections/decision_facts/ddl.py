"""Facts about decisions, reviews, concerns and conversations, for oversight to count. A conversation's
`needs_accessible_information` is the record's as it stood when the conversation was recorded."""

from __future__ import annotations

DDL = """
CREATE TABLE IF NOT EXISTS decision_facts (
    plan_id uuid PRIMARY KEY,
    record_id uuid NOT NULL,
    organisation text NOT NULL,
    setting text NOT NULL,
    form_type text NOT NULL,
    cpr text NOT NULL,
    reason_category text NOT NULL,
    reasoning text NOT NULL,
    reasoning_flags text[] NOT NULL,
    made_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    author_user text NOT NULL,
    author_role text NOT NULL,
    responsible_clinician_registration text NOT NULL,
    person_involved boolean NOT NULL,
    reason_not_involved_given boolean NOT NULL,
    consulted integer NOT NULL,
    lacked_capacity boolean NOT NULL,
    reason_no_one_consulted_given boolean NOT NULL,
    needs_endorsement boolean NOT NULL,
    endorsed_at timestamptz,
    review_due date,
    reviews integer NOT NULL DEFAULT 0,
    last_reviewed_at timestamptz,
    status text NOT NULL,
    ended_at timestamptz,
    revocation_initiated text,
    communicated boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS decision_facts_by_organisation ON decision_facts (organisation, made_at);
CREATE INDEX IF NOT EXISTS decision_facts_by_person ON decision_facts (record_id);

CREATE TABLE IF NOT EXISTS concern_facts (
    concern_id uuid PRIMARY KEY,
    record_id uuid NOT NULL,
    plan_id uuid,
    raised_by text NOT NULL,
    raised_at timestamptz NOT NULL,
    resolved_at timestamptz
);
-- what the concern says and how it was resolved, shown to the person who raised it (their progress)
ALTER TABLE concern_facts ADD COLUMN IF NOT EXISTS summary text NOT NULL DEFAULT '';
ALTER TABLE concern_facts ADD COLUMN IF NOT EXISTS resolution text NOT NULL DEFAULT '';

CREATE TABLE IF NOT EXISTS review_facts (
    review_event_id uuid PRIMARY KEY,
    plan_id uuid NOT NULL,
    record_id uuid NOT NULL,
    reviewed_at timestamptz NOT NULL,
    was_due date,
    outcome text NOT NULL,
    person_involved boolean NOT NULL,
    reviewer_organisation text NOT NULL
);
CREATE INDEX IF NOT EXISTS review_facts_by_plan ON review_facts (plan_id, reviewed_at);

CREATE TABLE IF NOT EXISTS conversation_facts (
    conversation_id uuid PRIMARY KEY,
    record_id uuid NOT NULL,
    organisation text NOT NULL,
    occurred_at timestamptz NOT NULL,
    needs_accessible_information boolean NOT NULL,
    formats_offered text[] NOT NULL
);
CREATE INDEX IF NOT EXISTS conversation_facts_by_organisation ON conversation_facts (organisation, occurred_at);

CREATE TABLE IF NOT EXISTS board_findings (
    finding_event_id uuid PRIMARY KEY,
    plan_id uuid NOT NULL,
    record_id uuid NOT NULL,
    finding text NOT NULL,
    notes text NOT NULL,
    recorded_at timestamptz NOT NULL,
    recorded_by text NOT NULL
);
CREATE INDEX IF NOT EXISTS board_findings_by_plan ON board_findings (plan_id, recorded_at);
"""
