"""The tallies on known ballots: every method, quorums, ties, blocks, instant-runoff rounds
and hidden ballots never revealed (abstentions)."""

from fractions import Fraction

import pytest

from communs.domain.refusals import sentence
from communs.domain.tally import (
    ADVISORY,
    BINDING,
    Objection,
    Round,
    advice,
    check_ballot,
    check_options,
    consensus,
    consent,
    dot_vote,
    k_of_n,
    lazy_consensus,
    majority,
    multiple_choice,
    ranked_choice,
    score,
    single_choice,
    supermajority,
    tally,
    time_poll,
)

ABC = ("A", "B", "C")


# -- majority and supermajority --------------------------------------------------------------


def test_majority_needs_more_yes_than_no():
    result = majority(["yes", "yes", "no", "abstain"])
    assert result.outcome == "passed" and sentence(result.reason) == "2 yes against 1 no"
    assert result.counts == {"yes": 2, "no": 1, "abstain": 1} and result.participants == 4
    tie = majority(["yes", "no"])
    assert tie.outcome == "failed"
    assert sentence(tie.reason) == "1 yes against 1 no: a majority needs more yes than no"
    assert majority([]).outcome == "failed"
    assert majority(["abstain", "abstain"]).outcome == "failed"


def test_quorum_counts_everyone_who_took_part_abstentions_included():
    short = majority(["yes", "yes"], quorum=3)
    assert short.outcome == "failed"
    assert sentence(short.reason) == "quorum not reached: 2 took part, 3 needed"
    assert short.counts == {"yes": 2, "no": 0, "abstain": 0}
    # Two hidden ballots never revealed count as abstentions: present, but neither yes nor no.
    met = majority(["yes", "yes"], quorum=3, abstentions=2)
    assert met.outcome == "passed" and met.participants == 4
    assert met.counts == {"yes": 2, "no": 0, "abstain": 2}
    assert majority(["yes", "abstain", "abstain"], quorum=3).outcome == "passed"
    assert supermajority(["yes"] * 5, num=2, den=3, quorum=6).outcome == "failed"
    assert (
        sentence(consensus(["agree"], quorum=2).reason)
        == "quorum not reached: 1 took part, 2 needed"
    )


def test_supermajority_is_at_least_the_fraction_of_yes_and_no():
    two_thirds = {"num": 2, "den": 3}
    passed = supermajority(["yes", "yes", "no"], **two_thirds)
    assert (
        passed.outcome == "passed" and sentence(passed.reason) == "2 yes of 3 yes or no, 2/3 needed"
    )
    assert supermajority(["yes", "no"], **two_thirds).outcome == "failed"
    assert supermajority(["yes"] * 3 + ["no"] * 2, **two_thirds).outcome == "failed"
    # Abstentions and unrevealed ballots stay out of the ratio.
    assert (
        supermajority(["yes", "yes", "no", "abstain"], **two_thirds, abstentions=5).outcome
        == "passed"
    )
    assert supermajority(["yes", "no"], num=1, den=2).outcome == "passed"  # at least half
    assert supermajority(["yes"] * 3 + ["no"], num=3, den=4).outcome == "passed"
    assert supermajority([], num=1, den=2).outcome == "failed"  # no yes at all
    assert supermajority(["abstain"], num=1, den=2).outcome == "failed"
    unanimous = supermajority(["yes"] * 9 + ["no"], num=1, den=1)
    assert unanimous.outcome == "failed"


# -- k of n ----------------------------------------------------------------------------------


def test_k_of_n_passes_with_k_approvals_and_fails_when_k_is_out_of_reach():
    assert k_of_n(["yes", "yes"], k=2, n=3).outcome == "passed"
    waiting = k_of_n(["yes"], k=2, n=3)
    assert waiting.outcome == "undecided" and sentence(waiting.reason) == "1 approval, 2 needed"
    lost = k_of_n(["yes", "no"], k=2, n=2)
    assert lost.outcome == "failed"
    assert sentence(lost.reason) == "1 approval, 2 needed, and only 0 may still approve"
    # An unrevealed commitment is an abstention: it will never approve.
    assert k_of_n(["yes"], k=2, n=2, abstentions=1).outcome == "failed"
    assert k_of_n(["yes", "no"], k=2).outcome == "undecided"  # n unknown: anyone may come
    assert k_of_n([], k=1, n=1).outcome == "undecided"
    assert tally({"name": "single_maintainer"}, ["yes"], n=5).outcome == "passed"


