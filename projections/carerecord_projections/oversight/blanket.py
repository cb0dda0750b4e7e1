"""Blanket DNACPR decisions: do-not-attempt-CPR recommendations applied to a group rather than made person by person.

During COVID-19 the CQC found do-not-attempt-CPR decisions applied to whole groups, for example every resident of a
care home. One record on its own cannot show that; this module looks at many decisions together and raises alerts
that say, in plain English, what was seen and why it matters. It only reads; it decides nothing about anyone.

Only do-not-attempt-CPR recommendations count. Each decision is looked at twice: with the other decisions of the
same organisation, and with the other decisions recorded by the same person (a GP covering several care homes).
Every threshold below is a field of `BlanketThresholds`; the defaults are given in brackets.

How reasoning is compared
    Before comparing, each reason is put in a standard form: lower case, punctuation removed; the person's own
    names, titles (Mr, Mrs), numbers and ages, dates and pronouns (he, she, his, her, they...) masked; common
    English words and the stock phrases of CPR forms ("CPR would not be successful") left out. What remains is a
    bag of words, so word order does not matter. Two reasons are compared by how many of these words they share
    and how many three-letter pieces of those words they share (which forgives "frail" against "frailty"): the
    similarity runs from 0 (nothing in common) to 1 (the same words). Two reasons that say nothing beyond the
    stock phrases count as the same.

The four kinds of alert
    near-identical-reasoning
        Decisions for different people whose reasoning is at least `similarity` (0.8) alike and which were made
        within `window` (2 days) of one another are joined; joining continues through chains (A like B, B like C).
        An alert is raised when a group so joined covers at least `min_similar_people` (5) different people in one
        organisation, or recorded by one person. Reusing a phrasing template is not enough: clinicians who fill
        a template with each person's own diagnosis, findings and history write reasons that stay well below
        the similarity threshold.
    cluster-in-organisation / cluster-by-author
        Many decisions close together are not on their own a sign of anything: a busy hospital makes many
        individual decisions every day. An alert is raised when at least `min_decisions_in_organisation_cluster`
        (10) decisions of one organisation, or `min_decisions_in_author_cluster` (8) recorded by one person, fall
        within `window` AND at least one of these is true:
        - at least `min_share_with_near_identical_reasoning` (half) of them belong to a near-identical-reasoning
          alert (above) of the same organisation or person;
        - for an organisation only, it is at least `surge_factor` (4) times its usual number: the median number
          per `window` across the decisions supplied, worked out only when they cover at least
          `min_history_for_usual_rate` (28 days). One clinician's numbers rise and fall with rotas and on-call
          shifts, so a person's volume alone is not taken as a sign;
        - for an organisation whose number of people in its care is given, it is at least
          `min_share_of_people_in_care` (a quarter) of them.
    group-characteristic
        The reasoning of a decision is flagged when it mentions a group characteristic (age, living in a care
        home, learning disability, dementia, frailty, COVID...; see carerecord_services.reasoning). Mentioning one
        is often right: "Clinical Frailty Scale 7 with Parkinson's disease and recurrent aspiration pneumonia"
        describes the person. A reason rests on the group when, with the group terms, stock phrases, names and
        numbers set aside, it says at most `max_words_beyond_group_terms` (4) other things (distinct words) about
        the person: "Frail, aged 91, lives in a care home". An alert is raised when at least
        `min_group_characteristic_decisions` (3) such decisions of one organisation, or recorded by one person,
        fall within `window`. Every flagged decision is already marked on its own record; this alert is about
        the pattern.

Windows that overlap are reported as one alert covering them all. An alert about one person's decisions is left
out when an alert of the same kind about an organisation already names every one of its decisions; an alert
names the `author` whenever one person recorded all its decisions, and the `organisation` whenever they all come
from one. The same person's decisions (a plan and the one replacing it) count as one person. Every alert lists every decision it is about, the
features they share and the time they span, and alerts come back in a fixed order, so the same decisions always
give the same alerts. Alerts carry no personal details of the people the decisions are about: shared wording
is made only of words that half or more of the decisions use, after each person's names are masked.
"""

