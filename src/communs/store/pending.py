"""The pending area of the SQLite store: events whose parents are not stored yet.

Each waiting event keeps the peer that sent it, its author and when it came, so the area can
be bounded per peer and per author and expire: what is dropped is counted by reason
(``pending_dropped``), and comes back with the next pull, which asks for everything after
this node's heads. Waiting events are released a bounded number at a time
(``pending_descendants``), so that a long chain arriving newest first resolves in several
transactions instead of one that holds the node's writer for minutes.
"""

import sqlite3
from collections.abc import Iterable

from .statements import in_lists

TOO_MANY_FROM_PEER = "pending: more events waiting for their parents from one peer than allowed"
TOO_MANY_BY_AUTHOR = "pending: more events waiting for their parents by one author than allowed"
EXPIRED = "pending: waited for its parents longer than allowed"


class PendingArea:
    """Mixed into ``SQLiteStore`` (which provides ``db``)."""

    db: sqlite3.Connection

    def add_pending(
        self,
        event_id: bytes,
        raw: bytes,
        missing: Iterable[bytes],
        *,
        peer: str = "",
        author: str = "",
        received: int = 0,
    ) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO pending (id, raw, peer, author, received) "
            "VALUES (?, ?, ?, ?, ?)",
            (event_id, raw, peer, author, received),
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO pending_needs VALUES (?, ?)", [(m, event_id) for m in missing]
        )

    def pending_descendants(self, ids: Iterable[bytes], limit: int) -> list[bytes]:
        """The raw pending events that wait for any of ``ids``: every one waiting for them
        directly, then those waiting for these in turn, nearest first, until ``limit``.
        They stay pending until ``remove_pending``: a crash before their release commits
        loses none."""
        ids = list(ids)
        if not ids or self.db.execute("SELECT 1 FROM pending_needs LIMIT 1").fetchone() is None:
            return []
        found: dict[bytes, None] = {}
        for marks, chunk in in_lists(ids):
            rows = self.db.execute(
                f"SELECT id FROM pending_needs WHERE missing IN ({marks})", chunk
            )
            found.update(dict.fromkeys(r[0] for r in rows))
        children = list(found)
        for marks, chunk in in_lists(children):
            if len(found) >= limit:
                break
            # Breadth first (SQLite's recursive queue is FIFO): a chain comes out in order.
            rows = self.db.execute(
                f"WITH RECURSIVE down(id) AS (SELECT id FROM pending_needs WHERE missing IN "
                f"({marks}) UNION SELECT n.id FROM pending_needs n JOIN down ON "
                "n.missing = down.id LIMIT ?) SELECT id FROM down",
                (*chunk, limit - len(found)),
            )
            found.update(dict.fromkeys(r[0] for r in rows))
        raws = []
        for marks, chunk in in_lists(list(found)):
            raws += [
                r[0]
                for r in self.db.execute(f"SELECT raw FROM pending WHERE id IN ({marks})", chunk)
            ]
        return raws

    def remove_pending(self, ids: Iterable[bytes]) -> None:
        for marks, chunk in in_lists(list(ids)):
            self.db.execute(f"DELETE FROM pending WHERE id IN ({marks})", chunk)
            # Indexed by id since migration 5: without it, this read the whole table.
            self.db.execute(f"DELETE FROM pending_needs WHERE id IN ({marks})", chunk)

    def stored_needs(self) -> list[bytes]:
        """Stored events that pending events wait for: their release was cut short (by a
        crash between two of its transactions)."""
        return [
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT missing FROM pending_needs "
                "WHERE missing IN (SELECT id FROM events)"
            )
        ]

    def trim_pending(
        self,
        peers: Iterable[str],
        authors: Iterable[str],
        *,
        per_peer: int,
        per_author: int,
        received_before: int,
    ) -> dict[str, int]:
        """Drop what is over the limits: events older than ``received_before``, and the
        oldest beyond ``per_peer`` from each of ``peers`` and ``per_author`` by each of
        ``authors``. Counted by reason; what was dropped, by reason."""
        dropped: dict[str, int] = {}

        def drop(reason: str, where: str, args: tuple[object, ...]) -> None:
            ids = [r[0] for r in self.db.execute(f"SELECT id FROM pending WHERE {where}", args)]
            if ids:
                self.remove_pending(ids)
                dropped[reason] = dropped.get(reason, 0) + len(ids)

        drop(EXPIRED, "received < ?", (received_before,))
        checks = [("peer", p, per_peer, TOO_MANY_FROM_PEER) for p in set(peers) if p]
        checks += [("author", a, per_author, TOO_MANY_BY_AUTHOR) for a in set(authors) if a]
        for column, value, limit, reason in checks:
            (count,) = self.db.execute(
                f"SELECT count(*) FROM pending WHERE {column} = ?", (value,)
            ).fetchone()
            if count > limit:
                oldest = f"SELECT rowid FROM pending WHERE {column} = ? ORDER BY rowid LIMIT ?"
                where = f"rowid IN ({oldest})"
                drop(reason, where, (value, count - limit))
        for reason, count in dropped.items():
            self.db.execute(
                "INSERT INTO pending_dropped VALUES (?, ?) "
                "ON CONFLICT (reason) DO UPDATE SET count = count + excluded.count",
                (reason, count),
            )
        return dropped

    def pending_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM pending").fetchone()[0])

    def pending_dropped(self) -> dict[str, int]:
        """Events dropped from the pending area since this store was made, by reason."""
        return dict(self.db.execute("SELECT reason, count FROM pending_dropped ORDER BY reason"))
