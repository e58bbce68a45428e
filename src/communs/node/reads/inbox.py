"""What concerns a person, read from the events as they are stored: the messages that
mention them or answer them, the fate of their contributions (reviewed, accepted, rejected,
reverted), their tasks validated or invalidated, and, for maintainers, contributions waiting
for their review and proposals opened. Kept in the node's local database (``store/inbox``),
never in the log: one entry per event, whichever commons (or fork) holds it."""

from typing import Any

from ...domain import parse_checked
from ...domain.contributions import contribution_key
from ...domain.tasks import task_key
from ...domain.threads import index_key
from ..home.folder import Home

# The event types that may concern someone else than their author, and why they do.
CONCERNING = (
    "thread.post",
    "contribution.propose",
    "contribution.review",
    "contribution.accept",
    "contribution.reject",
    "contribution.revert",
    "task.validate",
    "task.invalidate",
    "proposal.open",
)
YOURS = {  # an event on a contribution or task of theirs
    "contribution.review": "reviewed",
    "contribution.accept": "accepted",
    "contribution.reject": "rejected",
    "contribution.revert": "reverted",
    "task.validate": "validated",
    "task.invalidate": "invalidated",
}
FIRST_LOOK = 5_000  # a new inbox looks this far back among the events stored
BATCH = 500  # events looked at in one step: the lock is taken again between steps (~35 ms)


def why(event: Any, state: Any, person: str) -> str | None:
    """Why ``event`` (effective, by someone else) concerns ``person``, or None."""
    body, kind = event.body, event.type
    if kind == "thread.post":
        if person in body.mentioned():
            return "mention"
        if body.reply_to is not None:
            key = state.get(index_key(body.reply_to))
            parent = state.get(key) if key else None
            if parent and parent["author"] == person:
                return "reply"
        subject = body.subject  # a message on a contribution or task of theirs
        if subject.kind in ("contribution", "task"):
            ref = bytes.fromhex(subject.ref)
            key = contribution_key(ref) if subject.kind == "contribution" else task_key(ref)
            if (state.get(key) or {}).get("author") == person:
                return "comment"
        return None
    if kind in YOURS:
        ref = getattr(body, "contribution", None)
        key = contribution_key(ref) if ref is not None else task_key(body.task)
        record = state.get(key)
        owner = record and (record.get("author") if ref is not None else record.get("doer"))
        return YOURS[kind] if owner == person else None
    charter = state.get("charter") or {}
    if person not in charter.get("maintainers", []):
        return None
    if kind == "contribution.propose":
        return "review_requested" if charter.get("mode") == "review" else None
    if kind == "proposal.open":
        return "proposal_opened"
    return None


def catch_up(home: Home, local: Any, person: str, lock: Any) -> int:
    """Look at the events stored since the person's inbox last did, in steps that each take
    the node's lock, and keep those that concern them; the number of new entries."""
    with lock:
        seen = local.inbox_seen(person)
        if seen is None:
            seen = max(0, home.store.last_stored() - FIRST_LOOK)
    added = 0
    while True:
        with lock:
            rows = home.store.events_stored_since(seen, CONCERNING, BATCH)
            found = []
            states: dict[int, Any] = {}
            for seq, row in rows:
                seen = seq
                if row.author == person or row.refusal is not None:
                    continue
                if row.cid not in states:
                    states[row.cid] = home.state(home.store.commons_id(row.cid))
                reason = why(parse_checked(row.raw), states[row.cid], person)
                if reason:
                    found.append((row.id, home.store.commons_id(row.cid), reason, row.time))
            local.inbox_add(person, found)
            local.set_inbox_seen(person, seen)
        added += len(found)
        if len(rows) < BATCH:
            return added