from __future__ import annotations

import functools
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from uuid import UUID

from carerecord_events.plain import SETTING_NAMES
from carerecord_events.vocabulary import CprRecommendation, Setting

DO_NOT_ATTEMPT_CPR: str = CprRecommendation.DO_NOT_ATTEMPT_CPR.value
"""The value of decision_facts.cpr for a do-not-attempt-CPR recommendation (SNOMED CT 450476008)."""


class AlertKind(StrEnum):
    CLUSTER_IN_ORGANISATION = "cluster-in-organisation"
    CLUSTER_BY_AUTHOR = "cluster-by-author"
    NEAR_IDENTICAL_REASONING = "near-identical-reasoning"
    GROUP_CHARACTERISTIC = "group-characteristic"


class AlertScope(StrEnum):
    ORGANISATION = "organisation"
    AUTHOR = "author"


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
class BlanketAlert:
    kind: AlertKind
    scope: AlertScope  # whether the decisions were looked at per organisation or per author
    explanation: str  # plain English: what was seen and why the alert fired
    plan_ids: tuple[UUID, ...]  # every decision the alert is about, earliest first
    # near-identical-reasoning: the wording most of them share, as one phrase (names, numbers and dates masked);
    # group-characteristic: the group terms the reasoning rests on, most used first;
    # cluster-*: the criteria met ("near-identical reasoning", "above the usual number",
    # "large share of the people in its care")
    shared_features: tuple[str, ...]
    window_start: datetime  # when the earliest of those decisions was made
    window_end: datetime  # when the latest was made
    organisation: str | None  # the organisation, when all the decisions are from one
    author: str | None  # who recorded them, when one person recorded them all


@dataclass(frozen=True)
class NormalisedReasoning:
    """Reasoning in the standard form used for comparison."""

    tokens: tuple[str, ...]  # every word in order, with names, numbers, dates, titles and pronouns masked
    words: frozenset[
        str
    ]  # the content words compared (light stems), without masks, stop-words and stock phrases
    shingles: frozenset[str]  # three-letter pieces of the content words, so that near spellings still match

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


NAME, NUMBER, DATE, TITLE, PRONOUN = "<name>", "<number>", "<date>", "<title>", "<pronoun>"
MASKS = frozenset({NAME, NUMBER, DATE, TITLE, PRONOUN})

_TITLES = frozenset("mr mrs ms miss mx dr sir madam dame lady lord rev".split())  # noqa: SIM905
_PRONOUNS = frozenset(
    "he she him her his hers himself herself they them their theirs themselves themself ze zir".split()  # noqa: SIM905
)
_NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred""".split()  # noqa: SIM905
)
_DATE_WORDS = frozenset(
    """january february march april june july august september october november december jan feb mar apr jun
    jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday today yesterday
    tomorrow tonight""".split()  # noqa: SIM905
)
# Words that say nothing about why: English grammar, and the stock phrases of CPR forms.
_STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can cannot could did do does doing down during each few for from further had has have
    having here how i if in into is it its itself just may me might more most must my myself no nor not now of
    off on once only or other our out over own same should so some such than that the then there these this
    those through to too under until up very was we were what when where which while who whom why will with
    would you your yo yrs
    patient patients person individual cpr dnacpr resuscitation resuscitate resuscitated cardiopulmonary
    attempt attempted attempts attempting successful unsuccessful success succeed likely unlikely
    recommend recommended recommendation decision decided felt deemed considered""".split()  # noqa: SIM905 - a word list reads better as prose
)
_AGE_BEFORE = frozenset(["aged", "age"])
_AGE_AFTER = frozenset(["year", "years", "yr", "yrs", "yo", "old"])
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*|[0-9]+")


def normalise_reasoning(text: str, person_names: Sequence[str] = ()) -> NormalisedReasoning:
    """Put reasoning in the standard form: see "How reasoning is compared" in the module docstring."""
    names = {token for name in person_names for token in _raw_tokens(name)}
    tokens = _mask_ages([_mask(token, names) for token in _raw_tokens(text)])
    words = frozenset(
        _stem(token) for token in tokens if token not in MASKS and token not in _STOP_WORDS and len(token) > 1
    )
    shingles = frozenset().union(*(_shingles(word) for word in words))
    return NormalisedReasoning(tokens=tokens, words=words, shingles=shingles)


