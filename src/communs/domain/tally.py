"""Tallies: how each decision method turns ballots into a result, as pure functions.

Binding methods decide (a proposal passes or fails); advisory polls inform whoever decides.
Every function takes the counted ballots (in any order: none depends on it), the number of
``abstentions`` to add (hidden ballots committed but never revealed count as abstentions),
and its parameters; it returns a ``Result``: ``passed``, ``failed`` or ``undecided`` (the
ballots do not settle it yet, or a tie), the counts, the winner(s) and why
(a code and its parameters, see ``refusals``).
Thresholds are integer fractions, never floats; averages are exact ``Fraction``s.

Binding:

- ``majority``: more yes than no. ``supermajority``: yes / (yes + no) at least num/den.
  Abstentions count towards the quorum (how many take part) but not in the ratio.
- ``k_of_n`` (and ``single_maintainer``, k = 1): passes with k yes; fails once the yes that
  could still come (n minus those who said no or abstained) cannot reach k.
- ``lazy_consensus``: passes unless an objection stands (one not withdrawn).
- ``consent``: passes when no unresolved objection remains; an objection is resolved when
  its author withdraws it; while one remains, the result is undecided.
- ``consensus``: agree, stand aside, disagree or block; any block fails it, and it passes
  with no block and at least one agree (disagreeing is a reservation, not a veto).

Advisory (the winners are the options with the best count; a tie is undecided, no ballot or
a missed quorum is failed):

- ``advice``: each ballot is a piece of advice; the proposer decides (always undecided).
- ``single_choice`` (an option index), ``multiple_choice`` (distinct indices, at most
  ``max_choices`` when not 0), ``dot_vote`` (dots per option, at most ``dots`` in all).
- ``score``: a score from 0 to ``max_score`` for every option; the best average wins.
- ``ranked_choice``: instant runoff. Each round counts every ballot for its highest-ranked
  option still in the race; an option with more than half of the ballots not yet exhausted
  wins (so does the last one left). Otherwise the option with the fewest ballots is
  eliminated. Ties for the fewest go to the earlier rounds, first preferences first: the
  option with fewer ballots in the first round where the tied options differ is eliminated;
  if they never differed, the option listed last is. When every option left is tied and the
  earlier rounds do not part them, the result is a tie (undecided).
- ``time_poll``: yes, if need be or no for every slot; the best slot has the most yes, then
  the most "if need be".
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from .refusals import Refusal, code, plural_code, refusal

Outcome = Literal["passed", "failed", "undecided"]
BINDING = (
    "single_maintainer",
    "k_of_n",
    "lazy_consensus",
    "consent",
    "consensus",
    "majority",
    "supermajority",
)
ADVISORY = (
    "advice",
    "single_choice",
    "multiple_choice",
    "score",
    "ranked_choice",
    "dot_vote",
    "time_poll",
)
BY_OBJECTION = ("lazy_consensus", "consent")
WITH_OPTIONS = ("single_choice", "multiple_choice", "score", "ranked_choice", "dot_vote")
YES_NO = ("yes", "no", "abstain")
CONSENSUS = ("agree", "stand_aside", "disagree", "block")
AVAILABILITY = ("yes", "if_need_be", "no")
MAX_ADVICE = 20_000


QUORUM_MISSED = code(
    "quorum_missed", "quorum not reached: {participants} took part, {quorum} needed"
)
MAJORITY_FOR = code("majority_for", "{yes} yes against {no} no")
MAJORITY_AGAINST = code(
    "majority_against", "{yes} yes against {no} no: a majority needs more yes than no"
)
SHARE = code("share", "{yes} yes of {voters} yes or no, {num}/{den} needed")
APPROVALS = plural_code(
    "approvals", "{yes} approval, {k} needed", "{yes} approvals, {k} needed", "yes"
)
APPROVALS_OUT_OF_REACH = plural_code(
    "approvals_out_of_reach",
    "{yes} approval, {k} needed, and only {left} may still approve",
    "{yes} approvals, {k} needed, and only {left} may still approve",
    "yes",
)
OBJECTIONS_STAND = plural_code(
    "objections_stand",
    "{count} objection stands: {reasons:lines}",
    "{count} objections stand: {reasons:lines}",
    "count",
)
NO_OBJECTION = code("no_objection", "no objection stands")
OBJECTIONS_UNRESOLVED = plural_code(
    "objections_unresolved",
    "{count} unresolved objection: {reasons:lines}",
    "{count} unresolved objections: {reasons:lines}",
    "count",
)
OBJECTIONS_RESOLVED = code(
    "objections_resolved", "no unresolved objection remains ({resolved} resolved)"
)
BLOCKED = code("blocked", "blocked by {blocks}")
NOBODY_AGREED = code("nobody_agreed", "nobody agreed")
CONSENSUS_REACHED = code(
    "consensus_reached", "{agree} agree, {disagree} with reservations, no block"
)
NO_BALLOTS = code("no_ballots", "no ballots")
COMES_FIRST = code("comes_first", "{option} comes first")
TIE = code("tie", "tie between {options}")
ADVICE_GIVEN = plural_code(
    "advice_given",
    "{count} piece of advice; the proposer decides",
    "{count} pieces of advice; the proposer decides",
    "count",
)
WINS_IN_ROUND = code(
    "wins_in_round", "{option} wins in round {round} with {votes} of {active} ballots"
)
TIE_IN_ROUND = code("tie_in_round", "tie in round {round} between {options}")
# Why a poll or a ballot does not fit its method.
OPTIONS_NOT_DISTINCT = code("options_not_distinct", "options must be distinct")
TOO_FEW_OPTIONS = code("too_few_options", "{method:word}: a poll needs at least two options")
NO_OPTIONS_TAKEN = code("no_options_taken", "{method:word} takes no options")
OBJECT_INSTEAD = code(
    "object_instead", "{method:word} decides by objections: object instead of voting"
)
BALLOT_YES_NO = code("ballot_yes_no", "the ballot must be yes, no or abstain")
BALLOT_CONSENSUS = code("ballot_consensus", "the ballot must be {choices}")
BALLOT_ADVICE = code("ballot_advice", "advice is a text of 1 to {most} characters")
BALLOT_OPTION = code("ballot_option", "the ballot must be an option number from 0 to {last}")
BALLOT_LIST = code("ballot_list", "the ballot must be a list")
BALLOT_SLOTS = code("ballot_slots", "the ballot must say yes, if_need_be or no for every slot")
BALLOT_INTEGERS = code("ballot_integers", "the ballot must be a list of integers")
BALLOT_DISTINCT = code("ballot_distinct", "the ballot must list distinct options, at least one")
BALLOT_RANGE = code("ballot_range", "options are numbered from 0 to {last}")
BALLOT_TOO_MANY = code("ballot_too_many", "at most {most} choices")
BALLOT_NUMBERS = code(
    "ballot_numbers", "the ballot must give a number, 0 or more, for every option"
)
BALLOT_SCORES = code("ballot_scores", "scores go from 0 to {most}")
BALLOT_DOTS = code("ballot_dots", "place from 1 to {most} dots")


@dataclass(frozen=True)
class Round:
    """One instant-runoff round: the ballots of each option still in the race."""

    counts: Mapping[str, int]
    exhausted: int
    eliminated: str | None = None


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    reason: Refusal
    counts: Mapping[str, int] = field(default_factory=dict)
    winners: tuple[str, ...] = ()
    participants: int = 0  # ballots counted, abstentions included
    averages: Mapping[str, Fraction] = field(default_factory=dict)  # score
    if_need_be: Mapping[str, int] = field(default_factory=dict)  # time_poll
    rounds: tuple[Round, ...] = ()  # ranked_choice

    def record(self) -> dict[str, Any]:
        """Plain CBOR-ready data: fractions as ``[numerator, denominator]``."""
        return {
            "outcome": self.outcome,
            "reason": self.reason.record(),
            "counts": dict(self.counts),
            "winners": list(self.winners),
            "participants": self.participants,
            "averages": {k: [v.numerator, v.denominator] for k, v in self.averages.items()},
            "if_need_be": dict(self.if_need_be),
            "rounds": [
                {"counts": dict(r.counts), "exhausted": r.exhausted, "eliminated": r.eliminated}
                for r in self.rounds
            ],
        }


@dataclass(frozen=True)
class Objection:
    by: str
    reason: str
    withdrawn: bool = False


def tally_of(ballots: Sequence[str], choices: tuple[str, ...], abstentions: int) -> dict:
    counts = dict.fromkeys(choices, 0)
    for ballot in ballots:
        counts[ballot] += 1
    if "abstain" in counts:
        counts["abstain"] += abstentions
    return counts


def missed(participants: int, quorum: int, counts: Mapping[str, int]) -> Result | None:
    if participants >= quorum:
        return None
    reason = refusal(QUORUM_MISSED, participants=participants, quorum=quorum)
    return Result("failed", reason, counts, participants=participants)


def majority(ballots: Sequence[str], *, quorum: int = 0, abstentions: int = 0) -> Result:
    """Yes, no or abstain: passes with more yes than no."""
    counts = tally_of(ballots, YES_NO, abstentions)
    people = len(ballots) + abstentions
    if result := missed(people, quorum, counts):
        return result
    yes, no = counts["yes"], counts["no"]
    if yes > no:
        return Result("passed", refusal(MAJORITY_FOR, yes=yes, no=no), counts, participants=people)
    reason = refusal(MAJORITY_AGAINST, yes=yes, no=no)
    return Result("failed", reason, counts, participants=people)


def supermajority(
    ballots: Sequence[str], *, num: int, den: int, quorum: int = 0, abstentions: int = 0
) -> Result:
    """Yes, no or abstain: passes when yes are at least num/den of the yes and no."""
    counts = tally_of(ballots, YES_NO, abstentions)
    people = len(ballots) + abstentions
    if result := missed(people, quorum, counts):
        return result
    yes, no = counts["yes"], counts["no"]
    share = refusal(SHARE, yes=yes, voters=yes + no, num=num, den=den)
    if yes and yes * den >= num * (yes + no):
        return Result("passed", share, counts, participants=people)
    return Result("failed", share, counts, participants=people)


def k_of_n(ballots: Sequence[str], *, k: int, n: int | None = None, abstentions: int = 0) -> Result:
    """Yes, no or abstain: passes with ``k`` yes among ``n`` (None: any number) who may vote."""
    counts = tally_of(ballots, YES_NO, abstentions)
    people = len(ballots) + abstentions
    yes = counts["yes"]
    if yes >= k:
        return Result("passed", refusal(APPROVALS, yes=yes, k=k), counts, participants=people)
    if n is not None and n - (people - yes) < k:
        reason = refusal(APPROVALS_OUT_OF_REACH, yes=yes, k=k, left=n - people)
        return Result("failed", reason, counts, participants=people)
    return Result("undecided", refusal(APPROVALS, yes=yes, k=k), counts, participants=people)


def standing(objections: Sequence[Objection]) -> list[Objection]:
    return sorted((o for o in objections if not o.withdrawn), key=lambda o: o.by)


def lazy_consensus(objections: Sequence[Objection]) -> Result:
    """Passes unless someone's objection stands."""
    left = standing(objections)
    counts = {"objections": len(objections), "standing": len(left)}
    if left:
        reasons = [o.reason for o in left]
        return Result("failed", refusal(OBJECTIONS_STAND, count=len(left), reasons=reasons), counts)
    return Result("passed", refusal(NO_OBJECTION), counts)


