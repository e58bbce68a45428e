"""Threads: discussion attached to every object of a commons, by anyone.

A message is posted on a subject: the commons itself, an artifact (its path), a contribution
or a task (its id), or a person (their DID); it may reply to an earlier message of the same
subject. Only its author edits it (the previous texts are kept) or retracts it. Events are
public and permanent: a retraction empties the text in the record as a courtesy of the fold,
but the log still holds every text ever posted. Maintainers hide a message with a reason; it
stays in place, shown as hidden with who hid it and why. Anyone reacts, once per emoji.

Records: ``message/<subject key>//<sequence>`` (one subject's messages scan in fold order;
the subject key is ``commons``, ``artifact/<path>``, ``contribution/<hex>``, ``task/<hex>`` or
``person/<did>``, and ``//`` cannot occur in it) and ``message-id/<hex>`` -> that key.
``thread`` reads them: it needs only the ``message/`` records.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

import msgspec

from ..core.events import Event
from ..core.identity import is_did
from ..i18n import N_
from .charter import require_maintainer, sequence
from .content import ContentSize, check_detached, named
from .fold import Ineffective, View, Writes, event_type
from .lines import Line, Words, acting
from .refusals import code
from .refusals import subject as subject_words
from .schema import MAX_PATH, Body, Id, Reason, check_did, check_path

SubjectKind = Literal["commons", "artifact", "contribution", "task", "proposal", "person"]
MessageText = Annotated[str, msgspec.Meta(max_length=20_000)]
Mentions = Annotated[list[str], msgspec.Meta(max_length=100)]
Emoji = Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
HEX_ID = re.compile(r"[0-9a-f]{64}")
# ``@did:key:z…`` standing alone: not inside a word or an address, and ending at a non-word.
MENTION = re.compile(r"(?<![\w@])@(did:key:z[1-9A-HJ-NP-Za-km-z]{40,60})(?!\w)")
Records = Mapping[str, Any] | Iterable[tuple[str, Any]]


class Subject(Body, kw_only=True):
    """What a thread is about: ``ref`` is "" for the commons, else a path, a lowercase hex id
    (contribution, task, proposal) or a DID (person)."""

    kind: SubjectKind
    ref: Annotated[str, msgspec.Meta(max_length=MAX_PATH)] = ""

    def __post_init__(self) -> None:
        if self.kind == "commons":
            if self.ref:
                raise ValueError("a thread on the commons itself has an empty ref")
        elif self.kind == "artifact":
            check_path(self.ref)
        elif self.kind == "person":
            check_did(self.ref, "subject.ref")
        elif not HEX_ID.fullmatch(self.ref):
            raise ValueError(f"a {self.kind} is named by its id: 64 lowercase hex characters")


class Written(Body, kw_only=True):
    """A message's text: inline (``text``), or detached (``content``, erasable: see
    ``content``) with the people it mentions said beside it, since the fold cannot read it."""

    text: MessageText = ""
    content: Id | None = None
    content_size: ContentSize = 0
    mentions: Mentions = []

    def __post_init__(self) -> None:
        check_detached(self.content, self.content_size)
        if self.content is None:
            if not self.text.strip():
                raise ValueError("text must not be blank")
            if self.mentions:
                raise ValueError("an inline text says its mentions itself")
        else:
            if self.text:
                raise ValueError("a message has its text inline or detached, not both")
            if self.mentions != sorted(set(self.mentions)):
                raise ValueError("mentions must be sorted and distinct")
            for did in self.mentions:
                check_did(did, "mentions")

    def mentioned(self) -> list[str]:
        return mentions(self.text) if self.content is None else list(self.mentions)


class Post(Written, kw_only=True):
    subject: Subject
    reply_to: Id | None = None


class Edit(Written, kw_only=True):
    message: Id


class Retract(Body, kw_only=True):
    message: Id


class Hide(Body, kw_only=True):
    message: Id
    reason: Reason


class Unhide(Body, kw_only=True):
    message: Id


class React(Body, kw_only=True):
    message: Id
    emoji: Emoji

    def __post_init__(self) -> None:
        if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in self.emoji):
            raise ValueError("emoji must have no whitespace or control character")


class Unreact(React, kw_only=True):
    pass


def subject_key(subject: Subject | Mapping[str, str]) -> str:
    """``commons``, or ``<kind>/<ref>``: paths have no empty part, so ``//`` ends it."""
    if isinstance(subject, Subject):
        subject = {"kind": subject.kind, "ref": subject.ref}
    return f"{subject['kind']}/{subject['ref']}" if subject["ref"] else subject["kind"]


