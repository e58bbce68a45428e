"""Proposals in words, for people to read: who takes part, the charter change a proposal
carries, what its method needs, a ballot as it was meant, and a result with its bars."""

import json
from typing import Any

from ..domain.tally import CONSENSUS, WITH_OPTIONS, YES_NO
from ..i18n import N_
from .measures import bars
from .words import label

WHO = {
    "maintainers": N_("maintainers"),
    "contributors": N_("contributors with accepted contributions"),
    "members": N_("members (maintainers and authors of an accepted contribution)"),
    "anyone": N_("anyone"),
}


def effect_text(effect: dict[str, Any] | None, names: dict[str, str], _: Any) -> str:
    """The charter change a proposal carries, as a sentence."""
    if not effect:
        return ""
    op = effect.get("op")
    if op in ("add_maintainer", "remove_maintainer"):
        did = effect["did"]
        who = names.get(did) or did[:24] + "…"
        if op == "add_maintainer":
            return _("add {who} as a maintainer", who=who)
        return _("remove {who} from the maintainers", who=who)
    if op == "set":
        return _(
            "set the charter's {field} to {value}",
            field=_(label(effect["field"])),
            value=json.dumps(effect["value"], ensure_ascii=False),
        )
    if op == "set_rule":
        rule = effect.get("rule")
        if rule is None:
            return _("return {kind} decisions to the default rule", kind=effect["kind"])
        return _(
            "decide {kind} decisions by {method}, {who} taking part",
            kind=effect["kind"],
            method=_(label(rule["method"]["name"])),
            who=_(WHO[rule["eligible"]]),
        )
    return json.dumps(effect)


def method_text(method: dict[str, Any], maintainers: int | None, _: Any) -> str:
    """What a method needs, in words, with its parameters (``maintainers``: how many there
    are now, for a decision still to take)."""
    name = method["name"]
    if name == "k_of_n" and maintainers is None:
        text = _("{k} maintainers approve", k=method.get("k") or "?")
    elif name == "k_of_n":
        text = _("{k} of {n} maintainers approve", k=method.get("k") or "?", n=maintainers)
    elif name == "single_maintainer":
        text = _("one maintainer approves")
    elif name == "majority":
        text = _("more yes than no")
    elif name == "supermajority":
        ratio = method["threshold"]
        text = _("at least {num}/{den} of yes and no are yes", num=ratio["num"], den=ratio["den"])
    elif name == "lazy_consensus":
        text = _("passes unless an objection stands")
    elif name == "consent":
        text = _("passes once no objection remains unresolved")
    elif name == "consensus":
        text = _("no block and at least one agree")
    elif name == "advice":
        text = _("advice; the proposer decides")
    elif name == "single_choice":
        text = _("one option each")
    elif name == "multiple_choice":
        most = method.get("max_choices") or 0
        text = _("up to {n} options each", n=most) if most else _("any number of options")
    elif name == "score":
        text = _("a score from 0 to {n} for each option", n=method.get("max_score", 5))
    elif name == "ranked_choice":
        text = _("options ranked, instant runoff")
    elif name == "dot_vote":
        text = _("{n} dots to place among the options", n=method.get("dots", 10))
    else:
        text = _("yes, if need be or no for each slot")
    extra = []
    if method.get("quorum"):
        extra.append(_("quorum {n}", n=method["quorum"]))
    if method.get("reason_required"):
        extra.append(_("a reason with every ballot"))
    return "; ".join([text, *extra])


def ballot_text(ballot: Any, method: str, options: list[str], _: Any) -> str:
    """A ballot as people read it: a word, an option, a ranking, scores per option."""

    def option(i: Any) -> str:
        return options[i] if isinstance(i, int) and 0 <= i < len(options) else str(i)

    if method == "advice":
        return str(ballot)
    if isinstance(ballot, str):
        return _(label(ballot))
    if isinstance(ballot, int):
        return option(ballot)
    if not isinstance(ballot, list):
        return json.dumps(ballot)
    if method == "multiple_choice":
        return ", ".join(option(i) for i in ballot)
    if method == "ranked_choice":
        return " > ".join(option(i) for i in ballot)
    if method == "time_poll":
        return ", ".join(f"{option(i)}: {_(label(str(v)))}" for i, v in enumerate(ballot))
    if method == "dot_vote":
        return ", ".join(f"{option(i)}: {v}" for i, v in enumerate(ballot) if v)
    return ", ".join(f"{option(i)}: {v}" for i, v in enumerate(ballot))


def result_view(
    result: dict[str, Any] | None, method: str, options: list[str], _: Any
) -> dict[str, Any] | None:
    """A result with its bars (counts by choice, in the method's order: yes before no, the
    options as listed), averages as decimals, runoff rounds."""
    if not result:
        return None
    given = result.get("counts") or {}
    order = [*options, *YES_NO, *CONSENSUS, "objections", "standing", "unresolved", "advice"]
    counts = {
        k: given[k]
        for k in sorted(given, key=lambda k: order.index(k) if k in order else len(order))
    }
    labels = {k: _(label(k)) for k in counts} if method not in WITH_OPTIONS else None
    shown = dict(result)
    shown["bars"] = bars(counts, labels)
    shown["averages_text"] = {
        k: f"{num / den:.2f}" for k, (num, den) in (result.get("averages") or {}).items()
    }
    return shown
