"""Credit in the browser: who earned what in a commons (over its life, or in a month), and
the reasons for one person's points, each linked to the work it was earned for. Anyone with
standing assesses an accepted contribution's size from its page."""

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from ..core.errors import BadInput
from ..domain.credit import DEFAULT_WEIGHTS
from ..domain.credit import KINDS as WORK
from ..i18n import N_
from .base import Web
from .discussion import text_of

KINDS = {"contribution": N_("accepted contribution"), "task": N_("validated task"),
         "review": N_("review that led to a decision")}  # fmt: skip
WEIGHT_FIELDS = {kind: f"credit_{kind}" for kind in WORK}
STATUSES = {"earned": N_("earned"), "reverted": N_("reverted"), "reopened": N_("reopened")}
SHARE_STATES = {"proposed": N_("proposed, to decide"), "approved": N_("decided"),
                "waived": N_("waived"), "given": N_("given to a commons")}  # fmt: skip


def add_routes(web: Web) -> None:
    service = web.service

    def credit_data(ref: str, month: str | None) -> dict[str, Any]:
        found = service.credit(ref, month)
        charter = service.charter(ref)
        top = max((p["points"] for p in found["people"]), default=0) or 1
        for person in found["people"]:
            person["bar"] = round(100 * max(person["points"], 0) / top)
        weights = {k: charter.get(f, DEFAULT_WEIGHTS[f]) for k, f in WEIGHT_FIELDS.items()}
        return {**found, "commons": service.commons_show(ref), "weights": weights}

    @web.route("/c/{ref}/credit")
    async def credit(request: Request) -> Response:
        month = (request.query_params.get("month") or "").strip() or None
        data = await web.call(credit_data, request.path_params["ref"], month)
        return web.page(request, "credit.html", data)

    def person_data(ref: str, person: str) -> dict[str, Any]:
        found = service.credit_of(ref, person)
        return {
            **found,
            "commons": service.commons_show(ref),
            "kinds": KINDS,
            "statuses": STATUSES,
            "share_states": SHARE_STATES,
        }

    @web.route("/c/{ref}/credit/{person}")
    async def person_credit(request: Request) -> Response:
        path = request.path_params
        data = await web.call(person_data, path["ref"], path["person"])
        return web.page(request, "credit_person.html", data)

    @web.route("/c/{ref}/credit/assess", methods=("POST",))
    async def assess(request: Request) -> Response:
        """Assess the size of an accepted contribution (from its page)."""
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        contribution = text_of(form, "contribution")
        try:
            size = int(text_of(form, "size"))
        except ValueError:
            raise BadInput(N_("size: give a whole number from 1 to 100")) from None
        made = await web.call(service.assess, actor, ref, contribution, size)
        return web.done(
            request, made, f"/c/{quote(ref)}/contributions/{quote(contribution)}#credit"
        )
