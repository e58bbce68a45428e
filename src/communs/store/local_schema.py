"""The schema of a node's local database (``local.db``): numbered migrations, each run once, in
order, in the transaction that records it — as the event store's (``sqlite_schema``)."""

import sqlite3

from .sqlite_schema import Migration, run_script


def _migration_1(db: sqlite3.Connection) -> None:
    """The tables as local.db had them before it had migrations: ``IF NOT EXISTS``, so that a
    file of that release opens as it is, losing nothing, and is recorded as migrated."""
    run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS peers (
            url TEXT PRIMARY KEY,
            source TEXT NOT NULL DEFAULT 'manual',
            added INTEGER NOT NULL,
            last_ok INTEGER,
            last_error TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            retry_at REAL NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS follows (commons BLOB PRIMARY KEY, added INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS authors (did TEXT PRIMARY KEY, status TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '', added INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS policies (commons BLOB PRIMARY KEY, accept TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS file_policies (scope BLOB PRIMARY KEY, fetch TEXT,
            quota INTEGER);
        CREATE TABLE IF NOT EXISTS ballots (proposal BLOB NOT NULL, voter TEXT NOT NULL,
            ballot BLOB NOT NULL, salt BLOB NOT NULL, PRIMARY KEY (proposal, voter));
        CREATE TABLE IF NOT EXISTS refusals (rowid INTEGER PRIMARY KEY, time INTEGER NOT NULL,
            peer TEXT NOT NULL, commons BLOB, event BLOB, reason TEXT NOT NULL)
        """,
    )


def _migration_2(db: sqlite3.Connection) -> None:
    """Quotas for authors without accepted work, per commons (NULL: the node's default), and
    refusals counted by reason: a flood of millions keeps counts and the latest rows only."""
    run_script(
        db,
        """
        ALTER TABLE policies ADD COLUMN stranger_events INTEGER;
        ALTER TABLE policies ADD COLUMN stranger_bytes INTEGER;
        CREATE TABLE refusal_counts (reason TEXT PRIMARY KEY, count INTEGER NOT NULL);
        INSERT INTO refusal_counts SELECT reason, count(*) FROM refusals GROUP BY reason
        """,
    )


def _migration_3(db: sqlite3.Connection) -> None:
    """Each person's notifications, kept on their node and never in the log: one row per
    event that concerns them (a fork's copy of an event is the same row), read or not; how far
    each person's inbox has read the events stored (their place in the event store); their last
    visit; their private feed's key."""
    run_script(
        db,
        """
        CREATE TABLE inbox (person TEXT NOT NULL, event BLOB NOT NULL, commons BLOB NOT NULL,
            why TEXT NOT NULL, time INTEGER NOT NULL, read INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (person, event));
        CREATE INDEX inbox_by_time ON inbox (person, time);
        CREATE TABLE inbox_seen (person TEXT PRIMARY KEY, seq INTEGER NOT NULL);
        CREATE TABLE visits (person TEXT PRIMARY KEY, seen INTEGER NOT NULL);
        CREATE TABLE feed_keys (key TEXT PRIMARY KEY, person TEXT NOT NULL UNIQUE)
        """,
    )


def _migration_4(db: sqlite3.Connection) -> None:
    """Personal data a person gives a commons of this node (``store/personal``), one row a
    field, and who read it, when."""
    run_script(
        db,
        """
        CREATE TABLE personal (commons BLOB NOT NULL, person TEXT NOT NULL,
            field TEXT NOT NULL, value TEXT NOT NULL, updated INTEGER NOT NULL,
            PRIMARY KEY (commons, person, field));
        CREATE INDEX personal_by_person ON personal (person);
        CREATE TABLE personal_reads (commons BLOB NOT NULL, person TEXT NOT NULL,
            reader TEXT NOT NULL, time INTEGER NOT NULL);
        CREATE INDEX personal_reads_by_person ON personal_reads (person, commons, time)
        """,
    )


MIGRATIONS: list[Migration] = [_migration_1, _migration_2, _migration_3, _migration_4]
