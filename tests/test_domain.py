"""The rules of peer production, through the ingest path (and checked against the fold)."""

import pytest

from communs import domain
from communs.core.errors import InvalidEvent
from communs.domain.contributions import contribution_key
from communs.domain.refusals import sentence
from eventkit import Peer, World, blob, change, charter, checked_scenes, reference_digest

README = "README.md"


class Scene:
    """A commons with two maintainers (m1, m2), an author and an outsider, on one peer.

    ``do`` signs an action on top of what the actor knows, ingests it, and returns the event
    with the reason it was ineffective (None if it took effect). ``share`` tells every writer
    every event: without it, writers act concurrently.
    """

    def __init__(
        self,
        world: World,
        peer: Peer,
        *,
        maintainers: int = 2,
        threshold: int = 1,
        mode: str = "review",
    ):
        self.world, self.peer = world, peer
        self.m1, self.m2, self.author, self.outsider = (world.writer(n) for n in (1, 2, 3, 4))
        self.writers = [self.m1, self.m2, self.author, self.outsider]
        people = [self.m1.me, self.m2.me][:maintainers]
        genesis = self.m1.create(charter("Demo", people, threshold=threshold, mode=mode))
        self.commons = genesis.id
        peer.ingest(genesis)
        self.share()

    def share(self) -> None:
        for writer in self.writers:
            writer.learn(*self.world.order)

    def do(self, writer, action: str, *args, share: bool = True, **kwargs):
        event = getattr(writer, action)(self.commons, *args, **kwargs)
        report = self.peer.ingest(event)
        assert report.added == [event.id], report.summary()
        if share:
            self.share()
        return event, self.peer.ineffective(self.commons).get(event.id)

    def records(self) -> dict:
        return self.peer.records(self.commons)

    def contribution(self, event) -> dict:
        return self.peer.get(self.commons, contribution_key(event.id))

    def artifact(self, path: str = README) -> dict | None:
        return self.peer.get(self.commons, "artifact/" + path)

    def history(self, path: str = README) -> list[dict]:
        records = self.records()
        prefix = f"history/{path}//"
        return [records[key] for key in sorted(records) if key.startswith(prefix)]

    def land(self, path: str, blob_: bytes, base: bytes | None = None):
        """Propose and accept (by m1, threshold 1) a change: a canonical starting point."""
        proposal, _ = self.do(self.author, "propose", [change(path, blob_, base)])
        _, reason = self.do(self.m1, "accept", proposal.id)
        assert reason is None
        return proposal


@pytest.fixture
def scene(world, peer):
    yield from checked_scenes(world, peer, Scene)


# -- review-first ----------------------------------------------------------------------------


def test_propose_opens_a_contribution_and_changes_no_artifact(scene):
    s = scene()
    proposal, reason = s.do(s.author, "propose", [change(README, blob(1), size=12)], title="Doc")
    assert reason is None
    record = s.contribution(proposal)
    assert record["state"] == "open" and record["author"] == s.author.did
    assert record["title"] == "Doc" and record["accepted_by"] == []
    assert record["revisions"] == [
        {"event": proposal.id, "changes": [change(README, blob(1), size=12)]}
    ]
    assert s.artifact() is None and s.history() == []


def test_accept_by_a_non_maintainer_is_ineffective_and_changes_nothing(scene):
    s = scene()
    proposal, _ = s.do(s.author, "propose", [change(README, blob(1))])
    before = s.records()
    for writer in (s.outsider, s.author):  # nor can authors accept their own work
        accept, reason = s.do(writer, "accept", proposal.id)
        assert reason == (
            "only maintainers can accept contributions; "
            "the author is not a maintainer of this commons"
        )
    assert s.records() == before
    assert s.contribution(proposal)["state"] == "open"