def consent(objections: Sequence[Objection]) -> Result:
    """Passes when every objection has been resolved (withdrawn by its author)."""
    left = standing(objections)
    counts = {"objections": len(objections), "unresolved": len(left)}
    if left:
        reasons = [o.reason for o in left]
        reason = refusal(OBJECTIONS_UNRESOLVED, count=len(left), reasons=reasons)
        return Result("undecided", reason, counts)
    resolved = len(objections)
    return Result("passed", refusal(OBJECTIONS_RESOLVED, resolved=resolved), counts)


def consensus(ballots: Sequence[str], *, quorum: int = 0, abstentions: int = 0) -> Result:
    """Agree, stand aside, disagree or block: any block fails it; one agree is needed."""
    counts = tally_of(ballots, CONSENSUS, 0)
    counts["stand_aside"] += abstentions
    people = len(ballots) + abstentions
    if result := missed(people, quorum, counts):
        return result
    if counts["block"]:
        reason = refusal(BLOCKED, blocks=counts["block"])
        return Result("failed", reason, counts, participants=people)
    if not counts["agree"]:
        return Result("failed", refusal(NOBODY_AGREED), counts, participants=people)
    reason = refusal(CONSENSUS_REACHED, agree=counts["agree"], disagree=counts["disagree"])
    return Result("passed", reason, counts, participants=people)


