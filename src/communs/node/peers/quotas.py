"""Quotas for strangers: how much this node takes, per commons, from authors without
accepted work there.

An author is known in a commons when it maintains it, when this node follows them, or when
they have accepted work there (an accepted or patrolled contribution, a validated task).
Known authors' events are taken as the commons' policy says; each other author gets so many
events and bytes an hour (``local.stranger_quota``), after which their events are refused
with a message saying when to try again — a flood from new identities costs this node a
bounded amount of work, while a newcomer still gets in. Counts live in memory, by the hour.
"""

import threading
import time
from collections.abc import Iterable

from ... import domain
from ...domain.contributions import contribution_key
from ...domain.tasks import task_key
from ..files.fetching import human
from ..home.shared import Shared

HOUR = 3600
# Events that may give their subject's author accepted work: only these are read.
DECISIONS = (b"contribution.accept", b"contribution.patrol", b"task.validate")
# Events that may take it away: the commons' known authors are read again when next needed.
UNDOINGS = (b"contribution.revert", b"task.reopen", b"task.invalidate")


def over_quota(events: int, size: int) -> str:
    return (
        f"this node takes at most {events} events and {human(size)} an hour from each author "
        "without accepted work in this commons; try again later, or ask a maintainer to "
        "accept your work"
    )


class KnownAuthors:
    """Per commons, the authors with accepted work: read once (by state, from the records'
    index), then kept up to date from the decisions this node adds. Used under the node's
    lock."""

    def __init__(self, shared: Shared):
        self.home = shared.home
        self._by_commons: dict[bytes, set[str]] = {}
        shared.home.listeners.append(self._added)

    def of(self, commons: bytes) -> set[str]:
        known = self._by_commons.get(commons)
        if known is None:
            known = self._by_commons[commons] = self._read(commons)
        return known

    def _read(self, commons: bytes) -> set[str]:
        store = self.home.store
        cid = store.commons_cid(commons)
        if cid is None:
            return set()
        known = {r["author"] for _, r in store.scan_records(cid, "contribution/", ("accepted",))}
        known |= {
            r["author"]
            for _, r in store.scan_records(cid, "contribution/", ("published",))
            if r.get("patrolled_by")
        }
        known |= {r["doer"] for _, r in store.scan_records(cid, "task/", ("validated",))}
        known.discard(None)  # type: ignore[arg-type]
        return known

    def _added(self, added: list[tuple[bytes, bytes]], source: str | None) -> None:
        for commons, raw in added:
            known = self._by_commons.get(commons)
            if known is None or not any(kind in raw for kind in DECISIONS + UNDOINGS):
                continue
            event = domain.parse_checked(raw)
            body = event.body
            if event.type.encode() in UNDOINGS:  # rare: reading again is simpler than undoing
                del self._by_commons[commons]
                continue
            if event.type in ("contribution.accept", "contribution.patrol"):
                key, who, states = contribution_key(body.contribution), "author", ("accepted",)
                states += ("published",) if event.type == "contribution.patrol" else ()
            elif event.type == "task.validate":
                key, who, states = task_key(body.task), "doer", ("validated",)
            else:
                continue
            store = self.home.store
            cid = store.commons_cid(commons)
            record = store.get_records(cid, [key]).get(key) if cid is not None else None
            if record and record.get("state") in states and record.get(who):
                known.add(record[who])


class StrangerQuota:
    """Events and bytes taken this hour from each (commons, author)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._hour = 0
        self._used: dict[tuple[bytes, str], list[int]] = {}

    def take(self, commons: bytes, author: str, size: int, limits: tuple[int, int]) -> bool:
        """Count one event of ``size`` bytes if the author's quota has room for it."""
        hour = int(time.time()) // HOUR
        with self._mutex:
            if hour != self._hour:
                self._hour, self._used = hour, {}
            used = self._used.setdefault((commons, author), [0, 0])
            if used[0] + 1 > limits[0] or used[1] + size > limits[1]:
                return False
            used[0] += 1
            used[1] += size
            return True

    def give_back(self, commons: bytes, charges: Iterable[tuple[str, int]]) -> None:
        """Uncount events taken but then not stored (refused at verification, or a push
        turned away): a forger naming someone else's key must not use up their quota."""
        with self._mutex:
            for author, size in charges:
                used = self._used.get((commons, author))
                if used is not None:  # not counted in an hour that has since passed
                    used[0] = max(0, used[0] - 1)
                    used[1] = max(0, used[1] - size)

    @staticmethod
    def retry_after() -> int:
        """Seconds until the quotas start again."""
        return HOUR - int(time.time()) % HOUR
