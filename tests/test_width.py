"""Width is normal: a commons with more heads than an event may name (many offline authors,
a stranger's burst on one parent) still acts, forks, syncs and converges, and its heads
shrink back below the bound without anyone's help."""

import random
import tempfile
from pathlib import Path

import cbor2
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from communs.core.events import MAX_FORK_HEADS, MAX_PARENTS, bounded_heads, sign_event
from communs.core.identity import Identity
from communs.node.home.folder import Actor, Home
from communs.node.peers.sync import missing_ids
from communs.node.service import Service
from nodes import Nodes, wait_until

AUTHORS = 1000


@given(
    st.dictionaries(st.binary(min_size=32, max_size=32), st.integers(1, 50), min_size=1),
    st.integers(1, 40),
)
def test_bounded_heads_keep_the_newest_and_merge_the_oldest(clocks, bound):
    chosen = bounded_heads(clocks, bound)
    assert chosen == sorted(set(chosen)) and set(chosen) <= set(clocks)
    assert len(chosen) == min(bound, len(clocks))
    # The newest head is always named: an event on the chosen ones keeps its clock.
    assert max(clocks[h] for h in chosen) == max(clocks.values())
    # The same heads in any order give the same choice.
    shuffled = dict(random.Random(bound).sample(sorted(clocks.items()), len(clocks)))
    assert bounded_heads(shuffled, bound) == chosen


def _wide(service: Service, commons: bytes, authors: int) -> list[bytes]:
    """``authors`` profile.set events, each by another author, all on the same heads: as
    many people acting offline on the same state, or a stranger's burst."""
    parents, clock = service.home.next_position(commons)
    return [
        sign_event(
            _person(n + 1),
            commons=commons,
            type="profile.set",
            parents=parents,
            clock=clock,
            time=1_700_000_000_000 + n,
            body={"name": f"person {n}"},
        )
        for n in range(authors)
    ]


def _person(n: int) -> Identity:
    """The n-th of many deterministic identities."""
    return Identity(n.to_bytes(4, "big") * 8)


def _say(service: Service, n: int, commons: bytes, text: str) -> None:
    service.thread_post(Actor(f"peer{n}"), commons.hex(), "commons", "", text)


def _heads(service: Service, commons: bytes) -> list[bytes]:
    store = service.home.store
    return store.heads(store.commons_cid(commons))