# -- objections ------------------------------------------------------------------------------


def test_lazy_consensus_passes_unless_an_objection_stands():
    assert lazy_consensus([]).outcome == "passed"
    assert sentence(lazy_consensus([]).reason) == "no objection stands"
    failed = lazy_consensus([Objection("b", "too soon"), Objection("a", "costly")])
    assert failed.outcome == "failed"
    assert sentence(failed.reason) == "2 objections stand: costly; too soon"
    assert failed.counts == {"objections": 2, "standing": 2}
    withdrawn = lazy_consensus([Objection("a", "costly", withdrawn=True)])
    assert withdrawn.outcome == "passed"


def test_consent_passes_when_no_unresolved_objection_remains():
    assert consent([]).outcome == "passed"
    open_ = consent([Objection("a", "unsafe"), Objection("b", "fine now", withdrawn=True)])
    assert open_.outcome == "undecided"
    assert sentence(open_.reason) == "1 unresolved objection: unsafe"
    assert open_.counts == {"objections": 2, "unresolved": 1}
    resolved = consent([Objection("a", "unsafe", True), Objection("b", "x", True)])
    assert resolved.outcome == "passed"
    assert sentence(resolved.reason) == "no unresolved objection remains (2 resolved)"


def test_consensus_fails_on_any_block_and_needs_one_agree():
    result = consensus(["agree", "agree", "disagree", "stand_aside"])
    assert result.outcome == "passed"
    assert sentence(result.reason) == "2 agree, 1 with reservations, no block"
    blocked = consensus(["agree"] * 10 + ["block"])
    assert blocked.outcome == "failed" and sentence(blocked.reason) == "blocked by 1"
    assert blocked.counts == {"agree": 10, "stand_aside": 0, "disagree": 0, "block": 1}
    assert sentence(consensus(["stand_aside", "disagree"]).reason) == "nobody agreed"
    # Unrevealed ballots stand aside: they neither block nor agree.
    hidden = consensus(["agree"], abstentions=2)
    assert hidden.outcome == "passed" and hidden.counts["stand_aside"] == 2


# -- polls -----------------------------------------------------------------------------------


def test_single_choice_winner_tie_no_ballots_and_quorum():
    result = single_choice([0, 1, 1, 2], ABC)
    assert result.outcome == "passed" and result.winners == ("B",)
    assert result.counts == {"A": 1, "B": 2, "C": 1} and sentence(result.reason) == "B comes first"
    tie = single_choice([0, 2], ABC)
    assert tie.outcome == "undecided" and tie.winners == ("A", "C")
    assert sentence(tie.reason) == "tie between A, C"
    empty = single_choice([], ABC)
    assert (
        empty.outcome == "failed" and sentence(empty.reason) == "no ballots" and empty.winners == ()
    )
    short = single_choice([0], ABC, quorum=2)
    assert short.outcome == "failed" and short.counts == {"A": 1, "B": 0, "C": 0}
    # Commitments never revealed: present for the quorum, no choice counted.
    hidden = single_choice([0], ABC, quorum=2, abstentions=1)
    assert hidden.outcome == "passed" and hidden.participants == 2
    only_hidden = single_choice([], ABC, abstentions=3)
    assert only_hidden.outcome == "undecided" and only_hidden.winners == ABC


def test_multiple_choice_counts_every_choice():
    result = multiple_choice([[0, 1], [1], [1, 2], [0, 2]], ABC)
    assert result.counts == {"A": 2, "B": 3, "C": 2} and result.winners == ("B",)
    tie = multiple_choice([[0, 1, 2]], ABC)
    assert tie.outcome == "undecided" and tie.winners == ABC


