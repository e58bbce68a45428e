"""Erasure on every node: an author takes back a comment and their display name on A; B and
C, which follow A, hold neither afterwards, still verify every event and reach A's digest;
a node that clones the commons later never gets the text back. Real node processes."""

import httpx
import pytest

from nodes import Nodes, parallel, wait_until

pytestmark = pytest.mark.slow

ARRIVE = 30.0  # seconds for an event or a file to reach a node (milliseconds, usually)
SECRET = "Call me on 06 12 34 56 78 about the walk"


@pytest.fixture
def nodes(tmp_path):
    with Nodes(tmp_path) as made:
        yield made


def held(node, content: str) -> bool:
    """Whether a node serves a file (here: a detached text) to anyone who asks."""
    response = httpx.get(f"{node.url}/api/blobs/{content}", timeout=10.0, trust_env=False)
    return response.status_code == 200


def thread(node, commons: str) -> list[dict]:
    return node.get(f"/api/commons/{commons}/thread", kind="commons")["messages"]


def digest(node, commons: str) -> str | None:
    shown = node.show(commons)
    return shown and shown["state_digest"]


def test_an_author_erases_a_comment_and_their_name_on_every_node(nodes):
    a, b, c = nodes.start("a", "b", "c")
    a.cli("id", "new", "--name", "anna")
    a.cli("id", "new", "--name", "dara")
    guide = a.cli_json("commons", "create", "--name", "Guide", "--as", "anna")["id"]
    link = a.cli("commons", "link", guide).strip()
    parallel(lambda: b.cli("follow", link), lambda: c.cli("follow", link))

    a.cli("comment", guide, "commons", SECRET, "--as", "dara")
    [posted] = thread(a, guide)
    text, dara = posted["content"], posted["author"]
    name = a.get(f"/api/commons/{guide}/thread", kind="commons")["messages"][0]["author_name"]
    assert posted["text"] == SECRET and name == "dara"
    for node in (b, c):  # the text and the name travel as files beside the events
        wait_until(
            lambda n=node: [m["text"] for m in thread(n, guide)] == [SECRET], ARRIVE, f"{node}"
        )
        assert thread(node, guide)[0]["author_name"] == "dara"
        assert held(node, text)

    erased = a.cli_json("erase", guide, f"message:{posted['id'][:8]}", "--as", "dara")
    assert erased["erased"] == [text]
    assert len(a.cli_json("erase", guide, "name", "--as", "dara")["erased"]) == 1

    for node in (a, b, c):
        wait_until(
            lambda n=node: thread(n, guide)[0]["erased"] is not None, ARRIVE, f"erased on {node}"
        )
        [message] = thread(node, guide)
        assert message["text"] == "" and message["erased"]["moderated"] is False
        assert message["author_name"] is None  # the name is gone too
        assert not held(node, text)
        assert "erased by its author" in node.cli("thread", "show", guide, "commons")
        assert SECRET not in node.cli("thread", "show", guide, "commons")
    wait_until(
        lambda: digest(b, guide) == digest(c, guide) == digest(a, guide),
        ARRIVE,
        lambda: f"the same digest everywhere: {[digest(n, guide) for n in (a, b, c)]}",
    )
    # Every event still verifies: a fresh node takes the whole history from B.
    (d,) = nodes.start("d")
    d.cli("follow", b.cli("commons", "link", guide).strip())
    wait_until(lambda: digest(d, guide) == digest(a, guide), ARRIVE, "D to reach the digest")
    [message] = thread(d, guide)
    assert message["erased"] is not None and message["text"] == "" and not held(d, text)
    assert dara not in {m["author"] for m in thread(d, guide) if m["author_name"]}
    # Nobody can put the text back: a node refuses an erased file, even with its right hash.
    refused = httpx.put(
        f"{a.url}/sync/{guide}/files/{text}",
        content=b"x" * 16 + SECRET.encode(),
        timeout=10.0,
        trust_env=False,
    )
    assert refused.status_code >= 400 and not held(a, text)
