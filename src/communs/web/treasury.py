"""The treasury in the browser: balances and the journal of a commons, a chart of its income
and expenses by month, its expenses, and the forms of each step — income recorded by a
treasurer, an expense filed with its receipt, then approved, paid and acknowledged.

Amounts are shown in the reader's language by Babel (42,50 € in French); the chart is an SVG
drawn on the server by pygal, so that it reads without JavaScript and costs no script."""

import re
import sys
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from ..core.errors import CommunsError
from ..domain.distribution import STATE_WORDS as ROUND_STATES
from ..domain.policies import as_given
from ..domain.treasury import CATEGORIES, PAYABLE, digits
from ..domain.treasury import STATE_WORDS as STATES
from ..i18n import N_
from . import uploads
from .base import Web
from .discussion import text_of

INCOME = {
    "donation": N_("donation"),
    "reciprocity": N_("reciprocity"),
    "grant": N_("grant"),
    "other": N_("other income"),
}
ENTRY_KINDS = {
    **INCOME,
    "expense": N_("expense approved"),
    "payment": N_("payment"),
    "distribution": N_("round decided: shares owed"),
    "waiver": N_("share waived"),
    "gift": N_("share given to a commons"),
    "payout": N_("share paid out"),
}
ACCOUNTS = {"assets:bank": N_("in the bank"), "assets:cash": N_("in the cash box")}
CATEGORY_WORDS = {
    "hosting": N_("hosting"),
    "equipment": N_("equipment"),
    "materials": N_("materials"),
    "travel": N_("travel"),
    "services": N_("services"),
    "fees": N_("fees"),
    "events": N_("events"),
    "other": N_("other"),
}
assert tuple(CATEGORY_WORDS) == CATEGORIES
STEPS = {
    "file": N_("filed it"),
    "attach": N_("attached the receipt"),
    "approve": N_("approved it"),
    "reject": N_("rejected it"),
    "pay": N_("paid it"),
    "acknowledge": N_("acknowledged the payment"),
}
N_("donations"), N_("grants"), N_("other")  # the income accounts' words (and reciprocity)
MONTHS_SHOWN = 12
SUFFIX = {"valueflows": "jsonld"}  # a download's file name by export
EXPORTS = (
    ("beancount", N_("Beancount (for bean-check and Fava)")),
    ("csv", N_("CSV (a row per posting)")),
    ("valueflows", N_("Valueflows (JSON-LD)")),
)

ASKED = ("budget", "currency", "policy", "half_life")  # a preview's query
POLICY_WORDS = {
    "proportional": N_("proportional to lifetime credit"),
    "recent": N_("recent credit counts more (it halves with age)"),
    "balanced": N_("balanced: toward each person's share, minus what they were paid"),
}
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _pygal():  # noqa: ANN202
    """pygal, without the import hook it adds for its map plugins (unused here): the hook
    lacks ``find_spec`` and turns every later import into an ImportWarning."""
    import pygal

    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]
    return pygal


