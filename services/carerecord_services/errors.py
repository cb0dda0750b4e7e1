"""Refusals. Each names the rule that refused and the field it is about, in words a clinician can act on."""

from __future__ import annotations


class DomainError(Exception):
    """A command the record refuses. `rule` is a stable code; `field` the input concerned."""

    rule: str = "refused"

    def __init__(self, message: str, *, field: str = "", rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if rule is not None:
            self.rule = rule


class InvalidInput(DomainError):
    rule = "invalid-input"


class InvalidIdentifier(DomainError):
    rule = "invalid-identifier"


class TimeInFuture(DomainError):
    rule = "time-in-future"


class NotPermitted(DomainError):
    rule = "not-permitted"


class RecordNotFound(DomainError):
    rule = "record-not-found"


class AlreadyRegistered(DomainError):
    rule = "already-registered"


class RecordClosed(DomainError):
    rule = "record-closed-after-death"


class RecommendationRefused(DomainError):
    rule = "recommendation-refused"


class InvolvementMissing(DomainError):
    """No involvement of the person and no lawful reason (R (Tracey) v Cambridge University Hospitals, 2014)."""

    rule = "involvement-missing"


class ConsultationMissing(DomainError):
    """Lacks capacity, yet no one was consulted and no reason given (Winspear, 2015; MCA s4(7), s37)."""

    rule = "consultation-missing"


class ConflictsWithAdvanceDecision(DomainError):
    rule = "conflicts-with-valid-adrt"


class EndorsementRefused(DomainError):
    rule = "endorsement-refused"


class PlanNotActive(DomainError):
    rule = "plan-not-active"


class EntryNotFound(DomainError):
    rule = "entry-not-found"


class VersionConflict(DomainError):
    """Someone else changed the record since this caller read it. Reload, then decide again."""

    rule = "version-conflict"


class EventTooLarge(DomainError):
    """The change would store an event larger than can be published to the other services."""

    rule = "event-too-large"


class IdempotencyKeyReused(DomainError):
    rule = "idempotency-key-reused"


class StoreUnavailable(Exception):
    """The event store could not be reached: PostgreSQL restarting, failing over or away. Not a refusal, and
    not a DomainError: the request was not judged. Send it again as it was; with the same idempotency key it
    is recorded exactly once, whether or not this attempt reached the store."""

    rule = "store-unavailable"
    retryable = True

    def __init__(self, message: str = "") -> None:
        self.message = message or (
            "the care record store cannot be reached at the moment; please try again "
            "(with the same idempotency key the change is recorded once)"
        )
        super().__init__(self.message)
