"""Profiles: a display name is a signed statement of its holder, not part of the key."""

from ..core.events import Event
from .fold import View, Writes, event_type
from .schema import Body, Title


class SetProfile(Body, kw_only=True):
    name: Title


@event_type("profile.set", SetProfile)
def set_profile(view: View, event: Event) -> Writes:
    return {f"profile/{event.author}": {"name": event.body.name}}


def display_name(view: View, did: str) -> str | None:
    profile = view.get(f"profile/{did}")
    return profile["name"] if profile else None
