"""Erasable content: what people write, kept beside the log rather than inside it.

The log is public and permanent, yet a person must be able to take back what they wrote about
themselves, and maintainers must be able to remove unlawful content, on every node that holds
it, without breaking verification. So free text and personal fields (a message's text, a
display name) are **detached**: the signed event names the content by the SHA-256 of its
bytes, and the bytes — 16 random bytes of salt, then the UTF-8 text, so that the hash of a
short text such as a name gives nothing away — travel beside the event as a file. The fold
never reads content: a node that dropped it still verifies every event and reaches the same
state digest.

``content.erase {content, reason}`` takes it back: signed by an author of an event that named
the content ("erased by its author"), or by a maintainer, with a reason ("removed by the
maintainers"). Every node that folds it deletes the content it holds and will neither keep,
serve nor fetch it again. What erasure cannot promise is said in docs/erasure.md.

A body names detached content by ``content`` (its hash) and ``content_size`` (its length,
signed, so that a node takes a pushed copy of that length only). Records: ``content/<hex>`` ->
``{"authors": [did], "size": n, "erased": None | {by, reason, event, time, moderated}}``.
"""

from typing import Annotated, Any

import msgspec

from ..core.events import Event
from ..i18n import N_
from .charter import is_maintainer
from .fold import Ineffective, View, Writes, event_type
from .lines import Line, Words
from .refusals import code
from .schema import Body, Id, Text

SALT = 16  # bytes of salt before the text
MAX_CONTENT = SALT + 4 * 20_000  # the longest text a field takes, in UTF-8
# The signed size of detached content: a node takes a pushed file only of the size signed.
ContentSize = Annotated[int, msgspec.Meta(ge=0, le=MAX_CONTENT)]

UNKNOWN_CONTENT = code(
    "unknown_content", "no event of this commons names the content {content} at this point"
)
ALREADY_ERASED = code("already_erased", "this content is already erased")
NOT_CONTENT_AUTHOR = code(
    "not_content_author",
    "only the person who wrote it, or a maintainer giving a reason, can erase this content",
)
REASON_NEEDED = code(
    "reason_needed", "a maintainer erasing someone else's content says why, for everyone to read"
)


class Erase(Body, kw_only=True):
    content: Id
    reason: Text = ""


def content_key(content: bytes) -> str:
    return "content/" + content.hex()


def pack(text: str, salt: bytes) -> bytes:
    """The bytes of a detached text (what its hash names)."""
    if len(salt) != SALT:
        raise ValueError(f"the salt is {SALT} bytes")
    return salt + text.encode("utf-8")


def unpack(data: bytes) -> str | None:
    """The text of detached content, or None if these bytes cannot be one."""
    if len(data) < SALT or len(data) > MAX_CONTENT:
        return None
    try:
        return data[SALT:].decode("utf-8")
    except UnicodeDecodeError:
        return None


def check_detached(content: bytes | None, size: int) -> None:
    """For a body's ``__post_init__``: a size only with content, and one a text can have."""
    if content is None and size:
        raise ValueError("content_size goes with content")
    if content is not None and size < SALT:
        raise ValueError(f"content_size is at least {SALT} (the salt)")


def named(view: View, event: Event, content: bytes, size: int) -> Writes:
    """The record of content an event names: its author may erase it."""
    record = view.get(content_key(content)) or {"authors": [], "size": size, "erased": None}
    if event.author in record["authors"]:
        return {}
    authors = sorted([*record["authors"], event.author])
    return {content_key(content): {**record, "authors": authors}}


def erased(view: View, content: bytes | None) -> dict[str, Any] | None:
    """How the content was erased (by whom, why), or None if it was not."""
    if content is None:
        return None
    record = view.get(content_key(content))
    return record["erased"] if record else None


def _erased(body: Erase, words: Words) -> Line:
    if body.reason:
        return Line(N_("{who} removed content: {reason}"), {"reason": body.reason})
    return Line(N_("{who} erased content"))


@event_type("content.erase", Erase, summary=_erased)
def erase(view: View, event: Event) -> Writes:
    body: Erase = event.body
    key = content_key(body.content)
    record = view.get(key)
    if record is None:
        raise Ineffective(UNKNOWN_CONTENT, content=body.content)
    if record["erased"]:
        raise Ineffective(ALREADY_ERASED)
    moderated = event.author not in record["authors"]
    if moderated and not is_maintainer(view, event.author):
        raise Ineffective(NOT_CONTENT_AUTHOR)
    if moderated and not body.reason.strip():
        raise Ineffective(REASON_NEEDED)
    how = {
        "by": event.author,
        "reason": body.reason,
        "event": event.id,
        "time": event.time,
        "moderated": moderated,
    }
    return {key: {**record, "erased": how}}
