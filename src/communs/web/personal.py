"""Personal data in the browser: the details a person gives a commons to be paid (legal name,
bank account, address…), kept on this node only (``node/personal_ops.py``). A person sees
theirs, who read them and when, downloads everything held about them and erases it; a
treasurer sees where to pay each person the treasury owes. No page of it is ever cached."""

import json
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from ..i18n import N_
from ..node import PERSONAL_FIELDS as FIELDS
from .base import Web
from .discussion import text_of

LABELS = {
    "legal_name": N_("Legal name, as your bank knows you"),
    "iban": N_("IBAN"),
    "bic": N_("BIC"),
    "address": N_("Postal address"),
    "email": N_("E-mail"),
    "phone": N_("Phone"),
}
assert tuple(LABELS) == FIELDS
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def add_routes(web: Web) -> None:
    service = web.service

    def details_data(actor: Any, ref: str) -> dict[str, Any]:
        held = service.personal(actor, ref)
        keeper = held["person"] in {k["did"] for k in held["keepers"]}
        return {
            **held,
            "commons": service.commons_show(ref),
            "labels": LABELS,
            "payees": service.payees(actor, ref)["payees"] if keeper else None,
        }

    @web.route("/c/{ref}/treasury/details")
    async def details(request: Request) -> Response:
        actor = web.actor(request)
        data = await web.call(details_data, actor, request.path_params["ref"])
        page = web.page(request, "personal.html", data)
        page.headers.update(PRIVATE)
        return page

    @web.route("/c/{ref}/treasury/details", methods=("POST",))
    async def keep(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        fields = {field: text_of(form, field) for field in FIELDS if field in form}
        made = await web.call(service.personal_set, actor, ref, fields)
        return web.done(request, made, f"/c/{quote(ref)}/treasury/details#mine")

    @web.route("/c/{ref}/treasury/details/erase", methods=("POST",))
    async def erase(request: Request) -> Response:
        ref = request.path_params["ref"]
        await web.form(request)
        made = await web.call(service.personal_erase, web.actor(request), ref)
        return web.done(request, made, f"/c/{quote(ref)}/treasury/details#mine")

    @web.route("/me/personal")  # linked as /me/personal.json: it is JSON either way
    async def download(request: Request) -> Response:
        """Everything this node holds about the signed-in person, as a file."""
        held = await web.call(service.personal_export, web.actor(request))
        return Response(
            json.dumps(held, indent=2, ensure_ascii=False),
            media_type="application/json",
            headers={**PRIVATE, "Content-Disposition": 'attachment; filename="personal.json"'},
        )
