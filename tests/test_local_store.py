"""A node's local database (local.db) has numbered migrations, like the event store: a file
of the release before them opens as it was, losing nothing."""

import sqlite3

import pytest

from communs.core.errors import Refused
from communs.store.local import LocalState
from communs.store.local_schema import MIGRATIONS

ALL = list(range(1, len(MIGRATIONS) + 1))  # every migration, in order

BEFORE_MIGRATIONS = """
CREATE TABLE peers (url TEXT PRIMARY KEY, source TEXT NOT NULL DEFAULT 'manual',
    added INTEGER NOT NULL, last_ok INTEGER, last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0, retry_at REAL NOT NULL DEFAULT 0);
CREATE TABLE follows (commons BLOB PRIMARY KEY, added INTEGER NOT NULL);
CREATE TABLE authors (did TEXT PRIMARY KEY, status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '', added INTEGER NOT NULL);
CREATE TABLE policies (commons BLOB PRIMARY KEY, accept TEXT NOT NULL);
CREATE TABLE file_policies (scope BLOB PRIMARY KEY, fetch TEXT, quota INTEGER);
CREATE TABLE ballots (proposal BLOB NOT NULL, voter TEXT NOT NULL,
    ballot BLOB NOT NULL, salt BLOB NOT NULL, PRIMARY KEY (proposal, voter));
CREATE TABLE refusals (rowid INTEGER PRIMARY KEY, time INTEGER NOT NULL,
    peer TEXT NOT NULL, commons BLOB, event BLOB, reason TEXT NOT NULL);
INSERT INTO peers (url, added) VALUES ('http://127.0.0.1:8470', 1);
INSERT INTO follows VALUES (x'00112233', 2);
INSERT INTO refusals (time, peer, commons, event, reason)
    VALUES (3, 'http://127.0.0.1:8470', NULL, NULL, 'blocked author');
"""


def test_a_local_db_of_the_release_before_migrations_keeps_everything(tmp_path):
    path = tmp_path / "local.db"
    old = sqlite3.connect(path)
    old.executescript(BEFORE_MIGRATIONS)
    old.close()
    local = LocalState(path)
    try:
        assert [p["url"] for p in local.peers()] == ["http://127.0.0.1:8470"]
        assert local.follows() == [bytes.fromhex("00112233")]
        assert [r["reason"] for r in local.refusals()] == ["blocked author"]
        versions = local.db.execute("SELECT version, name FROM migrations").fetchall()
        assert versions == [(n, f"_migration_{n}") for n in ALL]
        assert local.refusal_counts() == {"blocked author": 1}  # counted from the old rows
    finally:
        local.close()
    again = LocalState(path)  # opened again: nothing to run, nothing lost
    try:
        assert local_versions(again) == ALL and len(again.peers()) == 1
    finally:
        again.close()


def local_versions(local: LocalState) -> list[int]:
    return [row[0] for row in local.db.execute("SELECT version FROM migrations")]


def test_a_local_db_of_a_newer_release_is_refused_untouched(tmp_path):
    path = tmp_path / "local.db"
    LocalState(path).close()
    db = sqlite3.connect(path)
    with db:
        db.execute("INSERT INTO migrations VALUES (99, '_migration_99')")
    db.close()
    with pytest.raises(Refused, match="written by a newer Communs; upgrade Communs"):
        LocalState(path)
    db = sqlite3.connect(path)
    versions = [r[0] for r in db.execute("SELECT version FROM migrations ORDER BY version")]
    assert versions == [*ALL, 99]
    db.close()


def test_a_new_local_db_keeps_what_a_node_chooses(tmp_path):
    local = LocalState(tmp_path / "local.db")
    try:
        assert local.add_peer("127.0.0.1:9000") == "http://127.0.0.1:9000"
        local.follow(b"c" * 32)
        local.set_author("did:key:zBlocked", "blocked", "spam")
        local.set_policy(b"c" * 32, "maintainers")
        local.set_file_policy(None, fetch="lazy", quota=1000)
        assert local.policy(b"c" * 32) == "maintainers" and local.policy(b"d" * 32) == "anyone"
        assert local.authors("blocked") == {"did:key:zBlocked"}
        assert local.file_policy(b"c" * 32) == {"fetch": "lazy", "quota": None}
        assert local.file_policy(None) == {"fetch": "lazy", "quota": 1000}
        assert local_versions(local) == ALL
    finally:
        local.close()
