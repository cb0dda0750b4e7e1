"""Horizontal bar charts as inline SVG, laid out on the server: no script, readable with styles off, and each
followed on the page by a table of the same numbers."""

from __future__ import annotations

from dataclasses import dataclass

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


def bar_chart(key: str, title: str, rows: tuple[tuple[str, int], ...]) -> BarChart:
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
    )
