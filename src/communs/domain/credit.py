"""Credit: accepted work earns points, derived in the fold, public, with the reason for each.

Contributory accounting (SourceCred, Sensorica's NRP) without its traps: credit comes only
from work that a maintainer or a validator accepted — an accepted (or, publish-first,
patrolled) contribution, a validated task, and the reviews that led to a decision — by
weights the charter sets (``credit_contribution``, ``credit_task``, ``credit_review``). A
stranger who signs a thousand events earns nothing until someone the commons named accepts
their work; the author of a contribution earns no review credit on it, nor a doer for
validating their own task (the task board refuses that already).

The maintainer who accepted a contribution may assess its size (1 to 100, default 1), and
anyone else with credit in the commons endorses it (the same size) or contests it (another):
the median of the assessments counts, so one person cannot inflate it alone. A revert takes
a contribution's credit back, and reopening a validated task its doer's; every entry stays,
with its state, so that each point keeps its reason.

Credit is records, so a fork keeps the credit earned before its fork point (it inherits the
state) and replicas agree on it as on everything else.

Records: ``credit/<did>`` (a person's lifetime points and entries, and their points by the
month the work was accepted: credit per period), ``credit-entry/<did>/<kind>/<ref>`` (one
reason: kind, the work's id, points, weight, size, status, month, when),
``credit-reviewers/<contribution>`` (who reviewed it so far), ``credit-size/<contribution>``
(the assessments of its size), ``credit-people/<0-f>`` (everyone with credit, in 16 lists).
"""

from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Annotated, Any

import msgspec

from ..core.events import Event
from ..i18n import N_
from .charter import Charter, charter_of, is_maintainer
from .contributions import contribution_key
from .contributions import load as load_contribution
from .fold import Ineffective, View, Writes, derives, event_type
from .lines import Line, Words
from .policies import allocate
from .refusals import code
from .schema import Body, Id
from .tasks import task_key

KINDS = ("contribution", "task", "review")
DEFAULT_WEIGHTS = {
    f.name: f.default for f in msgspec.structs.fields(Charter) if f.name.startswith("credit_")
}
Size = Annotated[int, msgspec.Meta(ge=1, le=100)]
REVIEWS = ("approve", "request_changes")  # a comment alone decides nothing


class Assess(Body, kw_only=True):
    contribution: Id
    size: Size


def people_key(did: str) -> str:
    """One of 16 lists of the people with credit (by their DID's hash): what a distribution
    reads to find everyone, without a list rewritten whole for each newcomer."""
    return "credit-people/" + sha256(did.encode()).hexdigest()[0]


PEOPLE_SHARDS = [f"credit-people/{digit}" for digit in "0123456789abcdef"]


def everyone(view: View) -> list[str]:
    """Everyone with credit in the commons, sorted."""
    return sorted(did for key in PEOPLE_SHARDS for did in view.get(key) or [])


def credit_key(did: str) -> str:
    return "credit/" + did


def entry_key(did: str, kind: str, ref: bytes) -> str:
    return f"credit-entry/{did}/{kind}/{ref.hex()}"


def reviewers_key(cid: bytes) -> str:
    return "credit-reviewers/" + cid.hex()


def size_key(cid: bytes) -> str:
    return "credit-size/" + cid.hex()


def weights_of(view: View) -> dict[str, int]:
    """The charter's weight for each kind of work (charters older than credit lack them)."""
    charter = charter_of(view)
    return {
        kind: int(charter.get(f"credit_{kind}", DEFAULT_WEIGHTS[f"credit_{kind}"]))
        for kind in KINDS
    }


def month_of(ms: int) -> str:
    """The UTC month of an author's wall time, as ``YYYY-MM`` (times outside the calendar
    fall in its first or last month)."""
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    except OverflowError:
        return "9999-12" if ms > 0 else "0001-01"
    return f"{moment.year:04d}-{moment.month:02d}"


