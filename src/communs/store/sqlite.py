"""The SQLite store: WAL, one writer, numbered migrations.

Events are kept as received (``raw``) next to the folded state (``records``), and both
change in the same transaction, so a crash never leaves state that disagrees with the log.
"""

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cbor2

from ..core import canonical
from .base import EventRow, Summary, summary_of
from .pending import PendingArea
from .sqlite_schema import MIGRATIONS, migrate
from .statements import in_lists, placeholders, row_groups
from .touches import TouchIndex


def prefix_range(prefix: str) -> tuple[bytes, bytes]:
    """Bounds of the ids whose hex starts with ``prefix``, for an indexed range query."""
    low = bytes.fromhex(prefix + "0" * (len(prefix) % 2))
    high = bytes.fromhex(prefix + "f" * (len(prefix) % 2))
    return low, high + b"\xff" * (32 - len(high))


class SQLiteStore(PendingArea, TouchIndex):
    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA busy_timeout = 10000")
        # 4 MiB: ingest and page times measured the same as with 16 MiB (pages not cached
        # here come from the OS's cache), and a node cloning a commons holds 12 MB less.
        self.db.execute("PRAGMA cache_size = -4096")
        self._depth = 0
        self._migrate()

    def _migrate(self) -> None:
        with self.transaction():
            migrate(self.db, MIGRATIONS, self.path)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE); nested calls join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._depth = 0

    def close(self) -> None:
        self.db.close()

    # -- commons ---------------------------------------------------------------------------

    def add_commons(self, commons_id: bytes, parent: bytes | None, time: int) -> int:
        cursor = self.db.execute(
            "INSERT INTO commons (id, parent, created) VALUES (?, ?, ?)", (commons_id, parent, time)
        )
        return cursor.lastrowid  # type: ignore[return-value]

    def commons_cid(self, commons_id: bytes) -> int | None:
        row = self.db.execute("SELECT cid FROM commons WHERE id = ?", (commons_id,)).fetchone()
        return row[0] if row else None

    def commons_id(self, cid: int) -> bytes:
        return bytes(self.db.execute("SELECT id FROM commons WHERE cid = ?", (cid,)).fetchone()[0])

    def events_count(self, cid: int) -> int:
        return int(
            self.db.execute("SELECT events FROM commons WHERE cid = ?", (cid,)).fetchone()[0]
        )

    def commons_rows(self) -> list[dict[str, Any]]:
        cursor = self.db.execute(
            "SELECT cid, id, parent, name, events, created FROM commons ORDER BY created, id"
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def find_commons(self, prefix: str) -> list[bytes]:
        low, high = prefix_range(prefix)
        rows = self.db.execute(
            "SELECT id FROM commons WHERE id BETWEEN ? AND ? LIMIT 2", (low, high)
        )
        return [row[0] for row in rows]

    def forks_of(self, commons_id: bytes) -> list[bytes]:
        rows = self.db.execute(
            "SELECT id FROM commons WHERE parent = ? ORDER BY created", (commons_id,)
        )
        return [row[0] for row in rows]

    def set_commons_info(self, cid: int, *, name: str, added: int) -> None:
        self.db.execute(
            "UPDATE commons SET name = ?, events = events + ?, digest = NULL WHERE cid = ?",
            (name, added, cid),
        )

    def cached_digest(self, cid: int) -> str | None:
        digest = self.db.execute("SELECT digest FROM commons WHERE cid = ?", (cid,)).fetchone()[0]
        return None if digest is None else str(digest)

    def set_cached_digest(self, cid: int, digest: str) -> None:
        self.db.execute("UPDATE commons SET digest = ? WHERE cid = ?", (digest, cid))

    # -- events ----------------------------------------------------------------------------

    def known(self, ids: Iterable[bytes]) -> set[bytes]:
        found: set[bytes] = set()
        for marks, chunk in in_lists(ids):
            found.update(
                r[0] for r in self.db.execute(f"SELECT id FROM events WHERE id IN ({marks})", chunk)
            )
        return found

    def clocks(self, ids: Iterable[bytes]) -> dict[bytes, tuple[int, int]]:
        """``{id: (cid, clock)}`` for the stored events among ``ids``."""
        found: dict[bytes, tuple[int, int]] = {}
        for marks, chunk in in_lists(ids):
            for eid, cid, clock in self.db.execute(
                f"SELECT id, cid, clock FROM events WHERE id IN ({marks})", chunk
            ):
                found[eid] = (cid, clock)
        return found

    def _insert_rows(self, head: str, width: int, rows: Sequence[tuple[Any, ...]]) -> None:
        """``head VALUES (...), (...), ...`` in statements of up to ROWS rows.

        executemany() steps once per row, and the sqlite3 module releases the GIL around
        every step: while other threads run (the web server, those talking to the helper
        process that checks events), each release costs a wait to get it back. A multi-row
        INSERT does the same work in one step.
        """
        for group in row_groups(rows):
            self.db.execute(
                f"{head} VALUES {placeholders(len(group), width)}",
                [value for row in group for value in row],
            )

    def insert_events(self, rows: Sequence[EventRow]) -> None:
        self._insert_rows(
            "INSERT INTO events (id, cid, clock, type, author, time, raw, refusal, undo)",
            9,
            sorted(
                (r.id, r.cid, r.clock, r.type, r.author, r.time, r.raw, r.refusal, r.undo)
                for r in rows
            ),
        )

    def update_results(self, results: Iterable[tuple[bytes, bytes | None, bytes | None]]) -> None:
        self.db.executemany(
            "UPDATE events SET refusal = ?, undo = ? WHERE id = ?",
            [(refusal, undo, eid) for eid, refusal, undo in results],
        )

    _COLUMNS = "id, cid, clock, type, author, time, raw, refusal, undo"

    def fold_tip(self, cid: int) -> tuple[int, bytes] | None:
        row = self.db.execute(
            "SELECT clock, id FROM events WHERE cid = ? ORDER BY clock DESC, id DESC LIMIT 1",
            (cid,),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def events(
        self, cid: int, *, newest_first: bool = False, limit: int | None = None
    ) -> Iterator[EventRow]:
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT {self._COLUMNS} FROM events WHERE cid = ? ORDER BY clock {order}, id {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        for row in self.db.execute(sql, (cid,)):
            yield EventRow(*row)

    def events_after(self, cid: int, after: tuple[int, bytes] | None, limit: int) -> list[EventRow]:
        """The next ``limit`` events after a position in fold order (keyset paging)."""
        if after is None:
            rows = self.db.execute(
                f"SELECT {self._COLUMNS} FROM events WHERE cid = ? ORDER BY clock, id LIMIT ?",
                (cid, limit),
            )
        else:
            clock, eid = after
            rows = self.db.execute(
                # "clock >= ?" lets SQLite start in the index instead of reading from the top.
                f"SELECT {self._COLUMNS} FROM events WHERE cid = ? AND clock >= ? AND "
                "(clock > ? OR (clock = ? AND id > ?)) ORDER BY clock, id LIMIT ?",
                (cid, clock, clock, clock, eid, limit),
            )
        return [EventRow(*row) for row in rows]

    def events_stored_since(
        self, seq: int, types: Sequence[str], limit: int
    ) -> list[tuple[int, EventRow]]:
        """Events of ``types`` stored after the ``seq``-th (in the order they were stored, in
        any commons, late ones included), each with its place in that order."""
        marks = ", ".join("?" * len(types))
        rows = self.db.execute(
            f"SELECT rowid, {self._COLUMNS} FROM events WHERE rowid > ? AND type IN ({marks}) "
            "ORDER BY rowid LIMIT ?",
            (seq, *types, limit),
        )
        return [(row[0], EventRow(*row[1:])) for row in rows]

    def last_stored(self) -> int:
        """The place of the latest event stored (0 when none is)."""
        return int(self.db.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()[0])

    def events_page(
        self,
        cid: int,
        *,
        before: tuple[int, bytes] | None = None,
        limit: int = 100,
        author: str | None = None,
        type: str | None = None,
    ) -> list[EventRow]:
        """Newest first, before a position, by one author or of one type: the activity page."""
        sql = f"SELECT {self._COLUMNS} FROM events WHERE cid = ?"
        args: list[Any] = [cid]
        if before is not None:
            sql += " AND (clock < ? OR (clock = ? AND id < ?))"
            args += [before[0], before[0], before[1]]
        if author:
            sql += " AND author = ?"
            args.append(author)
        if type:
            sql += " AND type = ?"
            args.append(type)
        sql += " ORDER BY clock DESC, id DESC LIMIT ?"
        return [EventRow(*row) for row in self.db.execute(sql, [*args, limit])]

    def event(self, event_id: bytes) -> EventRow | None:
        row = self.db.execute(
            f"SELECT {self._COLUMNS} FROM events WHERE id = ?", (event_id,)
        ).fetchone()
        return EventRow(*row) if row else None

    def find_events(self, cid: int, prefix: str) -> list[bytes]:
        low, high = prefix_range(prefix)
        rows = self.db.execute(
            "SELECT id FROM events WHERE id BETWEEN ? AND ? AND cid = ? LIMIT 2", (low, high, cid)
        )
        return [row[0] for row in rows]

    def heads(self, cid: int) -> list[bytes]:
        return [
            r[0] for r in self.db.execute("SELECT id FROM heads WHERE cid = ? ORDER BY id", (cid,))
        ]

    def move_heads(self, cid: int, remove: Iterable[bytes], add: Iterable[bytes]) -> None:
        # A batch names thousands of parents, of which only a few are current heads.
        current = set(self.heads(cid))
        for marks, chunk in in_lists([eid for eid in set(remove) if eid in current]):
            self.db.execute(f"DELETE FROM heads WHERE cid = ? AND id IN ({marks})", (cid, *chunk))
        self._insert_rows("INSERT OR IGNORE INTO heads", 2, [(cid, eid) for eid in add])

    def ineffective(self, cid: int) -> Iterator[tuple[bytes, bytes]]:
        yield from self.db.execute(
            "SELECT id, refusal FROM events WHERE cid = ? AND refusal IS NOT NULL ORDER BY id",
            (cid,),
        )

    # -- events to fold again (after a migration that changed the folded state) ------------

    def refold_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM refold").fetchone()[0])

    def refold_events(self) -> Iterator[bytes]:
        """The raw events a migration set aside, in an order whose parents come first:
        commons as they were added here, then each one's fold order."""
        last = 0
        while True:
            rows = self.db.execute(
                "SELECT rowid, raw FROM refold WHERE rowid > ? ORDER BY rowid LIMIT 4096", (last,)
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield from (raw for _, raw in rows)

    def refold_done(self) -> None:
        self.db.execute("DELETE FROM refold")

    # -- folded state ----------------------------------------------------------------------

    def get_records(self, cid: int, keys: Iterable[str]) -> dict[str, Any]:
        return {key: cbor2.loads(value) for key, value in self.get_raw_records(cid, keys).items()}

    def get_raw_records(self, cid: int, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored (canonical CBOR) values of the records among ``keys`` that exist."""
        keys = list(keys)
        if len(keys) == 1:
            row = self.db.execute(
                "SELECT value FROM records WHERE cid = ? AND key = ?", (cid, keys[0])
            ).fetchone()
            return {keys[0]: row[0]} if row else {}
        found: dict[str, bytes] = {}
        for marks, chunk in in_lists(keys):
            found.update(
                self.db.execute(
                    f"SELECT key, value FROM records WHERE cid = ? AND key IN ({marks})",
                    (cid, *chunk),
                ).fetchall()
            )
        return found

    def put_records(self, cid: int, writes: dict[str, Any]) -> None:
        self.put_raw_records(
            cid,
            {k: None if v is None else canonical.encode(v) for k, v in writes.items()},
            {k: summary_of(v) for k, v in writes.items()},
        )

    def put_raw_records(
        self, cid: int, writes: dict[str, bytes | None], summaries: dict[str, Summary]
    ) -> None:
        """Like put_records, with the values already in canonical CBOR (None deletes) and
        their ``summary_of`` given."""
        self._insert_rows(
            "INSERT OR REPLACE INTO records (cid, key, value, state, time)",
            5,
            sorted(
                (cid, k, v, *summaries.get(k, (None, None)))
                for k, v in writes.items()
                if v is not None
            ),
        )
        for marks, chunk in in_lists([k for k, v in writes.items() if v is None]):
            self.db.execute(
                f"DELETE FROM records WHERE cid = ? AND key IN ({marks})", (cid, *chunk)
            )

    def scan_records(
        self,
        cid: int,
        prefix: str,
        states: Iterable[str] | None = None,
        *,
        oldest: int | None = None,
        newest: int | None = None,
        last: int | None = None,
    ) -> Iterator[tuple[str, Any]]:
        """Records whose key starts with ``prefix`` (and whose state is among ``states``);
        with ``oldest`` or ``newest``, only that many, by time; with ``last``, the last that
        many by key, the last first (a journal's latest entries)."""
        # Keys sort as UTF-8 bytes; every key with the prefix lies below prefix + U+10FFFF.
        by_state = states is not None and (oldest is not None or newest is not None)
        # By state and time, the index holds the order: walk it rather than the keys.
        table = "records INDEXED BY records_state" if by_state else "records"
        sql = f"SELECT key, value FROM {table} WHERE cid = ? AND key >= ? AND key < ?"
        args: list[Any] = [cid, prefix, prefix + "\U0010ffff"]
        if states is not None:
            wanted = list(states)
            sql += f" AND state IS NOT NULL AND state IN ({','.join('?' * len(wanted))})"
            args += wanted
        if oldest is not None:
            sql += " ORDER BY time, key LIMIT ?"
            args.append(oldest)
        elif newest is not None:
            sql += " ORDER BY time DESC, key DESC LIMIT ?"
            args.append(newest)
        elif last is not None:
            sql += " ORDER BY key DESC LIMIT ?"
            args.append(last)
        else:
            sql += " ORDER BY key"
        for key, value in self.db.execute(sql, args):
            yield key, cbor2.loads(value)

    def count_records(self, cid: int, prefix: str) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM records WHERE cid = ? AND key >= ? AND key < ?",
            (cid, prefix, prefix + "\U0010ffff"),
        ).fetchone()
        return int(row[0])

    def count_states(self, cid: int, prefix: str) -> dict[str | None, int]:
        """How many records under ``prefix`` are in each state (records with none left out)."""
        return dict(
            self.db.execute(
                "SELECT state, count(*) FROM records INDEXED BY records_state "
                "WHERE cid = ? AND state IS NOT NULL AND key >= ? AND key < ? GROUP BY state",
                (cid, prefix, prefix + "\U0010ffff"),
            ).fetchall()
        )

    def raw_records(self, cid: int) -> Iterator[tuple[str, bytes]]:
        yield from self.db.execute(
            "SELECT key, value FROM records WHERE cid = ? ORDER BY key", (cid,)
        )
