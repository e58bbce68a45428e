"""The people directories (of the node, of a commons) and a person's page: the names they
signed in the commons this node holds, what they contributed, reviewed and did on the boards, a
thread about them, and — for themselves only — the messages that mention them or answer them
(their notifications)."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import discussion
from .base import Web
from .notifications import WHY, url_of

DIRECTORY = 500  # people shown at most on a directory page (a search finds the others)
NOTES = 20  # the latest notifications a person's own page shows


def add_routes(web: Web) -> None:
    service = web.service

    me_of = web.me_of

    def person_data(did: str, me: str | None, chosen: str) -> dict[str, Any]:
        found = service.person_page(did)
        names, present, every = found["names"], found["present"], found["every"]
        notes = service.notifications(did, NOTES)["notifications"] if me == did else None
        for note in notes or []:
            note["url"] = url_of(note)
        # The thread about the person: in the commons asked for, else the first they are in.
        candidates = [c["commons"] for c in present] + [c["id"] for c in every]
        here = chosen if chosen in [c["id"] for c in every] else next(iter(candidates), None)
        thread = None
        if here is not None:
            thread = discussion.thread_for(service, bytes.fromhex(here), "person", did)
        return {
            "did": did,
            "names": names,
            "name": names[0] if names else None,
            "is_me": me == did,
            "commons": present,
            "every": [{"commons": c["id"], "commons_name": c["name"]} for c in every],
            "contributions": found["contributions"],
            "reviews": found["reviews"],
            "tasks": {k: found[k] for k in ("opened", "claimed", "done")},
            "notifications": notes,
            "reasons": WHY,
            "thread": thread,
        }

    async def directory(request: Request, ref: str | None) -> Response:
        query = (request.query_params.get("q") or "").strip()[:100]
        data = await web.call(service.people_page, ref, query, DIRECTORY)
        return web.page(request, "people.html", data)

    @web.route("/people")
    async def everyone(request: Request) -> Response:
        """Everyone who took part in a commons held here, by name."""
        return await directory(request, None)

    @web.route("/c/{ref}/people")
    async def of_commons(request: Request) -> Response:
        """The people of one commons: who took part, who maintains it."""
        return await directory(request, request.path_params["ref"])

    @web.route("/people/{did}")
    async def person(request: Request) -> Response:
        data = await web.call(
            person_data,
            request.path_params["did"],
            me_of(request),
            (request.query_params.get("in") or "").strip().lower(),
        )
        return web.page(request, "person.html", data)
