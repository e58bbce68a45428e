"""What is local to one node and never replicated: peers, follows, trusted and blocked authors,
acceptance policies, the log of events refused from peers, each person's notifications
(``inbox``) and the personal data people give a commons (``personal``). A small SQLite file
beside the event store (``local.db``, with numbered migrations in ``local_schema``), so a
node's choices never leak into the public log."""

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from ..core.errors import BadInput, NotFound
from ..domain.refusals import code, fault
from .inbox import Inbox
from .local_schema import MIGRATIONS
from .personal import Personal
from .sqlite_schema import migrate

ACCEPT = ("anyone", "maintainers")
FETCH = ("eager", "lazy")
NODE = b""  # the scope of the node-wide file policy
KEEP_REFUSALS = 10_000  # the latest refused events kept one by one; all are counted
# Events per hour and bytes per hour a commons takes from each author without accepted work
# in it (see ``node.peers.quotas``), unless its policy says otherwise.
STRANGER_EVENTS = 1_000
STRANGER_BYTES = 4 * 2**20
BACKOFF_MAX = 300.0  # seconds between tries of a peer that keeps failing

NOT_A_PEER_ADDRESS = code(
    "not_a_peer_address", "'{url}' is not a peer address: give http://HOST:PORT or HOST:PORT"
)
NOT_A_PEER = code("not_a_peer", "{url} is not a peer of this node; 'communs peer list' shows them")
ACCEPT_CHOICE = code("accept_choice", "accept must be one of {choices}")
STRANGER_QUOTA = code(
    "stranger_quota_number", "a quota is a number (0 or more), or none for the default"
)
FETCH_CHOICE = code("fetch_choice", "fetch must be one of {choices}")
FILE_QUOTA = code("file_quota_number", "a quota is a number of bytes (0 or more), or none")


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    scheme, _, rest = url.partition("://")
    if scheme not in ("http", "https") or not rest or "/" in rest:
        raise fault(BadInput, NOT_A_PEER_ADDRESS, url=url)
    return url


