"""Signed events: canonical bytes, ids, every refusal of ``domain.parse``, and the ingest path."""

import itertools
import re
from hashlib import sha256

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from communs import domain
from communs.core import canonical
from communs.core.errors import BadInput, InvalidEvent
from communs.core.events import MAX_EVENT_SIZE, SIGNING_CONTEXT, event_id, sign_event
from communs.domain.plain import SCHEMA_CODES
from eventkit import Peer, World, blob, change, charter, identity, raw_event

ALICE, BOB = identity(1), identity(2)
SOME_ID = bytes(range(32))


def genesis_fields(**fields):
    return {"body": {"charter": charter("Demo", [ALICE])}, **fields}


def propose_fields(**fields):
    return {
        "type": "contribution.propose",
        "commons": SOME_ID,
        "parents": [SOME_ID],
        "clock": 1,
        "body": {"title": "t", "changes": [change("a.txt", blob(1))]},
        **fields,
    }


def resign(raw: bytes, payload: bytes, signer=ALICE) -> bytes:
    return canonical.encode([payload, signer.sign(SIGNING_CONTEXT + payload)])


# -- canonical bytes and ids -----------------------------------------------------------------


def test_signing_is_reproducible_and_the_id_is_sha256_of_the_bytes():
    args = dict(
        commons=None,
        type="commons.create",
        parents=[],
        clock=0,
        time=5,
        body={"charter": charter("Demo", [ALICE])},
    )
    raw = sign_event(ALICE, **args)
    assert sign_event(identity(1), **args) == raw  # Ed25519 is deterministic
    event = domain.parse(raw)
    assert event.id == event_id(raw) == sha256(raw).digest()
    assert event.commons == event.id and event.is_genesis
    assert event.raw == raw


def test_encoding_is_canonical_cbor():
    raw = raw_event(ALICE, propose_fields())
    outer = cbor2.loads(raw)
    assert raw[0] == 0x82  # a definite array of two byte strings
    assert cbor2.dumps(outer, canonical=True) == raw
    payload = cbor2.loads(outer[0])
    # RFC 8949 §4.2.1: map keys in bytewise order of their encoding (shorter text first).
    assert list(payload) == ["v", "body", "time", "type", "clock", "author", "commons", "parents"]
    assert domain.parse(raw).body.title == "t"


def test_parents_are_sorted_and_deduplicated_when_signing():
    world = World()
    alice = world.writer(ALICE)
    genesis = alice.create(charter("Demo", [ALICE]))
    first = alice.propose(genesis.id, [change("a", blob(1))])
    other = world.writer(BOB)
    other.learn(genesis)
    second = other.propose(genesis.id, [change("b", blob(2))])
    raw = sign_event(
        ALICE,
        commons=genesis.id,
        type="contribution.review",
        parents=[second.id, first.id, second.id],
        clock=2,
        time=1,
        body={"contribution": first.id, "verdict": "comment"},
    )
    assert domain.parse(raw).parents == tuple(sorted([first.id, second.id]))


def test_body_round_trips_through_the_schema():
    event = domain.parse(raw_event(ALICE, propose_fields()))
    assert event.type == "contribution.propose"
    assert event.body.changes[0].blob == blob(1)
    assert event.author == ALICE.did and event.clock == 1 and event.parents == (SOME_ID,)
    widest = {"title": "t", "changes": [change("a", blob(1), size=2**64 - 1)]}  # a CBOR uint64
    assert domain.parse(raw_event(ALICE, propose_fields(body=widest))).body.changes[0].size == (
        2**64 - 1
    )


# -- refusals --------------------------------------------------------------------------------


def refused(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent, match=reason):
        domain.parse(raw)


def test_valid_baselines_parse():
    # The refusals below each change one thing in these.
    domain.parse(raw_event(ALICE, genesis_fields()))
    domain.parse(raw_event(ALICE, propose_fields()))


def test_payload_with_non_canonical_map_order_is_refused():
    fields = {"v": 1, **propose_fields(), "author": ALICE.did, "time": 0}
    shuffled = dict(sorted(fields.items(), reverse=True))
    payload = cbor2.dumps(shuffled)  # same content, keys not in canonical order
    assert cbor2.loads(payload) == cbor2.loads(canonical.encode(fields))
    refused(resign(b"", payload), "payload is not in canonical CBOR form")


