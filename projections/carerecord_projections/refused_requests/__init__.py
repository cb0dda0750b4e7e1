"""Refused requests: a security record of every bad token and every refused change.

Each refusal is a `RequestRefused` event in the access audit store, chained like every access, so that
`carerecord verify` and signed checkpoints cover it. The table `refused_requests` is its read model (fed by the
access log feeder, see who_has_looked/ and handler.py), one row per refusal, holding no personal data: why (a fixed reason), the
token's id and key id when they could be read (only if they look like identifiers), who asked when the token
was good, the operation, the client address and when. Refused reads are RecordAccessed events, with the record
they were about.
"""

from carerecord_projections.refused_requests.log import RecordRefusal, Refusal, RefusalLog, identifier_or_none
from carerecord_projections.refused_requests.tables import REFUSED_REQUESTS_DDL

__all__ = ["REFUSED_REQUESTS_DDL", "RecordRefusal", "Refusal", "RefusalLog", "identifier_or_none"]
