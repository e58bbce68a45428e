"""Distribution rounds: money of the treasury paid back to the people who made the commons.

A treasurer proposes a round: a budget in one currency and a policy (``domain/policies``).
The fold computes its shares there and then, from everyone's credit and what earlier rounds
paid them, and keeps them in the round: that is the preview everyone reads before the vote.
A binding proposal of kind ``distribution`` about the round decides it, by the charter's
rule for that kind; when it passes, each share is booked as owed to its person
(``expenses:distributions`` to ``liabilities:payable:<did>``), and a treasurer pays it like
any debt (``ledger.payout``). Until it is paid, a person may waive their share: it goes back
to the treasury, or to another commons they name, which the treasury then owes it
(``liabilities:payable:commons:<id>``). Shares always add up to the budget to the minor
unit, but for what a bucket policy leaves in the treasury.

Records: ``distribution/<id>`` (budget, currency, policy, month, shares, kept, state:
proposed, approved; the shares waived, and the commons each given one went to),
``distribution-paid/<currency>/<did>`` (what rounds gave each person, for the balanced
policy).
"""

from typing import Any

from ..core.events import Event
from ..i18n import N_
from .charter import sequence
from .credit import credit_key, everyone
from .fold import Ineffective, View, Writes, derives, event_type
from .governance import passed_about
from .lines import Line, Words
from .policies import Policy, split
from .refusals import code
from .schema import Body, Id, Title, check_did, to_builtins
from .treasury import (
    Amount,
    Currency,
    Day,
    Short,
    balance_key,
    journal,
    money,
    payable,
    require_treasurer,
)

Month = str  # YYYY-MM, checked below


class ProposeRound(Body, kw_only=True):
    title: Title
    budget: Amount
    currency: Currency
    policy: Policy
    month: Month  # the round's month: the "recent" policy counts credit's age from it

    def __post_init__(self) -> None:
        year, _, number = self.month.partition("-")
        if not (len(year) == 4 and year.isdigit() and number.isdigit() and 1 <= int(number) <= 12):
            raise ValueError("month: write it as YYYY-MM")


class Waive(Body, kw_only=True):
    round: Id
    to: Id | None = None  # a commons the share is given to; none: back to this treasury


class Payout(Body, kw_only=True):
    person: str = ""  # the person paid, or
    commons: Id | None = None  # the commons paid (a share given to it)
    amount: Amount
    currency: Currency
    date: Day
    account: str = "assets:bank"
    reference: Short = ""

    def __post_init__(self) -> None:
        if (self.commons is None) == (not self.person):
            raise ValueError("person: name the person paid, or the commons, not both")
        if self.person:
            check_did(self.person, "person")
        if self.account not in ("assets:bank", "assets:cash"):
            raise ValueError("account: assets:bank or assets:cash")

    @property
    def payee(self) -> str:
        return self.person or commons_payee(self.commons or b"")


DISTRIBUTION_KIND = "distribution"
COMMONS_PAYEE = "commons:"
STATE_WORDS = {"proposed": N_("proposed, to decide"), "approved": N_("decided: shares owed")}


def commons_payee(cid: bytes) -> str:
    """What the treasury owes another commons is booked as to a payee named so (beside the
    DIDs of people): ``liabilities:payable:commons:<id>``."""
    return COMMONS_PAYEE + cid.hex()


def round_key(rid: bytes) -> str:
    return "distribution/" + rid.hex()


def paid_key(currency: str, did: str) -> str:
    return f"distribution-paid/{currency}/{did}"


def round_entry(kind: str, rid: bytes, record: dict[str, Any]) -> dict[str, Any]:
    """A journal entry of a round (its shares booked, or one waived), dated by its month."""
    return {"kind": kind, "date": record["month"] + "-01", "currency": record["currency"],
            "source": "", "enterprise": None, "reference": "", "title": record["title"],
            "expense": None, "round": rid}  # fmt: skip


UNKNOWN_ROUND = code("unknown_round", "no distribution round {round} is known in this commons")
ROUND_STATE = code("round_state", "cannot {action:verb} a distribution round that is {state:word}")
NO_SHARE = code("no_share", "you have no share in this round to waive, or it was waived already")
OVERPAID = code(
    "overpaid",
    "this pays {money}, more than the {owed} owed to this person: pay what is owed",
)


def _proposed(body: ProposeRound, words: Words) -> Line:
    return Line(
        N_("{who} proposed the distribution '{title}' of {money}"),
        {"title": body.title, "money": money(body.budget, body.currency)},
    )


