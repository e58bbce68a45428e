"""Blobs over BitTorrent: hybrid torrents with the node as web seed and tracker, the tracker
itself, the CLI, and a real third-party client (aria2) fetching a blob from a real node."""

import hashlib
import io
import json
import os
import shutil
import subprocess
import time
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import libtorrent as lt
import pytest
from click.testing import CliRunner
from fastapi import FastAPI

from communs.api.app import create_app
from communs.api.tracker import Tracker, add_torrent_routes, add_tracker_routes
from communs.cli.main import cli
from communs.core.errors import BadInput, NotFound
from communs.node.files import torrents
from communs.node.home.folder import Home
from communs.node.service import Service
from nodes import Node, Nodes, loopback_session, wait_until

with warnings.catch_warnings():
    # Starlette asks for httpx2 but works with the httpx the project depends on.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
BLOCK = 16 * 1024  # BitTorrent v2 hashes 16 KiB blocks into each file's Merkle tree
ARIA2_TIMEOUT = 60.0


def merkle_root(data: bytes) -> bytes:
    """BEP 52: SHA-256 of each 16 KiB block, the leaves padded with zeros to a power of two."""
    layer = [hashlib.sha256(data[i : i + BLOCK]).digest() for i in range(0, len(data), BLOCK)]
    width = 1
    while width < len(layer):
        width *= 2
    layer += [bytes(32)] * (width - len(layer))
    while len(layer) > 1:
        layer = [hashlib.sha256(layer[i] + layer[i + 1]).digest() for i in range(0, len(layer), 2)]
    return layer[0]


@pytest.fixture
def home(tmp_path):
    with Home(tmp_path / "home") as made:
        yield made


def test_a_blob_is_a_hybrid_torrent_with_the_node_as_web_seed_and_tracker(home):
    data = os.urandom(3 * MiB)
    blob = home.blobs.add_bytes(data)
    seed = f"http://127.0.0.1:8470/api/blobs/{blob.hex}"
    tracker = "http://127.0.0.1:8470/announce"

    torrent = torrents.torrent_for(home, blob.hash, name="clip.bin", web_seed=seed, tracker=tracker)

    info = lt.torrent_info(torrent)  # libtorrent accepts it (and checks the piece layers)
    assert (info.name(), info.num_files(), info.total_size()) == ("clip.bin", 1, len(data))
    meta = lt.bdecode(torrent)
    section = meta[b"info"]
    assert section[b"name"] == b"clip.bin" and section[b"length"] == len(data)
    assert section[b"meta version"] == 2 and b"files" not in section  # one file, no padding
    # v1: the SHA-1 of each piece; v2: the Merkle root of the file's 16 KiB blocks
    size = section[b"piece length"]
    assert section[b"pieces"] == b"".join(
        hashlib.sha1(data[i : i + size]).digest() for i in range(0, len(data), size)
    )
    assert section[b"file tree"] == {
        b"clip.bin": {b"": {b"length": len(data), b"pieces root": merkle_root(data)}}
    }
    raw = lt.bencode(section)
    assert raw == info.info_section()
    v1, v2 = torrents.info_hashes(torrent)
    assert (v1, v2) == (hashlib.sha1(raw).hexdigest(), hashlib.sha256(raw).hexdigest())
    assert meta[b"url-list"] == seed.encode() and meta[b"announce"] == tracker.encode()

    link = urlsplit(torrents.magnet(torrent))
    fields = parse_qs(link.query)
    assert link.scheme == "magnet"
    assert sorted(fields["xt"]) == sorted([f"urn:btih:{v1}", f"urn:btmh:1220{v2}"])
    assert fields["dn"] == ["clip.bin"] and fields["tr"] == [tracker] and fields["ws"] == [seed]

    # Made once: the cached torrent serves every name and address without hashing again.
    cached = home.path / "torrents" / f"{blob.hex}.torrent"
    stamp = cached.stat().st_mtime_ns
    other = torrents.torrent_for(home, blob.hash, name="other.bin", web_seed=None, tracker=None)
    assert cached.stat().st_mtime_ns == stamp
    other_meta = lt.bdecode(other)
    assert b"url-list" not in other_meta and b"announce" not in other_meta
    assert other_meta[b"info"][b"pieces"] == section[b"pieces"]
    assert torrents.info_hashes(other) != (v1, v2)  # the name is part of the info
    direct = torrents.make_torrent(
        home.blobs.path(blob.hash), name="clip.bin", web_seed=seed, tracker=tracker
    )
    assert torrents.info_hashes(direct) == (v1, v2)
    nameless = torrents.torrent_for(home, blob.hash, web_seed=None, tracker=None)
    assert lt.torrent_info(nameless).name() == blob.hex

    # A damaged cache is made again, not served.
    cached.write_bytes(b"d4:infod6:lengthi3eee")
    again = torrents.torrent_for(home, blob.hash, name="clip.bin", web_seed=seed, tracker=tracker)
    assert torrents.info_hashes(again) == (v1, v2)


