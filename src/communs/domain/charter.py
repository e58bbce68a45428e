"""The charter: what a commons is, who maintains it, and how contributions become canonical.

A commons is born with a charter (its genesis, which may name the commons it was forked
from). Maintainers change the charter together: each change takes effect once ``threshold``
current maintainers have endorsed the very same change.
"""

from hashlib import sha256
from typing import Annotated, Any, Literal

import msgspec

from ..core import canonical
from ..core.events import MAX_FORK_HEADS, Event
from ..i18n import N_
from .fold import Ineffective, View, Writes, event_type
from .lines import Line, Words, word
from .refusals import code, plural_code
from .schema import Body, Id, Text, Title, check_did, to_builtins

KINDS = (
    "software", "text", "design", "media", "places", "data", "equipment", "library", "other"
)  # fmt: skip
Kind = Literal["software", "text", "design", "media", "places", "data", "equipment", "library",
               "other"]  # fmt: skip
Mode = Literal["review", "publish"]
MODES = {"review": "review-first", "publish": "publish-first"}


Weight = Annotated[int, msgspec.Meta(ge=0, le=1000)]


class Charter(Body, kw_only=True):
    name: Title
    description: Text = ""
    kind: Kind = "other"
    licence: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "CC-BY-SA-4.0"
    maintainers: Annotated[list[str], msgspec.Meta(min_length=1, max_length=255)]
    threshold: Annotated[int, msgspec.Meta(ge=1)] = 1
    mode: Mode = "review"
    # The task board: how long a claim holds, how fast signals cool, who validates work.
    claim_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 365)] = 72
    half_life_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 365)] = 168
    validators: Literal["maintainers", "anyone"] = "maintainers"
    # Credit (domain/credit.py): the points accepted work of each kind earns.
    credit_contribution: Weight = 10
    credit_task: Weight = 5
    credit_review: Weight = 1
    # The treasury (domain/treasury.py): who keeps it (none: the maintainers), and the most
    # one treasurer approves alone, in minor units.
    treasurers: Annotated[list[str], msgspec.Meta(max_length=255)] = []
    expense_threshold: Annotated[int, msgspec.Meta(ge=0, le=10**13)] = 10_000
    # Reciprocity (domain/enterprises.py): the legal forms that use the commons commercially
    # for free, what the others are asked each month, in minor units of a currency, and what
    # a point of credit their own accepted work earned counts for (0: only money counts).
    reciprocity_free: Annotated[str, msgspec.Meta(max_length=200)] = "cooperative nonprofit"
    reciprocity_monthly: Annotated[int, msgspec.Meta(ge=0, le=10**12)] = 0
    reciprocity_currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")] = "EUR"
    reciprocity_per_point: Annotated[int, msgspec.Meta(ge=0, le=10**9)] = 0
    # A lending library (domain/library.py): the agreement a member signs before borrowing.
    member_agreement: Text = ""

    def __post_init__(self) -> None:
        for did in self.maintainers:
            check_did(did, "maintainers")
        for did in self.treasurers:
            check_did(did, "treasurers")
        if len(set(self.treasurers)) != len(self.treasurers):
            raise ValueError("treasurers must be distinct")
        if len(set(self.maintainers)) != len(self.maintainers):
            raise ValueError("maintainers must be distinct")
        if self.threshold > len(self.maintainers):
            count = len(self.maintainers)
            raise ValueError(
                f"threshold {self.threshold} is above the {count} "
                + ("maintainer" if count == 1 else "maintainers")
            )


class ForkOrigin(Body, kw_only=True):
    commons: Id
    heads: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_FORK_HEADS)]


class CreateCommons(Body, kw_only=True):
    charter: Charter
    forked_from: ForkOrigin | None = None


class AddMaintainer(Body, kw_only=True, tag="add_maintainer", tag_field="op"):
    did: str

    def __post_init__(self) -> None:
        check_did(self.did, "did")


class RemoveMaintainer(Body, kw_only=True, tag="remove_maintainer", tag_field="op"):
    did: str

    def __post_init__(self) -> None:
        check_did(self.did, "did")


class AddTreasurer(Body, kw_only=True, tag="add_treasurer", tag_field="op"):
    did: str

    def __post_init__(self) -> None:
        check_did(self.did, "did")


class RemoveTreasurer(Body, kw_only=True, tag="remove_treasurer", tag_field="op"):
    did: str

    def __post_init__(self) -> None:
        check_did(self.did, "did")


class SetField(Body, kw_only=True, tag="set", tag_field="op"):
    """Set one charter field; the new charter is validated as a whole when it takes effect."""

    field: Literal[
        "name",
        "description",
        "kind",
        "licence",
        "threshold",
        "mode",
        "claim_hours",
        "half_life_hours",
        "validators",
        "credit_contribution",
        "credit_task",
        "credit_review",
        "expense_threshold",
        "reciprocity_free",
        "reciprocity_monthly",
        "reciprocity_currency",
        "reciprocity_per_point",
        "member_agreement",
    ]
    value: str | int


class ChangeCharter(Body, kw_only=True):
    change: AddMaintainer | RemoveMaintainer | AddTreasurer | RemoveTreasurer | SetField


def charter_of(view: View) -> dict[str, Any]:
    return view.get("charter")


def is_maintainer(view: View, did: str) -> bool:
    return did in charter_of(view)["maintainers"]


