"""Replication between real nodes: separate processes, each on its own home and port, talking
HTTP over loopback, stopped, killed and restarted the way people's machines are.

Each test bounds its waits (``wait_until``) and the ``nodes`` fixture stops every node it
started, even when the test fails.
"""

import http.server
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import psutil
import pytest

from communs.core.events import event_id, sign_event
from communs.node.home.folder import Home
from communs.store.local import LocalState
from nodes import Node, Nodes, communs_process, parallel, wait_until

pytestmark = pytest.mark.slow

CONVERGE = 30.0  # seconds for running peers to agree (they usually do in milliseconds)
BIG = 30_000  # events in the commons cloned in the SIGKILL test


@pytest.fixture
def nodes(tmp_path):
    """Start nodes with ``nodes.start(name, …)``; every one is stopped when the test ends."""
    with Nodes(tmp_path) as made:
        yield made


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def summary(node: Node, commons: str) -> tuple[str, int, list[str]] | None:
    """What peers holding the same events agree on: digest, event count, heads."""
    shown = node.show(commons)
    if shown is None:
        return None
    return shown["state_digest"], shown["events"], sorted(shown["heads"])


def converged(commons: str, *members: Node) -> Any:
    """The common summary once every member holds the same state of ``commons``, else None."""
    seen = [summary(node, commons) for node in members]
    if seen[0] is None or any(s != seen[0] for s in seen[1:]):
        return None
    return seen[0]


def wait_converged(commons: str, *members: Node, timeout: float = CONVERGE) -> Any:
    return wait_until(
        lambda: converged(commons, *members),
        timeout,
        lambda: (
            f"{', '.join(n.home.name for n in members)} to agree on commons "
            f"{commons[:12]} (digest, events, heads: {[summary(n, commons) for n in members]})"
        ),
    )


def contribution(node: Node, commons: str, ref: str) -> dict[str, Any]:
    return node.get(f"/api/commons/{commons}/contributions/{ref}")


# -- three nodes writing, one of them restarted --------------------------------------------


