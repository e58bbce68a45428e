"""The charter of a commons in the browser: its fields and maintainers, the rule that decides
each kind of proposal (the default for any kind without its own), and its history — every
change with the proposal behind it, its outcome and whether its effect applied."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain import governance
from ..node import queries
from .base import Web
from .proposal_words import WHO, effect_text, method_text

CHARTER_FIELDS = {
    "name": "Name",
    "kind": "Kind",
    "licence": "Licence",
    "mode": "Mode",
    "threshold": "Threshold",
    "claim_hours": "A claim on a task lasts (hours)",
    "half_life_hours": "Signals cool by half in (hours)",
    "validators": "Who validates tasks",
}


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
            before, quoted, after = entry["summary"].partition(f"'{found['title']}'")
            entry["parts"] = [before, after] if quoted else None
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
        ]
        history.reverse()  # newest first, as the activity page
        return {
            "commons": commons,
            "charter": queries.hexed(charter),
            "fields": fields,
            "maintainers": [queries.person(d, names) for d in charter["maintainers"]],
            "created_by_name": names.get(charter.get("created_by") or ""),
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
