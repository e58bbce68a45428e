"""Files travel with the events that name them, whichever way the events went: pushed to a
node that lists no peer, relayed on live streams, synced by a node nobody can reach.

Three real nodes: B and C follow A, and only they list A as a peer (A lists nobody)."""

import json
import tarfile
from pathlib import Path

import httpx
import pytest

from communs.node.home.folder import Home
from communs.node.peers.sync import encode_stream
from nodes import Nodes, parallel, run_cli, wait_until

pytestmark = pytest.mark.slow

ARRIVE = 30.0  # seconds for a file to reach a node (milliseconds, usually)


@pytest.fixture
def nodes(tmp_path):
    with Nodes(tmp_path) as made:
        yield made


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def test_a_file_proposed_by_a_follower_reaches_the_maintainer_and_the_other_follower(
    nodes, tmp_path
):
    a, b, c = nodes.start("a", "b", "c")

    def anna_creates() -> tuple[str, str]:
        a.cli("id", "new", "--name", "anna")
        songs = a.cli_json("commons", "create", "--name", "Songs", "--kind", "text")["id"]
        return songs, a.cli("commons", "link", songs).strip()

    (songs, link), _, _ = parallel(
        anna_creates,
        lambda: b.cli("id", "new", "--name", "bao"),
        lambda: c.cli("id", "new", "--name", "chloe"),
    )
    parallel(lambda: b.cli("follow", link), lambda: c.cli("follow", link))
    assert a.get("/api/peers") == []  # A can learn of C only from what C sends it

    text = "Heard at dawn, over the marsh.\n"
    proposal = c.cli(
        "contribution",
        "propose",
        songs,
        "--title",
        "Curlew",
        "--put",
        "curlew.md=" + write(tmp_path, "curlew.md", text),
    ).strip()

    def on_a() -> dict:
        return a.get(f"/api/commons/{songs}/contributions/{proposal}")

    shown = wait_until(
        lambda: (s := on_a()) and not s["missing_files"] and s, ARRIVE, "the file to reach A"
    )
    assert shown["changes"][0]["here"] is True
    assert "curlew.md" in a.cli("contribution", "show", songs, proposal)
    assert "not on this node" not in a.cli("contribution", "show", songs, proposal)

    a.cli("contribution", "accept", songs, proposal)
    assert a.cli("artifact", "show", songs, "curlew.md") == text
    wait_until(
        lambda: [x["path"] for x in b.get(f"/api/commons/{songs}/artifacts")] == ["curlew.md"],
        ARRIVE,
        "the accept to reach B",
    )
    wait_until(lambda: b.get("/api/node")["files"]["missing"] == 0, ARRIVE, "the file on B")
    assert b.cli("artifact", "show", songs, "curlew.md") == text
    for node in (a, b, c):
        assert node.get("/api/node")["files"]["missing"] == 0, node
    assert "file(s) the followed commons show are not here" not in a.cli("status")


def push_events_only(home: Path, url: str, commons: str) -> None:
    """Send a home's events of ``commons`` to the node at ``url``, and none of its files (as
    a node of the past did)."""
    with Home(home) as h:
        raws = [row.raw for row in h.store.events(h.cid(bytes.fromhex(commons)))]
    response = httpx.post(
        f"{url}/sync/{commons}/events", content=b"".join(encode_stream(raws)), timeout=10
    )
    assert response.status_code == 200, response.text


def test_a_live_subscriber_gets_a_file_that_arrived_after_its_event(nodes, tmp_path):
    """B follows A live; an event reaches A, and B, before its file: when the file reaches
    A, A's live stream says so and B fetches it, without waiting for a sync round (every
    30 s)."""
    a, b = nodes.start("a", "b")
    a.cli("id", "new", "--name", "anna")
    songs = a.cli_json("commons", "create", "--name", "Songs", "--kind", "text")["id"]
    link = a.cli("commons", "link", songs).strip()
    b.cli("follow", link)
    c = tmp_path / "c"  # a home with no node running: the CLI works on it directly
    run_cli(c, "id", "new", "--name", "chloe")
    run_cli(c, "follow", link)
    text = "Heard at dawn.\n"
    proposal = run_cli(
        c, "contribution", "propose", songs, "--title", "Curlew",
        "--put", "curlew.md=" + write(tmp_path, "curlew.md", text),
    ).strip()  # fmt: skip
    blob = run_cli(c, "contribution", "show", songs, proposal, "--json")
    blob = json.loads(blob)["changes"][0]["blob"]
    push_events_only(c, a.url, songs)
    wait_until(lambda: b.get(f"/api/commons/{songs}/contributions/{proposal}"), ARRIVE, "B has it")
    assert b.get(f"/api/commons/{songs}/contributions/{proposal}")["missing_files"]

    uploaded = httpx.put(f"{a.url}/sync/{songs}/files/{blob}", content=text.encode())
    assert uploaded.status_code == 200, uploaded.text
    wait_until(
        lambda: not b.get(f"/api/commons/{songs}/contributions/{proposal}")["missing_files"],
        10.0,
        "the file to reach B",
    )


def test_an_import_looks_for_the_files_its_export_left_out(nodes, tmp_path):
    a, b = nodes.start("a", "b")
    a.cli("id", "new", "--name", "anna")
    songs = a.cli_json("commons", "create", "--name", "Songs", "--kind", "text")["id"]
    text = "Heard at dawn.\n"
    proposal = a.cli(
        "contribution", "propose", songs, "--title", "Curlew",
        "--put", "curlew.md=" + write(tmp_path, "curlew.md", text),
    ).strip()  # fmt: skip
    a.cli("contribution", "accept", songs, proposal)
    lazy = tmp_path / "lazy"  # follows Songs without its files
    run_cli(lazy, "blob", "policy", "--fetch", "lazy")
    run_cli(lazy, "follow", a.cli("commons", "link", songs).strip())
    export = tmp_path / "songs.communs"
    with tarfile.open(export_of(lazy, songs, export)) as tar:
        [missing] = json.load(tar.extractfile("MANIFEST.json"))["missing_files"]
    assert missing["path"] == "curlew.md"

    b.cli("peer", "add", a.url)
    b.cli("commons", "import", str(export))
    wait_until(lambda: b.get("/api/node")["files"]["missing"] == 0, ARRIVE, "the file on B")
    assert b.cli("artifact", "show", songs, "curlew.md") == text


def export_of(home: Path, commons: str, target: Path) -> Path:
    run_cli(home, "commons", "export", commons, str(target))
    return target