def test_three_nodes_write_fork_restart_and_converge(nodes, tmp_path):
    a, b, c = nodes.start("a", "b", "c")

    def anna_creates() -> tuple[str, str, str]:
        anna = a.cli("id", "new", "--name", "anna").strip()
        guide = a.cli_json("commons", "create", "--name", "Trail guide", "--kind", "text")["id"]
        return anna, guide, a.cli("commons", "link", guide).strip()

    (anna, guide, link), bao, chloe = parallel(
        anna_creates,
        lambda: b.cli("id", "new", "--name", "bao").strip(),
        lambda: c.cli("id", "new", "--name", "chloe").strip(),
    )
    assert link == f"communs://{guide}?peer={a.url.removeprefix('http://')}"
    parallel(lambda: b.cli("follow", link), lambda: c.cli("follow", link))
    assert b.show(guide)["maintainers"] == [{"did": anna, "name": "anna"}]

    # B proposes; A (the maintainer) accepts while C reviews, concurrently.
    draft = b.cli(
        "contribution",
        "propose",
        guide,
        "--title",
        "Draft",
        "--put",
        "guide.md=" + write(tmp_path, "g1.md", "one\ntwo\nthree\n"),
    ).strip()
    wait_converged(guide, a, b, c)
    parallel(
        lambda: a.cli("contribution", "accept", guide, draft),
        lambda: c.cli("contribution", "review", guide, draft, "--approve", "--comment", "ok"),
    )
    wait_converged(guide, a, b, c)
    shown = contribution(b, guide, draft)
    assert shown["state"] == "accepted" and shown["accepted_by"] == [anna]
    assert [(r["by"], r["verdict"]) for r in shown["reviews"]] == [(chloe, "approve")]

    # C forks; A and B follow the fork through C's link; C and B write on it, and C proposes
    # the fork's change back to the parent.
    fork = c.cli_json("fork", guide, "--name", "Trail guide (Breton)")["id"]
    fork_link = c.cli("commons", "link", fork).strip()
    parallel(lambda: a.cli("follow", fork_link), lambda: b.cli("follow", fork_link))

    def chloe_on_the_fork() -> str:
        breton = c.cli(
            "contribution",
            "propose",
            fork,
            "--title",
            "Breton title",
            "--put",
            "guide.md=" + write(tmp_path, "g2.md", "unan\ntwo\nthree\n"),
        ).strip()
        c.cli("contribution", "accept", fork, breton)
        return c.cli("contribution", "propose", fork, "--to-parent", "--title", "Breton").strip()

    back, glossary = parallel(
        chloe_on_the_fork,
        lambda: b.cli(
            "contribution",
            "propose",
            fork,
            "--title",
            "Glossary",
            "--put",
            "glossary.md=" + write(tmp_path, "gl.md", "unan: one\n"),
        ).strip(),
    )
    wait_converged(guide, a, b, c)
    wait_converged(fork, a, b, c)
    assert contribution(a, guide, back)["state"] == "open"
    assert contribution(a, fork, glossary)["author"] == bao

    # B stops; A and C keep writing, and so does B, on its home, while its node is down.
    assert b.stop() is not None, "B did not stop within 10 s of SIGTERM"
    parallel(
        lambda: a.cli("contribution", "accept", guide, back),
        lambda: c.cli(
            "contribution",
            "propose",
            guide,
            "--title",
            "Maps",
            "--put",
            "maps.md=" + write(tmp_path, "maps.md", "north\n"),
        ),
        lambda: c.cli("contribution", "review", fork, glossary, "--comment", "trugarez"),
        lambda: b.cli("contribution", "review", guide, back, "--comment", "read offline"),
    )
    wait_converged(guide, a, c)
    wait_converged(fork, a, c)

    # B comes back on a new port; A learns the new address (B knows A's and C's); all three
    # converge, on the parent and on the fork.
    b.start()
    a.cli("peer", "add", b.url)
    assert b.url in [p["url"] for p in a.get("/api/peers")]
    agreed_guide = wait_converged(guide, a, b, c)
    agreed_fork = wait_converged(fork, a, b, c)

    # The same logs; what B wrote while down reached the others.
    log_a, log_b = parallel(
        lambda: a.cli_json("commons", "log", guide), lambda: b.cli_json("commons", "log", guide)
    )
    assert len(log_a) == len(log_b) == agreed_guide[1]
    assert sorted(e["id"] for e in log_a) == sorted(e["id"] for e in log_b)
    assert len(b.get(f"/api/commons/{fork}/log")) == agreed_fork[1]
    merged = contribution(c, guide, back)
    assert merged["state"] == "accepted"
    assert (bao, "read offline") in [(r["by"], r["comment"]) for r in merged["reviews"]]
    assert {x["path"] for x in b.get(f"/api/commons/{guide}/artifacts")} == {"guide.md"}


# -- SIGKILL in the middle of a large clone --------------------------------------------------


def append_events(home: Path, commons: str, count: int) -> None:
    """``count`` events by the home's default identity on top of ``commons`` (proposals, a
    review and an accept of each), ingested straight into the home (no node may run)."""
    with Home(home) as h:
        me = h.identity()
        cid = bytes.fromhex(commons)
        parents = h.store.heads(h.cid(cid))
        clock = 1 + max(c for _, c in h.store.clocks(parents).values())
        raws, proposal = [], b""
        for i in range(count):
            if i % 3 == 0:
                kind = "contribution.propose"
                change = {"path": f"notes/{i}.md", "blob": os.urandom(32), "size": 6}
                body: dict[str, Any] = {"title": f"Note {i}", "changes": [change]}
            elif i % 3 == 1:
                kind = "contribution.review"
                body = {"contribution": proposal, "verdict": "comment", "comment": f"#{i}"}
            else:
                kind = "contribution.accept"
                body = {"contribution": proposal, "revision": 0}
            raw = sign_event(
                me,
                commons=cid,
                type=kind,
                parents=parents,
                clock=clock,
                time=1_700_000_000_000 + i,
                body=body,
            )
            parents, clock = [event_id(raw)], clock + 1
            if i % 3 == 0:
                proposal = parents[0]
            raws.append(raw)
        report = h.ingest(raws)
        assert len(report.added) == count and not report.refused


