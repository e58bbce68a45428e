"""The one write path: verify → store → order → authorize → apply.

Every event — signed here for a local action, read from an export, or received from a
peer — goes through ``Ingestor.ingest``. Signatures are checked on a thread pool (PyNaCl
releases the GIL). Events whose parents are missing wait in the pending area. New events are
folded in (clock, id) order; one that lands before the tip of the fold rewinds only the
events after it (each event stores the prior value of every record it wrote), so a late
event costs the length of the tail it lands in, never a full refold.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import cbor2

from .. import domain
from ..core import canonical
from ..core.errors import InvalidEvent
from ..core.events import Event, event_id
from ..store import EventRow, Store

BATCH = 4096  # events per transaction: an acknowledged batch survives a crash whole
VERIFY_CHUNK = 512


@dataclass
class IngestReport:
    added: list[bytes] = field(default_factory=list)
    duplicates: int = 0
    pending: list[bytes] = field(default_factory=list)
    refused: list[tuple[bytes, str]] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.added)} added"]
        if self.duplicates:
            parts.append(f"{self.duplicates} already known")
        if self.pending:
            parts.append(f"{len(self.pending)} waiting for their parents")
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return ", ".join(parts)


class StoredState:
    """A ``domain.View`` over one commons' records, with a write-back cache."""

    def __init__(self, store: Store, cid: int):
        self.store, self.cid = store, cid
        self.cache: dict[str, Any] = {}
        self.dirty: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        try:
            return self.cache[key]
        except KeyError:
            value = self.cache[key] = self.store.get_records(self.cid, (key,)).get(key)
            return value

    def put(self, writes: dict[str, Any]) -> None:
        self.cache.update(writes)
        self.dirty.update(writes)


def _verify_chunk(raws: list[bytes]) -> list[Event | tuple[bytes, str]]:
    results: list[Event | tuple[bytes, str]] = []
    for raw in raws:
        try:
            results.append(domain.parse(raw))
        except InvalidEvent as error:
            results.append((event_id(bytes(raw)) if isinstance(raw, bytes) else b"", str(error)))
    return results


def _batches(raws: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for raw in raws:
        batch.append(raw)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Ingestor:
    def __init__(self, store: Store, workers: int = 2):
        self.store = store
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="verify") if workers > 1 else None
        self._commons_ids: dict[int, bytes] = {}

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown()

    def _verify_async(self, raws: list[bytes]) -> Callable[[], list[Event | tuple[bytes, str]]]:
        if self.pool is None:
            return lambda: _verify_chunk(raws)
        futures: list[Future] = [
            self.pool.submit(_verify_chunk, raws[i : i + VERIFY_CHUNK])
            for i in range(0, len(raws), VERIFY_CHUNK)
        ]
        return lambda: [item for future in futures for item in future.result()]

    def ingest(self, raws: Iterable[bytes], progress: Callable[[int], None] | None = None
               ) -> IngestReport:
        """Verify and apply events; each batch of BATCH events commits as one transaction."""
        report = IngestReport()
        batches = _batches(raws, BATCH)
        upcoming = next(batches, None)
        waiting = self._verify_async(upcoming) if upcoming is not None else None
        while waiting is not None:
            current, count = waiting, len(upcoming)  # type: ignore[arg-type]
            upcoming = next(batches, None)
            # Verify the next batch while this one is stored and folded.
            waiting = self._verify_async(upcoming) if upcoming is not None else None
            events: list[Event] = []
            for item in current():
                if isinstance(item, Event):
                    events.append(item)
                else:
                    report.refused.append(item)
            with self.store.transaction():
                self._store_and_apply(events, report)
            if progress:
                progress(count)
        return report

    # -- order and readiness ----------------------------------------------------------------

    def _commons_of(self, cid: int) -> bytes:
        if cid not in self._commons_ids:
            self._commons_ids[cid] = self.store.commons_id(cid)
        return self._commons_ids[cid]

    def _store_and_apply(self, events: list[Event], report: IngestReport) -> None:
        unique: dict[bytes, Event] = {}
        for event in events:
            if event.id in unique:
                report.duplicates += 1
            unique[event.id] = event
        for eid in self.store.known(unique):
            del unique[eid]
            report.duplicates += 1
        accepted: list[Event] = []
        clocks: dict[bytes, tuple[bytes, int]] = {}  # id -> (commons id, clock)
        work = list(unique.values())
        while work:
            work.sort(key=lambda e: e.position)
            wanted = {p for e in work for p in _dependencies(e) if p not in clocks}
            for eid, (cid, clock) in self.store.clocks(wanted).items():
                clocks[eid] = (self._commons_of(cid), clock)
            newly: list[bytes] = []
            for event in work:
                missing = [p for p in _dependencies(event) if p not in clocks]
                if missing:
                    self.store.add_pending(event.id, event.raw, missing)
                    report.pending.append(event.id)
                    continue
                reason = _causal_refusal(event, clocks)
                if reason:
                    report.refused.append((event.id, reason))
                    continue
                clocks[event.id] = (event.commons, event.clock)
                accepted.append(event)
                newly.append(event.id)
            released = self.store.take_pending_children(newly) if newly else []
            work = []
            for item in _verify_chunk(released):
                if isinstance(item, Event):
                    if item.id in report.pending:
                        report.pending.remove(item.id)
                    work.append(item)
                else:
                    report.refused.append(item)
        by_commons: dict[bytes, list[Event]] = defaultdict(list)
        for event in accepted:
            by_commons[event.commons].append(event)
        for commons_id, new in by_commons.items():
            self._apply(commons_id, new)
            report.added += [e.id for e in new]

    # -- fold --------------------------------------------------------------------------------

    def _apply(self, commons_id: bytes, new: list[Event]) -> None:
        store = self.store
        new.sort(key=lambda e: e.position)
        cid = store.commons_cid(commons_id)
        base: dict[str, Any] = {}
        if cid is None:
            genesis = new[0]  # clock 0: first in order
            origin = genesis.body.forked_from
            cid = store.add_commons(commons_id, origin.commons if origin else None, genesis.time)
            self._commons_ids[cid] = commons_id
            if origin:
                base = fork_base(store, origin.commons, origin.heads)
        state = StoredState(store, cid)
        state.put(base)
        tip = store.fold_tip(cid)
        replayed: list[Event] = []
        if tip is not None and new[0].position < tip:
            for row in store.tail(cid, new[0].position):  # newest first
                state.put(cbor2.loads(row.undo) if row.undo else {})
                replayed.append(domain.parse(row.raw, verify_signature=False))
        results: dict[bytes, tuple[str | None, bytes | None]] = {}
        for event in sorted(new + replayed, key=lambda e: e.position):
            writes, reason = domain.apply(state, event)
            undo = None if event.is_genesis else canonical.encode({k: state.get(k) for k in writes})
            state.put(writes)
            results[event.id] = (reason, undo)
        store.insert_events([
            EventRow(e.id, cid, e.clock, e.type, e.author, e.time, e.raw, *results[e.id])
            for e in new
        ])
        if replayed:
            store.update_results((e.id, *results[e.id]) for e in replayed)
        store.put_records(cid, state.dirty)
        parents = {p for e in new for p in e.parents}
        store.move_heads(cid, parents, [e.id for e in new if e.id not in parents])
        store.set_commons_info(cid, name=state.get("charter")["name"], added=len(new))


