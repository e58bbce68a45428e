"""Governance: proposals decided by the method the charter sets for their kind of decision.

The charter's ``rules`` give, for each kind of decision (``charter``, ``maintainer``,
``contribution``, ``expense``, ``custom`` or any other name), who may propose, who takes
part (``maintainers``; ``contributors`` with ``min_contributions`` accepted contributions;
``members``: maintainers and authors of an accepted contribution; ``anyone``) and the binding
method that decides, with its parameters (see ``tally``). Without a rule, ``charter`` and
``maintainer`` decisions are taken by ``k_of_n`` maintainers (k: the charter's threshold),
and the others by a ``majority`` of anyone. Anyone may propose a ``charter`` decision: every
rule, even the rule for changing rules, can be challenged. A proposal keeps the rule in force
when it opened; one that names an advisory method is a poll, which carries no effect.
Contributors and members cite their accepted contributions in ``credits`` (the fold reads
records by key, it cannot search them).

A binding proposal may carry an ``effect``, a charter change of its kind (``add_maintainer``
or ``remove_maintainer`` for ``maintainer``; ``set`` or ``set_rule`` for ``charter``): the
reducer that decides it applies it, so every peer applies it identically.

Time, peer to peer. Times are what authors say; what counts is the fold order (clock, then
id), the same on every peer. A ballot, commitment or objection counts when it comes before
the proposal's effective close in that order: all of the close's causal past does, and so
does a concurrent event that sorts before it; anything after is ineffective, with the reason.
``closes_at`` is when a close becomes allowed, by the closer's clock (the close's ``time``):
until someone closes, ballots count. A close is effective when its author is the proposer
or a maintainer (anyone, for lazy consensus and consent, which pass by default) and its time
is at or after ``closes_at`` (earlier for k-of-n once k approved). Undecided at the end fails.

Hidden ballots: ``proposal.commit`` publishes SHA-256 of the canonical CBOR ``[proposal,
voter, ballot, salt]``; ``proposal.reveal`` counts only between the close and the settle in
the fold order. ``proposal.settle`` (anyone) tallies once every commitment is revealed, or
from ``reveal_hours`` after the close's time; unrevealed commitments count as abstentions.
Known limit: clocks can be held back (not pushed forward): a ballot signed on old parents
sorts early and may land before a close its author already saw; its parents show it.

Records: ``proposal/<id>``: the proposal, its rule and method, ``ballots`` (counted, by DID),
``commitments``, ``objections``, ``state`` (open; closed: hidden ballots being revealed;
passed, failed; settled: a poll's result is in), ``result`` (``tally.Result.record``),
``effect_status``, ``outcome`` and ``review_at``.
"""

from hashlib import sha256
from typing import Annotated, Any, Literal

import msgspec

from ..core import canonical
from ..core.events import Event
from ..i18n import N_
from .charter import (
    AddMaintainer,
    AddTreasurer,
    RemoveMaintainer,
    RemoveTreasurer,
    SetField,
    changed_charter,
    charter_of,
    is_maintainer,
    sequence,
)
from .contributions import contribution_key
from .fold import Ineffective, View, Writes, event_type
from .lines import Line, Words, acting, word
from .refusals import code, plural_code
from .schema import Body, Id, Reason, Text, Title, to_builtins
from .tally import (
    ADVISORY,
    BINDING,
    BY_OBJECTION,
    Objection,
    Result,
    check_ballot,
    check_options,
    tally,
)
from .tasks import HOUR

DecisionKind = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
MethodName = Literal[BINDING + ADVISORY]  # every method tally knows
Who = Literal["maintainers", "contributors", "members", "anyone"]
Ballot = str | int | list[int | str]  # its shape is checked per method (tally.check_ballot)
Credits = Annotated[list[Id], msgspec.Meta(max_length=100)]
Options = Annotated[list[Title], msgspec.Meta(max_length=100)]
Salt = Annotated[bytes, msgspec.Meta(min_length=16, max_length=64)]
Moment = Annotated[int, msgspec.Meta(ge=0)]  # ms since the epoch, advisory
CREDITED = ("accepted", "published")  # the contribution states that count as accepted
STATES = ("open", "closed", "passed", "failed", "settled")
MAINTAINERS_DECIDE = ("k_of_n", "single_maintainer")


