"""The one write path: verify → store → order → authorize → apply.

Every event — signed here for a local action, read from an export, or received from a
peer — goes through ``Ingestor.ingest``. Big inputs are checked in a helper process while
this one folds (``verifier``). Events whose parents are missing wait in the pending area.
New events are folded in (clock, id) order (``folding``); one that lands before the tip of
the fold rewinds only the events after it, so a late event costs the length of the tail it
lands in, never a full refold.
"""

import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from itertools import chain

from ... import domain
from ...core.errors import Refused
from ...core.events import Event
from ...store import Store
from .folding import fold_new
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
    added_count: int = 0
    # The ids of the events added, in one bytearray (100k ids: 3 MB, not the 9 MB of a list
    # of bytes); None when the caller asked for their number only, so that a stream from a
    # peer holds nothing per event once it is folded.
    added_ids: bytearray | None = field(default_factory=bytearray)
    duplicates: int = 0
    pending: list[bytes] = field(default_factory=list)
    refused: list[tuple[bytes, str]] = field(default_factory=list)

    @property
    def added(self) -> list[bytes]:
        """The ids of the events added, in the order they were folded."""
        ids = self.added_ids
        if ids is None:
            raise ValueError("this ingest counted the events it added without keeping their ids")
        return [bytes(ids[start : start + 32]) for start in range(0, len(ids), 32)]

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
        keep_ids: bool = True,
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
        Without ``keep_ids``, the report counts the events added but does not list them.
        """
        report = IngestReport() if keep_ids else IngestReport(added_ids=None)
        run = _Run(report, progress, committed, guard or nullcontext(), commons)
        with _cyclic_gc_paused():
            self._ingest(raws, run)
        return run.report

    def ingest_own(self, event: Event, committed: Committed | None = None) -> None:
        """Store and fold one event this node has just signed and checked, without checking
        it again. If the fold finds it ineffective, nothing is stored and ``Refused`` says
        why: a refused local action leaves nothing behind, and is folded once. Inside a
        caller's transaction, ``committed`` hears of it before that one commits."""
        report = IngestReport()
        with self.store.transaction():
            added = self._store_and_apply([event], report)
            if report.refused or report.pending:
                why = report.refused[0][1] if report.refused else "its parents are not stored"
                raise Refused(f"this action could not be stored: {why}")
            row = self.store.event(event.id)
            refusal = domain.decode_refusal(row.refusal) if row else None
            if refusal is not None:  # raised inside the transaction: rolled back
                params = dict(refusal.params)
                raise Refused(domain.sentence(refusal) or "", code=refusal.code, params=params)
        if committed and added:
            committed(added)

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
            cid = fold_new(self.store, commons_id, new)
            self._commons_ids[cid] = commons_id
            report.added_count += len(new)
            if report.added_ids is not None:
                report.added_ids += b"".join(e.id for e in new)
            added += [(commons_id, e.raw) for e in new]
        return added


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
