"""Atom feeds (RFC 4287), made with feedgen: a commons' activity for anyone, and a person's
notifications (web/notifications.py) for their feed reader."""

from datetime import UTC, datetime
from typing import Any

from feedgen.feed import FeedGenerator
from starlette.requests import Request
from starlette.responses import Response

from ..domain.lines import say
from ..i18n import translator
from .base import Web

ENTRIES = 50


def atom(request: Request, title: str, entries: list[dict[str, Any]]) -> Response:
    """``entries``: dicts of ``id``, ``title``, ``link``, ``time`` (ms) and ``author``."""
    feed = FeedGenerator()
    feed.id(str(request.url))
    feed.title(title)
    feed.link(href=str(request.url), rel="self")
    feed.updated(_moment(max((e["time"] for e in entries), default=0)))
    for entry in reversed(entries):  # feedgen puts the last added first
        item = feed.add_entry()
        item.id(entry["id"])
        item.title(entry["title"])
        item.link(href=entry["link"])
        item.updated(_moment(entry["time"]))
        item.author(name=entry["author"])
    return Response(feed.atom_str(pretty=True), media_type="application/atom+xml")


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def add_routes(web: Web) -> None:
    service = web.service

    @web.route("/c/{ref}/activity.atom")
    async def activity(request: Request) -> Response:
        """The latest events of a commons, each a sentence linking to its activity page."""
        data = await web.call(
            service.activity_page, request.path_params["ref"], ENTRIES, None, None, None, ""
        )
        _ = translator(web.lang(request))
        commons = data["commons"]
        base = str(request.base_url).rstrip("/")
        entries = [
            {
                "id": f"urn:communs:event:{e['id']}",
                "title": say(e["line"], _),
                "link": f"{base}/c/{commons['id']}/activity?object={e['id'][:12]}",
                "time": e["time"],
                "author": e["author_name"] or e["author"],
            }
            for e in data["entries"]
        ]
        return atom(request, _("Activity of {name}", name=commons["name"]), entries)
