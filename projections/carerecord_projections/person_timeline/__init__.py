"""A person's timeline: every event of their record in order, in plain words (DDL, handlers)."""
