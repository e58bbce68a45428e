"""The forms of proposals, read into what the service takes: a ballot in any method's own
fields (or as programs post it), the charter change a proposal carries, and a poll's method
with its parameters. A form that cannot be read is refused with a reason (``BadInput``)."""

import json
from typing import Any

from starlette.datastructures import FormData

from ..core.errors import BadInput
from ..domain import governance
from ..domain.tally import ADVISORY
from ..i18n import N_
from .discussion import text_of
from .proposal_words import label

EFFECTS = ("add_maintainer", "remove_maintainer", "set", "set_rule")
EFFECT_CHOICES = (
    ("add_maintainer", N_("add a maintainer (their name)")),
    ("remove_maintainer", N_("remove a maintainer (their name)")),
    ("set", N_("set a charter field (field=value)")),
    ("set_rule", N_("set the rule of a kind (kind=method)")),
)
# what a refused proposal form gives back as it was typed
TYPED = ("title", "text", "kind", "method", "options", "closes_in", "effect", "effect_value")


def ballot_from(form: FormData, method: dict[str, Any], options: list[str]) -> Any:
    """The ballot a vote form carries: the method's own fields (radio buttons, checkboxes,
    a number per option), else ``ballot`` as text (a word, an option number, a list like
    ``2, 0, 1`` or JSON), as programs post it."""
    name, count = method["name"], len(options)

    def number(value: Any, what: str) -> int:
        try:
            return int(str(value).strip() or 0)
        except ValueError:
            raise BadInput(f"{what}: give a whole number") from None

    if name == "multiple_choice" and form.getlist("choice"):
        return sorted({number(c, "choice") for c in form.getlist("choice")})
    per_option = [form.get(f"option-{i}") for i in range(count)]
    if name in ("score", "dot_vote", "time_poll", "ranked_choice") and any(
        isinstance(v, str) and v.strip() for v in per_option
    ):
        if name == "time_poll":
            return [str(v or "no") for v in per_option]
        values = [number(v, options[i]) for i, v in enumerate(per_option)]
        if name != "ranked_choice":
            return values
        ranked = sorted((rank, i) for i, rank in enumerate(values) if rank > 0)
        return [i for _, i in ranked]
    raw = text_of(form, "ballot")
    if not raw:
        raise BadInput("choose your ballot first")
    if name == "advice":
        return raw
    if raw.isdigit():
        return int(raw)
    if raw.startswith(("[", "{", '"')):
        try:
            return json.loads(raw)
        except ValueError:
            raise BadInput("this ballot is not valid JSON") from None
    if "," in raw or name in ("multiple_choice", "ranked_choice", "score", "dot_vote"):
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        return [int(p) if p.isdigit() else p for p in parts]
    return raw


def effect_from(form: FormData) -> dict[str, Any] | None:
    """``effect`` (add_maintainer, remove_maintainer, set, set_rule) and ``effect_value``
    (a DID, ``field=value``, or ``kind=method`` — ``kind=`` returns to the default)."""
    op, value = text_of(form, "effect"), text_of(form, "effect_value")
    if not op:
        return None
    if op not in EFFECTS:
        raise BadInput(f"unknown effect {op!r}")
    if not value:
        raise BadInput("the effect needs a value: a DID, field=value or kind=method")
    if op in ("add_maintainer", "remove_maintainer"):
        return {"op": op, "did": value}
    key, sep, given = (part.strip() for part in value.partition("="))
    if not sep or not key:
        raise BadInput(
            f"write the {op} effect as {'field=value' if op == 'set' else 'kind=method'}"
        )
    if op == "set":
        return {"op": "set", "field": key, "value": int(given) if given.isdigit() else given}
    if not given:
        return {"op": "set_rule", "kind": key, "rule": None}
    eligible = "maintainers" if given in governance.MAINTAINERS_DECIDE else "anyone"
    return {
        "op": "set_rule",
        "kind": key,
        "rule": {"eligible": eligible, "method": {"name": given}},
    }


def method_from(form: FormData) -> dict[str, Any] | None:
    """A poll's method with the parameters the form gives (none: the charter's rule)."""
    name = text_of(form, "method")
    if not name:
        return None
    if name not in ADVISORY:
        raise BadInput(f"{name} is not a poll; leave the method empty for a binding decision")
    method: dict[str, Any] = {"name": name}
    for field in ("quorum", "max_choices", "max_score", "dots"):
        value = text_of(form, field)
        if value:
            if not value.isdigit():
                raise BadInput(f"{label(field)}: give a whole number")
            method[field] = int(value)
    if form.get("reason_required"):
        method["reason_required"] = True
    return method
