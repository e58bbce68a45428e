"""Personal data in the node's local database: what a person gives one commons of this node
to be paid or served (legal name, bank account, address…), and who read it, when. Never
in the log, never replicated, erased for good on request (``secure_delete`` overwrites the
rows, and the write-ahead log is truncated). Mixed into ``LocalState``."""

import time
from collections.abc import Callable
from typing import Any


class Personal:
    """Needs ``_run(sql, args)`` (``LocalState``)."""

    _run: Callable[..., list[tuple[Any, ...]]]

    def personal_set(self, commons: bytes, person: str, fields: dict[str, str]) -> None:
        """Set the person's fields; an empty value removes its field."""
        now = int(time.time())
        for field, value in fields.items():
            if value:
                self._run(
                    "INSERT OR REPLACE INTO personal VALUES (?, ?, ?, ?, ?)",
                    (commons, person, field, value, now),
                )
            else:
                self._run(
                    "DELETE FROM personal WHERE commons = ? AND person = ? AND field = ?",
                    (commons, person, field),
                )

    def personal_get(self, commons: bytes, people: list[str]) -> dict[str, dict[str, Any]]:
        """Each person's fields and when they last changed them (people with none: absent)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(people), 500):
            chunk = people[start : start + 500]
            rows = self._run(
                "SELECT person, field, value, updated FROM personal WHERE commons = ? AND "
                f"person IN ({','.join('?' * len(chunk))})",
                (commons, *chunk),
            )
            for person, field, value, updated in rows:
                held = found.setdefault(person, {"fields": {}, "updated": 0})
                held["fields"][field] = value
                held["updated"] = max(held["updated"], updated)
        return found

    def personal_read(self, commons: bytes, person: str, reader: str) -> None:
        """Note that ``reader`` saw the person's data: the person sees who did, and when."""
        self._run(
            "INSERT INTO personal_reads VALUES (?, ?, ?, ?)",
            (commons, person, reader, int(time.time())),
        )

    def personal_reads(self, commons: bytes, person: str, limit: int) -> list[dict[str, Any]]:
        rows = self._run(
            "SELECT reader, time FROM personal_reads WHERE commons = ? AND person = ? "
            "ORDER BY time DESC, rowid DESC LIMIT ?",
            (commons, person, limit),
        )
        return [{"reader": reader, "time": when} for reader, when in rows]

    def personal_of(self, person: str) -> list[dict[str, Any]]:
        """Everything held about a person, in every commons: their fields and who read them."""
        rows = self._run(
            "SELECT commons, field, value, updated FROM personal WHERE person = ? "
            "ORDER BY commons, field",
            (person,),
        )
        reads = self._run(
            "SELECT commons, reader, time FROM personal_reads WHERE person = ? ORDER BY time",
            (person,),
        )
        held: dict[bytes, dict[str, Any]] = {}
        for commons, field, value, updated in rows:
            entry = held.setdefault(commons, {"commons": commons, "fields": {}, "reads": []})
            entry["fields"][field] = {"value": value, "updated": updated}
        for commons, reader, when in reads:
            entry = held.setdefault(commons, {"commons": commons, "fields": {}, "reads": []})
            entry["reads"].append({"reader": reader, "time": when})
        return list(held.values())

    def personal_erase(self, commons: bytes, person: str) -> int:
        """Erase what the commons holds about the person, and the record of who read it;
        how many fields were erased."""
        gone = self._run(
            "DELETE FROM personal WHERE commons = ? AND person = ? RETURNING field",
            (commons, person),
        )
        self._run("DELETE FROM personal_reads WHERE commons = ? AND person = ?", (commons, person))
        self._run("PRAGMA wal_checkpoint(TRUNCATE)")  # no copy left in the write-ahead log
        return len(gone)