def median(values: list[int]) -> int:
    """The lower median: a whole number, the same on every peer."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


class Ledger:
    """The credit writes of one event: entries set, and the totals they move."""

    def __init__(self, view: View, event: Event):
        self.view, self.event = view, event
        self.writes: Writes = {}

    def get(self, key: str) -> Any:
        return self.writes[key] if key in self.writes else self.view.get(key)

    def earn(
        self,
        did: str,
        kind: str,
        weight: int,
        ref: bytes,
        size: int | None = None,
        *,
        fresh: bool = False,
        points: int | None = None,
    ) -> None:
        """``did`` earns ``weight`` (times ``size``) for the work ``ref``, once: earned again,
        nothing moves. The entry keeps its weight: the charter's later weights price later
        work. ``fresh``: the caller knows there is no entry yet (a contribution is decided
        once), and none is read. ``points``: this person's part of the work's worth, when
        several share it (a contribution brought back from a fork)."""
        key = entry_key(did, kind, ref)
        entry = None if fresh else self.get(key)
        if entry is not None and entry["status"] == "earned":
            return
        month = month_of(self.event.time)
        points = weight * (size or 1) if points is None else points
        self.writes[key] = {
            "kind": kind,
            "ref": ref,
            "points": points,
            "weight": weight,
            "size": size,
            "status": "earned",
            "month": month,
            "at": self.event.time,
            "event": self.event.id,
        }
        self._move(did, month, points, 0 if entry is not None else 1)

    def change(self, did: str, kind: str, ref: bytes, points: int, **fields: Any) -> None:
        """The entry of ``ref`` now counts ``points`` (a new size, a revert: 0)."""
        key = entry_key(did, kind, ref)
        entry = self.get(key)
        if entry is None or entry["status"] != "earned":
            return
        self.writes[key] = {**entry, "points": points, **fields}
        self._move(did, entry["month"], points - entry["points"], 0)

    def _move(self, did: str, month: str, points: int, entries: int) -> None:
        """A person's total, and their points by the month they were earned in (one record:
        one write an earn, whatever the period read)."""
        total = self.get(credit_key(did))
        if total is None:  # someone's first credit: the fold can list everyone who has some
            shard = people_key(did)
            self.writes[shard] = sorted([*(self.get(shard) or []), did])
            total = {"points": 0, "entries": 0, "months": {}}
        months = dict(total["months"])
        months[month] = months.get(month, 0) + points
        self.writes[credit_key(did)] = {
            "points": total["points"] + points,
            "entries": total["entries"] + entries,
            "months": months,
        }


def size_of(view: View, cid: bytes) -> int:
    """A contribution's size: the median of its assessments, 1 when nobody assessed it."""
    sizes = list((view.get(size_key(cid)) or {}).values())
    return median(sizes) if sizes else 1


def makers(record: dict[str, Any]) -> dict[str, int]:
    """Who a contribution's credit goes to, by weight: the authors it names (the people whose
    accepted work in a fork it brings back), else the person who proposed it."""
    return dict(record.get("authors") or {}) or {record["author"]: 1}


def shares(record: dict[str, Any], worth: int) -> dict[str, int]:
    """``worth`` split over the contribution's makers, exactly (largest remainder)."""
    return allocate(worth, makers(record))


def decided(after: View, ledger: Ledger, cid: bytes, record: dict[str, Any]) -> None:
    """A decision on a contribution: its reviewers (and the maintainers who accepted it, or
    the one who rejected it) earn review credit; an accepted one, its makers' credit."""
    people = set(after.get(reviewers_key(cid)) or []) | set(record["accepted_by"])
    if record.get("decided_by"):
        people.add(record["decided_by"])
    if record.get("patrolled_by"):
        people.add(record["patrolled_by"])
    weights = weights_of(after)  # one read of the charter for every earn of the decision
    for did in sorted(people - {record["author"]} - set(makers(record))):
        ledger.earn(did, "review", weights["review"], cid, fresh=True)
    if record["state"] in ("accepted", "published"):
        size, weight = size_of(after, cid), weights["contribution"]
        for did, points in shares(record, weight * size).items():
            ledger.earn(did, "contribution", weight, cid, size, fresh=True, points=points)


