"""The one write path: verify → store → order → authorize → apply.

Every event — signed here for a local action, read from an export, or received from a
peer — goes through ``Ingestor.ingest``. Big inputs are checked in a helper process while
this one folds (``verifier``). Events whose parents are missing wait in the pending area.
New events are folded in (clock, id) order; one that lands before the tip of the fold
rewinds only the events after it (each event stores the prior value of every record it
wrote), so a late event costs the length of the tail it lands in, never a full refold.
"""

import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import cbor2

from .. import domain
from ..core import canonical
from ..core.events import Event
from ..domain.artifacts import artifact_key
from ..domain.contributions import contribution_key
from ..store import EventRow, Store, summary_of
from .verifier import Checked, CheckedAhead, Verifier, check

# Events per transaction: an acknowledged batch survives a crash whole. Big transactions
# write each B-tree page they touch once for many events.
# 8192 rather than more: a node cloning a commons holds one transaction's events and records
# at a time, and twice as many cost it ~15 MB more for no measurable speed.
BATCH = 8192
MIN_BATCH = 4096  # while more events are coming (see Ingestor.ingest)
CHUNK = 1024  # events per task of the helper process that checks them


Committed = Callable[[list[tuple[bytes, bytes]]], None]  # (commons id, raw) of events added


@dataclass
class IngestReport:
    # The ids of the events added, end to end: a clone of 100k events keeps 3 MB of them,
    # not the 9 MB of 100k bytes objects in a list.
    added_ids: bytearray = field(default_factory=bytearray)
    duplicates: int = 0
    pending: list[bytes] = field(default_factory=list)
    refused: list[tuple[bytes, str]] = field(default_factory=list)

    @property
    def added(self) -> list[bytes]:
        """The ids of the events added, in the order they were folded."""
        ids = self.added_ids
        return [bytes(ids[start : start + 32]) for start in range(0, len(ids), 32)]

    @property
    def added_count(self) -> int:
        return len(self.added_ids) // 32

    def summary(self) -> str:
        parts = [f"{self.added_count} added"]
        if self.duplicates:
            parts.append(f"{self.duplicates} already known")
        if self.pending:
            parts.append(f"{len(self.pending)} waiting for their parents")
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return ", ".join(parts)


@dataclass
class _Run:
    """One call of ``Ingestor.ingest``: what it reports, and to whom."""

    report: IngestReport
    progress: Callable[[int], None] | None
    committed: Committed | None
    guard: AbstractContextManager
    commons: bytes | None  # refuse events of any other commons


OTHER_COMMONS = "this event belongs to another commons than the one being synced"
_NULL = canonical.encode(None)


