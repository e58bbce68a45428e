"""Each person's notifications in the node's local database (never replicated): one row per
event that concerns them, read or not, how far their inbox has looked at the events stored,
their last visit to the home page, and the key of their private feed. Mixed into
``LocalState``."""

import secrets
from collections.abc import Callable
from typing import Any


class Inbox:
    """Needs ``_run(sql, args)`` (``LocalState``)."""

    _run: Callable[..., list[tuple[Any, ...]]]

    def inbox_add(self, person: str, rows: list[tuple[bytes, bytes, str, int]]) -> None:
        """``rows``: (event, commons, why, time); an event already there stays as it is."""
        for event, commons, why, time in rows:
            self._run(
                "INSERT OR IGNORE INTO inbox (person, event, commons, why, time) "
                "VALUES (?, ?, ?, ?, ?)",
                (person, event, commons, why, time),
            )

    def inbox(self, person: str, limit: int, before: int | None = None) -> list[dict[str, Any]]:
        """The person's notifications, newest first (``before``: older than this time)."""
        rows = self._run(
            "SELECT event, commons, why, time, read FROM inbox WHERE person = ? AND time < ? "
            "ORDER BY time DESC, event LIMIT ?",
            (person, before if before is not None else 2**62, limit),
        )
        names = ("event", "commons", "why", "time", "read")
        return [dict(zip(names, row, strict=True)) | {"read": bool(row[4])} for row in rows]

    def inbox_holds(self, person: str, event: bytes) -> bool:
        return bool(
            self._run("SELECT 1 FROM inbox WHERE person = ? AND event = ?", (person, event))
        )

    def inbox_unread(self, person: str) -> int:
        rows = self._run("SELECT count(*) FROM inbox WHERE person = ? AND read = 0", (person,))
        return int(rows[0][0])

    def inbox_mark_read(self, person: str, event: bytes | None = None) -> None:
        """One notification read, or (``event`` None) all of them."""
        if event is None:
            self._run("UPDATE inbox SET read = 1 WHERE person = ? AND read = 0", (person,))
        else:
            self._run("UPDATE inbox SET read = 1 WHERE person = ? AND event = ?", (person, event))

    def inbox_seen(self, person: str) -> int | None:
        """How far the person's inbox has looked at the events stored (their place)."""
        rows = self._run("SELECT seq FROM inbox_seen WHERE person = ?", (person,))
        return int(rows[0][0]) if rows else None

    def set_inbox_seen(self, person: str, seq: int) -> None:
        self._run(
            "INSERT INTO inbox_seen VALUES (?, ?) ON CONFLICT (person) DO UPDATE SET seq = ?",
            (person, seq, seq),
        )

    def last_visit(self, person: str) -> int | None:
        rows = self._run("SELECT seen FROM visits WHERE person = ?", (person,))
        return rows[0][0] if rows else None

    def visited(self, person: str, at: int) -> None:
        self._run(
            "INSERT INTO visits VALUES (?, ?) ON CONFLICT (person) DO UPDATE SET seen = ?",
            (person, at, at),
        )

    def feed_key(self, person: str) -> str:
        """The key of the person's private feed, made the first time it is asked for."""
        rows = self._run("SELECT key FROM feed_keys WHERE person = ?", (person,))
        if rows:
            return str(rows[0][0])
        key = secrets.token_urlsafe(24)
        self._run("INSERT INTO feed_keys VALUES (?, ?)", (key, person))
        return key

    def feed_owner(self, key: str) -> str | None:
        rows = self._run("SELECT person FROM feed_keys WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def inbox_forget(self, person: str) -> None:
        """Everything the node keeps for a person's inbox, gone: their notifications, how far
        it looked, their last visit and their feed's key."""
        for table in ("inbox", "inbox_seen", "visits", "feed_keys"):
            self._run(f"DELETE FROM {table} WHERE person = ?", (person,))
