"""The decisions of one organisation, or recorded by one person, looked at window by window: which are joined by
near-identical reasoning, which windows are clusters, which rest on group characteristics; each pattern found
becomes an alert with its explanation in plain English."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from uuid import UUID

from carerecord_events.vocabulary import AlertKind, AlertScope
from carerecord_projections.oversight.rules.blanket_alerts import (
    AlertReason,
    BlanketThresholds,
    DecisionUnderReview,
)
from carerecord_projections.oversight.rules.reasoning_similarity import (
    NormalisedReasoning,
    alike_pairs,
    leans_on_group,
    shared_wording,
)


class UnionFind:
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


class DecisionBlock:
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
        window, joined = self.thresholds.window, UnionFind(len(self.decisions))
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
        for a, b in alike_pairs(representatives, self.thresholds.similarity):
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

    def near_identical_reasoning(self) -> list[AlertReason]:
        alerts = []
        for members in self._alike_enough:
            people = {self.decisions[i].record_id for i in members}
            wording = shared_wording([self.reasons[i] for i in members])
            decisions = [self.decisions[i] for i in members]
            explanation = (
                f"Near-identical reasoning: {len(members)} decisions for {len(people)} different people"
                f" {self._by()}have reasoning that, once names, ages, dates and pronouns are set aside, is at least"
                f" {self.thresholds.similarity:.0%} alike another made within {_duration(self.thresholds.window)}"
                " of it." + (f' Wording they share: "{" ".join(wording)}".' if wording else "")
            )
            shared = (" ".join(wording),) if wording else ()
            alerts.append(self._alert(AlertKind.NEAR_IDENTICAL_REASONING, decisions, explanation, shared))
        return alerts

    def clusters(self, people_in_care: int | None) -> list[AlertReason]:
        reasons_by_window = self._clusters_by_window(people_in_care)
        return [
            self._cluster_alert(episode, reasons_by_window) for episode in _episodes(list(reasons_by_window))
        ]

    def _clusters_by_window(self, people_in_care: int | None) -> dict[_Window, list[tuple[str, str]]]:
        """The windows with enough decisions to be a cluster and at least one sign that they are one, each with
        its signs (a name, and a sentence saying what was seen)."""
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
            alike = alike_before[window.last + 1] - alike_before[window.first]
            reasons = self._signs_of_cluster(count, alike, usual, people_in_care)
            if reasons:
                reasons_by_window[window] = reasons
        return reasons_by_window

    def _signs_of_cluster(
        self, count: int, alike: int, usual: float | None, people_in_care: int | None
    ) -> list[tuple[str, str]]:
        t = self.thresholds
        reasons = []
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
        return reasons

    def _cluster_alert(
        self, episode: list[_Window], reasons_by_window: dict[_Window, list[tuple[str, str]]]
    ) -> AlertReason:
        """One pattern for overlapping cluster windows, giving the signs of the busiest."""
        busiest = max(episode, key=lambda window: (window.last - window.first, -window.first))
        decisions = self.decisions[episode[0].first : max(w.last for w in episode) + 1]
        reasons = reasons_by_window[busiest]
        explanation = (
            f"A cluster: {len(decisions)} decisions {self._by()}{between(decisions)},"
            f" up to {busiest.last - busiest.first + 1} within {_duration(self.thresholds.window)}; "
            + "; ".join(sentence for _, sentence in reasons)
            + "."
        )
        organisation = self.scope is AlertScope.ORGANISATION
        kind = AlertKind.CLUSTER_IN_ORGANISATION if organisation else AlertKind.CLUSTER_BY_AUTHOR
        return self._alert(kind, decisions, explanation, tuple(name for name, _ in reasons))

    def group_characteristics(self) -> list[AlertReason]:
        t = self.thresholds
        flagged = [
            leans_on_group(decision, reason, t.max_words_beyond_group_terms)
            for decision, reason in zip(self.decisions, self.reasons, strict=True)
        ]
        flagged_before = _running_totals(flagged)

        def flagged_in(window: _Window) -> int:
            return flagged_before[window.last + 1] - flagged_before[window.first]

        qualifying = [w for w in self.windows if flagged_in(w) >= t.min_group_characteristic_decisions]
        alerts = []
        for episode in _episodes(qualifying):
            span = range(episode[0].first, max(w.last for w in episode) + 1)
            decisions = [self.decisions[i] for i in span if flagged[i]]
            most = flagged_in(max(episode, key=lambda w: (flagged_in(w), -w.first)))
            alerts.append(self._group_characteristic_alert(decisions, most))
        return alerts

    def _group_characteristic_alert(self, decisions: list[DecisionUnderReview], most: int) -> AlertReason:
        """The pattern of decisions resting on group characteristics, up to `most` of them in one window."""
        t = self.thresholds
        flags = Counter(flag for decision in decisions for flag in set(decision.reasoning_flags))
        ordered = sorted(flags, key=lambda flag: (-flags[flag], flag))
        explanation = (
            f"Group characteristics: {len(decisions)} decisions {self._by()}{between(decisions)}"
            f" (up to {most} within {_duration(t.window)}) rest on group characteristics, saying at most"
            f" {_count(t.max_words_beyond_group_terms, 'other thing')} about the person: "
            + ", ".join(f"{flag} ({flags[flag]})" for flag in ordered)
            + ". Each decision must rest on the person's own circumstances, not a group they belong to."
        )
        return self._alert(AlertKind.GROUP_CHARACTERISTIC, decisions, explanation, tuple(ordered))

    def _usual_number_per_window(self) -> float | None:
        """The median number of decisions per `window`, over back-to-back windows from the first decision."""
        span = self.times[-1] - self.times[0]
        if span < self.thresholds.min_history_for_usual_rate:
            return None
        per_window = Counter((made_at - self.times[0]) // self.thresholds.window for made_at in self.times)
        return float(statistics.median(per_window.get(n, 0) for n in range(max(per_window) + 1)))

    def _by(self) -> str:
        """Where the pattern was seen, when the summary of a merged alert may not say it: the author's decisions
        ("recorded by dr-hale ") or the organisation's ("of K81045 ")."""
        return f"recorded by {self.key} " if self.scope is AlertScope.AUTHOR else f"of {self.key} "

    def _alert(
        self,
        kind: AlertKind,
        decisions: Sequence[DecisionUnderReview],
        explanation: str,
        shared_features: tuple[str, ...],
    ) -> AlertReason:
        ordered = sorted(decisions, key=lambda decision: (decision.made_at, decision.plan_id))
        return AlertReason(
            kind=kind,
            scope=self.scope,
            explanation=explanation,
            plan_ids=tuple(decision.plan_id for decision in ordered),
            shared_features=shared_features,
        )


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


def between(decisions: Sequence[DecisionUnderReview]) -> str:
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
