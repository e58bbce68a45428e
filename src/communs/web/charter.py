"""The charter of a commons in the browser: its fields and maintainers, the rule that decides
each kind of proposal (the default for any kind without its own), and its history — every
change with the proposal behind it, its outcome and whether its effect applied."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain import governance
from ..domain.enterprises import FORM_WORDS as LEGAL_FORMS
from ..domain.lines import say
from ..i18n import N_
from ..node import queries
from .base import Web
from .proposal_words import WHO, effect_text, method_text

CHARTER_FIELDS = {
    "name": N_("Name"),
    "kind": N_("Kind"),
    "licence": N_("Licence"),
    "mode": N_("Mode"),
    "threshold": N_("Threshold"),
    "claim_hours": N_("A claim on a task lasts (hours)"),
    "half_life_hours": N_("Signals cool by half in (hours)"),
    "validators": N_("Who validates tasks"),
    "credit_contribution": N_("Credit of an accepted contribution (points, times its size)"),
    "credit_task": N_("Credit of a validated task (points)"),
    "credit_review": N_("Credit of a review that led to a decision (points)"),
    "expense_threshold": N_("The most one treasurer approves alone"),
    "reciprocity_free": N_("Who builds on it commercially for free"),
    "reciprocity_monthly": N_("What the others are asked each month"),
    "reciprocity_per_point": N_("What a point of an enterprise's own credit counts for"),
}
MONEY_FIELDS = ("expense_threshold", "reciprocity_monthly", "reciprocity_per_point")


def around_title(line: dict[str, Any], _: Any) -> list[str] | None:
    """The line's sentence in the reader's language, cut where the proposal's title goes (a
    page shows the title as a link there)."""
    key = next((k for k in ("title", "what") if k in line["fields"]), None)
    if key is None:
        return None
    cut = "\x00"
    before, found, after = say({**line, "fields": {**line["fields"], key: cut}}, _).partition(cut)
    return [before, after] if found else None


def add_routes(web: Web) -> None:
    service = web.service

    def charter_data(ref: str, _: Any) -> dict[str, Any]:
        found = service.charter_page(ref)
        commons, names, charter = found["commons"], found["names"], found["charter"]
        history, records = found["history"], found["proposals"]
        explicit = charter.get("rules") or {}
        rules = []
        for kind in ["charter", "maintainer", *sorted(set(explicit) - {"charter", "maintainer"})]:
            rule = governance.rule_for(charter, kind)
            rules.append(rule_view(kind, rule, kind not in explicit, charter, _))
        # Any other kind (custom, expense…) without a rule of its own: the default.
        rules.append(rule_view("", governance.default_rule("custom"), True, charter, _))
        for entry in history:
            key = entry.get("proposal")
            found = records.get("proposal/" + key) if key else None
            if found is None:
                continue
            result = found.get("result") or {}
            entry["title"] = found["title"]
            entry["parts"] = around_title(entry["line"], _)
            if entry["type"] == "proposal.open":
                entry["effect_text"] = effect_text(found.get("effect"), names, _)
            else:
                entry["outcome"] = result.get("outcome") if entry["effective"] else None
                entry["result_reason"] = result.get("reason") if entry["effective"] else None
                entry["statement"] = found.get("outcome") or ""
                status = found.get("effect_status")
                entry["applied"] = status["applied"] if status else None
                entry["effect_text"] = effect_text(found.get("effect"), names, _)
        fields = [
            {"field": f, "label": _(text), "value": charter.get(f)}
            for f, text in CHARTER_FIELDS.items()
            if charter.get(f) is not None
        ]
        history.reverse()  # newest first, as the activity page
        return {
            "commons": commons,
            "charter": queries.hexed(charter),
            "fields": fields,
            "money_fields": MONEY_FIELDS,
            "forms": LEGAL_FORMS,
            "treasurers": [queries.person(d, names) for d in charter.get("treasurers") or []],
            "maintainers": [queries.person(d, names) for d in charter["maintainers"]],
            "created_by_name": names.get(charter.get("created_by") or ""),
            "origin_name": commons.get("forked_from_name"),
            "rules": rules,
            "history": history,
        }

    def rule_view(
        kind: str, rule: dict[str, Any], default: bool, charter: dict, _: Any
    ) -> dict[str, Any]:
        method = dict(rule["method"])
        if method["name"] == "k_of_n" and not method.get("k"):
            method["k"] = charter["threshold"]
        return {
            "kind": kind,
            "default": default,
            "propose": _(WHO[rule["propose"]]),
            "eligible": _(WHO[rule["eligible"]]),
            "min_contributions": rule.get("min_contributions", 1),
            "method": method["name"],
            "method_text": method_text(method, len(charter["maintainers"]), _),
            "rule": rule,
        }

    @web.route("/c/{ref}/charter")
    async def charter(request: Request) -> Response:
        data = await web.call(charter_data, request.path_params["ref"], web.gettext(request))
        return web.page(request, "charter.html", data)
