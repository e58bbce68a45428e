"""Signed events: the envelope, its canonical bytes, signing and verification.

Wire form: canonical CBOR ``[payload, signature]`` where ``payload`` is the canonical CBOR map
``{v, commons, type, author, parents, clock, time, body}`` and the Ed25519 signature covers
``SIGNING_CONTEXT + payload``. The event id is SHA-256 of the whole wire bytes, which a node
keeps exactly as received. A genesis event has ``commons = null``; the commons id is its id.
"""

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

import cbor2

from . import canonical
from .errors import BadInput, InvalidEvent
from .identity import Identity, public_key_from_did, verify

FORMAT_VERSION = 1
MAX_EVENT_SIZE = 64 * 1024
# Width is normal (many offline authors, a hub full of citizens): a node with more heads
# than an event may name names a deterministic few (``bounded_heads``) and later events merge
# the rest. 256 parents take 8.5 KiB of an event's 64 KiB and merge 1,000 heads in 4 events.
MAX_PARENTS = 256
# A fork names the heads it starts from: more of them, as a genesis has a small body.
MAX_FORK_HEADS = 1024
SIGNING_CONTEXT = b"communs/event/v1\n"
_FIELDS = frozenset(("v", "commons", "type", "author", "parents", "clock", "time", "body"))

# Turns a decoded body into its typed form, or raises InvalidEvent; None for unknown types.
BodyParser = Callable[[str, Any], Any]


@dataclass(frozen=True, slots=True)
class Event:
    id: bytes
    raw: bytes
    commons: bytes
    type: str
    author: str
    parents: tuple[bytes, ...]
    clock: int
    time: int
    body: Any

    @property
    def is_genesis(self) -> bool:
        return self.commons == self.id

    @property
    def position(self) -> tuple[int, bytes]:
        """Where the event stands in the fold: Lamport clock, then id (a causal total order)."""
        return (self.clock, self.id)


def bounded_heads(clocks: Mapping[bytes, int], bound: int = MAX_PARENTS) -> list[bytes]:
    """At most ``bound`` of these heads (id -> clock), sorted: all of them when they fit, else
    the newest (so that an event naming them keeps the clock it would have with all) and the
    oldest others, so that the longest-waiting branches are merged first. Every node picks the
    same ones from the same heads."""
    if len(clocks) <= bound:
        return sorted(clocks)
    ordered = sorted(clocks, key=lambda eid: (clocks[eid], eid))
    return sorted([*ordered[: bound - 1], ordered[-1]])


def event_id(raw: bytes) -> bytes:
    return sha256(raw).digest()


def sign_event(
    identity: Identity,
    *,
    commons: bytes | None,
    type: str,
    parents: Iterable[bytes],
    clock: int,
    time: int,
    body: Any,
) -> bytes:
    """The wire bytes of a new event; ``commons=None`` makes a genesis."""
    payload = canonical.encode(
        {
            "v": FORMAT_VERSION,
            "commons": commons,
            "type": type,
            "author": identity.did,
            "parents": sorted(set(parents)),
            "clock": clock,
            "time": time,
            "body": body,
        }
    )
    raw = canonical.encode([payload, identity.sign(SIGNING_CONTEXT + payload)])
    if len(raw) > MAX_EVENT_SIZE:
        raise BadInput(
            f"this event would be {len(raw)} bytes, over the {MAX_EVENT_SIZE}-byte limit; "
            "put large content in files (blobs) and reference them"
        )
    return raw


def parse_event(raw: bytes, parse_body: BodyParser, *, verify_signature: bool = True) -> Event:
    """Verify wire bytes and return the event, or raise InvalidEvent with the reason."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise InvalidEvent("an event must be bytes")
    raw = bytes(raw)
    if len(raw) > MAX_EVENT_SIZE:
        raise InvalidEvent(f"event is {len(raw)} bytes, over the {MAX_EVENT_SIZE}-byte limit")
    outer, is_canonical = canonical.decode_strict(raw)
    if (
        not isinstance(outer, list)
        or len(outer) != 2
        or not isinstance(outer[0], bytes)
        or not isinstance(outer[1], bytes)
    ):
        raise InvalidEvent("an event must be a CBOR array [payload bytes, signature bytes]")
    payload, signature = outer
    if not is_canonical:
        raise InvalidEvent("event bytes are not in canonical CBOR form")
    fields, is_canonical = canonical.decode_strict(payload)
    if not isinstance(fields, dict) or fields.keys() != _FIELDS:
        raise InvalidEvent(f"event payload must be a map with exactly the fields {sorted(_FIELDS)}")
    if not is_canonical:
        raise InvalidEvent("event payload is not in canonical CBOR form")
    if type(fields["v"]) is not int or fields["v"] != FORMAT_VERSION:  # not 1.0, not true
        raise InvalidEvent(f"unsupported event format version {fields['v']!r}")
    author = fields["author"]
    try:
        public_key_from_did(author)
    except BadInput as error:
        raise InvalidEvent(f"author: {error}") from None
    if verify_signature and not (
        len(signature) == 64 and verify(author, SIGNING_CONTEXT + payload, signature)
    ):
        raise InvalidEvent("signature does not verify for the author's key")
    eid = event_id(raw)
    commons, parents, clock, time = (
        fields["commons"],
        fields["parents"],
        fields["clock"],
        fields["time"],
    )
    if (
        type(clock) is not int
        or type(time) is not int
        or not (0 <= clock < 2**63 and -(2**63) <= time < 2**63)
    ):
        raise InvalidEvent("clock and time must be 64-bit integers, and the clock non-negative")
    if not isinstance(parents, list) or len(parents) > MAX_PARENTS:
        raise InvalidEvent(f"parents must be a list of at most {MAX_PARENTS} event ids")
    if any(not isinstance(p, bytes) or len(p) != 32 for p in parents):
        raise InvalidEvent("each parent must be a 32-byte event id")
    if parents != sorted(set(parents)):
        raise InvalidEvent("parents must be sorted and distinct")
    if commons is None:
        if parents or clock != 0:
            raise InvalidEvent("a genesis event (commons = null) has no parents and clock 0")
        commons = eid
    elif not isinstance(commons, bytes) or len(commons) != 32:
        raise InvalidEvent("commons must be a 32-byte commons id, or null for a genesis")
    elif not parents or clock == 0:
        raise InvalidEvent("an event that is not a genesis needs parents and a clock above 0")
    kind = fields["type"]
    if not isinstance(kind, str):
        raise InvalidEvent("type must be text")
    body = parse_body(kind, fields["body"])
    return Event(eid, raw, commons, kind, sys.intern(author), tuple(parents), clock, time, body)


def parse_checked_event(raw: bytes, parse_body: BodyParser) -> Event:
    """The event of wire bytes that ``parse_event`` accepted already (stored by this node, or
    checked in its verification process): decoded without checking them again, which costs
    less than half of parsing without the signature."""
    payload = cbor2.loads(raw)[0]
    fields = cbor2.loads(payload)
    eid = event_id(raw)
    kind = fields["type"]
    return Event(
        eid,
        raw,
        fields["commons"] or eid,
        kind,
        sys.intern(fields["author"]),  # one string per author, not per event held
        tuple(fields["parents"]),
        fields["clock"],
        fields["time"],
        parse_body(kind, fields["body"]),
    )
