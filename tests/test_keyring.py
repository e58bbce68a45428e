import json
import os
import stat
from pathlib import Path

import nacl.pwhash
import pytest

from communs.core.errors import Ambiguous, BadInput, NotFound, Refused
from communs.core.identity import Identity, verify
from communs.node.home.keyring import KeyInfo, Keyring

FAST = {
    "opslimit": nacl.pwhash.argon2id.OPSLIMIT_MIN,
    "memlimit": nacl.pwhash.argon2id.MEMLIMIT_MIN,
}

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    return Keyring(tmp_path / "home" / "identities")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
def test_folder_is_0700_and_files_0600(tmp_path: Path) -> None:
    old_umask = os.umask(0)  # the most permissive umask must not loosen anything
    try:
        keyring = Keyring(tmp_path / "identities")
        keyring.create("alice")
        keyring.create("bob", "secret", **FAST)
        keyring.set_default("bob")
    finally:
        os.umask(old_umask)
    assert _mode(tmp_path / "identities") == 0o700
    for file in (tmp_path / "identities").iterdir():
        assert _mode(file) == 0o600, file.name


@posix_only
def test_existing_folder_is_tightened(tmp_path: Path) -> None:
    (tmp_path / "identities").mkdir(mode=0o755)
    os.chmod(tmp_path / "identities", 0o755)
    Keyring(tmp_path / "identities")
    assert _mode(tmp_path / "identities") == 0o700


def test_plain_round_trip(keyring: Keyring) -> None:
    created = keyring.create("alice")
    loaded = keyring.load("alice")
    assert loaded.did == created.did
    assert loaded.seed == created.seed
    assert verify(created.did, b"message", loaded.sign(b"message"))
    data = json.loads((keyring.root / "alice.json").read_text())
    assert data["name"] == "alice"
    assert data["did"] == created.did
    assert isinstance(data["created"], int)
    assert data["key"] == {"type": "plain", "seed": created.seed.hex()}


def test_encrypted_round_trip(keyring: Keyring) -> None:
    created = keyring.create("alice", "correct horse", **FAST)
    assert keyring.load("alice", "correct horse").seed == created.seed
    key = json.loads((keyring.root / "alice.json").read_text())["key"]
    assert key["type"] == "argon2id-secretbox"
    assert key["opslimit"] == FAST["opslimit"] and key["memlimit"] == FAST["memlimit"]
    assert len(bytes.fromhex(key["salt"])) == nacl.pwhash.argon2id.SALTBYTES


def test_encrypted_file_does_not_hold_the_seed_in_clear(keyring: Keyring) -> None:
    created = keyring.create("alice", "correct horse", **FAST)
    raw = (keyring.root / "alice.json").read_bytes()
    assert created.seed.hex().encode() not in raw
    assert created.seed not in raw
    assert b"seed" not in raw


def test_passphrase_needed_and_wrong_passphrase(keyring: Keyring) -> None:
    keyring.create("alice", "correct horse", **FAST)
    with pytest.raises(
        Refused,
        match="'alice' is encrypted: give its passphrase with "
        "--passphrase-file or COMMUNS_PASSPHRASE",
    ):
        keyring.load("alice")
    with pytest.raises(Refused, match="wrong passphrase for identity 'alice'"):
        keyring.load("alice", "battery staple")


def test_passphrase_is_unicode_normalized(keyring: Keyring) -> None:
    created = keyring.create("alice", "caf\u00e9", **FAST)  # é as one code point
    assert keyring.load("alice", "cafe\u0301").did == created.did  # e + combining accent


def test_empty_passphrase_is_refused(keyring: Keyring) -> None:
    with pytest.raises(BadInput):
        keyring.create("alice", "", **FAST)
    assert keyring.list() == []


@pytest.mark.parametrize("name", ["", ".hidden", "a" * 41, "with space", "a/b", "../up", "é"])
def test_bad_names_are_refused(keyring: Keyring, name: str) -> None:
    with pytest.raises(BadInput, match="cannot name an identity"):
        keyring.create(name)


@pytest.mark.parametrize("name", ["a", "A-b_c.d", "x" * 40, "0day", "-dash"])
def test_good_names(keyring: Keyring, name: str) -> None:
    keyring.create(name)
    assert [info.name for info in keyring.list()] == [name]


def test_existing_name_is_refused(keyring: Keyring) -> None:
    first = keyring.create("alice")
    with pytest.raises(Refused, match="already exists"):
        keyring.create("alice")
    assert keyring.load("alice").did == first.did