class Ratio(Body, kw_only=True):
    num: Annotated[int, msgspec.Meta(ge=1)]
    den: Annotated[int, msgspec.Meta(ge=1)]

    def __post_init__(self) -> None:
        if self.num > self.den:
            raise ValueError("a threshold is a fraction from 1/den to 1")


class Method(Body, kw_only=True):
    name: MethodName
    quorum: Annotated[int, msgspec.Meta(ge=0)] = 0  # how many must take part
    k: Annotated[int, msgspec.Meta(ge=1)] | None = None  # k_of_n; None: the charter threshold
    threshold: Ratio = Ratio(num=2, den=3)  # supermajority
    max_choices: Annotated[int, msgspec.Meta(ge=0)] = 0  # multiple_choice; 0: any number
    max_score: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 5
    dots: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 10
    reason_required: bool = False  # every ballot comes with its reason
    reveal_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 365)] = 48  # hidden ballots


class Rule(Body, kw_only=True):
    propose: Who = "anyone"
    eligible: Who = "anyone"
    min_contributions: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1  # for contributors
    method: Method

    def __post_init__(self) -> None:
        if self.method.name in ADVISORY:
            raise ValueError(f"a rule decides: {self.method.name} is an advisory poll")
        if self.method.name in MAINTAINERS_DECIDE and self.eligible != "maintainers":
            raise ValueError(f"{self.method.name} is decided by maintainers")


class SetRule(Body, kw_only=True, tag="set_rule", tag_field="op"):
    """Set the rule of a kind of decision, or drop it (back to the default) when None."""

    kind: DecisionKind
    rule: Rule | None = None


Effect = AddMaintainer | RemoveMaintainer | AddTreasurer | RemoveTreasurer | SetField | SetRule
EFFECT_KINDS = {AddMaintainer: "maintainer", RemoveMaintainer: "maintainer"}


class Open(Body, kw_only=True):
    title: Title
    text: Text = ""
    kind: DecisionKind = "custom"
    method: Method | None = None  # None: the rule's; an advisory method makes it a poll
    options: Options = []  # the choices of a poll, or the slots of a time poll
    closes_at: Moment
    effect: Effect | None = None
    hidden: bool = False
    credits: Credits = []
    about: Id | None = None  # what the decision is about (an expense, for kind expense)


class Ref(Body, kw_only=True):  # proposal.withdraw_objection has only a note
    proposal: Id


class Credited(Ref, kw_only=True):
    credits: Credits = []


class Vote(Credited, kw_only=True):
    ballot: Ballot
    reason: Text = ""


class Commit(Credited, kw_only=True):
    commitment: Id  # SHA-256 of the canonical CBOR [ballot, salt]


class Reveal(Ref, kw_only=True):
    ballot: Ballot
    salt: Salt
    reason: Text = ""


class Object(Credited, kw_only=True):
    reason: Reason


class WithdrawObjection(Ref, kw_only=True):
    note: Text = ""  # how it was resolved


class Close(Ref, kw_only=True):  # proposal.close and proposal.settle
    outcome: Text = ""  # the outcome statement
    review_at: Moment | None = None


def passed_about(view: View, event: Event, kind: str) -> bytes | None:
    """What the proposal that ``event`` closed or settled decided, when it passed and is of
    ``kind``: the id in its ``about`` (an expense, a round), for the institution that owns it
    to act on (by a derivation of ``proposal.close`` and ``proposal.settle``)."""
    proposal = view.get(proposal_key(event.body.proposal))
    if not proposal or proposal["state"] != "passed" or proposal["kind"] != kind:
        return None
    about = proposal.get("about")
    return about if isinstance(about, bytes) else None


def proposal_key(pid: bytes) -> str:
    return "proposal/" + pid.hex()


def commitment(proposal: bytes, voter: str, ballot: Any, salt: bytes) -> bytes:
    """What a hidden ballot commits to: SHA-256 of the canonical CBOR ``[proposal, voter,
    ballot, salt]``. Naming the voter keeps anyone from copying a commitment, and then the
    reveal, to vote as someone else did without knowing how beforehand."""
    return sha256(canonical.encode([proposal, voter, ballot, salt])).digest()


def default_rule(kind: str) -> dict[str, Any]:
    if kind in ("charter", "maintainer"):
        return to_builtins(Rule(eligible="maintainers", method=Method(name="k_of_n")))
    return to_builtins(Rule(method=Method(name="majority")))


def rule_for(charter: dict[str, Any], kind: str) -> dict[str, Any]:
    """The charter's rule for a kind of decision (charters older than governance lack any)."""
    return (charter.get("rules") or {}).get(kind) or default_rule(kind)