def describe(subject: Mapping[str, str]) -> str:
    """A subject in words, as refusals say it (one way to name a subject)."""
    return subject_words(subject)


def index_key(mid: bytes) -> str:
    return "message-id/" + mid.hex()


def mentions(text: str) -> list[str]:
    """The DIDs mentioned as ``@did:key:z…`` in a text, sorted and unique."""
    return sorted({did for did in MENTION.findall(text) if is_did(did)})


UNKNOWN_MESSAGE = code(
    "unknown_message", "no message {message} is known in this commons at this point"
)
NOT_MESSAGE_AUTHOR = code("not_message_author", "only the author of a message can {action:verb} it")
REPLY_ELSEWHERE = code(
    "reply_elsewhere",
    "a reply belongs to the subject of the message it answers: message {message} is on "
    "{on:subject}, not on {subject:subject}",
)
MESSAGE_RETRACTED = code("message_retracted", "cannot {action:verb} a retracted message")
SAME_TEXT = code("same_text", "the new text is the same as the current one")
ALREADY_RETRACTED = code("already_retracted", "this message is already retracted")
ALREADY_HIDDEN = code("already_hidden", "this message is already hidden by {by}")
NOT_HIDDEN = code("not_hidden", "this message is not hidden")
ALREADY_REACTED = code("already_reacted", "this person already reacted with {emoji}")
NO_REACTION = code("no_reaction", "this person has no {emoji} reaction on this message")


def load(view: View, mid: bytes) -> tuple[str, dict[str, Any]]:
    key = view.get(index_key(mid))
    if key is None:
        raise Ineffective(UNKNOWN_MESSAGE, message=mid)
    return key, view.get(key)


def require_author(record: dict[str, Any], event: Event) -> None:
    if event.author != record["author"]:
        raise Ineffective(NOT_MESSAGE_AUTHOR, action=event.type)


def _wrote(body: Post, words: Words) -> Line:
    subject, replied = body.subject, body.reply_to is not None
    if subject.kind == "commons":
        return Line(
            N_("{who} replied on the commons") if replied else N_("{who} wrote on the commons")
        )
    if subject.kind == "artifact":
        text = N_("{who} replied on {path}") if replied else N_("{who} wrote on {path}")
        return Line(text, {"path": subject.ref})
    if subject.kind == "person":
        text = N_("{who} replied to {person}") if replied else N_("{who} wrote to {person}")
        return Line(text, {"person": words.person(subject.ref)})
    text = N_("{who} replied on '{what}'") if replied else N_("{who} wrote on '{what}'")
    return Line(text, {"what": words.title(subject.ref)})


def _hid(body: "Hide", words: Words) -> Line:
    return Line(N_("{who} hid a message: {reason}"), {"reason": body.reason})


def _reacted(body: "React", words: Words) -> Line:
    if isinstance(body, Unreact):
        return Line(N_("{who} took back {emoji}"), {"emoji": body.emoji})
    return Line(N_("{who} reacted {emoji}"), {"emoji": body.emoji})


@event_type("thread.post", Post, summary=_wrote)
def post(view: View, event: Event) -> Writes:
    body: Post = event.body
    subject = {"kind": body.subject.kind, "ref": body.subject.ref}
    if body.reply_to is not None:
        _, parent = load(view, body.reply_to)
        if parent["subject"] != subject:
            raise Ineffective(
                REPLY_ELSEWHERE, message=body.reply_to, on=parent["subject"], subject=subject
            )
    order = sequence(view, event)
    key = f"message/{subject_key(body.subject)}//{order}"
    record = {
        "id": event.id,
        "subject": subject,
        "author": event.author,
        "text": body.text,
        "reply_to": body.reply_to,
        "mentions": body.mentioned(),
        "time": event.time,
        "order": order,
        "edits": [],
        "retracted": False,
        "hidden": None,
        "reactions": {},
    }
    writes = {key: record, index_key(event.id): key}
    if body.content is not None:  # only then: inline messages keep the records they had
        record["content"] = body.content
        writes.update(named(view, event, body.content, body.content_size))
    return writes