def reasoning_similarity(a: NormalisedReasoning, b: NormalisedReasoning) -> float:
    """From 0 to 1: the mean of the share of content words and the share of their three-letter pieces in common.

    Two reasons with no content words at all (only stock phrases, names and numbers) count as the same.
    """
    if not a.words and not b.words:
        return 1.0
    return (_jaccard(a.words, b.words) + _jaccard(a.shingles, b.shingles)) / 2


def detect_blanket_decisions(
    decisions: Iterable[DecisionUnderReview],
    thresholds: BlanketThresholds = BlanketThresholds(),  # frozen, so one shared default is safe
    people_in_care: Mapping[str, int] | None = None,
) -> list[BlanketAlert]:
    """Alerts for patterns of blanket decisions among `decisions`, sorted by when they start.

    `people_in_care` optionally gives, per organisation, how many people it cares for (for example its active
    care relationships), so that volume can be judged against its size.
    """
    items = _do_not_attempt_cpr_decisions(decisions)
    normalised = {item.plan_id: normalise_reasoning(item.reasoning, item.person_names) for item in items}
    drafts: list[tuple[AlertScope, BlanketAlert]] = []
    for scope, key_of in ((AlertScope.ORGANISATION, _organisation), (AlertScope.AUTHOR, _author)):
        blocks: dict[str, list[DecisionUnderReview]] = defaultdict(list)
        for item in items:
            blocks[key_of(item)].append(item)
        for key in sorted(blocks):
            block = _Block(scope, key, blocks[key], normalised, thresholds)
            size = (people_in_care or {}).get(key) if scope is AlertScope.ORGANISATION else None
            drafts.extend((scope, alert) for alert in block.near_identical_reasoning())
            drafts.extend((scope, alert) for alert in block.clusters(size))
            drafts.extend((scope, alert) for alert in block.group_characteristics())
    alerts = _without_repeats(drafts)
    return sorted(alerts, key=_alert_order)


# --- normalisation helpers ---


def _raw_tokens(text: str) -> list[str]:
    text = text.casefold().replace("’", "'").replace("‘", "'")
    return [token.removesuffix("'s").replace("'", "") for token in _TOKEN.findall(text)]


def _mask(token: str, names: set[str]) -> str:
    if token.isdigit() or token in _NUMBER_WORDS:
        return NUMBER
    if token in names:
        return NAME
    if token in _TITLES:
        return TITLE
    if token in _PRONOUNS:
        return PRONOUN
    if token in _DATE_WORDS:
        return DATE
    return token


def _mask_ages(tokens: list[str]) -> tuple[str, ...]:
    """'aged 87', 'age 87', '87 years old', '87-year-old', '87 yo' all become one number."""
    for index, token in enumerate(tokens):
        if token != NUMBER:
            continue
        if index > 0 and tokens[index - 1] in _AGE_BEFORE:
            tokens[index - 1] = NUMBER
        after = index + 1
        while after < len(tokens) and tokens[after] in _AGE_AFTER:
            tokens[after] = NUMBER
            after += 1
    return tuple(
        token
        for index, token in enumerate(tokens)
        if token != NUMBER or index == 0 or tokens[index - 1] != NUMBER
    )


@functools.lru_cache(maxsize=65536)
def _shingles(word: str) -> frozenset[str]:
    padded = f"#{word}#"
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def _stem(word: str) -> str:
    """A light stem so that 'admission' and 'admissions' count as one word."""
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


# --- detection ---


def _organisation(decision: DecisionUnderReview) -> str:
    return decision.organisation


def _author(decision: DecisionUnderReview) -> str:
    return decision.author


