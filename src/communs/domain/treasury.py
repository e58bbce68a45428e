"""The treasury: a public double-entry journal, in integer minor units, one currency an entry.

The for-benefit association of a commons holds its money in the open, as Open Collective
does, without a fiscal host that could fold: every entry is an event anyone can audit, and
every balance is a record. Amounts are whole minor units (cents); each entry's postings sum
to zero, so the balances of every currency always do.

Treasurers are named in the charter (``treasurers``; none named: the maintainers act as
treasurers) and changed by its rule. A treasurer records income — a donation (named or
anonymous), a reciprocity payment of an enterprise, a grant — with its date and reference.
Anyone files an expense with its accounting category and a receipt (a file of the commons'
media; without one it is ``incomplete``). A treasurer approves one below the charter's
``expense_threshold``; above it a binding proposal of kind ``expense`` about it decides, by
the charter's rule for that kind. Approving books what is owed to the person who filed it;
a treasurer then pays it, and its recipient acknowledges the payment.

Accounts (Beancount's five kinds): ``assets:bank``, ``assets:cash``; ``income:donations``,
``income:reciprocity``, ``income:grants``, ``income:other``; ``expenses:<category>``;
``liabilities:payable:<did>`` (owed to a person). Debits are positive: money held is
positive, income negative.

Records: ``expense/<id>`` (its state: incomplete, pending, approved, rejected, paid,
acknowledged, and who did what), ``journal/<sequence>`` (an entry: date, kind, postings,
reference, what it is about), ``balance/<currency>/<account>``, ``treasury-month/<YYYY-MM>/
<currency>`` (income and expenses booked that month, by the entries' dates).
"""

from typing import Annotated, Any, Literal

import msgspec

from ..core.events import Event
from ..i18n import N_
from .charter import charter_of, sequence
from .fold import Ineffective, View, Writes, derives, event_type
from .governance import passed_about
from .lines import Line, Summary, Words, word
from .refusals import code
from .schema import Body, Id, Reason, Text, Title, check_did

Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]  # ISO 4217
Amount = Annotated[int, msgspec.Meta(gt=0, le=10**13)]  # minor units
Day = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Account = Literal["assets:bank", "assets:cash"]
CATEGORIES = ("hosting", "equipment", "materials", "travel", "services", "fees", "events", "other")
Category = Literal[CATEGORIES]  # type: ignore[valid-type]
INCOME = {
    "donation": "income:donations",
    "reciprocity": "income:reciprocity",
    "grant": "income:grants",
    "other": "income:other",
}
IncomeKind = Literal["donation", "reciprocity", "grant", "other"]
EXPENSE_KIND = "expense"  # the kind of decision that approves an expense above the threshold
EXPENSE_STATES = ("incomplete", "pending", "approved", "rejected", "paid", "acknowledged")
# ISO 4217: currencies without minor units, and with three; the others have two
NO_MINOR = (
    *("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW"),
    *("PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"),
)
THREE_MINOR = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
N_("donation"), N_("reciprocity"), N_("grant")  # income kinds, as lines say them
# An expense's state as people read it ("approved" alone reads as a review's verdict).
STATE_WORDS = {
    "incomplete": N_("incomplete"),
    "pending": N_("waiting for approval"),
    "approved": N_("approved, to pay"),
    "rejected": N_("rejected"),
    "paid": N_("paid"),
    "acknowledged": N_("paid and received"),
}


def digits(currency: str) -> int:
    return 0 if currency in NO_MINOR else 3 if currency in THREE_MINOR else 2


def money(amount: int, currency: str) -> str:
    """An amount in minor units as people write it, in a line: "50.00 EUR" (pages format
    it in the reader's language)."""
    places = digits(currency)
    sign, whole = ("-" if amount < 0 else ""), abs(amount)
    if not places:
        return f"{sign}{whole} {currency}"
    return f"{sign}{whole // 10**places}.{whole % 10**places:0{places}d} {currency}"


def on_expense(text: str) -> Summary:
    """The line of an event on one expense, its title being the field ``what``."""

    def line(body: Any, words: Words) -> Line:
        return Line(text, {"what": words.title(body.expense)})

    return line


class RecordIncome(Body, kw_only=True):
    kind: IncomeKind
    amount: Amount
    currency: Currency
    date: Day  # when the money came, by the bank or the hand that took it
    account: Account = "assets:bank"
    source: Short = ""  # the donor, enterprise or funder; empty: anonymous
    enterprise: str | None = None  # the DID of an enterprise paying its reciprocity
    reference: Short = ""  # the bank's reference, a receipt number

    def __post_init__(self) -> None:
        if self.enterprise is not None:
            check_did(self.enterprise, "enterprise")


