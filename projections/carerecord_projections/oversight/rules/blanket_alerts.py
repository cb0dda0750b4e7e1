"""What the blanket-decision rule works on and what it raises: the decisions under review, the thresholds and
the alerts. Pure values; the rule itself is in blanket.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from carerecord_events.plain import label
from carerecord_events.vocabulary import AlertKind, AlertScope, BoardFinding, CprRecommendation

DO_NOT_ATTEMPT_CPR: str = CprRecommendation.DO_NOT_ATTEMPT_CPR.value
"""The value of decision_facts.cpr for a do-not-attempt-CPR recommendation (SNOMED CT 450476008)."""


@dataclass(frozen=True)
class DecisionUnderReview:
    """One CPR recommendation as the detector sees it: a row of decision_facts, plus the person's names."""

    plan_id: UUID
    record_id: UUID
    organisation: str
    setting: str
    author: str  # the user id of whoever recorded it (decision_facts.author_user)
    made_at: datetime  # timezone-aware
    reasoning: str
    reasoning_flags: tuple[str, ...]
    person_names: tuple[str, ...] = ()  # given, family and preferred names, masked out of the reasoning
    cpr: str = DO_NOT_ATTEMPT_CPR  # decision_facts.cpr; only do-not-attempt-CPR recommendations count
    care_home: str = ""  # the care home the person was living in when it was made (a resident's relationship)


@dataclass(frozen=True)
class BlanketThresholds:
    """When an alert is raised; the module docstring says what each threshold means in plain English."""

    window: timedelta = timedelta(days=2)
    similarity: float = 0.8
    min_similar_people: int = 5
    min_decisions_in_organisation_cluster: int = 10
    min_decisions_in_author_cluster: int = 8
    min_share_with_near_identical_reasoning: float = 0.5
    surge_factor: float = 4.0
    min_history_for_usual_rate: timedelta = timedelta(days=28)
    min_share_of_people_in_care: float = 0.25
    min_group_characteristic_decisions: int = 3
    max_words_beyond_group_terms: int = 4

    def __post_init__(self) -> None:
        if self.window <= timedelta(0) or self.min_history_for_usual_rate < timedelta(0):
            raise ValueError(
                "the window must be positive and the history needed for a usual rate not negative"
            )
        shares = (
            self.similarity,
            self.min_share_with_near_identical_reasoning,
            self.min_share_of_people_in_care,
        )
        if not all(0.0 < share <= 1.0 for share in shares):
            raise ValueError("similarity and shares must be above 0 and at most 1")
        counts = (
            self.min_similar_people,
            self.min_decisions_in_organisation_cluster,
            self.min_decisions_in_author_cluster,
            self.min_group_characteristic_decisions,
        )
        if not all(count >= 2 for count in counts):
            raise ValueError("a pattern needs at least 2 decisions")
        if self.surge_factor <= 1.0:
            raise ValueError("the surge factor must be above 1")
        if self.max_words_beyond_group_terms < 0:
            raise ValueError("the number of words beyond the group terms cannot be negative")


@dataclass(frozen=True)
class AlertReason:
    """One pattern that decisions of an alert match, and what was seen."""

    kind: AlertKind
    scope: AlertScope
    """Whether the decisions were looked at per organisation or per author"""
    explanation: str
    """Plain English: what was seen and why it is a sign of a blanket decision"""
    plan_ids: tuple[UUID, ...]
    """The decisions this pattern is about, earliest first"""
    shared_features: tuple[str, ...]
    """Near-identical-reasoning: the wording most of them share, as one phrase (names, numbers and dates
    masked); group-characteristic: the group terms the reasoning rests on, most used first; cluster-*: the
    criteria met ("near-identical reasoning", "above the usual number", "large share of the people in its
    care")."""


@dataclass(frozen=True)
class AlertFinding:
    """What the board found about some of an alert's decisions: the latest finding recorded for each decision,
    counted by finding."""

    finding: BoardFinding
    """What the board found"""
    decisions: int
    """How many of the alert's decisions this is the latest finding for"""
    latest_at: datetime
    """When the latest of them was recorded"""
    latest_by: str
    """Who recorded the latest of them"""
    latest_notes: str
    """The latest finding's notes"""


