"""The one write path: verify → store → order → authorize → apply.

Every event — signed here for a local action, read from an export, or received from a
peer — goes through ``Ingestor.ingest``. Big inputs are checked in a helper process while
this one folds (``verifier``). Events whose parents are missing wait in the pending area.
New events are folded in (clock, id) order (``folding``); one that lands before the tip of
the fold rewinds only the events after it, so a late event costs the length of the tail it
lands in, never a full refold.
"""

import gc
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from itertools import chain

from ... import domain
from ...core.errors import Refused
from ...core.events import Event
from ...domain.refusals import code, fault
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
# Pending events released per transaction: a long chain that arrived newest first resolves
# in transactions of about this size, the node's writer lock free between them.
RELEASE = 512


@dataclass(frozen=True)
class PendingLimits:
    """How much the pending area keeps: events waiting for their parents, from one peer
    and by one author, for at most ``expiry`` seconds. The oldest go first; a pull brings
    them again (it asks for everything after this node's heads)."""

    per_peer: int = 10_000
    per_author: int = 5_000
    expiry: int = 24 * 3600


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
    dropped: dict[str, int] = field(default_factory=dict)  # from the pending area, by reason

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
        if self.dropped:
            parts.append(f"{sum(self.dropped.values())} dropped from the pending area")
        return ", ".join(parts)


@dataclass
class _Run:
    """One call of ``Ingestor.ingest``: what it reports, and to whom."""

    report: IngestReport
    progress: Callable[[int], None] | None
    committed: Committed | None
    guard: AbstractContextManager
    commons: bytes | None  # refuse events of any other commons
    source: str | None = None  # the peer the events come from
    batch: int = BATCH  # most events per transaction