def test_threshold_two_needs_two_distinct_maintainers_on_the_same_revision(scene):
    s = scene(threshold=2)
    proposal, _ = s.do(s.author, "propose", [change(README, blob(1))])
    _, reason = s.do(s.m1, "accept", proposal.id)
    assert reason is None
    record = s.contribution(proposal)
    assert record["state"] == "open" and record["accepted_by"] == [s.m1.did]
    assert s.artifact() is None
    _, reason = s.do(s.m1, "accept", proposal.id)
    assert reason == "this maintainer already accepted this revision"
    _, reason = s.do(s.outsider, "accept", proposal.id)
    assert reason.startswith("only maintainers can accept")
    assert s.contribution(proposal)["accepted_by"] == [s.m1.did]
    final, reason = s.do(s.m2, "accept", proposal.id)
    assert reason is None
    record = s.contribution(proposal)
    assert record["state"] == "accepted" and record["decided_by"] == s.m2.did
    assert record["accepted_by"] == sorted([s.m1.did, s.m2.did])
    assert s.artifact() == {
        "blob": blob(1),
        "size": 1,
        "media": "",
        "contribution": proposal.id,
        "event": final.id,
    }


def test_a_revision_resets_acceptances(scene):
    s = scene(threshold=2)
    proposal, _ = s.do(s.author, "propose", [change(README, blob(1))])
    s.do(s.m1, "accept", proposal.id)
    _, reason = s.do(s.author, "revise", proposal.id, [change(README, blob(2))])
    assert reason is None
    record = s.contribution(proposal)
    assert record["accepted_by"] == [] and len(record["revisions"]) == 2
    _, reason = s.do(s.m2, "accept", proposal.id, revision=0)
    assert reason == "accepts revision 0, but the current revision is 1; review the new revision"
    _, reason = s.do(s.m2, "accept", proposal.id, revision=1)
    assert reason is None and s.contribution(proposal)["state"] == "open"  # one of two
    _, reason = s.do(s.m1, "accept", proposal.id, revision=1)
    assert reason is None and s.contribution(proposal)["state"] == "accepted"
    assert s.artifact()["blob"] == blob(2)  # the revised content, not the first


def test_only_the_author_revises(scene):
    s = scene()
    proposal, _ = s.do(s.author, "propose", [change(README, blob(1))])
    _, reason = s.do(s.m1, "revise", proposal.id, [change(README, blob(2))])
    assert reason == "only the author of a contribution can revise it"
    assert len(s.contribution(proposal)["revisions"]) == 1


def test_reject_needs_a_reason_and_a_maintainer(scene):
    s = scene()
    proposal, _ = s.do(s.author, "propose", [change(README, blob(1))])
    with pytest.raises(InvalidEvent, match="reason cannot be empty"):
        s.m1.reject(s.commons, proposal.id, reason="")
    _, reason = s.do(s.outsider, "reject", proposal.id, reason="spam")
    assert reason.startswith("only maintainers can reject contributions")
    assert s.contribution(proposal)["state"] == "open"
    _, reason = s.do(s.m2, "reject", proposal.id, reason="out of scope")
    assert reason is None
    record = s.contribution(proposal)
    assert (record["state"], record["reason"], record["decided_by"]) == (
        "rejected",
        "out of scope",
        s.m2.did,
    )
    _, reason = s.do(s.m1, "accept", proposal.id)
    assert reason == "cannot accept a contribution that is rejected"
    _, reason = s.do(s.author, "revise", proposal.id, [change(README, blob(2))])
    assert reason == "cannot revise a contribution that is rejected"
    assert s.artifact() is None


def test_withdraw_only_by_the_author(scene):
    s = scene()
    proposal, _ = s.do(s.author, "propose", [change(README, blob(1))])
    for writer in (s.m1, s.outsider):
        _, reason = s.do(writer, "withdraw", proposal.id)
        assert reason == "only the author of a contribution can withdraw it"
    assert s.contribution(proposal)["state"] == "open"
    _, reason = s.do(s.author, "withdraw", proposal.id)
    assert reason is None and s.contribution(proposal)["state"] == "withdrawn"
    _, reason = s.do(s.m1, "accept", proposal.id)
    assert reason == "cannot accept a contribution that is withdrawn"


