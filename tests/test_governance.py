"""Governance through the ingest path (and against the fold): each method end to end, hidden
ballots, late and ineligible ballots, rules amended by the rules, and convergence."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import communs.domain.governance  # noqa: F401  (registers the proposal.* event types)
from communs import domain
from communs.core.errors import InvalidEvent
from communs.domain.governance import commitment, proposal_key
from communs.domain.refusals import sentence
from communs.domain.tasks import HOUR
from eventkit import Peer, World, blob, change, charter, checked_scenes, reference_digest

T0 = 1_700_000_000_000  # ms
SALT = b"s" * 16


def rule(
    method: str, eligible: str = "anyone", propose: str = "anyone", least: int = 1, **params
) -> dict:
    return {
        "propose": propose,
        "eligible": eligible,
        "min_contributions": least,
        "method": {"name": method, **params},
    }


class Gov:
    """A commons with three maintainers (m1, m2, m3; threshold 2) and two others (alice,
    bob), on one peer. ``do`` signs an event at time ``at`` (or just after the last one),
    ingests it, tells everyone, and returns it with the reason it was ineffective (or None).
    """

    def __init__(self, world: World, peer: Peer, threshold: int = 2):
        self.world, self.peer = world, peer
        world.now = T0
        self.m1, self.m2, self.m3, self.alice, self.bob = (world.writer(n) for n in range(1, 6))
        self.writers = [self.m1, self.m2, self.m3, self.alice, self.bob]
        people = [self.m1.me, self.m2.me, self.m3.me]
        genesis = self.m1.create(charter("Commons", people, threshold=threshold))
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

    def open(self, writer=None, title: str = "Proposal", closes_in: int = HOUR, **body):
        body = {"title": title, "closes_at": self.world.now + closes_in, **body}
        return self.do(writer or self.alice, "proposal.open", body)

    def opened(self, writer=None, **body):
        event, reason = self.open(writer, **body)
        assert reason is None, reason
        return event

    def act(self, writer, type: str, proposal, at: int | None = None, **body):
        return self.do(writer, "proposal." + type, {"proposal": proposal.id, **body}, at)

    def vote(self, writer, proposal, ballot, **body):
        return self.act(writer, "vote", proposal, ballot=ballot, **body)

    def close(self, writer, proposal, at: int | None = None, **body):
        """Close at the closing time (or later, or at ``at``)."""
        if at is None:
            at = max(self.world.now + 1, self.record(proposal)["closes_at"])
        return self.act(writer, "close", proposal, at, **body)

    def record(self, proposal) -> dict:
        return self.peer.get(self.commons, proposal_key(proposal.id))

    def charter(self) -> dict:
        return self.peer.get(self.commons, "charter")

    def decide(self, kind: str, effect: dict) -> dict:
        """Pass a charter or maintainer decision under the default rule (2 of 3 maintainers)."""
        proposal = self.opened(self.m1, kind=kind, effect=effect)
        for m in (self.m1, self.m2):
            assert self.vote(m, proposal, "yes")[1] is None
        assert self.close(self.m1, proposal)[1] is None
        record = self.record(proposal)
        assert record["state"] == "passed", record["result"]
        assert record["effect_status"] == {"applied": True, "reason": None}
        return record

    def set_rule(self, kind: str, rule_: dict | None) -> dict:
        return self.decide("charter", {"op": "set_rule", "kind": kind, "rule": rule_})

    def land(self, writer, n: int):
        """A contribution of ``writer``, accepted by two maintainers: a credit."""
        proposal = writer.propose(self.commons, [change(f"f{n}.md", blob(n))])
        self.peer.ingest(proposal)
        self.share()
        for m in (self.m1, self.m2):
            self.peer.ingest(m.accept(self.commons, proposal.id))
            self.share()
        return proposal.id


@pytest.fixture
def gov(world, peer):
    yield from checked_scenes(world, peer, Gov)


# -- the default rules -----------------------------------------------------------------------


def test_a_custom_decision_is_a_majority_of_anyone_closed_at_its_time(gov):
    g = gov()
    proposal = g.opened(title="Monthly meetups", text="First Tuesday of the month")
    record = g.record(proposal)
    assert record["state"] == "open" and record["kind"] == "custom"
    assert record["method"]["name"] == "majority"
    assert record["rule"] == {"propose": "anyone", "eligible": "anyone", "min_contributions": 1}
    for writer, ballot in ((g.alice, "yes"), (g.bob, "no"), (g.m3, "yes"), (g.bob, "yes")):
        assert g.vote(writer, proposal, ballot)[1] is None  # bob changes his mind
    assert g.record(proposal)["ballots"][g.bob.did]["ballot"] == "yes"
    _, reason = g.close(g.alice, proposal, at=T0 + HOUR // 2)
    assert reason.startswith("this proposal closes at 2023-11-14 23:13 UTC; this close is dated")
    _, reason = g.close(g.bob, proposal)
    assert reason == "only the proposer or a maintainer can close this proposal"
    _, reason = g.close(g.alice, proposal, outcome="We meet monthly", review_at=T0 + 1000)
    assert reason is None
    record = g.record(proposal)
    assert record["state"] == "passed" and record["effect_status"] is None
    assert record["result"]["counts"] == {"yes": 3, "no": 0, "abstain": 0}
    assert sentence(record["result"]["reason"]) == "3 yes against 0 no"
    assert record["outcome"] == "We meet monthly" and record["review_at"] == T0 + 1000
    assert record["closed"]["by"] == g.alice.did
    _, reason = g.close(g.m1, proposal)
    assert reason == "this proposal is already closed"


def test_a_vote_after_the_close_is_ineffective_with_its_reason(gov):
    g = gov()
    proposal = g.opened()
    g.vote(g.bob, proposal, "no")
    close, _ = g.close(g.alice, proposal)
    late, reason = g.vote(g.m1, proposal, "yes")
    assert reason == (
        f"too late to vote on this proposal: it was closed (event "
        f"{close.id.hex()[:12]}) before this event in the fold order, so this "
        "does not count"
    )
    assert g.record(proposal)["state"] == "failed"
    assert g.m1.did not in g.record(proposal)["ballots"]


def test_a_concurrent_vote_counts_if_it_sorts_before_the_close(gov):
    g = gov()
    proposal = g.opened()
    g.world.now = T0 + 2 * HOUR
    # m2 votes without knowing the close, and the close without knowing the vote: both on
    # the same parents, so the same clock; the ids decide which is first, on every peer.
    vote = g.m2.emit(g.commons, "proposal.vote", {"proposal": proposal.id, "ballot": "yes"})
    close = g.alice.emit(g.commons, "proposal.close", {"proposal": proposal.id})
    assert vote.clock == close.clock
    g.peer.ingest(close, vote)
    counted = vote.id < close.id
    record = g.record(proposal)
    assert (g.m2.did in record["ballots"]) == counted
    assert record["state"] == ("passed" if counted else "failed")
    assert (vote.id in g.peer.ineffective(g.commons)) != counted


def test_a_maintainer_decision_is_two_of_three_maintainers_and_adds_the_maintainer(gov):
    g = gov()
    effect = {"op": "add_maintainer", "did": g.alice.did}
    proposal = g.opened(g.alice, kind="maintainer", effect=effect, closes_in=24 * HOUR)
    record = g.record(proposal)
    assert record["method"]["name"] == "k_of_n" and record["method"]["k"] == 2
    _, reason = g.vote(g.alice, proposal, "yes")
    assert reason == (
        "only maintainers may vote on this proposal; the author is not a maintainer of this commons"
    )
    g.vote(g.m1, proposal, "yes")
    _, reason = g.close(g.m1, proposal, at=T0 + HOUR)
    assert reason.startswith("this proposal closes at")  # one approval is not two
    g.vote(g.m3, proposal, "yes")
    _, reason = g.close(g.alice, proposal, at=T0 + HOUR)  # k reached: closes early
    assert reason is None
    record = g.record(proposal)
    assert (
        record["state"] == "passed"
        and sentence(record["result"]["reason"]) == "2 approvals, 2 needed"
    )
    assert g.alice.did in g.charter()["maintainers"]
    assert record["effect_status"] == {"applied": True, "reason": None}


def test_an_effect_that_no_longer_fits_is_recorded_not_applied(gov):
    g = gov()
    effect = {"op": "add_maintainer", "did": g.bob.did}
    first, second = (
        g.opened(kind="maintainer", effect=effect),
        g.opened(kind="maintainer", effect=effect),
    )
    for proposal in (first, second):
        g.vote(g.m1, proposal, "yes")
        g.vote(g.m2, proposal, "yes")
        assert g.close(g.m1, proposal)[1] is None
    assert g.record(second)["state"] == "passed"
    status = g.record(second)["effect_status"]
    assert not status["applied"] and sentence(status["reason"]) == (
        "this identity is already a maintainer"
    )
    _, reason = g.open(kind="maintainer", effect=effect)
    assert reason == "this identity is already a maintainer"  # refused at once at open


def test_a_failed_or_undecided_binding_proposal_changes_nothing(gov):
    g = gov()
    proposal = g.opened(kind="maintainer", effect={"op": "remove_maintainer", "did": g.m3.did})
    g.vote(g.m1, proposal, "yes")
    g.vote(g.m2, proposal, "abstain")
    assert g.close(g.m1, proposal)[1] is None
    record = g.record(proposal)
    assert record["state"] == "failed" and record["result"]["outcome"] == "undecided"
    assert record["effect_status"] is None and g.m3.did in g.charter()["maintainers"]


def test_what_a_proposal_cannot_ask(gov):
    g = gov()
    add = {"op": "add_maintainer", "did": g.bob.did}
    _, reason = g.open(kind="custom", effect=add)
    assert reason == "this effect belongs to decisions of kind maintainer"
    _, reason = g.open(kind="maintainer", effect={"op": "set", "field": "name", "value": "X"})
    assert reason == "this effect belongs to decisions of kind charter"
    _, reason = g.open(kind="maintainer", method={"name": "majority"}, effect=add)
    assert reason == (
        "the charter decides maintainer decisions by k of n with its own "
        "parameters: leave the method out, or open an advisory poll"
    )
    _, reason = g.open(
        kind="maintainer", method={"name": "single_choice"}, effect=add, options=["A", "B"]
    )
    assert reason == "an advisory poll decides nothing: it cannot carry an effect"
    _, reason = g.open(method={"name": "single_choice"}, options=["A"])
    assert reason == "single choice: a poll needs at least two options"
    _, reason = g.open(options=["A", "B"])
    assert reason == "majority takes no options"
    _, reason = g.open(kind="charter", effect={"op": "set", "field": "threshold", "value": 9})
    assert reason.startswith("the charter would become invalid")
    with pytest.raises(InvalidEvent, match="kind"):
        g.m1.emit(g.commons, "proposal.open", {"title": "x", "closes_at": 1, "kind": "Bad!"})
    with pytest.raises(InvalidEvent, match="ballot|effect|method|options|value|rule"):
        g.m1.emit(
            g.commons,
            "proposal.open",
            {
                "title": "x",
                "closes_at": 1,
                "kind": "charter",
                "effect": {"op": "set_rule", "kind": "custom", "rule": rule("single_choice")},
            },
        )
    with pytest.raises(InvalidEvent, match="k_of_n is decided by maintainers"):
        g.m1.emit(
            g.commons,
            "proposal.open",
            {
                "title": "x",
                "closes_at": 1,
                "kind": "charter",
                "effect": {"op": "set_rule", "kind": "custom", "rule": rule("k_of_n")},
            },
        )
    with pytest.raises(InvalidEvent, match="ballot|effect|method|options|value|rule"):
        g.m1.emit(g.commons, "proposal.vote", {"proposal": bytes(32), "ballot": True})
    _, reason = g.do(g.bob, "proposal.vote", {"proposal": bytes(32), "ballot": "yes"})
    assert reason == f"no proposal {bytes(6).hex()} is known in this commons at this point"


# -- rules: set by the rules, and challenged by anyone ---------------------------------------


def test_amending_the_amendment_rule_then_deciding_under_the_new_rule(gov):
    g = gov()
    before = g.opened(g.m1, kind="charter", effect={"op": "set", "field": "name", "value": "Old"})
    # The charter's own rule changes: charter decisions by a 3/4 supermajority of anyone,
    # with a quorum of 4, a reason with every ballot.
    new = rule("supermajority", threshold={"num": 3, "den": 4}, quorum=4, reason_required=True)
    g.set_rule("charter", new)
    assert g.charter()["rules"]["charter"]["method"]["threshold"] == {"num": 3, "den": 4}
    proposal = g.opened(
        g.bob, kind="charter", effect={"op": "set", "field": "name", "value": "Renamed"}
    )
    record = g.record(proposal)
    assert record["method"]["name"] == "supermajority" and record["rule"]["eligible"] == "anyone"
    _, reason = g.vote(g.alice, proposal, "yes")
    assert reason == "this proposal requires a reason with every ballot"
    for writer in (g.alice, g.bob, g.m3):
        assert g.vote(writer, proposal, "yes", reason="clearer")[1] is None
    assert g.vote(g.m1, proposal, "no", reason="I like the old one")[1] is None
    g.close(g.bob, proposal)
    assert g.record(proposal)["state"] == "passed" and g.charter()["name"] == "Renamed"
    # The proposal opened before the change keeps the rule in force when it opened.
    assert g.record(before)["method"]["name"] == "k_of_n"
    _, reason = g.vote(g.alice, before, "yes")
    assert reason.startswith("only maintainers may vote on this proposal")
    g.vote(g.m1, before, "yes")
    g.vote(g.m2, before, "yes")
    g.close(g.m1, before)
    assert g.record(before)["state"] == "passed" and g.charter()["name"] == "Old"
    # And back to the default rule, under the new one.
    back = g.opened(g.alice, kind="charter", effect={"op": "set_rule", "kind": "charter"})
    for writer in (g.alice, g.bob, g.m3, g.m1):
        g.vote(writer, back, "yes", reason="simpler")
    g.close(g.alice, back)
    assert g.record(back)["state"] == "passed" and g.charter()["rules"] == {}


def test_anyone_may_challenge_a_rule_but_other_proposals_follow_the_propose_rule(gov):
    g = gov()
    g.set_rule("charter", rule("k_of_n", eligible="maintainers", propose="maintainers"))
    g.set_rule("expense", rule("majority", propose="maintainers"))
    _, reason = g.open(g.bob, kind="charter", effect={"op": "set_rule", "kind": "expense"})
    assert reason is None
    _, reason = g.open(g.bob, kind="expense", title="New laptop")
    assert reason == (
        "only maintainers may propose decisions of this kind; the author is "
        "not a maintainer of this commons"
    )
    assert g.open(g.m2, kind="expense", title="New laptop")[1] is None


def test_contributors_take_part_by_citing_their_accepted_contributions(gov):
    g = gov()
    g.set_rule("roadmap", rule("majority", eligible="contributors", least=2))
    mine = [g.land(g.alice, 1), g.land(g.alice, 2)]
    bobs = g.land(g.bob, 3)
    pending = g.alice.propose(g.commons, [change("f4.md", blob(4))])
    g.peer.ingest(pending)
    g.share()
    proposal = g.opened(g.m1, kind="roadmap")
    _, reason = g.vote(g.alice, proposal, "yes", credits=[mine[0], bobs, pending.id])
    assert reason == (
        "only contributors with at least 2 accepted contributions may vote on "
        "this proposal; the author cites 1"
    )
    assert g.vote(g.alice, proposal, "yes", credits=mine)[1] is None
    _, reason = g.vote(g.m1, proposal, "no")
    assert reason.endswith("the author cites 0")  # maintainers are not contributors by right
    g.set_rule("survey", rule("majority", eligible="members"))
    survey = g.opened(g.m1, kind="survey")
    assert g.vote(g.m1, survey, "yes")[1] is None  # a maintainer is a member
    assert g.vote(g.bob, survey, "yes", credits=[bobs])[1] is None
    _, reason = g.vote(g.bob, survey, "yes")
    assert reason.startswith("only members (maintainers and authors of an accepted contribution)")


# -- objections ------------------------------------------------------------------------------


def test_lazy_consensus_passes_unless_an_eligible_member_objects_in_the_window(gov):
    g = gov()
    bobs = g.land(g.bob, 1)
    g.set_rule("expense", rule("lazy_consensus", eligible="members"))
    quiet = g.opened(g.m1, kind="expense", title="Hosting, 10 € a month")
    _, reason = g.vote(g.m2, quiet, "yes")
    assert (
        reason == "invalid ballot: lazy consensus decides by objections: object instead of voting"
    )
    _, reason = g.act(g.alice, "object", quiet, reason="too expensive")
    assert reason.startswith("only members")
    _, reason = g.close(g.alice, quiet, at=T0 + 10)
    assert reason.startswith("this proposal closes at")
    assert g.close(g.alice, quiet)[1] is None  # anyone closes after the window
    assert g.record(quiet)["state"] == "passed"
    contested = g.opened(g.m1, kind="expense", title="A van")
    assert g.act(g.bob, "object", contested, reason="we have bikes", credits=[bobs])[1] is None
    _, reason = g.act(g.bob, "object", contested, reason="again", credits=[bobs])
    assert reason == "the author already objects; withdraw the objection to restate it"
    _, reason = g.act(g.m2, "withdraw_objection", contested)
    assert reason == "the author has no standing objection to this proposal"
    g.close(g.m1, contested, outcome="No van")
    record = g.record(contested)
    assert record["state"] == "failed" and record["outcome"] == "No van"
    assert sentence(record["result"]["reason"]) == "1 objection stands: we have bikes"
    _, reason = g.act(g.m2, "object", contested, reason="late")
    assert reason.startswith("too late to object to this proposal")
    _, reason = g.close(g.alice, g.opened(g.m1, kind="expense"), outcome="mine")
    assert reason == "only the proposer or a maintainer states the outcome"


def test_consent_needs_every_objection_resolved(gov):
    g = gov()
    g.set_rule("policy", rule("consent"))
    proposal = g.opened(g.alice, kind="policy", title="Code of conduct")
    g.act(g.bob, "object", proposal, reason="no contact person")
    g.act(g.m1, "object", proposal, reason="no appeal")
    assert g.act(g.bob, "withdraw_objection", proposal, note="contact added")[1] is None
    assert g.record(proposal)["objections"][g.bob.did]["note"] == "contact added"
    g.close(g.alice, proposal)
    record = g.record(proposal)
    assert record["state"] == "failed" and record["result"]["outcome"] == "undecided"
    assert sentence(record["result"]["reason"]) == "1 unresolved objection: no appeal"
    again = g.opened(g.alice, kind="policy", title="Code of conduct, with appeals")
    g.act(g.m1, "object", again, reason="who hears appeals?")
    g.act(g.m1, "withdraw_objection", again, note="the maintainers")
    g.act(g.m1, "object", again, reason="on second thought")  # restated
    g.act(g.m1, "withdraw_objection", again)
    g.close(g.m2, again)
    assert g.record(again)["state"] == "passed"
    _, reason = g.open(kind="policy", hidden=True)
    assert reason == "objections are public: a proposal decided by them hides nothing"


def test_consensus_fails_on_a_block(gov):
    g = gov()
    g.set_rule("values", rule("consensus"))
    blocked = g.opened(kind="values")
    for writer, ballot in ((g.alice, "agree"), (g.bob, "agree"), (g.m1, "block")):
        g.vote(writer, blocked, ballot)
    _, reason = g.vote(g.m2, blocked, "yes")
    assert reason == "invalid ballot: the ballot must be agree, stand_aside, disagree, block"
    _, reason = g.act(g.m2, "object", blocked, reason="no")
    assert reason == "this proposal is decided by consensus: vote instead"
    g.close(g.alice, blocked)
    assert g.record(blocked)["state"] == "failed"
    assert sentence(g.record(blocked)["result"]["reason"]) == "blocked by 1"
    agreed = g.opened(kind="values")
    g.vote(g.alice, agreed, "agree")
    g.vote(g.m1, agreed, "stand_aside")
    g.close(g.alice, agreed)
    assert g.record(agreed)["state"] == "passed"


# -- polls -----------------------------------------------------------------------------------


def test_advisory_polls_settle_with_their_winners(gov):
    g = gov()
    logo = g.opened(title="Logo", method={"name": "ranked_choice"}, options=["Bee", "Owl", "Elk"])
    for writer, ranking in ((g.alice, [0, 1]), (g.bob, [1]), (g.m1, [2, 1]), (g.m2, [1, 0])):
        assert g.vote(writer, logo, ranking)[1] is None
    _, reason = g.vote(g.m3, logo, [3])
    assert reason == "invalid ballot: options are numbered from 0 to 2"
    g.close(g.alice, logo)
    record = g.record(logo)
    assert record["state"] == "settled" and record["result"]["winners"] == ["Owl"]
    assert [r["eliminated"] for r in record["result"]["rounds"]] == ["Elk", None]

    meet = g.opened(
        g.bob, title="Meeting", method={"name": "time_poll"}, options=["Mon 18:00", "Tue 18:00"]
    )
    g.vote(g.alice, meet, ["yes", "if_need_be"])
    g.vote(g.bob, meet, ["no", "yes"])
    g.vote(g.m1, meet, ["yes", "no"])
    g.close(g.bob, meet, outcome="Monday it is")
    assert g.record(meet)["result"]["winners"] == ["Mon 18:00"]

    dots = g.opened(
        title="Priorities", method={"name": "dot_vote", "dots": 3}, options=["Docs", "Tests", "UI"]
    )
    assert g.vote(g.alice, dots, [3, 0, 0])[1] is None
    assert g.vote(g.bob, dots, [2, 2, 0])[1] == "invalid ballot: place from 1 to 3 dots"
    g.vote(g.bob, dots, [0, 2, 1])
    g.close(g.alice, dots)
    assert g.record(dots)["result"]["counts"] == {"Docs": 3, "Tests": 2, "UI": 1}

    scored = g.opened(
        title="Names", method={"name": "score", "max_score": 3}, options=["Agora", "Forum"]
    )
    g.vote(g.alice, scored, [3, 1])
    g.vote(g.bob, scored, [2, 3])
    g.vote(g.m1, scored, [3, 3])
    g.close(g.alice, scored)
    assert g.record(scored)["result"]["averages"] == {"Agora": [8, 3], "Forum": [7, 3]}

    advice = g.opened(title="Move the repo?", method={"name": "advice"})
    g.vote(g.m1, advice, "yes, but keep redirects")
    g.close(g.alice, advice, outcome="Moving, with redirects", review_at=T0 + 90 * 24 * HOUR)
    record = g.record(advice)
    assert record["state"] == "settled" and record["result"]["outcome"] == "undecided"
    assert record["outcome"] == "Moving, with redirects"

    choice = g.opened(
        title="Colour",
        method={"name": "multiple_choice", "max_choices": 2, "quorum": 3},
        options=["Red", "Blue", "Green"],
    )
    g.vote(g.alice, choice, [0, 1])
    g.vote(g.bob, choice, [1])
    g.close(g.alice, choice)
    assert g.record(choice)["result"]["outcome"] == "failed"
    assert (
        sentence(g.record(choice)["result"]["reason"])
        == "quorum not reached: 2 took part, 3 needed"
    )


# -- hidden ballots --------------------------------------------------------------------------


def test_hidden_ballots_stay_unknown_until_settled_and_unrevealed_ones_abstain(gov):
    g = gov()
    g.set_rule("budget", rule("majority", quorum=4))
    proposal = g.opened(g.m1, kind="budget", hidden=True)
    ballots = {g.alice: "yes", g.bob: "no", g.m2: "yes", g.m3: "no"}
    _, reason = g.vote(g.alice, proposal, "yes")
    assert reason == "this proposal takes hidden ballots: commit now, reveal after the close"
    for writer, ballot in ballots.items():
        salt = writer.did.encode()[-16:]
        assert (
            g.act(
                writer,
                "commit",
                proposal,
                commitment=commitment(proposal.id, writer.did, ballot, salt),
            )[1]
            is None
        )
    record = g.record(proposal)
    assert record["ballots"] == {} and record["result"] is None
    assert sorted(record["commitments"]) == sorted(w.did for w in ballots)
    _, reason = g.act(g.alice, "reveal", proposal, ballot="yes", salt=g.alice.did.encode()[-16:])
    assert reason.startswith("ballots are revealed after the close")
    _, reason = g.act(g.bob, "settle", proposal)
    assert reason == "this proposal is still open: close it first"
    close, reason = g.close(g.m1, proposal)
    assert reason is None
    record = g.record(proposal)
    assert record["state"] == "closed" and record["result"] is None and record["ballots"] == {}
    late = commitment(proposal.id, g.m1.did, "yes", SALT)
    _, reason = g.act(g.m1, "commit", proposal, commitment=late)
    assert reason.startswith("too late to vote on this proposal")
    for writer in (g.alice, g.m2, g.bob):
        salt = writer.did.encode()[-16:]
        assert g.act(writer, "reveal", proposal, ballot=ballots[writer], salt=salt)[1] is None
    _, reason = g.act(g.m3, "reveal", proposal, ballot="yes", salt=g.m3.did.encode()[-16:])
    assert reason == "this ballot and salt do not match the author's commitment"
    _, reason = g.act(g.m1, "reveal", proposal, ballot="yes", salt=SALT)
    assert reason == "the author committed to no ballot before the close"
    _, reason = g.act(g.bob, "settle", proposal, at=close.time + HOUR)
    assert reason.startswith("1 ballot may still be revealed until")
    _, reason = g.act(g.bob, "settle", proposal, at=close.time + 48 * HOUR, outcome="x")
    assert reason == "only the proposer or a maintainer states the outcome"
    settle, reason = g.act(g.bob, "settle", proposal)
    assert reason is None
    record = g.record(proposal)
    # m3 never revealed: an abstention, which still counts towards the quorum of 4.
    assert record["result"]["counts"] == {"yes": 2, "no": 1, "abstain": 1}
    assert record["state"] == "passed" and record["settled"]["by"] == g.bob.did
    _, reason = g.act(g.m3, "reveal", proposal, ballot="no", salt=g.m3.did.encode()[-16:])
    assert reason == (
        f"too late to reveal: the result was settled (event "
        f"{settle.id.hex()[:12]}) before this event in the fold order; the "
        "ballot counts as an abstention"
    )
    _, reason = g.act(g.bob, "settle", proposal)
    assert reason == "this proposal is already settled"


def test_hidden_ballots_settle_at_once_when_all_are_revealed(gov):
    g = gov()
    effect = {"op": "add_maintainer", "did": g.bob.did}
    proposal = g.opened(g.bob, kind="maintainer", hidden=True, effect=effect)
    for writer in (g.m1, g.m2):
        g.act(
            writer, "commit", proposal, commitment=commitment(proposal.id, writer.did, "yes", SALT)
        )
    _, reason = g.close(g.m1, proposal, at=T0 + 10)
    assert reason.startswith("this proposal closes at")  # no early close for hidden ballots
    g.close(g.bob, proposal)
    for writer in (g.m1, g.m2):
        g.act(writer, "reveal", proposal, ballot="yes", salt=SALT)
    _, reason = g.act(g.alice, "settle", proposal)
    assert reason is None
    assert g.record(proposal)["state"] == "passed" and g.bob.did in g.charter()["maintainers"]
    # Copying m1's commitment, then m1's reveal, does not let alice vote as m1 did.
    copied = g.opened(g.m1, kind="maintainer", hidden=True, effect=effect | {"did": g.alice.did})
    mine = commitment(copied.id, g.m1.did, "yes", SALT)
    g.act(g.m1, "commit", copied, commitment=mine)
    g.act(g.m3, "commit", copied, commitment=mine)
    g.close(g.m1, copied)
    g.act(g.m1, "reveal", copied, ballot="yes", salt=SALT)
    _, reason = g.act(g.m3, "reveal", copied, ballot="yes", salt=SALT)
    assert reason == "this ballot and salt do not match the author's commitment"
    public = g.opened(g.bob)
    _, reason = g.act(
        g.bob, "commit", public, commitment=commitment(public.id, g.bob.did, "yes", SALT)
    )
    assert reason == "this proposal's ballots are public: vote instead of committing"
    _, reason = g.act(g.bob, "settle", public)
    assert reason == "this proposal's ballots are public: it was decided at its close"


# -- convergence -----------------------------------------------------------------------------

ACTIONS = ("vote", "vote", "vote", "sync", "close", "reveal", "settle")


class VoteHistory:
    """A proposal, and writers who each see part of the DAG: they vote (or commit), some
    not eligible, close, reveal and settle on what they know, some after the close."""

    def __init__(self, kind: str, hidden: bool):
        self.world = World()
        self.world.now = T0
        self.writers = [self.world.writer(n) for n in range(1, 6)]
        first = self.writers[0]
        genesis = first.create(charter("Votes", [w.me for w in self.writers[:2]]))
        self.commons = genesis.id
        body = {"title": "p", "kind": kind, "hidden": hidden, "closes_at": T0 + 20}
        if kind == "maintainer":
            body["effect"] = {"op": "add_maintainer", "did": self.writers[4].did}
        self.proposal = first.emit(self.commons, "proposal.open", body).id
        self.committed: dict[int, tuple[str, bytes]] = {}
        for writer in self.writers:
            writer.learn(*self.world.order)

    def run(self, drawn) -> None:
        for action, who, pick in drawn:
            writer = self.writers[who % 5]
            self.world.now += pick % 5
            ref = {"proposal": self.proposal}
            if action == "sync":
                writer.learn(*self.writers[pick % 5].known)
            elif action == "vote" and self.hidden:
                ballot, salt = ("yes", "no", "abstain")[pick % 3], bytes([who, pick % 256]) * 8
                self.committed[who % 5] = (ballot, salt)
                writer.emit(
                    self.commons,
                    "proposal.commit",
                    {**ref, "commitment": commitment(self.proposal, writer.did, ballot, salt)},
                )
            elif action == "vote":
                writer.emit(
                    self.commons,
                    "proposal.vote",
                    {**ref, "ballot": ("yes", "no", "abstain")[pick % 3]},
                )
            elif action == "close":
                writer.emit(self.commons, "proposal.close", ref)
            elif action == "reveal" and who % 5 in self.committed:
                ballot, salt = self.committed[who % 5]
                writer.emit(
                    self.commons, "proposal.reveal", {**ref, "ballot": ballot, "salt": salt}
                )
            elif action == "settle":
                if pick % 3 == 0:
                    self.world.now += 49 * HOUR
                writer.emit(self.commons, "proposal.settle", ref)

    @property
    def hidden(self) -> bool:
        return self.world.events[self.proposal].body.hidden


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    setup=st.sampled_from(
        [("custom", False), ("custom", True), ("maintainer", False), ("maintainer", True)]
    ),
    drawn=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.integers(0, 4), st.integers(0, 2**16)),
        min_size=10,
        max_size=40,
    ),
    rng=st.randoms(use_true_random=False),
)
def test_the_same_ballots_in_any_order_give_the_same_outcome_on_every_peer(setup, drawn, rng):
    history = VoteHistory(*setup)
    history.run(drawn)
    events = history.world.order
    expected = reference_digest(history.world, history.commons)
    reference = domain.fold(events).records[proposal_key(history.proposal)]
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
            assert peer.get(history.commons, proposal_key(history.proposal)) == reference
        finally:
            peer.close()


def test_the_vote_generator_exercises_the_rules():
    rng = random.Random(5)
    effective, refused, states = set(), set(), set()
    for n in range(40):
        history = VoteHistory(
            *[("custom", False), ("custom", True), ("maintainer", False), ("maintainer", True)][
                n % 4
            ]
        )
        history.run(
            [(rng.choice(ACTIONS), rng.randrange(5), rng.randrange(2**16)) for _ in range(30)]
        )
        folded = domain.fold(history.world.order)
        states.add(folded.records[proposal_key(history.proposal)]["state"])
        for event in history.world.order:
            if event.id in folded.ineffective:
                refused.add(folded.ineffective[event.id].code)
            else:
                effective.add(event.type)
    assert {
        "proposal.vote",
        "proposal.commit",
        "proposal.close",
        "proposal.reveal",
        "proposal.settle",
    } <= effective
    assert {"proposal_closed", "maintainers_only", "closes_later"} <= refused
    assert {"passed", "failed"} <= states