def test_payload_as_indefinite_length_map_is_refused():
    payload = cbor2.loads(raw_event(ALICE, propose_fields()))[0]
    assert payload[0] == 0xA8  # a map of 8 pairs
    indefinite = b"\xbf" + payload[1:] + b"\xff"
    assert cbor2.loads(indefinite) == cbor2.loads(payload)
    refused(resign(b"", indefinite), "payload is not in canonical CBOR form")


def test_non_minimal_integer_in_payload_is_refused():
    payload = cbor2.loads(raw_event(ALICE, propose_fields()))[0]
    clock = b"\x65clock\x01"
    assert payload.count(clock) == 1
    padded = payload.replace(clock, b"\x65clock\x18\x01")  # 1 written on two bytes
    assert cbor2.loads(padded) == cbor2.loads(payload)
    refused(resign(b"", padded), "payload is not in canonical CBOR form")


def test_non_canonical_envelope_is_refused():
    raw = raw_event(ALICE, propose_fields())
    refused(b"\x9f" + raw[1:] + b"\xff", "event bytes are not in canonical CBOR form")
    with pytest.raises(InvalidEvent):  # trailing bytes: never the same event
        domain.parse(raw + b"\x00")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff",
        b"not cbor at all",
        canonical.encode({"payload": b"", "signature": b""}),
        canonical.encode([b"x"]),
        canonical.encode([b"x", b"y", b"z"]),
        canonical.encode(["a", "b"]),
    ],
)
def test_what_is_not_an_envelope_is_refused(raw):
    with pytest.raises(InvalidEvent):
        domain.parse(raw)


def test_bad_signature_is_refused():
    raw = raw_event(ALICE, propose_fields())
    payload, signature = cbor2.loads(raw)
    flipped = bytes([signature[0] ^ 0x80]) + signature[1:]
    refused(canonical.encode([payload, flipped]), "signature does not verify for the author's key")
    refused(canonical.encode([payload, signature[:32]]), "signature does not verify")
    # A valid signature of another payload does not carry over.
    other = cbor2.loads(raw_event(ALICE, propose_fields(time=1)))[1]
    refused(canonical.encode([payload, other]), "signature does not verify")


def test_signature_by_another_key_is_refused():
    payload = cbor2.loads(raw_event(ALICE, propose_fields()))[0]
    refused(resign(b"", payload, signer=BOB), "signature does not verify for the author's key")


def test_author_must_be_a_did_key():
    refused(raw_event(ALICE, propose_fields(author="alice")), "author: 'alice' is not a did:key")
    refused(raw_event(ALICE, propose_fields(author=["x"])), "author: .* is not a did:key")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (propose_fields(type="contribution.merge"), "unknown event type 'contribution.merge'"),
        (propose_fields(type=7), "type must be text"),
        (
            propose_fields(type="commons.create", body={"charter": charter("x", [ALICE])}),
            "commons.create must be a genesis event",
        ),
        (
            genesis_fields(
                type="contribution.propose", body={"title": "t", "changes": [change("a", blob(1))]}
            ),
            "contribution.propose must not be a genesis event",
        ),
    ],
)
def test_wrong_or_unknown_type_is_refused(fields, reason):
    refused(raw_event(ALICE, fields), reason)


def test_unknown_type_message_lists_the_known_types():
    with pytest.raises(InvalidEvent) as error:
        domain.parse(raw_event(ALICE, propose_fields(type="nope")))
    assert "contribution.propose" in str(error.value) and "commons.create" in str(error.value)


ACCEPT = {"contribution": SOME_ID, "revision": 0}