def test_actions_on_an_unknown_contribution_are_ineffective(scene):
    s = scene()
    _, reason = s.do(s.m1, "accept", bytes(32))
    assert reason.startswith("no contribution 000000000000 is known")


def test_revert_restores_the_previous_blobs(scene):
    s = scene()
    first, _ = s.do(s.author, "propose", [change(README, blob(1), size=10, media="text/markdown")])
    s.do(s.m1, "accept", first.id)
    second, _ = s.do(
        s.author,
        "propose",
        [
            change(README, blob(2), base=blob(1), size=20, media="text/plain"),
            change("new.txt", blob(3), size=3),
        ],
    )
    s.do(s.m2, "accept", second.id)
    assert s.artifact()["blob"] == blob(2) and s.artifact("new.txt")["blob"] == blob(3)

    _, reason = s.do(s.outsider, "revert", second.id)
    assert reason.startswith("only maintainers can revert contributions")
    _, reason = s.do(s.m1, "revert", second.id, reason="broke the build")
    assert reason is None
    restored = s.artifact()
    assert (restored["blob"], restored["size"], restored["media"]) == (blob(1), 10, "text/markdown")
    assert s.artifact("new.txt") is None  # it did not exist before
    record = s.contribution(second)
    assert (record["state"], record["reason"], record["decided_by"]) == (
        "reverted",
        "broke the build",
        s.m1.did,
    )
    _, reason = s.do(s.m1, "revert", second.id)
    assert reason == "cannot revert a contribution that is reverted"
    _, reason = s.do(s.m1, "revert", first.id)  # then the one before: back to nothing
    assert reason is None and s.artifact() is None


def test_revert_after_a_later_change_is_a_conflict(scene):
    s = scene()
    first = s.land(README, blob(1))
    s.land(README, blob(2), base=blob(1))
    _, reason = s.do(s.m1, "revert", first.id)
    assert reason.startswith("conflict: the canonical version of README.md changed")
    assert s.artifact()["blob"] == blob(2)
    _, reason = s.do(
        s.m1,
        "revert",
        first.id,
        merged=[{"path": README, "onto": blob(2), "blob": blob(9), "size": 1}],
    )
    assert reason is None and s.artifact()["blob"] == blob(9)


def test_accept_when_the_base_moved_without_a_merge_is_a_conflict(scene):
    s = scene()
    s.land(README, blob(1))
    late, _ = s.do(s.author, "propose", [change(README, blob(2), base=blob(1))])
    s.land(README, blob(3), base=blob(1))  # lands first
    before = s.records()
    _, reason = s.do(s.m1, "accept", late.id)
    assert reason == (
        "conflict: the canonical version of README.md changed since this was "
        "based on it; a new revision (or a merge) is needed"
    )
    assert s.records() == before
    assert s.contribution(late)["state"] == "open" and s.artifact()["blob"] == blob(3)
    # A merge made onto a blob that is not the current one does not help either.
    _, reason = s.do(
        s.m1,
        "accept",
        late.id,
        merged=[{"path": README, "onto": blob(1), "blob": blob(4), "size": 1}],
    )
    assert reason.startswith("conflict:")


def test_accept_with_a_merge_onto_the_current_blob_applies_it(scene):
    s = scene()
    s.land(README, blob(1))
    late, _ = s.do(
        s.author, "propose", [change(README, blob(2), base=blob(1)), change("other.txt", blob(5))]
    )
    s.land(README, blob(3), base=blob(1))
    merge = {"path": README, "onto": blob(3), "blob": blob(4), "size": 7, "media": "text/x"}
    accept, reason = s.do(s.m1, "accept", late.id, merged=[merge])
    assert reason is None
    assert s.artifact() == {
        "blob": blob(4),
        "size": 7,
        "media": "text/x",
        "contribution": late.id,
        "event": accept.id,
    }
    assert s.artifact("other.txt")["blob"] == blob(5)
    applied = {a["path"]: (a["before"], a["after"]) for a in s.contribution(late)["applied"]}
    assert applied == {README: (blob(3), blob(4)), "other.txt": (None, blob(5))}