OTHER_COMMONS = "this event belongs to another commons than the one being synced"
PARENTS_NOT_STORED = code(
    "action_parents_not_stored", "this action could not be stored: its parents are not stored"
)


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
        self.pending_limits = PendingLimits()
        self._resumed = False  # releases cut short by a crash were taken up again

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
        source: str | None = None,
        batch: int = BATCH,
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
        ``source`` (the peer that sent them) is kept with events that wait for their
        parents; ``batch`` bounds a transaction's events (small for pushes: the writer
        lock is then held briefly, and the node's pages wait little).
        """
        report = IngestReport() if keep_ids else IngestReport(added_ids=None)
        run = _Run(report, progress, committed, guard or nullcontext(), commons, source, batch)
        with _cyclic_gc_paused():
            if not self._resumed:
                self._resumed = True
                with run.guard:
                    frontier = self.store.stored_needs()
                self._release(frontier, run)
            self._ingest(raws, run)
        return run.report

    def ingest_own(self, event: Event, committed: Committed | None = None) -> None:
        """Store and fold one event this node has just signed and checked, without checking
        it again. If the fold finds it ineffective, nothing is stored and ``Refused`` says
        why: a refused local action leaves nothing behind, and is folded once. Inside a
        caller's transaction, ``committed`` hears of it before that one commits."""
        report = IngestReport()
        run = _Run(report, None, None, nullcontext(), None)
        with self.store.transaction():
            added, more = self._store_and_apply([event], run)
            while more:  # rare: a local event some pending events waited for
                released, more = self._store_and_apply([], run, more)
                added += released
            if report.refused:  # the reason the event's check gave, in English only
                raise Refused(f"this action could not be stored: {report.refused[0][1]}")
            if report.pending:
                raise fault(Refused, PARENTS_NOT_STORED)
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
        for start in range(0, max(1, len(events)), run.batch):
            with run.guard:
                with self.store.transaction():
                    added, more = self._store_and_apply(events[start : start + run.batch], run)
                if run.committed and added:
                    run.committed(added)
            self._release(more, run)
        if run.progress:
            run.progress(count)

    def _release(self, frontier: list[bytes], run: "_Run") -> None:
        """Release what waits for ``frontier`` in transactions of up to RELEASE events, the
        guard taken again for each: other writers and readers go between them."""
        while frontier:
            with run.guard:
                with self.store.transaction():
                    added, frontier = self._store_and_apply([], run, frontier)
                if run.committed and added:
                    run.committed(added)

    # -- order and readiness ----------------------------------------------------------------

    def _commons_of(self, cid: int) -> bytes:
        if cid not in self._commons_ids:
            self._commons_ids[cid] = self.store.commons_id(cid)
        return self._commons_ids[cid]

    def _store_and_apply(
        self,
        events: list[Event],
        run: "_Run",
        frontier: list[bytes] | None = None,
    ) -> tuple[list[tuple[bytes, bytes]], list[bytes]]:
        """Store and fold ``events``, and release the pending events waiting for them (or,
        with ``frontier``, for those stored events): the (commons id, raw) of the events
        added, and the ids whose waiting descendants are still to release — at most RELEASE
        are released per transaction, so the caller's next transaction goes on."""
        report = run.report
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
        newly: list[bytes] = list(frontier or [])
        from_pending: set[bytes] = set()  # released from the pending area in this transaction
        taken: list[bytes] = []  # of those, the ones that leave it (folded or refused)
        waiting_authors: set[str] = set()
        released = 0
        now = int(time.time())
        while True:
            if work:
                newly = []
                work.sort(key=lambda e: e.position)
                # Parents among the new events are not stored: no need to look them up.
                wanted = {
                    p for e in work for p in _dependencies(e) if p not in clocks and p not in unique
                }
                for eid, (cid, clock) in self.store.clocks(wanted).items():
                    clocks[eid] = (self._commons_of(cid), clock)
                for event in work:
                    missing = [p for p in _dependencies(event) if p not in clocks]
                    if missing:
                        if event.id not in from_pending:  # else it still waits, as it was
                            self.store.add_pending(
                                event.id,
                                event.raw,
                                missing,
                                peer=run.source or "",
                                author=event.author,
                                received=now,
                            )
                            report.pending.append(event.id)
                            waiting_authors.add(event.author)
                        continue
                    reason = _causal_refusal(event, clocks)
                    if event.id in from_pending:
                        taken.append(event.id)
                    if reason:
                        report.refused.append((event.id, reason))
                        continue
                    clocks[event.id] = (event.commons, event.clock)
                    accepted.append(event)
                    newly.append(event.id)
            if not newly or released >= RELEASE:
                break
            work = []
            for raw in self.store.pending_descendants(newly, RELEASE - released):
                item = domain.parse_checked(raw)  # checked before it was put aside
                released += 1
                from_pending.add(item.id)
                if item.id in clocks:  # sent again with its parents: already taken
                    taken.append(item.id)
                else:
                    work.append(item)
            if not work:
                newly = []
        if taken:
            self.store.remove_pending(taken)
            gone = set(taken)
            if any(eid in gone for eid in report.pending):
                report.pending = [eid for eid in report.pending if eid not in gone]
        if waiting_authors:
            self._trim_pending([run.source or ""], waiting_authors, report)
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
        return added, newly

    # -- the pending area --------------------------------------------------------------------

    def _trim_pending(
        self, peers: Iterable[str], authors: Iterable[str], report: IngestReport | None = None
    ) -> dict[str, int]:
        limits = self.pending_limits
        dropped = self.store.trim_pending(
            peers,
            authors,
            per_peer=limits.per_peer,
            per_author=limits.per_author,
            received_before=int(time.time()) - limits.expiry,
        )
        if report is not None and dropped:
            for reason, count in dropped.items():
                report.dropped[reason] = report.dropped.get(reason, 0) + count
        return dropped

    def expire_pending(self) -> dict[str, int]:
        """Drop the pending events that waited longer than allowed (in its own
        transaction): what was dropped, by reason."""
        with self.store.transaction():
            return self._trim_pending([], [])


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