def test_score_takes_the_best_average_as_a_fraction():
    result = score([[5, 3, 0], [4, 3, 1], [0, 4, 5]], ABC)
    assert result.counts == {"A": 9, "B": 10, "C": 6}
    assert result.averages == {"A": Fraction(3), "B": Fraction(10, 3), "C": Fraction(2)}
    assert result.winners == ("B",) and result.outcome == "passed"
    assert result.record()["averages"] == {"A": [3, 1], "B": [10, 3], "C": [2, 1]}
    tie = score([[1, 1, 0]], ABC)
    assert tie.outcome == "undecided" and tie.winners == ("A", "B")
    assert score([], ABC).outcome == "failed"
    assert score([[2, 0, 0]], ABC, abstentions=3).averages["A"] == 2  # over ballots cast


def test_dot_vote_sums_the_dots():
    result = dot_vote([[3, 0, 0], [0, 2, 1], [1, 1, 1]], ABC)
    assert result.counts == {"A": 4, "B": 3, "C": 2} and result.winners == ("A",)
    assert dot_vote([[1, 1, 0]], ABC).winners == ("A", "B")


def test_time_poll_most_yes_then_most_if_need_be():
    slots = ("Mon 10:00", "Tue 14:00", "Wed 09:00")
    ballots = [
        ["yes", "yes", "no"],
        ["if_need_be", "yes", "yes"],
        ["yes", "no", "yes"],
        ["yes", "if_need_be", "if_need_be"],
    ]
    result = time_poll(ballots, slots)
    assert result.counts == {"Mon 10:00": 3, "Tue 14:00": 2, "Wed 09:00": 2}
    assert result.if_need_be == {"Mon 10:00": 1, "Tue 14:00": 1, "Wed 09:00": 1}
    assert result.winners == ("Mon 10:00",)
    by_maybe = time_poll([["yes", "yes", "no"], ["no", "if_need_be", "no"]], slots)
    assert by_maybe.winners == ("Tue 14:00",) and by_maybe.outcome == "passed"
    tie = time_poll([["yes", "yes", "no"]], slots)
    assert tie.outcome == "undecided" and tie.winners == ("Mon 10:00", "Tue 14:00")
    assert tie.record()["counts"] == {"Mon 10:00": 1, "Tue 14:00": 1, "Wed 09:00": 0}


def test_advice_leaves_the_decision_to_the_proposer():
    result = advice(["go ahead", "mind the budget"], abstentions=1)
    assert result.outcome == "undecided" and result.counts == {"advice": 2}
    assert sentence(result.reason) == "2 pieces of advice; the proposer decides"
    assert result.participants == 3


# -- ranked choice (instant runoff) ----------------------------------------------------------


def test_irv_first_round_majority_wins_at_once():
    result = ranked_choice([[0, 1], [0], [0, 2], [1, 0], [2]], ABC)
    assert result.outcome == "passed" and result.winners == ("A",)
    assert result.rounds == (Round({"A": 3, "B": 1, "C": 1}, 0),)
    assert sentence(result.reason) == "A wins in round 1 with 3 of 5 ballots"


def test_irv_eliminations_transfer_ballots_until_a_majority():
    # A leads on first preferences, but C's voters prefer B.
    ballots = [[0]] * 4 + [[1, 0]] * 3 + [[2, 1]] * 2
    result = ranked_choice(ballots, ABC)
    assert result.rounds == (
        Round({"A": 4, "B": 3, "C": 2}, 0, "C"),
        Round({"A": 4, "B": 5}, 0),
    )
    assert result.winners == ("B",) and result.outcome == "passed"
    assert result.counts == {"A": 4, "B": 3, "C": 2}  # first preferences
    assert result.record()["rounds"][0] == {
        "counts": {"A": 4, "B": 3, "C": 2},
        "exhausted": 0,
        "eliminated": "C",
    }