def test_the_artifact_history_records_each_change(scene):
    s = scene()
    first = s.land(README, blob(1))
    second = s.land(README, blob(2), base=blob(1))
    s.do(s.m2, "revert", second.id, reason="no")
    history = s.history()
    assert [(h["action"], h["before"], h["after"]) for h in history] == [
        ("accept", None, blob(1)),
        ("accept", blob(1), blob(2)),
        ("revert", blob(2), blob(1)),
    ]
    assert [h["contribution"] for h in history] == [first.id, second.id, second.id]
    assert [h["by"] for h in history] == [s.m1.did, s.m1.did, s.m2.did]
    assert len({h["event"] for h in history}) == 3


def test_review_is_open_to_everyone_and_changes_no_state(scene):
    s = scene()
    proposal, _ = s.do(s.author, "propose", [change(README, blob(1))])
    review, reason = s.do(
        s.outsider,
        "emit",
        "contribution.review",
        {"contribution": proposal.id, "verdict": "approve", "comment": "+1"},
    )
    assert reason is None
    reviews = [v for k, v in s.records().items() if k.startswith("review/")]
    assert reviews == [
        {
            "by": s.outsider.did,
            "verdict": "approve",
            "comment": "+1",
            "revision": 0,
            "time": review.time,
        }
    ]
    assert s.contribution(proposal)["state"] == "open"


# -- publish-first ---------------------------------------------------------------------------


def test_publish_first_propose_is_canonical_at_once(scene):
    s = scene(mode="publish", maintainers=1)
    proposal, reason = s.do(s.author, "propose", [change(README, blob(1))])
    assert reason is None
    assert s.contribution(proposal)["state"] == "published"
    assert s.artifact()["blob"] == blob(1)
    assert [h["action"] for h in s.history()] == ["publish"]
    _, reason = s.do(s.m1, "accept", proposal.id)
    assert reason.startswith("in a publish-first commons contributions are canonical at once")


def test_publish_first_concurrent_conflict_then_revise_then_patrol(scene):
    s = scene(mode="publish", maintainers=1)
    s.do(s.author, "propose", [change(README, blob(1))])
    one, _ = s.do(s.author, "propose", [change(README, blob(2), base=blob(1))], share=False)
    two, _ = s.do(s.outsider, "propose", [change(README, blob(3), base=blob(1))], share=False)
    assert one.clock == two.clock  # concurrent: neither knew the other
    winner, loser = sorted([one, two], key=lambda e: e.position)
    assert s.contribution(winner)["state"] == "published"
    record = s.contribution(loser)
    assert record["state"] == "conflict" and sentence(record["conflict"]).startswith("conflict:")
    assert s.artifact()["blob"] == s.contribution(winner)["revisions"][0]["changes"][0]["blob"]
    # Every peer, whatever the arrival order, sees the same winner.
    other = Peer()
    other.ingest(*reversed(s.world.order))
    assert other.digest(s.commons) == s.peer.digest(s.commons)
    other.close()

    s.share()
    writer = s.author if loser.author == s.author.did else s.outsider
    current = s.artifact()["blob"]
    _, reason = s.do(writer, "revise", loser.id, [change(README, blob(4), base=current)])
    assert reason is None
    assert s.contribution(loser)["state"] == "published"
    assert s.artifact()["blob"] == blob(4)

    _, reason = s.do(s.outsider, "patrol", loser.id)
    assert reason.startswith("only maintainers can patrol contributions")
    _, reason = s.do(s.m1, "patrol", loser.id)
    assert reason is None and s.contribution(loser)["patrolled_by"] == s.m1.did
    _, reason = s.do(s.m1, "patrol", loser.id)
    assert reason == "this contribution was already patrolled"


