"""The fold: state is a pure function of the events, applied in a causal total order.

State is a set of records (key -> plain CBOR-ready value). A reducer reads the records it
needs through a ``View`` and returns the writes it makes (``None`` deletes), or raises
``Ineffective`` with a refusal code and its parameters (``refusals``): the event stays in the
log, visible, and changes nothing.
Authorization is part of the reducers, so every peer with the same events agrees on it.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, Protocol

import msgspec

from ..core import canonical
from ..core.errors import InvalidEvent
from ..core.events import Event, parse_checked_event, parse_event
from .lines import Line, Summary, Words
from .plain import schema_refusal
from .refusals import Code, Refusal, refusal

Writes = dict[str, Any]


class Ineffective(Exception):
    """Raised by a reducer: the event is kept but changes nothing, for this refusal."""

    def __init__(self, known: Code, **params: Any):
        self.refusal = refusal(known, **params)
        super().__init__(self.refusal)


class View(Protocol):
    def get(self, key: str) -> Any: ...


@dataclass(frozen=True)
class EventType:
    name: str
    body: type
    reduce: Callable[[View, Event], Writes]
    genesis: bool = False
    summary: Summary | None = None


TYPES: dict[str, EventType] = {}
# What one institution derives from the outcome of another's events (credit from an accepted
# contribution): more writes of the same event, never a refusal of it.
Derivation = Callable[["View", "View", Event], Writes]
DERIVED: dict[str, list[Derivation]] = {}


def event_type(name: str, body: type, *, genesis: bool = False, summary: Summary | None = None):
    """Register the reducer of an event type, with the line it reads as:
    ``@event_type("x.y", XBody, summary=acting(N_("{who} did x on '{what}'")))``."""

    def register(reduce: Callable[[View, Event], Writes]) -> Callable[[View, Event], Writes]:
        TYPES[name] = EventType(name, body, reduce, genesis, summary)
        return reduce

    return register


def derives(*names: str) -> Callable[[Derivation], Derivation]:
    """Register ``derive(before, after, event)``, called once an event of one of ``names``
    is effective: ``before`` reads the state it was applied to, ``after`` the state with its
    writes made, and the writes ``derive`` returns are the event's too. Institutions stay
    apart: the one that derives knows the other, never the reverse."""

    def register(derive: Derivation) -> Derivation:
        for name in names:
            DERIVED.setdefault(name, []).append(derive)
        return derive

    return register


class After:
    """A view of the state with an event's writes made (``None`` deletes)."""

    def __init__(self, view: View, writes: Writes):
        self.view, self.writes = view, writes

    def get(self, key: str) -> Any:
        return self.writes[key] if key in self.writes else self.view.get(key)


def summary(event: Event, words: Words) -> Line:
    """The line an event reads as: "anna accepted 'Fix the map legend'"."""
    described = TYPES[event.type].summary
    line = described(event.body, words) if described else Line("{who} " + event.type)
    return Line(line.text, {"who": words.person(event.author), **line.fields})


def parse_body(kind: str, value: Any) -> Any:
    known = TYPES.get(kind)
    if known is None:
        raise InvalidEvent(f"unknown event type {kind!r}; known types: {', '.join(sorted(TYPES))}")
    try:
        return msgspec.convert(value, known.body)
    except msgspec.ValidationError as error:
        raise schema_refusal(kind, str(error)) from None


def parse(raw: bytes, *, verify_signature: bool = True) -> Event:
    """Verify wire bytes completely: envelope, signature, id, type and body schema."""
    event = parse_event(raw, parse_body, verify_signature=verify_signature)
    if TYPES[event.type].genesis != event.is_genesis:
        raise InvalidEvent(
            f"{event.type} must {'' if TYPES[event.type].genesis else 'not '}be a genesis event"
        )
    return event


def parse_checked(raw: bytes) -> Event:
    """An event from bytes ``parse`` accepted before (see ``parse_checked_event``)."""
    return parse_checked_event(raw, parse_body)


def apply(view: View, event: Event) -> tuple[Writes, Refusal | None]:
    """The writes an event makes, or no writes and why it is ineffective."""
    try:
        writes = TYPES[event.type].reduce(view, event)
    except Ineffective as ineffective:
        return {}, ineffective.refusal
    for derive in DERIVED.get(event.type, ()):
        writes = {**writes, **derive(view, After(view, writes), event)}
    return writes, None


class MemoryState:
    """Records in a dict: the reference fold, used for forks' bases and to check stores."""

    def __init__(self, records: Mapping[str, Any] | None = None):
        self.records: dict[str, Any] = dict(records or {})
        self.ineffective: dict[bytes, Refusal] = {}

    def get(self, key: str) -> Any:
        return self.records.get(key)

    def apply(self, event: Event) -> Refusal | None:
        writes, reason = apply(self, event)
        if reason is not None:
            self.ineffective[event.id] = reason
        for key, value in writes.items():
            if value is None:
                self.records.pop(key, None)
            else:
                self.records[key] = value
        return reason

    def digest(self) -> str:
        records = ((key, canonical.encode(value)) for key, value in sorted(self.records.items()))
        refusals = ((eid, encode_refusal(r)) for eid, r in sorted(self.ineffective.items()))
        return state_digest(records, refusals)


def fold(events: Iterable[Event], base: Mapping[str, Any] | None = None) -> MemoryState:
    """Apply events in their causal total order (clock, then id) to a fresh state."""
    state = MemoryState(base)
    for event in sorted(events, key=lambda e: e.position):
        state.apply(event)
    return state


def encode_refusal(found: Refusal) -> bytes:
    """The canonical bytes a store keeps for an ineffective event's refusal."""
    return canonical.encode(found.record())


def decode_refusal(data: bytes | None) -> Refusal | None:
    return None if data is None else Refusal.of(canonical.decode(data))


def state_digest(
    records: Iterable[tuple[str, bytes]], ineffective: Iterable[tuple[bytes, bytes]]
) -> str:
    """SHA-256 of the canonical folded state: the canonical ``[key, value]`` of every record
    in key order (values given already encoded), then ``[id, refusal]`` of every ineffective
    event in id order (refusals given encoded: codes and parameters, never sentences)."""
    digest = sha256()
    for key, value in records:
        digest.update(b"\x82" + canonical.encode(key) + value)
    for eid, refusal_ in ineffective:
        digest.update(b"\x82" + canonical.encode(eid) + refusal_)
    return digest.hexdigest()


def fork_base(records: Mapping[str, Any]) -> dict[str, Any]:
    """What a fork inherits from its parent's state: everything but what belongs to the
    parent's own decision-making — pending charter motions, and proposals not yet settled."""
    return {
        key: value
        for key, value in records.items()
        if not key.startswith("motion/")
        and not (key.startswith("proposal/") and value.get("state") in ("open", "closed"))
    }
