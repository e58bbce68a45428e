"""Shared pieces of the body schemas (msgspec structs: typed, strict, fast to validate)."""

import unicodedata
from typing import Annotated

import msgspec

from ..core.identity import is_did

Id = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
MAX_TITLE = 200
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TITLE)]
Text = Annotated[str, msgspec.Meta(max_length=20_000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2_000)]
MAX_PATH = 1024


class Body(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of every event body: immutable, and unknown fields are refused."""


def clean_name(name: str) -> str:
    """A name as people mean it: composed accents (NFC), no surrounding or repeated spaces."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def name_key(name: str) -> str:
    """What two names must share to be the same name when someone types one: ``clean_name``,
    without case (``Café`` typed with a combining accent finds ``café``)."""
    return clean_name(name).casefold()


def check_did(did: str, field: str) -> None:
    if not is_did(did):
        raise ValueError(f"{field}: {did!r} is not a did:key identity")


def check_path(path: str) -> None:
    """Artifact paths: relative, '/'-separated, no empty, '.' or '..' segments."""
    if not path or len(path) > MAX_PATH:
        raise ValueError(f"path must be 1 to {MAX_PATH} characters")
    if any(ch in path for ch in "\\\x00\n\r") or any(ord(ch) < 32 for ch in path):
        raise ValueError(f"path {path!r} has a control character or a backslash")
    if any(part in ("", ".", "..") for part in path.split("/")):
        raise ValueError(f"path {path!r} must be relative, without empty, '.' or '..' parts")


def to_builtins(value: object) -> object:
    """Plain CBOR-ready data (bytes stay bytes)."""
    return msgspec.to_builtins(value, builtin_types=(bytes,))
