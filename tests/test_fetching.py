"""Files in the fold and on the node, without a network: the signed info hash of a large
file, the canonical torrent every node makes alike, sizes and quotas, fetch policies."""

import hashlib
import os
import time

import libtorrent as lt
import pytest

from communs.core.errors import BadInput, InvalidEvent
from communs.node.files import torrents
from communs.node.files.blobs import TORRENT_FROM
from communs.node.files.fetching import FileRef, files_in, human, parse_size
from communs.node.home.folder import Actor, Home
from communs.node.service import Service
from communs.store.local import LocalState
from eventkit import blob, change, charter, reference_digest

MiB = 1024 * 1024


def with_torrent(path, blob_, torrent, base=None, size=5 * MiB):
    return {**change(path, blob_, base=base, size=size), "torrent": torrent}


def test_a_large_file_carries_its_torrent_through_accept_and_revert(world, peer):
    maintainer, author = world.writer(1), world.writer(2)
    commons = maintainer.create(charter("Films", [maintainer.me])).id
    author.learn(commons)
    first = author.propose(commons, [with_torrent("film.mkv", blob(1), blob(11))])
    maintainer.learn(first)
    accepted = maintainer.accept(commons, first.id)
    author.learn(accepted)
    second = author.propose(commons, [with_torrent("film.mkv", blob(2), blob(12), base=blob(1))])
    maintainer.learn(second)
    maintainer.accept(commons, second.id)
    peer.ingest(*world.order)
    assert peer.get(commons, "artifact/film.mkv")["torrent"] == blob(12)

    maintainer.revert(commons, second.id)
    peer.ingest(*world.order)
    restored = peer.get(commons, "artifact/film.mkv")
    assert (restored["blob"], restored["torrent"]) == (blob(1), blob(11))
    assert peer.digest(commons) == reference_digest(world, commons)


def test_small_files_keep_records_without_a_torrent_key(world, peer):
    author = world.writer(1)
    commons = author.create(charter("Notes", [author.me], mode="publish")).id
    author.propose(commons, [change("a.txt", blob(1), size=3)])
    peer.ingest(*world.order)
    assert "torrent" not in peer.get(commons, "artifact/a.txt")


def test_a_deletion_with_a_torrent_is_refused(world):
    author = world.writer(1)
    commons = author.create(charter("Notes", [author.me])).id
    with pytest.raises(InvalidEvent, match="no size and no torrent"):
        author.propose(commons, [{**change("a.txt", None, base=blob(1)), "torrent": blob(3)}])


def test_every_node_makes_the_same_torrent_of_the_same_bytes(tmp_path):
    data = os.urandom(3 * MiB + 5)
    hashes = set()
    for name in ("one", "two"):
        with Home(tmp_path / name) as home:
            stored = home.blobs.add_bytes(data)
            made = torrents.torrent_for(home, stored.hash, web_seed=None, tracker=None)
            info = lt.torrent_info(made)
            assert info.piece_length() == torrents.piece_size(len(data))
            hashes.add(torrents.info_hash_v2(made))
    assert len(hashes) == 1
    # the piece size is ours: about a thousand pieces, 32 KiB to 16 MiB
    assert torrents.piece_size(1) == 32 * 1024
    assert torrents.piece_size(200 * MiB) == 256 * 1024
    assert torrents.piece_size(1 << 40) == 16 * MiB


def test_a_contribution_signs_the_info_hash_of_large_files_only(tmp_path):
    big, small = tmp_path / "big.bin", tmp_path / "small.txt"
    big.write_bytes(os.urandom(TORRENT_FROM + 1))
    small.write_text("hello")
    service = Service(Home(tmp_path / "home"))
    try:
        service.identity_new("ann")
        commons = service.commons_create(Actor(), name="Films")["id"]
        files = {}
        for path in (big, small):
            with path.open("rb") as stream:
                files[path.name] = service.blob_add(stream, path.name)["hash"]
        made = service.propose(Actor(), commons, title="t", files=files)
        changes = {c["path"]: c for c in service.contribution(commons, made["id"])["changes"]}
        expected = torrents.info_hash_v2(
            torrents.torrent_for(
                service.home,
                hashlib.sha256(big.read_bytes()).digest(),
                web_seed=None,
                tracker=None,
            )
        )
        assert changes["big.bin"]["torrent"] == expected.hex()
        assert "torrent" not in changes["small.txt"]
    finally:
        service.close()


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1048576", MiB),
        ("2GiB", 2 << 30),
        ("500 MB", 500_000_000),
        ("1.5MiB", int(1.5 * MiB)),
        ("10k", 10 * 1024),
        ("none", None),
    ],
)
def test_sizes_people_write(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "-1MiB", "2XB", "nan"])
def test_a_size_that_is_not_one_says_how_to_write_it(text):
    with pytest.raises(BadInput, match="not a size: say e.g. 500MiB"):
        parse_size(text)


def test_human_sizes():
    assert (human(12), human(3 * MiB), human(5 << 30)) == ("12 bytes", "3.0 MiB", "5.0 GiB")


