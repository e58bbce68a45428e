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


def _loads(data: bytes) -> Any:
    try:
        return cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as error:
        raise InvalidEvent(f"not valid CBOR: {error}") from None


def decode(data: bytes) -> Any:
    """Decode plain data (InvalidEvent otherwise)."""
    value = _loads(data)
    check_plain(value)
    return value


def decode_strict(data: bytes) -> tuple[Any, bool]:
    """Decode plain data (InvalidEvent otherwise), and tell whether ``data`` is its canonical
    encoding."""
    value = _loads(data)
    # For plain data with every map in canonical order, cbor2's default encoding (smallest
    # heads, definite lengths) is the canonical one.
    return value, check_plain(value) and cbor2.dumps(value) == data


def check_plain(value: Any) -> bool:
    """Raise InvalidEvent unless ``value`` is plain data (see the module docstring); return
    whether the keys of every map are in canonical order."""
    ordered = True
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
            keys = tuple(item)
            for key in keys:
                if type(key) is not str:
                    raise InvalidEvent("map keys must be text")
            if ordered and keys != (_ORDERS.get(keys) or _canonical_order(keys)):
                ordered = False
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
    return ordered


class _NotPlain(Exception):
    """A value holding something else than maps with text keys, arrays, text, bytes,
    integers, booleans and null."""


_LEAVES = frozenset((str, bytes, int, bool, type(None)))
_ORDERS: dict[tuple[Any, ...], tuple[str, ...]] = {}  # a map's keys -> in canonical order


def _canonical_order(keys: tuple[Any, ...]) -> tuple[str, ...]:
    # The canonical order sorts keys by their encoding; for text, that is the length of the
    # UTF-8 bytes (the head holds it), then the bytes themselves.
    if any(type(key) is not str for key in keys):
        raise _NotPlain
    order = tuple(sorted(keys, key=lambda key: (len(key.encode()), key.encode())))
    if len(_ORDERS) > 4096:
        _ORDERS.clear()
    _ORDERS[keys] = order
    return order


def _sorted_maps(value: Any, memo: dict[int, tuple[Any, Any]] | None = None) -> Any:
    """``value`` with the keys of every map in canonical order.

    With ``memo``, nested arrays and maps are remembered by identity: successive versions of
    a record share most of their parts (``{**record, "state": ...}``), which are then
    sorted once. The memo keeps each part alive, so an id is never reused while in it;
    values in the fold are never mutated (reducers build new ones)."""
    kind = type(value)
    if kind is dict:
        keys = tuple(value)
        out = {}
        for key in _ORDERS.get(keys) or _canonical_order(keys):
            item = value[key]
            out[key] = item if type(item) in _LEAVES else _sorted_part(item, memo)
        return out
    if kind is list or kind is tuple:
        return [item if type(item) in _LEAVES else _sorted_part(item, memo) for item in value]
    if kind in _LEAVES:
        return value
    raise _NotPlain


def _sorted_part(value: Any, memo: dict[int, tuple[Any, Any]] | None) -> Any:
    if memo is None:
        return _sorted_maps(value)
    seen = memo.get(id(value))
    if seen is not None and seen[0] is value:
        return seen[1]
    out = _sorted_maps(value, memo)
    memo[id(value)] = (value, out)
    return out


def encode(value: Any, memo: dict[int, tuple[Any, Any]] | None = None) -> bytes:
    """The canonical encoding of ``value``. cbor2's canonical mode sorts every map by
    encoding each key apart, which costs more than the rest of the encoding; for plain data
    the only difference with its default mode is the order of map keys, set here beforehand
    (anything else goes to the canonical mode). ``memo`` lets successive versions of a value
    share the sorting of their common parts."""
    try:
        return cbor2.dumps(_sorted_maps(value, memo))
    except _NotPlain:
        return cbor2.dumps(value, canonical=True)


def _head(major: int, size: int) -> bytes:
    """The head of a CBOR data item: major type (shifted) and length."""
    if size < 24:
        return bytes((major | size,))
    if size < 0x100:
        return bytes((major | 24, size))
    if size < 0x10000:
        return bytes((major | 25,)) + size.to_bytes(2, "big")
    return bytes((major | 26,)) + size.to_bytes(4, "big")


_TEXT_HEADS = [_head(0x60, size) for size in range(0x100)]


def encode_map(items: dict[str, bytes]) -> bytes:
    """``canonical.encode({key: value})`` for text keys and values already encoded:
    keys in the canonical order (their encodings sorted bytewise)."""
    keys = []
    for key in items:
        utf8 = key.encode()
        size = len(utf8)
        keys.append(((_TEXT_HEADS[size] if size < 0x100 else _head(0x60, size)) + utf8, key))
    keys.sort()
    return _head(0xA0, len(keys)) + b"".join(
        [encoded_key + items[key] for encoded_key, key in keys]
    )