def test_irv_exhausted_ballots_leave_the_majority_to_the_others():
    options = ("A", "B", "C", "D")
    ballots = [[0]] * 3 + [[1]] * 2 + [[2, 1]] * 1 + [[3]] * 1
    result = ranked_choice(ballots, options)
    # Round 1: A3 B2 C1 D1 (7). C and D tie for last with the same history: D (listed last)
    # goes, its ballot exhausted. Round 2: A3 B2 C1: C goes, its ballot to B. Round 3: A3 B3
    # of 6: the first round parts them (B had 2): B goes, and A is the last one left.
    assert result.rounds[0] == Round({"A": 3, "B": 2, "C": 1, "D": 1}, 0, "D")
    assert result.rounds[1] == Round({"A": 3, "B": 2, "C": 1}, 1, "C")
    assert result.rounds[2] == Round({"A": 3, "B": 3}, 1, "B")
    assert result.rounds[3] == Round({"A": 3}, 4)
    assert sentence(result.reason) == "A wins in round 4 with 3 of 3 ballots"
    assert result.winners == ("A",) and result.outcome == "passed"


def test_irv_ties_for_last_go_to_earlier_rounds_first_preferences_first():
    options = ("A", "B", "C", "D")
    # Round 1: A 4, B 3, C 2, D 2 -> C and D tie, same history: D (listed last) goes.
    # D's ballots go to B: round 2: A 4, B 5, C 2 -> C goes; C's to A: round 3: A 6, B 5.
    ballots = [[0]] * 4 + [[1]] * 3 + [[2, 0]] * 2 + [[3, 1]] * 2
    result = ranked_choice(ballots, options)
    assert [r.eliminated for r in result.rounds] == ["D", "C", None]
    assert result.winners == ("A",)
    # A tie for last in round 2 parted by round 1: C had fewer first preferences than B.
    ballots = [[0]] * 5 + [[1]] * 3 + [[2]] * 2 + [[3, 2]] * 1 + [[4, 2]] * 1
    five = ("A", "B", "C", "D", "E")
    result = ranked_choice(ballots, five)
    # Round 1: A5 B3 C2 D1 E1 -> E goes (listed after D); round 2: A5 B3 C3 D1 -> D goes;
    # round 3: A5 B3 C4 -> B goes (fewest). Round 4: A5 C4 plus B's 3 exhausted: A wins.
    assert [r.eliminated for r in result.rounds] == ["E", "D", "B", None]
    assert result.rounds[2].counts == {"A": 5, "B": 3, "C": 4}
    assert result.winners == ("A",) and result.rounds[-1].exhausted == 3


def test_irv_tie_for_last_parted_by_first_preferences():
    # Round 1: A3 C1 B2 D1 -> D goes (listed last), its ballot to C. Round 2: A3 C2 B2: C and
    # B tie for last; in round 1 C had fewer (1 < 2), so C goes, although option order alone
    # would have removed B (listed after C).
    options = ("A", "C", "B", "D")
    ballots = [[0]] * 3 + [[2]] * 2 + [[1]] + [[3, 1]]
    result = ranked_choice(ballots, options)
    assert result.rounds[1].counts == {"A": 3, "C": 2, "B": 2}
    assert result.rounds[1].eliminated == "C"
    assert result.rounds[2].counts == {"A": 3, "B": 2} and result.winners == ("A",)


def test_irv_a_true_tie_is_undecided():
    result = ranked_choice([[0, 1], [1, 0]], ("A", "B"))
    assert result.outcome == "undecided" and result.winners == ("A", "B")
    assert sentence(result.reason) == "tie in round 1 between A, B"
    three = ranked_choice([[0], [1], [2, 0]], ABC)
    assert three.rounds == (Round({"A": 1, "B": 1, "C": 1}, 0),)
    assert three.outcome == "undecided" and three.winners == ABC
    # Tied for last but not all: the one listed last goes (B), then C wins.
    assert ranked_choice([[0], [1], [2], [2, 0]], ABC).winners == ("C",)
    # A final tie parted by an earlier round is no tie. Round 1: A2 B1 C1 -> C goes (listed
    # last), its ballot to B; round 2: A2 B2, but B had fewer in round 1: B goes, A wins.
    parted = ranked_choice([[0], [0], [1], [2, 1]], ABC)
    assert [r.eliminated for r in parted.rounds] == ["C", "B", None]
    assert parted.winners == ("A",) and parted.outcome == "passed"


