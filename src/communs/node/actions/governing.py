"""Governance for people: open proposals, vote (openly or by commitment), object, close,
and read the charter and its history. Signs through ``Home.emit`` like every action."""

import itertools
import os
import time
from typing import Any

import cbor2

from ...core.errors import Ambiguous, NotFound, Refused
from ...core.identity import Identity
from ...domain.governance import ballot_refused, commitment, proposal_key
from ...domain.refusals import code, fault, sentence
from ...store.local import LocalState
from ..home.folder import Home
from ..home.refusing import not_an_id
from ..reads.mentions import named_effect
from ..reads.queries import hexed, log

CHARTER_EVENTS = (
    "commons.create",
    "charter.change",
    "proposal.open",
    "proposal.close",
    "proposal.settle",
)

PROPOSAL_NOT_FOUND = code("proposal_not_found", "no proposal '{ref}' in commons {commons}")
PROPOSAL_PREFIX_SHARED = code(
    "proposal_prefix_shared", "'{ref}' matches several proposals; give more characters"
)
NO_KEPT_BALLOT = code(
    "no_kept_ballot", "this node holds no hidden ballot of yours for this proposal"
)
FORK_NEEDS_LOST_CHANGE = code(
    "fork_needs_lost_change",
    "only a decided proposal that did not pass and carried a change can be turned into a fork "
    "with that change",
)
CHANGE_ALREADY_IN = code(
    "change_already_in", "this proposal passed: its change is already in the charter"
)


def proposal_id(home: Home, commons: bytes, ref: str) -> bytes:
    ref = ref.strip().lower()
    if not ref or len(ref) > 64 or any(c not in "0123456789abcdef" for c in ref):
        raise not_an_id(ref)
    found = [
        k.split("/", 1)[1]
        for k, _ in itertools.islice(
            home.store.scan_records(home.cid(commons), "proposal/" + ref), 2
        )
    ]
    if not found:
        raise fault(NotFound, PROPOSAL_NOT_FOUND, ref=ref, commons=commons)
    if len(found) > 1:
        raise fault(Ambiguous, PROPOSAL_PREFIX_SHARED, ref=ref)
    return bytes.fromhex(found[0])


def proposals(home: Home, commons: bytes) -> list[dict[str, Any]]:
    cid = home.cid(commons)
    items = [
        {"id": key.split("/", 1)[1], **summary(record)}
        for key, record in home.store.scan_records(cid, "proposal/")
    ]
    return sorted(items, key=lambda p: p["closes_at"])


def summary(record: dict[str, Any]) -> dict[str, Any]:
    result = record.get("result") or {}
    return {
        "title": record["title"],
        "kind": record["kind"],
        "state": record["state"],
        "method": record["method"]["name"],
        "closes_at": record["closes_at"],
        "hidden": record["hidden"],
        "votes": len(record["ballots"]),
        "commitments": len(record["commitments"]),
        "objections": len(record["objections"]),
        "outcome": result.get("outcome"),
        "reason": result.get("reason"),
    }


def show(home: Home, commons: bytes, pid: bytes) -> dict[str, Any]:
    record = home.state(commons).get(proposal_key(pid))
    return {"id": pid.hex(), **hexed(record)}


def open_(
    home: Home,
    me: Identity,
    commons: bytes,
    *,
    title: str,
    text: str = "",
    kind: str = "custom",
    method: dict[str, Any] | None = None,
    options: list[str] | None = None,
    closes_in_hours: float = 72,
    effect: dict[str, Any] | None = None,
    hidden: bool = False,
    about: bytes | None = None,
) -> bytes:
    body = {
        "title": title,
        "text": text,
        "kind": kind,
        "options": options or [],
        "closes_at": int((time.time() + closes_in_hours * 3600) * 1000),
        "hidden": hidden,
    }
    if method:
        body["method"] = method
    if about:
        body["about"] = about
    if effect:
        body["effect"] = named_effect(home, commons, effect)
    return home.emit(me, commons, "proposal.open", body)