def _dependencies(event: Event) -> tuple[bytes, ...]:
    """What must be stored before an event can be folded: its parents, and for a fork's
    genesis the heads of the parent commons it starts from."""
    if event.is_genesis and event.body.forked_from:
        return tuple(event.body.forked_from.heads)
    return event.parents


def _causal_refusal(event: Event, clocks: dict[bytes, tuple[bytes, int]]) -> str | None:
    if event.is_genesis:
        origin = event.body.forked_from
        if origin and any(clocks[h][0] != origin.commons for h in origin.heads):
            return "a fork's heads must be events of the commons it forks"
        return None
    if any(clocks[p][0] != event.commons for p in event.parents):
        return "every parent must belong to the same commons as the event"
    expected = 1 + max(clocks[p][1] for p in event.parents)
    if event.clock != expected:
        return f"clock is {event.clock} but must be {expected} (one more than its highest parent)"
    return None


def fork_base(store: Store, commons_id: bytes, heads: Iterable[bytes]) -> dict[str, Any]:
    """The records of a commons as they stood at ``heads``: where a fork starts."""
    cid = store.commons_cid(commons_id)
    assert cid is not None
    heads = sorted(set(heads))
    if heads == store.heads(cid):
        records = {key: value for key, value in store.scan_records(cid, "")}
    else:
        row = store.event(commons_id)
        assert row is not None
        genesis = domain.parse(row.raw, verify_signature=False)
        origin = genesis.body.forked_from
        start = fork_base(store, origin.commons, origin.heads) if origin else {}
        records = domain.fold(past(store, heads), start).records
    return domain.fork_base(records)


def past(store: Store, heads: Iterable[bytes]) -> list[Event]:
    """Every event in the causal past of ``heads`` (heads included)."""
    seen: set[bytes] = set()
    frontier = list(heads)
    events = []
    while frontier:
        eid = frontier.pop()
        if eid in seen:
            continue
        seen.add(eid)
        row = store.event(eid)
        assert row is not None, "the past of stored heads is stored"
        event = domain.parse(row.raw, verify_signature=False)
        events.append(event)
        frontier.extend(event.parents)
    return events