class FileExpense(Body, kw_only=True):
    title: Title
    description: Text = ""
    amount: Amount
    currency: Currency
    category: Category
    date: Day  # when it was spent
    receipt: Id | None = None  # the hash of the receipt's file, shared like any media


class ExpenseRef(Body, kw_only=True):  # expense.approve, expense.acknowledge
    expense: Id


class AttachReceipt(ExpenseRef, kw_only=True):
    receipt: Id


class RejectExpense(ExpenseRef, kw_only=True):
    reason: Reason


class PayExpense(ExpenseRef, kw_only=True):
    date: Day
    account: Account = "assets:bank"
    reference: Short = ""


def expense_key(eid: bytes) -> str:
    return "expense/" + eid.hex()


def month_key(month: str, currency: str) -> str:
    """Income and expenses booked in a month (by the entry's date), for charts over time."""
    return f"treasury-month/{month}/{currency}"


def balance_key(currency: str, account: str) -> str:
    return f"balance/{currency}/{account}"


PAYABLE = "liabilities:payable:"  # what the treasury owes a person: this, then their DID


def payable(did: str) -> str:
    return PAYABLE + did


def treasurers(view: View) -> list[str]:
    charter = charter_of(view)
    return list(charter.get("treasurers") or charter["maintainers"])


def threshold(view: View) -> int:
    return int(charter_of(view).get("expense_threshold", DEFAULT_THRESHOLD))


DEFAULT_THRESHOLD = 10_000  # minor units: 100.00 in most currencies

NOT_TREASURER = code(
    "not_treasurer", "only the treasurers can {action:work}; the charter names them"
)
UNKNOWN_EXPENSE = code("unknown_expense", "no expense {expense} is known in this commons")
EXPENSE_STATE = code("expense_state", "cannot {action:verb} an expense that is {state:word}")
NOT_FILER = code("not_filer", "only the person who filed an expense can {action:verb} it")
OWN_EXPENSE = code(
    "own_expense", "a treasurer does not approve their own expense: another treasurer does"
)
NEEDS_DECISION = code(
    "needs_decision",
    "this expense of {money} is at or above the {limit} one treasurer may approve: open a "
    "proposal of kind expense about it",
)


def journal(
    view: View, event: Event, entry: dict[str, Any], postings: list[tuple[str, int]]
) -> Writes:
    """One journal entry and the balances it moves; its postings sum to zero."""
    assert sum(amount for _, amount in postings) == 0, postings
    currency = entry["currency"]
    writes: Writes = {
        f"journal/{sequence(view, event)}": {
            **entry,
            "postings": [[account, amount] for account, amount in postings],
            "event": event.id,
            "by": event.author,
            "time": event.time,
        }
    }
    month = month_key(entry["date"][:7], currency)
    flows = dict(view.get(month) or {"income": 0, "expenses": 0})
    for account, amount in postings:
        key = balance_key(currency, account)
        writes[key] = (view.get(key) or 0) + amount
        if account.startswith("income:"):
            flows["income"] -= amount
        elif account.startswith("expenses:"):
            flows["expenses"] += amount
    writes[month] = flows
    return writes


def require_treasurer(view: View, event: Event) -> None:
    if event.author not in treasurers(view):
        raise Ineffective(NOT_TREASURER, action=event.type)


def load(view: View, eid: bytes) -> dict[str, Any]:
    record = view.get(expense_key(eid))
    if record is None:
        raise Ineffective(UNKNOWN_EXPENSE, expense=eid)
    return record


def require_state(record: dict[str, Any], allowed: tuple[str, ...], event: Event) -> None:
    if record["state"] not in allowed:
        raise Ineffective(EXPENSE_STATE, action=event.type, state=record["state"])


def step(record: dict[str, Any], event: Event, state: str, **fields: Any) -> dict[str, Any]:
    """The expense in ``state``, the step kept in its history."""
    done = {"action": event.type.split(".", 1)[1], "by": event.author, "time": event.time}
    return {**record, **fields, "state": state, "history": [*record["history"], done]}


# -- income ------------------------------------------------------------------------------


def _recorded(body: RecordIncome, words: Words) -> Line:
    return Line(
        N_("{who} recorded a {kind} of {money}"),
        {"kind": word(body.kind), "money": money(body.amount, body.currency)},
    )


@event_type("ledger.record", RecordIncome, summary=_recorded)
def record_income(view: View, event: Event) -> Writes:
    body: RecordIncome = event.body
    require_treasurer(view, event)
    entry = {
        "kind": body.kind,
        "date": body.date,
        "currency": body.currency,
        "source": body.source,
        "enterprise": body.enterprise,
        "reference": body.reference,
        "title": None,
        "expense": None,
    }
    return journal(
        view, event, entry, [(body.account, body.amount), (INCOME[body.kind], -body.amount)]
    )


