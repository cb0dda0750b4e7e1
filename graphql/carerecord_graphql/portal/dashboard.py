"""The oversight dashboard's filters and what its pages show, from the read side's oversight figures.

Filters come from a GET form, so a view can be bookmarked and shared; the period's end date is inclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode

from carerecord_events.plain import SETTING_NAMES
from carerecord_events.roles import ROLES
from carerecord_events.vocabulary import ConcernRaisedBy, FormType, RevocationInitiator, Setting
from carerecord_graphql.portal.charts import BarChart, RankedChart, bar_chart, ranked_chart
from carerecord_projections.oversight.queries.drill_downs import DRILL_DOWN_KEYS
from carerecord_projections.oversight.rules import comparison as comparison_rules
from carerecord_projections.oversight.rules.equality import EqualityTable
from carerecord_projections.oversight.rules.figures import Dashboard, Figure, Timing
from carerecord_projections.oversight.rules.scope import Period, Scope, london_period

CODE = re.compile(r"[A-Za-z0-9 _.-]{1,40}")
DEFAULT_DAYS = 365


@dataclass(frozen=True)
class Filters:
    region: str
    organisation: str
    setting: str
    start: date
    end: date
    problems: tuple[str, ...] = ()

    @property
    def scope(self) -> Scope:
        return Scope(
            region=self.region or None, organisation=self.organisation or None, setting=self.setting or None
        )

    @property
    def period(self) -> Period:
        return london_period(self.start, self.end)

    @property
    def query(self) -> str:
        """The filters as a query string, for links to drill-downs and back."""
        values = {
            "region": self.region,
            "organisation": self.organisation,
            "setting": self.setting,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }
        return urlencode({key: value for key, value in values.items() if value})


def filters_from(query: dict[str, str], today: date) -> Filters:
    """Filters from the form; a value that cannot be used is dropped, and said so."""
    problems: list[str] = []

    def code(name: str, label: str) -> str:
        value = query.get(name, "").strip()
        if value and not CODE.fullmatch(value):
            problems.append(f"{label} was not understood, so it was left out.")
            return ""
        return value

    def day(name: str, label: str, default: date) -> date:
        value = query.get(name, "").strip()
        if not value:
            return default
        try:
            return date.fromisoformat(value)
        except ValueError:
            problems.append(f"The {label} was not a date, so {default.isoformat()} was used.")
            return default

    setting = query.get("setting", "").strip()
    if setting and setting not in {each.value for each in Setting}:
        problems.append("The setting was not one of the list, so every setting is shown.")
        setting = ""
    end = day("end", "end date", today)
    start = day("start", "start date", end - timedelta(days=DEFAULT_DAYS))
    if start > end:
        problems.append("The start date was after the end date, so they were swapped.")
        start, end = end, start
    return Filters(
        region=code("region", "The region"),
        organisation=code("organisation", "The organisation code"),
        setting=setting,
        start=start,
        end=end,
        problems=tuple(problems),
    )


SETTING_CHOICES = [(each.value, SETTING_NAMES[each]) for each in Setting]
DRILLABLE = frozenset(DRILL_DOWN_KEYS)

# The codes that charts group by, in words.
CODE_WORDS: dict[str, str] = {
    FormType.RESPECT.value: "ReSPECT plan",
    FormType.TREATMENT_ESCALATION_PLAN.value: "treatment escalation plan",
    FormType.DNACPR.value: "DNACPR form",
    RevocationInitiator.PERSON_REQUEST.value: "at the person's request",
    RevocationInitiator.CLINICAL.value: "a clinical decision",
    ConcernRaisedBy.PERSON.value: "the person",
    ConcernRaisedBy.FAMILY.value: "family",
    ConcernRaisedBy.STAFF.value: "staff",
    **{each.value: SETTING_NAMES[each] for each in Setting},
    **{role.value: definition.label for role, definition in ROLES.items()},
}


@dataclass(frozen=True)
class Section:
    title: str
    figures: tuple[Figure, ...]


def sections(dashboard: Dashboard) -> list[Section]:
    """Figures grouped by their section, in the order the figures came."""
    grouped: dict[str, list[Figure]] = {}
    for figure in dashboard.figures:
        grouped.setdefault(figure.section, []).append(figure)
    return [Section(title, tuple(figures)) for title, figures in grouped.items()]


def charts(dashboard: Dashboard) -> list[BarChart]:
    return [
        bar_chart(
            chart.key,
            chart.title,
            tuple((CODE_WORDS.get(label, label), n) for label, n in chart.rows),
            chart.counted,
        )
        for chart in dashboard.charts
    ]


def drilled(dashboard: Dashboard, key: str) -> Figure | Timing | None:
    """The figure (or timing) a drill-down explains, if it has one."""
    if key not in DRILLABLE:
        return None
    shown: list[Figure | Timing] = [*dashboard.figures, *dashboard.timings]
    return next((each for each in shown if each.key == key), None)


def hours(value: float | None) -> str:
    if value is None:
        return "none"
    return f"{value:.1f} hours" if value < 48 else f"{value / 24:.1f} days"


def percent(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.0f}%"


@dataclass(frozen=True)
class EqualitySection:
    characteristic: str
    rows: tuple[dict[str, str], ...]
    note: str


def equality_tables(table: EqualityTable) -> list[EqualitySection]:
    """The published (suppressed) equality rows, one table per characteristic."""
    grouped: dict[str, list[dict[str, str]]] = {}
    notes: dict[str, str] = {}
    for row in table.published_rows():
        grouped.setdefault(row["characteristic"], []).append(row)
        if row.get("note"):
            notes[row["characteristic"]] = row["note"]
    return [EqualitySection(name, tuple(rows), notes.get(name, "")) for name, rows in grouped.items()]


GLANCE = (
    ("decisions-made", "recommendations made"),
    ("person-involved", "with the person involved"),
    ("awaiting-endorsement", "still awaiting senior endorsement"),
    ("reviews-overdue", "reviews overdue now"),
    ("conflicting-plans", "people whose plans in force conflict"),
)


@dataclass(frozen=True)
class Glance:
    key: str
    count: int
    words: str
    share: str


def at_a_glance(dashboard: Dashboard) -> list[Glance]:
    """The few figures an analyst reads first, in order; each links to its decisions."""
    found = {figure.key: figure for figure in dashboard.figures}
    return [
        Glance(key, found[key].count, words, percent(found[key].share) if found[key].out_of else "")
        for key, words in GLANCE
        if key in found
    ]


def ranked_charts(dashboard: Dashboard, filters: Filters) -> list[RankedChart]:
    """Each comparison as ranked bars; a bar opens the decisions it counts, in that organisation."""
    charts_made = []
    for comparison in dashboard.comparisons:
        query = {**dict(parse_qsl(filters.query)), "organisation": ""}

        def href(organisation: str, key: str = comparison.key, query: dict[str, str] = query) -> str:
            return f"/portal/dashboard/{key}?" + urlencode({**query, "organisation": organisation})

        charts_made.append(ranked_chart(comparison, href))
    return charts_made


@dataclass(frozen=True)
class TrendRow:
    label: str
    decisions: str
    involved: str
    endorsement: str
    height: int  # the column's height in the chart, 0 when withheld or none
    query: str  # the dashboard's filters for that month alone


TREND_HEIGHT = 120


def trend_rows(dashboard: Dashboard, filters: Filters) -> list[TrendRow]:
    largest = max((month.decisions for month in dashboard.trend), default=0)
    rows = []
    for month in dashboard.trend:
        decisions = comparison_rules.shown(month.decisions)
        withheld = decisions == comparison_rules.WITHHELD
        rows.append(
            TrendRow(
                label=month.label,
                decisions=decisions,
                involved=comparison_rules.share_shown(month.person_involved, month.decisions),
                endorsement=hours(month.endorsement_median_hours),
                height=0 if withheld or not largest else round(TREND_HEIGHT * month.decisions / largest),
                query=_month_query(filters, month.month),
            )
        )
    return rows


def _month_query(filters: Filters, first: date) -> str:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    month = replace(filters, start=first, end=following - timedelta(days=1), problems=())
    return month.query