@event_type("distribution.propose", ProposeRound, summary=_proposed)
def propose(view: View, event: Event) -> Writes:
    """A round and its shares, computed from the credit and the rounds paid so far."""
    body: ProposeRound = event.body
    require_treasurer(view, event)
    people = everyone(view)
    credit = {did: (view.get(credit_key(did)) or {}).get("months") or {} for did in people}
    paid = {did: view.get(paid_key(body.currency, did)) or 0 for did in people}
    shares = split(body.policy, body.budget, credit, paid, body.month)
    record = {
        "by": event.author,
        "title": body.title,
        "budget": body.budget,
        "currency": body.currency,
        "policy": to_builtins(body.policy),
        "month": body.month,
        "shares": shares,
        "kept": body.budget - sum(shares.values()),
        "state": "proposed",
        "waived": [],
        "order": sequence(view, event),
        "time": event.time,
    }
    return {round_key(event.id): record}


@derives("proposal.close", "proposal.settle")
def _decided(before: View, after: View, event: Event) -> Writes:
    """A binding proposal of kind ``distribution`` about a proposed round, passed: its
    shares are booked as owed to their people."""
    about = passed_about(after, event, DISTRIBUTION_KIND)
    record = after.get(round_key(about)) if about else None
    if record is None or record["state"] != "proposed" or not record["shares"]:
        return {}
    currency, shares = record["currency"], record["shares"]
    entry = round_entry("distribution", about, record)
    postings = [("expenses:distributions", sum(shares.values()))]
    postings += [(payable(did), -share) for did, share in sorted(shares.items())]
    writes = journal(after, event, entry, postings)
    for did, share in shares.items():
        writes[paid_key(currency, did)] = (after.get(paid_key(currency, did)) or 0) + share
    writes[round_key(about)] = {**record, "state": "approved"}
    return writes


def _waived(body: Waive, words: Words) -> Line:
    if body.to is not None:
        return Line(
            N_("{who} gave their share of '{what}' to {commons}"),
            {"what": words.title(body.round), "commons": body.to.hex()[:12]},
        )
    return Line(N_("{who} waived their share of '{what}'"), {"what": words.title(body.round)})


@event_type("distribution.waive", Waive, summary=_waived)
def waive(view: View, event: Event) -> Writes:
    """A person gives their share of an approved round back to the treasury, or to another
    commons: then the treasury owes it to that commons (paid by ``ledger.payout``), and it
    still counts as theirs for the balanced policy — they chose where it went."""
    rid, to = event.body.round, event.body.to
    record = view.get(round_key(rid))
    if record is None:
        raise Ineffective(UNKNOWN_ROUND, round=rid)
    if record["state"] != "approved":
        raise Ineffective(ROUND_STATE, action=event.type, state=record["state"])
    share = record["shares"].get(event.author, 0)
    owed = -(view.get(balance_key(record["currency"], payable(event.author))) or 0)
    if not share or event.author in record["waived"] or owed < share:
        raise Ineffective(NO_SHARE)
    currency = record["currency"]
    if to is not None:
        entry = {**round_entry("gift", rid, record), "commons": to}
        moved = [(payable(event.author), share), (payable(commons_payee(to)), -share)]
        writes = journal(view, event, entry, moved)
    else:
        entry = round_entry("waiver", rid, record)
        back = [(payable(event.author), share), ("expenses:distributions", -share)]
        writes = journal(view, event, entry, back)
        key = paid_key(currency, event.author)
        writes[key] = (view.get(key) or 0) - share
    given = {**record.get("given", {}), event.author: to} if to is not None else None
    waived = sorted([*record["waived"], event.author])
    writes[round_key(rid)] = {**record, "waived": waived, **({"given": given} if given else {})}
    return writes


def _paid_out(body: Payout, words: Words) -> Line:
    to = words.person(body.person) if body.person else (body.commons or b"").hex()[:12]
    return Line(
        N_("{who} paid {money} to {person}"),
        {"money": money(body.amount, body.currency), "person": to},
    )


@event_type("ledger.payout", Payout, summary=_paid_out)
def payout(view: View, event: Event) -> Writes:
    """A treasurer pays what the treasury owes a person (their shares) or a commons (shares
    given to it), at most that."""
    body: Payout = event.body
    require_treasurer(view, event)
    owed = -(view.get(balance_key(body.currency, payable(body.payee))) or 0)
    if body.amount > owed:
        raise Ineffective(
            OVERPAID, money=money(body.amount, body.currency), owed=money(owed, body.currency)
        )
    entry: dict[str, Any] = {
        "kind": "payout",
        "date": body.date,
        "currency": body.currency,
        "source": "",
        "enterprise": None,
        "reference": body.reference,
        "title": None,
        "expense": None,
        "person": body.person or None,
        "commons": body.commons,
    }
    return journal(
        view, event, entry, [(payable(body.payee), body.amount), (body.account, -body.amount)]
    )
