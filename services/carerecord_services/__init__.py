"""Use cases of the care record: load a person's record, decide by the rules, append the new events.

Knows no transport (no Kafka, no HTTP); stores events through the eventsourcing library.
"""