@pytest.mark.parametrize(
    ("type_", "body", "reason"),
    [
        # missing field
        ("contribution.accept", {"contribution": SOME_ID}, "revision is missing"),
        ("contribution.propose", {"title": "t"}, "changes is missing"),
        # wrong type
        ("contribution.accept", {**ACCEPT, "revision": "0"}, "revision must be a whole number"),
        ("contribution.accept", {**ACCEPT, "contribution": "ab" * 32}, r"must be an id \(32"),
        ("contribution.accept", {**ACCEPT, "contribution": b"short"}, r"must be an id \(32"),
        (
            "contribution.propose",
            {"title": 5, "changes": [change("a", blob(1))]},
            "title must be text",
        ),
        ("contribution.accept", {**ACCEPT, "revision": True}, "revision must be a whole"),
        # unknown field
        ("contribution.accept", {**ACCEPT, "admin": True}, "there is no field admin here"),
        (
            "contribution.propose",
            {"title": "t", "changes": [{**change("a", blob(1)), "mode": "0755"}]},
            "there is no field mode here",
        ),
        # values the schema refuses
        ("contribution.reject", {"contribution": SOME_ID, "reason": ""}, "reason cannot be empty"),
        ("contribution.propose", {"title": "t", "changes": []}, "changes cannot be empty"),
        (
            "contribution.propose",
            {"title": "t", "changes": [change("../etc/passwd", blob(1))]},
            "must be relative",
        ),
        (
            "contribution.propose",
            {"title": "t", "changes": [change("a", blob(1)), change("a", blob(2))]},
            "each path may appear only once",
        ),
        (
            "charter.change",
            {"change": {"op": "add_maintainer", "did": "bob"}},
            "'bob' is not a did:key identity",
        ),
        (
            "contribution.review",
            {"contribution": SOME_ID, "verdict": "lgtm"},
            "verdict cannot be 'lgtm'",
        ),
    ],
)
def test_body_failing_its_schema_is_refused(type_, body, reason):
    raw = raw_event(ALICE, propose_fields(type=type_, body=body))
    with pytest.raises(InvalidEvent) as error:
        domain.parse(raw)
    assert error.value.code in SCHEMA_CODES  # said in plain words, with a code to translate
    assert error.match(reason)
    assert not re.search(r"Expected `|- at `|\$\.", str(error.value)), error.value


@pytest.mark.parametrize(
    ("charter_fields", "reason"),
    [
        ({"maintainers": []}, "maintainers cannot be empty"),
        ({"maintainers": [ALICE.did, ALICE.did]}, "maintainers must be distinct"),
        ({"threshold": 2}, "threshold 2 is above the 1 maintainer"),
        ({"threshold": 0}, "threshold is at least 1"),
        ({"mode": "wiki"}, "mode cannot be 'wiki'"),
        ({"name": ""}, "name cannot be empty"),
    ],
)
def test_invalid_charter_is_refused(charter_fields, reason):
    body = {"charter": {**charter("Demo", [ALICE]), **charter_fields}}
    with pytest.raises(InvalidEvent) as error:
        domain.parse(raw_event(ALICE, genesis_fields(body=body)))
    assert error.value.code in SCHEMA_CODES and error.match(reason)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"v": 2}, "unsupported event format version 2"),
        ({"v": 0}, "unsupported event format version 0"),
        ({"v": True}, "unsupported event format version True"),
        ({"v": "1"}, "unsupported event format version '1'"),
        ({"clock": -1}, "clock and time must be"),
        ({"clock": True}, "clock and time must be"),
        ({"time": 2**63}, "clock and time must be 64-bit integers"),
        ({"time": -(2**63) - 1}, "clock and time must be 64-bit integers"),
        ({"clock": 2**63}, "clock and time must be 64-bit integers"),
        ({"parents": [SOME_ID, bytes(32)]}, "parents must be sorted and distinct"),
        ({"parents": [SOME_ID, SOME_ID]}, "parents must be sorted and distinct"),
        ({"parents": [SOME_ID[:31]]}, "each parent must be a 32-byte event id"),
        ({"parents": SOME_ID}, "parents must be a list"),
        ({"parents": [i.to_bytes(2, "big") * 16 for i in range(257)]}, "at most 256"),
        ({"parents": []}, "not a genesis needs parents and a clock above 0"),
        ({"clock": 0}, "needs parents and a clock above 0"),
        ({"commons": b"short"}, "commons must be a 32-byte commons id"),
    ],
)
def test_envelope_refusals(fields, reason):
    refused(raw_event(ALICE, propose_fields(**fields)), reason)


