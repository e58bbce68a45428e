"""The forms of proposals, read into what the service takes: a ballot in any method's own
fields (or as programs post it), the charter change a proposal carries, and a poll's method
with its parameters. A form that cannot be read is refused with a reason (``BadInput``)."""

import json
from typing import Any

from starlette.datastructures import FormData

from ..core.errors import BadInput
from ..domain import governance
from ..domain.refusals import code, fault
from ..domain.tally import ADVISORY
from ..i18n import N_
from .discussion import text_of

EFFECTS = ("add_maintainer", "remove_maintainer", "set", "set_rule")
EFFECT_CHOICES = (
    ("add_maintainer", N_("add a maintainer (their name)")),
    ("remove_maintainer", N_("remove a maintainer (their name)")),
    ("set", N_("set a charter field (field=value)")),
    ("set_rule", N_("set the rule of a kind (kind=method)")),
)
# what a refused proposal form gives back as it was typed
TYPED = (
    *("title", "text", "kind", "method", "options", "closes_in", "effect", "effect_value"),
    "about",
)
# the fields of a form that take a whole number, as a refusal names them (``{field:word}``)
NUMBER_FIELDS = (N_("choice"), N_("quorum"), N_("max choices"), N_("max score"), N_("dots"))

FIELD_WHOLE_NUMBER = code("field_whole_number", "{field:word}: give a whole number")
OPTION_WHOLE_NUMBER = code("option_whole_number", "{option}: give a whole number")
CHOOSE_BALLOT = code("choose_ballot", "choose your ballot first")
BALLOT_NOT_JSON = code("ballot_not_json", "this ballot is not valid JSON")
UNKNOWN_EFFECT = code("unknown_effect", "unknown effect '{op}'")
EFFECT_NEEDS_VALUE = code(
    "effect_needs_value", "the effect needs a value: a DID, field=value or kind=method"
)
SET_EFFECT_AS = code("set_effect_as", "write the set effect as field=value")
SET_RULE_EFFECT_AS = code("set_rule_effect_as", "write the set_rule effect as kind=method")
NOT_A_POLL = code(
    "not_a_poll", "{method} is not a poll; leave the method empty for a binding decision"
)


def ballot_from(form: FormData, method: dict[str, Any], options: list[str]) -> Any:
    """The ballot a vote form carries: the method's own fields (radio buttons, checkboxes,
    a number per option), else ``ballot`` as text (a word, an option number, a list like
    ``2, 0, 1`` or JSON), as programs post it."""
    name, count = method["name"], len(options)

    def number(value: Any, option: str | None = None) -> int:
        """``value`` as a whole number: the ``choice`` field's, or ``option``'s."""
        try:
            return int(str(value).strip() or 0)
        except ValueError:
            if option is None:
                raise fault(BadInput, FIELD_WHOLE_NUMBER, field="choice") from None
            raise fault(BadInput, OPTION_WHOLE_NUMBER, option=option) from None

    if name == "multiple_choice" and form.getlist("choice"):
        return sorted({number(c) for c in form.getlist("choice")})
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
        raise fault(BadInput, CHOOSE_BALLOT)
    if name == "advice":
        return raw
    if raw.isdigit():
        return int(raw)
    if raw.startswith(("[", "{", '"')):
        try:
            return json.loads(raw)
        except ValueError:
            raise fault(BadInput, BALLOT_NOT_JSON) from None
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
        raise fault(BadInput, UNKNOWN_EFFECT, op=op)
    if not value:
        raise fault(BadInput, EFFECT_NEEDS_VALUE)
    if op in ("add_maintainer", "remove_maintainer"):
        return {"op": op, "did": value}
    key, sep, given = (part.strip() for part in value.partition("="))
    if not sep or not key:
        raise fault(BadInput, SET_EFFECT_AS if op == "set" else SET_RULE_EFFECT_AS)
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
        raise fault(BadInput, NOT_A_POLL, method=name)
    method: dict[str, Any] = {"name": name}
    for field in ("quorum", "max_choices", "max_score", "dots"):
        value = text_of(form, field)
        if value:
            if not value.isdigit():
                raise fault(BadInput, FIELD_WHOLE_NUMBER, field=field)
            method[field] = int(value)
    if form.get("reason_required"):
        method["reason_required"] = True
    return method
