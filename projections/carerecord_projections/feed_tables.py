"""The feed router's tables (relationships as the router saw them, offsets, disclosures), apart from the router
itself so that readers of the disclosures (the oversight figures, and through them the portal) need no Kafka
client: graphql/ may not import kafka."""

FEED_DDL = """
CREATE TABLE IF NOT EXISTS feed_relationships (
    record_id uuid NOT NULL,
    organisation text NOT NULL,
    PRIMARY KEY (record_id, organisation)
);
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
