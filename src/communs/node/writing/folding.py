"""Folding new events into a commons' stored records.

Records live in the store; a batch of new events reads the ones it needs (in bulk, guessing
which), folds through the pure reducers, and writes back what changed, in the transaction that
stores the events. Each event keeps the prior value of every record it wrote (its undo) and
the store indexes the records it read or wrote (``store.touches``).

A batch that lands before the tip of the fold (late or concurrent work, a stranger's chain
on an old parent) does not rewind the whole tail after it: it replays only the later events
that touch a record the batch changed, and those that touch what they change in turn. Every
other event read records that hold what they held when it was folded, so its outcome
stands; a record's value at any point of the tail is read from the undo of the next event
that wrote it.
"""

import heapq
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

import cbor2

from ... import domain
from ...core import canonical
from ...core.events import Event
from ...domain import credit
from ...domain.artifacts import artifact_key
from ...domain.contributions import contribution_key
from ...store import EventRow, Store, summary_of

_NULL = canonical.encode(None)
Position = tuple[int, bytes]


class Tail:
    """The events already folded after where a batch starts, as the store's index tells
    them: which touch a record, and what a record held before each one that wrote it."""

    def __init__(self, store: Store, cid: int, start: Position):
        self.store, self.cid, self.start = store, cid, start
        self.writers: dict[str, tuple[list[Position], list[Any]]] = {}
        self.undos: dict[bytes, dict[str, Any]] = {}

    def load(self, keys: Iterable[str]) -> None:
        """Read, in one query, the writers of the records among ``keys`` not read yet."""
        missing = [key for key in dict.fromkeys(keys) if key not in self.writers]
        if not missing:
            return
        for key in missing:
            self.writers[key] = ([], [])
        for key, clock, eid, undo in self.store.key_writers(self.cid, missing, self.start):
            prior = self.undos.get(eid)
            if prior is None:
                prior = self.undos[eid] = cbor2.loads(undo) if undo else {}
            if key in prior:  # else an old row: the event no longer writes it
                positions, values = self.writers[key]
                positions.append((clock, eid))
                values.append(prior[key])

    def before(self, key: str, position: Position) -> tuple[Any, Position] | None:
        """What ``key`` held just before ``position`` if an event of the tail at or after it
        wrote ``key`` (with that event's position: the value holds up to there); else None:
        it holds its stored value."""
        self.load((key,))
        positions, values = self.writers[key]
        i = bisect_left(positions, position)
        return None if i == len(positions) else (values[i], positions[i])