def distributed(rounds: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """What decided rounds shared among contributors, by currency and month: their shares,
    less those waived back to the treasury (a share given to a commons stays shared)."""
    found: dict[str, dict[str, int]] = {}
    for r in rounds:
        if r["state"] != "approved":
            continue
        back = set(r.get("waived") or ()) - set(r.get("given") or {})
        shared = sum(s["amount"] for s in r["shares"] if s["did"] not in back)
        by_month = found.setdefault(r["currency"], {})
        by_month[r["month"]] = by_month.get(r["month"], 0) + shared
    return found


def chart(
    months: dict[str, dict[str, int]], currency: str, _: Any, shared: dict[str, int] | None = None
) -> str:
    """Income, expenses and what was shared among contributors, by month (the last twelve),
    as an SVG bar chart. Shares are booked as an expense: they are drawn apart from it."""
    pygal = _pygal()
    from pygal.style import Style

    shown = sorted(months)[-MONTHS_SHOWN:]
    places = 10 ** digits(currency)
    style = Style(
        background="transparent",
        plot_background="transparent",
        colors=("#1f6f5c", "#a4471b", "#c99a2e"),
        font_family="system-ui, sans-serif",
        label_font_size=12,
        major_label_font_size=12,
        legend_font_size=13,
        value_font_size=11,
    )
    bars = pygal.Bar(
        style=style,
        height=260,
        width=720,
        explicit_size=False,
        legend_at_bottom=True,
        print_values=False,
        show_y_guides=True,
        max_scale=5,
        min_scale=2,
        disable_xml_declaration=True,
        js=[],
        title=_("Money in and out by month ({currency})", currency=currency),
    )
    bars.x_labels = shown
    shared = shared or {}
    bars.add(_("income"), [months[m]["income"] / places for m in shown])
    bars.add(_("expenses"), [(months[m]["expenses"] - shared.get(m, 0)) / places for m in shown])
    if any(shared.get(m) for m in shown):
        bars.add(_("shared among contributors"), [shared.get(m, 0) / places for m in shown])
    # The page's policy runs scripts from the node only: pygal's inline one (its tooltips'
    # settings) would be refused, so it is left out; the chart reads without it.
    return SCRIPT.sub("", str(bars.render(is_unicode=True)))


def add_routes(web: Web) -> None:
    service = web.service

    def treasury_data(
        ref: str, me: str | None, lang: str, _: Any, asked: dict[str, str]
    ) -> dict[str, Any]:
        found = service.treasury(ref)
        rounds = service.distributions(ref)
        preview, refused = None, None
        if asked.get("budget"):
            policy = as_given(asked.get("policy") or "proportional", asked.get("half_life"))
            try:
                preview = service.distribution_preview(
                    ref, asked["budget"], asked.get("currency") or "EUR", policy
                )
            except CommunsError as error:
                refused = error
        commons = service.commons_show(ref)
        keepers = [t["did"] for t in found["treasurers"]]
        shared = distributed(rounds)
        charts = {c: chart(m, c, _, shared.get(c)) for c, m in sorted(found["months"].items()) if m}
        return {
            **found,
            "commons": commons,
            "charts": charts,
            "is_treasurer": me in keepers,
            "income_kinds": INCOME,
            "exports": EXPORTS,
            "entry_kinds": ENTRY_KINDS,
            "accounts_words": ACCOUNTS,
            "categories": CATEGORY_WORDS,
            "states": STATES,
            "payable": PAYABLE,
            "today": datetime.now(UTC).strftime("%Y-%m-%d"),
            "rounds": rounds,
            "preview": preview,
            "preview_refused": refused,
            "asked": asked,
            "policies": POLICY_WORDS,
            "round_states": ROUND_STATES,
            "me_did": me,
        }

    me_of = web.me_of

    @web.route("/c/{ref}/treasury")
    async def treasury(request: Request) -> Response:
        lang = web.lang(request)
        asked = {k: (request.query_params.get(k) or "").strip()[:200] for k in ASKED}
        data = await web.call(
            treasury_data,
            request.path_params["ref"],
            me_of(request),
            lang,
            web.gettext(request),
            asked,
        )
        if data["preview_refused"] is not None:
            data["preview_refused"] = web.said(request, data["preview_refused"])
        return web.page(request, "treasury.html", data)

    @web.route("/c/{ref}/ledger.{format}")
    async def export(request: Request) -> Response:
        """The journal as a file to download: ``ledger.beancount`` or ``ledger.csv``."""
        ref, format = request.path_params["ref"], request.path_params["format"]
        made = await web.call(service.ledger_export, ref, format)
        media = {"csv": "text/csv", "valueflows": "application/ld+json"}.get(format, "text/plain")
        return Response(
            made["text"],
            media_type=f"{media}; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="ledger.{SUFFIX.get(format, format)}"'
            },
        )

    @web.route("/c/{ref}/ledger", methods=("POST",))
    async def record(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        made = await web.call(
            service.ledger_record,
            actor,
            ref,
            text_of(form, "kind") or "donation",
            text_of(form, "amount"),
            text_of(form, "currency") or "EUR",
            text_of(form, "date"),
            text_of(form, "source"),
            text_of(form, "reference"),
            None,
            text_of(form, "account") or "assets:bank",
        )
        return web.done(request, made, f"/c/{quote(ref)}/treasury#journal")

    async def receipt_of(request: Request, form: Any) -> str | None:
        upload = form.get("receipt")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return None
        await upload.seek(0)
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
        return str((await web.call(service.blob_add, upload.file, name))["hash"])

    async def posted(request: Request) -> Any:
        return await uploads.form_with_files(web, request)

    @web.route("/c/{ref}/expenses", methods=("POST",))
    async def file_expense(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await posted(request)
        actor = web.actor(request)
        try:
            receipt = await receipt_of(request, form)
        finally:
            await form.close()
        made = await web.call(
            service.expense_file,
            actor,
            ref,
            text_of(form, "title"),
            text_of(form, "amount"),
            text_of(form, "currency") or "EUR",
            text_of(form, "category") or "other",
            text_of(form, "date"),
            text_of(form, "description"),
            receipt,
        )
        return web.done(request, made, f"/c/{quote(ref)}/expenses/{made['id']}")

    def expense_data(ref: str, eid: str, me: str | None) -> dict[str, Any]:
        found = service.expense(ref, eid)
        commons = service.commons_show(ref)
        state, mine = found["state"], me == found["by"]
        treasurer = me in found["treasurers"]
        can = {
            "attach": mine and state in ("incomplete", "pending"),
            "approve": treasurer and not mine and state == "pending",
            "reject": treasurer and state in ("incomplete", "pending"),
            "pay": treasurer and state == "approved",
            "acknowledge": mine and state == "paid",
        }
        return {
            "commons": commons,
            "expense": found,
            "can": can,
            "categories": CATEGORY_WORDS,
            "states": STATES,
            "steps": STEPS,
            "today": datetime.now(UTC).strftime("%Y-%m-%d"),
        }

    @web.route("/c/{ref}/expenses/{eid}")
    async def expense(request: Request) -> Response:
        path = request.path_params
        data = await web.call(expense_data, path["ref"], path["eid"], me_of(request))
        return web.page(request, "expense.html", data)

    @web.route("/c/{ref}/expenses/{eid}/{action}", methods=("POST",))
    async def expense_step(request: Request) -> Response:
        ref, eid, action = (request.path_params[k] for k in ("ref", "eid", "action"))
        form = await posted(request)
        actor = web.actor(request)
        fields = {k: text_of(form, k) for k in ("reason", "date", "reference")}
        try:
            if action == "attach":
                fields["receipt"] = await receipt_of(request, form) or ""
        finally:
            await form.close()
        made = await web.call(lambda: service.expense_act(actor, ref, eid, action, **fields))
        return web.done(request, made, f"/c/{quote(ref)}/expenses/{made['expense']}")

    @web.route("/c/{ref}/payouts", methods=("POST",))
    async def payout(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        made = await web.call(
            service.ledger_payout,
            actor,
            ref,
            text_of(form, "person"),
            text_of(form, "amount"),
            text_of(form, "currency") or "EUR",
            text_of(form, "date"),
            text_of(form, "reference"),
        )
        return web.done(request, made, f"/c/{quote(ref)}/treasury#journal")
