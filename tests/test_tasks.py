"""The task board: claims that lapse, work checked by someone else, signals that cool down,
and a board that also shows what nobody filed (through the ingest path, against the fold)."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import communs.domain.tasks  # noqa: F401  (registers the task.* event types)
from communs import domain
from communs.core.errors import InvalidEvent
from communs.domain.refusals import sentence
from communs.domain.tasks import HOUR, WEEK, board, expired, heat, task_key
from eventkit import Peer, World, blob, change, charter, checked_scenes, reference_digest

T0 = 1_700_000_000_000  # ms
CLAIM = 72 * HOUR  # the charter's default claim_hours
README = "README.md"


class Board:
    """A commons with two maintainers (m1, m2) and two others (alice, bob), on one peer.

    ``do`` signs an event at time ``at`` (or just after the last one), ingests it, tells
    everyone, and returns the event with the reason it was ineffective (None if it took effect).
    """

    def __init__(self, world: World, peer: Peer, **fields):
        self.world, self.peer = world, peer
        world.now = T0
        self.m1, self.m2, self.alice, self.bob = (world.writer(n) for n in (1, 2, 3, 4))
        self.writers = [self.m1, self.m2, self.alice, self.bob]
        genesis = self.m1.create(charter("Tasks", [self.m1.me, self.m2.me], **fields))
        self.commons = genesis.id
        peer.ingest(genesis)
        self.share()

    def share(self) -> None:
        for writer in self.writers:
            writer.learn(*self.world.order)

    def do(self, writer, type: str, body: dict, at: int | None = None):
        if at is not None:
            self.world.now = at - 1
        event = writer.emit(self.commons, type, body)
        report = self.peer.ingest(event)
        assert report.added == [event.id], report.summary()
        self.share()
        return event, self.peer.ineffective(self.commons).get(event.id)

    def act(self, writer, action: str, task, at: int | None = None, **body):
        return self.do(writer, "task." + action, {"task": task.id, **body}, at)

    def open(self, writer=None, title: str = "Write the guide", **body):
        event, reason = self.do(writer or self.alice, "task.open", {"title": title, **body})
        assert reason is None
        return event

    def records(self) -> dict:
        return self.peer.records(self.commons)

    def task(self, event) -> dict:
        return self.peer.get(self.commons, task_key(event.id))

    def history(self, event) -> list[tuple[str, str]]:
        records = self.records()
        prefix = f"task-history/{event.id.hex()}/"
        return [
            (records[k]["action"], records[k]["by"])
            for k in sorted(records)
            if k.startswith(prefix)
        ]


@pytest.fixture
def tasks(world, peer):
    yield from checked_scenes(world, peer, Board)


def test_open_claim_done_validate_by_someone_else(tasks):
    b = tasks()
    proposal, _ = b.do(
        b.bob, "contribution.propose", {"title": "guide", "changes": [change("guide.md", blob(1))]}
    )
    task = b.open(description="A guide for newcomers", links=[proposal.id])
    record = b.task(task)
    assert record["state"] == "open" and record["author"] == b.alice.did
    assert record["links"] == [proposal.id] and record["signals"] == []
    assert record["claim"] is None and record["description"] == "A guide for newcomers"

    claim, reason = b.act(b.bob, "claim", task, at=T0 + HOUR)
    assert reason is None
    assert b.task(task)["claim"] == {"by": b.bob.did, "until": T0 + HOUR + CLAIM}
    assert b.task(task)["state"] == "claimed"
    _, reason = b.act(b.bob, "done", task, comment="written", links=[proposal.id])
    assert reason is None
    record = b.task(task)
    assert record["state"] == "done" and record["doer"] == b.bob.did
    assert record["claim"] is None and record["done_links"] == [proposal.id]
    _, reason = b.act(b.m1, "validate", task, comment="thanks")
    assert reason is None
    record = b.task(task)
    assert record["state"] == "validated"
    assert record["checked"] == {"by": b.m1.did, "verdict": "validated", "comment": "thanks"}
    assert b.history(task) == [
        ("open", b.alice.did),
        ("claim", b.bob.did),
        ("done", b.bob.did),
        ("validate", b.m1.did),
    ]
    _, reason = b.act(b.m2, "validate", task)
    assert reason == "cannot validate a task that is validated"
    assert task_key(task.id) not in [item["target"] for item in board(b.records(), T0)]


def test_unknown_tasks_and_links_are_ineffective(tasks):
    b = tasks()
    _, reason = b.do(b.bob, "task.claim", {"task": bytes(32)})
    assert reason == f"no task {bytes(6).hex()} is known in this commons at this point"
    _, reason = b.do(b.bob, "task.open", {"title": "x", "links": [blob(9)]})
    assert reason == f"no contribution {blob(9).hex()[:12]} is known in this commons at this point"
    with pytest.raises(InvalidEvent, match="linked only once"):
        b.m1.emit(b.commons, "task.open", {"title": "x", "links": [blob(9), blob(9)]})


def test_nobody_validates_their_own_work(tasks):
    b = tasks(validators="anyone")
    task = b.open()
    b.act(b.bob, "done", task)  # done without claiming: the task was open
    for action in ("validate", "invalidate"):
        _, reason = b.act(b.bob, action, task, comment="fine by me")
        assert reason == f"you cannot {action} your own work"
    assert b.task(task)["state"] == "done"
    # A maintainer's own work neither.
    mine = b.open(b.m1)
    b.act(b.m1, "done", mine)
    _, reason = b.act(b.m1, "validate", mine)
    assert reason == "you cannot validate your own work"
    _, reason = b.act(b.m2, "validate", mine)
    assert reason is None


def test_invalidate_needs_a_comment_then_the_task_is_claimed_again_or_reopened(tasks):
    b = tasks()
    task = b.open()
    b.act(b.bob, "claim", task)
    b.act(b.bob, "done", task)
    for body in ({"task": task.id}, {"task": task.id, "comment": ""}):
        with pytest.raises(InvalidEvent, match="comment"):
            b.m1.emit(b.commons, "task.invalidate", body)
    _, reason = b.act(b.m1, "invalidate", task, comment="the examples do not run")
    assert reason is None
    record = b.task(task)
    assert record["state"] == "invalidated"
    assert record["checked"]["comment"] == "the examples do not run"
    _, reason = b.act(b.alice, "claim", task)  # anyone may take it up again
    assert reason is None and b.task(task)["claim"]["by"] == b.alice.did
    b.act(b.alice, "done", task)
    _, reason = b.act(b.bob, "reopen", task)
    assert reason == "only a maintainer or the task's author can reopen it"
    _, reason = b.act(b.alice, "reopen", task, comment="one more pass")  # the task's author
    assert reason is None
    record = b.task(task)
    assert record["state"] == "open" and record["doer"] is None and record["checked"] is None
    _, reason = b.act(b.m1, "reopen", task)
    assert reason == "cannot reopen a task that is open"


def test_a_claim_holds_until_it_expires_then_anyone_takes_over(tasks):
    b = tasks()
    task = b.open()
    b.act(b.bob, "claim", task, at=T0 + HOUR)
    until = T0 + HOUR + CLAIM
    _, reason = b.act(b.bob, "claim", task)
    assert reason == "you already hold the claim on this task; extend it instead"
    _, reason = b.act(b.alice, "claim", task, at=until - 1)
    assert reason == (
        "this task is claimed by someone else until 2023-11-17 23:13 UTC; "
        "it can be claimed when that claim is released or expires"
    )
    _, reason = b.act(b.alice, "done", task, at=until - 1)
    assert reason.endswith("only they can mark it done")
    assert not expired(b.task(task), until - 1) and expired(b.task(task), until)
    _, reason = b.act(b.alice, "claim", task, at=until)
    assert reason is None
    assert b.task(task)["claim"] == {"by": b.alice.did, "until": until + CLAIM}
    assert b.history(task)[-1] == ("take over", b.alice.did)


def test_a_lapsed_claim_can_be_done_by_anyone(tasks):
    b = tasks(claim_hours=1)
    task = b.open()
    b.act(b.bob, "claim", task, at=T0)
    _, reason = b.act(b.alice, "done", task, at=T0 + HOUR)
    assert reason is None and b.task(task)["doer"] == b.alice.did


def test_extend_and_release_by_the_claimant_only(tasks):
    b = tasks(claim_hours=10)
    task = b.open()
    _, reason = b.act(b.bob, "extend", task)
    assert reason == "cannot extend the claim on a task that is open"
    b.act(b.bob, "claim", task, at=T0 + HOUR)
    for action in ("extend", "release"):
        _, reason = b.act(b.alice, action, task)
        assert reason.startswith(f"only the person who claimed a task can {action}")
    _, reason = b.act(b.bob, "extend", task, at=T0 + 5 * HOUR)
    assert reason is None
    assert b.task(task)["claim"] == {"by": b.bob.did, "until": T0 + 15 * HOUR}
    _, reason = b.act(b.bob, "release", task)
    assert reason is None
    record = b.task(task)
    assert record["state"] == "open" and record["claim"] is None
    assert [a for a, _ in b.history(task)] == ["open", "claim", "extend", "release"]


@pytest.mark.parametrize("validators", ["maintainers", "anyone"])
def test_only_validators_validate(tasks, validators):
    b = tasks(validators=validators)
    task = b.open(b.m1)
    b.act(b.bob, "done", task)
    _, reason = b.act(b.alice, "validate", task)
    if validators == "maintainers":
        assert reason == (
            "only maintainers can validate tasks; the author is not a maintainer of this commons"
        )
        _, reason = b.act(b.alice, "invalidate", task, comment="no")
        assert reason.startswith("only maintainers can invalidate tasks")
        _, reason = b.act(b.m2, "validate", task)
    assert reason is None
    assert b.task(task)["state"] == "validated"


def test_one_signal_of_a_kind_per_person_and_heat_halves_each_half_life(tasks):
    b = tasks(half_life_hours=24)
    task = b.open()
    signal = {"target": {"on": "task", "id": task.id}, "kind": "urgent"}
    _, reason = b.do(b.bob, "task.signal", signal, at=T0)
    assert reason is None
    _, reason = b.do(b.bob, "task.signal", signal)
    assert reason == "you already signalled this as urgent: one signal of a kind each"
    for writer, kind in ((b.alice, "urgent"), (b.bob, "needed")):
        _, reason = b.do(writer, "task.signal", {**signal, "kind": kind}, at=T0)
        assert reason is None
    signals = b.task(task)["signals"]
    assert [(s["by"], s["kind"], s["time"]) for s in signals] == [
        (b.bob.did, "urgent", T0),
        (b.alice.did, "urgent", T0),
        (b.bob.did, "needed", T0),
    ]
    assert heat(signals, T0, 24) == 7
    assert heat(signals, T0 + 24 * HOUR, 24) == 3.5
    assert heat(signals, T0 + 48 * HOUR, 24) == 1.75
    assert heat(signals, T0 - HOUR, 24) == 7  # dated in the future: full weight
    with pytest.raises(InvalidEvent):
        b.bob.emit(b.commons, "task.signal", {**signal, "kind": "hot"})

    b.open(title="Cold")
    warm = b.open(title="Warm")
    b.do(
        b.alice,
        "task.signal",
        {"target": {"on": "task", "id": warm.id}, "kind": "good_first_task"},
        at=T0,
    )
    items = board(b.records(), T0 + 24 * HOUR)
    assert [(i["title"], i["heat"], i["signals"]) for i in items] == [
        ("Write the guide", 3.5, 3),
        ("Warm", 0.5, 1),
        ("Cold", 0, 0),
    ]
    b.act(b.bob, "done", task)
    b.act(b.m1, "validate", task)
    _, reason = b.do(b.m2, "task.signal", {**signal, "kind": "needed"})
    assert reason == "this task is validated: reopen it before signalling it"
    assert [i["title"] for i in board(b.records(), T0)] == ["Warm", "Cold"]


def test_signals_on_contributions_and_paths(tasks):
    b = tasks()
    proposal, _ = b.do(
        b.bob, "contribution.propose", {"title": "fix", "changes": [change(README, blob(1))]}, at=T0
    )
    on_proposal = {"on": "contribution", "id": proposal.id}
    _, reason = b.do(b.alice, "task.signal", {"target": on_proposal, "kind": "urgent"}, at=T0)
    assert reason is None
    key = "signal/contribution/" + proposal.id.hex()
    assert b.records()[key]["signals"] == [{"by": b.alice.did, "kind": "urgent", "time": T0}]
    # A path nobody wrote yet may be needed: it shows on the board.
    _, reason = b.do(
        b.alice,
        "task.signal",
        {"target": {"on": "artifact", "path": "docs/faq.md"}, "kind": "needed"},
        at=T0,
    )
    assert reason is None
    items = board(b.records(), T0)
    assert [(i["kind"], i["target"], i["heat"]) for i in items] == [
        ("review", "contribution/" + proposal.id.hex(), 4),
        ("signal", "artifact/docs/faq.md", 1),
    ]
    b.do(b.m1, "contribution.accept", {"contribution": proposal.id, "revision": 0})
    _, reason = b.do(b.bob, "task.signal", {"target": on_proposal, "kind": "needed"})
    assert reason == "cannot send a signal on a contribution that is accepted"
    with pytest.raises(InvalidEvent):
        b.bob.emit(
            b.commons,
            "task.signal",
            {"target": {"on": "artifact", "path": "../etc"}, "kind": "needed"},
        )


def test_flags_need_an_artifact_and_are_lifted_by_the_flagger_or_a_maintainer(tasks):
    b = tasks()
    _, reason = b.do(b.alice, "task.flag", {"path": README, "note": "typos"})
    assert reason == "there is no file README.md in this commons at this point"
    proposal, _ = b.do(
        b.bob, "contribution.propose", {"title": "readme", "changes": [change(README, blob(1))]}
    )
    b.do(b.m1, "contribution.accept", {"contribution": proposal.id, "revision": 0})
    flag, reason = b.do(b.alice, "task.flag", {"path": README, "note": "typos"}, at=T0)
    assert reason is None
    assert b.records()["flag/README.md"] == {
        "by": b.alice.did,
        "note": "typos",
        "time": T0,
        "order": b.records()["flag/README.md"]["order"],
    }
    _, reason = b.do(b.bob, "task.flag", {"path": README, "note": "more typos"})
    assert reason == "README.md is already flagged as needing work; signal it instead"
    _, reason = b.do(b.bob, "task.unflag", {"path": README})
    assert reason == "only a maintainer or the person who flagged it can unflag it"
    _, reason = b.do(b.alice, "task.unflag", {"path": README})
    assert reason is None and "flag/README.md" not in b.records()
    _, reason = b.do(b.m2, "task.unflag", {"path": README})
    assert reason == "README.md is not flagged"
    b.do(b.bob, "task.flag", {"path": README, "note": "again"})
    _, reason = b.do(b.m2, "task.unflag", {"path": README})
    assert reason is None


def test_the_board_shows_what_nobody_filed(tasks):
    b = tasks()
    landed, _ = b.do(
        b.bob, "contribution.propose", {"title": "readme", "changes": [change(README, blob(1))]}
    )
    b.do(b.m1, "contribution.accept", {"contribution": landed.id, "revision": 0})
    waiting, _ = b.do(
        b.alice,
        "contribution.propose",
        {"title": "better readme", "changes": [change(README, blob(2), blob(1))]},
        at=T0,
    )
    # The commons turns publish-first; a change on a stale base is then a conflict.
    b.do(b.m1, "charter.change", {"change": {"op": "set", "field": "mode", "value": "publish"}})
    stale, _ = b.do(
        b.bob,
        "contribution.propose",
        {"title": "old readme", "changes": [change(README, blob(3), blob(7))]},
    )
    assert b.records()["contribution/" + stale.id.hex()]["state"] == "conflict"
    conflict = sentence(b.records()["contribution/" + stale.id.hex()]["conflict"])
    assert conflict.startswith("conflict: the canonical version of README.md changed")
    b.do(b.m2, "task.flag", {"path": README, "note": "typos"})
    b.do(
        b.alice,
        "task.signal",
        {"target": {"on": "artifact", "path": README}, "kind": "urgent"},
        at=T0 + WEEK,
    )
    task = b.open(title="Translate")
    b.act(b.bob, "done", task)
    b.act(b.m1, "invalidate", task, comment="half of it is missing")
    held = b.open(title="Held")
    b.act(b.bob, "claim", held, at=T0 + WEEK - HOUR)
    lapsed = b.open(title="Lapsed")
    b.act(b.alice, "claim", lapsed, at=T0 - CLAIM)

    items = board(b.records(), T0 + WEEK)
    assert [(i["kind"], i["title"], i["state"], i["heat"], i["note"]) for i in items] == [
        ("needs_work", README, "flagged", 4, "typos"),
        ("review", "better readme", "open", 2, "waiting for review"),
        ("conflict", "old readme", "conflict", 2, conflict),
        ("invalidated", "Translate", "invalidated", 2, "half of it is missing"),
        ("task", "Held", "claimed", 0, None),
        ("task", "Lapsed", "open", 0, "claim expired"),
    ]
    claimed = {i["title"]: (i["claimed_by"], i["until"]) for i in items}
    assert claimed["Held"] == (b.bob.did, T0 + WEEK - HOUR + CLAIM)
    assert claimed["Lapsed"] == (None, None)
    # A review warms by one a week, up to four.
    review = [i for i in board(b.records(), T0 + 10 * WEEK) if i["kind"] == "review"]
    assert review[0]["heat"] == 5


# -- convergence -----------------------------------------------------------------------------

ACTIONS = (
    "sync",
    "sync",
    "sync",
    "open",
    "claim",
    "claim",
    "extend",
    "release",
    "done",
    "done",
    "validate",
    "validate",
    "invalidate",
    "invalidate",
    "reopen",
    "signal",
    "flag",
    "unflag",
)


def fits(action: str, task: dict, did: str, charter: dict) -> bool:
    """Whether an action would (mostly) take effect on a task: what the generator prefers."""
    mine = task["state"] == "claimed" and task["claim"]["by"] == did
    validator = charter["validators"] == "anyone" or did in charter["maintainers"]
    checkable = task["state"] == "done" and task["doer"] != did and validator
    return {
        "claim": task["state"] in ("open", "invalidated", "claimed") and not mine,
        "extend": mine,
        "release": mine,
        "done": task["state"] in ("open", "invalidated") or mine,
        "validate": checkable,
        "invalidate": checkable,
        "reopen": task["state"] in ("done", "validated", "invalidated"),
    }.get(action, True)


class TaskHistory:
    """Writers who each see part of the DAG act on the tasks they know, with times that
    jump forward (claims last one hour, so some lapse) and sometimes go back."""

    def __init__(self, validators: str):
        self.world = World()
        self.world.now = T0
        self.writers = [self.world.writer(n) for n in range(1, 5)]
        first = self.writers[0]
        genesis = first.create(
            charter("Tasks", [w.me for w in self.writers[:2]], claim_hours=1, validators=validators)
        )
        self.commons = genesis.id
        proposal = first.propose(self.commons, [change(README, blob(1))])
        first.accept(self.commons, proposal.id)
        for writer in self.writers:
            writer.learn(*self.world.order)

    def tasks(self, writer, action: str) -> list[bytes]:
        records = writer.state(self.commons).records
        return [
            bytes.fromhex(key[5:])
            for key, task in sorted(records.items())
            if key.startswith("task/") and fits(action, task, writer.did, records["charter"])
        ]

    def run(self, drawn) -> None:
        for action, who, pick in drawn:
            writer = self.writers[who % 4]
            self.world.now += (pick % 5 - 1) * HOUR // 2
            if action == "sync":
                writer.learn(*self.writers[pick % 4].known)
            elif action == "open":
                self.emit(writer, "task.open", {"title": f"t{pick}"})
            elif action == "signal":
                kind = ("needed", "urgent", "good_first_task")[pick % 3]
                known = self.tasks(writer, action)
                target = (
                    {"on": "task", "id": known[pick % len(known)]}
                    if known and pick % 2
                    else {"on": "artifact", "path": README}
                )
                self.emit(writer, "task.signal", {"target": target, "kind": kind})
            elif action in ("flag", "unflag"):
                body = {"path": README, "note": "typos"} if action == "flag" else {"path": README}
                self.emit(writer, "task." + action, body)
            else:  # the first writer (from ``who`` on) who sees a task it fits, or now and
                # then anyone on any task: the rules then mostly refuse it
                candidates = (
                    (w, self.tasks(w, action if pick % 4 else "any"))
                    for w in self.writers[who % 4 :] + self.writers[: who % 4]
                )
                writer, known = next(((w, k) for w, k in candidates if k), (writer, []))
                if known:
                    body = {"task": known[pick % len(known)]}
                    if action == "invalidate":
                        body["comment"] = "not yet"
                    self.emit(writer, "task." + action, body)

    def emit(self, writer, type: str, body: dict) -> None:
        writer.emit(self.commons, type, body)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    validators=st.sampled_from(["maintainers", "anyone"]),
    drawn=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.integers(0, 3), st.integers(0, 2**16)),
        min_size=10,
        max_size=40,
    ),
    rng=st.randoms(use_true_random=False),
)
def test_task_events_converge_whatever_the_delivery_order(validators, drawn, rng):
    history = TaskHistory(validators)
    history.run(drawn)
    events = history.world.order
    expected = reference_digest(history.world, history.commons)
    reference = domain.fold(events).records
    ways = [list(events), list(reversed(events))]
    for _ in range(2):
        ways.append(rng.sample(events, len(events)))
    for way in ways:
        peer = Peer()
        try:
            cuts = sorted(rng.sample(range(1, len(way)), k=min(len(way) - 1, 4)))
            for start, end in zip([0, *cuts], [*cuts, len(way)], strict=True):
                assert not peer.ingest(*way[start:end]).refused
            assert peer.store.pending_count() == 0
            assert peer.digest(history.commons) == expected
            assert board(peer.records(history.commons), T0) == board(reference, T0)
        finally:
            peer.close()


def test_the_task_generator_exercises_the_rules():
    rng = random.Random(3)
    effective, refused = set(), set()
    for _ in range(30):
        history = TaskHistory(rng.choice(["maintainers", "anyone"]))
        history.run(
            [(rng.choice(ACTIONS), rng.randrange(4), rng.randrange(2**16)) for _ in range(40)]
        )
        folded = domain.fold(history.world.order)
        for event in history.world.order:
            if event.id in folded.ineffective:
                refused.add(folded.ineffective[event.id].code)
            else:
                effective.add(event.type)
    assert {
        "task.open",
        "task.claim",
        "task.extend",
        "task.release",
        "task.done",
        "task.validate",
        "task.invalidate",
        "task.reopen",
        "task.signal",
        "task.flag",
        "task.unflag",
    } <= effective
    assert {"claimed_by", "own_work"} <= refused