@dataclass(frozen=True)
class BlanketAlert:
    """One group of decisions that may be a blanket decision: decisions joined because a pattern is about more
    than one of them, with every pattern they match."""

    summary: str
    """Plain English: how many decisions, when, decided by whom, for whom"""
    reasons: tuple[AlertReason, ...]
    """Every pattern matched, in the order of AlertKind"""
    plan_ids: tuple[UUID, ...]
    """Every decision the alert is about, earliest first"""
    window_start: datetime
    """When the earliest of those decisions was made"""
    window_end: datetime
    """When the latest was made"""
    organisation: str | None
    """The organisation, when all the decisions are from one"""
    author: str | None
    """Who recorded them, when one person recorded them all"""
    care_home: str | None
    """The care home most of the people were living in, when they were residents of one"""
    findings: tuple[AlertFinding, ...] = ()
    """What the board has found about its decisions so far"""
    care_home_cqc_location: str | None = None
    """The care home's CQC location ID, when the register holds it"""

    @property
    def kind(self) -> AlertKind:
        """The first pattern matched: near-identical reasoning, then group characteristics, then a cluster."""
        return self.reasons[0].kind

    @property
    def kinds(self) -> tuple[AlertKind, ...]:
        """Every pattern matched."""
        return tuple(reason.kind for reason in self.reasons)

    @property
    def kind_label(self) -> str:
        """The first pattern matched, in words."""
        return label(self.kind)

    @property
    def kinds_label(self) -> tuple[str, ...]:
        """Every pattern matched, in words."""
        return tuple(label(kind) for kind in self.kinds)

    @property
    def scope_label(self) -> str:
        """Whether a pattern was seen in one organisation's decisions or one author's, in words."""
        return label(self.scope)

    @property
    def scope(self) -> AlertScope:
        """Organisation when any pattern was seen in one organisation's decisions, else author."""
        scopes = {reason.scope for reason in self.reasons}
        return AlertScope.ORGANISATION if AlertScope.ORGANISATION in scopes else AlertScope.AUTHOR

    @property
    def explanation(self) -> str:
        """The summary followed by what each pattern saw."""
        return " ".join((self.summary, *(reason.explanation for reason in self.reasons)))

    @property
    def shared_features(self) -> tuple[str, ...]:
        """What the patterns saw (see `AlertReason.shared_features`), each once."""
        return tuple(dict.fromkeys(f for reason in self.reasons for f in reason.shared_features))


_SCOPE_OF_SAME_KIND = {
    AlertKind.CLUSTER_BY_AUTHOR: AlertKind.CLUSTER_IN_ORGANISATION,
    AlertKind.NEAR_IDENTICAL_REASONING: AlertKind.NEAR_IDENTICAL_REASONING,
    AlertKind.GROUP_CHARACTERISTIC: AlertKind.GROUP_CHARACTERISTIC,
}


def without_repeats(drafts: Sequence[AlertReason]) -> list[AlertReason]:
    """Leave out a pattern seen in an author's decisions when the same kind of pattern, seen in an organisation's,
    names all its decisions."""
    by_organisation = [reason for reason in drafts if reason.scope is AlertScope.ORGANISATION]
    kept = list(by_organisation)
    for reason in drafts:
        if reason.scope is AlertScope.AUTHOR and not any(
            other.kind is _SCOPE_OF_SAME_KIND[reason.kind] and set(reason.plan_ids) <= set(other.plan_ids)
            for other in by_organisation
        ):
            kept.append(reason)
    return kept


_KIND_ORDER = {
    kind: n
    for n, kind in enumerate(
        (
            AlertKind.NEAR_IDENTICAL_REASONING,
            AlertKind.GROUP_CHARACTERISTIC,
            AlertKind.CLUSTER_IN_ORGANISATION,
            AlertKind.CLUSTER_BY_AUTHOR,
        )
    )
}


def reason_order(reason: AlertReason) -> tuple[int, str, tuple[UUID, ...]]:
    return (_KIND_ORDER[reason.kind], reason.scope.value, reason.plan_ids)


def alert_order(alert: BlanketAlert) -> tuple[datetime, datetime, tuple[UUID, ...]]:
    return (alert.window_start, alert.window_end, alert.plan_ids)
