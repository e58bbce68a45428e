"""Contributions: anyone proposes, maintainers validate after the fact.

Review-first commons (like pull requests): a contribution is open until ``threshold``
maintainers accept the same revision, or one maintainer rejects it with a reason.
Publish-first commons (like a wiki): a contribution is canonical at once; maintainers
patrol it (mark it reviewed) or revert it with a reason. In both, anyone reviews, and only
the author revises or withdraws. A revision whose base moved under it is a conflict.
"""

from typing import Annotated, Any, Literal

import msgspec

from ..core.events import Event
from ..i18n import N_, Nn_
from .artifacts import Change, Merged, change_records, check_unique_paths, write_changes
from .charter import ForkOrigin, charter_of, require_maintainer, sequence
from .fold import Ineffective, View, Writes, event_type
from .lines import Line, Words, acting, word
from .refusals import code
from .schema import Body, Id, Reason, Text, Title, check_did, to_builtins

Changes = Annotated[list[Change], msgspec.Meta(min_length=1, max_length=1000)]
Merges = Annotated[list[Merged], msgspec.Meta(max_length=1000)]
STATES = ("open", "conflict", "accepted", "published", "rejected", "withdrawn", "reverted")


class Author(Body, kw_only=True):
    """One of the people whose accepted work in a fork a contribution brings back, with the
    weight of their part (their credit for it there)."""

    did: str
    weight: Annotated[int, msgspec.Meta(ge=1, le=10**9)]

    def __post_init__(self) -> None:
        check_did(self.did, "did")


class Propose(Body, kw_only=True):
    title: Title
    description: Text = ""
    changes: Changes
    origin: ForkOrigin | None = None  # the fork (commons and heads) this comes from, if any
    # Who did the work this brings back from the fork: its credit goes to them, by weight,
    # once the parent's maintainers accept it (they read the list as they read the changes).
    authors: Annotated[list[Author], msgspec.Meta(max_length=255)] = []

    def __post_init__(self) -> None:
        check_unique_paths(self.changes)
        if self.authors and self.origin is None:
            raise ValueError("authors: only a contribution from a fork names its authors")
        if len({a.did for a in self.authors}) != len(self.authors):
            raise ValueError("authors: each person once")


class Revise(Body, kw_only=True):
    contribution: Id
    changes: Changes
    title: Title | None = None
    description: Text | None = None

    def __post_init__(self) -> None:
        check_unique_paths(self.changes)


class Review(Body, kw_only=True):
    contribution: Id
    verdict: Literal["comment", "approve", "request_changes"]
    comment: Text = ""


class Accept(Body, kw_only=True):
    contribution: Id
    revision: Annotated[int, msgspec.Meta(ge=0)]
    merged: Merges = []


class Reject(Body, kw_only=True):
    contribution: Id
    reason: Reason


class Revert(Body, kw_only=True):
    contribution: Id
    reason: Reason
    merged: Merges = []


class Patrol(Body, kw_only=True):
    contribution: Id


class Withdraw(Body, kw_only=True):
    contribution: Id


def contribution_key(cid: bytes) -> str:
    return "contribution/" + cid.hex()


def review_key(cid: bytes, view: View, event: Event) -> str:
    return f"review/{cid.hex()}/{sequence(view, event)}"


UNKNOWN_CONTRIBUTION = code(
    "unknown_contribution", "no contribution {contribution} is known in this commons at this point"
)
CONTRIBUTION_STATE = code(
    "contribution_state", "cannot {action:verb} a contribution that is {state:word}"
)
NOT_CONTRIBUTION_AUTHOR = code(
    "not_contribution_author", "only the author of a contribution can {action:verb} it"
)
PUBLISH_FIRST = code(
    "publish_first",
    "in a publish-first commons contributions are canonical at once; patrol or revert them instead",
)
STALE_REVISION = code(
    "stale_revision",
    "accepts revision {revision}, but the current revision is {current}; review the new revision",
)
ALREADY_ACCEPTED = code("already_accepted", "this maintainer already accepted this revision")
ALREADY_PATROLLED = code("already_patrolled", "this contribution was already patrolled")


def load(view: View, cid: bytes) -> dict[str, Any]:
    record = view.get(contribution_key(cid))
    if record is None:
        raise Ineffective(UNKNOWN_CONTRIBUTION, contribution=cid)
    return record


def require_state(record: dict[str, Any], allowed: tuple[str, ...], event: Event) -> None:
    if record["state"] not in allowed:
        raise Ineffective(CONTRIBUTION_STATE, action=event.type, state=record["state"])


def require_author(record: dict[str, Any], event: Event) -> None:
    if event.author != record["author"]:
        raise Ineffective(NOT_CONTRIBUTION_AUTHOR, action=event.type)


def targets(changes: list[dict[str, Any]]) -> list[tuple]:
    return [
        (c["path"], c["base"], c["blob"], c["size"], c["media"], c.get("torrent")) for c in changes
    ]


def publish(view: View, event: Event, cid: bytes, record: dict[str, Any]) -> Writes:
    """Make the current revision canonical at once (publish-first), or mark the conflict."""
    try:
        writes, applied = write_changes(
            view, event, cid, "publish", targets(record["revisions"][-1]["changes"]), []
        )
    except Ineffective as ineffective:
        conflict = ineffective.refusal.record()
        return {contribution_key(cid): {**record, "state": "conflict", "conflict": conflict}}
    writes[contribution_key(cid)] = {
        **record,
        "state": "published",
        "applied": applied,
        "conflict": None,
    }
    return writes


