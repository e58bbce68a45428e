"""Which records each event touched: the SQLite store's index for folding late events.

Every folded event leaves a row per record it read or wrote (``wrote`` tells which). An
event that lands before the tip of the fold then replays only the later events that touch a
record it changed, found here, instead of the whole tail. Rows of a replayed event are
replaced for the records it touches now; a record it no longer touches may keep its old row,
which only makes a later fold replay that event once more than needed (never less).
"""

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from .base import EventRow
from .statements import in_lists

Position = tuple[int, bytes]
KeyRow = tuple[str, int, bytes, bool]  # (record key, clock, event id, wrote it)

_COLUMNS = "e.id, e.cid, e.clock, e.type, e.author, e.time, e.raw, e.refusal, e.undo"
# "clock >= ?" bounds the index range: with the OR alone, SQLite would walk every row of
# the record to find the few after the position.
_AFTER = "k.clock >= ? AND (k.clock > ? OR k.id > ?)"


class TouchIndex:
    """Mixed into ``SQLiteStore`` (which provides ``db`` and ``_insert_rows``)."""

    db: sqlite3.Connection

    def _insert_rows(self, head: str, width: int, rows: Sequence[tuple[Any, ...]]) -> None: ...

    def put_event_keys(self, cid: int, rows: Iterable[KeyRow]) -> None:
        self._insert_rows(
            "INSERT OR REPLACE INTO event_keys (cid, key, clock, id, wrote)",
            5,
            sorted((cid, key, clock, eid, int(wrote)) for key, clock, eid, wrote in rows),
        )

    def key_writers(
        self, cid: int, keys: Iterable[str], after: Position
    ) -> list[tuple[str, int, bytes, bytes | None]]:
        """``(key, clock, id, undo)`` of the events after a position that wrote one of
        ``keys``, in fold order."""
        clock, eid = after
        found: list[tuple[str, int, bytes, bytes | None]] = []
        for marks, chunk in in_lists(keys):
            found += self.db.execute(
                "SELECT k.key, k.clock, k.id, e.undo FROM event_keys k JOIN events e ON "
                f"e.id = k.id WHERE k.cid = ? AND k.key IN ({marks}) AND k.wrote AND {_AFTER}",
                (cid, *chunk, clock, clock, eid),
            ).fetchall()
        found.sort(key=lambda row: (row[1], row[2]))
        return found

    def key_touchers(self, cid: int, key: str, after: Position) -> list[EventRow]:
        """The events after a position that read or wrote record ``key``."""
        clock, eid = after
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM event_keys k JOIN events e ON e.id = k.id "
            f"WHERE k.cid = ? AND k.key = ? AND {_AFTER}",
            (cid, key, clock, clock, eid),
        )
        return [EventRow(*row) for row in rows]
