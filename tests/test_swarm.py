"""Large files over BitTorrent between real nodes (``communs serve`` runs a libtorrent session):
a file proposed on one node reaches its followers through the swarm, survives the loss of its
author, resists a peer that sends corrupt pieces, comes from a third-party client (aria2),
resumes after its downloader is killed, and obeys the fetch policies and quotas.

Every node is a real process on 127.0.0.1 (tests/nodes.py); every wait is bounded; the
``nodes`` fixture stops every node, whatever happens.
"""

import contextlib
import filecmp
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import libtorrent as lt
import pytest

from nodes import GiveUp, Node, Nodes, loopback_session, parallel, wait_until

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
FETCH = 60.0  # seconds for a transfer that should take a few


@pytest.fixture
def nodes(tmp_path):
    with Nodes(tmp_path / "nodes") as made:
        yield made


# -- helpers -------------------------------------------------------------------------------


def random_file(path: Path, size: int) -> tuple[Path, str]:
    """Write ``size`` random bytes at ``path``; (path, SHA-256 hex)."""
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(left, 4 * MiB))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return path, digest.hexdigest()


def file_hash(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def same_bytes(one: Path, other: Path) -> bool:
    return filecmp.cmp(one, other, shallow=False)


def stored(node: Node, blob: str) -> Path:
    """Where ``node`` keeps the blob (``blobs/sha256/ab/cdef…``)."""
    return node.home / "blobs" / "sha256" / blob[:2] / blob[2:]


def traces(node: Node, blob: str) -> list[Path]:
    """Any file of ``node``'s blob store named after ``blob`` (stored or partial)."""
    return [p for p in (node.home / "blobs").rglob("*") if p.is_file() and blob[2:] in p.name]


def transfer(node: Node, blob: str) -> dict[str, Any] | None:
    """``GET /api/blobs/{hash}/transfer``; None while no fetch was started."""
    try:
        return node.get(f"/api/blobs/{blob}/transfer")
    except httpx.HTTPStatusError as error:
        if error.response.status_code == 404:
            return None
        raise


def finished(node: Node, blob: str) -> dict[str, Any] | None:
    """The transfer once done (GiveUp if it failed)."""
    current = transfer(node, blob)
    if current and current["state"] == "failed":
        raise GiveUp(f"{node.home.name} failed to fetch {blob[:12]}: {current}")
    return current if current and current["state"] == "done" else None


def seeding(node: Node, count: int = 1) -> bool:
    return node.get("/api/swarm")["seeding"] >= count


def restart(*changes: tuple[Node, tuple[str, ...]]) -> None:
    """Stop nodes, then serve them again one after the other (each finds the ones before it
    up), at the same URLs, with other ``serve`` options."""
    for node, _ in changes:
        node.listen = node.url.removeprefix("http://")
    parallel(*[node.stop for node, _ in changes])
    for node, options in changes:
        node.serve_options = options
        node.start()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tracker_peers(node: Node, info_hash: bytes) -> set[tuple[str, int]]:
    """The peers ``node``'s tracker gives for ``info_hash`` (20 bytes), asked by a probe
    that leaves at once (nobody is told about it for long)."""
    probe = b"-PROBE0-" + os.urandom(12)

    def announce(event: str) -> dict:
        query = {"info_hash": info_hash, "peer_id": probe, "port": 9, "left": 0}
        query |= {"compact": 1, "numwant": 200, "event": event}
        response = httpx.get(f"{node.url}/announce?{urlencode(query)}", trust_env=False)
        return lt.bdecode(response.content)

    peers = announce("started").get(b"peers", b"")
    announce("stopped")
    return {
        (".".join(map(str, peers[i : i + 4])), int.from_bytes(peers[i + 4 : i + 6], "big"))
        for i in range(0, len(peers), 6)
    }


def make_commons(author: Node) -> tuple[str, str]:
    """A commons made by ``author`` (a new identity): (id, its communs:// link)."""
    author.cli("id", "new", "--name", "anna")
    commons = author.cli_json("commons", "create", "--name", "Films", "--kind", "other")["id"]
    return commons, author.cli("commons", "link", commons).strip()


def propose(author: Node, commons: str, **files: Path) -> str:
    """Propose files (path=local file) to ``commons``; the contribution's id."""
    puts = [arg for path, local in files.items() for arg in ("--put", f"{path}={local}")]
    return author.cli_json("contribution", "propose", commons, "--title", "Files", *puts)["id"]


# -- 1. three nodes, one file, the author lost mid-transfer ---------------------------------


def test_a_large_file_travels_the_swarm_and_survives_its_author(nodes, tmp_path):
    a, b, c = nodes.start("a", "b", "c")
    commons, link = make_commons(a)
    film, blob = random_file(tmp_path / "film.bin", 50 * MiB)
    size = film.stat().st_size

    # The event signs the file's hash, size and the v2 info hash of its torrent.
    contribution = propose(a, commons, **{"film.bin": film})
    (change,) = a.cli_json("contribution", "show", commons, contribution)["changes"]
    assert (change["blob"], change["size"]) == (blob, size)
    assert re.fullmatch(r"[0-9a-f]{64}", change.get("torrent") or ""), change
    assert change["torrent"] == a.get(f"/api/blobs/{blob}/magnet")["btmh"]
    assert file_hash(stored(a, blob)) == blob
    wait_until(lambda: seeding(a), 30, "A to seed the file it proposed")

    # B follows (eager by default): the file comes over BitTorrent, then B seeds it.
    b.cli("follow", link)
    wait_until(lambda: finished(b, blob), FETCH, "B to fetch the file")
    (shown,) = [t for t in b.cli_json("blob", "status")["transfers"] if t["hash"] == blob]
    assert shown["via"] == "bittorrent" and shown["done"] == size, shown
    assert file_hash(stored(b, blob)) == blob and same_bytes(stored(b, blob), film)
    wait_until(lambda: seeding(b), 30, "B to seed the file it fetched")
    assert not (b.home / "blobs" / "partial" / blob).exists()

    # A and B upload slowly (restarted with limits): C's transfer takes a few seconds.
    restart((a, ("--upload-limit", "4MiB")), (b, ("--upload-limit", "8MiB")))
    wait_until(lambda: seeding(a) and seeding(b), 30, "A and B to seed again after a restart")
    c.cli("follow", link)
    most_peers = 0

    def under_way() -> dict[str, Any] | None:
        nonlocal most_peers
        current = finished(c, blob) or transfer(c, blob)
        if current:
            most_peers = max(most_peers, current.get("peers", 0))
        return current if current and size // 10 <= current["done"] < size else None

    before = wait_until(under_way, 30, "C's transfer to pass a tenth of the file")
    a.kill()  # the author is gone; B still has the file

    def stuck() -> str:
        hint = ""
        if most_peers <= 1:
            hint = (
                f"; C never had more than {most_peers} BitTorrent peer: it learns peers from "
                "A only (A's endpoint and A's tracker) and B, which seeds the file, announces "
                "it to its own tracker only, so C never finds B"
            )
        return (
            f"C to finish the file from B once A was killed (C's transfer then: {before}; "
            f"now: {transfer(c, blob)}){hint}"
        )

    after = wait_until(lambda: finished(c, blob), 25, stuck)
    assert after["via"] == "bittorrent", after
    assert file_hash(stored(c, blob)) == blob and same_bytes(stored(c, blob), film)
    print(f"C: {size // MiB} MiB in {after['seconds']} s, A killed at {before['done']} bytes")


# -- 2. a peer that sends corrupt pieces -----------------------------------------------------


def bare_session() -> lt.session:
    return loopback_session(
        enable_outgoing_utp=False,
        enable_incoming_utp=False,
        allow_multiple_connections_per_ip=True,
        announce_to_all_trackers=True,  # not only the first that answers
        announce_to_all_tiers=True,
        alert_mask=lt.alert.category_t.error_notification,
    )


@contextlib.contextmanager
def corrupt_seeder(
    folder: Path, source: Path, torrent: bytes, trackers: list[str], pieces: list[int]
) -> Iterator[int]:
    """A bare libtorrent client seeding ``source`` under ``torrent``, announcing to
    ``trackers``, whose copy has one byte flipped in each of ``pieces``; its port.

    The copy is flipped once libtorrent has checked it and seeds: in seed mode libtorrent
    hashes each piece before sending it, finds the damage, leaves seed mode and sends only
    good pieces; a seed that was checked sends what its disk holds."""
    info = lt.torrent_info(torrent)
    folder.mkdir()
    copy = folder / info.name()  # one file: the torrent's name
    shutil.copyfile(source, copy)
    session = bare_session()
    try:
        params = lt.add_torrent_params()
        params.ti = info
        params.save_path = str(folder)
        params.trackers = trackers
        handle = session.add_torrent(params)
        wait_until(lambda: handle.status().is_seeding, 30, "the corrupt peer to check its copy")
        with open(copy, "r+b") as file:
            for piece in pieces:
                file.seek(piece * info.piece_length() + 1000)
                byte = file.read(1)
                file.seek(-1, os.SEEK_CUR)
                file.write(bytes([byte[0] ^ 0xFF]))
        yield session.listen_port()
    finally:
        session.pause()
        del session


def test_pieces_from_a_corrupt_peer_are_detected_and_not_kept(nodes, tmp_path):
    honest, downloader = nodes.new("honest"), nodes.new("downloader")
    honest.serve_options = ("--upload-limit", "8MiB")  # the corrupt peer is much quicker
    nodes.run(honest, downloader)
    path, blob = random_file(tmp_path / "clip.bin", 8 * MiB)
    honest.cli("blob", "add", str(path))
    wait_until(lambda: seeding(honest), 30, "the honest node to seed the file")
    torrent = httpx.get(f"{honest.url}/api/blobs/{blob}.torrent", trust_env=False).content
    info = lt.torrent_info(torrent)
    count = info.num_pieces()
    bad = [count * k // 5 + 3 for k in range(5)]  # a few pieces, spread over the file
    trackers = [f"{downloader.url}/announce", f"{honest.url}/announce"]

    with corrupt_seeder(tmp_path / "corrupt", path, torrent, trackers, bad) as port:
        address = ("127.0.0.1", port)
        v1 = info.info_hashes().v1.to_bytes()
        wait_until(
            lambda: address in tracker_peers(downloader, v1),
            30,
            "the corrupt peer to announce itself to the downloader's tracker",
        )
        result = downloader.cli_json("blob", "get", blob, "--from", honest.url)

    assert result["state"] == "done", result
    assert file_hash(stored(downloader, blob)) == blob and same_bytes(
        stored(downloader, blob), path
    )
    assert result["hash_failures"] > 0 or result["banned_peers"] > 0, (
        f"no corrupt piece was detected: did the corrupt peer send anything? {result}"
    )
    assert not (downloader.home / "blobs" / "partial" / blob).exists()
    # The honest peer sends the rest: the transfer never stalls into the HTTP fallback.
    assert result["via"] == "bittorrent", (
        "the downloader lost its honest BitTorrent peer after the corrupt pieces and waited "
        f"for the HTTP fallback: {result}. (libtorrent 2.1, 16 KiB pieces: after the hash "
        "failure it sends the honest peer a v2 hash request for one block, then drops that "
        "peer with 'invalid hashes' and does not come back to it.)"
    )
    print(f"{result['hash_failures']} hash failures, {result['banned_peers']} bans, {result}")


# -- 3. a third-party client seeds, a node fetches ------------------------------------------


@pytest.mark.parametrize("given", ["torrent file", "magnet link"])
def test_a_node_fetches_a_file_that_aria2_seeds(nodes, tmp_path, given):
    """aria2 1.36 computes a wrong v1 info hash for hybrid torrents, so it cannot seed the
    node's own torrents; it seeds a v1 torrent made here, which the node is given — as a
    file, or as a magnet link (the metadata then comes from aria2)."""
    aria2 = shutil.which("aria2c")
    if aria2 is None:
        pytest.fail(
            "aria2c (Debian package aria2) is not installed: run `bash scripts/test.sh`, which "
            "installs what the tests need"
        )
    (node,) = nodes.start("node")
    folder = tmp_path / "aria2"
    folder.mkdir()
    path, blob = random_file(folder / "song.flac", 12 * MiB)
    creator = lt.create_torrent(
        [lt.create_file_entry(path.name, path.stat().st_size)], 0, lt.create_torrent.v1_only
    )
    creator.add_tracker(f"{node.url}/announce")
    lt.set_piece_hashes(creator, str(folder))
    torrent = tmp_path / "v1.torrent"
    torrent.write_bytes(lt.bencode(creator.generate()))
    v1 = lt.torrent_info(str(torrent)).info_hashes().v1.to_bytes()

    port = free_port()
    log = tmp_path / "aria2.log"
    with open(log, "w") as output:
        seeder = subprocess.Popen(
            [
                aria2,
                "--no-conf",
                f"--dir={folder}",
                "--seed-ratio=0.0",
                "--seed-time=60",
                "--check-integrity=true",
                "--bt-seed-unverified=true",
                "--enable-dht=false",
                "--enable-dht6=false",
                "--bt-enable-lpd=false",
                "--enable-peer-exchange=false",
                f"--listen-port={port}",
                "--bt-tracker-interval=5",
                "--summary-interval=0",
                str(torrent),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: ("127.0.0.1", port) in tracker_peers(node, v1),
            30,
            lambda: f"aria2 to announce itself to the node's tracker: {log.read_text()[-2000:]}",
            interval=0.2,
        )
        source = str(torrent)
        if given == "magnet link":
            source = lt.make_magnet_uri(lt.torrent_info(source))
        result = node.cli_json("blob", "get", blob, "--torrent", source)
    finally:
        seeder.terminate()
        try:
            seeder.wait(10)
        except subprocess.TimeoutExpired:
            seeder.kill()
            seeder.wait(10)
    assert result["state"] == "done" and result["via"] == "bittorrent", result
    assert file_hash(stored(node, blob)) == blob and same_bytes(stored(node, blob), path)


# -- 4. resume after the downloader is killed -------------------------------------------------


def test_a_transfer_resumes_after_the_downloader_is_killed(nodes, tmp_path):
    limit = 2 * MiB  # the seeder's upload limit, bytes per second
    seeder, downloader = nodes.new("seeder"), nodes.new("downloader")
    seeder.serve_options = ("--upload-limit", str(limit))
    nodes.run(seeder, downloader)
    path, blob = random_file(tmp_path / "film.bin", 16 * MiB)
    size = path.stat().st_size
    seeder.cli("blob", "add", str(path))
    wait_until(lambda: seeding(seeder), 30, "the seeder to seed the file")

    def get() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "communs", "--home", str(downloader.home), "blob", "get"]
            + [blob, "--from", seeder.url, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first = get()
    try:
        before = wait_until(
            lambda: (t := transfer(downloader, blob)) and t["done"] >= 9 * MiB and t,
            30,
            "the downloader to get 9 MiB",
        )
        downloader.kill()
    finally:
        first.kill()
        first.communicate(timeout=10)
    assert before["done"] < size, "the transfer ended before the downloader was killed"
    partial = downloader.home / "blobs" / "partial" / blob
    assert partial.is_file() and not stored(downloader, blob).exists()

    downloader.start()
    started = time.monotonic()
    second = get()
    samples = [(started, 0)]  # (time, bytes done) while fetching
    try:
        deadline = started + FETCH
        while second.poll() is None and time.monotonic() < deadline:
            current = transfer(downloader, blob)
            if current and current["state"] == "fetching":
                samples.append((time.monotonic(), current["done"]))
            time.sleep(0.05)
        out, err = second.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if second.poll() is None:
            second.kill()
            second.communicate(timeout=10)
    assert second.returncode == 0, f"blob get failed after the restart: {out}\n{err}"
    got = json.loads(out)
    assert got["state"] == "done" and got["via"] == "bittorrent", got
    assert file_hash(stored(downloader, blob)) == blob and same_bytes(
        stored(downloader, blob), path
    )
    assert not partial.exists()

    # From zero, the seeder sends at most ``limit`` bytes a second (and a second's burst):
    # bytes that appear faster than that, between any two moments, were already on disk.
    gained, lowest = 0.0, float("inf")
    for moment, done in samples:
        lowest = min(lowest, done - limit * moment)
        gained = max(gained, done - limit * moment - lowest)
    assert gained > 2 * limit, (
        f"the restarted transfer started from zero? it had {before['done']} bytes when the "
        f"downloader was killed; after the restart (time, done): {samples[:20]}"
    )
    print(f"killed at {before['done']} bytes; {gained:.0f} bytes came faster than the seeder sends")


# -- 5. fetch policy and quotas ----------------------------------------------------------------


def test_lazy_commons_and_quotas(nodes, tmp_path):
    a, f = nodes.start("a", "f")
    commons, link = make_commons(a)
    f.cli("follow", link)

    # Lazy: following fetches nothing; the first view of a file (its page) fetches it.
    policy = f.cli_json("blob", "policy", "--commons", commons, "--fetch", "lazy")
    assert policy["fetch"] == "lazy" and policy["commons"] == commons
    note, small = random_file(tmp_path / "note.bin", 100_000)
    clip, large = random_file(tmp_path / "clip.bin", 4 * MiB)
    lazy = propose(a, commons, **{"note.bin": note, "clip.bin": clip})
    a.cli("contribution", "accept", commons, lazy)
    wait_until(
        lambda: (
            {r["path"] for r in f.get(f"/api/commons/{commons}/artifacts")}
            == {"note.bin", "clip.bin"}
        ),
        30,
        "F to receive the accepted contribution",
    )
    time.sleep(1.0)  # an eager node would have fetched the small file, started the large
    assert not traces(f, small) and not traces(f, large)
    assert f.get("/api/swarm")["transfers"] == []
    # Peers ask each other GET /api/blobs/{hash}: it serves what is here, never fetches.
    asked = httpx.get(f"{f.url}/api/blobs/{small}", timeout=30, trust_env=False)
    assert asked.status_code == 404 and not traces(f, small), asked.text

    page = httpx.get(f"{f.url}/c/{commons}/files/note.bin", timeout=30, trust_env=False)
    assert page.status_code == 200 and "file-fetching" not in page.text
    assert file_hash(stored(f, small)) == small  # small: fetched before the page was sent
    served = httpx.get(f"{f.url}/api/blobs/{small}", timeout=30, trust_env=False)
    assert served.status_code == 200 and hashlib.sha256(served.content).hexdigest() == small

    page = httpx.get(f"{f.url}/c/{commons}/files/clip.bin", timeout=30, trust_env=False)
    assert page.status_code == 200 and "file-fetching" in page.text, page.text[-3000:]
    assert 'http-equiv="refresh"' in page.text  # the page comes back to show it
    wait_until(lambda: finished(f, large), FETCH, "F to fetch the large file it showed")
    assert file_hash(stored(f, large)) == large
    page = httpx.get(f"{f.url}/c/{commons}/files/clip.bin", timeout=30, trust_env=False)
    assert page.status_code == 200 and "file-fetching" not in page.text

    # A node quota smaller than a file: refused before a byte is written, and said.
    policy = f.cli_json("blob", "policy", "--quota", "10MiB")
    assert policy["quota"] == 10 * MiB and policy["commons"] is None
    f.cli("blob", "policy", "--commons", commons, "--fetch", "eager")
    film, huge = random_file(tmp_path / "film.bin", 20 * MiB)
    propose(a, commons, **{"film.bin": film})

    def refused() -> list[dict[str, Any]]:
        return [r for r in f.cli_json("status")["recent_refusals"] if huge[:12] in r["reason"]]

    refusal = wait_until(refused, 30, "F to refuse the file past its quota", interval=0.3)[0]
    assert "quota" in refusal["reason"], refusal
    assert "communs blob policy --quota" in refusal["reason"], refusal
    assert not traces(f, huge)

    error = subprocess.run(
        [sys.executable, "-m", "communs", "--home", str(f.home), "blob", "get", huge]
        + ["--from", a.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert error.returncode == 1, error
    assert "quota" in error.stderr and "communs blob policy --quota" in error.stderr, error
    assert not traces(f, huge)
    assert all(t["hash"] != huge for t in f.get("/api/swarm")["transfers"])
