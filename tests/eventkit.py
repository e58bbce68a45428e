"""A tiny in-test writer: signs events with correct parents and Lamport clocks.

A ``World`` keeps every event ever signed (by id), so that a ``Writer`` can learn an event
together with its causal past. Each writer has its own view (the events it knows) and signs
new events on top of the heads of that view, as a real peer would.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from communs import domain
from communs.core import canonical
from communs.core.events import FORMAT_VERSION, SIGNING_CONTEXT, Event, sign_event
from communs.core.identity import Identity
from communs.domain.fold import MemoryState
from communs.node.writing.ingest import Ingestor, IngestReport
from communs.store import SQLiteStore


def identity(n: int) -> Identity:
    """A deterministic identity (seed ``n`` repeated): the same did on every run."""
    return Identity(bytes([n]) * 32)


def blob(n: int) -> bytes:
    """A fake 32-byte blob hash, distinct for each ``n``."""
    return n.to_bytes(4, "big") * 8


def charter(name: str, maintainers: Iterable[Identity], **fields: Any) -> dict[str, Any]:
    return {"name": name, "maintainers": [m.did for m in maintainers], **fields}


def raw_event(signer: Identity, fields: dict[str, Any], *, encode=canonical.encode) -> bytes:
    """Wire bytes for an arbitrary payload, with no checks at all: for building bad events.
    ``fields`` fills in a valid envelope (author defaults to the signer)."""
    payload = encode(
        {
            "v": FORMAT_VERSION,
            "commons": None,
            "type": "commons.create",
            "author": signer.did,
            "parents": [],
            "clock": 0,
            "time": 0,
            "body": {},
            **fields,
        }
    )
    return canonical.encode([payload, signer.sign(SIGNING_CONTEXT + payload)])


class World:
    """Every event signed so far, and a shared clock for the ``time`` field."""

    def __init__(self) -> None:
        self.events: dict[bytes, Event] = {}
        self.order: list[Event] = []  # in signing order: parents always before children
        self.now = 1_700_000_000

    def writer(self, who: Identity | int) -> "Writer":
        return Writer(self, who if isinstance(who, Identity) else identity(who))

    def record(self, raw: bytes) -> Event:
        event = domain.parse(raw)
        self.events[event.id] = event
        self.order.append(event)
        return event

    def of(self, commons: bytes) -> list[Event]:
        return [e for e in self.order if e.commons == commons]

    def past(self, heads: Iterable[bytes]) -> list[Event]:
        """The events in the causal past of ``heads``, heads included."""
        seen: dict[bytes, Event] = {}
        stack = list(heads)
        while stack:
            eid = stack.pop()
            if eid not in seen:
                seen[eid] = self.events[eid]
                stack.extend(seen[eid].parents)
        return list(seen.values())


class Writer:
    def __init__(self, world: World, me: Identity):
        self.world, self.me = world, me
        self.known: dict[bytes, Event] = {}

    @property
    def did(self) -> str:
        return self.me.did

    def learn(self, *events: Event | bytes) -> None:
        """Know these events (or ids) and everything in their causal past."""
        ids = [e.id if isinstance(e, Event) else e for e in events]
        for event in self.world.past(ids):
            self.known[event.id] = event
            if event.is_genesis and event.body.forked_from:
                self.learn(*event.body.forked_from.heads)

    def heads(self, commons: bytes) -> list[bytes]:
        mine = [e for e in self.known.values() if e.commons == commons]
        parents = {p for e in mine for p in e.parents}
        return sorted(e.id for e in mine if e.id not in parents)

    def state(self, commons: bytes) -> MemoryState:
        """This writer's view of a commons' state (a fork starts from its parent's)."""
        genesis = self.known[commons]
        origin = genesis.body.forked_from
        base = None
        if origin:
            parent = fold_at(self.world, origin.commons, origin.heads)
            base = domain.fork_base(parent.records)
        return domain.fold([e for e in self.known.values() if e.commons == commons], base)

    def create(self, charter: dict[str, Any], forked_from: dict[str, Any] | None = None) -> Event:
        body: dict[str, Any] = {"charter": charter}
        if forked_from is not None:
            body["forked_from"] = forked_from
        return self._sign(None, "commons.create", body, [], 0)

    def fork(
        self, commons: bytes, charter: dict[str, Any], heads: Iterable[bytes] | None = None
    ) -> Event:
        heads = sorted(heads) if heads is not None else self.heads(commons)
        return self.create(charter, {"commons": commons, "heads": heads})

    def emit(
        self,
        commons: bytes,
        type: str,
        body: dict[str, Any],
        *,
        parents: Iterable[bytes] | None = None,
        clock: int | None = None,
    ) -> Event:
        """Sign an event on top of this writer's heads (or the given parents)."""
        parents = sorted(set(parents)) if parents is not None else self.heads(commons)
        if clock is None:
            clock = 1 + max(self.world.events[p].clock for p in parents)
        return self._sign(commons, type, body, parents, clock)

    def _sign(self, commons, type, body, parents, clock) -> Event:
        self.world.now += 1
        raw = sign_event(
            self.me,
            commons=commons,
            type=type,
            parents=parents,
            clock=clock,
            time=self.world.now,
            body=body,
        )
        event = self.world.record(raw)
        self.learn(event)
        return event

    # -- the usual actions -------------------------------------------------------------------

    def propose(
        self, commons: bytes, changes: list[dict[str, Any]], title: str = "change", **fields: Any
    ) -> Event:
        return self.emit(
            commons, "contribution.propose", {"title": title, "changes": changes, **fields}
        )

    def revise(self, commons: bytes, contribution: bytes, changes: list[dict[str, Any]]) -> Event:
        return self.emit(
            commons, "contribution.revise", {"contribution": contribution, "changes": changes}
        )

    def accept(
        self,
        commons: bytes,
        contribution: bytes,
        revision: int = 0,
        merged: list[dict[str, Any]] | None = None,
    ) -> Event:
        body: dict[str, Any] = {"contribution": contribution, "revision": revision}
        if merged is not None:
            body["merged"] = merged
        return self.emit(commons, "contribution.accept", body)

    def reject(self, commons: bytes, contribution: bytes, reason: str = "not now") -> Event:
        return self.emit(
            commons, "contribution.reject", {"contribution": contribution, "reason": reason}
        )

    def withdraw(self, commons: bytes, contribution: bytes) -> Event:
        return self.emit(commons, "contribution.withdraw", {"contribution": contribution})

    def revert(
        self,
        commons: bytes,
        contribution: bytes,
        reason: str = "broke it",
        merged: list[dict[str, Any]] | None = None,
    ) -> Event:
        body: dict[str, Any] = {"contribution": contribution, "reason": reason}
        if merged is not None:
            body["merged"] = merged
        return self.emit(commons, "contribution.revert", body)

    def patrol(self, commons: bytes, contribution: bytes) -> Event:
        return self.emit(commons, "contribution.patrol", {"contribution": contribution})

    def change_charter(self, commons: bytes, change: dict[str, Any]) -> Event:
        return self.emit(commons, "charter.change", {"change": change})


def change(
    path: str, blob_: bytes | None, base: bytes | None = None, size: int = 1, media: str = ""
) -> dict[str, Any]:
    return {"path": path, "base": base, "blob": blob_, "size": size if blob_ else 0, "media": media}


def fold_at(world: World, commons: bytes, heads: Iterable[bytes]) -> MemoryState:
    """The reference state of a commons at ``heads`` (a fork's base when it is itself a fork)."""
    genesis = world.events[commons]
    origin = genesis.body.forked_from
    base = None
    if origin:
        base = domain.fork_base(fold_at(world, origin.commons, origin.heads).records)
    return domain.fold([e for e in world.past(heads) if e.commons == commons], base)


def checked_scenes(world: World, peer: "Peer", kind: type) -> Iterator[Callable[..., Any]]:
    """A fixture's body: yields a maker of ``kind(world, peer, **options)``; once the test
    is done, whatever it did, the stored state of every commons on ``peer`` is the reference
    fold of the same events."""

    def make(**options: Any) -> Any:
        return kind(world, peer, **options)

    yield make
    for commons in {e.commons for e in world.order if peer.store.commons_cid(e.commons)}:
        assert peer.digest(commons) == reference_digest(world, commons)


def reference_digest(world: World, commons: bytes) -> str:
    """The digest every peer must reach for a commons holding all the world's events."""
    events = world.of(commons)
    parents = {p for e in events for p in e.parents}
    return fold_at(world, commons, [e.id for e in events if e.id not in parents]).digest()


class Peer:
    """One node: an in-memory store and its ingestor, with short ways to read the state."""

    def __init__(self) -> None:
        self.store = SQLiteStore()
        self.ingestor = Ingestor(self.store, workers=1)

    def ingest(self, *events: Event | bytes) -> IngestReport:
        return self.ingestor.ingest([e.raw if isinstance(e, Event) else e for e in events])

    def cid(self, commons: bytes) -> int:
        cid = self.store.commons_cid(commons)
        assert cid is not None, "this peer does not hold that commons"
        return cid

    def records(self, commons: bytes) -> dict[str, Any]:
        return dict(self.store.scan_records(self.cid(commons), ""))

    def get(self, commons: bytes, key: str) -> Any:
        return self.records(commons).get(key)

    def ineffective(self, commons: bytes) -> dict[bytes, str]:
        """Why each ineffective event changed nothing, as the English sentence of its code."""
        return {
            eid: domain.sentence(domain.decode_refusal(data))
            for eid, data in self.store.ineffective(self.cid(commons))
        }

    def digest(self, commons: bytes) -> str:
        cid = self.cid(commons)
        return domain.state_digest(self.store.raw_records(cid), self.store.ineffective(cid))

    def close(self) -> None:
        self.ingestor.close()
        self.store.close()