def test_names_are_one_safe_path_component_and_empty_or_unknown_blobs_are_refused(home):
    assert torrents.display_name("../../etc/passwd", "h") == "_.._etc_passwd"
    assert torrents.display_name("a\x00b\nc.txt", "h") == "a_b_c.txt"
    assert torrents.display_name("..", "h") == "h" and torrents.display_name(None, "h") == "h"
    long = torrents.display_name("x" * 500 + ".mkv", "h")
    assert len(long) == torrents.NAME_LIMIT and long.endswith(".mkv")
    empty = home.blobs.add_bytes(b"")
    with pytest.raises(BadInput, match="empty"):
        torrents.torrent_for(home, empty.hash, web_seed=None, tracker=None)
    with pytest.raises(NotFound):
        torrents.torrent_for(home, bytes(32), web_seed=None, tracker=None)
    with pytest.raises(BadInput):
        torrents.blob_hash("abc")
    with pytest.raises(BadInput):
        torrents.info_hashes(b"not a torrent")


def test_a_named_magnet_link_keeps_the_info_hashes_every_node_seeds(home, tmp_path):
    """The name is in a torrent's info dictionary: a link to the renamed torrent names one
    nobody seeds, whose metadata no peer can send. The name goes in dn only."""
    blob = home.blobs.add_bytes(os.urandom(2 * MiB))
    seeded = torrents.torrent_for(home, blob.hash, web_seed=None, tracker=None)
    v1, v2 = torrents.info_hashes(seeded)
    name = "Le film d'été & co.mkv"

    parsed = lt.parse_magnet_uri(torrents.magnet(seeded, name=name))
    assert (str(parsed.info_hashes.v1), str(parsed.info_hashes.v2)) == (v1, v2)
    assert parsed.name == name

    home.close()  # the CLI opens the home itself
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["--home", str(home.path), "blob", "magnet", blob.hex[:8], "--name", name]
        + ["--url", "http://10.0.0.5:8470"],
    )
    assert result.exit_code == 0, result.output
    parsed = lt.parse_magnet_uri(result.stdout.strip())
    assert (str(parsed.info_hashes.v1), str(parsed.info_hashes.v2)) == (v1, v2)
    assert parsed.name == name
    assert parsed.trackers == ["http://10.0.0.5:8470/announce"]
    assert parsed.url_seeds == [f"http://10.0.0.5:8470/api/blobs/{blob.hex}"]


class _Status:
    def __init__(self, wanted_done: int, wanted: int):
        self.total_wanted_done, self.total_wanted = wanted_done, wanted
        self.download_rate, self.num_peers, self.num_seeds = 1 << 20, 1, 1


class _Handle:
    def __init__(self, status: _Status):
        self._status = status

    def status(self) -> _Status:
        return self._status


def test_a_transfer_tells_the_bytes_of_its_file_never_more_than_its_size():
    from communs.node.files.transfer import Transfer

    size = 50 * MiB
    transfer = Transfer(b"\x01" * 32, size, _Handle(_Status(20 * MiB, size)), [])
    assert transfer.describe()["done"] == 20 * MiB
    # libtorrent's counter may pass the file's size (a last piece counted whole)
    transfer.handle = _Handle(_Status(size + 6 * MiB, size))
    described = transfer.describe()
    assert described["done"] == size and described["eta"] == 0
    # every piece passed its hash: the file is all here while its SHA-256 is checked
    transfer.state = "verifying"
    assert transfer.describe()["done"] == size
    transfer.state = "done"
    assert transfer.describe()["done"] == size


# -- the tracker ---------------------------------------------------------------------------


