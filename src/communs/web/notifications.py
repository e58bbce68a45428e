"""A person's notifications in the browser: the list (unread first to the eye), one opened
and so read, all marked read, and the private Atom feed a feed reader follows with its key."""

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..core.errors import NotFound
from ..domain.lines import say
from ..domain.refusals import code, fault
from ..i18n import N_, translator
from .base import Web
from .feeds import atom
from .links import object_url

PAGE = 50
NOT_YOUR_NOTIFICATION = code("not_your_notification", "this notification is not among yours")
NO_FEED_KEY = code(
    "no_feed_key", "no feed has this key: copy the link again from your notifications"
)
WHY = {  # what a notification tells its person, beside the line of its event
    "mention": N_("mentioned you"),
    "reply": N_("replied to you"),
    "comment": N_("wrote about your work"),
    "reviewed": N_("your contribution"),  # the line says what happened to it
    "accepted": N_("your contribution"),
    "rejected": N_("your contribution"),
    "reverted": N_("your contribution"),
    "validated": N_("your task"),
    "invalidated": N_("your task"),
    "review_requested": N_("for your review"),
    "proposal_opened": N_("for your decision"),
}


def url_of(note: dict[str, Any]) -> str:
    """The page a notification is about."""
    return object_url(note["commons"], note["about"])


def add_routes(web: Web) -> None:
    service = web.service

    def me(request: Request) -> str:
        return web.actor(request).identity.did  # signed in, or off to the sign-in page

    @web.route("/notifications")
    async def listing(request: Request) -> Response:
        did = me(request)
        before = request.query_params.get("before")
        found = await web.call(
            service.notifications, did, PAGE, int(before) if (before or "").isdigit() else None
        )
        notes = found["notifications"]
        for note in notes:
            note["url"] = url_of(note)
        older = notes[-1]["time"] if len(notes) == PAGE else None
        key = await web.call(service.feed_key, did)
        feed = f"{request.base_url}notifications.atom?key={key}"
        return web.page(
            request,
            "notifications.html",
            {
                "notifications": notes,
                "unread": found["unread"],
                "older": older,
                "feed": feed,
                "reasons": WHY,
            },
        )

    @web.route("/notifications/read", methods=("POST",))
    async def read_all(request: Request) -> Response:
        await web.form(request)
        await web.call(service.notifications_read, me(request))
        return RedirectResponse("/notifications", status_code=303)

    @web.route("/notifications/{event}")
    async def open_one(request: Request) -> Response:
        """A notification followed: read from now on, and off to what it is about."""
        did, event = me(request), request.path_params["event"]
        note = await web.call(service.notification_opened, did, event)
        if note is None:
            raise fault(NotFound, NOT_YOUR_NOTIFICATION)
        return RedirectResponse(url_of(note), status_code=303)

    @web.route("/notifications.atom")
    async def private_feed(request: Request) -> Response:
        """The person's notifications for a feed reader: its key stands for signing in."""
        did = await web.call(service.feed_owner, request.query_params.get("key") or "")
        if did is None:
            raise fault(NotFound, NO_FEED_KEY)
        found = await web.call(service.notifications, did, PAGE)
        _ = translator(web.lang(request))
        entries = [
            {
                "id": f"urn:communs:event:{n['event']}",
                "title": f"{_(WHY[n['why']])} · {say(n['line'], _)}",
                "link": f"{str(request.base_url).rstrip('/')}{url_of(n)}",
                "time": n["time"],
                "author": n["author"],
            }
            for n in found["notifications"]
        ]
        title = _("Your notifications")
        return atom(request, title, entries)
