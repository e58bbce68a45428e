"""Identities: Ed25519 keys shown as did:key, signatures, and refusals of what is not one."""

import pytest

from communs.core.errors import BadInput
from communs.core.identity import (
    Identity,
    did_from_public_key,
    is_did,
    public_key_from_did,
    verify,
)

# The did:key method specification's Ed25519 example: the key of the all-zero seed.
SPEC_SEED = bytes(32)
SPEC_PUBLIC = bytes.fromhex("3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29")
SPEC_DID = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"

# RFC 8032 §7.1, TEST 1: secret key, public key, and the signature of the empty message.
RFC_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58btc(data: bytes) -> str:
    """An independent base58btc encoder, so the did:key form is not checked against itself."""
    number = int.from_bytes(data, "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = B58[digit] + text
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text


def test_spec_vector_did_key_of_the_zero_seed():
    identity = Identity(SPEC_SEED)
    assert identity.did == SPEC_DID
    assert public_key_from_did(SPEC_DID) == SPEC_PUBLIC
    assert did_from_public_key(SPEC_PUBLIC) == SPEC_DID


def test_did_key_is_multicodec_ed25519_in_base58btc():
    identity = Identity(RFC_SECRET)
    assert public_key_from_did(identity.did) == RFC_PUBLIC
    assert identity.did == "did:key:z" + b58btc(b"\xed\x01" + RFC_PUBLIC)
    assert identity.did.startswith("did:key:z6Mk")


def test_rfc8032_signature_vector():
    identity = Identity(RFC_SECRET)
    assert identity.sign(b"") == RFC_SIGNATURE
    assert verify(identity.did, b"", RFC_SIGNATURE)


@pytest.mark.parametrize("seed", [bytes(32), bytes([7]) * 32, bytes(range(32))])
def test_round_trips(seed):
    identity = Identity(seed)
    assert identity.seed == seed
    assert Identity(identity.seed).did == identity.did
    assert did_from_public_key(public_key_from_did(identity.did)) == identity.did
    assert is_did(identity.did)


def test_generated_identities_are_distinct_and_round_trip():
    first, second = Identity.generate(), Identity.generate()
    assert first.did != second.did
    assert Identity(first.seed).did == first.did


P256_DID = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"  # not Ed25519


@pytest.mark.parametrize(
    ("did", "message"),
    [
        ("", "is not a did:key identity"),
        ("did:web:example.com", "is not a did:key identity"),
        ("did:key:6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "is not a did:key identity"),
        ("DID:KEY:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "is not a did:key identity"),
        ("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDoo0O", "is not valid base58"),
        ("did:key:z", "is not an Ed25519 did:key"),
        (SPEC_DID[:-3], "is not an Ed25519 did:key"),
        (SPEC_DID + "a", "is not an Ed25519 did:key"),
        (P256_DID, "is not an Ed25519 did:key"),
        (None, "is not a did:key identity"),
        (42, "is not a did:key identity"),
        (SPEC_DID.encode(), "is not a did:key identity"),
        ([SPEC_DID], "is not a did:key identity"),  # unhashable: must still be a clear refusal
    ],
)
def test_bad_dids_are_refused_with_a_clear_message(did, message):
    with pytest.raises(BadInput, match=message) as refused:
        public_key_from_did(did)
    assert repr(did) in str(refused.value)  # the message names what was given
    assert not is_did(did)


def test_refusal_says_what_is_expected():
    with pytest.raises(BadInput, match="expected 'did:key:z6Mk...'"):
        public_key_from_did("alice")


def test_sign_and_verify():
    alice, bob = Identity(bytes([1]) * 32), Identity(bytes([2]) * 32)
    message = b"communs/event/v1\nhello"
    signature = alice.sign(message)
    assert len(signature) == 64
    assert verify(alice.did, message, signature)
    assert not verify(alice.did, message + b"!", signature)
    assert not verify(bob.did, message, signature)
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify(alice.did, message, tampered)
    assert not verify(alice.did, message, signature[:63])  # malformed: False, not an exception
    assert not verify(alice.did, message, b"")


def test_identity_repr_shows_the_did_not_the_secret():
    identity = Identity(bytes([9]) * 32)
    assert identity.did in repr(identity)
    assert identity.seed.hex() not in repr(identity)


def test_a_signature_cannot_be_rewritten_into_another_valid_one():
    # Ed25519 malleability: S and S + L both satisfy the group equation; only the canonical
    # S may verify, or a third party could give a signed event a second id.
    order = 2**252 + 27742317777372353535851937790883648493
    identity = Identity(bytes([3]) * 32)
    signature = identity.sign(b"event")
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + order).to_bytes(32, "little")
    assert verify(identity.did, b"event", signature)
    assert not verify(identity.did, b"event", malleated)