@pytest.mark.parametrize(
    "fields",
    [
        {"v": 1.0},
        {"clock": 1.0},
        {"time": 1.5},
        {"body": {**ACCEPT, "revision": 0.0}, "type": "contribution.accept"},
        {"body": {"title": "t", "changes": [{**change("a", blob(1)), "size": 1.5}]}},
        {
            "body": {"change": {"op": "set", "field": "threshold", "value": 2.0}},
            "type": "charter.change",
        },
        {"body": {"title": "t", "changes": [change("a", blob(1))], "x": [[{"y": 0.5}]]}},
    ],
)
def test_floats_are_refused_anywhere(fields):
    refused(raw_event(ALICE, propose_fields(**fields)), "floating-point numbers are not allowed")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        # A tag-258 set: cbor2 would decode it to a Python set, whose order depends on the
        # process's hash seed, so two peers would fold the same event differently.
        (frozenset([ALICE.did, BOB.did]), "CBOR tags and special values are not allowed"),
        ([cbor2.CBORTag(42, ALICE.did)], "CBOR tags and special values are not allowed"),
        ([cbor2.undefined], "CBOR tags and special values are not allowed"),
        ([cbor2.CBORSimpleValue(99)], "CBOR tags and special values are not allowed"),
        ([2**64], "does not fit in 64 bits"),  # a bignum
        ([{1: ALICE.did}], "map keys must be text"),
    ],
)
def test_only_plain_cbor_data_is_accepted(value, reason):
    body = {"charter": {**charter("Demo", [ALICE]), "maintainers": value}}
    refused(raw_event(ALICE, genesis_fields(body=body)), reason)


def test_envelope_must_have_exactly_its_fields():
    payload = canonical.encode(
        {**cbor2.loads(cbor2.loads(raw_event(ALICE, genesis_fields()))[0]), "extra": 1}
    )
    refused(resign(b"", payload), "must be a map with exactly the fields")
    fields = cbor2.loads(cbor2.loads(raw_event(ALICE, genesis_fields()))[0])
    del fields["time"]
    refused(resign(b"", canonical.encode(fields)), "must be a map with exactly the fields")


def test_genesis_with_parents_is_refused():
    refused(
        raw_event(ALICE, genesis_fields(parents=[SOME_ID])),
        r"a genesis event \(commons = null\) has no parents and clock 0",
    )
    refused(raw_event(ALICE, genesis_fields(clock=1)), "a genesis event")


def test_non_genesis_without_parents_is_refused():
    refused(
        raw_event(ALICE, propose_fields(parents=[])), "an event that is not a genesis needs parents"
    )


def sized_propose(size: int) -> bytes:
    """A valid signed proposal of exactly ``size`` bytes (found by padding the description)."""

    def make(pad: int) -> bytes:
        changes = [change(f"files/{i:04d}.txt", blob(i)) for i in range(700)]
        body = {"title": "big", "description": "x" * pad, "changes": changes}
        return raw_event(ALICE, propose_fields(body=body))

    bare = len(make(300))
    raw = make(300 + size - bare)
    assert len(raw) == size
    return raw


def test_oversize_event_is_refused():
    assert domain.parse(sized_propose(MAX_EVENT_SIZE)).type == "contribution.propose"
    refused(sized_propose(MAX_EVENT_SIZE + 1), "over the 65536-byte limit")
    refused(b"\x00" * (MAX_EVENT_SIZE + 1), "over the 65536-byte limit")


def test_signing_an_oversize_event_is_refused():
    changes = [change(f"files/{i:04d}.txt", blob(i)) for i in range(1000)]
    with pytest.raises(BadInput, match="over the 65536-byte limit"):
        sign_event(
            ALICE,
            commons=SOME_ID,
            type="contribution.propose",
            parents=[SOME_ID],
            clock=1,
            time=0,
            body={"title": "t", "changes": changes},
        )


def test_stored_events_can_be_read_again_without_verifying():
    payload = cbor2.loads(raw_event(ALICE, propose_fields()))[0]
    forged = resign(b"", payload, signer=BOB)
    assert domain.parse(forged, verify_signature=False).author == ALICE.did


