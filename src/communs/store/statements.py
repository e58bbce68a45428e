"""Bulk statements in a few forms: lists of ids for ``IN (…)`` and multi-row INSERTs.

The sqlite3 module keeps the last 128 statements it prepared, and one with a thousand
variables holds ~170 KB: lists of every length would fill that cache with statements used
once (44 MB of a node cloning a commons). Lists and groups of rows come in sizes that are
powers of two, so each query has at most a dozen forms.
"""

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

IDS = 1024  # most ids per IN (...) list
ROWS = 256  # rows per multi-row INSERT: one statement (and one GIL release) instead of 256


def in_lists(items: Iterable[Any]) -> Iterator[tuple[str, list[Any]]]:
    """``items`` in lists of at most IDS, each as ("?,?,…", values) for an ``IN (…)``, padded
    to a power of two by repeating its last item, which ``IN`` ignores."""
    items = list(items)
    for start in range(0, len(items), IDS):
        chunk = items[start : start + IDS]
        size = 1 << (len(chunk) - 1).bit_length()
        yield placeholders(size), chunk + chunk[-1:] * (size - len(chunk))


def row_groups(rows: Sequence[tuple[Any, ...]]) -> Iterator[Sequence[tuple[Any, ...]]]:
    """``rows`` in groups of ROWS, the rest in groups whose sizes are powers of two: a
    multi-row INSERT has at most nine forms (see ``in_lists``)."""
    start = 0
    while start < len(rows):
        size = min(ROWS, 1 << ((len(rows) - start).bit_length() - 1))
        yield rows[start : start + size]
        start += size


@lru_cache(maxsize=64)
def placeholders(count: int, width: int = 1) -> str:
    """``?,?,…`` for ``count`` values, or ``(?,?),(?,?),…`` for rows of ``width``."""
    if width == 1:
        return ",".join("?" * count)
    return ",".join(["(" + ",".join("?" * width) + ")"] * count)