def _proposed(body: Propose, words: Words) -> Line:
    return Line(
        Nn_("{who} proposed '{title}' ({n} change)", "{who} proposed '{title}' ({n} changes)"),
        {"title": body.title, "n": len(body.changes)},
    )


def _reviewed(body: "Review", words: Words) -> Line:
    return Line(
        N_("{who} reviewed '{what}': {verdict}"),
        {"what": words.title(body.contribution), "verdict": word(body.verdict)},
    )


@event_type("contribution.propose", Propose, summary=_proposed)
def propose(view: View, event: Event) -> Writes:
    body: Propose = event.body
    record = {
        "author": event.author,
        "title": body.title,
        "description": body.description,
        "state": "open",
        "revisions": [{"event": event.id, "changes": change_records(body.changes)}],
        "accepted_by": [],
        "applied": None,
        "decided_by": None,
        "reason": None,
        "conflict": None,
        "patrolled_by": None,
        "origin": to_builtins(body.origin) if body.origin else None,
        "authors": {a.did: a.weight for a in body.authors},
        "order": sequence(view, event),
        "time": event.time,
    }
    if charter_of(view)["mode"] == "publish":
        return publish(view, event, event.id, record)
    return {contribution_key(event.id): record}


@event_type("contribution.revise", Revise, summary=acting(N_("{who} revised '{what}'")))
def revise(view: View, event: Event) -> Writes:
    body: Revise = event.body
    record = load(view, body.contribution)
    require_author(record, event)
    require_state(record, ("open", "conflict"), event)
    record = {
        **record,
        "title": body.title if body.title is not None else record["title"],
        "description": body.description if body.description is not None else record["description"],
        "revisions": [
            *record["revisions"],
            {"event": event.id, "changes": change_records(body.changes)},
        ],
        "accepted_by": [],
        "state": "open",
        "conflict": None,
    }
    if charter_of(view)["mode"] == "publish":
        return publish(view, event, body.contribution, record)
    return {contribution_key(body.contribution): record}


@event_type("contribution.review", Review, summary=_reviewed)
def review(view: View, event: Event) -> Writes:
    body: Review = event.body
    record = load(view, body.contribution)
    return {
        review_key(body.contribution, view, event): {
            "by": event.author,
            "verdict": body.verdict,
            "comment": body.comment,
            "revision": len(record["revisions"]) - 1,
            "time": event.time,
        }
    }


@event_type("contribution.accept", Accept, summary=acting(N_("{who} accepted '{what}'")))
def accept(view: View, event: Event) -> Writes:
    body: Accept = event.body
    require_maintainer(view, event)
    charter = charter_of(view)
    if charter["mode"] != "review":
        raise Ineffective(PUBLISH_FIRST)
    record = load(view, body.contribution)
    require_state(record, ("open",), event)
    current = len(record["revisions"]) - 1
    if body.revision != current:
        raise Ineffective(STALE_REVISION, revision=body.revision, current=current)
    if event.author in record["accepted_by"]:
        raise Ineffective(ALREADY_ACCEPTED)
    accepted_by = sorted([*record["accepted_by"], event.author])
    key = contribution_key(body.contribution)
    counted = [did for did in accepted_by if did in charter["maintainers"]]
    if len(counted) < charter["threshold"]:
        return {key: {**record, "accepted_by": accepted_by}}
    writes, applied = write_changes(
        view,
        event,
        body.contribution,
        "accept",
        targets(record["revisions"][current]["changes"]),
        body.merged,
    )
    writes[key] = {
        **record,
        "accepted_by": accepted_by,
        "state": "accepted",
        "applied": applied,
        "decided_by": event.author,
    }
    return writes


@event_type("contribution.reject", Reject, summary=acting(N_("{who} rejected '{what}'")))
def reject(view: View, event: Event) -> Writes:
    require_maintainer(view, event)
    record = load(view, event.body.contribution)
    require_state(record, ("open", "conflict"), event)
    return {
        contribution_key(event.body.contribution): {
            **record,
            "state": "rejected",
            "reason": event.body.reason,
            "decided_by": event.author,
        }
    }


@event_type("contribution.withdraw", Withdraw, summary=acting(N_("{who} withdrew '{what}'")))
def withdraw(view: View, event: Event) -> Writes:
    record = load(view, event.body.contribution)
    require_author(record, event)
    require_state(record, ("open", "conflict"), event)
    return {contribution_key(event.body.contribution): {**record, "state": "withdrawn"}}


@event_type("contribution.revert", Revert, summary=acting(N_("{who} reverted '{what}'")))
def revert(view: View, event: Event) -> Writes:
    body: Revert = event.body
    require_maintainer(view, event)
    record = load(view, body.contribution)
    require_state(record, ("accepted", "published"), event)
    undo = [
        (
            a["path"],
            a["after"],
            a["before"],
            a["before_size"],
            a["before_media"],
            a.get("before_torrent"),
        )
        for a in record["applied"]
    ]
    writes, _ = write_changes(view, event, body.contribution, "revert", undo, body.merged)
    writes[contribution_key(body.contribution)] = {
        **record,
        "state": "reverted",
        "reason": body.reason,
        "decided_by": event.author,
    }
    return writes


@event_type("contribution.patrol", Patrol, summary=acting(N_("{who} patrolled '{what}'")))
def patrol(view: View, event: Event) -> Writes:
    require_maintainer(view, event)
    record = load(view, event.body.contribution)
    require_state(record, ("published",), event)
    if record["patrolled_by"]:
        raise Ineffective(ALREADY_PATROLLED)
    return {contribution_key(event.body.contribution): {**record, "patrolled_by": event.author}}