def best(
    values: Mapping[str, Any], options: Sequence[str], people: int, quorum: int, **extra: Any
) -> Result:
    """The options with the best value (in option order), or the tie, for a poll."""
    counts = extra.pop("counts", values)
    if not people:
        return Result("failed", refusal(NO_BALLOTS), counts, participants=0, **extra)
    if result := missed(people, quorum, counts):
        return Result(result.outcome, result.reason, counts, participants=people, **extra)
    top = max(values[o] for o in options)
    winners = tuple(o for o in options if values[o] == top)
    if len(winners) == 1:
        reason = refusal(COMES_FIRST, option=winners[0])
        return Result("passed", reason, counts, winners, people, **extra)
    reason = refusal(TIE, options=list(winners))
    return Result("undecided", reason, counts, winners, people, **extra)


def advice(ballots: Sequence[str], *, abstentions: int = 0) -> Result:
    """Pieces of advice: counted; the proposer decides and states the outcome."""
    reason = refusal(ADVICE_GIVEN, count=len(ballots))
    counts = {"advice": len(ballots)}
    return Result("undecided", reason, counts, participants=len(ballots) + abstentions)


def single_choice(
    ballots: Sequence[int], options: Sequence[str], *, quorum: int = 0, abstentions: int = 0
) -> Result:
    counts = dict.fromkeys(options, 0)
    for choice in ballots:
        counts[options[choice]] += 1
    return best(counts, options, len(ballots) + abstentions, quorum)


