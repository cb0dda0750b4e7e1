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

Windows that overlap are reported as one pattern covering them all. A pattern in one person's decisions is left
out when the same kind of pattern in an organisation's decisions already names every one of them. Patterns that
share a decision are one alert: the same twenty decisions raise one alert listing every reason it matched (say
near-identical reasoning and a cluster), not two. An alert names the `author` whenever one person recorded all
its decisions, the `organisation` whenever they all come from one, and the `care_home` whenever at least half of
the people were living in one care home when their decision was made; its summary names them by the register's
names ("decided by Old Forge Health Centre (K81045) for 20 residents of Seaview House (VLAXP)"). The same person's decisions (a plan and the one replacing it) count as one person. Every alert lists every decision it is about, the
features they share and the time they span, and alerts come back in a fixed order, so the same decisions always
give the same alerts. Alerts carry no personal details of the people the decisions are about: shared wording
is made only of words that half or more of the decisions use, after each person's names are masked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from uuid import UUID

from carerecord_events.vocabulary import AlertScope
from carerecord_projections.oversight.rules.blanket_alerts import (
    DO_NOT_ATTEMPT_CPR,
    AlertReason,
    BlanketAlert,
    BlanketThresholds,
    DecisionUnderReview,
    alert_order,
    reason_order,
    without_repeats,
)
from carerecord_projections.oversight.rules.blanket_episodes import DecisionBlock, UnionFind, between
from carerecord_projections.oversight.rules.reasoning_similarity import (
    normalise_reasoning,
)

DEFAULT_THRESHOLDS = BlanketThresholds()  # frozen, so one shared default is safe


def detect_blanket_decisions(
    decisions: Iterable[DecisionUnderReview],
    thresholds: BlanketThresholds = DEFAULT_THRESHOLDS,
    people_in_care: Mapping[str, int] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[BlanketAlert]:
    """Alerts for patterns of blanket decisions among `decisions`, sorted by when they start.

    `people_in_care` optionally gives, per organisation, how many people it cares for (for example its active
    care relationships), so that volume can be judged against its size. `names` gives the register's name of
    each organisation by its code, for the summaries.
    """
    items = _do_not_attempt_cpr_decisions(decisions)
    normalised = {item.plan_id: normalise_reasoning(item.reasoning, item.person_names) for item in items}
    drafts: list[AlertReason] = []
    for scope, key_of in ((AlertScope.ORGANISATION, _organisation), (AlertScope.AUTHOR, _author)):
        blocks: dict[str, list[DecisionUnderReview]] = defaultdict(list)
        for item in items:
            blocks[key_of(item)].append(item)
        for key in sorted(blocks):
            block = DecisionBlock(scope, key, blocks[key], normalised, thresholds)
            size = (people_in_care or {}).get(key) if scope is AlertScope.ORGANISATION else None
            drafts.extend(block.near_identical_reasoning())
            drafts.extend(block.clusters(size))
            drafts.extend(block.group_characteristics())
    by_plan = {item.plan_id: item for item in items}
    alerts = [_alert(group, by_plan, names or {}) for group in _sharing_decisions(without_repeats(drafts))]
    return sorted(alerts, key=alert_order)


def _sharing_decisions(reasons: list[AlertReason]) -> list[list[AlertReason]]:
    """The patterns joined into groups, two patterns being in one group when they share a decision."""
    joined = UnionFind(len(reasons))
    first_with: dict[UUID, int] = {}
    for index, reason in enumerate(reasons):
        for plan_id in reason.plan_ids:
            joined.union(first_with.setdefault(plan_id, index), index)
    groups: dict[int, list[AlertReason]] = defaultdict(list)
    for index, reason in enumerate(reasons):
        groups[joined.find(index)].append(reason)
    return list(groups.values())


def _alert(
    reasons: list[AlertReason], by_plan: Mapping[UUID, DecisionUnderReview], names: Mapping[str, str]
) -> BlanketAlert:
    plan_ids = {plan_id for reason in reasons for plan_id in reason.plan_ids}
    decisions = sorted((by_plan[plan_id] for plan_id in plan_ids), key=lambda d: (d.made_at, d.plan_id))
    organisations = {decision.organisation for decision in decisions}
    authors = {decision.author for decision in decisions}
    organisation = next(iter(organisations)) if len(organisations) == 1 else None
    author = next(iter(authors)) if len(authors) == 1 else None
    care_home, residents = _care_home(decisions)
    return BlanketAlert(
        summary=_summary(decisions, organisation, author, care_home, residents, names),
        reasons=tuple(sorted(reasons, key=reason_order)),
        plan_ids=tuple(decision.plan_id for decision in decisions),
        window_start=decisions[0].made_at,
        window_end=decisions[-1].made_at,
        organisation=organisation,
        author=author,
        care_home=care_home,
    )


def _care_home(decisions: list[DecisionUnderReview]) -> tuple[str | None, int]:
    """The care home at least half of the people were living in when decided for, and how many of them."""
    homes: dict[str, set[UUID]] = defaultdict(set)
    for decision in decisions:
        if decision.care_home:
            homes[decision.care_home].add(decision.record_id)
    if not homes:
        return None, 0
    home = min(homes, key=lambda code: (-len(homes[code]), code))
    people = len({decision.record_id for decision in decisions})
    return (home, len(homes[home])) if 2 * len(homes[home]) >= people else (None, 0)


def _summary(
    decisions: list[DecisionUnderReview],
    organisation: str | None,
    author: str | None,
    care_home: str | None,
    residents: int,
    names: Mapping[str, str],
) -> str:
    def named(code: str) -> str:
        return f"{names[code]} ({code})" if names.get(code) else code

    people = len({decision.record_id for decision in decisions})
    if organisation is None:
        decided_by = f"{len({d.organisation for d in decisions})} organisations"
    else:
        decided_by = named(organisation)
    if care_home is None:
        for_whom = f"{people} different people" if people != 1 else "1 person"
    elif care_home == organisation:
        for_whom = f"{residents} of its residents"
    else:
        for_whom = f"{residents} residents of {named(care_home)}"
    if care_home is not None and people > residents:
        for_whom += f" and {people - residents} other " + ("people" if people - residents > 1 else "person")
    recorded = f", all recorded by {author}" if author else ""
    return (
        f"{len(decisions)} do-not-attempt-CPR decisions {between(decisions)}, decided by {decided_by}"
        f" for {for_whom}{recorded}."
    )


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
