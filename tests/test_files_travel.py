"""Files travel with the events that name them, whichever way the events went: pushed to a
node that lists no peer, relayed on live streams, synced by a node nobody can reach.

Three real nodes: B and C follow A, and only they list A as a peer (A lists nobody)."""

from pathlib import Path

import pytest

from nodes import Nodes, parallel, wait_until

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