UNKNOWN_PROPOSAL = code(
    "unknown_proposal", "no proposal {proposal} is known in this commons at this point"
)
MAINTAINERS_ONLY = code(
    "maintainers_only",
    "only maintainers may {action:work}; the author is not a maintainer of this commons",
)
MEMBERS_ONLY = code(
    "members_only",
    "only members (maintainers and authors of an accepted contribution) may {action:work}; the "
    "author cites no accepted contribution of theirs",
)
CONTRIBUTORS_ONLY = plural_code(
    "contributors_only",
    "only contributors with at least {least} accepted contribution may {action:work}; the "
    "author cites {cited}",
    "only contributors with at least {least} accepted contributions may {action:work}; the "
    "author cites {cited}",
    "least",
)
ALREADY_DEFAULT = code(
    "already_default", "decisions of kind {kind:word} already follow the default rule"
)
PROPOSAL_CLOSED = code(
    "proposal_closed",
    "too late to {action:verb} this proposal: it was closed (event {closer}) before this event "
    "in the fold order, so this does not count",
)
INVALID_BALLOT = code("invalid_ballot", "invalid ballot: {problem}")
REASON_REQUIRED = code("reason_required", "this proposal requires a reason with every ballot")
NOT_PROPOSER = code(
    "not_proposer", "only the proposer or a maintainer can {action:verb} this proposal"
)
METHOD_FIXED = code(
    "method_fixed",
    "the charter decides {kind:word} decisions by {method:word} with its own parameters: "
    "leave the method out, or open an advisory poll",
)
INVALID_OPTIONS = code("invalid_options", "{problem}")
OBJECTIONS_PUBLIC = code(
    "objections_public", "objections are public: a proposal decided by them hides nothing"
)
ADVISORY_EFFECT = code(
    "advisory_effect", "an advisory poll decides nothing: it cannot carry an effect"
)
EFFECT_KIND = code("effect_kind", "this effect belongs to decisions of kind {kind:word}")
HIDDEN_BALLOTS = code(
    "hidden_ballots", "this proposal takes hidden ballots: commit now, reveal after the close"
)
PUBLIC_NO_COMMIT = code(
    "public_no_commit", "this proposal's ballots are public: vote instead of committing"
)
PUBLIC_NO_REVEAL = code(
    "public_no_reveal", "this proposal's ballots are public: there is nothing to reveal"
)
PUBLIC_NO_SETTLE = code(
    "public_no_settle", "this proposal's ballots are public: it was decided at its close"
)
OUTCOME_BY_PROPOSER = code(
    "outcome_by_proposer", "only the proposer or a maintainer states the outcome"
)
REVEAL_AFTER_CLOSE = code(
    "reveal_after_close",
    "ballots are revealed after the close, so that nobody sees them before the result; reveal "
    "again once the proposal is closed",
)
ALREADY_SETTLED = code(
    "already_settled",
    "too late to reveal: the result was settled (event {settler}) before this event in the "
    "fold order; "
    "the ballot counts as an abstention",
)
NO_COMMITMENT = code("no_commitment", "the author committed to no ballot before the close")
ALREADY_REVEALED = code("already_revealed", "the author already revealed their ballot")
COMMITMENT_MISMATCH = code(
    "commitment_mismatch", "this ballot and salt do not match the author's commitment"
)
VOTE_INSTEAD = code("vote_instead", "this proposal is decided by {method:word}: vote instead")
ALREADY_OBJECTS = code(
    "already_objects", "the author already objects; withdraw the objection to restate it"
)
NO_OBJECTION_STANDING = code(
    "no_objection_standing", "the author has no standing objection to this proposal"
)
ALREADY_CLOSED = code("already_closed", "this proposal is already closed")
CLOSES_LATER = code(
    "closes_later",
    "this proposal closes at {closes:time}; this close is dated {at:time}, before that",
)
STILL_OPEN = code("still_open", "this proposal is still open: close it first")
SETTLED_ALREADY = code("settled_already", "this proposal is already settled")
REVEALS_PENDING = plural_code(
    "reveals_pending",
    "{hidden} ballot may still be revealed until {until:time}; settle then, or once it is",
    "{hidden} ballots may still be revealed until {until:time}; settle then, or once every "
    "ballot is revealed",
    "hidden",
)


