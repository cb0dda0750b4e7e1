"""Plans refused on the way in, held with their reasons until the sending organisation corrects them (held.py
says why it is a table of its own and not a read model)."""

from carerecord_projections.held_submissions.held import HELD_SUBMISSIONS_DDL, HeldSubmission, HeldSubmissions

__all__ = ["HELD_SUBMISSIONS_DDL", "HeldSubmission", "HeldSubmissions"]