class LocalState(Inbox, Personal):
    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA secure_delete = ON")  # erased personal data is overwritten
        self.db.execute("BEGIN IMMEDIATE")
        try:
            migrate(self.db, MIGRATIONS, str(path))
        except BaseException:
            self.db.execute("ROLLBACK")
            self.db.close()
            raise
        self.db.execute("COMMIT")
        self.lock = threading.Lock()

    def close(self) -> None:
        self.db.close()

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    # -- peers ---------------------------------------------------------------------------

    def add_peer(self, url: str, source: str = "manual") -> str:
        url = normalize_url(url)
        self._run(
            "INSERT OR IGNORE INTO peers (url, source, added) VALUES (?, ?, ?)",
            (url, source, int(time.time())),
        )
        return url

    def add_lan_peer(self, url: str) -> None:
        """A node found on the local network (mDNS)."""
        self.add_peer(url, source="lan")

    def remove_peer(self, url: str) -> None:
        url = normalize_url(url)
        if not self._run("DELETE FROM peers WHERE url = ? RETURNING url", (url,)):
            raise fault(NotFound, NOT_A_PEER, url=url)

    def peers(self) -> list[dict[str, Any]]:
        rows = self._run(
            "SELECT url, source, added, last_ok, last_error, failures, retry_at "
            "FROM peers ORDER BY added, url"
        )
        names = ("url", "source", "added", "last_ok", "last_error", "failures", "retry_at")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def peer_ok(self, url: str) -> None:
        self._run(
            "UPDATE peers SET last_ok = ?, last_error = NULL, failures = 0, retry_at = 0 "
            "WHERE url = ?",
            (int(time.time()), url),
        )

    def peer_failed(self, url: str, reason: str, now: float) -> float:
        """Record a failure; the peer is tried again after an exponential backoff."""
        row = self._run("SELECT failures FROM peers WHERE url = ?", (url,))
        failures = (row[0][0] if row else 0) + 1
        retry_at = now + min(BACKOFF_MAX, 2.0 ** min(failures, 10))
        self._run(
            "UPDATE peers SET last_error = ?, failures = ?, retry_at = ? WHERE url = ?",
            (reason, failures, retry_at, url),
        )
        return retry_at

    # -- follows -------------------------------------------------------------------------

    def follow(self, commons: bytes) -> None:
        self._run("INSERT OR IGNORE INTO follows VALUES (?, ?)", (commons, int(time.time())))

    def unfollow(self, commons: bytes) -> None:
        self._run("DELETE FROM follows WHERE commons = ?", (commons,))

    def follows(self) -> list[bytes]:
        return [r[0] for r in self._run("SELECT commons FROM follows ORDER BY added")]

    # -- authors and policies --------------------------------------------------------------

    def set_author(self, did: str, status: str | None, reason: str = "") -> None:
        if status is None:
            self._run("DELETE FROM authors WHERE did = ?", (did,))
        else:
            self._run(
                "INSERT OR REPLACE INTO authors VALUES (?, ?, ?, ?)",
                (did, status, reason, int(time.time())),
            )

    def authors(self, status: str) -> set[str]:
        return {r[0] for r in self._run("SELECT did FROM authors WHERE status = ?", (status,))}

    def set_policy(
        self,
        commons: bytes,
        accept: str | None = None,
        *,
        stranger_events: Any = ...,
        stranger_bytes: Any = ...,
    ) -> None:
        """Set who may send events for ``commons`` (``accept``) and the hourly quotas of
        authors without accepted work there (None: the node's default); what is not given
        stays as it was."""
        if accept is not None and accept not in ACCEPT:
            raise fault(BadInput, ACCEPT_CHOICE, choices=list(ACCEPT))
        for quota in (stranger_events, stranger_bytes):
            if quota is not ... and quota is not None and (type(quota) is not int or quota < 0):
                raise fault(BadInput, STRANGER_QUOTA)
        row = self._run(
            "SELECT accept, stranger_events, stranger_bytes FROM policies WHERE commons = ?",
            (commons,),
        )
        old = row[0] if row else ("anyone", None, None)
        self._run(
            "INSERT OR REPLACE INTO policies VALUES (?, ?, ?, ?)",
            (
                commons,
                accept or old[0],
                old[1] if stranger_events is ... else stranger_events,
                old[2] if stranger_bytes is ... else stranger_bytes,
            ),
        )

    def policy(self, commons: bytes) -> str:
        row = self._run("SELECT accept FROM policies WHERE commons = ?", (commons,))
        return row[0][0] if row else "anyone"

    def stranger_quota(self, commons: bytes) -> tuple[int, int]:
        """(events, bytes) an hour taken from each author without accepted work in
        ``commons``."""
        row = self._run(
            "SELECT stranger_events, stranger_bytes FROM policies WHERE commons = ?", (commons,)
        )
        events, size = row[0] if row else (None, None)
        return (
            STRANGER_EVENTS if events is None else events,
            STRANGER_BYTES if size is None else size,
        )

    def set_file_policy(
        self, commons: bytes | None, *, fetch: str | None = None, quota: Any = ...
    ) -> None:
        """Set how files are fetched (``fetch``) and the disk ``quota`` in bytes (None: no
        quota) for a commons, or for the whole node when ``commons`` is None; what is not
        given stays as it was."""
        if fetch is not None and fetch not in FETCH:
            raise fault(BadInput, FETCH_CHOICE, choices=list(FETCH))
        if quota is not ... and quota is not None and (not isinstance(quota, int) or quota < 0):
            raise fault(BadInput, FILE_QUOTA)
        scope = commons or NODE
        row = self._run("SELECT fetch, quota FROM file_policies WHERE scope = ?", (scope,))
        old_fetch, old_quota = row[0] if row else (None, None)
        self._run(
            "INSERT OR REPLACE INTO file_policies VALUES (?, ?, ?)",
            (scope, fetch or old_fetch, old_quota if quota is ... else quota),
        )

    def file_policy(self, commons: bytes | None) -> dict[str, Any]:
        """``{"fetch", "quota"}`` in force for a commons (its own, else the node's), or for
        the node when ``commons`` is None."""
        rows = dict(
            (scope, (fetch, quota))
            for scope, fetch, quota in self._run(
                "SELECT scope, fetch, quota FROM file_policies WHERE scope IN (?, ?)",
                (NODE, commons or NODE),
            )
        )
        node_fetch, node_quota = rows.get(NODE, (None, None))
        if commons is None:
            return {"fetch": node_fetch or "eager", "quota": node_quota}
        own_fetch, own_quota = rows.get(commons, (None, None))
        return {"fetch": own_fetch or node_fetch or "eager", "quota": own_quota}

    # -- hidden ballots: what was committed, kept to reveal it after the close ---------------

    def keep_ballot(self, proposal: bytes, voter: str, ballot: bytes, salt: bytes) -> None:
        self._run(
            "INSERT OR REPLACE INTO ballots VALUES (?, ?, ?, ?)", (proposal, voter, ballot, salt)
        )

    def kept_ballot(self, proposal: bytes, voter: str) -> tuple[bytes, bytes] | None:
        rows = self._run(
            "SELECT ballot, salt FROM ballots WHERE proposal = ? AND voter = ?", (proposal, voter)
        )
        return (rows[0][0], rows[0][1]) if rows else None

    # -- refusals --------------------------------------------------------------------------

    def refused(self, peer: str, commons: bytes | None, event: bytes | None, reason: str) -> None:
        self.refused_many(peer, commons, [(event, reason)])

    def refused_many(
        self, peer: str, commons: bytes | None, refused: list[tuple[bytes | None, str]]
    ) -> None:
        """Count refused events by reason and keep the latest KEEP_REFUSALS of them, in one
        transaction however many a flood brings."""
        if not refused:
            return
        counts: dict[str, int] = {}
        for _, reason in refused:
            counts[reason] = counts.get(reason, 0) + 1
        now = int(time.time())
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany(
                    "INSERT INTO refusal_counts VALUES (?, ?) "
                    "ON CONFLICT (reason) DO UPDATE SET count = count + excluded.count",
                    list(counts.items()),
                )
                self.db.executemany(
                    "INSERT INTO refusals (time, peer, commons, event, reason) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(now, peer, commons, e, r) for e, r in refused[-KEEP_REFUSALS:]],
                )
                self.db.execute(
                    "DELETE FROM refusals WHERE rowid <= (SELECT max(rowid) FROM refusals) - ?",
                    (KEEP_REFUSALS,),
                )
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def refusals(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self._run(
            "SELECT time, peer, commons, event, reason FROM refusals ORDER BY rowid DESC LIMIT ?",
            (limit,),
        )
        return [
            {
                "time": t,
                "peer": p,
                "commons": c.hex() if c else None,
                "event": e.hex() if e else None,
                "reason": r,
            }
            for t, p, c, e, r in rows
        ]

    def refusal_counts(self) -> dict[str, int]:
        """Every event refused since this node began counting, by reason, most first."""
        return dict(
            self._run("SELECT reason, count FROM refusal_counts ORDER BY count DESC, reason")
        )