def announce(client: TestClient, info_hash: bytes, peer_id: bytes, port: int, **extra) -> dict:
    query = {
        "info_hash": info_hash,
        "peer_id": peer_id,
        "port": port,
        "uploaded": 0,
        "downloaded": 0,
        "left": 1000,
        "compact": 1,
        **extra,
    }
    response = client.get("/announce?" + urlencode(query))
    assert response.status_code == 200
    return lt.bdecode(response.content)


def compact(*ports: int) -> set[bytes]:
    return {bytes([127, 0, 0, 1]) + port.to_bytes(2, "big") for port in ports}


def split(peers: bytes) -> set[bytes]:
    return {peers[i : i + 6] for i in range(0, len(peers), 6)}


def test_the_tracker_tells_each_peer_about_the_others_but_never_itself():
    app = FastAPI()
    add_tracker_routes(app)
    client = TestClient(app, client=("127.0.0.1", 50000))
    swarm = bytes(range(20))  # binary, with bytes that must be URL-escaped
    alice, bob = b"-AL0001-" + b"a" * 12, b"-BO0001-" + b"\xff" * 12

    first = announce(client, swarm, alice, 6881, event="started")
    assert first[b"peers"] == b"" and first[b"interval"] > 0
    second = announce(client, swarm, bob, 6882, event="started", left=0)
    assert split(second[b"peers"]) == compact(6881)
    assert (second[b"complete"], second[b"incomplete"]) == (1, 1)
    again = announce(client, swarm, alice, 6881)
    assert split(again[b"peers"]) == compact(6882)

    listed = announce(client, swarm, alice, 6881, compact=0)
    assert listed[b"peers"] == [{b"peer id": bob, b"ip": b"127.0.0.1", b"port": 6882}]
    other = announce(client, b"\x01" * 20, alice, 6881)  # another torrent: its own swarm
    assert other[b"peers"] == b""

    announce(client, swarm, bob, 6882, event="stopped")
    assert announce(client, swarm, alice, 6881)[b"peers"] == b""

    # Malformed announces: a bencoded failure reason, nothing recorded.
    for query in [
        {"peer_id": alice, "port": 6881},  # no info_hash
        {"info_hash": b"short", "peer_id": alice, "port": 6881},
        {"info_hash": swarm, "peer_id": alice, "port": "http"},
        {"info_hash": swarm, "peer_id": alice, "port": 0},
        {"info_hash": swarm, "peer_id": b"x", "port": 6881},
        {"info_hash": swarm, "peer_id": alice, "port": 6881, "event": "dance"},
        {"info_hash": swarm, "peer_id": alice, "port": 6881, "left": -1},
    ]:
        response = client.get("/announce?" + urlencode(query))
        assert response.status_code == 200
        failure = lt.bdecode(response.content)
        assert set(failure) == {b"failure reason"}, query
        assert failure[b"failure reason"], query
    assert announce(client, swarm, alice, 6881)[b"peers"] == b""


def test_the_tracker_forgets_silent_peers():
    now = [1000.0]
    tracker = Tracker(expiry=1800, clock=lambda: now[0])

    def query(peer: bytes, port: int) -> bytes:
        return urlencode({"info_hash": b"h" * 20, "peer_id": peer * 20, "port": port}).encode()

    tracker.announce(query(b"a", 1), "127.0.0.1")
    now[0] += 1000
    assert tracker.announce(query(b"b", 2), "::ffff:127.0.0.1")[b"peers"] == compact(1).pop()
    now[0] += 1000  # a is silent for 2000 s, b for 1000 s
    assert tracker.announce(query(b"c", 3), "127.0.0.1")[b"peers"] == compact(2).pop()
    tracker.announce(query(b"d", 4), "::1")
    answer = tracker.announce(
        query(b"e", 5),
        "::2",
    )
    assert answer[b"peers6"] == bytes(15) + b"\x01" + (4).to_bytes(2, "big")  # BEP 7
    assert split(answer[b"peers"]) == compact(2, 3)


# -- the HTTP routes and the CLI, in process ----------------------------------------------