cbor_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=8)
    | st.binary(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "path",
                    "blob",
                    "base",
                    "did",
                    "op",
                    "contribution",
                    "revision",
                    "title",
                    "changes",
                    "charter",
                    "name",
                    "maintainers",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["v", "commons", "type", "author", "parents", "clock", "time", "body"]),
    cbor_values,
    st.sampled_from(sorted(domain.TYPES)),
)
def test_any_payload_is_parsed_or_refused_never_a_crash(field, value, type_):
    raw = raw_event(ALICE, propose_fields(**{"type": type_, field: value}))
    try:
        domain.parse(raw)
    except InvalidEvent as error:
        assert str(error)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_parsed_or_refused_never_a_crash(data):
    with pytest.raises(InvalidEvent):
        domain.parse(data)


# -- the ingest path -------------------------------------------------------------------------


@pytest.fixture
def history(world):
    """A small commons: genesis, two concurrent proposals, a merge point and an accept."""
    alice, bob = world.writer(ALICE), world.writer(BOB)
    genesis = alice.create(charter("Demo", [ALICE]))
    bob.learn(genesis)
    first = alice.propose(genesis.id, [change("a.txt", blob(1))])
    second = bob.propose(genesis.id, [change("b.txt", blob(2))])
    alice.learn(second)
    accept = alice.accept(genesis.id, second.id)
    assert set(accept.parents) == {first.id, second.id}
    return world.of(genesis.id)


def test_ingest_in_order(peer, history):
    report = peer.ingest(*history)
    assert sorted(report.added) == sorted(e.id for e in history)
    assert not report.refused and not report.pending
    genesis = history[0]
    assert peer.get(genesis.id, "artifact/b.txt")["blob"] == blob(2)
    assert peer.store.heads(peer.cid(genesis.id)) == [history[-1].id]
    assert peer.digest(genesis.id) == domain.fold(history).digest()


def test_ingesting_twice_is_a_no_op(peer, history):
    genesis = history[0]
    peer.ingest(*history)
    digest, records = peer.digest(genesis.id), peer.records(genesis.id)
    again = peer.ingest(*history)
    assert again.added == [] and again.duplicates == len(history) and not again.refused
    assert peer.digest(genesis.id) == digest and peer.records(genesis.id) == records
    assert len(list(peer.store.events(peer.cid(genesis.id)))) == len(history)
    assert peer.store.commons_rows()[0]["events"] == len(history)
    # The same event twice in one batch counts once.
    fresh = Peer()
    report = fresh.ingest(genesis, genesis, history[1], history[1])
    assert len(report.added) == 2 and report.duplicates == 2
    fresh.close()


@pytest.mark.parametrize("order", list(itertools.permutations(range(1, 4))))
def test_events_wait_for_their_parents_in_any_order(history, order):
    genesis = history[0]
    expected = domain.fold(history).digest()
    peer = Peer()
    peer.ingest(genesis)
    arrived, waiting = {genesis.id}, []
    for index in order:
        event = history[index]
        report = peer.ingest(event)
        # Expected: the event, and everything that waited for it, once their parents are in.
        waiting.append(event)
        expected_added = []
        progress = True
        while progress:
            progress = False
            for candidate in list(waiting):
                if all(p in arrived for p in candidate.parents):
                    waiting.remove(candidate)
                    arrived.add(candidate.id)
                    expected_added.append(candidate.id)
                    progress = True
        assert sorted(report.added) == sorted(expected_added)
        assert (event.id in report.pending) == (event.id not in expected_added)
        assert set(report.pending) <= {e.id for e in waiting}
        assert peer.store.pending_count() == len(waiting)
        for still in waiting:
            assert peer.store.event(still.id) is None
    assert peer.store.pending_count() == 0
    assert peer.digest(genesis.id) == expected
    peer.close()


def test_children_before_parents_in_one_batch(peer, history):
    report = peer.ingest(*reversed(history))
    assert sorted(report.added) == sorted(e.id for e in history) and not report.pending
    assert peer.digest(history[0].id) == domain.fold(history).digest()


def test_pending_events_survive_until_their_parents_come(peer, history):
    report = peer.ingest(*history[1:])
    assert sorted(report.pending) == sorted(e.id for e in history[1:])
    assert peer.store.pending_count() == len(history) - 1
    report = peer.ingest(history[0])
    assert sorted(report.added) == sorted(e.id for e in history)
    assert peer.store.pending_count() == 0
    assert peer.digest(history[0].id) == domain.fold(history).digest()