def test_publish_first_revert(scene):
    s = scene(mode="publish", maintainers=1)
    s.do(s.author, "propose", [change(README, blob(1))])
    vandal, _ = s.do(s.outsider, "propose", [change(README, blob(666), base=blob(1))])
    assert s.artifact()["blob"] == blob(666)
    _, reason = s.do(s.m1, "revert", vandal.id, reason="vandalism")
    assert reason is None and s.artifact()["blob"] == blob(1)
    _, reason = s.do(s.m1, "patrol", vandal.id)
    assert reason == "cannot patrol a contribution that is reverted"


# -- maintainers -----------------------------------------------------------------------------


def add(writer) -> dict:
    return {"op": "add_maintainer", "did": writer.did}


def remove(writer) -> dict:
    return {"op": "remove_maintainer", "did": writer.did}


def test_adding_a_maintainer_with_threshold_two_needs_two_endorsements(scene):
    s = scene(threshold=2)
    proposal, _ = s.do(s.author, "propose", [change(README, blob(1))])
    _, reason = s.do(s.m1, "change_charter", add(s.outsider))
    assert reason is None
    assert s.outsider.did not in s.records()["charter"]["maintainers"]
    motions = [v for k, v in s.records().items() if k.startswith("motion/")]
    assert motions == [{"change": add(s.outsider), "endorsers": [s.m1.did]}]
    _, reason = s.do(s.outsider, "accept", proposal.id)
    assert reason.startswith("only maintainers can accept")
    _, reason = s.do(s.m1, "change_charter", add(s.outsider))
    assert reason == "this maintainer already endorsed the same change"
    _, reason = s.do(s.author, "change_charter", add(s.outsider))
    assert reason.startswith("only maintainers can change the charter")
    _, reason = s.do(s.m2, "change_charter", add(s.outsider))
    assert reason is None
    records = s.records()
    assert sorted(records["charter"]["maintainers"]) == sorted([s.m1.did, s.m2.did, s.outsider.did])
    assert not any(key.startswith("motion/") for key in records)
    _, reason = s.do(s.outsider, "accept", proposal.id)  # now it counts
    assert reason is None and s.contribution(proposal)["accepted_by"] == [s.outsider.did]


def test_removing_a_maintainer_below_the_threshold_is_refused(scene):
    s = scene(threshold=2)
    _, reason = s.do(s.m1, "change_charter", remove(s.m2))
    assert reason.startswith("the charter would become invalid")
    assert "threshold 2 is above its 1 maintainer" in reason
    records = s.records()
    assert len(records["charter"]["maintainers"]) == 2
    assert not any(key.startswith("motion/") for key in records)  # nothing left pending


def test_removed_maintainers_lose_their_powers(scene):
    s = scene(threshold=1)
    proposal, _ = s.do(s.author, "propose", [change(README, blob(1))])
    _, reason = s.do(s.m1, "change_charter", remove(s.m2))
    assert reason is None and s.records()["charter"]["maintainers"] == [s.m1.did]
    _, reason = s.do(s.m2, "accept", proposal.id)
    assert reason.startswith("only maintainers can accept")
    _, reason = s.do(s.m1, "change_charter", remove(s.m1))
    assert reason.startswith("the charter would become invalid")  # never without maintainers
    _, reason = s.do(s.m1, "change_charter", remove(s.m2))
    assert reason == "this identity is not a maintainer"


def test_charter_fields_change_and_are_validated(scene):
    s = scene(threshold=1)
    _, reason = s.do(s.m1, "change_charter", {"op": "set", "field": "threshold", "value": 2})
    assert reason is None and s.records()["charter"]["threshold"] == 2
    _, reason = s.do(s.m1, "change_charter", {"op": "set", "field": "threshold", "value": 3})
    assert reason.startswith("the charter would become invalid")
    _, reason = s.do(s.m1, "change_charter", {"op": "set", "field": "mode", "value": "wiki"})
    assert reason.startswith("the charter would become invalid")
    assert s.records()["charter"]["mode"] == "review"