def multiple_choice(
    ballots: Sequence[Sequence[int]], options: Sequence[str], *, quorum=0, abstentions=0
) -> Result:
    counts = dict.fromkeys(options, 0)
    for choices in ballots:
        for choice in choices:
            counts[options[choice]] += 1
    return best(counts, options, len(ballots) + abstentions, quorum)


def dot_vote(
    ballots: Sequence[Sequence[int]], options: Sequence[str], *, quorum=0, abstentions=0
) -> Result:
    counts = {o: sum(b[i] for b in ballots) for i, o in enumerate(options)}
    return best(counts, options, len(ballots) + abstentions, quorum)


def score(
    ballots: Sequence[Sequence[int]], options: Sequence[str], *, quorum=0, abstentions=0
) -> Result:
    """Totals in ``counts``; the winner has the best average (over the ballots cast)."""
    counts = {o: sum(b[i] for b in ballots) for i, o in enumerate(options)}
    averages = {o: Fraction(counts[o], len(ballots) or 1) for o in options}
    people = len(ballots) + abstentions
    return best(averages, options, people, quorum, counts=counts, averages=averages)


def time_poll(
    ballots: Sequence[Sequence[str]], slots: Sequence[str], *, quorum=0, abstentions=0
) -> Result:
    """The slot most can attend (yes), then the one most can make if need be."""
    yes = {s: sum(b[i] == "yes" for b in ballots) for i, s in enumerate(slots)}
    maybe = {s: sum(b[i] == "if_need_be" for b in ballots) for i, s in enumerate(slots)}
    rank = {s: (yes[s], maybe[s]) for s in slots}
    people = len(ballots) + abstentions
    return best(rank, slots, people, quorum, counts=yes, if_need_be=maybe)


def eliminate(tied: list[str], rounds: list[Round], options: Sequence[str]) -> str | None:
    """Which of the tied options goes: fewest ballots in the first earlier round that parts
    them, else the one listed last; None when the earlier rounds never part them and
    ``tied`` holds every option left (a true tie)."""
    for earlier in rounds[:-1]:
        low = min(earlier.counts[o] for o in tied)
        fewest = [o for o in tied if earlier.counts[o] == low]
        if len(fewest) < len(tied):
            tied = fewest
            if len(tied) == 1:
                return tied[0]
    if set(tied) == set(rounds[-1].counts):
        return None
    return max(tied, key=options.index)


def ranked_choice(
    ballots: Sequence[Sequence[int]], options: Sequence[str], *, quorum=0, abstentions=0
) -> Result:
    """Instant runoff (see the module docstring for eliminations and ties)."""
    people = len(ballots) + abstentions
    first = {o: 0 for o in options}
    if not ballots:
        return Result("failed", refusal(NO_BALLOTS), first, participants=people)
    if result := missed(people, quorum, first):
        return result
    left = list(options)
    rounds: list[Round] = []
    while True:
        counts = dict.fromkeys(left, 0)
        exhausted = 0
        for ranking in ballots:
            top = next((options[i] for i in ranking if options[i] in counts), None)
            if top is None:
                exhausted += 1
            else:
                counts[top] += 1
        rounds.append(Round(counts, exhausted))
        active = len(ballots) - exhausted
        leader = max(left, key=lambda o: (counts[o], -options.index(o)))
        n = len(rounds)
        if counts[leader] * 2 > active or len(left) == 1:
            votes = counts[leader]
            reason = refusal(WINS_IN_ROUND, option=leader, round=n, votes=votes, active=active)
            return Result(
                "passed", reason, rounds[0].counts, (leader,), people, rounds=tuple(rounds)
            )
        low = min(counts.values())
        out = eliminate([o for o in left if counts[o] == low], rounds, options)
        if out is None:
            reason = refusal(TIE_IN_ROUND, round=n, options=list(left))
            return Result(
                "undecided", reason, rounds[0].counts, tuple(left), people, rounds=tuple(rounds)
            )
        rounds[-1] = Round(counts, exhausted, out)
        left.remove(out)


