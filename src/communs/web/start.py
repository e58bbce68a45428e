"""Starting out in the browser: create a commons (its charter's first words), follow one from
a share link, and keep a copy of one's key. A refused form comes back as it was sent, the
reason beside it."""

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..core.errors import CommunsError
from ..domain.charter import KINDS, MODES
from ..domain.schema import MAX_TITLE
from .base import Web
from .discussion import text_of
from .statuses import status_of

LICENCES = ("CC-BY-SA-4.0", "CC-BY-4.0", "CC0-1.0", "AGPL-3.0-or-later", "GPL-3.0-or-later")


def add_routes(web: Web) -> None:
    service = web.service

    def create_page(request: Request, form: dict[str, str], error: str | None, status: int = 200):
        return web.page(
            request,
            "create.html",
            {
                "form": form,
                "error": error,
                "kinds": KINDS,
                "modes": MODES,
                "licences": LICENCES,
                "max_name": MAX_TITLE,
            },
            status,
        )

    @web.route("/new")
    async def new(request: Request) -> Response:
        web.actor(request)  # signed in first
        return create_page(request, {"kind": "text", "mode": "review"}, None)

    @web.route("/new", methods=("POST",))
    async def create(request: Request) -> Response:
        actor = web.actor(request)
        sent = await web.form(request)
        form = {k: text_of(sent, k) for k in ("name", "description", "kind", "licence", "mode")}
        _ = web.gettext(request)
        if len(form["name"]) > MAX_TITLE:
            message = _(
                "A name has at most {most} characters; this one has {n}: shorten it.",
                most=MAX_TITLE,
                n=len(form["name"]),
            )
            return create_page(request, form, message, 400)
        try:
            made = await web.call(
                service.commons_create,
                actor,
                name=form["name"],
                description=form["description"],
                kind=form["kind"] if form["kind"] in KINDS else "other",
                licence=form["licence"] or "CC-BY-SA-4.0",
                mode=form["mode"] if form["mode"] in MODES else "review",
            )
        except CommunsError as error:
            return create_page(request, form, web.said(request, error), status_of(error))
        return RedirectResponse(f"/c/{made['id']}", status_code=303)

    @web.route("/follow")
    async def follow_page(request: Request) -> Response:
        web.actor(request)
        link = (request.query_params.get("link") or "").strip()
        return web.page(request, "follow.html", {"link": link, "error": None})

    @web.route("/follow", methods=("POST",))
    async def follow(request: Request) -> Response:
        """Follow a commons from its share link (``communs://…``): the node fetches it from
        the peer the link names, then keeps it in sync."""
        web.actor(request)
        sent = await web.form(request)
        link = text_of(sent, "link")
        try:
            followed = await web.call(service.follow, link)
        except CommunsError as error:
            data = {"link": link, "error": web.said(request, error)}
            return web.page(request, "follow.html", data, status_of(error))
        return RedirectResponse(f"/c/{followed['id']}", status_code=303)

    @web.route("/key")
    async def key(request: Request) -> Response:
        """One's own key as a file, to keep somewhere safe or to sign in elsewhere; sealed
        by the passphrase when it has one."""
        actor = web.actor(request)
        exported: dict[str, Any] = await web.call(service.identity_export, actor.name)
        return Response(
            json.dumps(exported, indent=2),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="{actor.name}.communs-key.json"'
            },
        )