def vote(
    home: Home,
    local: LocalState,
    me: Identity,
    commons: bytes,
    pid: bytes,
    ballot: Any,
    reason: str = "",
) -> bytes:
    """An open ballot, or — for a hidden proposal — a commitment whose ballot and salt this
    node keeps, to reveal them after the close."""
    record = home.state(commons).get(proposal_key(pid))
    credits = my_credits(home, commons, me.did)
    if record and record["hidden"]:
        # The fold checks a hidden ballot only when it is revealed, after the close: checked
        # here too, as an open one is, so that no one commits to a ballot that cannot count.
        refused = ballot_refused(record, ballot, reason)
        if refused:
            found = refused.refusal
            raise Refused(sentence(found), code=found.code, params=dict(found.params))
        salt = os.urandom(32)
        body = {"proposal": pid, "commitment": commitment(pid, me.did, ballot, salt)}
        event = home.emit(me, commons, "proposal.commit", {**body, "credits": credits})
        local.keep_ballot(pid, me.did, cbor2.dumps([ballot, reason]), salt)
        return event
    body = {"proposal": pid, "ballot": ballot, "reason": reason, "credits": credits}
    return home.emit(me, commons, "proposal.vote", body)


def my_credits(home: Home, commons: bytes, did: str, most: int = 100) -> list[bytes]:
    """The accepted contributions of ``did``: what proves it may take part in decisions
    open to contributors (the fold reads records by key, so the voter names them)."""
    cid = home.cid(commons)
    mine = [
        bytes.fromhex(key.split("/", 1)[1])
        for key, record in home.store.scan_records(cid, "contribution/", ("accepted",))
        if record["author"] == did
    ]
    return mine[:most]


def reveal(home: Home, local: LocalState, me: Identity, commons: bytes, pid: bytes) -> bytes:
    kept = local.kept_ballot(pid, me.did)
    if kept is None:
        raise fault(Refused, NO_KEPT_BALLOT)
    (ballot, reason), salt = cbor2.loads(kept[0]), kept[1]
    return home.emit(
        me,
        commons,
        "proposal.reveal",
        {"proposal": pid, "ballot": ballot, "salt": salt, "reason": reason},
    )


def charter_history(home: Home, commons: bytes) -> list[dict[str, Any]]:
    """How the charter came to be: its creation, endorsed changes, and proposals."""
    entries = []
    for kind in CHARTER_EVENTS:
        entries += log(home, commons, 500, type=kind)
    return sorted(entries, key=lambda e: (e["clock"], e["id"]))


def fork_with(home: Home, me: Identity, commons: bytes, pid: bytes, name: str) -> bytes:
    """Counter-power in one action: fork the commons and, in the fork, decide the change the
    proposal asked for and lost (its proposer alone maintains the fork)."""
    from .commons import fork  # actions imports nothing from here: no cycle

    record = home.state(commons).get(proposal_key(pid))
    if record["state"] not in ("failed", "closed", "settled") or not record.get("effect"):
        raise fault(Refused, FORK_NEEDS_LOST_CHANGE)
    result = record.get("result") or {}
    if result.get("outcome") == "passed":
        raise fault(Refused, CHANGE_ALREADY_IN)
    forked = fork(
        home,
        me,
        commons,
        name=name,
        description=f"Fork made to apply the change proposed in '{record['title']}'.",
    )
    effect = record["effect"]
    if effect == {"op": "add_maintainer", "did": me.did}:
        return forked  # the one who forks maintains the fork already
    kind = "maintainer" if effect["op"].endswith("_maintainer") else "charter"
    again = home.emit(
        me,
        forked,
        "proposal.open",
        {
            "title": record["title"],
            "text": record["text"],
            "kind": kind,
            "closes_at": int(time.time() * 1000),
            "effect": record["effect"],
        },
    )
    home.emit(me, forked, "proposal.vote", {"proposal": again, "ballot": "yes"})
    home.emit(me, forked, "proposal.close", {"proposal": again, "outcome": "applied in this fork"})
    return forked


REMIND_BEFORE = 48 * 3600 * 1000  # ms before the close when a voter is reminded


def reminders(home: Home, commons: bytes, did: str, now: int) -> list[dict[str, Any]]:
    """Open proposals closing soon that ``did`` may decide on and has not answered yet."""
    cid = home.cid(commons)
    maintainers = home.state(commons).get("charter")["maintainers"]
    due = []
    for key, record in home.store.scan_records(cid, "proposal/", ("open",)):
        if record["closes_at"] - now > REMIND_BEFORE:
            continue
        if record["rule"]["eligible"] == "maintainers" and did not in maintainers:
            continue
        answered = {*record["ballots"], *record["commitments"], *record["objections"]}
        if did not in answered:
            due.append(
                {
                    "id": key.split("/", 1)[1],
                    "title": record["title"],
                    "closes_at": record["closes_at"],
                }
            )
    return sorted(due, key=lambda r: r["closes_at"])
