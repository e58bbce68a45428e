"""Which events a peer lacks: the painted DAG walk must find exactly the set difference."""

from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from communs.node.home.fairlock import FairLock
from communs.node.peers import sync
from communs.node.peers.sync import missing_ids
from eventkit import Peer, World, charter


class CountedLock(FairLock):
    def __init__(self) -> None:
        super().__init__()
        self.taken = 0

    def __enter__(self) -> bool:
        self.taken += 1
        return super().__enter__()


@st.composite
def histories(draw):
    """A commons written by 3 writers who learn from each other only sometimes, and a
    peer that saw a causally closed part of it (the past of some of its events)."""
    world = World()
    writers = [world.writer(n) for n in (1, 2, 3)]
    genesis = writers[0].create(charter("c", [writers[0].me]))
    for w in writers[1:]:
        w.learn(genesis)
    for step in range(draw(st.integers(0, 40))):
        writer = writers[draw(st.integers(0, 2))]
        if draw(st.booleans()):
            other = writers[draw(st.integers(0, 2))]
            writer.learn(*other.known.values())
        writer.emit(genesis.id, "profile.set", {"name": f"n{step}"})
    events = world.of(genesis.id)
    seen_heads = draw(st.lists(st.sampled_from(events), max_size=4))
    return world, genesis.id, events, [e.id for e in seen_heads]


@settings(max_examples=80, deadline=None)
@given(histories())
def test_missing_is_exactly_what_the_other_side_lacks(history):
    world, commons, events, their_heads = history
    peer = Peer()
    try:
        peer.ingest(*events)
        cid = peer.cid(commons)
        found = missing_ids(peer.store, cid, their_heads)
        theirs = {e.id for e in world.past(their_heads)}
        if not their_heads:
            assert found is None  # they know nothing: send everything
            return
        expected = [e for e in sorted(events, key=lambda e: e.position) if e.id not in theirs]
        assert found == [e.id for e in expected]  # exactly, and in fold order
        # Taking the node's lock again after every step changes nothing in the answer.
        lock = CountedLock()
        with mock.patch.object(sync, "WALK_SECONDS", 0.0):
            assert missing_ids(peer.store, cid, their_heads, lock) == found
        assert lock.taken > len(found)  # once to start, then once per step at least
    finally:
        peer.close()


def test_unknown_heads_mean_everything(world):
    writer = world.writer(1)
    genesis = writer.create(charter("c", [writer.me]))
    writer.emit(genesis.id, "profile.set", {"name": "a"})
    peer = Peer()
    try:
        peer.ingest(*world.of(genesis.id))
        assert missing_ids(peer.store, peer.cid(genesis.id), [b"\x01" * 32]) is None
    finally:
        peer.close()