def stored_ids(home: Path) -> set[bytes]:
    """The ids of the events committed to a home's database, read without writing to it."""
    db = sqlite3.connect(f"file:{home / 'communs.db'}?mode=ro", uri=True, timeout=5.0)
    try:
        return {row[0] for row in db.execute("SELECT id FROM events")}
    finally:
        db.close()


def integrity(home: Path) -> str:
    db = sqlite3.connect(f"file:{home / 'communs.db'}?mode=ro", uri=True, timeout=5.0)
    try:
        return "; ".join(row[0] for row in db.execute("PRAGMA integrity_check"))
    finally:
        db.close()


def test_sigkill_during_a_large_clone_loses_nothing(nodes, tmp_path):
    a, b = nodes.new("a"), nodes.new("b")
    parallel(
        lambda: a.cli("id", "new", "--name", "anna"), lambda: b.cli("id", "new", "--name", "bao")
    )
    big = a.cli_json("commons", "create", "--name", "Big")["id"]
    append_events(a.home, big, BIG)  # A is not running yet
    nodes.run(a, b)
    expected = summary(a, big)
    assert expected is not None and expected[1] == BIG + 2
    link = a.cli("commons", "link", big).strip()

    # B's node clones through the follow command; kill B's node part-way.
    follow = subprocess.Popen(
        [sys.executable, "-m", "communs", "--home", str(b.home), "follow", link],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: len(stored_ids(b.home)) >= BIG // 5, 60, "B to store part of it")
        # What `communs follow` draws its progress bar from: the pull under way, with how
        # many events A holds that B lacked.
        pulls = b.get("/api/sync/pulls")
        assert [(p["peer"], p["commons"], p["total"]) for p in pulls] == [(a.url, big, BIG + 2)]
        assert 0 < pulls[0]["done"] <= BIG + 2
        before = stored_ids(b.home)  # committed: a crash must not take these back
        b.kill()
        _, err = follow.communicate(timeout=30)
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.wait(10)
    assert len(before) < BIG + 2, "the clone ended before the kill: make BIG larger"
    assert follow.returncode != 0, f"the follow went through B's node, killed part-way: {err}"

    assert integrity(b.home) == "ok"
    assert before <= stored_ids(b.home)

    # Restarted, B catches up on its own (a node syncs with its peers when it reconnects;
    # a `sync` run meanwhile would pull the same events a second time): the same digest,
    # events and heads as A, nothing lost. Then `sync` finds nothing left to move.
    b.start()
    wait_until(
        lambda: summary(b, big) == expected,
        CONVERGE,
        lambda: f"B to catch up with A: {summary(b, big)} != {expected}",
    )
    results = b.cli_json("sync", "--peer", a.url, big)
    assert [(r.get("error"), r["pulled"], r["pushed"]) for r in results] == [(None, 0, 0)]
    assert before <= stored_ids(b.home)
    b.stop()
    assert integrity(b.home) == "ok"
    assert len(stored_ids(b.home)) == BIG + 2


# -- the CLI through a running node ----------------------------------------------------------


def test_cli_through_a_running_node_sees_what_the_home_holds(nodes, tmp_path):
    (n,) = nodes.start("solo")
    n.cli("id", "new", "--name", "anna")
    assert n.cli_json("status")["url"] == n.url  # the commands go through the node
    songs = n.cli_json("commons", "create", "--name", "Songs", "--kind", "media")["id"]
    first = n.cli(
        "contribution",
        "propose",
        songs[:8],
        "--title",
        "Blackbird",
        "--put",
        "blackbird.txt=" + write(tmp_path, "b.txt", "la la\n"),
    ).strip()
    through_node = n.cli_json("commons", "show", songs)
    listed = n.cli_json("contribution", "list", songs)
    assert through_node["events"] == 3 and through_node["contributions"]["open"] == 1
    assert [(x["id"], x["title"], x["state"]) for x in listed] == [(first, "Blackbird", "open")]

    n.stop()
    assert n.cli_json("status")["url"] is None  # now straight on the home
    assert n.cli_json("commons", "show", songs) == through_node
    assert n.cli_json("contribution", "list", songs) == listed


def test_a_peer_that_cannot_be_reached_shows_why(nodes):
    """A peer that is down is not a silent "never synced": its error is in `peer list`."""
    (n,) = nodes.start("n")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{probe.getsockname()[1]}"
    n.cli("peer", "add", down)
    peer = wait_until(
        lambda: next((p for p in n.cli_json("peer", "list") if p["last_error"]), None),
        CONVERGE,
        "the failed attempt to reach the peer to be recorded",
    )
    assert peer["url"] == down and peer["failures"] >= 1 and peer["last_ok"] is None
    assert "refused" in peer["last_error"].lower(), peer

    # Following from it through the running node: the peer is named, not this home's node.
    link = f"communs://{'ab' * 32}?peer={down.removeprefix('http://')}"
    followed = communs_process(n.home, "follow", link)
    assert followed.returncode == 1, followed
    assert f"the peer {down} did not answer" in followed.stderr, followed.stderr
    assert "the node running on this home" not in followed.stderr


def test_sigterm_lets_the_node_close_its_home(nodes):
    (n,) = nodes.start("n")
    assert (n.home / "node.json").exists()
    n.stop()
    assert not (n.home / "node.json").exists()


def established(node: Node) -> int:
    """Connections open to the node's port (a peer's live stream stays open)."""
    port = int(node.url.rsplit(":", 1)[1])  # type: ignore[union-attr]
    return sum(
        1
        for conn in psutil.Process(node.pid).net_connections("tcp")
        if conn.status == psutil.CONN_ESTABLISHED and conn.laddr.port == port
    )


def test_sigterm_stops_a_node_peers_subscribe_to(nodes):
    a, b = nodes.start("a", "b")
    b.cli("peer", "add", a.url)  # B subscribes to A's live stream
    wait_until(lambda: established(a), 20, "B's live stream to A")
    assert a.stop(timeout=5) is not None, "A still ran 5 s after SIGTERM"


def test_peer_add_refuses_what_is_not_another_communs_node(nodes):
    """A typo, any other web server and the node's own address are refused with what to do,
    and nothing is added; a node that is only off is added with a warning."""
    (n,) = nodes.start("n")

    def add(url: str) -> subprocess.CompletedProcess:
        return communs_process(n.home, "peer", "add", url)

    typo = add("nonsense.invalid")
    assert typo.returncode == 2 and "not a host name this machine knows" in typo.stderr

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        other = add(f"127.0.0.1:{web.server_address[1]}")
    finally:
        web.shutdown()
        web.server_close()
    assert other.returncode == 1 and "not a Communs node" in other.stderr, other.stderr

    itself = add(n.url)
    assert itself.returncode == 1 and "own address" in itself.stderr, itself.stderr
    assert n.cli_json("peer", "list") == []

    with socket.socket() as probe:  # a port nobody listens on: a node that is off
        probe.bind(("127.0.0.1", 0))
        off = f"http://127.0.0.1:{probe.getsockname()[1]}"
    later = add(off)
    assert later.returncode == 0 and "tried again at each sync" in later.stderr, later.stderr
    assert [p["url"] for p in n.cli_json("peer", "list")] == [off]


def test_a_link_is_followed_only_from_a_node_that_holds_its_commons(nodes):
    """A link naming a commons its peer lacks is refused, and leaves no follow and no peer;
    a follow of a commons held nowhere here can still be removed by its id."""
    n, m = nodes.start("n", "m")
    lacked = "cd" * 32
    link = f"communs://{lacked}?peer={m.url.removeprefix('http://')}"
    followed = communs_process(n.home, "follow", link)
    assert followed.returncode == 1, followed
    assert "does not hold the commons cdcdcdcdcdcd" in followed.stderr, followed.stderr
    assert n.cli_json("peer", "list") == []
    assert lacked not in n.get("/api/follows")["commons"]

    n.stop()  # a follow left by an earlier release, of a commons never fetched
    local = LocalState(n.home / "local.db")
    local.follow(bytes.fromhex(lacked))
    local.close()
    n.cli("unfollow", lacked)
    local = LocalState(n.home / "local.db")
    assert bytes.fromhex(lacked) not in local.follows()
    local.close()