def _do_not_attempt_cpr_decisions(decisions: Iterable[DecisionUnderReview]) -> list[DecisionUnderReview]:
    by_plan: dict[UUID, DecisionUnderReview] = {}
    for decision in decisions:
        seen = by_plan.setdefault(decision.plan_id, decision)
        if seen != decision:
            raise ValueError(f"two different decisions share plan id {decision.plan_id}")
    chosen = [decision for decision in by_plan.values() if decision.cpr == DO_NOT_ATTEMPT_CPR]
    return sorted(chosen, key=lambda decision: (decision.made_at, decision.plan_id))


class _UnionFind:
    def __init__(self, size: int) -> None:
        self._parent = list(range(size))

    def find(self, i: int) -> int:
        while self._parent[i] != i:
            self._parent[i] = self._parent[self._parent[i]]
            i = self._parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        root_i, root_j = self.find(i), self.find(j)
        if root_i != root_j:
            self._parent[max(root_i, root_j)] = min(root_i, root_j)


@dataclass(frozen=True)
class _Window:
    first: int  # index of the earliest decision in it
    last: int  # index of the latest decision in it


class _Block:
    """The do-not-attempt-CPR decisions of one organisation, or recorded by one person, earliest first."""

    def __init__(
        self,
        scope: AlertScope,
        key: str,
        decisions: list[DecisionUnderReview],
        normalised: Mapping[UUID, NormalisedReasoning],
        thresholds: BlanketThresholds,
    ) -> None:
        self.scope, self.key, self.decisions, self.thresholds = scope, key, decisions, thresholds
        self.reasons = [normalised[decision.plan_id] for decision in decisions]
        self.times = [decision.made_at for decision in decisions]
        self.windows = self._windows()
        self._alike = self._link_near_identical_reasoning()
        self._alike_enough = [
            members
            for members in self._alike
            if len({decisions[i].record_id for i in members}) >= thresholds.min_similar_people
        ]
        self.in_near_identical_group = [False] * len(decisions)
        for members in self._alike_enough:
            for i in members:
                self.in_near_identical_group[i] = True

    def _windows(self) -> list[_Window]:
        """For each decision, the decisions made from then until `window` later (two pointers: linear)."""
        windows, last = [], 0
        for first, started in enumerate(self.times):
            last = max(last, first)
            while last + 1 < len(self.times) and self.times[last + 1] - started <= self.thresholds.window:
                last += 1
            windows.append(_Window(first, last))
        return windows

    def _link_near_identical_reasoning(self) -> list[list[int]]:
        """Join decisions whose reasoning is alike and made within `window` of each other.

        Decisions with the same content words are grouped first (a blanket reason used twenty times is compared
        once), and only groups sharing a rare word are compared (prefix filtering), so that a large organisation
        is not compared pair by pair. The result is the same as comparing every pair.
        """
        window, joined = self.thresholds.window, _UnionFind(len(self.decisions))
        join = joined.union

        same_words: dict[frozenset[str], list[int]] = defaultdict(list)
        for index, reason in enumerate(self.reasons):
            same_words[reason.words].append(index)
        for members in same_words.values():  # earliest first, as the block is
            for earlier, later in pairwise(members):
                if self.times[later] - self.times[earlier] <= window:
                    join(earlier, later)
        groups = sorted(same_words.values(), key=lambda members: sorted(self.reasons[members[0]].words))
        representatives = [self.reasons[members[0]] for members in groups]
        for a, b in _alike_pairs(representatives, self.thresholds.similarity):
            self._join_across(groups[a], groups[b], join)
        components: dict[int, list[int]] = defaultdict(list)
        for index in range(len(self.decisions)):
            components[joined.find(index)].append(index)
        return list(components.values())

    def _join_across(self, first: list[int], second: list[int], join: Callable[[int, int], None]) -> None:
        """Walk both groups in time order, joining each decision to the latest of the other group before it.

        With the chains inside each group, that connects everything a full pairwise comparison would.
        """
        merged = sorted([(self.times[i], 0, i) for i in first] + [(self.times[i], 1, i) for i in second])
        latest: list[int | None] = [None, None]
        for made_at, side, index in merged:
            other = latest[1 - side]
            if other is not None and made_at - self.times[other] <= self.thresholds.window:
                join(index, other)
            latest[side] = index

    # --- alerts ---

    def near_identical_reasoning(self) -> list[BlanketAlert]:
        alerts = []
        for members in self._alike_enough:
            people = {self.decisions[i].record_id for i in members}
            wording = _shared_wording([self.reasons[i] for i in members])
            decisions = [self.decisions[i] for i in members]
            explanation = (
                f"{len(members)} do-not-attempt-CPR decisions for {len(people)} different people {self._where(decisions)}"
                f" {_between(decisions)} have near-identical reasoning once names, ages, dates and pronouns are"
                f" set aside: each is at least {self.thresholds.similarity:.0%} alike another made within"
                f" {_duration(self.thresholds.window)} of it."
                + (f' Wording they share: "{" ".join(wording)}".' if wording else "")
            )
            shared = (" ".join(wording),) if wording else ()
            alerts.append(self._alert(AlertKind.NEAR_IDENTICAL_REASONING, decisions, explanation, shared))
        return alerts

    def clusters(self, people_in_care: int | None) -> list[BlanketAlert]:
        t = self.thresholds
        organisation = self.scope is AlertScope.ORGANISATION
        least = t.min_decisions_in_organisation_cluster if organisation else t.min_decisions_in_author_cluster
        usual = self._usual_number_per_window() if organisation else None
        alike_before = _running_totals(self.in_near_identical_group)
        reasons_by_window: dict[_Window, list[tuple[str, str]]] = {}
        for window in self.windows:
            count = window.last - window.first + 1
            if count < least:
                continue
            reasons = []
            alike = alike_before[window.last + 1] - alike_before[window.first]
            if alike >= t.min_share_with_near_identical_reasoning * count:
                reasons.append(
                    (
                        "near-identical reasoning",
                        f"{alike} of them have near-identical reasoning, shared with decisions for at least"
                        f" {t.min_similar_people} different people",
                    )
                )
            if usual is not None and count >= t.surge_factor * usual:
                reasons.append(
                    (
                        "above the usual number",
                        f"the usual number is {_number(usual)} per {_duration(t.window)} (the median across"
                        f" the {_count((self.times[-1] - self.times[0]).days, 'day')} of decisions looked at)",
                    )
                )
            if people_in_care and count >= t.min_share_of_people_in_care * people_in_care:
                reasons.append(
                    (
                        "large share of the people in its care",
                        f"that is {count / people_in_care:.0%} of the {people_in_care} people in its care",
                    )
                )
            if reasons:
                reasons_by_window[window] = reasons
        alerts = []
        for episode in _episodes(list(reasons_by_window)):
            busiest = max(episode, key=lambda window: (window.last - window.first, -window.first))
            decisions = self.decisions[episode[0].first : max(w.last for w in episode) + 1]
            reasons = reasons_by_window[busiest]
            explanation = (
                f"{len(decisions)} do-not-attempt-CPR decisions {self._where(decisions)} {_between(decisions)},"
                f" up to {busiest.last - busiest.first + 1} within {_duration(t.window)}; "
                + "; ".join(sentence for _, sentence in reasons)
                + "."
            )
            kind = AlertKind.CLUSTER_IN_ORGANISATION if organisation else AlertKind.CLUSTER_BY_AUTHOR
            alerts.append(self._alert(kind, decisions, explanation, tuple(name for name, _ in reasons)))
        return alerts

    def group_characteristics(self) -> list[BlanketAlert]:
        t = self.thresholds
        flagged = [
            _leans_on_group(decision, reason, t.max_words_beyond_group_terms)
            for decision, reason in zip(self.decisions, self.reasons, strict=True)
        ]
        flagged_before = _running_totals(flagged)
        qualifying = [
            window
            for window in self.windows
            if flagged_before[window.last + 1] - flagged_before[window.first]
            >= t.min_group_characteristic_decisions
        ]
        alerts = []
        for episode in _episodes(qualifying):
            span = range(episode[0].first, max(w.last for w in episode) + 1)
            decisions = [self.decisions[i] for i in span if flagged[i]]
            busiest = max(
                episode,
                key=lambda w: (flagged_before[w.last + 1] - flagged_before[w.first], -w.first),
            )
            most = flagged_before[busiest.last + 1] - flagged_before[busiest.first]
            flags = Counter(flag for decision in decisions for flag in set(decision.reasoning_flags))
            ordered = sorted(flags, key=lambda flag: (-flags[flag], flag))
            explanation = (
                f"{len(decisions)} do-not-attempt-CPR decisions {self._where(decisions)} {_between(decisions)}"
                f" (up to {most} within {_duration(t.window)}) rest on group characteristics, saying at most"
                f" {_count(t.max_words_beyond_group_terms, 'other thing')} about the person: "
                + ", ".join(f"{flag} ({flags[flag]})" for flag in ordered)
                + ". Each decision must rest on the person's own circumstances, not a group they belong to."
            )
            alerts.append(self._alert(AlertKind.GROUP_CHARACTERISTIC, decisions, explanation, tuple(ordered)))
        return alerts

    def _usual_number_per_window(self) -> float | None:
        """The median number of decisions per `window`, over back-to-back windows from the first decision."""
        span = self.times[-1] - self.times[0]
        if span < self.thresholds.min_history_for_usual_rate:
            return None
        per_window = Counter((made_at - self.times[0]) // self.thresholds.window for made_at in self.times)
        return float(statistics.median(per_window.get(n, 0) for n in range(max(per_window) + 1)))

    def _where(self, decisions: Sequence[DecisionUnderReview]) -> str:
        if self.scope is AlertScope.ORGANISATION:
            authors = {decision.author for decision in decisions}
            by = f", all recorded by {next(iter(authors))}," if len(authors) == 1 else ""
            return f"at {_setting_name(decisions)} {self.key}{by}"
        organisations = {decision.organisation for decision in decisions}
        at = f" at {next(iter(organisations))}" if len(organisations) == 1 else ""
        return f"recorded by {self.key}{at}"

    def _alert(
        self,
        kind: AlertKind,
        decisions: Sequence[DecisionUnderReview],
        explanation: str,
        shared_features: tuple[str, ...],
    ) -> BlanketAlert:
        ordered = sorted(decisions, key=lambda decision: (decision.made_at, decision.plan_id))
        organisations = {decision.organisation for decision in ordered}
        authors = {decision.author for decision in ordered}
        return BlanketAlert(
            kind=kind,
            scope=self.scope,
            explanation=explanation,
            plan_ids=tuple(decision.plan_id for decision in ordered),
            shared_features=shared_features,
            window_start=ordered[0].made_at,
            window_end=ordered[-1].made_at,
            organisation=next(iter(organisations)) if len(organisations) == 1 else None,
            author=next(iter(authors)) if len(authors) == 1 else None,
        )


def _alike_pairs(reasons: Sequence[NormalisedReasoning], similarity: float) -> list[tuple[int, int]]:
    """Pairs of reasons (all with different content words) at least `similarity` alike.

    A similarity of s needs at least 2s - 1 of the content words in common (the three-letter pieces can add at
    most half). Two sets that share that share of their words must share one of their rarest words
    (prefix filtering), so only reasons sharing a rare word are compared.
    """
    least_words_alike = 2 * similarity - 1
    if least_words_alike <= 0:
        candidates = {(a, b) for a in range(len(reasons)) for b in range(a + 1, len(reasons))}
    else:
        frequency = Counter(word for reason in reasons for word in reason.words)
        index: dict[str, list[int]] = defaultdict(list)
        candidates = set()
        for b, reason in enumerate(reasons):
            rarest_first = sorted(reason.words, key=lambda word: (frequency[word], word))
            prefix = len(rarest_first) - math.ceil(least_words_alike * len(rarest_first) - 1e-9) + 1
            for word in rarest_first[:prefix]:
                candidates.update((a, b) for a in index[word])
                index[word].append(b)
    return sorted(
        (a, b)
        for a, b in candidates
        if _jaccard(reasons[a].words, reasons[b].words) >= least_words_alike - 1e-12
        and reasoning_similarity(reasons[a], reasons[b]) >= similarity - 1e-12
    )


def _leans_on_group(
    decision: DecisionUnderReview, reason: NormalisedReasoning, most_other_words: int
) -> bool:
    """Flagged for a group characteristic, and saying little else once the group terms are set aside."""
    if not decision.reasoning_flags:
        return False
    group_words = {_stem(token) for flag in decision.reasoning_flags for token in _raw_tokens(flag)}
    return len(reason.words - group_words) <= most_other_words


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" + ("" if number == 1 else "s")


def _running_totals(marks: Sequence[bool]) -> list[int]:
    """totals[i] is how many of the first i marks are set."""
    totals = [0]
    for mark in marks:
        totals.append(totals[-1] + mark)
    return totals


def _episodes(windows: Sequence[_Window]) -> list[list[_Window]]:
    """Overlapping windows (in order of their first decision) merged into episodes."""
    episodes: list[list[_Window]] = []
    for window in windows:
        if episodes and window.first <= max(w.last for w in episodes[-1]):
            episodes[-1].append(window)
        else:
            episodes.append([window])
    return episodes


def _shared_wording(reasons: Sequence[NormalisedReasoning]) -> tuple[str, ...]:
    """The words (masks aside) used by at least half of the reasons, in the order the earliest uses them.

    A word half or more of several different people's reasons use cannot identify one of them.
    """
    uses = Counter(token for reason in reasons for token in set(reason.tokens) if token not in MASKS)
    common = {token for token, count in uses.items() if 2 * count >= len(reasons)}
    ordered: list[str] = []
    for reason in reasons:
        ordered.extend(token for token in reason.tokens if token in common and token not in ordered)
    return tuple(ordered)


def _setting_name(decisions: Sequence[DecisionUnderReview]) -> str:
    settings = Counter(decision.setting for decision in decisions)
    setting = min(settings, key=lambda value: (-settings[value], value))
    try:
        return SETTING_NAMES[Setting(setting)]
    except ValueError:
        return setting


def _between(decisions: Sequence[DecisionUnderReview]) -> str:
    start = min(decision.made_at for decision in decisions)
    end = max(decision.made_at for decision in decisions)
    return f"between {_moment(start)} and {_moment(end)}"


def _moment(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y %H:%M}"


def _duration(duration: timedelta) -> str:
    if duration % timedelta(days=1) == timedelta(0):
        days = duration // timedelta(days=1)
        return f"{days} day" + ("s" if days != 1 else "")
    hours = duration / timedelta(hours=1)
    return f"{_number(hours)} hour" + ("s" if hours != 1 else "")


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


_SCOPE_OF_SAME_KIND = {
    AlertKind.CLUSTER_BY_AUTHOR: AlertKind.CLUSTER_IN_ORGANISATION,
    AlertKind.NEAR_IDENTICAL_REASONING: AlertKind.NEAR_IDENTICAL_REASONING,
    AlertKind.GROUP_CHARACTERISTIC: AlertKind.GROUP_CHARACTERISTIC,
}


def _without_repeats(drafts: Sequence[tuple[AlertScope, BlanketAlert]]) -> list[BlanketAlert]:
    """Leave out an author's alert when an organisation's alert of the same kind names all its decisions."""
    by_organisation = [alert for scope, alert in drafts if scope is AlertScope.ORGANISATION]
    kept = list(by_organisation)
    for scope, alert in drafts:
        if scope is AlertScope.AUTHOR and not any(
            other.kind is _SCOPE_OF_SAME_KIND[alert.kind] and set(alert.plan_ids) <= set(other.plan_ids)
            for other in by_organisation
        ):
            kept.append(alert)
    return kept


def _alert_order(alert: BlanketAlert) -> tuple[datetime, datetime, str, str, str, str, tuple[UUID, ...]]:
    return (
        alert.window_start,
        alert.window_end,
        alert.kind.value,
        alert.scope.value,
        alert.organisation or "",
        alert.author or "",
        alert.plan_ids,
    )