def load(view: View, pid: bytes) -> dict[str, Any]:
    record = view.get(proposal_key(pid))
    if record is None:
        raise Ineffective(UNKNOWN_PROPOSAL, proposal=pid)
    return record


def credited(view: View, did: str, credits: list[bytes]) -> int:
    """How many of the cited contributions are the author's and accepted (or published)."""
    records = (view.get(contribution_key(cid)) for cid in set(credits))
    return sum(1 for r in records if r and r["author"] == did and r["state"] in CREDITED)


def require(view: View, who: str, least: int, event: Event) -> None:
    """Refuse unless the author is one of ``who`` (citing ``event.body.credits``)."""
    author = event.author
    if who == "anyone" or (who == "members" and is_maintainer(view, author)):
        return
    if who == "maintainers":
        if not is_maintainer(view, author):
            raise Ineffective(MAINTAINERS_ONLY, action=event.type)
        return
    cited = credited(view, author, event.body.credits)
    if who == "members" and not cited:
        raise Ineffective(MEMBERS_ONLY, action=event.type)
    if who == "contributors" and cited < least:
        raise Ineffective(CONTRIBUTORS_ONLY, action=event.type, least=least, cited=cited)


def apply_effect(charter: dict[str, Any], effect: Any) -> dict[str, Any]:
    """The charter with the effect applied, validated (Ineffective if it does not fit)."""
    if not isinstance(effect, SetRule):
        return changed_charter(charter, effect)
    rules = dict(charter.get("rules") or {})
    if effect.rule is not None:
        rules[effect.kind] = to_builtins(effect.rule)
    elif rules.pop(effect.kind, None) is None:
        raise Ineffective(ALREADY_DEFAULT, kind=effect.kind)
    return {**charter, "rules": rules}


def may_close(view: View, proposal: dict[str, Any], did: str) -> bool:
    return did == proposal["author"] or is_maintainer(view, did)


def require_open(proposal: dict[str, Any], event: Event) -> None:
    if proposal["state"] != "open":
        closer = proposal["closed"]["event"]
        raise Ineffective(PROPOSAL_CLOSED, action=event.type, closer=closer)


def entry(event: Event, **fields: Any) -> dict[str, Any]:
    return {**fields, "event": event.id, "time": event.time}


def ballot_refused(proposal: dict[str, Any], ballot: Any, reason: str) -> Ineffective | None:
    """Why a ballot could not count on ``proposal`` (its shape for the method, a reason the
    proposal requires), or None; also asked before a hidden ballot is committed to."""
    method = proposal["method"]
    problem = check_ballot(method["name"], ballot, method, len(proposal["options"]))
    if problem:
        return Ineffective(INVALID_BALLOT, problem=problem.record())
    if method["reason_required"] and not reason.strip():
        return Ineffective(REASON_REQUIRED)
    return None


def count(event: Event, proposal: dict[str, Any]) -> Writes:
    """Count the event's ballot (a vote, or a reveal): it replaces the author's last one."""
    body = event.body
    refused = ballot_refused(proposal, body.ballot, body.reason)
    if refused:
        raise refused
    ballot = entry(event, ballot=body.ballot, reason=body.reason)
    ballots = {**proposal["ballots"], event.author: ballot}
    return {proposal_key(body.proposal): {**proposal, "ballots": ballots}}


def current(view: View, proposal: dict[str, Any]) -> Result:
    """The result of the ballots counted so far (unrevealed commitments: abstentions)."""
    ballots = proposal["ballots"]
    objections = [
        Objection(did, o["reason"], o["withdrawn"])
        for did, o in sorted(proposal["objections"].items())
    ]
    maintainers = len(charter_of(view)["maintainers"])
    return tally(
        proposal["method"],
        [ballots[did]["ballot"] for did in sorted(ballots)],
        options=proposal["options"],
        objections=objections,
        abstentions=sum(1 for did in proposal["commitments"] if did not in ballots),
        n=maintainers if proposal["rule"]["eligible"] == "maintainers" else None,
    )


def decide(view: View, event: Event, proposal: dict[str, Any]) -> Writes:
    """Tally, set the final state, and apply the effect of a binding proposal that passed."""
    result = current(view, proposal)
    writes: Writes = {}
    status = None
    if proposal["method"]["name"] in ADVISORY:
        state = "settled"
    else:
        state = "passed" if result.outcome == "passed" else "failed"
    if state == "passed" and proposal["effect"] is not None:
        try:
            effect = msgspec.convert(proposal["effect"], Effect)
            writes["charter"] = apply_effect(charter_of(view), effect)
            status = {"applied": True, "reason": None}
        except Ineffective as ineffective:
            status = {"applied": False, "reason": ineffective.refusal.record()}
    proposal = {**proposal, "state": state, "result": result.record(), "effect_status": status}
    writes[proposal_key(event.body.proposal)] = proposal
    return writes