class StoredState:
    """A ``domain.View`` over one commons' records, with a write-back cache.

    It also remembers the canonical bytes of the values it holds (as read from the store,
    or once encoded), so the undo of an event and the final write of a record never encode
    the same value twice.
    """

    def __init__(self, store: Store, cid: int):
        self.store, self.cid = store, cid
        self.cache: dict[str, Any] = {}
        self.dirty: dict[str, Any] = {}
        self.encoded: dict[str, bytes] = {}  # key -> canonical bytes of cache[key]
        self.memo: dict[int, tuple[Any, Any]] = {}  # parts of values, sorted (see canonical.encode)

    def get(self, key: str) -> Any:
        try:
            return self.cache[key]
        except KeyError:
            self.prefetch((key,))
            return self.cache[key]

    def prefetch(self, keys: Iterable[str]) -> None:
        """Read the records among ``keys`` not cached yet, in one query."""
        cache = self.cache
        missing = list({key: None for key in keys if key not in cache})
        if not missing:
            return
        raw = self.store.get_raw_records(self.cid, missing)
        encoded, memo = self.encoded, self.memo
        for key in missing:
            data = raw.get(key)
            if data is None:
                cache[key] = None
                encoded[key] = _NULL
            else:
                value = cache[key] = cbor2.loads(data)
                encoded[key] = data
                if type(value) is dict:
                    # Decoded from canonical bytes, its parts are in canonical order already:
                    # new versions of the record that share them need not sort them again.
                    for part in value.values():
                        if type(part) is list or type(part) is dict:
                            memo[id(part)] = (part, part)

    def stored_encodings(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The canonical bytes of the stored records among ``keys`` (absent: not stored),
        bypassing the cache."""
        return self.store.get_raw_records(self.cid, list(keys))

    def put(self, writes: dict[str, Any]) -> None:
        self.cache.update(writes)
        self.dirty.update(writes)
        encoded = self.encoded
        for key in writes:
            encoded.pop(key, None)

    def undo_encoding(self, key: str) -> bytes:
        """Bytes to restore the current value of ``key`` from on a rewind: canonical when
        known already, else plain CBOR, three times cheaper (an undo is decoded, never
        compared; the value it restores is encoded canonically when written back)."""
        data = self.encoded.get(key)
        return cbor2.dumps(self.get(key)) if data is None else data

    def encoding(self, key: str) -> bytes:
        """The canonical CBOR of the current value of ``key`` (null if absent)."""
        try:
            return self.encoded[key]
        except KeyError:
            data = self.encoded[key] = canonical.encode(self.get(key), self.memo)
            return data


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (not reference counting) while ingesting.

    A large ingest keeps hundreds of thousands of objects alive (parsed events, records),
    which every full collection walks again: that was a fifth of the cost of the fold, while
    the fold makes next to no cyclic garbage (a few dozen objects for 100k events). If the
    collector was on, it is turned back on at the end, and collects as usual from then on.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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
        # With more than one core to use, big inputs are checked in a helper process.
        self.verifier = Verifier() if workers > 1 else None
        self._commons_ids: dict[int, bytes] = {}

    def close(self) -> None:
        if self.verifier:
            self.verifier.close()

    def ingest(
        self,
        raws: Iterable[bytes],
        progress: Callable[[int], None] | None = None,
        *,
        committed: Committed | None = None,
        guard: AbstractContextManager | None = None,
        commons: bytes | None = None,
    ) -> IngestReport:
        """Check and apply events, in transactions of at most BATCH events.

        A big input is checked ahead, in chunks, by the helper process, while this thread
        stores and folds what is already checked: each transaction takes the checked chunks
        that are ready (at least one), so it grows up to BATCH when the fold is the slower
        side. After each transaction commits, ``committed`` gets the (commons id, raw) of
        the events it added — an acknowledged batch survives a crash whole — and
        ``progress`` the number of events it handled. Each transaction runs inside
        ``guard`` (e.g. the node's lock), taken again for each one: an input streaming in
        from a peer leaves room to other writers between its transactions. With
        ``commons``, events of any other commons are refused (a peer syncing one commons).
        """
        run = _Run(IngestReport(), progress, committed, guard or nullcontext(), commons)
        with _cyclic_gc_paused():
            self._ingest(raws, run)
        return run.report

    def _ingest(self, raws: Iterable[bytes], run: "_Run") -> None:
        chunks = _batches(raws, CHUNK)
        first = next(chunks, [])
        verifier = self.verifier
        if verifier is None or len(first) < CHUNK:  # small: checked in place
            for batch in _batches(chain(first, chain.from_iterable(chunks)), BATCH):
                self._commit(check(batch), len(batch), run)
            return
        ahead = CheckedAhead(verifier, chain([first], chunks), BATCH)
        while (size := ahead.next_size()) is not None:
            results, count = ahead.take(), size
            # Take what is checked, up to BATCH events, and no fewer than MIN_BATCH while
            # more are coming: a commit has a cost of its own.
            while (size := ahead.next_size()) is not None and count + size <= BATCH:
                if count >= MIN_BATCH and not ahead.next_ready():
                    break
                results += ahead.take()
                count += size
            ahead.top_up()  # checking goes on while this batch is folded
            self._commit(results, count, run)

    def _commit(self, results: list[Checked], count: int, run: "_Run") -> None:
        """Store and fold one batch of checked events in one transaction."""
        report, only = run.report, run.commons
        events: list[Event] = []
        for item in results:
            if not isinstance(item, Event):
                report.refused.append(item)
            elif only is None or item.commons == only:
                events.append(item)
            else:
                report.refused.append((item.id, OTHER_COMMONS))
        with run.guard:
            with self.store.transaction():
                added = self._store_and_apply(events, report)
            if run.committed and added:
                run.committed(added)
        if run.progress:
            run.progress(count)

    # -- order and readiness ----------------------------------------------------------------

    def _commons_of(self, cid: int) -> bytes:
        if cid not in self._commons_ids:
            self._commons_ids[cid] = self.store.commons_id(cid)
        return self._commons_ids[cid]

    def _store_and_apply(
        self, events: list[Event], report: IngestReport
    ) -> list[tuple[bytes, bytes]]:
        """Store and fold ``events``; the (commons id, raw) of those added."""
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
            # Parents among the new events are not stored: no need to look them up.
            wanted = {
                p for e in work for p in _dependencies(e) if p not in clocks and p not in unique
            }
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
            waiting = set(report.pending)
            for raw in released:  # checked before they were put aside
                item = domain.parse_checked(raw)
                if item.id in clocks:  # sent again with its parents: already taken
                    continue
                if item.id in waiting:
                    report.pending.remove(item.id)
                    waiting.discard(item.id)
                work.append(item)
        by_commons: dict[bytes, list[Event]] = defaultdict(list)
        for event in accepted:
            by_commons[event.commons].append(event)
        added: list[tuple[bytes, bytes]] = []
        for commons_id, new in by_commons.items():
            self._apply(commons_id, new)
            report.added_ids += b"".join(e.id for e in new)
            added += [(commons_id, e.raw) for e in new]
        return added

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
                replayed.append(domain.parse_checked(row.raw))
        events = sorted(new + replayed, key=lambda e: e.position) if replayed else new
        state.prefetch(_likely_keys(events, state))
        results: dict[bytes, tuple[str | None, bytes | None]] = {}
        encoding, undo_encoding, cache = state.encoding, state.undo_encoding, state.cache
        # The undo of an event holds the prior value of each record it writes. A record
        # not cached yet was neither read nor written in this batch: its prior value is the
        # stored one, read for all such records at once after the fold.
        undos: list[tuple[bytes, str | None, dict[str, bytes | None] | None]] = []
        unread: set[str] = set()
        for event in events:
            writes, reason = domain.apply(state, event)
            if event.is_genesis:
                undos.append((event.id, reason, None))
            else:
                prior: dict[str, bytes | None] = {}
                for key in writes:
                    if key in cache:
                        prior[key] = undo_encoding(key)
                    else:
                        prior[key] = None
                        unread.add(key)
                undos.append((event.id, reason, prior))
            state.put(writes)
        stored = state.stored_encodings(unread) if unread else {}
        for eid, reason, prior in undos:
            if prior is None:
                results[eid] = (reason, None)
                continue
            for key, data in prior.items():
                if data is None:
                    prior[key] = stored.get(key, _NULL)
            results[eid] = (reason, canonical.encode_map(prior))  # type: ignore[arg-type]
        store.insert_events(
            [
                EventRow(e.id, cid, e.clock, e.type, e.author, e.time, e.raw, *results[e.id])
                for e in new
            ]
        )
        if replayed:
            store.update_results((e.id, *results[e.id]) for e in replayed)
        store.put_raw_records(
            cid,
            {key: None if value is None else encoding(key) for key, value in state.dirty.items()},
            {key: summary_of(value) for key, value in state.dirty.items()},
        )
        parents = {p for e in new for p in e.parents}
        store.move_heads(cid, parents, [e.id for e in new if e.id not in parents])
        store.set_commons_info(cid, name=state.get("charter")["name"], added=len(new))


def _likely_keys(events: list[Event], state: StoredState) -> list[str]:
    """The records the reducers of ``events`` will probably read, to fetch them in bulk
    rather than one query each. Only a guess: a record not named here is read when needed."""
    keys = ["charter"]
    paths: set[str] = set()
    contributions: set[bytes] = set()
    for event in events:
        body = event.body
        target = getattr(body, "contribution", None)
        if isinstance(target, bytes):
            contributions.add(target)
        for change in getattr(body, "changes", None) or ():
            path = getattr(change, "path", None)
            if isinstance(path, str):
                paths.add(path)
    keys += [contribution_key(c) for c in contributions]
    state.prefetch(keys)
    # Accepting or reverting writes the paths of the contribution's changes.
    for c in contributions:
        record = state.cache.get(contribution_key(c))
        if isinstance(record, dict):
            for revision in record.get("revisions") or ():
                for change in revision.get("changes") or ():
                    if isinstance(change, dict) and isinstance(change.get("path"), str):
                        paths.add(change["path"])
    return [artifact_key(path) for path in paths]


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
    parents = event.parents
    if len(parents) == 1:  # the common case, without generators
        commons, clock = clocks[parents[0]]
        if commons != event.commons:
            return "every parent must belong to the same commons as the event"
        expected = 1 + clock
    else:
        if any(clocks[p][0] != event.commons for p in parents):
            return "every parent must belong to the same commons as the event"
        expected = 1 + max(clocks[p][1] for p in parents)
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
        genesis = domain.parse_checked(row.raw)
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
        event = domain.parse_checked(row.raw)
        events.append(event)
        frontier.extend(event.parents)
    return events
