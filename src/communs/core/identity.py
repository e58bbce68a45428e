"""Ed25519 identities shown as did:key (multicodec ed25519-pub 0xed01, base58btc)."""

from functools import lru_cache

import base58
import nacl.exceptions
import nacl.signing

from .errors import BadInput

_ED25519_PREFIX = b"\xed\x01"
_DID_PREFIX = "did:key:z"


def did_from_public_key(public_key: bytes) -> str:
    return _DID_PREFIX + base58.b58encode(_ED25519_PREFIX + public_key).decode()


def public_key_from_did(did: str) -> bytes:
    """The raw 32-byte Ed25519 key of a did:key; BadInput if it is not one."""
    if not isinstance(did, str):  # checked before the cache, which needs hashable arguments
        raise BadInput(f"{did!r} is not a did:key identity (expected 'did:key:z6Mk...')")
    return _public_key_from_did(did)


@lru_cache(maxsize=4096)
def _public_key_from_did(did: str) -> bytes:
    if not did.startswith(_DID_PREFIX):
        raise BadInput(f"{did!r} is not a did:key identity (expected 'did:key:z6Mk...')")
    try:
        raw = base58.b58decode(did[len(_DID_PREFIX) :])
    except ValueError:
        raise BadInput(f"{did!r} is not valid base58") from None
    if len(raw) != 34 or raw[:2] != _ED25519_PREFIX:
        raise BadInput(f"{did!r} is not an Ed25519 did:key")
    return raw[2:]


@lru_cache(maxsize=4096)
def verify_key(did: str) -> nacl.signing.VerifyKey:
    return nacl.signing.VerifyKey(public_key_from_did(did))


def is_did(value: object) -> bool:
    try:
        public_key_from_did(value)  # type: ignore[arg-type]
    except BadInput:
        return False
    return True


def verify(did: str, message: bytes, signature: bytes) -> bool:
    try:
        verify_key(did).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, ValueError):
        return False
    return True


class Identity:
    """A signing identity: the secret half of a did:key."""

    __slots__ = ("_key", "did")

    def __init__(self, seed: bytes):
        self._key = nacl.signing.SigningKey(seed)
        self.did = did_from_public_key(bytes(self._key.verify_key))

    @classmethod
    def generate(cls) -> "Identity":
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @property
    def seed(self) -> bytes:
        return bytes(self._key)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message).signature

    def __repr__(self) -> str:
        return f"Identity({self.did})"