def test_the_node_serves_each_blob_as_a_torrent_and_a_magnet(tmp_path):
    service = Service(Home(tmp_path / "home"))
    try:
        app = create_app(service)
        add_torrent_routes(app, service)  # nothing changes if create_app already has them
        add_tracker_routes(app)
        client = TestClient(app, base_url="http://127.0.0.1:8470")
        data = os.urandom(MiB + 5)
        blob = service.blob_add(io.BytesIO(data), "clip.ogv")["hash"]

        response = client.get(f"/api/blobs/{blob}.torrent", params={"name": "clip.ogv"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-bittorrent"
        assert "clip.ogv.torrent" in response.headers["content-disposition"]
        meta = lt.bdecode(response.content)
        assert meta[b"info"][b"name"] == b"clip.ogv"
        assert meta[b"url-list"] == f"http://127.0.0.1:8470/api/blobs/{blob}".encode()
        assert meta[b"announce"] == b"http://127.0.0.1:8470/announce"
        assert client.get(f"/api/blobs/{blob}").content == data  # the web seed still works
        ranged = client.get(f"/api/blobs/{blob}", headers={"Range": "bytes=10-19"})
        assert ranged.status_code == 206 and ranged.content == data[10:20]

        link = client.get(f"/api/blobs/{blob}/magnet", params={"name": "clip.ogv"}).json()
        # The hashes of the torrent every node seeds (named by its hash); the name is shown.
        seeded = client.get(f"/api/blobs/{blob}.torrent").content
        v1, v2 = torrents.info_hashes(seeded)
        assert (link["btih"], link["btmh"]) == (v1, v2)
        assert f"xt=urn:btih:{v1}" in link["magnet"] and f"urn:btmh:1220{v2}" in link["magnet"]
        assert lt.parse_magnet_uri(link["magnet"]).name == "clip.ogv"

        missing = client.get(f"/api/blobs/{'0' * 64}.torrent")
        assert missing.status_code == 404 and "not on this node" in missing.json()["error"]
        assert client.get("/api/blobs/nothex.torrent").status_code == 400
        assert lt.bdecode(client.get("/announce").content)[b"failure reason"]
    finally:
        service.close()


def test_the_cli_adds_lists_and_shares_files_without_a_node(tmp_path):
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--home", str(tmp_path / "h"), "blob", *args])
        assert result.exit_code == 0, result.output
        return result.output

    source = tmp_path / "song.ogg"
    source.write_bytes(os.urandom(100_000))
    blob = run("add", str(source)).strip()
    assert blob == hashlib.sha256(source.read_bytes()).hexdigest()
    (listed,) = json.loads(run("list", "--json"))
    # a blob has no name: its media type is guessed from its bytes
    assert listed == {"hash": blob, "size": 100_000, "media": "application/octet-stream"}
    assert blob in run("list")

    out = tmp_path / "song.torrent"
    run("torrent", blob, str(out), "--name", "song.ogg", "--url", "10.0.0.5:8470")
    meta = lt.bdecode(out.read_bytes())
    assert meta[b"info"][b"name"] == b"song.ogg"
    assert meta[b"url-list"] == f"http://10.0.0.5:8470/api/blobs/{blob}".encode()
    link = run("magnet", blob, "--url", "http://10.0.0.5:8470").strip()
    assert link.startswith("magnet:?xt=urn:btih:") and "urn:btmh:1220" in link

    refused = runner.invoke(cli, ["--home", str(tmp_path / "h"), "blob", "magnet", blob])
    assert refused.exit_code == 2 and "--url" in refused.output


# -- a real client, a real node -------------------------------------------------------------


def seeding_node(nodes: Nodes, tmp_path: Path, data: bytes) -> tuple[Node, str]:
    """A real node (``communs serve``) on a home holding ``data``; (node, blob hash)."""
    with Home(tmp_path / "nodes" / "seed") as home:
        blob = home.blobs.add_stream(io.BytesIO(data), name="film.bin").hex
    node = nodes.new("seed")
    nodes.run(node)
    return node, blob


def fetch_torrent(node: Node, blob: str) -> bytes:
    response = httpx.get(
        f"{node.url}/api/blobs/{blob}.torrent",
        params={"name": "film.bin"},
        timeout=60.0,
        trust_env=False,
    )
    assert response.status_code == 200, (
        f"GET /api/blobs/{{hash}}.torrent answered {response.status_code} "
        f"{response.text[:300]}: is add_torrent_routes wired in create_app?"
    )
    return response.content


def test_aria2_downloads_a_blob_from_a_node_through_its_torrent(tmp_path):
    """aria2 (Debian's 1.36) gets the bytes from the node's web seed and checks them against
    the v1 piece hashes. (aria2 1.36 drops the empty key of a v2 "file tree" and so computes
    a wrong v1 info hash for every hybrid torrent: it cannot swarm with other clients, but web
    seeds and piece checks work; aria2 fixed it after 1.36.)"""
    aria2 = shutil.which("aria2c")
    if aria2 is None:
        pytest.fail(
            "aria2c (Debian package aria2) is not installed: run `bash scripts/test.sh`, which "
            "installs what the tests need"
        )
    data = os.urandom(20 * MiB)
    with Nodes(tmp_path / "nodes") as nodes:
        node, blob = seeding_node(nodes, tmp_path, data)
        started = time.monotonic()
        content = fetch_torrent(node, blob)
        made = time.monotonic() - started
        torrent = tmp_path / "film.torrent"
        torrent.write_bytes(content)

        target = tmp_path / "downloads"
        started = time.monotonic()
        try:
            result = subprocess.run(
                [
                    aria2,
                    "--no-conf",
                    "--enable-dht=false",
                    "--enable-dht6=false",
                    "--bt-enable-lpd=false",
                    "--enable-peer-exchange=false",
                    "--seed-time=0",
                    "--follow-torrent=mem",
                    "--file-allocation=none",
                    "--summary-interval=0",
                    "--console-log-level=warn",
                    "--interface=127.0.0.1",
                    f"--dir={target}",
                    str(torrent),
                ],
                capture_output=True,
                text=True,
                timeout=ARIA2_TIMEOUT,
            )
        except subprocess.TimeoutExpired as error:
            pytest.fail(f"aria2c did not finish in {ARIA2_TIMEOUT:g} s: {error.stdout!r}")
        fetched = time.monotonic() - started
        assert result.returncode == 0, f"aria2c failed:\n{result.stdout}\n{result.stderr}"
        downloaded = target / "film.bin"
        assert downloaded.stat().st_size == len(data)
        assert downloaded.read_bytes() == data, "aria2 downloaded other bytes"
        print(f"torrent made in {made:.2f} s; aria2 fetched 20 MiB in {fetched:.2f} s")


def test_a_client_fetches_a_blob_through_a_named_magnet_link_from_the_cli(tmp_path):
    """`communs blob magnet HASH --name NAME` as the README shows it: libtorrent, given the
    link alone, gets the metadata from the node's swarm (BEP 9) and then the file."""
    data = os.urandom(3 * MiB)
    with Nodes(tmp_path / "nodes") as nodes:
        node, blob = seeding_node(nodes, tmp_path, data)
        seeded = fetch_torrent(node, blob)  # made (hashed) once, and seeded by the node
        canonical = torrents.retarget(seeded, name=blob, web_seed=None, tracker=None)
        link = node.cli("blob", "magnet", blob[:10], "--name", "film.bin").strip()
        parsed = lt.parse_magnet_uri(link)
        v1, v2 = torrents.info_hashes(canonical)
        assert (str(parsed.info_hashes.v1), str(parsed.info_hashes.v2)) == (v1, v2)
        assert parsed.name == "film.bin"

        client = loopback_session()
        try:
            parsed.save_path = str(tmp_path / "client")
            handle = client.add_torrent(parsed)
            wait_until(lambda: handle.status().is_seeding, 60, "the client to fetch the file")
            saved = tmp_path / "client" / handle.torrent_file().name()
        finally:
            del client
        assert saved.read_bytes() == data


def params(torrent: bytes, folder: Path) -> lt.add_torrent_params:
    made = lt.add_torrent_params()
    made.ti = lt.torrent_info(torrent)
    made.save_path = str(folder)
    return made


def test_bittorrent_peers_find_each_other_through_the_node_tracker(tmp_path):
    """A downloads from the node's web seed; B, given the torrent without its web seed, can
    only get the file from A, which it learns about from the node's tracker."""
    data = os.urandom(5 * MiB)
    with Nodes(tmp_path / "nodes") as nodes:
        node, blob = seeding_node(nodes, tmp_path, data)
        torrent = fetch_torrent(node, blob)
        alone = torrents.retarget(torrent, web_seed=None, tracker=f"{node.url}/announce")
        first, second = loopback_session(), loopback_session()
        try:
            a = first.add_torrent(params(torrent, tmp_path / "A"))
            wait_until(lambda: a.status().is_seeding, 30, "A to download from the web seed")
            b = second.add_torrent(params(alone, tmp_path / "B"))
            wait_until(lambda: b.status().is_seeding, 30, "B to download from A")
        finally:
            del first, second  # stops the clients (they announce they leave) before the node
        assert (tmp_path / "B" / "film.bin").read_bytes() == data
