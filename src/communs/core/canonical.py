"""Canonical CBOR (RFC 8949 §4.2.1 core deterministic encoding), without floats.

Without floats, cbor2's canonical output is byte-identical to DAG-CBOR, so the bytes are
reproducible by any implementation that follows the standard.
"""

from typing import Any

import cbor2

from .errors import InvalidEvent


def encode(value: Any) -> bytes:
    return cbor2.dumps(value, canonical=True)


def decode(data: bytes) -> Any:
    try:
        return cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as error:
        raise InvalidEvent(f"not valid CBOR: {error}") from None
