"""Enterprises: those who make market value on top of a commons, and what they give back.

CopyFair rather than a ban: an enterprise registers what it builds on the commons, its legal
form and a reciprocity pledge (money each month). The charter says who uses the commons
commercially for free (``reciprocity_free``: legal forms, e.g. non-profits and worker
co-operatives) and what the others are asked (``reciprocity_monthly``, minor units of
``reciprocity_currency``). What an enterprise gave is public: its reciprocity payments
(``ledger.record`` of kind reciprocity naming it, counted here by a derivation) and the
credit its own accepted work earned, which counts toward its pledge at the charter's
``reciprocity_per_point`` (minor units a point; 0: only money counts). Its balance against
its pledge is a read, at a time the reader gives (``balance``): nothing here reads a clock.

An enterprise behind its pledge is a signal on the task board (``behind_on_board``).

Records: ``enterprise/<did>`` (name, builds, legal form, pledge, currency, since month,
what it paid).
"""

from typing import Annotated, Any, Literal

import msgspec

from ..core.events import Event
from ..i18n import N_
from .charter import charter_of, sequence
from .credit import month_of
from .fold import View, Writes, derives, event_type
from .lines import Line, Words
from .schema import Body, Text, Title

LegalForm = Literal["company", "cooperative", "nonprofit", "sole_trader", "public", "other"]
LEGAL_FORMS = ("company", "cooperative", "nonprofit", "sole_trader", "public", "other")
FORM_WORDS = {
    "company": N_("company"),
    "cooperative": N_("worker co-operative"),
    "nonprofit": N_("non-profit"),
    "sole_trader": N_("sole trader"),
    "public": N_("public body"),
    "other": N_("other"),
}
DEFAULT_FREE = "cooperative nonprofit"  # who uses a commons commercially for free
Pledge = Annotated[int, msgspec.Meta(ge=0, le=10**12)]  # minor units a month


class Register(Body, kw_only=True):
    name: Title
    builds: Text = ""  # what it builds on the commons
    legal_form: LegalForm
    pledge: Pledge = 0


def enterprise_key(did: str) -> str:
    return "enterprise/" + did


def free_forms(view: View) -> list[str]:
    return str(charter_of(view).get("reciprocity_free", DEFAULT_FREE)).split()


def _registered(body: Register, words: Words) -> Line:
    return Line(N_("{who} registered the enterprise '{name}'"), {"name": body.name})


@event_type("enterprise.register", Register, summary=_registered)
def register(view: View, event: Event) -> Writes:
    """An enterprise (its author: the identity that acts for it) says who it is and what it
    pledges; registered again, it says it anew, and keeps what it paid and since when."""
    body: Register = event.body
    charter = charter_of(view)
    known = view.get(enterprise_key(event.author)) or {}
    record = {
        "name": body.name,
        "builds": body.builds,
        "legal_form": body.legal_form,
        "pledge": body.pledge,
        "currency": known.get("currency") or charter.get("reciprocity_currency", "EUR"),
        "since": known.get("since") or month_of(event.time),
        "paid": known.get("paid", 0),
        "order": known.get("order") or sequence(view, event),
        "time": event.time,
    }
    return {enterprise_key(event.author): record}


@derives("ledger.record")
def _reciprocity(before: View, after: View, event: Event) -> Writes:
    """A reciprocity payment naming a registered enterprise counts as what it gave."""
    body = event.body
    if body.kind != "reciprocity" or not body.enterprise:
        return {}
    record = after.get(enterprise_key(body.enterprise))
    if record is None or body.currency != record["currency"]:
        return {}
    return {enterprise_key(body.enterprise): {**record, "paid": record["paid"] + body.amount}}


def months_between(since: str, now: str) -> int:
    """Whole months from ``since`` to ``now`` (both YYYY-MM): the months an enterprise owes
    for, its first month being due once it is over."""
    (y1, m1), (y2, m2) = (tuple(map(int, m.split("-"))) for m in (since, now))
    return max(0, (y2 * 12 + m2) - (y1 * 12 + m1))


def balance(
    record: dict[str, Any], free: list[str], asked: int, now_month: str, worked: int = 0
) -> dict[str, Any]:
    """What an enterprise owes by its pledge (or, pledging less, by what the charter asks)
    since it registered, what it paid, what its credited work counts for (``worked``, minor
    units), and whether it is behind; free: it owes nothing."""
    if record["legal_form"] in free:
        return {"free": True, "due": 0, "paid": record["paid"], "worked": worked, "behind": 0}
    monthly = max(record["pledge"], asked)
    due = monthly * months_between(record["since"], now_month)
    behind = max(0, due - record["paid"] - worked)
    return {"free": False, "due": due, "paid": record["paid"], "worked": worked, "behind": behind}


def reciprocity_terms(charter: dict[str, Any]) -> tuple[list[str], int, int]:
    """The charter's free legal forms, the monthly amount asked, and a credit point's worth."""
    free = str(charter.get("reciprocity_free", DEFAULT_FREE)).split()
    return (
        free,
        int(charter.get("reciprocity_monthly", 0)),
        int(charter.get("reciprocity_per_point", 0)),
    )


BEHIND_MONTHS_CAP = 4  # months owed that warm the board, 1 each


def behind_on_board(
    found: list[tuple[str, dict[str, Any]]],
    charter: dict[str, Any],
    now_month: str,
    points: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """The board's items for enterprises behind their reciprocity at ``now_month``: each
    warmer by the months it owes (``domain.tasks.board``'s ``also``); ``points``: the credit
    each enterprise's own work earned, by DID."""
    free, asked, per_point = reciprocity_terms(charter)
    points = points or {}
    items = []
    for key, record in found:
        worked = points.get(key.split("/", 1)[1], 0) * per_point
        owed = balance(record, free, asked, now_month, worked)
        if not owed["behind"]:
            continue
        monthly = max(record["pledge"], asked) or 1
        items.append(
            {
                "kind": "reciprocity",
                "target": key,
                "title": record["name"],
                "state": "behind",
                "note": N_("behind its reciprocity pledge"),
                "base": 1 + min(owed["behind"] / monthly, BEHIND_MONTHS_CAP),
                "order": record.get("order", ""),
                "owed": owed["behind"],
                "currency": record["currency"],
            }
        )
    return items
