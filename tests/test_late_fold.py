"""Late events replay only what they change.

An event that lands before the tip of the fold replays the later events that touch a record
it changed (and what those change in turn), read from the store's index of the records each
event read or wrote; every other event keeps its outcome. These tests deliver histories so
that nearly every batch lands late, and check the stored state against the reference fold
after every batch, then count what a stranger's late chain replays.
"""

import random

from hypothesis import given
from hypothesis import strategies as st

from communs.core.events import sign_event
from eventkit import Peer, World, charter, fold_at, identity
from test_convergence import HISTORIES, History, ops


def needs(event) -> list[bytes]:
    """What an event waits for: its parents, and a fork's genesis the heads it forks at."""
    origin = event.is_genesis and event.body.forked_from
    return [*event.parents, *(origin.heads if origin else ())]


def causal_shuffle(events: list, rng: random.Random) -> list:
    """The events in a random order that keeps everything an event needs before it, most
    often the highest clock that may come next: one branch races ahead, and the others land
    before the tip of the fold."""
    ids = {e.id for e in events}
    waiting = {e.id: {p for p in needs(e) if p in ids} for e in events}
    children: dict[bytes, list] = {}
    for e in events:
        for p in waiting[e.id]:
            children.setdefault(p, []).append(e)
    ready = [e for e in events if not waiting[e.id]]
    order = []
    while ready:
        if rng.random() < 0.7:
            pick = max(range(len(ready)), key=lambda i: ready[i].position)
        else:
            pick = rng.randrange(len(ready))
        event = ready.pop(pick)
        order.append(event)
        for child in children.get(event.id, ()):
            waiting[child.id].discard(event.id)
            if not waiting[child.id]:
                ready.append(child)
    assert len(order) == len(events)
    return order


def check_every_commons(peer: Peer, world: World, delivered: list) -> None:
    """The peer's state of each commons is the reference fold of what it was given."""
    for commons in {e.commons for e in delivered}:
        mine = [e for e in delivered if e.commons == commons]
        parents = {p for e in mine for p in e.parents}
        heads = [e.id for e in mine if e.id not in parents]
        assert peer.digest(commons) == fold_at(world, commons, heads).digest()


@HISTORIES
@given(
    people=st.integers(3, 5),
    threshold=st.integers(1, 2),
    mode=st.sampled_from(["review", "publish"]),
    drawn=ops,
    rng=st.randoms(use_true_random=False),
    batch=st.integers(1, 4),
)
def test_late_batches_fold_to_the_reference_state_at_every_step(
    people, threshold, mode, drawn, rng, batch
):
    history = History(people, threshold, mode)
    history.run(drawn)
    world = history.world
    order = causal_shuffle(world.order, rng)
    peer = Peer()
    try:
        delivered = []
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            report = peer.ingest(*chunk)
            assert not report.refused, report.refused
            delivered += chunk
            check_every_commons(peer, world, delivered)
    finally:
        peer.close()


def profile_chain(world: World, n: int, genesis, length: int, name: str) -> list:
    """``length`` profile names by identity ``n``, each on the last, the first on the genesis."""
    author, parent, chain = identity(n), genesis.id, []
    for clock in range(1, length + 1):
        raw = sign_event(
            author,
            commons=genesis.id,
            type="profile.set",
            parents=[parent],
            clock=clock,
            time=clock,
            body={"name": f"{name}{clock}"},
        )
        chain.append(world.record(raw))
        parent = chain[-1].id
    return chain


def test_a_strangers_late_chain_replays_nobody_elses_events(monkeypatch):
    """Chains of profiles on the genesis, each by its own author, arriving one after the
    other: each lands before the others' tails, and touches none of their records."""
    world = World()
    founder = world.writer(1)
    genesis = founder.create(charter("Main", [founder.me]))
    peer = Peer()
    replayed: list[bytes] = []
    original = peer.store.update_results

    def counting(results):
        results = list(results)
        replayed.extend(eid for eid, _, _ in results)
        return original(results)

    monkeypatch.setattr(peer.store, "update_results", counting)
    try:
        peer.ingest(genesis)
        chains = {n: profile_chain(world, n, genesis, 30, f"p{n}-") for n in range(2, 8)}
        for chain in chains.values():
            assert not peer.ingest(*chain).refused
        assert replayed == []
        check_every_commons(peer, world, world.order)
        # A second branch by author 2 writes the record its chain writes: exactly the events
        # of that chain after it fold again (their undos change), nobody else's.
        (branch,) = profile_chain(world, 2, genesis, 1, "again-")
        assert not peer.ingest(branch).refused
        later = [e.id for e in chains[2] if e.position > branch.position]
        assert len(later) >= 29 and sorted(replayed) == sorted(later)
        check_every_commons(peer, world, world.order)
    finally:
        peer.close()
