"""Threads: posts, replies, edits, retractions, moderation, reactions and notifications,
through the ingest path (and checked against the fold)."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import communs.domain.threads  # noqa: F401  (registers the thread.* event types)
from communs import domain
from communs.core.errors import InvalidEvent
from communs.core.events import sign_event
from communs.domain.threads import index_key, mentions, thread
from communs.node.reads.inbox import why
from eventkit import Peer, World, charter, reference_digest

COMMONS = {"kind": "commons", "ref": ""}
README = {"kind": "artifact", "ref": "README.md"}


class Scene:
    """A commons with one maintainer (m1) and three people (ann, bob, eve), on one peer.

    ``do`` signs a thread event on top of what the actor knows, ingests it and returns the
    event with the reason it was ineffective (None if it took effect).
    """

    def __init__(self, world: World, peer: Peer):
        self.world, self.peer = world, peer
        self.m1, self.ann, self.bob, self.eve = (world.writer(n) for n in (1, 2, 3, 4))
        genesis = self.m1.create(charter("Demo", [self.m1.me]))
        self.commons = genesis.id
        peer.ingest(genesis)
        self.share()

    def share(self) -> None:
        for writer in (self.m1, self.ann, self.bob, self.eve):
            writer.learn(*self.world.order)

    def do(self, writer, type: str, **body):
        event = writer.emit(self.commons, "thread." + type, body)
        report = self.peer.ingest(event)
        assert report.added == [event.id], report.summary()
        self.share()
        return event, self.peer.ineffective(self.commons).get(event.id)

    def post(self, writer, text: str = "Hello", subject=COMMONS, reply_to: bytes | None = None):
        event, reason = self.do(writer, "post", subject=subject, text=text, reply_to=reply_to)
        assert reason is None, reason
        return event

    def records(self) -> dict:
        return self.peer.records(self.commons)

    def message(self, event) -> dict:
        records = self.records()
        return records[records[index_key(event.id)]]

    def refusal(self, writer, type: str, body: dict) -> str:
        """Sign an event without the test kit's checks, ingest it, and return why it was
        refused."""
        parents = writer.heads(self.commons)
        raw = sign_event(
            writer.me,
            commons=self.commons,
            type=type,
            parents=parents,
            clock=1 + max(self.world.events[p].clock for p in parents),
            time=self.world.now,
            body=body,
        )
        report = self.peer.ingest(raw)
        assert not report.added and len(report.refused) == 1, report.summary()
        return report.refused[0][1]


@pytest.fixture
def scene(world, peer):
    made = Scene(world, peer)
    yield made
    # Whatever the test did, the stored state is the reference fold of the same events.
    assert peer.digest(made.commons) == reference_digest(world, made.commons)


# -- posts and replies -----------------------------------------------------------------------


def test_a_post_makes_a_message_record_and_its_index(scene):
    s = scene
    post = s.post(s.ann, "Hello **all**", subject=README)
    records = s.records()
    key = records[index_key(post.id)]
    assert key.startswith("message/artifact/README.md//") and key.endswith(post.id.hex())
    assert records[key] == {
        "id": post.id,
        "subject": README,
        "author": s.ann.did,
        "text": "Hello **all**",
        "reply_to": None,
        "mentions": [],
        "time": post.time,
        "order": key.split("//")[1],
        "edits": [],
        "retracted": False,
        "hidden": None,
        "reactions": {},
    }


def test_replies_nest_in_the_thread_of_their_subject(scene):
    s = scene
    first = s.post(s.ann, "first")
    s.post(s.bob, "second")
    answer = s.post(s.bob, "answer", reply_to=first.id)
    s.post(s.ann, "deeper", reply_to=answer.id)
    s.post(s.eve, "late answer", reply_to=first.id)
    s.post(s.eve, "elsewhere", subject=README)
    shown = [(m["text"], m["depth"]) for m in thread(s.records(), COMMONS)]
    assert shown == [("first", 0), ("answer", 1), ("deeper", 2), ("late answer", 1), ("second", 0)]
    assert s.message(answer)["reply_to"] == first.id
    assert [m["text"] for m in thread(s.records(), README)] == ["elsewhere"]


def test_a_path_subject_does_not_swallow_its_subpaths(scene):
    s = scene
    s.post(s.ann, "on docs", subject={"kind": "artifact", "ref": "docs"})
    s.post(s.ann, "on a file", subject={"kind": "artifact", "ref": "docs/a.md"})
    assert [m["text"] for m in thread(s.records(), {"kind": "artifact", "ref": "docs"})] == [
        "on docs"
    ]


def test_replies_to_an_unknown_message_or_across_subjects_are_ineffective(scene):
    s = scene
    _, reason = s.do(s.ann, "post", subject=COMMONS, text="?", reply_to=bytes(32))
    assert reason == "no message 000000000000 is known in this commons at this point"
    on_readme = s.post(s.ann, "about the readme", subject=README)
    _, reason = s.do(s.bob, "post", subject=COMMONS, text="hm", reply_to=on_readme.id)
    assert reason == (
        f"a reply belongs to the subject of the message it answers: message "
        f"{on_readme.id.hex()[:12]} is on artifact README.md, not on the commons"
    )
    assert [m["text"] for m in thread(s.records(), COMMONS)] == []


# -- edits and retractions -------------------------------------------------------------------


def test_only_the_author_edits_and_the_history_is_kept(scene):
    s = scene
    post = s.post(s.ann, "Helo")
    _, reason = s.do(s.bob, "edit", message=post.id, text="vandalised")
    assert reason == "only the author of a message can edit it"
    first, reason = s.do(s.ann, "edit", message=post.id, text="Hello")
    assert reason is None
    second, _ = s.do(s.ann, "edit", message=post.id, text=f"Hello @{s.bob.did}")
    _, reason = s.do(s.ann, "edit", message=post.id, text=f"Hello @{s.bob.did}")
    assert reason == "the new text is the same as the current one"
    record = s.message(post)
    assert record["text"] == f"Hello @{s.bob.did}" and record["mentions"] == [s.bob.did]
    assert [(e["event"], e["time"], e["previous"]) for e in record["edits"]] == [
        (first.id, first.time, "Helo"),
        (second.id, second.time, "Hello"),
    ]
    assert record["edits"][0]["order"] < record["edits"][1]["order"]
    _, reason = s.do(s.ann, "edit", message=bytes(32), text="x")
    assert reason.startswith("no message 000000000000 is known")


def test_only_the_author_retracts_the_record_forgets_the_text_the_log_keeps_it(scene):
    s = scene
    post = s.post(s.ann, f"oops @{s.bob.did}")
    s.do(s.ann, "edit", message=post.id, text=f"oops again @{s.bob.did}")
    _, reason = s.do(s.m1, "retract", message=post.id)
    assert reason == "only the author of a message can retract it"
    assert s.message(post)["text"] == f"oops again @{s.bob.did}"
    _, reason = s.do(s.ann, "retract", message=post.id)
    assert reason is None
    record = s.message(post)
    assert record["retracted"] is True and record["text"] == "" and record["mentions"] == []
    assert [e["previous"] for e in record["edits"]] == [""]
    stored = domain.parse(s.peer.store.event(post.id).raw)  # the event is public and permanent
    assert stored.body.text == f"oops @{s.bob.did}"
    _, reason = s.do(s.ann, "retract", message=post.id)
    assert reason == "this message is already retracted"
    _, reason = s.do(s.ann, "edit", message=post.id, text="back")
    assert reason == "cannot edit a retracted message"
    _, reason = s.do(s.bob, "react", message=post.id, emoji="👍")
    assert reason == "cannot react to a retracted message"
    answer = s.post(s.bob, "what did you say?", reply_to=post.id)  # the thread stays whole
    assert [m["id"] for m in thread(s.records(), COMMONS)] == [post.id, answer.id]


# -- moderation ------------------------------------------------------------------------------


def test_hide_needs_a_reason_and_a_maintainer_and_shows_who_and_why(scene):
    s = scene
    post = s.post(s.eve, "buy cheap things")
    with pytest.raises(InvalidEvent, match="reason cannot be empty"):
        s.m1.emit(s.commons, "thread.hide", {"message": post.id, "reason": ""})
    assert "reason is missing" in s.refusal(s.m1, "thread.hide", {"message": post.id})
    _, reason = s.do(s.ann, "hide", message=post.id, reason="spam")
    assert (
        reason == "only maintainers can hide messages; the author is not a maintainer of "
        "this commons"
    )
    assert s.message(post)["hidden"] is None
    _, reason = s.do(s.m1, "hide", message=post.id, reason="spam")
    assert reason is None
    [shown] = thread(s.records(), COMMONS)
    assert shown["hidden"] == {"by": s.m1.did, "reason": "spam"}
    assert shown["text"] == "buy cheap things"  # hidden, not erased
    _, reason = s.do(s.m1, "hide", message=post.id, reason="again")
    assert reason == f"this message is already hidden by {s.m1.did}"
    _, reason = s.do(s.eve, "unhide", message=post.id)
    assert reason.startswith("only maintainers can unhide messages")
    _, reason = s.do(s.m1, "unhide", message=post.id)
    assert reason is None and s.message(post)["hidden"] is None
    _, reason = s.do(s.m1, "unhide", message=post.id)
    assert reason == "this message is not hidden"


# -- reactions -------------------------------------------------------------------------------


def test_one_reaction_per_person_per_emoji_and_unreact(scene):
    s = scene
    post = s.post(s.ann)
    for writer in (s.bob, s.eve, s.ann):
        _, reason = s.do(writer, "react", message=post.id, emoji="👍")
        assert reason is None
    _, reason = s.do(s.bob, "react", message=post.id, emoji="👍")
    assert reason == "this person already reacted with 👍"
    s.do(s.bob, "react", message=post.id, emoji="👨‍👩‍👧")  # joined with zero-width joiners
    assert s.message(post)["reactions"] == {
        "👍": sorted([s.ann.did, s.bob.did, s.eve.did]),
        "👨‍👩‍👧": [s.bob.did],
    }
    _, reason = s.do(s.bob, "unreact", message=post.id, emoji="👨‍👩‍👧")
    assert reason is None
    _, reason = s.do(s.bob, "unreact", message=post.id, emoji="👨‍👩‍👧")
    assert reason == "this person has no 👨‍👩‍👧 reaction on this message"
    s.do(s.eve, "unreact", message=post.id, emoji="👍")
    assert s.message(post)["reactions"] == {"👍": sorted([s.ann.did, s.bob.did])}


@pytest.mark.parametrize("emoji", ["", "👍 ", "a\tb", "x" * 17, "\x07"])
def test_an_emoji_is_1_to_16_characters_without_whitespace(scene, emoji):
    s = scene
    post = s.post(s.ann)
    reason = s.refusal(s.bob, "thread.react", {"message": post.id, "emoji": emoji})
    assert "emoji" in reason and "$." not in reason


# -- mentions and notifications --------------------------------------------------------------


def test_mentions_are_strict_sorted_and_unique(scene):
    s = scene
    bob, eve = s.bob.did, s.eve.did
    text = (
        f"@{eve}, @{bob} and @{bob} again; not mail@{bob}, not @{bob}xyz, "
        f"not @did:key:z6MkNotAKey, not {eve}"
    )
    assert mentions(text) == sorted([bob, eve])


def test_mentions_notify_the_mentioned(scene):
    s = scene
    post = s.post(s.ann, f"@{s.bob.did} and @{s.ann.did}: have a look")
    assert why(post, s.records(), s.bob.did) == "mention"
    assert why(post, s.records(), s.eve.did) is None  # (one's own events are left out first)


def test_replies_notify_the_author_of_the_message(scene):
    s = scene
    question = s.post(s.ann, "anyone?", subject=README)
    answer = s.post(s.bob, f"yes, @{s.ann.did}", subject=README, reply_to=question.id)
    later = s.post(s.eve, "me too", subject=README, reply_to=question.id)
    assert why(answer, s.records(), s.ann.did) == "mention"  # a mention says more
    assert why(later, s.records(), s.ann.did) == "reply"
    assert why(later, s.records(), s.bob.did) is None


# -- subjects --------------------------------------------------------------------------------


def test_every_subject_kind_takes_messages(scene):
    s = scene
    subjects = [
        COMMONS,
        README,
        {"kind": "contribution", "ref": "ab" * 32},
        {"kind": "task", "ref": "0f" * 32},
        {"kind": "person", "ref": s.bob.did},
    ]
    for subject in subjects:
        s.post(s.ann, f"on {subject['kind']}", subject=subject)
    for subject in subjects:
        [shown] = thread(s.records(), subject)
        assert shown["text"] == f"on {subject['kind']}" and shown["subject"] == subject
    assert any(k.startswith(f"message/person/{s.bob.did}//") for k in s.records())


@pytest.mark.parametrize(
    "subject, why",
    [
        ({"kind": "commons", "ref": "x"}, "a thread on the commons itself has an empty ref"),
        ({"kind": "artifact", "ref": ""}, "path must be 1 to 1024 characters"),
        ({"kind": "artifact", "ref": "../etc/passwd"}, "must be relative"),
        ({"kind": "artifact", "ref": "a//b"}, "must be relative"),
        ({"kind": "artifact", "ref": "a\\b"}, "backslash"),
        ({"kind": "contribution", "ref": "AB" * 32}, "64 lowercase hex characters"),
        ({"kind": "contribution", "ref": "ab" * 31}, "64 lowercase hex characters"),
        ({"kind": "task", "ref": ""}, "64 lowercase hex characters"),
        ({"kind": "person", "ref": "did:web:example.org"}, "is not a did:key identity"),
        ({"kind": "person", "ref": "did:key:z6MkNotAKey"}, "is not a did:key identity"),
        ({"kind": "place", "ref": "x"}, "kind cannot be 'place'"),
    ],
)
def test_bad_subjects_are_refused_with_a_reason(scene, subject, why):
    s = scene
    reason = s.refusal(s.ann, "thread.post", {"subject": subject, "text": "hi"})
    assert why in reason and "$." not in reason


@pytest.mark.parametrize("text", ["", "   \n", "x" * 20_001])
def test_a_message_has_1_to_20000_characters_and_is_not_blank(scene, text):
    s = scene
    reason = s.refusal(s.ann, "thread.post", {"subject": COMMONS, "text": text})
    assert reason.startswith("text ")


# -- convergence -----------------------------------------------------------------------------

ACTIONS = (
    "sync",
    "post",
    "post",
    "reply",
    "reply",
    "edit",
    "retract",
    "hide",
    "unhide",
    "react",
    "react",
    "unreact",
)
SUBJECTS = (COMMONS, README, {"kind": "task", "ref": "0f" * 32})


def run_history(drawn) -> tuple[World, bytes]:
    """Four writers (the first a maintainer) acting on their own, partial views."""
    world = World()
    writers = [world.writer(n) for n in range(1, 5)]
    genesis = writers[0].create(charter("Talk", [writers[0].me]))
    for writer in writers:
        writer.learn(genesis)
    for action, who, pick in drawn:
        writer = writers[who]
        if action == "sync":
            writer.learn(*writers[pick % 4].known)
            continue
        records = writer.state(genesis.id).records
        known = sorted(k for k in records if k.startswith("message/"))
        target = records[known[pick % len(known)]] if known else None
        if action == "post" or target is None:
            action = "post"
            body = {"subject": SUBJECTS[pick % 3], "text": f"m{pick} @{writers[pick % 4].did}"}
        elif action == "reply":
            action = "post"
            body = {"subject": target["subject"], "text": f"r{pick}", "reply_to": target["id"]}
        elif action == "edit":
            body = {"message": target["id"], "text": f"e{pick}"}
        elif action in ("hide", "unhide", "retract"):
            body = {"message": target["id"], **({"reason": "no"} if action == "hide" else {})}
        else:
            body = {"message": target["id"], "emoji": "👍❤🎉"[pick % 3]}
        writer.emit(genesis.id, "thread." + action, body)
    return world, genesis.id


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    drawn=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.integers(0, 3), st.integers(0, 2**16)),
        min_size=5,
        max_size=30,
    ),
    rng=st.randoms(use_true_random=False),
)
def test_peers_converge_whatever_the_delivery_order(drawn, rng: random.Random):
    world, commons = run_history(drawn)
    expected = reference_digest(world, commons)
    for _ in range(3):
        events = list(world.order)
        rng.shuffle(events)
        peer = Peer()
        try:
            for start in range(0, len(events), 4):
                report = peer.ingest(*events[start : start + 4])
                assert not report.refused, report.refused
            assert peer.store.pending_count() == 0
            assert peer.digest(commons) == expected
        finally:
            peer.close()
