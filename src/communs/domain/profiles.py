"""Profiles: a display name is a signed statement of its holder, not part of the key.

The name is inline (``name``) or detached (``content``: erasable, see ``content``)."""

from typing import Annotated

import msgspec

from ..core.events import Event
from ..i18n import N_
from .content import ContentSize, check_detached, named
from .fold import View, Writes, event_type
from .lines import Line, Words
from .schema import Body, Id

Name = Annotated[str, msgspec.Meta(max_length=200)]


class SetProfile(Body, kw_only=True):
    name: Name = ""
    content: Id | None = None
    content_size: ContentSize = 0

    def __post_init__(self) -> None:
        check_detached(self.content, self.content_size)
        if (self.content is None) == (not self.name):
            raise ValueError("a profile has its name inline or detached: one of the two")


def _named(body: SetProfile, words: Words) -> Line:
    # A detached name is not repeated in the log's line: its holder may erase it.
    if body.name:
        return Line(N_("{who} is named '{name}'"), {"name": body.name})
    return Line(N_("{who} signed a display name"))


@event_type("profile.set", SetProfile, summary=_named)
def set_profile(view: View, event: Event) -> Writes:
    body: SetProfile = event.body
    if body.content is None:
        return {f"profile/{event.author}": {"name": body.name}}
    return {
        f"profile/{event.author}": {"name": "", "content": body.content},
        **named(view, event, body.content, body.content_size),
    }


def profile(view: View, did: str) -> dict[str, object] | None:
    """The display name an identity signed: ``{name, content}`` (one of them set)."""
    found = view.get(f"profile/{did}")
    return found if found else None


def display_name(view: View, did: str) -> str | None:
    """The inline display name (a detached one is read by the node, which holds content)."""
    found = view.get(f"profile/{did}")
    return found["name"] or None if found else None
