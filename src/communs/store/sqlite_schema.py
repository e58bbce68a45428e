"""The SQLite store's schema: numbered migrations, each run once, in order, in the
transaction that records it."""

import sqlite3
from collections.abc import Callable

import cbor2

from ..core.errors import Refused
from ..domain.refusals import code, fault
from .base import summary_of

Migration = Callable[[sqlite3.Connection], None]
NEWER_DATABASE = code(
    "database_too_new", "this database ({path}) was written by a newer Communs; upgrade Communs"
)


def migrate(db: sqlite3.Connection, migrations: list[Migration], path: str) -> None:
    """Run the migrations ``db`` has not recorded yet, in order, recording each; the caller
    holds the transaction. A database written by a newer release is refused."""
    db.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT)")
    done = {row[0] for row in db.execute("SELECT version FROM migrations")}
    if done and max(done) > len(migrations):
        raise fault(Refused, NEWER_DATABASE, path=path)
    for version, migration in enumerate(migrations, start=1):
        if version not in done:
            migration(db)
            db.execute("INSERT INTO migrations VALUES (?, ?)", (version, migration.__name__))


def run_script(db: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT the migration's transaction half-way; run each statement.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _migration_1(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE commons (
            cid INTEGER PRIMARY KEY,
            id BLOB NOT NULL UNIQUE,
            parent BLOB,
            name TEXT NOT NULL DEFAULT '',
            events INTEGER NOT NULL DEFAULT 0,
            digest TEXT,
            created INTEGER NOT NULL
        );
        CREATE INDEX commons_parent ON commons(parent);
        CREATE TABLE events (
            rowid INTEGER PRIMARY KEY,
            id BLOB NOT NULL UNIQUE,
            cid INTEGER NOT NULL,
            clock INTEGER NOT NULL,
            type TEXT NOT NULL,
            author TEXT NOT NULL,
            time INTEGER NOT NULL,
            raw BLOB NOT NULL,
            reason TEXT,
            undo BLOB
        );
        CREATE INDEX events_order ON events(cid, clock, id);
        CREATE INDEX events_ineffective ON events(cid, id) WHERE reason IS NOT NULL;
        CREATE TABLE heads (cid INTEGER NOT NULL, id BLOB NOT NULL, PRIMARY KEY (cid, id))
            WITHOUT ROWID;
        CREATE TABLE records (cid INTEGER NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
            PRIMARY KEY (cid, key)) WITHOUT ROWID;
        CREATE TABLE pending (id BLOB PRIMARY KEY, raw BLOB NOT NULL);
        CREATE TABLE pending_needs (missing BLOB NOT NULL, id BLOB NOT NULL,
            PRIMARY KEY (missing, id)) WITHOUT ROWID;
        """,
    )


def _migration_2(db: sqlite3.Connection) -> None:
    """Records remember their ``state`` and ``time`` (contributions, tasks…): pages count,
    filter and order by them in SQL instead of decoding every record."""
    db.execute("ALTER TABLE records ADD COLUMN state TEXT")
    db.execute("ALTER TABLE records ADD COLUMN time INTEGER")
    rows = db.execute("SELECT cid, key, value FROM records").fetchall()
    db.executemany(
        "UPDATE records SET state = ?, time = ? WHERE cid = ? AND key = ?",
        [(*summary_of(cbor2.loads(value)), cid, key) for cid, key, value in rows],
    )


def _migration_3(db: sqlite3.Connection) -> None:
    """Counting contributions by state and finding the longest-waiting ones read this index
    alone (it holds the key too), never the records' values."""
    db.execute("CREATE INDEX records_state ON records(cid, state, time) WHERE state IS NOT NULL")


def _migration_4(db: sqlite3.Connection) -> None:
    """Refusals are stable codes and parameters, not English sentences: the state digest and
    the records hold them. The folded state of every commons is rebuilt from its events: they
    wait in ``refold``, parents first, for the node's write path to take them in again when
    the home opens; nothing else is lost (the pending area, files and local data stay)."""
    db.execute("ALTER TABLE events RENAME COLUMN reason TO refusal")
    db.execute("CREATE TABLE refold (rowid INTEGER PRIMARY KEY, raw BLOB NOT NULL)")
    _set_aside_for_refold(db)


def _set_aside_for_refold(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO refold (raw) SELECT raw FROM events ORDER BY cid, clock, id")
    for table in ("events", "heads", "records", "commons"):
        db.execute(f"DELETE FROM {table}")


def _migration_5(db: sqlite3.Connection) -> None:
    """The pending area is bounded: each waiting event keeps who sent it, its author and
    when it came (events already waiting count as sent by no one, long ago, and expire
    first); what is dropped is counted by reason. Releasing waiting events deletes them
    by id, which only the primary key's second column held: an index of its own."""
    run_script(
        db,
        """
        CREATE INDEX pending_needs_id ON pending_needs(id);
        ALTER TABLE pending ADD COLUMN peer TEXT NOT NULL DEFAULT '';
        ALTER TABLE pending ADD COLUMN author TEXT NOT NULL DEFAULT '';
        ALTER TABLE pending ADD COLUMN received INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX pending_peer ON pending(peer);
        CREATE INDEX pending_author ON pending(author);
        CREATE INDEX pending_received ON pending(received);
        CREATE TABLE pending_dropped (reason TEXT PRIMARY KEY, count INTEGER NOT NULL)
        """,
    )


def _migration_6(db: sqlite3.Connection) -> None:
    """Each event's row per record it read or wrote (``event_keys``): an event landing before
    the tip of the fold replays only the later events that touch what it changed. Stored
    events are folded again to fill it, as in migration 4."""
    db.execute(
        "CREATE TABLE event_keys (cid INTEGER NOT NULL, key TEXT NOT NULL, clock INTEGER NOT "
        "NULL, id BLOB NOT NULL, wrote INTEGER NOT NULL, PRIMARY KEY (cid, key, clock, id)) "
        "WITHOUT ROWID"
    )
    _set_aside_for_refold(db)


def _migration_7(db: sqlite3.Connection) -> None:
    """Credit is derived in the fold (``domain/credit.py``): accepted work earns points that
    the records hold. Stored events are folded again to earn them, as in migration 4."""
    db.execute("DELETE FROM event_keys")
    _set_aside_for_refold(db)


MIGRATIONS: list[Migration] = [
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
]