@event_type("thread.edit", Edit, summary=acting(N_("{who} edited a message")))
def edit(view: View, event: Event) -> Writes:
    body: Edit = event.body
    key, record = load(view, body.message)
    require_author(record, event)
    if record["retracted"]:
        raise Ineffective(MESSAGE_RETRACTED, action=event.type)
    if (body.text, body.content) == (record["text"], record.get("content")):
        raise Ineffective(SAME_TEXT)
    change = {
        "event": event.id,
        "time": event.time,
        "order": sequence(view, event),
        "previous": record["text"],
    }
    edited = {**record, "text": body.text, "mentions": body.mentioned()}
    edited.pop("content", None)
    if record.get("content") is not None:
        change["previous_content"] = record["content"]
    writes = {key: {**edited, "edits": [*record["edits"], change]}}
    if body.content is not None:
        writes[key]["content"] = body.content
        writes.update(named(view, event, body.content, body.content_size))
    return writes


@event_type("thread.retract", Retract, summary=acting(N_("{who} retracted a message")))
def retract(view: View, event: Event) -> Writes:
    """The record forgets the text and its earlier versions (a courtesy of the fold: the
    events that carried them are public and stay in the log)."""
    key, record = load(view, event.body.message)
    require_author(record, event)
    if record["retracted"]:
        raise Ineffective(ALREADY_RETRACTED)
    edits = [{**change, "previous": ""} for change in record["edits"]]
    return {key: {**record, "text": "", "mentions": [], "edits": edits, "retracted": True}}


@event_type("thread.hide", Hide, summary=_hid)
def hide(view: View, event: Event) -> Writes:
    require_maintainer(view, event)
    key, record = load(view, event.body.message)
    if record["hidden"]:
        raise Ineffective(ALREADY_HIDDEN, by=record["hidden"]["by"])
    return {key: {**record, "hidden": {"by": event.author, "reason": event.body.reason}}}


@event_type("thread.unhide", Unhide, summary=acting(N_("{who} showed a hidden message again")))
def unhide(view: View, event: Event) -> Writes:
    require_maintainer(view, event)
    key, record = load(view, event.body.message)
    if not record["hidden"]:
        raise Ineffective(NOT_HIDDEN)
    return {key: {**record, "hidden": None}}


@event_type("thread.react", React, summary=_reacted)
def react(view: View, event: Event) -> Writes:
    body: React = event.body
    key, record = load(view, body.message)
    if record["retracted"]:
        raise Ineffective(MESSAGE_RETRACTED, action=event.type)
    people = record["reactions"].get(body.emoji, [])
    if event.author in people:
        raise Ineffective(ALREADY_REACTED, emoji=body.emoji)
    reactions = {**record["reactions"], body.emoji: sorted([*people, event.author])}
    return {key: {**record, "reactions": reactions}}


@event_type("thread.unreact", Unreact, summary=_reacted)
def unreact(view: View, event: Event) -> Writes:
    body: Unreact = event.body
    key, record = load(view, body.message)
    people = record["reactions"].get(body.emoji, [])
    if event.author not in people:
        raise Ineffective(NO_REACTION, emoji=body.emoji)
    reactions = dict(record["reactions"])
    rest = [did for did in people if did != event.author]
    if rest:
        reactions[body.emoji] = rest
    else:
        del reactions[body.emoji]
    return {key: {**record, "reactions": reactions}}


# -- reading ------------------------------------------------------------------------------


def messages(records: Records, prefix: str = "message/") -> list[dict[str, Any]]:
    """The message records under a key prefix, in fold order within each subject."""
    items = records.items() if isinstance(records, Mapping) else records
    return [value for key, value in sorted(items) if key.startswith(prefix)]


def thread(records: Records, subject: Subject | Mapping[str, str]) -> list[dict[str, Any]]:
    """A subject's messages in reading order: each message followed by its replies (and
    theirs), siblings in fold order, each record with a ``depth`` (0 for a message that
    replies to nothing). Hidden and retracted messages are included, shown as such."""
    found = messages(records, f"message/{subject_key(subject)}//")
    replies: dict[bytes | None, list[dict[str, Any]]] = {}
    for record in found:
        replies.setdefault(record["reply_to"], []).append(record)
    ordered: list[dict[str, Any]] = []
    stack = [(record, 0) for record in reversed(replies.get(None, []))]
    while stack:
        record, depth = stack.pop()
        ordered.append({**record, "depth": depth})
        stack.extend((child, depth + 1) for child in reversed(replies.get(record["id"], [])))
    return ordered
