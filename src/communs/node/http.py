"""Talking HTTP to other nodes, for every part of the node: one transport (TCP_NODELAY), one way
to read a node's error back as the error it raised, and files streamed in and out, never held
whole in memory. Plumbing beside the core: it imports nothing of the node."""

import io
import socket
from collections.abc import Callable
from typing import Any

import httpx

from ..core.errors import (
    Ambiguous,
    BadInput,
    CommunsError,
    InvalidEvent,
    NotFound,
    Refused,
    Unreachable,
)

_KINDS = {
    kind.__name__: kind
    for kind in (Ambiguous, BadInput, CommunsError, InvalidEvent, NotFound, Refused, Unreachable)
}
# For a reply without a ``kind`` (not from a Communs node): the error its status suggests.
_ERRORS = {400: BadInput, 404: NotFound, 409: Refused, 422: InvalidEvent, 502: Unreachable}


def transport() -> httpx.HTTPTransport:
    """TCP_NODELAY on every socket: small sync messages must not wait for Nagle."""
    return httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])


def raise_for(response: httpx.Response) -> None:
    """Raise the error the node named (its ``kind``, with the refusal's ``code`` and
    ``params`` if any), else the one its status suggests."""
    if response.is_success:
        return
    code, params = None, None
    try:
        reply = response.json()
        message, named = str(reply["error"]), reply.get("kind")
        if isinstance(reply.get("code"), str):  # a refusal of the fold, by its code
            code, params = reply["code"], reply.get("params") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        message, named = f"{response.status_code} {response.reason_phrase}", None
    fallback = Refused if response.status_code < 500 else CommunsError
    kind = _KINDS.get(named) if isinstance(named, str) else None
    raise (kind or _ERRORS.get(response.status_code, fallback))(message, code=code, params=params)


class RemoteFile(io.RawIOBase):
    """A file-like view of a streamed download: large files never sit whole in memory."""

    def __init__(self, http: httpx.Client, path: str):
        self._stream = http.stream("GET", path)
        response = self._stream.__enter__()
        if not response.is_success:
            response.read()
            self._stream.__exit__(None, None, None)
            raise_for(response)
        self._chunks = response.iter_bytes()
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            self._buffer = next(self._chunks, b"")
            if not self._buffer:
                return 0
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count

    def close(self) -> None:
        if not self.closed:
            self._stream.__exit__(None, None, None)
        super().close()


class Counting(io.RawIOBase):
    """A file whose reads tell ``progress(bytes read so far)`` (e.g. to move a bar)."""

    def __init__(self, source: Any, progress: Callable[[int], None] | None):
        self.source, self.progress, self.done = source, progress, 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        count = self.source.readinto(target)
        self.done += count
        if self.progress is not None and count:
            self.progress(self.done)
        return count

    def close(self) -> None:
        self.source.close()
        super().close()
