"""Horizontal bar charts as inline SVG, laid out on the server: no script, readable with styles off, and each
followed on the page by a table of the same numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH = 640
LABEL_WIDTH = 240
VALUE_WIDTH = 56
BAR_HEIGHT = 24
GAP = 10
TOP = 8
SHORT = 32  # characters of a label that fit beside a bar; the table below has it whole


@dataclass(frozen=True)
class Bar:
    label: str
    short: str
    count: int
    y: int
    width: int
    text_y: int


@dataclass(frozen=True)
class BarChart:
    key: str
    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int
    summary: str
    counted: str = "Recommendations"


def bar_chart(
    key: str, title: str, rows: tuple[tuple[str, int], ...], counted: str = "Recommendations"
) -> BarChart:
    largest = max((count for _, count in rows), default=0)
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = tuple(
        Bar(
            label=label,
            short=label if len(label) <= SHORT else label[: SHORT - 1].rstrip() + "…",
            count=count,
            y=TOP + index * (BAR_HEIGHT + GAP),
            width=round(room * count / largest) if largest else 0,
            text_y=TOP + index * (BAR_HEIGHT + GAP) + BAR_HEIGHT // 2,
        )
        for index, (label, count) in enumerate(rows)
    )
    summary = "; ".join(f"{label}: {count}" for label, count in rows) or "Nothing to show for this period"
    return BarChart(
        key=key,
        title=title,
        bars=bars,
        width=WIDTH,
        height=TOP * 2 + max(len(rows), 1) * (BAR_HEIGHT + GAP),
        label_width=LABEL_WIDTH,
        summary=summary,
        counted=counted,
    )


RANK_WIDTH = 640
RANK_LABEL = 240
RANK_ROOM = RANK_WIDTH - RANK_LABEL - 56


@dataclass(frozen=True)
class RankedBar:
    """One organisation on a comparison chart: its rate as a bar, the 95% and 99.8% limits for its size as
    whiskers, and where it lies, in words and by its bar's pattern (never by colour alone)."""

    label: str
    short: str
    rate_text: str
    position: str
    href: str
    y: int
    text_y: int
    width: int
    low_95: int
    high_95: int
    low_998: int
    high_998: int
    outside: str  # "", "95", "998": how far outside the limits


@dataclass(frozen=True)
class RankedChart:
    key: str
    title: str
    regional_text: str
    regional_x: int
    bars: tuple[RankedBar, ...]
    width: int
    height: int
    label_width: int
    summary: str


def _x(share: float) -> int:
    return RANK_LABEL + round(RANK_ROOM * share)


def ranked_chart(comparison: Any, href: Any) -> RankedChart:
    """Organisations ranked by their rate, against the region's rate and their control limits; `href(org)` is
    the link each bar opens (the decisions behind it)."""
    shown = [o for o in comparison.organisations if o.shown]
    bars = []
    for index, organisation in enumerate(shown):
        y = TOP + index * (BAR_HEIGHT + GAP)
        low_95, high_95 = organisation.limits_95
        low_998, high_998 = organisation.limits_998
        outside = (
            "998"
            if "99.8%" in organisation.position
            else ("95" if "95% limit" in organisation.position else "")
        )
        label = f"{organisation.name} ({organisation.organisation})"
        bars.append(
            RankedBar(
                label=label,
                short=label if len(label) <= SHORT else label[: SHORT - 1].rstrip() + "…",
                rate_text=f"{100 * organisation.rate:.0f}% of {organisation.decisions}",
                position=organisation.position,
                href=href(organisation.organisation),
                y=y,
                text_y=y + BAR_HEIGHT // 2,
                width=round(RANK_ROOM * organisation.rate),
                low_95=_x(low_95),
                high_95=_x(high_95),
                low_998=_x(low_998),
                high_998=_x(high_998),
                outside=outside,
            )
        )
    regional = comparison.regional_rate
    regional_text = "no decisions" if regional is None else f"{100 * regional:.0f}%"
    summary = f"Region: {regional_text}. " + "; ".join(
        f"{bar.label}: {bar.rate_text}, {bar.position}" for bar in bars
    )
    return RankedChart(
        key=comparison.key,
        title=comparison.title,
        regional_text=regional_text,
        regional_x=_x(regional or 0.0),
        bars=tuple(bars),
        width=RANK_WIDTH,
        height=TOP * 2 + max(len(bars), 1) * (BAR_HEIGHT + GAP) + 20,
        label_width=RANK_LABEL,
        summary=summary,
    )