def test_a_pending_event_sent_again_with_its_parent(peer, history):
    genesis, first, second, accept = history
    peer.ingest(genesis)
    assert peer.ingest(accept).pending == [accept.id]  # its parents are the two proposals
    report = peer.ingest(first, second, accept)  # a peer sends the whole range again
    assert sorted(report.added) == sorted([first.id, second.id, accept.id])
    assert peer.digest(genesis.id) == domain.fold(history).digest()


def test_wrong_lamport_clock_is_refused_and_not_stored(peer, world, history):
    genesis = history[0]
    peer.ingest(*history)
    writer = world.writer(BOB)
    writer.learn(history[-1])
    for clock in (2, 4, 99):  # the head has clock 2: the next must be 3
        bad = writer.emit(
            genesis.id,
            "contribution.review",
            {"contribution": history[1].id, "verdict": "comment"},
            parents=[history[-1].id],
            clock=clock,
        )
        report = peer.ingest(bad)
        assert report.refused == [
            (bad.id, f"clock is {clock} but must be 3 (one more than its highest parent)")
        ]
        assert not report.added and peer.store.event(bad.id) is None
        assert bad.id not in peer.store.known([bad.id])
    assert peer.store.heads(peer.cid(genesis.id)) == [history[-1].id]


def test_parent_from_another_commons_is_refused(peer, world, history):
    genesis = history[0]
    other = world.writer(identity(3))
    elsewhere = other.create(charter("Elsewhere", [other.me]))
    peer.ingest(*history, elsewhere)
    other.learn(history[-1])
    mixed = other.emit(
        genesis.id,
        "contribution.review",
        {"contribution": history[1].id, "verdict": "comment"},
        parents=[history[-1].id, elsewhere.id],
    )
    only_foreign = other.emit(
        genesis.id,
        "contribution.review",
        {"contribution": history[1].id, "verdict": "comment"},
        parents=[elsewhere.id],
        clock=1,
    )
    report = peer.ingest(mixed, only_foreign)
    reason = "every parent must belong to the same commons as the event"
    assert sorted(report.refused) == sorted([(mixed.id, reason), (only_foreign.id, reason)])
    assert peer.store.known([mixed.id, only_foreign.id]) == set()
    assert peer.digest(genesis.id) == domain.fold(history).digest()


def test_fork_heads_must_belong_to_the_forked_commons(peer, world, history):
    other = world.writer(identity(3))
    elsewhere = other.create(charter("Elsewhere", [other.me]))
    peer.ingest(*history, elsewhere)
    fork = other.fork(history[0].id, charter("Fork", [other.me]), heads=[elsewhere.id])
    report = peer.ingest(fork)
    assert report.refused == [(fork.id, "a fork's heads must be events of the commons it forks")]
    assert peer.store.commons_cid(fork.id) is None


def test_refused_events_are_never_stored(peer, history):
    genesis = history[0]
    payload, signature = cbor2.loads(history[1].raw)
    forged = canonical.encode([payload, bytes(64)])
    garbage = b"\xa1\x61x\x01"
    report = peer.ingest(genesis, forged, garbage, history[1])
    assert report.added == [genesis.id, history[1].id]
    reasons = dict(report.refused)
    assert reasons[event_id(forged)] == "signature does not verify for the author's key"
    assert "must be a CBOR array" in reasons[event_id(garbage)]
    assert peer.store.known([event_id(forged), event_id(garbage)]) == set()
    assert peer.store.pending_count() == 0
    assert len(list(peer.store.events(peer.cid(genesis.id)))) == 2


def test_child_of_a_refused_event_is_never_applied(peer, world, history):
    genesis = history[0]
    peer.ingest(*history)
    writer = world.writer(BOB)
    writer.learn(history[-1])
    bad = writer.emit(
        genesis.id,
        "contribution.review",
        {"contribution": history[1].id, "verdict": "comment"},
        clock=7,
    )
    child = writer.emit(
        genesis.id, "contribution.review", {"contribution": history[1].id, "verdict": "approve"}
    )
    report = peer.ingest(bad, child)
    assert [eid for eid, _ in report.refused] == [bad.id]
    assert report.pending == [child.id] and peer.store.event(child.id) is None
    assert peer.digest(genesis.id) == domain.fold(history).digest()