class StoredState:
    """A ``domain.View`` over one commons' records at a point of its fold (``at``: the
    position of the event being folded), with a write-back cache of what the batch changed
    (``dirty``); it records the keys each reducer reads (``reads``).

    It also remembers the canonical bytes of the values it holds (as read from the store,
    or once encoded), so the undo of an event and the final write of a record never encode
    the same value twice.
    """

    def __init__(self, store: Store, cid: int, tail: Tail | None = None):
        self.store, self.cid, self.tail = store, cid, tail
        self.at: Position = (0, b"")
        self.cache: dict[str, Any] = {}
        self.until: dict[str, Position] = {}  # key -> where its cached value stops holding
        self.dirty: dict[str, Any] = {}
        self.stored: dict[str, Any] = {}  # the records as the store holds them
        self.encoded: dict[str, bytes] = {}  # key -> canonical bytes of cache[key]
        self.memo: dict[int, tuple[Any, Any]] = {}  # parts of values, sorted (see canonical.encode)
        self.reads: set[str] = set()

    def get(self, key: str) -> Any:
        self.reads.add(key)
        return self.value(key)

    def value(self, key: str) -> Any:
        """The value of ``key`` at this point, without counting it as read."""
        try:
            value = self.cache[key]
        except KeyError:
            return self._settle(key)
        until = self.until.get(key)
        if until is not None and self.at > until:
            return self._settle(key)
        return value

    def _settle(self, key: str) -> Any:
        self.until.pop(key, None)
        self.encoded.pop(key, None)
        found = self.tail.before(key, self.at) if self.tail else None
        if found is not None:
            value, self.until[key] = found
            self.cache[key] = value
            return value
        self.prefetch((key,))
        value = self.cache[key] = self.stored[key]
        return value

    def prefetch(self, keys: Iterable[str]) -> None:
        """Read the records among ``keys`` not read yet (and their writers in the tail), in
        one query each."""
        missing = list({key: None for key in keys if key not in self.stored})
        if not missing:
            return
        if self.tail:
            self.tail.load(missing)
        raw = self.store.get_raw_records(self.cid, missing)
        stored, cache, encoded, memo = self.stored, self.cache, self.encoded, self.memo
        for key in missing:
            data = raw.get(key)
            fresh = key not in cache and (self.tail is None or not self.tail.writers[key][0])
            if data is None:
                stored[key] = None
                if fresh:
                    cache[key], encoded[key] = None, _NULL
                continue
            value = stored[key] = cbor2.loads(data)
            if fresh:
                cache[key], encoded[key] = value, data
            if type(value) is dict:
                # Decoded from canonical bytes, its parts are in canonical order already:
                # new versions of the record that share them need not sort them again.
                for part in value.values():
                    if type(part) is list or type(part) is dict:
                        memo[id(part)] = (part, part)

    def final(self, key: str) -> Any:
        """The value of ``key`` at the tip, once the batch is folded."""
        if key in self.dirty:
            return self.dirty[key]
        self.prefetch((key,))
        return self.stored[key]

    def stored_encodings(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The canonical bytes of the stored records among ``keys`` (absent: not stored),
        bypassing the cache."""
        return self.store.get_raw_records(self.cid, list(keys))

    def put(self, writes: dict[str, Any]) -> None:
        self.cache.update(writes)
        self.dirty.update(writes)
        encoded, until = self.encoded, self.until
        for key in writes:
            encoded.pop(key, None)
            until.pop(key, None)

    def undo_encoding(self, key: str) -> bytes:
        """Bytes to restore the current value of ``key`` from: canonical when known
        already, else plain CBOR, three times cheaper (an undo is decoded, never compared;
        the value it restores is encoded canonically when written back)."""
        value = self.value(key)
        data = self.encoded.get(key)
        return cbor2.dumps(value) if data is None else data

    def encoding(self, key: str) -> bytes:
        """The canonical CBOR of the batch's final value of ``key`` (null if deleted)."""
        try:
            return self.encoded[key]
        except KeyError:
            data = self.encoded[key] = canonical.encode(self.dirty[key], self.memo)
            return data


def fold_new(store: Store, commons_id: bytes, new: list[Event]) -> int:
    """Store and fold ``new`` events of one commons (creating it for its genesis), replaying
    the events of the tail they land before that touch what they change; the commons' row
    id."""
    new.sort(key=lambda e: e.position)
    cid = store.commons_cid(commons_id)
    base: dict[str, Any] = {}
    if cid is None:
        genesis = new[0]  # clock 0: first in order
        origin = genesis.body.forked_from
        cid = store.add_commons(commons_id, origin.commons if origin else None, genesis.time)
        if origin:
            base = fork_base(store, origin.commons, origin.heads)
    tip = store.fold_tip(cid)
    tail = Tail(store, cid, new[0].position) if tip and new[0].position < tip else None
    state = StoredState(store, cid, tail)
    state.put(base)
    state.prefetch(_likely_keys(new, state))
    replay: list[tuple[Position, EventRow]] = []  # a heap of tail events to fold again
    queued: set[bytes] = set()
    watched: set[str] = set()

    def changed(keys: Iterable[str], at: Position) -> None:
        """Queue the tail events after ``at`` that touch records the batch changed."""
        if tail is None:
            return
        for key in keys:
            if key not in watched:
                watched.add(key)
                for row in store.key_touchers(cid, key, at):
                    if row.id not in queued:
                        queued.add(row.id)
                        heapq.heappush(replay, ((row.clock, row.id), row))

    # The undo of an event holds the prior value of each record it writes. When nothing
    # follows the batch, a record not cached yet was neither read nor written in it: its
    # prior value is the stored one, read for all such records at once after the fold.
    undos: list[tuple[bytes, bytes | None, dict[str, bytes | None] | None]] = []
    unread: set[str] = set()
    key_rows: list[tuple[str, int, bytes, bool]] = []
    replayed: set[bytes] = set()
    at_tip = tail is None
    cache = state.cache
    i = 0
    while i < len(new) or replay:
        if replay and (i == len(new) or replay[0][0] < new[i].position):
            _, row = heapq.heappop(replay)
            event = domain.parse_checked(row.raw)
            before: dict[str, Any] = cbor2.loads(row.undo) if row.undo else {}
            replayed.add(event.id)
        else:
            event, before = new[i], {}
            i += 1
        state.at = event.position
        for key, value in before.items():  # what the event's records held before it
            if key not in state.dirty:
                state.cache[key], state.until[key] = value, event.position
                state.encoded.pop(key, None)
        state.reads = set()
        writes, refusal = domain.apply(state, event)
        reason = None if refusal is None else domain.encode_refusal(refusal)
        if event.is_genesis:
            undos.append((event.id, reason, None))
        else:
            prior: dict[str, bytes | None] = {}
            for key in writes:
                if at_tip and key not in cache:
                    prior[key] = None
                    unread.add(key)
                else:
                    prior[key] = state.undo_encoding(key)
            undos.append((event.id, reason, prior))
        # A record the event wrote when first folded and no longer writes keeps its prior.
        state.put({key: state.value(key) for key in before if key not in writes})
        state.put(writes)
        changed([*before, *writes], event.position)
        key_rows += [(k, event.clock, event.id, k in writes) for k in state.reads.union(writes)]
    stored = state.stored_encodings(unread) if unread else {}
    results: dict[bytes, tuple[bytes | None, bytes | None]] = {}
    for eid, reason, prior in undos:
        if prior is None:
            results[eid] = (reason, None)
            continue
        for key, data in prior.items():
            if data is None:
                prior[key] = stored.get(key, _NULL)
        results[eid] = (reason, canonical.encode_map(prior))  # type: ignore[arg-type]
    store.insert_events(
        [EventRow(e.id, cid, e.clock, e.type, e.author, e.time, e.raw, *results[e.id]) for e in new]
    )
    if replayed:
        store.update_results((eid, *results[eid]) for eid in replayed)
    store.put_event_keys(cid, key_rows)
    store.put_raw_records(
        cid,
        {key: None if value is None else state.encoding(key) for key, value in state.dirty.items()},
        {key: summary_of(value) for key, value in state.dirty.items()},
    )
    parents = {p for e in new for p in e.parents}
    store.move_heads(cid, parents, [e.id for e in new if e.id not in parents])
    store.set_commons_info(cid, name=state.final("charter")["name"], added=len(new))
    return cid


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
    keys += [credit.reviewers_key(c) for c in contributions] + [
        credit.size_key(c) for c in contributions
    ]
    state.prefetch(keys)
    # Accepting or reverting writes the paths of the contribution's changes; a decision
    # credits its author, its reviewers and the maintainers who decided (domain/credit).
    people = {event.author for event in events}
    for c in contributions:
        record = state.stored.get(contribution_key(c))
        if isinstance(record, dict):
            for revision in record.get("revisions") or ():
                for change in revision.get("changes") or ():
                    if isinstance(change, dict) and isinstance(change.get("path"), str):
                        paths.add(change["path"])
            people.add(record.get("author"))
            people.update(record.get("accepted_by") or ())
        reviewers = state.stored.get(credit.reviewers_key(c))
        people.update(reviewers if isinstance(reviewers, list) else ())
    credited = [credit.credit_key(did) for did in people if isinstance(did, str)]
    return [artifact_key(path) for path in paths] + credited


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
