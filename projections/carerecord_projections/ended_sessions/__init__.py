"""Has this portal session ended? Signing out ends a session on the server, for every API process that shares
the database (ended.py says why it is a table of its own and not a read model)."""

from carerecord_projections.ended_sessions.ended import ENDED_SESSIONS_DDL, EndedSessions

__all__ = ["ENDED_SESSIONS_DDL", "EndedSessions"]