def _sync(into: Service, source: Service, commons: bytes, bound: int) -> None:
    """Pull what ``into`` lacks from ``source`` as the protocol does, naming at most ``bound``
    of its heads (a node with more names a subset)."""
    store = source.home.store
    cid = store.commons_cid(commons)
    asked = into.home.heads(commons, bound)[0] if into.home.store.commons_cid(commons) else []
    ids = missing_ids(store, cid, asked)
    rows = store.events(cid) if ids is None else [store.event(eid) for eid in ids]
    report = into.home.ingest([r.raw for r in rows])
    assert not report.refused and not report.pending


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A commons, and 1,000 concurrent events on its first heads."""
    root = tmp_path_factory.mktemp("width")
    origin = Service(Home(root / "origin"))
    origin.identity_new("anna")
    made = origin.commons_create(Actor("anna"), name="Wide commons")
    commons = bytes.fromhex(made["id"])
    genesis = [r.raw for r in origin.home.store.events(origin.home.cid(commons))]
    wide = _wide(origin, commons, AUTHORS)
    origin.close()
    return root, commons, genesis, wide


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shares=st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(1, 5)),
    bound=st.sampled_from([1, 7, 300, 16384]),
    seed=st.integers(0, 2**16),
)
def test_a_thousand_concurrent_authors_every_peer_acts_forks_syncs_and_converges(
    world, shares, bound, seed
):
    root, commons, genesis, wide = world
    folder = Path(tempfile.mkdtemp(dir=root))  # hypothesis may draw the same example twice
    peers = [Service(Home(folder / name)) for name in ("a", "b", "c")]
    try:
        rng = random.Random(seed)
        split = rng.choices(range(3), weights=shares, k=AUTHORS)  # who received which event
        for n, peer in enumerate(peers):
            peer.identity_new(f"peer{n}")
            peer.home.ingest(genesis)
            mine = [raw for raw, at in zip(wide, split, strict=True) if at == n]
            rng.shuffle(mine)  # in any order: a child never waits for a sibling
            assert not peer.home.ingest(mine).refused
        # Each peer acts on its own part of the width, then everyone syncs with everyone
        # (naming at most ``bound`` heads) and acts again.
        for _ in range(2):
            for n, peer in enumerate(peers):
                _say(peer, n, commons, f"peer {n} again")
                assert len(_heads(peer, commons)) <= max(1, AUTHORS - MAX_PARENTS + 2)
            for into in peers:
                for source in peers:
                    if into is not source:
                        _sync(into, source, commons, bound)
        _sync(peers[0], peers[1], commons, bound)  # the last writes reach everyone
        _sync(peers[0], peers[2], commons, bound)
        for peer in peers[1:]:
            _sync(peer, peers[0], commons, bound)
        digests = {p.commons_show(commons.hex())["state_digest"] for p in peers}
        heads = {tuple(_heads(p, commons)) for p in peers}
        assert len(digests) == 1 and len(heads) == 1
        events = peers[0].commons_show(commons.hex())["events"]
        assert events == len(genesis) + AUTHORS + 2 * len(peers) + len(peers)  # + names signed

        # Whoever acts now merges the width back below the bound within a few events.
        writer = peers[rng.randrange(3)]
        acts = 0
        while len(_heads(writer, commons)) > MAX_PARENTS:
            _say(writer, peers.index(writer), commons, f"act {acts}")
            acts += 1
        assert acts <= 4
        # And anyone forks it, whatever its width, with its whole history.
        fork = writer.fork(Actor(f"peer{peers.index(writer)}"), commons.hex(), name="Wide fork")
        shown = writer.commons_show(fork["id"])
        assert shown["state_digest"] and len(shown["maintainers"]) == 1
    finally:
        for peer in peers:
            peer.close()


def test_a_fork_names_at_most_its_bound_of_heads(tmp_path):
    service = Service(Home(tmp_path / "home"))
    try:
        service.identity_new("anna")
        commons = bytes.fromhex(service.commons_create(Actor("anna"), name="Wide")["id"])
        wide = _wide(service, commons, MAX_FORK_HEADS + 30)
        assert not service.home.ingest(wide).refused
        assert len(_heads(service, commons)) == MAX_FORK_HEADS + 30
        fork = service.fork(Actor("anna"), commons.hex(), name="Fork of a wide commons")
        genesis = next(service.home.store.events(service.home.cid(bytes.fromhex(fork["id"]))))
        origin = cbor2.loads(cbor2.loads(genesis.raw)[0])["body"]["forked_from"]
        assert len(origin["heads"]) == MAX_FORK_HEADS
    finally:
        service.close()


# -- real nodes: a stranger's burst of width over HTTP -----------------------------------


@pytest.fixture
def nodes(tmp_path):
    with Nodes(tmp_path) as made:
        yield made


def test_a_node_with_a_thousand_heads_still_acts_forks_and_syncs(nodes, tmp_path):
    a, b = nodes.start("a", "b")
    a.cli("id", "new", "--name", "anna")
    b.cli("id", "new", "--name", "bao")
    guide = a.cli_json("commons", "create", "--name", "Trail guide", "--kind", "text")["id"]
    link = a.cli("commons", "link", guide).strip()
    b.cli("follow", link)
    wait_until(lambda: (b.show(guide) or {}).get("events") == a.show(guide)["events"], 30, "b")

    # A stranger pushes 1,070 valid events that all name A's heads.
    shown = a.show(guide)
    parents = sorted(bytes.fromhex(h) for h in shown["heads"])
    clock = shown["events"]  # a chain so far: its newest event has clock events - 1
    wide = [
        sign_event(
            _person(n + 1),
            commons=bytes.fromhex(guide),
            type="profile.set",
            parents=parents,
            clock=clock,
            time=1_700_000_000_000 + n,
            body={"name": f"visitor {n}"},
        )
        for n in range(1070)
    ]
    body = b"".join(cbor2.dumps(raw) for raw in wide)
    pushed = httpx.post(f"{a.url}/sync/{guide}/events", content=body, timeout=60).json()
    assert pushed["added"] == 1070, pushed
    assert len(a.show(guide)["heads"]) == 1070

    # The maintainer still acts: the contribution names a bounded few of the heads.
    draft = a.cli(
        "contribution",
        "propose",
        guide,
        "--title",
        "Draft",
        "--put",
        "guide.md=" + str(_file(tmp_path, "one\n")),
    ).strip()
    a.cli("contribution", "accept", guide, draft)
    assert len(a.show(guide)["heads"]) <= 1070 - 2 * (MAX_PARENTS - 1) + 1
    # Anyone forks it.
    fork = a.cli_json("fork", guide, "--name", "Wide fork")["id"]
    assert a.show(fork)["state_digest"]
    # A peer syncs it, width and all (more heads than a sync used to take), and converges.
    b.cli("sync", guide, "--peer", a.url)
    wait_until(
        lambda: b.show(guide)["state_digest"] == a.show(guide)["state_digest"], 30, "converged"
    )
    assert sorted(b.show(guide)["heads"]) == sorted(a.show(guide)["heads"])
    # A few more actions and the heads are back below the bound.
    for n in range(4):
        if len(b.show(guide)["heads"]) <= MAX_PARENTS:
            break
        b.cli("comment", guide, "commons", f"bao says {n}")
    assert len(b.show(guide)["heads"]) <= MAX_PARENTS


def _file(folder, text: str):
    path = folder / "guide.md"
    path.write_text(text)
    return path
