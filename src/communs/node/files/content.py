"""Detached content on a node: texts written as files beside the events that name them, read
back for the pages, and deleted for good when a commons erases them (``domain/content``).

A node signs every new message and display name detached, so that each can be taken back.
Reading never fails: content this node does not hold (not fetched yet, or erased) reads as
``None``, and the pages say which.
"""

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ... import domain
from ...core.errors import BadInput, CommunsError
from ...domain.content import MAX_CONTENT, SALT, erased, pack, unpack
from ...domain.refusals import code, fault

if TYPE_CHECKING:
    from ..home.folder import Home


def detach(home: "Home", text: str) -> dict[str, Any]:
    """Keep ``text`` as detached content (with a fresh salt): the body fields that name it."""
    kept = home.blobs.add_bytes(pack(text, os.urandom(SALT)))
    return {"content": kept.hash, "content_size": kept.size}


# Texts read back, per home: a page shows many (a thread, its people's names), and content
# never changes under its hash. Erasing drops a text from here as from the disk.
CACHED = 20_000  # texts per home (a message is a few hundred bytes)
_texts: "weakref.WeakKeyDictionary[Any, OrderedDict[bytes, str]]" = weakref.WeakKeyDictionary()
_texts_lock = threading.Lock()


def read(home: "Home", content: bytes | None) -> str | None:
    """The text of detached content, or None if this node does not hold it (or not as text)."""
    if content is None:
        return None
    with _texts_lock:
        texts = _texts.setdefault(home.blobs, OrderedDict())
        if content in texts:
            texts.move_to_end(content)
            return texts[content]
    if not home.blobs.has(content):
        return None
    try:
        text = unpack(home.blobs.read_bytes(content, MAX_CONTENT))
    except CommunsError:
        return None
    with _texts_lock:
        if text is not None and not home.blobs.is_erased(content):  # not erased meanwhile
            texts[content] = text
            if len(texts) > CACHED:
                texts.popitem(last=False)
    return text


def forget(home: "Home", content: bytes) -> None:
    """Erase detached content here: from the disk, for good, and from the texts read back."""
    home.blobs.erase(content)
    with _texts_lock:
        _texts.get(home.blobs, OrderedDict()).pop(content, None)


def shown(home: "Home", view: domain.View, inline: str, content: bytes | None) -> dict[str, Any]:
    """What a page shows of a text: ``text`` (inline or read back), and if detached, whether
    it was ``erased`` (by whom, why, and whether by the maintainers) or is ``missing``."""
    if content is None:
        return {"text": inline, "erased": None, "missing": False}
    how = erased(view, content)
    text = None if how else read(home, content)
    return {"text": text or "", "erased": how, "missing": how is None and text is None}


def with_text(home: "Home", view: domain.View, message: dict[str, Any]) -> dict[str, Any]:
    """A message record with its text, and its earlier versions', read back (``shown``): what
    every page shows of it. A retracted message keeps its hashes, for its author to erase,
    but shows nothing."""
    gone = bool(message.get("retracted"))

    def said(text: str, detached: bytes | None) -> dict[str, Any]:
        return shown(home, view, text, None if gone else detached)

    edits = [
        {**edit, "previous": said(edit["previous"], edit.get("previous_content"))["text"]}
        for edit in message.get("edits") or ()
    ]
    return {**message, **said(message["text"], message.get("content")), "edits": edits}


ERASE = b"content.erase"


def honour(home: "Home", added: Iterable[tuple[bytes, bytes]]) -> None:
    """Delete the content that newly folded ``content.erase`` events erased (a listener of the
    home: it runs once the events are committed, whoever sent them)."""
    for commons, raw in added:
        # The type is a text string inside the payload's bytes: most events (a clone brings
        # thousands) need no decoding. A message mentioning the name costs a decode, no more.
        if ERASE not in raw:
            continue
        event = domain.parse_checked(raw)
        if event.type != "content.erase":
            continue
        how = erased(home.state(commons), event.body.content)
        if how is not None and how["event"] == event.id:
            forget(home, event.body.content)


NAMES_NO_CONTENT = code(
    "names_no_content",
    "'{target}' names no content: give message:ID, name, name:DID or a content hash",
)
WRITTEN_INLINE = code(
    "written_inline",
    "{target} was written inline, before texts became erasable: its text is part of the "
    "signed log; retract it ('communs comment retract ID') or ask a maintainer to hide it",
)


class ContentOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``_me``, ``_commons`` and
    ``_message``): taking back what was written."""

    def erase(self, actor: Any, ref: str, target: str, reason: str = "") -> dict[str, Any]:
        """Erase detached content on every node that holds the commons: ``message:ID`` (every
        version of a message's text), ``name`` (the signer's own display name),
        ``name:DID`` (a maintainer removing someone's name, with a reason), or a content hash
        in hex. The events stay, and still verify; their content is gone."""
        kind, _, rest = target.partition(":")
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            me = self._me(actor)
            state = home.state(commons)
            hashes = self._erasable(commons, state, kind, rest or me.did, target)
            erased_now = []
            for hash in hashes:
                if erased(state, hash) is None:
                    home.emit(me, commons, "content.erase", {"content": hash, "reason": reason})
                    erased_now.append(hash.hex())
        return {"commons": commons.hex(), "erased": erased_now}

    def _erasable(
        self, commons: bytes, state: domain.View, kind: str, rest: str, target: str
    ) -> list[bytes]:
        if kind == "message":
            key = state.get("message-id/" + self._message(commons, rest).hex())
            record = state.get(key)
            found = [c.get("previous_content") for c in record["edits"]]
            found.append(record.get("content"))
        elif kind == "name":
            found = [(state.get(f"profile/{rest}") or {}).get("content")]
        elif len(target) == 64 and all(c in "0123456789abcdef" for c in target):
            found = [bytes.fromhex(target)]
        else:
            raise fault(BadInput, NAMES_NO_CONTENT, target=target)
        hashes = [h for h in found if h is not None]
        if not hashes:
            raise fault(BadInput, WRITTEN_INLINE, target=target)
        return hashes