def test_irv_no_ballots_quorum_and_hidden_abstentions():
    assert ranked_choice([], ABC).outcome == "failed"
    short = ranked_choice([[0]], ABC, quorum=2)
    assert short.outcome == "failed" and sentence(short.reason).startswith("quorum not reached")
    hidden = ranked_choice([[0]], ABC, quorum=2, abstentions=1)
    assert hidden.outcome == "passed" and hidden.winners == ("A",)


# -- ballots and options ---------------------------------------------------------------------


PARAMS = {"max_choices": 2, "max_score": 5, "dots": 4}


@pytest.mark.parametrize(
    ("method", "ballot", "problem"),
    [
        ("majority", "yes", None),
        ("majority", "maybe", "the ballot must be yes, no or abstain"),
        ("k_of_n", 1, "the ballot must be yes, no or abstain"),
        ("consensus", "block", None),
        ("consensus", "yes", "the ballot must be agree, stand_aside, disagree, block"),
        ("lazy_consensus", "yes", "lazy consensus decides by objections: object instead of voting"),
        ("consent", "no", "consent decides by objections: object instead of voting"),
        ("advice", "do it", None),
        ("advice", "", "advice is a text of 1 to 20000 characters"),
        ("single_choice", 2, None),
        ("single_choice", 3, "the ballot must be an option number from 0 to 2"),
        ("single_choice", True, "the ballot must be an option number from 0 to 2"),
        ("single_choice", "A", "the ballot must be an option number from 0 to 2"),
        ("multiple_choice", [0, 2], None),
        ("multiple_choice", [0, 1, 2], "at most 2 choices"),
        ("multiple_choice", [0, 0], "the ballot must list distinct options, at least one"),
        ("multiple_choice", [], "the ballot must list distinct options, at least one"),
        ("multiple_choice", 1, "the ballot must be a list"),
        ("ranked_choice", [2, 0, 1], None),
        ("ranked_choice", [3], "options are numbered from 0 to 2"),
        ("ranked_choice", ["A"], "the ballot must be a list of integers"),
        ("score", [5, 0, 3], None),
        ("score", [6, 0, 3], "scores go from 0 to 5"),
        ("score", [1, 2], "the ballot must give a number, 0 or more, for every option"),
        ("score", [1, -1, 2], "the ballot must give a number, 0 or more, for every option"),
        ("dot_vote", [2, 2, 0], None),
        ("dot_vote", [2, 2, 1], "place from 1 to 4 dots"),
        ("dot_vote", [0, 0, 0], "place from 1 to 4 dots"),
        ("time_poll", ["yes", "no", "if_need_be"], None),
        ("time_poll", ["yes", "no"], "the ballot must say yes, if_need_be or no for every slot"),
        (
            "time_poll",
            ["yes", "no", "perhaps"],
            "the ballot must say yes, if_need_be or no for every slot",
        ),
    ],
)
def test_check_ballot(method, ballot, problem):
    assert sentence(check_ballot(method, ballot, PARAMS, 3)) == problem


def test_check_options():
    assert check_options("single_choice", ["A", "B"]) is None
    assert (
        sentence(check_options("time_poll", ["Mon"]))
        == "time poll: a poll needs at least two options"
    )
    assert sentence(check_options("score", ["A", "A"])) == "options must be distinct"
    assert sentence(check_options("majority", ["A", "B"])) == "majority takes no options"
    assert check_options("advice", []) is None


def test_every_method_has_a_tally():
    method = {"name": "", "quorum": 0, "k": 1, "threshold": {"num": 2, "den": 3}}
    ballots = {
        "advice": "ok",
        "single_choice": 0,
        "time_poll": ["yes", "no"],
        "consensus": "agree",
        "lazy_consensus": None,
        "consent": None,
    }
    for name in BINDING + ADVISORY:
        ballot = ballots.get(name, "yes" if name in BINDING else [0, 1])
        result = tally(
            {**method, "name": name}, [ballot] if ballot is not None else [], options=("A", "B")
        )
        assert result.outcome in ("passed", "failed", "undecided"), name
        assert isinstance(sentence(result.record()["reason"]), str)