def stated(view: View, proposal: dict[str, Any], event: Event) -> dict[str, Any]:
    """The proposal with the close's (or settle's) outcome statement, if it makes one."""
    body: Close = event.body
    if not body.outcome and body.review_at is None:
        return proposal
    if not may_close(view, proposal, event.author):
        raise Ineffective(OUTCOME_BY_PROPOSER)
    return {**proposal, "outcome": body.outcome, "review_at": body.review_at}


def _opened(body: Open, words: Words) -> Line:
    return Line(
        N_("{who} opened the proposal '{title}' ({kind})"),
        {"title": body.title, "kind": word(body.kind)},
    )


def _objected(body: "Object", words: Words) -> Line:
    return Line(
        N_("{who} objected to '{what}': {reason}"),
        {"what": words.title(body.proposal), "reason": body.reason},
    )


@event_type("proposal.open", Open, summary=_opened)
def open_proposal(view: View, event: Event) -> Writes:
    body: Open = event.body
    charter = charter_of(view)
    rule = rule_for(charter, body.kind)
    if body.kind != "charter":  # the rules themselves can be challenged by anyone
        require(view, rule["propose"], rule["min_contributions"], event)
    method = rule["method"] if body.method is None else to_builtins(body.method)
    name = method["name"]
    if name not in ADVISORY and method != rule["method"]:
        raise Ineffective(METHOD_FIXED, kind=body.kind, method=rule["method"]["name"])
    if problem := check_options(name, body.options):
        raise Ineffective(INVALID_OPTIONS, problem=problem.record())
    if body.hidden and name in BY_OBJECTION:
        raise Ineffective(OBJECTIONS_PUBLIC)
    if body.effect is not None:
        kind = EFFECT_KINDS.get(type(body.effect), "charter")
        if name in ADVISORY:
            raise Ineffective(ADVISORY_EFFECT)
        if kind != body.kind:
            raise Ineffective(EFFECT_KIND, kind=kind)
        apply_effect(charter, body.effect)  # refuse at once what could not apply now
    if name in MAINTAINERS_DECIDE:  # never more than there are maintainers
        k = 1 if name == "single_maintainer" else method["k"] or charter["threshold"]
        method = {**method, "k": min(k, len(charter["maintainers"]))}
    record = {
        "author": event.author,
        "title": body.title,
        "text": body.text,
        "kind": body.kind,
        "rule": {key: rule[key] for key in ("propose", "eligible", "min_contributions")},
        "method": method,
        "options": list(body.options),
        "closes_at": body.closes_at,
        "effect": to_builtins(body.effect) if body.effect is not None else None,
        "about": body.about,
        "hidden": body.hidden,
        "state": "open",
        "ballots": {},
        "commitments": {},
        "objections": {},
        "closed": None,
        "settled": None,
        "result": None,
        "effect_status": None,
        "outcome": "",
        "review_at": None,
        "order": sequence(view, event),
        "time": event.time,
    }
    return {proposal_key(event.id): record}


def take_part(view: View, event: Event, proposal: dict[str, Any]) -> None:
    require_open(proposal, event)
    rule = proposal["rule"]
    require(view, rule["eligible"], rule["min_contributions"], event)


@event_type("proposal.vote", Vote, summary=acting(N_("{who} voted on '{what}'")))
def vote(view: View, event: Event) -> Writes:
    body: Vote = event.body
    proposal = load(view, body.proposal)
    take_part(view, event, proposal)
    if proposal["hidden"]:
        raise Ineffective(HIDDEN_BALLOTS)
    return count(event, proposal)


@event_type("proposal.commit", Commit, summary=acting(N_("{who} cast a hidden ballot on '{what}'")))
def commit(view: View, event: Event) -> Writes:
    body: Commit = event.body
    proposal = load(view, body.proposal)
    take_part(view, event, proposal)
    if not proposal["hidden"]:
        raise Ineffective(PUBLIC_NO_COMMIT)
    commitments = {
        **proposal["commitments"],
        event.author: entry(event, commitment=body.commitment),
    }
    return {proposal_key(body.proposal): {**proposal, "commitments": commitments}}


