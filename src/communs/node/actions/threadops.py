"""The Service's operations on discussion: read the thread of any object of a commons, post
and reply, edit, retract, hide, unhide, react and unreact.

A subject is named by ``kind`` (commons, artifact, contribution, task, person) and ``ref``:
nothing for the commons, a path, a unique id prefix, or a DID. The rules stay in the fold
(``domain/threads.py``): a refused action signs nothing and says why.
"""

from typing import Any

from ...core.errors import BadInput
from ...core.identity import is_did
from ...domain import threads
from ...domain.refusals import code, fault
from ..files import content
from ..home.folder import Actor
from ..reads.mentions import account_did, by_name
from ..reads.queries import hexed, names
from .commons import path_refusal
from .taskops import record_id

MESSAGE_ACTIONS = ("edit", "retract", "hide", "unhide", "react", "unreact")
KINDS = ("commons", "artifact", "contribution", "task", "proposal", "person")
CHOOSE_AN_EMOJI = code("choose_an_emoji", "choose an emoji")
NEEDS = {  # what an action needs, and what to say when it is missing
    "edit": (
        "text",
        code("edit_to_nothing", "a message cannot be edited to nothing: retract it instead"),
    ),
    "hide": (
        "reason",
        code("hide_needs_reason", "give a reason to hide a message: everyone will read it"),
    ),
    "react": ("emoji", CHOOSE_AN_EMOJI),
    "unreact": ("emoji", CHOOSE_AN_EMOJI),
}
COMMONS_WITHOUT_REF = code("commons_without_ref", "the commons itself is named without a reference")
PERSON_NOT_A_DID = code("person_not_a_did", "'{ref}' is not a person: give their did:key identity")
SUBJECT_PATH = code("subject_path", "{problem}: name a file of the commons by its path")
THREAD_KIND = code("thread_kind", "a thread is on one of: {kinds}")
WRITE_SOMETHING = code("write_something", "write something before posting")
UNKNOWN_MESSAGE_ACTION = code(
    "unknown_message_action", "unknown message action '{action}': one of {actions}"
)


def latest_conversations(
    found: list[dict[str, Any]], latest: int | None
) -> tuple[list[dict[str, Any]], int]:
    """The last ``latest`` conversations of a thread in reading order (a message that replies to
    nothing, with its replies), and how many messages come before them: a page shows a long
    discussion without growing with it."""
    starts = [i for i, record in enumerate(found) if record["depth"] == 0]
    if latest is None or len(starts) <= latest:
        return found, 0
    cut = starts[-latest]
    return found[cut:], cut


def written(home: Any, text: str, known: dict[str, str] | None = None) -> dict[str, Any]:
    """A message's text as a node signs it: ``@Name`` mentions of the people ``known`` (display
    names by DID), or of this node's accounts, written as their DID; detached so that its
    author can erase it, with the people it mentions said beside it."""
    text = by_name(text, known or {}, lambda name: account_did(home, name))
    return {**content.detach(home, text), "mentions": threads.mentions(text)}


class ThreadOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``_me``, ``_commons``,
    ``_contribution`` and ``_task``)."""

    def _subject(self, commons: bytes, kind: str, ref: str) -> dict[str, str]:
        """The subject as the fold names it: ids in full, paths and DIDs checked."""
        ref = (ref or "").strip()
        if kind == "commons":
            if ref:
                raise fault(BadInput, COMMONS_WITHOUT_REF)
            return {"kind": kind, "ref": ""}
        if kind == "contribution":
            return {"kind": kind, "ref": self._contribution(commons, ref).hex()}
        if kind == "task":
            return {"kind": kind, "ref": self._task(commons, ref).hex()}
        if kind == "proposal":
            return {"kind": kind, "ref": self._proposal(commons, ref).hex()}
        if kind == "person":
            if not is_did(ref):
                raise fault(BadInput, PERSON_NOT_A_DID, ref=ref)
            return {"kind": kind, "ref": ref}
        if kind == "artifact":
            problem = path_refusal(ref)
            if problem is not None:
                raise fault(BadInput, SUBJECT_PATH, problem=problem.record())
            return {"kind": kind, "ref": ref}
        raise fault(BadInput, THREAD_KIND, kinds=list(KINDS))

    def _message(self, commons: bytes, ref: str) -> bytes:
        return record_id(self.home, commons, "message-id/", ref, "message")

    def thread(
        self, ref: str, kind: str = "commons", subject: str = "", latest: int | None = None
    ) -> dict[str, Any]:
        """A subject's messages in reading order, each with ``depth`` (0 for a message that
        replies to nothing), its author's name and its reactions (``people``, ``names``);
        hidden and retracted messages are included, shown as such. ``maintainers``: who may
        hide messages."""
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            named = self._subject(commons, kind, subject)
            cid = home.cid(commons)
            prefix = f"message/{threads.subject_key(named)}//"
            found = threads.thread(home.store.scan_records(cid, prefix), named)
            found, left_out = latest_conversations(found, latest)
            known = names(home, cid)
            state = home.state(commons)
            charter = state.get("charter") or {}
            found = [content.with_text(home, state, record) for record in found]
        messages = []
        for record in found:
            message = hexed(record)
            message["author_name"] = known.get(record["author"])
            if record["hidden"]:
                message["hidden"]["name"] = known.get(record["hidden"]["by"])
            message["reactions"] = [
                {
                    "emoji": emoji,
                    "people": people,
                    "names": [known.get(did) or did[:16] + "…" for did in people],
                }
                for emoji, people in sorted(record["reactions"].items())
            ]
            messages.append(message)
        return {
            "commons": commons.hex(),
            "commons_name": charter.get("name"),
            "subject": named,
            "messages": messages,
            "earlier": left_out,
            "maintainers": list(charter.get("maintainers", [])),
            "people": known,  # display names by DID: mentions show as names
        }

    def thread_post(
        self,
        actor: Actor,
        ref: str,
        kind: str,
        subject: str,
        text: str,
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        """Post ``text`` (Markdown; ``@Name`` or ``@did:key:…`` mentions a person) on a
        subject, or as a reply to a message of the same subject (``reply_to``: its id
        prefix)."""
        if not text.strip():
            raise fault(BadInput, WRITE_SOMETHING)
        with self.lock:
            commons = self._commons(ref)
            body = {
                "subject": self._subject(commons, kind, subject),
                "reply_to": self._message(commons, reply_to) if reply_to else None,
                **written(self.home, text, names(self.home, self.home.cid(commons))),
            }
            made = self.home.emit(self._me(actor), commons, "thread.post", body)
        return {"id": made.hex(), "subject": body["subject"]}

    def message_act(
        self,
        actor: Actor,
        ref: str,
        message: str,
        action: str,
        text: str | None = None,
        reason: str | None = None,
        emoji: str | None = None,
    ) -> dict[str, Any]:
        """edit (``text``), retract, hide (``reason``, as a maintainer), unhide, react and
        unreact (``emoji``) a message, named by a unique id prefix."""
        if action not in MESSAGE_ACTIONS:
            raise fault(
                BadInput, UNKNOWN_MESSAGE_ACTION, action=action, actions=list(MESSAGE_ACTIONS)
            )
        given = {"text": text, "reason": reason, "emoji": emoji}
        field, missing = NEEDS.get(action, (None, None))
        if field and missing and not (given[field] or "").strip():
            raise fault(BadInput, missing)
        with self.lock:
            commons = self._commons(ref)
            mid = self._message(commons, message)
            body: dict[str, Any] = {"message": mid}
            if action == "edit":
                known = names(self.home, self.home.cid(commons))
                body.update(written(self.home, text or "", known))
            elif field:
                body[field] = given[field]
            made = self.home.emit(self._me(actor), commons, f"thread.{action}", body)
        return {"id": made.hex(), "message": mid.hex()}
