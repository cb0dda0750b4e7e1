"""Which organisations care for each person, and since when (DDL, handlers)."""