# -- expenses ----------------------------------------------------------------------------


def _filed(body: FileExpense, words: Words) -> Line:
    return Line(
        N_("{who} filed the expense '{title}' ({money})"),
        {"title": body.title, "money": money(body.amount, body.currency)},
    )


@event_type("expense.file", FileExpense, summary=_filed)
def file_expense(view: View, event: Event) -> Writes:
    body: FileExpense = event.body
    record = {
        "by": event.author,
        "title": body.title,
        "description": body.description,
        "amount": body.amount,
        "currency": body.currency,
        "category": body.category,
        "date": body.date,
        "receipt": body.receipt,
        "state": "pending" if body.receipt else "incomplete",
        "history": [{"action": "file", "by": event.author, "time": event.time}],
        "reason": None,
        "paid": None,
        "order": sequence(view, event),
        "time": event.time,
    }
    return {expense_key(event.id): record}


@event_type(
    "expense.attach", AttachReceipt, summary=on_expense(N_("{who} attached a receipt to '{what}'"))
)
def attach(view: View, event: Event) -> Writes:
    record = load(view, event.body.expense)
    if event.author != record["by"]:
        raise Ineffective(NOT_FILER, action=event.type)
    require_state(record, ("incomplete", "pending"), event)
    record = step(record, event, "pending", receipt=event.body.receipt)
    return {expense_key(event.body.expense): record}


def approved(view: View, event: Event, eid: bytes, record: dict[str, Any]) -> Writes:
    """The expense approved: what it costs is booked, as owed to the person who filed it."""
    writes = {expense_key(eid): step(record, event, "approved")}
    entry = {
        "kind": "expense",
        "date": record["date"],
        "currency": record["currency"],
        "source": "",
        "enterprise": None,
        "reference": "",
        "title": record["title"],
        "expense": eid,
    }
    cost = [
        (f"expenses:{record['category']}", record["amount"]),
        (payable(record["by"]), -record["amount"]),
    ]
    return {**writes, **journal(view, event, entry, cost)}


@event_type(
    "expense.approve", ExpenseRef, summary=on_expense(N_("{who} approved the expense '{what}'"))
)
def approve(view: View, event: Event) -> Writes:
    require_treasurer(view, event)
    record = load(view, event.body.expense)
    require_state(record, ("pending",), event)
    if event.author == record["by"]:
        raise Ineffective(OWN_EXPENSE)
    if record["amount"] >= threshold(view):
        limit = money(threshold(view), record["currency"])
        raise Ineffective(
            NEEDS_DECISION, money=money(record["amount"], record["currency"]), limit=limit
        )
    return approved(view, event, event.body.expense, record)


@derives("proposal.close", "proposal.settle")
def _decided(before: View, after: View, event: Event) -> Writes:
    """A binding proposal of kind ``expense`` about a pending expense, passed: it is approved
    (its threshold does not apply: the charter's rule for the kind decided)."""
    about = passed_about(after, event, EXPENSE_KIND)
    record = after.get(expense_key(about)) if about else None
    if record is None or record["state"] != "pending":
        return {}
    return approved(after, event, about, record)


@event_type(
    "expense.reject", RejectExpense, summary=on_expense(N_("{who} rejected the expense '{what}'"))
)
def reject(view: View, event: Event) -> Writes:
    require_treasurer(view, event)
    record = load(view, event.body.expense)
    require_state(record, ("incomplete", "pending"), event)
    return {
        expense_key(event.body.expense): step(record, event, "rejected", reason=event.body.reason)
    }


@event_type("expense.pay", PayExpense, summary=on_expense(N_("{who} paid the expense '{what}'")))
def pay(view: View, event: Event) -> Writes:
    body: PayExpense = event.body
    require_treasurer(view, event)
    record = load(view, body.expense)
    require_state(record, ("approved",), event)
    paid = {"date": body.date, "reference": body.reference, "by": event.author}
    entry = {
        "kind": "payment",
        "date": body.date,
        "currency": record["currency"],
        "source": "",
        "enterprise": None,
        "reference": body.reference,
        "title": record["title"],
        "expense": body.expense,
    }
    owed = [(payable(record["by"]), record["amount"]), (body.account, -record["amount"])]
    writes = {expense_key(body.expense): step(record, event, "paid", paid=paid)}
    return {**writes, **journal(view, event, entry, owed)}


@event_type(
    "expense.acknowledge",
    ExpenseRef,
    summary=on_expense(N_("{who} acknowledged the payment of '{what}'")),
)
def acknowledge(view: View, event: Event) -> Writes:
    record = load(view, event.body.expense)
    if event.author != record["by"]:
        raise Ineffective(NOT_FILER, action=event.type)
    require_state(record, ("paid",), event)
    return {expense_key(event.body.expense): step(record, event, "acknowledged")}