@derives("contribution.review")
def _reviewed(before: View, after: View, event: Event) -> Writes:
    """A review that may lead to a decision: its author is noted (an author's review of
    their own work is left out when the decision comes)."""
    if event.body.verdict not in REVIEWS:
        return {}
    cid = event.body.contribution
    known = after.get(reviewers_key(cid)) or []
    if event.author in known:
        return {}
    return {reviewers_key(cid): sorted([*known, event.author])}


@derives("contribution.accept", "contribution.reject", "contribution.patrol")
def _decided(before: View, after: View, event: Event) -> Writes:
    cid = event.body.contribution
    record = after.get(contribution_key(cid))
    if record is None or record["state"] not in ("accepted", "rejected", "published"):
        return {}  # an accept short of the threshold decides nothing yet
    ledger = Ledger(after, event)
    decided(after, ledger, cid, record)
    return ledger.writes


@derives("contribution.revert")
def _reverted(before: View, after: View, event: Event) -> Writes:
    cid = event.body.contribution
    record = after.get(contribution_key(cid))
    ledger = Ledger(after, event)
    for did in makers(record):
        ledger.change(did, "contribution", cid, 0, status="reverted")
    return ledger.writes


@derives("task.validate")
def _validated(before: View, after: View, event: Event) -> Writes:
    tid = event.body.task
    task = after.get(task_key(tid))
    ledger = Ledger(after, event)
    weights = weights_of(after)
    ledger.earn(task["doer"], "task", weights["task"], tid)
    ledger.earn(event.author, "review", weights["review"], tid)
    return ledger.writes


@derives("task.reopen")
def _reopened(before: View, after: View, event: Event) -> Writes:
    tid = event.body.task
    task = before.get(task_key(tid))
    if task["state"] != "validated":
        return {}
    ledger = Ledger(after, event)
    ledger.change(task["doer"], "task", tid, 0, status="reopened")
    return ledger.writes


NOT_ACCEPTED = code(
    "not_accepted", "only an accepted contribution has a size to assess; it is {state:word}"
)
OWN_SIZE = code("own_size", "the author of a contribution does not assess its size")
NO_STANDING = code(
    "no_standing",
    "only a maintainer or someone with accepted work in this commons assesses a size",
)


def _assessed(body: Assess, words: Words) -> Line:
    return Line(
        N_("{who} assessed the size of '{what}' as {size}"),
        {"what": words.title(body.contribution), "size": body.size},
    )


@event_type("credit.assess", Assess, summary=_assessed)
def assess(view: View, event: Event) -> Writes:
    """An assessment of an accepted contribution's size by a maintainer or anyone with
    credit here (not its author); their later assessment replaces their earlier one."""
    body: Assess = event.body
    record = load_contribution(view, body.contribution)
    if record["state"] not in ("accepted", "published"):
        raise Ineffective(NOT_ACCEPTED, state=record["state"])
    if event.author == record["author"] or event.author in makers(record):
        raise Ineffective(OWN_SIZE)
    standing = view.get(credit_key(event.author))
    if not is_maintainer(view, event.author) and not (standing and standing["points"] > 0):
        raise Ineffective(NO_STANDING)
    sizes = {**(view.get(size_key(body.contribution)) or {}), event.author: body.size}
    ledger = Ledger(view, event)
    ledger.writes[size_key(body.contribution)] = sizes
    size = median(list(sizes.values()))
    entries = {
        did: view.get(entry_key(did, "contribution", body.contribution)) for did in makers(record)
    }
    earned = [e for e in entries.values() if e is not None and e["status"] == "earned"]
    if earned:
        worth = earned[0]["weight"] * size  # the weight it was earned at
        for did, points in shares(record, worth).items():
            ledger.change(did, "contribution", body.contribution, points, size=size)
    return ledger.writes
