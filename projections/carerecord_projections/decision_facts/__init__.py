"""Decision facts for oversight: one row per decision, per review and per concern (DDL, handlers)."""