def test_unknown_name_lists_the_known_ones(keyring: Keyring) -> None:
    with pytest.raises(NotFound, match="no identity yet"):
        keyring.load("nobody")
    keyring.create("alice")
    keyring.create("bob")
    with pytest.raises(NotFound, match="alice, bob"):
        keyring.load("nobody")


def test_list_is_sorted_by_creation_then_name(keyring: Keyring) -> None:
    for name in ("carol", "alice", "bob"):
        keyring.create(name)
    for name, created in (("carol", 1000), ("alice", 2000), ("bob", 1000)):
        file = keyring.root / f"{name}.json"
        data = json.loads(file.read_text())
        file.write_text(json.dumps({**data, "created": created}))
    infos = keyring.list()
    assert [info.name for info in infos] == ["bob", "carol", "alice"]
    assert all(isinstance(info, KeyInfo) and not info.encrypted for info in infos)


def test_info_by_name_or_did_prefix(keyring: Keyring) -> None:
    alice = keyring.create("alice")
    keyring.create("bob", "pw", **FAST)
    assert keyring.info("alice").did == alice.did
    assert keyring.info(alice.did).name == "alice"
    assert keyring.info(alice.did[:20]).name == "alice"
    assert keyring.info(alice.did.removeprefix("did:key:")[:20]).name == "alice"
    assert keyring.info("bob").encrypted
    with pytest.raises(Ambiguous, match="alice, bob"):
        keyring.info("did:key:z6Mk")
    with pytest.raises(NotFound):
        keyring.info("did:key:zNOPE")
    with pytest.raises(NotFound):
        keyring.info("")


def test_default_is_the_oldest_until_one_is_chosen(keyring: Keyring) -> None:
    assert keyring.default() is None
    keyring.create("alice")
    keyring.create("bob")
    alice = json.loads((keyring.root / "alice.json").read_text())
    (keyring.root / "alice.json").write_text(json.dumps({**alice, "created": 1}))
    assert keyring.default().name == "alice"
    keyring.set_default("bob")
    assert (keyring.root / "default").read_text().strip() == "bob"
    assert keyring.default().name == "bob"
    with pytest.raises(NotFound):
        keyring.set_default("nobody")


def test_missing_default_is_not_silently_replaced(keyring: Keyring) -> None:
    keyring.create("alice")
    keyring.create("bob")
    keyring.set_default("bob")
    (keyring.root / "bob.json").unlink()
    with pytest.raises(NotFound, match="default identity 'bob' is missing"):
        keyring.default()


def test_export_and_import_to_another_node(tmp_path: Path) -> None:
    here, there = Keyring(tmp_path / "here"), Keyring(tmp_path / "there")
    created = here.create("alice", "pw", **FAST)
    exported = here.export("alice")
    info = there.import_(json.loads(json.dumps(exported)))
    assert info == here.info("alice")
    assert there.load("alice", "pw").seed == created.seed
    with pytest.raises(Refused, match="already exists"):
        there.import_(exported)
    with pytest.raises(Refused, match="already here, named 'alice'"):
        there.import_({**exported, "name": "alice2"})


def test_import_checks_the_content(keyring: Keyring) -> None:
    identity = Identity.generate()
    other = Identity.generate()
    good = {
        "name": "x",
        "did": identity.did,
        "created": 1,
        "key": {"type": "plain", "seed": identity.seed.hex()},
    }
    for bad in (
        {**good, "name": "../x"},
        {**good, "did": "did:web:example.org"},
        {**good, "created": "yesterday"},
        {**good, "key": {"type": "rot13", "seed": identity.seed.hex()}},
        {**good, "key": {"type": "plain", "seed": "zz"}},
        {**good, "key": {"type": "plain", "seed": other.seed.hex()}},  # seed of someone else
        {
            **good,
            "key": {
                "type": "argon2id-secretbox",
                "salt": "00",
                "box": "00",
                "opslimit": 1,
                "memlimit": 1,
            },
        },
    ):
        with pytest.raises(BadInput):
            keyring.import_(bad)
    assert keyring.list() == []
    assert keyring.import_(good).did == identity.did


def test_no_temporary_files_are_left(keyring: Keyring) -> None:
    keyring.create("alice")
    keyring.create("bob", "pw", **FAST)
    keyring.set_default("alice")
    assert sorted(p.name for p in keyring.root.iterdir()) == ["alice.json", "bob.json", "default"]
