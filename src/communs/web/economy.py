"""The economy's other pages in the browser: enterprises (who builds on the commons, their
pledge, what they gave and are behind) and the steps of a distribution round (proposed by a
treasurer from a preview on the treasury page, a share waived)."""

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from ..domain.enterprises import FORM_WORDS as LEGAL_FORMS
from ..domain.policies import as_given
from .base import Web
from .discussion import text_of


def add_routes(web: Web) -> None:
    service = web.service
    me_of = web.me_of

    def enterprises_data(ref: str, me: str | None) -> dict[str, Any]:
        found = service.enterprises(ref)
        return {
            **found,
            "commons": service.commons_show(ref),
            "forms": LEGAL_FORMS,
            "mine": next((e for e in found["enterprises"] if e["did"] == me), None),
        }

    @web.route("/c/{ref}/enterprises")
    async def enterprises(request: Request) -> Response:
        data = await web.call(enterprises_data, request.path_params["ref"], me_of(request))
        return web.page(request, "enterprises.html", data)

    @web.route("/c/{ref}/enterprises", methods=("POST",))
    async def register(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        made = await web.call(
            service.enterprise_register,
            actor,
            ref,
            text_of(form, "name"),
            text_of(form, "legal_form"),
            text_of(form, "builds"),
            text_of(form, "pledge") or "0",
        )
        return web.done(request, made, f"/c/{quote(ref)}/enterprises")

    @web.route("/c/{ref}/distributions", methods=("POST",))
    async def propose_round(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        policy = as_given(text_of(form, "policy") or "proportional", text_of(form, "half_life"))
        made = await web.call(
            service.distribution_propose,
            actor,
            ref,
            text_of(form, "title"),
            text_of(form, "budget"),
            text_of(form, "currency") or "EUR",
            policy,
        )
        return web.done(request, made, f"/c/{quote(ref)}/treasury#round-{made['id']}")

    @web.route("/c/{ref}/distributions/{rid}/waive", methods=("POST",))
    async def waive(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        to = text_of(form, "to") or None
        made = await web.call(
            service.distribution_waive, actor, ref, request.path_params["rid"], to
        )
        return web.done(request, made, f"/c/{quote(ref)}/treasury#distributions")
