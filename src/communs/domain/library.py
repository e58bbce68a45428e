"""The lending library: a commons of kind ``library`` lends its equipment to its members.

This module holds its catalogue: items, each with what a borrower and a steward need to know —
its photos, category, brand and model, serial number, condition, replacement value and
deposit, how long it is lent, its risk (a steward's approval, a member's training), the care
and safety notes a steward reads at check-out, where it is kept — and its status (available,
in maintenance, missing, retired). The stewards are the commons' maintainers: they add items,
edit them and change their status; everything is public, as the rest of the log.

Members join by agreeing to the library's member agreement (the charter's
``member_agreement``, amendable by its rule): the event names the text's hash, so an agreement
amended since the person read it is not taken as signed. Their contact data never enters the
log: it lives in the node's private store (``store/personal.py``), for the stewards to see.

Records: ``item/<id>`` (the fields, ``status``, ``by``, ``time``, ``order``);
``member/<did>`` (``since``, ``agreed``: the agreement's hash, ``agreed_at``, ``order``).
"""

from hashlib import sha256
from typing import Annotated, Any, Literal

import msgspec

from ..core.events import Event
from ..i18n import N_
from .charter import charter_of, require_maintainer, sequence
from .fold import Ineffective, View, Writes, event_type
from .lines import Line, Words
from .refusals import code
from .schema import Body, Id, Text, Title

Condition = Literal["new", "good", "worn", "damaged"]
Risk = Literal["none", "approval", "training"]
Status = Literal["available", "maintenance", "missing", "retired"]
CONDITIONS = ("new", "good", "worn", "damaged")
RISKS = ("none", "approval", "training")
STATUSES = ("available", "maintenance", "missing", "retired")
CATEGORIES = ("tools", "garden", "kitchen", "camping", "sport", "electronics", "events", "other")
WORDS = {
    "new": N_("new"), "good": N_("good"), "worn": N_("worn"), "damaged": N_("damaged"),
    "none": N_("anyone may borrow it"), "approval": N_("a steward approves each loan"),
    "training": N_("borrowers need a training first"),
    "available": N_("available"), "maintenance": N_("in maintenance"),
    "missing": N_("missing"), "retired": N_("retired"),
    "tools": N_("tools"), "garden": N_("garden"), "kitchen": N_("kitchen"),
    "camping": N_("camping"), "sport": N_("sport"), "electronics": N_("electronics"),
    "events": N_("events"), "other": N_("other"),
}  # fmt: skip
Short = Annotated[str, msgspec.Meta(max_length=200)]
Money = Annotated[int, msgspec.Meta(ge=0, le=10**11)]  # minor units of the charter's currency
Category = Literal["tools", "garden", "kitchen", "camping", "sport", "electronics", "events",
                   "other"]  # fmt: skip


class Item(Body, kw_only=True):
    title: Title
    description: Text = ""
    category: Category = "other"
    brand: Short = ""
    model: Short = ""
    serial: Short = ""
    condition: Condition = "good"
    value: Money = 0  # what replacing it costs
    deposit: Money = 0
    loan_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 7
    risk: Risk = "none"
    care: Text = ""  # care and safety notes, shown to the steward at check-out
    location: Short = ""  # the site and shelf
    photos: Annotated[list[Id], msgspec.Meta(max_length=12)] = []  # files of the commons


class EditItem(Item, kw_only=True):
    item: Id


class ItemStatus(Body, kw_only=True):
    item: Id
    status: Status
    note: Text = ""


FIELDS = tuple(Item.__struct_fields__)
UNKNOWN_ITEM = code("unknown_item", "no item {item} is in this library's catalogue")
SAME_STATUS = code("same_status", "this item is {status:word} already: choose another status")


def item_key(iid: bytes) -> str:
    return "item/" + iid.hex()


def _fields(body: Item) -> dict[str, Any]:
    return {field: getattr(body, field) for field in FIELDS}


def _added(body: Item, words: Words) -> Line:
    return Line(N_("{who} added '{title}' to the catalogue"), {"title": body.title})


def _edited(body: EditItem, words: Words) -> Line:
    return Line(N_("{who} edited the item '{title}'"), {"title": body.title})


def _status(body: ItemStatus, words: Words) -> Line:
    return Line(N_("{who} marked an item {status}"), {"status": Line(WORDS[body.status])})


@event_type("library.item", Item, summary=_added)
def add_item(view: View, event: Event) -> Writes:
    """A steward adds an item to the catalogue: available, named by its event's id."""
    require_maintainer(view, event)
    record = {**_fields(event.body), "status": "available", "by": event.author,
              "time": event.time, "order": sequence(view, event)}  # fmt: skip
    return {item_key(event.id): record}


def _item(view: View, iid: bytes) -> dict[str, Any]:
    record = view.get(item_key(iid))
    if record is None:
        raise Ineffective(UNKNOWN_ITEM, item=iid.hex()[:12])
    return record


@event_type("library.edit", EditItem, summary=_edited)
def edit_item(view: View, event: Event) -> Writes:
    """A steward says an item anew (every field); its status and history stay."""
    require_maintainer(view, event)
    body: EditItem = event.body
    record = _item(view, body.item)
    return {item_key(body.item): {**record, **_fields(body), "time": event.time}}


@event_type("library.status", ItemStatus, summary=_status)
def set_status(view: View, event: Event) -> Writes:
    """A steward marks an item available, in maintenance, missing or retired, with a note."""
    require_maintainer(view, event)
    body: ItemStatus = event.body
    record = _item(view, body.item)
    if record["status"] == body.status:
        raise Ineffective(SAME_STATUS, status=body.status)
    changed = {**record, "status": body.status, "status_note": body.note, "time": event.time}
    return {item_key(body.item): changed}


class Join(Body, kw_only=True):
    agreement: Id  # the SHA-256 of the member agreement the person read and agreed to


AGREEMENT_CHANGED = code(
    "agreement_changed",
    "the member agreement changed since it was read: read it again, then agree to it",
)


def member_key(did: str) -> str:
    return "member/" + did


def agreement_hash(charter: dict[str, Any]) -> bytes:
    """What a member signs: the hash of the charter's member agreement as it stands."""
    return sha256(str(charter.get("member_agreement") or "").encode()).digest()


def _joined(body: Join, words: Words) -> Line:
    return Line(N_("{who} joined the library"))


@event_type("library.join", Join, summary=_joined)
def join(view: View, event: Event) -> Writes:
    """Anyone joins by agreeing to the agreement as it stands (again after it changed: the
    membership keeps its first day)."""
    if event.body.agreement != agreement_hash(charter_of(view)):
        raise Ineffective(AGREEMENT_CHANGED)
    known = view.get(member_key(event.author)) or {}
    record = {
        "since": known.get("since") or event.time,
        "agreed": event.body.agreement,
        "agreed_at": event.time,
        "order": known.get("order") or sequence(view, event),
    }
    return {member_key(event.author): record}
