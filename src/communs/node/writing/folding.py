"""Folding new events into a commons' stored records.

Records live in the store; a batch of new events reads the ones it needs (in bulk, guessing
which), folds through the pure reducers, and writes back what changed, in the transaction that
stores the events. Each event keeps the prior value of every record it wrote (its undo), so an
event that lands before the tip of the fold rewinds only the tail after it.
"""

from collections.abc import Iterable
from typing import Any

import cbor2

from ... import domain
from ...core import canonical
from ...core.events import Event
from ...domain.artifacts import artifact_key
from ...domain.contributions import contribution_key
from ...store import EventRow, Store, summary_of

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


def fold_new(store: Store, commons_id: bytes, new: list[Event]) -> int:
    """Store and fold ``new`` events of one commons (creating it for its genesis), rewinding
    the tail of the fold they land before; the commons' row id."""
    new.sort(key=lambda e: e.position)
    cid = store.commons_cid(commons_id)
    base: dict[str, Any] = {}
    if cid is None:
        genesis = new[0]  # clock 0: first in order
        origin = genesis.body.forked_from
        cid = store.add_commons(commons_id, origin.commons if origin else None, genesis.time)
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
    results: dict[bytes, tuple[bytes | None, bytes | None]] = {}
    encoding, undo_encoding, cache = state.encoding, state.undo_encoding, state.cache
    # The undo of an event holds the prior value of each record it writes. A record
    # not cached yet was neither read nor written in this batch: its prior value is the
    # stored one, read for all such records at once after the fold.
    undos: list[tuple[bytes, bytes | None, dict[str, bytes | None] | None]] = []
    unread: set[str] = set()
    for event in events:
        writes, refusal = domain.apply(state, event)
        reason = None if refusal is None else domain.encode_refusal(refusal)
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
        [EventRow(e.id, cid, e.clock, e.type, e.author, e.time, e.raw, *results[e.id]) for e in new]
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
