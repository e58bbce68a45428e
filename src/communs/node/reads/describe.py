"""One readable line per event, for the log and the activity page:
"anna accepted 'Fix the map legend'", "dara claimed 'Photograph the old mill'"."""

from typing import Any

VERBS = {
    "contribution.revise": "revised",
    "contribution.accept": "accepted",
    "contribution.reject": "rejected",
    "contribution.revert": "reverted",
    "contribution.patrol": "patrolled",
    "contribution.withdraw": "withdrew",
    "task.claim": "claimed",
    "task.extend": "extended the claim on",
    "task.release": "released",
    "task.done": "marked done",
    "task.validate": "validated",
    "task.invalidate": "invalidated",
    "task.reopen": "reopened",
    "thread.edit": "edited a message",
    "thread.retract": "retracted a message",
    "thread.unhide": "showed a hidden message again",
    "proposal.vote": "voted on",
    "proposal.commit": "cast a hidden ballot on",
    "proposal.reveal": "revealed a ballot on",
    "proposal.withdraw_objection": "withdrew an objection to",
    "proposal.close": "closed",
    "proposal.settle": "settled",
}


def describe(event: Any, names: dict[str, str], titles: dict[str, str]) -> str:
    """``names``: display names by DID; ``titles``: contribution, task and proposal titles
    by hex id."""
    who = names.get(event.author, event.author[:16] + "…")
    body = event.body
    kind = event.type

    def named(ref: bytes | str) -> str:
        key = ref.hex() if isinstance(ref, bytes) else ref
        return f"'{titles.get(key, key[:12])}'"

    if kind == "commons.create":
        origin = body.forked_from
        made = f"forked {origin.commons.hex()[:12]} as" if origin else "created"
        return f"{who} {made} '{body.charter.name}'"
    if kind == "profile.set":  # a detached name is not repeated here: it may be erased
        return f"{who} is named '{body.name}'" if body.name else f"{who} signed a display name"
    if kind == "content.erase":
        return f"{who} {'removed' if body.reason else 'erased'} content" + (
            f": {body.reason}" if body.reason else ""
        )
    if kind == "charter.change":
        return f"{who} endorsed {_charter_change(body.change, names)}"
    if kind == "contribution.propose":
        return f"{who} proposed '{body.title}' ({len(body.changes)} change(s))"
    if kind == "contribution.review":
        return f"{who} reviewed {named(body.contribution)}: {body.verdict.replace('_', ' ')}"
    if kind == "task.open":
        return f"{who} opened the task '{body.title}'"
    if kind == "task.signal":
        target = body.target
        what = getattr(target, "path", None) or named(target.id)
        return f"{who} signalled {what} as {body.kind.replace('_', ' ')}"
    if kind in ("task.flag", "task.unflag"):
        flagged = "flagged" if kind == "task.flag" else "unflagged"
        note = f": {body.note}" if kind == "task.flag" else ""
        return f"{who} {flagged} {body.path}{note}"
    if kind == "proposal.open":
        return f"{who} opened the proposal '{body.title}' ({body.kind})"
    if kind == "proposal.object":
        return f"{who} objected to {named(body.proposal)}: {body.reason}"
    if kind == "thread.post":
        subject = body.subject
        where = {
            "commons": "the commons",
            "artifact": subject.ref,
            "person": names.get(subject.ref, subject.ref[:16] + "…"),
        }.get(subject.kind, named(subject.ref))
        return f"{who} {'replied' if body.reply_to else 'wrote'} on {where}"
    if kind == "thread.hide":
        return f"{who} hid a message: {body.reason}"
    if kind in ("thread.react", "thread.unreact"):
        verb = "reacted" if kind == "thread.react" else "took back"
        return f"{who} {verb} {body.emoji}"
    target = (
        getattr(body, "contribution", None)
        or getattr(body, "task", None)
        or getattr(body, "proposal", None)
    )
    return f"{who} {VERBS.get(kind, kind)}" + (f" {named(target)}" if target else "")


def _charter_change(change: Any, names: dict[str, str]) -> str:
    op = type(change).__struct_config__.tag
    if op == "set":
        return f"setting the charter's {change.field} to {change.value!r}"
    whom = names.get(change.did, change.did[:16] + "…")
    return f"{'adding' if op == 'add_maintainer' else 'removing'} {whom} as a maintainer"