# -- forks -----------------------------------------------------------------------------------


def test_a_fork_starts_from_the_parent_at_its_heads_with_its_own_charter(scene):
    s = scene(threshold=2)
    first, _ = s.do(s.author, "propose", [change(README, blob(1))])
    s.do(s.m1, "accept", first.id)
    s.do(s.m2, "accept", first.id)
    s.do(s.m1, "change_charter", add(s.author))  # a pending motion: not inherited
    old_heads = s.m1.heads(s.commons)
    second, _ = s.do(s.author, "propose", [change(README, blob(2), base=blob(1))])
    s.do(s.m1, "accept", second.id)
    s.do(s.m2, "accept", second.id)

    fork = s.outsider.fork(s.commons, charter("Fork", [s.outsider.me], mode="publish"))
    old = s.outsider.fork(s.commons, charter("Old fork", [s.outsider.me]), heads=old_heads)
    report = s.peer.ingest(fork, old)
    assert sorted(report.added) == sorted([fork.id, old.id])

    now = s.peer.records(fork.id)
    assert now["artifact/README.md"]["blob"] == blob(2)
    assert now["charter"]["name"] == "Fork" and now["charter"]["mode"] == "publish"
    assert now["charter"]["maintainers"] == [s.outsider.did]
    assert now["charter"]["forked_from"] == {"commons": s.commons, "heads": s.m1.heads(s.commons)}
    assert not any(key.startswith("motion/") for key in now)
    assert now[contribution_key(second.id)]["state"] == "accepted"  # the record came along

    then = s.peer.records(old.id)
    assert then["artifact/README.md"]["blob"] == blob(1)
    assert contribution_key(second.id) not in then
    assert [h["after"] for k, h in sorted(then.items()) if k.startswith("history/")] == [blob(1)]

    # The fork lives its own life: the parent moves on, the fork does not follow.
    s.land("later.txt", blob(8))
    assert "artifact/later.txt" not in s.peer.records(fork.id)
    s.outsider.learn(fork)
    mine = s.outsider.propose(fork.id, [change(README, blob(5), base=blob(2))])
    s.m1.learn(mine)
    theirs = s.m1.emit(fork.id, "contribution.revert", {"contribution": mine.id, "reason": "x"})
    s.peer.ingest(mine, theirs)
    assert s.peer.get(fork.id, "artifact/README.md")["blob"] == blob(5)
    assert s.peer.ineffective(fork.id)[theirs.id].startswith("only maintainers")
    assert s.peer.store.forks_of(s.commons) == [fork.id, old.id]  # in order of creation


def test_a_fork_that_arrives_first_waits_for_its_parent(world):
    s_peer = Peer()
    s = Scene(world, s_peer)
    s.land(README, blob(1))
    fork = s.outsider.fork(s.commons, charter("Fork", [s.outsider.me]))
    fresh = Peer()
    report = fresh.ingest(fork)
    assert report.pending == [fork.id] and fresh.store.commons_cid(fork.id) is None
    fresh.ingest(*world.of(s.commons))
    assert fresh.get(fork.id, "artifact/README.md")["blob"] == blob(1)
    s_peer.ingest(fork)  # the peer that had the parent all along agrees
    assert fresh.digest(fork.id) == s_peer.digest(fork.id)
    assert fresh.digest(fork.id) == reference_digest(world, fork.id)
    # The reference: the parent's state at the fork's heads, without motions, then the fork.
    base = domain.fork_base(domain.fold(world.of(s.commons)).records)
    assert fresh.digest(fork.id) == domain.fold([fork], base).digest()
    fresh.close()
    s_peer.close()
