"""The economy's other pages in the browser: enterprises (who builds on the commons, their
pledge, what they gave and are behind), the steps of a distribution round (proposed by a
treasurer from a preview on the treasury page, a share waived), and a bank statement read
by a treasurer, its lines matched, the ones they tick recorded."""

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from ..domain.enterprises import FORM_WORDS as LEGAL_FORMS
from ..domain.policies import as_given
from ..i18n import N_
from . import uploads
from .base import Web
from .discussion import text_of

STATEMENT_LIMIT = 5 * 1024 * 1024
STATUS_WORDS = {"recorded": N_("already recorded"), "proposed": N_("to record"),
                "unknown": N_("no match")}  # fmt: skip
CHOOSE_STATEMENT = N_("choose the statement's file: OFX or CSV, exported from your bank")


def mapping_of(text: str) -> dict[str, str]:
    """ "date=Date opération; amount=Montant" (or one a line): a CSV's column mapping."""
    pairs = (part.partition("=") for part in re.split(r"[;\n]", text))
    return {role.strip(): column.strip() for role, _, column in pairs if column.strip()}


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

    @web.route("/c/{ref}/distributions/{rid}/settle", methods=("POST",))
    async def settle(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        today = datetime.now(UTC).strftime("%Y-%m-%d")
        rid, reference = request.path_params["rid"], text_of(form, "reference")
        made = await web.call(service.distribution_settle, actor, ref, rid, today, reference)
        return web.done(request, made, f"/c/{quote(ref)}/treasury#round-{made['round']}")

    @web.route("/c/{ref}/treasury/statement", methods=("POST",))
    async def statement(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await uploads.form_with_files(web, request, STATEMENT_LIMIT)
        actor = web.actor(request)
        upload = form.get("statement")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                return web.error(request, 400, CHOOSE_STATEMENT)
            data = await upload.read()
            name = upload.filename.lower()
        finally:
            await form.close()
        format = text_of(form, "format") or ("ofx" if name.endswith((".ofx", ".qfx")) else "csv")
        read = await web.call(
            service.statement_read,
            actor,
            ref,
            data,
            format,
            mapping_of(text_of(form, "mapping")),
            text_of(form, "currency") or "EUR",
        )
        for number, line in enumerate(read["lines"]):
            line["number"] = number
            line["sent"] = json.dumps(line.get("action") or {}, ensure_ascii=False)
        data_ = {**read, "commons": service.commons_show(ref), "status_words": STATUS_WORDS}
        return web.page(request, "statement.html", data_)

    @web.route("/c/{ref}/treasury/statement/confirm", methods=("POST",))
    async def confirm(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        chosen = [json.loads(str(form.get(f"action-{n}") or "{}")) for n in form.getlist("line")]
        made = await web.call(service.statement_confirm, actor, ref, [a for a in chosen if a])
        refused = [r for r in made["results"] if r["status"] == "refused"]
        if refused and not web.wants_json(request):
            said = [r["error"] for r in refused]
            data = {**made, "commons": service.commons_show(ref), "refused": said}
            return web.page(request, "statement.html", {**data, "lines": None}, 409)
        return web.done(request, made, f"/c/{quote(ref)}/treasury#journal")
