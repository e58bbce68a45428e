"""Measures that pages share: the clock in milliseconds, spans of time (``HOUR``, ``DAY``)
and a duration in words, and the rows of a horizontal bar chart drawn in plain HTML."""

import time
from typing import Any

HOUR = 3_600_000
DAY = 24 * HOUR


def now_ms() -> int:
    return int(time.time() * 1000)


def bars(counts: dict[str, int | float], labels: dict[str, str] | None = None) -> list[dict]:
    """Rows for a horizontal bar chart: each value with its width in percent of the largest."""
    top = max((v for v in counts.values()), default=0) or 1
    return [
        {"key": k, "label": (labels or {}).get(k, k), "value": v, "width": round(100 * v / top)}
        for k, v in counts.items()
    ]


def duration(ms: float | None, _: Any) -> str:
    if ms is None:
        return "—"
    if ms < HOUR:
        return _("{n} min", n=max(1, round(ms / 60_000)))
    if ms < 2 * DAY:
        hours = f"{ms / HOUR:.1f}"
        return _("{n} h", n=hours)
    days = f"{ms / DAY:.1f}"
    return _("{n} days", n=days)
