"""The Service's door to each person's notifications (``reads/inbox``): read them, mark them
read, count the unread, remember their last visit, and the key of their private feed."""

from typing import Any

from .. import domain
from ..domain.threads import index_key, mentions
from .files import content
from .reads import inbox, queries
from .reads.describe import Known, about, describe

EXCERPT = 300  # characters of a message shown with its notification


class InboxOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``local``)."""

    home: Any
    lock: Any
    local: Any

    def notifications(self, did: str, limit: int = 50, before: int | None = None) -> dict[str, Any]:
        """The person's notifications, newest first, each with the line of its event (to say
        in the reader's language), what it is about and whether it was read."""
        inbox.catch_up(self.home, self.local, did, self.lock)
        rows = self.local.inbox(did, limit, before)
        shown = []
        with self.lock:
            home = self.home
            for row in rows:
                stored = home.store.event(row["event"])
                if stored is None:  # its commons was removed from this node
                    continue
                event = domain.parse_checked(stored.raw)
                cid = stored.cid
                words = Known(queries.names(home, cid), queries.titles(home, cid, [event]))
                charter = home.state(row["commons"]).get("charter") or {}
                shown.append(
                    {
                        **row,
                        "event": row["event"].hex(),
                        "commons": row["commons"].hex(),
                        "commons_name": charter.get("name"),
                        "author": stored.author,
                        "type": stored.type,
                        "excerpt": (text := excerpt(home, row["commons"], event)),
                        # the names of those the excerpt mentions: they show as names
                        "people": {
                            d: words.names[d] for d in mentions(text or "") if d in words.names
                        },
                        **describe(event, words),
                    }
                )
        return {"notifications": shown, "unread": self.local.inbox_unread(did)}

    def notification_opened(self, did: str, event: str) -> dict[str, Any] | None:
        """One of the person's notifications, now read: its commons and what it is about
        (None when it is not theirs, or not an id)."""
        try:
            wanted = bytes.fromhex(event)
        except ValueError:
            return None
        if not self.local.inbox_holds(did, wanted):
            return None
        with self.lock:
            stored = self.home.store.event(wanted)
            if stored is None:
                return None
            found = {
                "commons": self.home.store.commons_id(stored.cid).hex(),
                "about": about(domain.parse_checked(stored.raw)),
            }
        self.local.inbox_mark_read(did, wanted)
        return found

    def notifications_read(self, did: str, event: str | None = None) -> None:
        """One notification read (its event's hex id), or all of them."""
        self.local.inbox_mark_read(did, bytes.fromhex(event) if event else None)

    def unread(self, did: str) -> int:
        return int(self.local.inbox_unread(did))

    def visit(self, did: str, now: int) -> int | None:
        """A new visit of the person: the time of their previous one (None: the first)."""
        previous = self.local.last_visit(did)
        self.local.visited(did, now)
        return previous

    def feed_key(self, did: str) -> str:
        return str(self.local.feed_key(did))

    def feed_owner(self, key: str) -> str | None:
        owner = self.local.feed_owner(key)
        return str(owner) if owner else None


def excerpt(home: Any, commons: bytes, event: Any) -> str | None:
    """A message's text as it is now (edited, or erased: None), for a mention or a reply."""
    if event.type != "thread.post":
        return None
    state = home.state(commons)
    key = state.get(index_key(event.id))
    record = state.get(key) if key else None
    if record is None or record["retracted"] or record["hidden"]:
        return None
    text = content.with_text(home, state, record).get("text")
    return text[:EXCERPT] if text else None
