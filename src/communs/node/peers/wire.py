"""Reading what peers send, before anything is verified: CBOR sequences arriving in chunks,
commons links, and the fields of a raw event that decide where it goes (its commons, author,
files). Everything here is cautious: a malformed input is a ``BadInput`` or ``None``, never a
crash; the ingest refuses bad events later with the precise reason."""

import io
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import cbor2

from ...core.errors import BadInput
from ...core.events import MAX_EVENT_SIZE, event_id
from ...domain.refusals import code, fault
from ...store.local import normalize_url
from ..files.fetching import FileRef, files_in

MAX_ITEM = 2 * MAX_EVENT_SIZE + 4096  # the largest item a stream may hold (headers included)

PEER_TOO_SLOW = code(
    "peer_too_slow", "the peer is too slow: the transfer took too long, try again later"
)
NOT_CBOR = code("not_cbor_sequence", "not a CBOR sequence: {error}")
ITEM_TOO_BIG = code(
    "stream_item_too_big", "an item of the stream is over {most} bytes: events are smaller"
)
STREAM_CUT = code("stream_cut", "the stream ended in the middle of an item")
NOT_A_LINK = code(
    "not_a_commons_link", "'{link}' is not a commons link (communs://<id>?peer=HOST:PORT)"
)
LINK_WITHOUT_ID = code(
    "link_without_commons_id",
    "'{link}' does not hold a full commons id (64 hexadecimal characters)",
)
MALFORMED_ANSWER = code("peer_answer_malformed", "the peer's answer is malformed ({kind}: {error})")


def iter_cbor_seq(
    chunks: Iterable[bytes], *, max_item: int = MAX_ITEM, deadline: float | None = None
) -> Iterator[Any]:
    """Decode a CBOR sequence arriving in arbitrary chunks. A peer can neither make us buffer
    more than ``max_item`` bytes waiting for one item, nor trickle past ``deadline``."""
    buffer = b""
    for chunk in chunks:
        if deadline is not None and time.monotonic() > deadline:
            raise fault(BadInput, PEER_TOO_SLOW)
        buffer += chunk
        stream = io.BytesIO(buffer)
        decoder = cbor2.CBORDecoder(stream)
        start = 0
        while start < len(buffer):
            try:
                item = decoder.decode()
            except cbor2.CBORDecodeEOF:
                break
            except (cbor2.CBORDecodeError, ValueError) as error:
                raise fault(BadInput, NOT_CBOR, error=str(error)) from None
            start = stream.tell()
            yield item
        buffer = buffer[start:]
        if len(buffer) > max_item:
            raise fault(BadInput, ITEM_TOO_BIG, most=max_item)
    if buffer:
        raise fault(BadInput, STREAM_CUT)


def link_to(commons: bytes, node_url: str | None) -> str:
    """The link ``parse_link`` reads: ``communs://<commons id>?peer=host:port`` (no peer when
    the node's address is not known)."""
    host = urlparse(node_url).netloc if node_url else None
    return f"communs://{commons.hex()}" + (f"?peer={host}" if host else "")


def parse_link(link: str) -> tuple[bytes, str | None]:
    """``communs://<commons id>?peer=host:port`` → (commons id, peer URL or None)."""
    parsed = urlparse(link)
    if parsed.scheme != "communs":
        raise fault(BadInput, NOT_A_LINK, link=link)
    try:
        commons = bytes.fromhex(parsed.netloc or parsed.path.strip("/"))
    except ValueError:
        commons = b""
    if len(commons) != 32:
        raise fault(BadInput, LINK_WITHOUT_ID, link=link)
    peers = parse_qs(parsed.query).get("peer")
    return commons, normalize_url(peers[0]) if peers else None


def payload_of(raw: bytes) -> dict[str, Any] | None:
    try:
        payload = cbor2.loads(cbor2.loads(raw)[0])
    except Exception:  # noqa: BLE001  (ingest refuses it with the precise reason)
        return None
    return payload if isinstance(payload, dict) else None


def author_of(raw: bytes) -> str | None:
    payload = payload_of(raw)
    return payload.get("author") if payload else None


def is_genesis(raw: bytes) -> bool:
    payload = payload_of(raw)
    return bool(payload) and payload.get("commons") is None


def commons_of(raw: bytes) -> bytes | None:
    payload = payload_of(raw)
    if not payload:
        return None
    commons = payload.get("commons")
    if commons is None:
        return event_id(raw)  # a genesis: its id is the commons id
    return commons if isinstance(commons, bytes) and len(commons) == 32 else None


def files_of(raw: bytes) -> dict[bytes, FileRef]:
    """The files an event's changes (or merges) name, and its detached text if any."""
    body = (payload_of(raw) or {}).get("body")
    if not isinstance(body, dict):
        return {}
    files = files_in([*(body.get("changes") or []), *(body.get("merged") or [])])
    content, size = body.get("content"), body.get("content_size")
    if isinstance(content, bytes) and len(content) == 32 and isinstance(size, int):
        files.setdefault(content, FileRef(size, None))
    return files


def shape(read: Any) -> Any:
    """Read a peer's answer; a malformed one is the peer's error, not ours."""
    try:
        return read()
    except (ValueError, KeyError, TypeError, IndexError) as error:
        raise fault(
            BadInput, MALFORMED_ANSWER, kind=type(error).__name__, error=str(error)
        ) from None