def check_options(method: str, options: Sequence[str]) -> Refusal | None:
    """Why a poll's options do not fit its method, or None."""
    if len(set(options)) != len(options):
        return refusal(OPTIONS_NOT_DISTINCT)
    if method in WITH_OPTIONS or method == "time_poll":
        if len(options) < 2:
            return refusal(TOO_FEW_OPTIONS, method=method)
    elif options:
        return refusal(NO_OPTIONS_TAKEN, method=method)
    return None


def check_ballot(
    method: str, ballot: Any, params: Mapping[str, Any], options: int
) -> Refusal | None:
    """Why a ballot does not fit the method (``params``: max_choices, max_score, dots), or
    None. ``options`` is how many options the poll has."""
    if method in BY_OBJECTION:
        return refusal(OBJECT_INSTEAD, method=method)
    if method in ("majority", "supermajority", "k_of_n", "single_maintainer"):
        return None if ballot in YES_NO else refusal(BALLOT_YES_NO)
    if method == "consensus":
        return None if ballot in CONSENSUS else refusal(BALLOT_CONSENSUS, choices=list(CONSENSUS))
    if method == "advice":
        ok = isinstance(ballot, str) and 0 < len(ballot) <= MAX_ADVICE
        return None if ok else refusal(BALLOT_ADVICE, most=MAX_ADVICE)
    if method == "single_choice":
        ok = type(ballot) is int and 0 <= ballot < options
        return None if ok else refusal(BALLOT_OPTION, last=options - 1)
    if not isinstance(ballot, list):
        return refusal(BALLOT_LIST)
    if method == "time_poll":
        ok = len(ballot) == options and all(b in AVAILABILITY for b in ballot)
        return None if ok else refusal(BALLOT_SLOTS)
    if not all(type(b) is int for b in ballot):
        return refusal(BALLOT_INTEGERS)
    if method in ("multiple_choice", "ranked_choice"):
        if not ballot or len(set(ballot)) != len(ballot):
            return refusal(BALLOT_DISTINCT)
        if not all(0 <= b < options for b in ballot):
            return refusal(BALLOT_RANGE, last=options - 1)
        most = params.get("max_choices", 0)
        if method == "multiple_choice" and most and len(ballot) > most:
            return refusal(BALLOT_TOO_MANY, most=most)
        return None
    if len(ballot) != options or any(b < 0 for b in ballot):
        return refusal(BALLOT_NUMBERS)
    if method == "score" and any(b > params["max_score"] for b in ballot):
        return refusal(BALLOT_SCORES, most=params["max_score"])
    if method == "dot_vote" and not 0 < sum(ballot) <= params["dots"]:
        return refusal(BALLOT_DOTS, most=params["dots"])
    return None


def tally(
    method: Mapping[str, Any],
    ballots: Sequence[Any],
    *,
    options: Sequence[str] = (),
    objections: Sequence[Objection] = (),
    abstentions: int = 0,
    n: int | None = None,
) -> Result:
    """The result under a method record (``name``, ``quorum``, ``k``, ``threshold``
    ``{num, den}``...) of ballots already checked with ``check_ballot``."""
    name, quorum = method["name"], method.get("quorum", 0)
    common = {"quorum": quorum, "abstentions": abstentions}
    if name in ("k_of_n", "single_maintainer"):
        k = 1 if name == "single_maintainer" else method["k"]
        return k_of_n(ballots, k=k, n=n, abstentions=abstentions)
    if name == "majority":
        return majority(ballots, **common)
    if name == "supermajority":
        ratio = method["threshold"]
        return supermajority(ballots, num=ratio["num"], den=ratio["den"], **common)
    if name == "lazy_consensus":
        return lazy_consensus(objections)
    if name == "consent":
        return consent(objections)
    if name == "consensus":
        return consensus(ballots, **common)
    if name == "advice":
        return advice(ballots, abstentions=abstentions)
    polls = {
        "single_choice": single_choice,
        "multiple_choice": multiple_choice,
        "score": score,
        "ranked_choice": ranked_choice,
        "dot_vote": dot_vote,
        "time_poll": time_poll,
    }
    return polls[name](ballots, options, **common)
