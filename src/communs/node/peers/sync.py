"""Replication between nodes: which events a peer lacks, and moving them in causal batches.

Protocol (HTTP, bodies in CBOR; events travel as a CBOR sequence of byte strings, so a
clone costs barely more than the events themselves):

- ``POST /sync/{commons}/missing`` with ``{heads: [id]}``: the server answers a CBOR sequence
  whose first item is ``{heads: [its heads], unknown: [the given heads it lacks]}``, followed by
  every event it has outside the causal past of the given heads, in (clock, id) order — so
  every prefix of the stream is causally closed and can be ingested as it arrives.
- ``POST /sync/{commons}/events`` with a CBOR sequence of events: the server ingests them.
- ``GET /sync/live``: a stream of events as the server ingests them (push propagation).

A sync round with a peer pulls what we lack given our heads, then pushes what the peer
lacks given its heads. The asker names at most ``MAX_SYNC_HEADS`` heads; a node with more
names a deterministic subset of them (``bounded_heads``), which is still correct: the server
then also sends events in the past of the heads left out, which the asker skips as known.

Which events one side lacks is found by painting the DAG from both sets of heads downwards in
decreasing (clock, id) order, as git finds a merge base: the walk stops as soon as every open
branch is an ancestor of the other side's heads, so it costs the number of new events, not
the size of the commons.
"""

import heapq
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import cbor2

from ... import domain
from ...store import Store

UNLOCKED = nullcontext()  # for a store no other thread uses
WALK_SECONDS = 0.01  # the longest the walk holds the node's lock at a time
MAX_SYNC_HEADS = 16384  # 557 KB of CBOR, within the 1 MiB a ``missing`` request may take


def parents_of(store: Store, event_id: bytes) -> tuple[bytes, ...]:
    row = store.event(event_id)
    assert row is not None
    return domain.parse_checked(row.raw).parents


def missing_ids(
    store: Store,
    cid: int,
    their_heads: Iterable[bytes],
    lock: AbstractContextManager[Any] = UNLOCKED,
) -> list[bytes] | None:
    """Ids of our events outside the causal past of ``their_heads``, in fold order; None
    when we know none of their heads (then they lack everything we have).

    The store is read under ``lock`` (the node's writer lock), taken again every
    ``WALK_SECONDS``: a peer that lacks tens of thousands of events would otherwise keep
    everyone else waiting for the whole walk. Events are never changed once stored, so what
    is added meanwhile only means the answer stops at the heads we had when it started.
    """
    with lock:
        ours = store.heads(cid)
        clocks = store.clocks(set(their_heads))
        known = [h for h, (c, _) in clocks.items() if c == cid]
        if not known:
            return None
        our_clocks = store.clocks(ours)
    theirs: dict[bytes, bool] = {}  # id -> is it in the past of their heads?
    heap: list[tuple[int, bytes]] = []
    open_ours = 0  # queued nodes not (yet) known to be theirs

    def push(eid: bytes, clock: int, is_theirs: bool) -> None:
        nonlocal open_ours
        if eid in theirs:
            if is_theirs and not theirs[eid]:
                theirs[eid] = True
                open_ours -= 1
            return
        theirs[eid] = is_theirs
        open_ours += not is_theirs
        heapq.heappush(heap, (-clock, eid))

    for eid in known:
        push(eid, clocks[eid][1], True)
    for eid, (_, clock) in our_clocks.items():
        push(eid, clock, False)
    missing: list[tuple[int, bytes]] = []
    while open_ours and heap:
        with lock:
            until = time.perf_counter() + WALK_SECONDS
            while True:  # one step at least, each time the lock is taken
                negative_clock, eid = heapq.heappop(heap)
                is_theirs = theirs[eid]
                if not is_theirs:
                    open_ours -= 1
                    missing.append((-negative_clock, eid))
                for parent, (_, clock) in store.clocks(parents_of(store, eid)).items():
                    push(parent, clock, is_theirs)
                if not (open_ours and heap) or time.perf_counter() >= until:
                    break
    return [eid for _, eid in sorted(missing)]


def encode_stream(items: Iterable[object]) -> Iterator[bytes]:
    """A CBOR sequence, in chunks of about 64 KiB."""
    chunk = bytearray()
    for item in items:
        chunk += cbor2.dumps(item)
        if len(chunk) >= 65536:
            yield bytes(chunk)
            chunk = bytearray()
    if chunk:
        yield bytes(chunk)
