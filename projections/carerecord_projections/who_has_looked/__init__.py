"""Who has looked: every read of a record, granted or refused, every break-glass access and its review, every
search (access_log); fed from the access audit's store, with the refused requests and the feed disclosures that
come in the same stream. Each can be rebuilt from the store; the store, not these tables, is what
`carerecord verify` proves."""

from carerecord_projections.who_has_looked.feeder import CONSUMER, AccessLogFeeder
from carerecord_projections.who_has_looked.tables import ACCESS_COLUMNS, ACCESS_LOG_DDL, access_table

__all__ = ["ACCESS_COLUMNS", "ACCESS_LOG_DDL", "CONSUMER", "AccessLogFeeder", "access_table"]