def test_file_policies_for_the_node_and_each_commons(tmp_path):
    local = LocalState(tmp_path / "local.db")
    try:
        one, two = bytes(32), bytes([1]) * 32
        assert local.file_policy(None) == {"fetch": "eager", "quota": None}
        local.set_file_policy(None, fetch="lazy", quota=10 * MiB)
        local.set_file_policy(one, quota=MiB)
        assert local.file_policy(one) == {"fetch": "lazy", "quota": MiB}  # node's fetch
        assert local.file_policy(two) == {"fetch": "lazy", "quota": None}
        local.set_file_policy(one, fetch="eager")
        assert local.file_policy(one) == {"fetch": "eager", "quota": MiB}  # quota kept
        local.set_file_policy(one, quota=None)
        assert local.file_policy(one)["quota"] is None
        with pytest.raises(BadInput, match="fetch must be one of eager, lazy"):
            local.set_file_policy(one, fetch="sometimes")
        with pytest.raises(BadInput, match="a quota is a number of bytes"):
            local.set_file_policy(one, quota=-5)
    finally:
        local.close()


def test_files_named_by_changes_keep_sizes_and_valid_info_hashes_only():
    found = files_in(
        [
            {"path": "a", "base": blob(1), "blob": blob(2), "size": 7, "torrent": blob(3)},
            {"path": "b", "base": None, "blob": blob(4), "size": 9, "torrent": b"short"},
            "not a change",
            {"path": "c", "base": b"x", "blob": None},
        ]
    )
    assert found == {
        blob(1): FileRef(0, None, "a"),
        blob(2): FileRef(7, blob(3), "a"),
        blob(4): FileRef(9, None, "b"),
    }


def test_adopting_a_file_checks_its_hash_and_leaves_a_wrong_one_in_place(tmp_path):
    with Home(tmp_path / "home") as home:
        seen = []
        home.blobs.on_new.append(lambda hash_, size: seen.append((hash_, size)))
        partial = home.blobs.root / "partial.bin"
        partial.write_bytes(b"payload")
        with pytest.raises(BadInput, match="does not match its hash"):
            home.blobs.adopt(partial, hashlib.sha256(b"other").digest())
        assert partial.exists() and not seen
        digest = hashlib.sha256(b"payload").digest()
        home.blobs.adopt(partial, digest)
        assert not partial.exists() and home.blobs.read_bytes(digest, 100) == b"payload"
        assert seen == [(digest, 7)]
        assert home.blobs.total_size() == 7


def test_an_upload_is_taken_in_without_a_copy(tmp_path):
    with Home(tmp_path / "home") as home:
        spooled = home.blobs.root / "tmp" / "upload"
        spooled.write_bytes(b"# notes\n")
        inode = spooled.stat().st_ino
        info = home.blobs.take(spooled, "notes.md")
        assert not spooled.exists()
        assert home.blobs.path(info.hash).stat().st_ino == inode  # renamed, not copied
        assert (info.hash, info.size, info.media) == (
            hashlib.sha256(b"# notes\n").digest(),
            8,
            "text/markdown",
        )


def test_a_stopped_transfer_keeps_its_pieces_and_goes_on_from_them(tmp_path):
    """Two swarms in this process: a slow seeder, and a downloader stopped half-way then
    started again, which goes on from the pieces it had (no check from zero)."""
    from communs.node.files.swarm import Swarm

    data = os.urandom(6 * MiB)
    blob_ = hashlib.sha256(data).digest()
    with Home(tmp_path / "seeder") as seeder_home, Home(tmp_path / "fetcher") as fetcher_home:
        seeder_home.blobs.add_bytes(data)
        seeder = Swarm(seeder_home, upload_limit=2 * MiB)
        try:
            assert seeder.seed(blob_)
            torrent = torrents.torrent_for(seeder_home, blob_, web_seed=None, tracker=None)
            endpoint = [("127.0.0.1", seeder.port)]
            fetcher = Swarm(fetcher_home)
            transfer = fetcher.fetch(blob_, torrent, endpoints=endpoint)
            deadline = time.monotonic() + 30
            while transfer.describe()["done"] < 2 * MiB:
                assert time.monotonic() < deadline, transfer.describe()
                time.sleep(0.05)
            fetcher.close()  # a clean stop: it keeps which pieces are done
            assert (fetcher_home.blobs.root / "partial" / f"{blob_.hex()}.resume").exists()
            assert not fetcher_home.blobs.has(blob_)

            fetcher = Swarm(fetcher_home)
            try:
                again = fetcher.fetch(blob_, torrent, endpoints=endpoint)
                assert again.resumed >= (2 * MiB) // torrents.piece_size(len(data)) // 2
                assert again.finished.wait(30), again.describe()
                assert again.state == "done", again.describe()
                assert fetcher_home.blobs.read_bytes(blob_, len(data)) == data
            finally:
                fetcher.close()
        finally:
            seeder.close()
