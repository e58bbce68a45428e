"""Erasable content in the fold: detached texts and names, erased by their author or, with a
reason, by a maintainer; the state never depends on whether a node holds the content."""

from hashlib import sha256

import pytest

from communs.core.errors import InvalidEvent
from communs.domain.content import content_key, erased, pack, unpack
from eventkit import Peer, World, charter, reference_digest

COMMONS = {"kind": "commons", "ref": ""}


def detached(text: str, n: int = 1) -> bytes:
    return sha256(pack(text, bytes([n]) * 16)).digest()


@pytest.fixture
def scene():
    world, peer = World(), Peer()
    m1, ann, bob = (world.writer(n) for n in (1, 2, 3))
    genesis = m1.create(charter("Demo", [m1.me]))
    peer.ingest(genesis)

    def do(writer, type: str, body: dict):
        for w in (m1, ann, bob):
            w.learn(*world.order)
        event = writer.emit(genesis.id, type, body)
        assert peer.ingest(event).added == [event.id]
        return event, peer.ineffective(genesis.id).get(event.id)

    yield world, peer, genesis.id, (m1, ann, bob), do
    peer.close()


def test_a_detached_message_and_name_are_erased_by_their_author(scene):
    world, peer, commons, (m1, ann, bob), do = scene
    text, name = detached("my phone is 555"), detached("Ann Onymous", 2)
    post, reason = do(
        ann,
        "thread.post",
        {"subject": COMMONS, "content": text, "content_size": 31, "mentions": [bob.did]},
    )
    assert reason is None
    assert do(ann, "profile.set", {"content": name, "content_size": 27})[1] is None
    records = peer.records(commons)
    [message] = [v for k, v in records.items() if k.startswith("message/")]
    assert (message["text"], message["content"], message["mentions"]) == ("", text, [bob.did])
    assert records[content_key(text)] == {"authors": [ann.did], "size": 31, "erased": None}
    assert records[f"profile/{ann.did}"] == {"name": "", "content": name}

    _, reason = do(bob, "content.erase", {"content": text})
    assert reason == (
        "only the person who wrote it, or a maintainer giving a reason, can erase this content"
    )
    for content in (text, name):
        erase, reason = do(ann, "content.erase", {"content": content})
        assert reason is None
        how = erased(peer.records(commons), content)
        assert (how["by"], how["moderated"], how["event"]) == (ann.did, False, erase.id)
    assert do(ann, "content.erase", {"content": text})[1] == "this content is already erased"
    assert peer.digest(commons) == reference_digest(world, commons)


def test_maintainers_remove_content_with_a_reason_for_everyone_to_read(scene):
    world, peer, commons, (m1, ann, bob), do = scene
    text = detached("something unlawful")
    do(bob, "thread.post", {"subject": COMMONS, "content": text, "content_size": 34})
    _, reason = do(m1, "content.erase", {"content": text})
    assert reason.startswith("a maintainer erasing someone else's content says why")
    assert do(m1, "content.erase", {"content": text, "reason": "court order 12"})[1] is None
    how = erased(peer.records(commons), text)
    assert (how["moderated"], how["reason"]) == (True, "court order 12")
    unknown = detached("never posted", 9)
    assert do(m1, "content.erase", {"content": unknown})[1].startswith("no event of this commons")


def test_an_edit_to_detached_text_keeps_the_previous_hash_to_erase(scene):
    world, peer, commons, (m1, ann, bob), do = scene
    first, second = detached("v1"), detached("v2", 2)
    post, _ = do(ann, "thread.post", {"subject": COMMONS, "content": first, "content_size": 18})
    edit = {"message": post.id, "content": second, "content_size": 18}
    assert do(ann, "thread.edit", edit)[1] is None
    [message] = [v for k, v in peer.records(commons).items() if k.startswith("message/")]
    assert message["content"] == second and message["edits"][0]["previous_content"] == first
    assert do(ann, "content.erase", {"content": first})[1] is None


@pytest.mark.parametrize(
    "body",
    [
        {"subject": COMMONS, "text": "both", "content": bytes(32)},
        {"subject": COMMONS},
        {"subject": COMMONS, "text": "hi", "mentions": ["did:key:zabc"]},
        {"subject": COMMONS, "content": bytes(32), "content_size": 20, "mentions": ["not a"]},
        {"subject": COMMONS, "content": bytes(32)},
        {"subject": COMMONS, "text": "hi", "content_size": 20},
    ],
)
def test_a_message_has_its_text_inline_or_detached(scene, body):
    world, peer, commons, (m1, ann, bob), do = scene
    ann.learn(*world.order)
    with pytest.raises(InvalidEvent):
        ann.emit(commons, "thread.post", body)


def test_detached_bytes_are_a_salt_then_utf8():
    assert unpack(pack("Café", bytes(16))) == "Café"
    assert unpack(b"short") is None and unpack(bytes(16) + b"\xff") is None