@event_type("proposal.reveal", Reveal, summary=acting(N_("{who} revealed a ballot on '{what}'")))
def reveal(view: View, event: Event) -> Writes:
    body: Reveal = event.body
    proposal = load(view, body.proposal)
    if not proposal["hidden"]:
        raise Ineffective(PUBLIC_NO_REVEAL)
    if proposal["state"] == "open":
        raise Ineffective(REVEAL_AFTER_CLOSE)
    if proposal["state"] != "closed":
        raise Ineffective(ALREADY_SETTLED, settler=proposal["settled"]["event"])
    committed = proposal["commitments"].get(event.author)
    if committed is None:
        raise Ineffective(NO_COMMITMENT)
    if event.author in proposal["ballots"]:
        raise Ineffective(ALREADY_REVEALED)
    if commitment(body.proposal, event.author, body.ballot, body.salt) != committed["commitment"]:
        raise Ineffective(COMMITMENT_MISMATCH)
    return count(event, proposal)


@event_type("proposal.object", Object, summary=_objected)
def object_(view: View, event: Event) -> Writes:
    body: Object = event.body
    proposal = load(view, body.proposal)
    take_part(view, event, proposal)
    if proposal["method"]["name"] not in BY_OBJECTION:
        raise Ineffective(VOTE_INSTEAD, method=proposal["method"]["name"])
    mine = proposal["objections"].get(event.author)
    if mine and not mine["withdrawn"]:
        raise Ineffective(ALREADY_OBJECTS)
    objection = entry(event, reason=body.reason, withdrawn=False, note="")
    objections = {**proposal["objections"], event.author: objection}
    return {proposal_key(body.proposal): {**proposal, "objections": objections}}


@event_type(
    "proposal.withdraw_objection",
    WithdrawObjection,
    summary=acting(N_("{who} withdrew an objection to '{what}'")),
)
def withdraw_objection(view: View, event: Event) -> Writes:
    body: WithdrawObjection = event.body
    proposal = load(view, body.proposal)
    require_open(proposal, event)
    mine = proposal["objections"].get(event.author)
    if not mine or mine["withdrawn"]:
        raise Ineffective(NO_OBJECTION_STANDING)
    objection = {**mine, "withdrawn": True, "note": body.note}
    objections = {**proposal["objections"], event.author: objection}
    return {proposal_key(body.proposal): {**proposal, "objections": objections}}


@event_type("proposal.close", Close, summary=acting(N_("{who} closed '{what}'")))
def close(view: View, event: Event) -> Writes:
    proposal = load(view, event.body.proposal)
    if proposal["state"] != "open":
        raise Ineffective(ALREADY_CLOSED)
    name = proposal["method"]["name"]
    if name not in BY_OBJECTION and not may_close(view, proposal, event.author):
        raise Ineffective(NOT_PROPOSER, action=event.type)
    early = event.time < proposal["closes_at"]
    reached = name in MAINTAINERS_DECIDE and not proposal["hidden"]
    if early and not (reached and current(view, proposal).outcome == "passed"):
        raise Ineffective(CLOSES_LATER, closes=proposal["closes_at"], at=event.time)
    proposal = stated(view, proposal, event)
    proposal = {**proposal, "closed": entry(event, by=event.author)}
    if proposal["hidden"]:
        return {proposal_key(event.body.proposal): {**proposal, "state": "closed"}}
    return decide(view, event, proposal)


@event_type("proposal.settle", Close, summary=acting(N_("{who} settled '{what}'")))
def settle(view: View, event: Event) -> Writes:
    proposal = load(view, event.body.proposal)
    if not proposal["hidden"]:
        raise Ineffective(PUBLIC_NO_SETTLE)
    if proposal["state"] == "open":
        raise Ineffective(STILL_OPEN)
    if proposal["state"] != "closed":
        raise Ineffective(SETTLED_ALREADY)
    hidden = sum(1 for did in proposal["commitments"] if did not in proposal["ballots"])
    deadline = proposal["closed"]["time"] + proposal["method"]["reveal_hours"] * HOUR
    if hidden and event.time < deadline:
        raise Ineffective(REVEALS_PENDING, hidden=hidden, until=deadline)
    proposal = stated(view, proposal, event)
    return decide(view, event, {**proposal, "settled": entry(event, by=event.author)})
