"""Canonical CBOR (RFC 8949 §4.2.1 core deterministic encoding), without floats.

Without floats, cbor2's canonical output is byte-identical to DAG-CBOR, so the bytes are
reproducible by any implementation that follows the standard. Decoding accepts only that
plain data model: null, booleans, 64-bit integers, text, bytes, arrays and maps with text
keys. No floats, and no tags: cbor2 would turn some of them into Python objects (a tag-258
set becomes a ``set``, whose order depends on the process's hash seed), and peers would then
disagree on what the same bytes mean.
"""

from typing import Any

import cbor2

from .errors import InvalidEvent

_SCALARS = (type(None), bool, str, bytes)


def encode(value: Any) -> bytes:
    return cbor2.dumps(value, canonical=True)


def decode(data: bytes) -> Any:
    try:
        value = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as error:
        raise InvalidEvent(f"not valid CBOR: {error}") from None
    check_plain(value)
    return value


def check_plain(value: Any) -> None:
    """Raise InvalidEvent unless ``value`` is plain data (see the module docstring)."""
    stack = [value]
    seen: set[int] = set()  # CBOR shared references (tags 28/29) can make cycles
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is list or kind is dict:
            if id(item) in seen:
                raise InvalidEvent("shared or cyclic values (CBOR tags 28/29) are not allowed")
            seen.add(id(item))
        if kind is list:
            stack.extend(item)
        elif kind is dict:
            for key in item:
                if type(key) is not str:
                    raise InvalidEvent("map keys must be text")
            stack.extend(item.values())
        elif kind is int:
            if not -(2**64) <= item < 2**64:
                # Never format the number: a huge one cannot even be turned into text.
                raise InvalidEvent("an integer does not fit in 64 bits")
        elif kind is float:
            raise InvalidEvent(f"floating-point numbers are not allowed ({item!r})")
        elif kind not in _SCALARS:
            raise InvalidEvent(
                f"CBOR tags and special values are not allowed (found a {kind.__name__})"
            )