NOT_MAINTAINER = code(
    "not_maintainer",
    "only maintainers can {action:work}; the author is not a maintainer of this commons",
)
ALREADY_MAINTAINER = code("already_maintainer", "this identity is already a maintainer")
NOT_A_MAINTAINER = code("not_a_maintainer", "this identity is not a maintainer")
ALREADY_TREASURER = code("already_treasurer", "this identity is already a treasurer")
NOT_A_TREASURER = code(
    "not_a_treasurer", "this identity is not one of the treasurers the charter names"
)
CHARTER_INVALID = code(
    "charter_invalid", "the charter would become invalid: {field:word} does not fit"
)
THRESHOLD_ABOVE = plural_code(
    "threshold_above",
    "the charter would become invalid: threshold {threshold} is above its {maintainers} maintainer",
    "the charter would become invalid: threshold {threshold} is above its {maintainers} "
    "maintainers",
    "maintainers",
)
ALREADY_ENDORSED = code("already_endorsed", "this maintainer already endorsed the same change")


def require_maintainer(view: View, event: Event) -> None:
    if not is_maintainer(view, event.author):
        raise Ineffective(NOT_MAINTAINER, action=event.type)


def _created(body: CreateCommons, words: Words) -> Line:
    origin = body.forked_from
    if origin:
        return Line(
            N_("{who} forked '{origin}' as '{name}'"),
            {"origin": words.commons(origin.commons), "name": body.charter.name},
        )
    return Line(N_("{who} created '{name}'"), {"name": body.charter.name})


def _endorsed(body: "ChangeCharter", words: Words) -> Line:
    change = body.change
    if isinstance(change, SetField):
        return Line(
            N_("{who} endorsed setting the charter's {field} to {value}"),
            {"field": word(change.field), "value": repr(change.value)},
        )
    if isinstance(change, AddMaintainer):
        return Line(
            N_("{who} endorsed adding {person} as a maintainer"),
            {"person": words.person(change.did)},
        )
    return Line(
        N_("{who} endorsed removing {person} from the maintainers"),
        {"person": words.person(change.did)},
    )


@event_type("commons.create", CreateCommons, genesis=True, summary=_created)
def create(view: View, event: Event) -> Writes:
    body: CreateCommons = event.body
    charter = to_builtins(body.charter)
    charter["forked_from"] = to_builtins(body.forked_from) if body.forked_from else None
    charter["created_by"] = event.author
    # A fork's state starts from its parent's, whose charter it replaces: one generation more.
    inherited = view.get("charter") if body.forked_from else None
    charter["generation"] = inherited["generation"] + 1 if inherited else 0
    return {"charter": charter}


def sequence(view: View, event: Event) -> str:
    """Where an event stands in the history of a commons and its ancestors, as a string that
    sorts in fold order: a fork's own clocks restart at 0, so its generation comes first."""
    return f"{charter_of(view)['generation']:03d}.{event.clock:012d}.{event.id.hex()}"


def motion_key(change: Any) -> str:
    return "motion/" + sha256(canonical.encode(to_builtins(change))).hexdigest()


def changed_charter(charter: dict[str, Any], change: Any) -> dict[str, Any]:
    """The charter with one change applied, validated as a whole."""
    new = dict(charter)
    maintainers = list(charter["maintainers"])
    if isinstance(change, AddMaintainer):
        if change.did in maintainers:
            raise Ineffective(ALREADY_MAINTAINER)
        new["maintainers"] = sorted([*maintainers, change.did])
    elif isinstance(change, RemoveMaintainer):
        if change.did not in maintainers:
            raise Ineffective(NOT_A_MAINTAINER)
        new["maintainers"] = [m for m in maintainers if m != change.did]
    elif isinstance(change, AddTreasurer | RemoveTreasurer):
        named = list(charter.get("treasurers") or [])
        if isinstance(change, AddTreasurer):
            if change.did in named:
                raise Ineffective(ALREADY_TREASURER)
            new["treasurers"] = sorted([*named, change.did])
        else:
            if change.did not in named:
                raise Ineffective(NOT_A_TREASURER)
            new["treasurers"] = [t for t in named if t != change.did]
    else:
        new[change.field] = change.value
    fields = {k: new[k] for k in Charter.__struct_fields__ if k in new}
    threshold, count = new.get("threshold"), len(new["maintainers"])
    if isinstance(threshold, int) and threshold > count >= 1:
        raise Ineffective(THRESHOLD_ABOVE, threshold=threshold, maintainers=count)
    try:
        msgspec.convert(fields, Charter)
    except msgspec.ValidationError as error:
        # The field, not msgspec's wording: the refusal is part of the state digest.
        _, at, where = str(error).rpartition(" - at ")
        field = where.strip("`") if at else "$"
        raise Ineffective(CHARTER_INVALID, field=field) from None
    return new


@event_type("charter.change", ChangeCharter, summary=_endorsed)
def change(view: View, event: Event) -> Writes:
    require_maintainer(view, event)
    charter = charter_of(view)
    key = motion_key(event.body.change)
    motion = view.get(key) or {"change": to_builtins(event.body.change), "endorsers": []}
    if event.author in motion["endorsers"]:
        raise Ineffective(ALREADY_ENDORSED)
    endorsers = sorted([*motion["endorsers"], event.author])
    current = [did for did in endorsers if did in charter["maintainers"]]
    if len(current) < charter["threshold"]:
        changed_charter(charter, event.body.change)  # refuse at once what could never apply
        return {key: {**motion, "endorsers": endorsers}}
    return {"charter": changed_charter(charter, event.body.change), key: None}
