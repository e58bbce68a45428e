"""communs proposal … and communs charter …: the rules of a commons, and changing them."""

import json
import typing
from datetime import UTC
from typing import Annotated, Any, Literal

import click

from .base import (
    CommunsGroup,
    Context,
    commons_argument,
    created,
    emit_json,
    json_option,
    moment,
    pass_ctx,
    said,
    said_n,
    short,
    table,
)

RULE_EXAMPLE = '{"eligible": "members", "method": {"name": "majority", "quorum": 3}}'
METHODS = (
    "single_maintainer",
    "k_of_n",
    "lazy_consensus",
    "consent",
    "consensus",
    "majority",
    "supermajority",
    "advice",
    "single_choice",
    "multiple_choice",
    "score",
    "ranked_choice",
    "dot_vote",
    "time_poll",
)


def parse_ballot(text: str) -> Any:
    """yes / no / abstain / agree … as words; 2 as an option number; 0,2,1 as a list; or
    JSON for anything else."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if "," in text:
        parts = [p.strip() for p in text.split(",")]
        return [int(p) if p.isdigit() else p for p in parts]
    if text.startswith(("[", "{", '"')):
        return json.loads(text)
    return text


def parse_rule(text: str) -> dict[str, Any]:
    """A ``set_rule`` effect from KIND=METHOD, KIND=JSON (a whole rule) or KIND=default."""
    kind, _, value = text.partition("=")
    kind, value = kind.strip(), value.strip()
    if not kind or not value:
        raise click.BadParameter(
            said(
                "{given}: expected KIND=METHOD, KIND=JSON or KIND=default, e.g. "
                "contribution=majority",
                given=repr(text),
            ),
            param_hint="--set-rule",
        )
    if value == "default":
        return {"op": "set_rule", "kind": kind, "rule": None}
    if value.startswith("{"):
        try:
            rule = json.loads(value)
        except ValueError as error:
            raise click.BadParameter(
                said("the rule is not JSON: {error}", error=error), param_hint="--set-rule"
            ) from None
    else:
        rule = {"method": {"name": value}}
    if not isinstance(rule, dict) or not isinstance(rule.get("method"), dict):
        raise click.BadParameter(
            said("a rule is an object with a method, e.g. {example}", example=RULE_EXAMPLE),
            param_hint="--set-rule",
        )
    if rule["method"].get("name") not in METHODS:
        raise click.BadParameter(
            said(
                "{name} is not a method; the methods are {methods}",
                name=repr(rule["method"].get("name")),
                methods=", ".join(METHODS),
            ),
            param_hint="--set-rule",
        )
    from ..domain.governance import MAINTAINERS_DECIDE

    if rule["method"].get("name") in MAINTAINERS_DECIDE:
        rule.setdefault("eligible", "maintainers")  # those methods are decided by maintainers
    return {"op": "set_rule", "kind": kind, "rule": rule}


def parse_set(text: str) -> dict[str, Any]:
    """A ``set`` effect from FIELD=VALUE, the value checked here against the charter's field
    (a whole number for threshold, one of the kinds for kind…): the refusal then names the
    option and what it takes, not the event's schema."""
    import msgspec

    from ..domain.charter import Charter, SetField
    from ..domain.plain import schema_refusal

    field, equals, value = (part.strip() for part in text.partition("="))
    fields = typing.get_args(typing.get_type_hints(SetField)["field"])
    if field not in fields or not equals:
        raise click.BadParameter(
            said(
                "give FIELD=VALUE, FIELD one of {fields} (maintainers change with "
                "--add-maintainer and --remove-maintainer, rules with --set-rule)",
                fields=", ".join(fields),
            ),
            param_hint="--set",
        )
    expected = typing.get_type_hints(Charter, include_extras=True)[field]
    base = typing.get_args(expected)[0] if typing.get_origin(expected) is Annotated else expected
    typed: str | int = value
    if base is int and value.lstrip("-").isdigit():
        typed = int(value)
    try:
        msgspec.convert(typed, expected)
    except msgspec.ValidationError as error:
        allowed = typing.get_args(base) if typing.get_origin(base) is Literal else ()
        if allowed:
            wrong = said(
                "{field} takes one of {values}; got {value}",
                field=field,
                values=", ".join(allowed),
                value=repr(value),
            )
        else:  # the domain's plain words for the field ("threshold is at least 1")
            plain = str(schema_refusal("charter", f"{error} - at `$.{field}`"))
            wrong = said("{refusal}; got {value}", refusal=plain, value=repr(value))
        raise click.BadParameter(wrong, param_hint="--set") from None
    return {"op": "set", "field": field, "value": typed}


@click.group("proposal", cls=CommunsGroup)
def proposal_group() -> None:
    """Proposals: anyone may challenge any rule; the charter says how each kind is decided."""


@proposal_group.command("open")
@commons_argument
@click.option("--title", required=True)
@click.option("--text", default="", help="What and why (Markdown).")
@click.option(
    "--kind",
    default="custom",
    show_default=True,
    help="charter, maintainer, or any other kind of decision.",
)
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default=None,
    help="For a poll; binding decisions use the charter's rule for their kind.",
)
@click.option("--option", "options", multiple=True, help="A choice of a poll (repeat).")
@click.option("--closes-in", type=float, default=72, show_default=True, metavar="HOURS")
@click.option("--add-maintainer", metavar="PERSON", help="Effect when it passes: a name, or a DID.")
@click.option(
    "--remove-maintainer", metavar="PERSON", help="Effect when it passes: a name, or a DID."
)
@click.option("--set", "set_field", metavar="FIELD=VALUE", help="Charter field to set.")
@click.option(
    "--set-rule",
    metavar="KIND=RULE",
    help="Effect (with --kind charter): how decisions of KIND are taken; RULE is a method "
    "(majority, consent…), a JSON rule, or default.",
)
@click.option("--hidden", is_flag=True, help="Ballots stay secret until the close.")
@json_option
@pass_ctx
def open_(
    ctx: Context,
    commons: str,
    title: str,
    text: str,
    kind: str,
    method: str | None,
    options: tuple[str, ...],
    closes_in: float,
    add_maintainer: str | None,
    remove_maintainer: str | None,
    set_field: str | None,
    set_rule: str | None,
    hidden: bool,
    as_json: bool,
) -> None:
    """Open a proposal. Example:
    communs proposal open guide --kind maintainer --title "Welcome dara" --add-maintainer dara

    Any rule can be challenged, even the rule for changing rules:
    communs proposal open guide --kind charter --title "Vote on edits" --set-rule
    contribution=majority
    """
    effect = None
    if add_maintainer:
        effect = {"op": "add_maintainer", "did": add_maintainer}
    elif remove_maintainer:
        effect = {"op": "remove_maintainer", "did": remove_maintainer}
    elif set_field:
        effect = parse_set(set_field)
    elif set_rule:
        effect = parse_rule(set_rule)
    made = ctx.service.proposal_open(
        ctx.actor,
        commons,
        title,
        text=text,
        kind=kind,
        method={"name": method} if method else None,
        options=list(options),
        closes_in_hours=closes_in,
        effect=effect,
        hidden=hidden,
    )
    created(as_json, made["id"], "proposal")


def act(name: str, doc: str, *options: Any) -> None:
    """One proposal action as a command: ``communs proposal NAME COMMONS PROPOSAL ...``."""

    def command(ctx: Context, commons: str, proposal: str, as_json: bool, **fields: Any) -> None:
        if "ballot" in fields:
            fields["ballot"] = parse_ballot(fields["ballot"])
        if fields.get("review_at") is not None:
            fields["review_at"] = int(fields["review_at"].replace(tzinfo=UTC).timestamp() * 1000)
        made = ctx.service.proposal_act(
            ctx.actor,
            commons,
            proposal,
            name.replace("-", "_"),
            **{k: v for k, v in fields.items() if v is not None},
        )
        created(as_json, made["id"], name, state=made["state"])

    command.__doc__ = doc
    # Decorators apply bottom-up: the arguments come first on the command line.
    decorators = [
        commons_argument,
        click.argument("proposal"),
        *options,
        json_option,
        pass_ctx,
    ]
    for decorate in reversed(decorators):
        command = decorate(command)
    proposal_group.command(name)(command)


act(
    "vote",
    "Vote on PROPOSAL: BALLOT is yes, no, abstain (agree, block… for consensus), an "
    "option number, or a list like 2,0,1. A hidden proposal keeps your ballot on this node "
    "until you reveal it.",
    click.argument("ballot"),
    click.option("--reason", default=None),
)
act("reveal", "Reveal your hidden ballot, once the proposal is closed.")
act(
    "object",
    "Object to PROPOSAL (lazy consensus, consent), saying why.",
    click.option("--reason", required=True),
)
act(
    "withdraw-objection",
    "Withdraw your objection: it is resolved.",
    click.option("--note", default=None),
)
act(
    "close",
    "Close PROPOSAL: votes after this do not count.",
    click.option("--outcome", default=None, help="The outcome, in words."),
    click.option(
        "--review-on",
        "review_at",
        type=click.DateTime(["%Y-%m-%d"]),
        default=None,
        help="A date to look at the decision again (YYYY-MM-DD).",
    ),
)
act(
    "settle",
    "Count the revealed ballots of a hidden proposal.",
    click.option("--outcome", default=None, help="The outcome, in words."),
)


@proposal_group.command("fork")
@commons_argument
@click.argument("proposal")
@click.option("--name", required=True, help="Name of the new commons.")
@json_option
@pass_ctx
def fork(ctx: Context, commons: str, proposal: str, name: str, as_json: bool) -> None:
    """Lost a decision? Fork the commons with the change the proposal asked for, in one go."""
    made = ctx.service.proposal_fork(ctx.actor, commons, proposal, name)
    created(as_json, made["id"], "fork", name=name)


@proposal_group.command("list")
@commons_argument
@json_option
@pass_ctx
def list_(ctx: Context, commons: str, as_json: bool) -> None:
    """Proposals of COMMONS, by closing time."""
    items = ctx.service.proposals(commons)
    if as_json:
        return emit_json(items)
    if not items:
        click.echo(said("No proposal yet: communs proposal open COMMONS --title T"))
    table(
        [[short(p["id"]), p["state"], p["kind"], p["method"], p["title"]] for p in items],
        [said("ID"), said("STATE"), said("KIND"), said("METHOD"), said("TITLE")],
    )


@proposal_group.command("show")
@commons_argument
@click.argument("proposal")
@json_option
@pass_ctx
def show(ctx: Context, commons: str, proposal: str, as_json: bool) -> None:
    """A proposal: method, ballots (or commitments), objections, result."""
    p = ctx.service.proposal(commons, proposal)
    if as_json:
        return emit_json(p)
    closes = moment(p["closes_at"], "%Y-%m-%d %H:%M UTC")
    click.echo(f"{p['title']}  [{p['state']}]  ({p['id']})")
    click.echo(
        "  "
        + said(
            "{kind} decided by {method}; closes {time}",
            kind=p["kind"],
            method=p["method"]["name"],
            time=closes,
        )
    )
    if p["options"]:
        options = ", ".join(f"{i}={o}" for i, o in enumerate(p["options"]))
        click.echo("  " + said("options: {options}", options=options))
    if p["effect"]:
        click.echo("  " + said("effect if it passes: {effect}", effect=p["effect"]))
    ballots = said_n("{n} ballot", "{n} ballots", len(p["ballots"]))
    hidden = said_n("{n} hidden", "{n} hidden", len(p["commitments"]))
    objections = said_n("{n} objection", "{n} objections", len(p["objections"]))
    click.echo(
        "  "
        + said(
            "{ballots}, {hidden}, {objections}",
            ballots=ballots,
            hidden=hidden,
            objections=objections,
        )
    )
    if p.get("result"):
        result = p["result"]
        click.echo(
            "  "
            + said(
                "result: {outcome} — {reason}",
                outcome=result.get("outcome"),
                reason=result.get("reason"),
            )
        )


@click.group("charter", cls=CommunsGroup)
def charter_group() -> None:
    """The charter of a commons, and how it came to be."""


@charter_group.command("show")
@commons_argument
@json_option
@pass_ctx
def charter_show(ctx: Context, commons: str, as_json: bool) -> None:
    """The charter in force, rules included."""
    charter = ctx.service.charter(commons)
    if as_json:
        return emit_json(charter)
    click.echo(charter["name"])
    if charter.get("description"):
        click.echo(f"  {charter['description']}")
    mode = said("review first") if charter["mode"] == "review" else said("publish first")
    click.echo(
        "  "
        + said(
            "kind {kind}, {mode}, licence {licence}",
            kind=charter["kind"],
            mode=mode,
            licence=charter["licence"],
        )
    )
    click.echo(
        "  "
        + said_n(
            "maintainers ({n} must accept a contribution):",
            "maintainers ({n} must accept a contribution):",
            charter["threshold"],
        )
    )
    for did in charter["maintainers"]:
        click.echo(f"    {did}")
    click.echo(
        "  "
        + said(
            "task board: a claim holds {claim} h, signals cool by half in {half_life} h, "
            "work is validated by {validators}",
            claim=charter.get("claim_hours", 72),
            half_life=charter.get("half_life_hours", 168),
            validators=charter.get("validators", "maintainers"),
        )
    )
    origin = charter.get("forked_from")
    if origin:
        click.echo(
            "  "
            + said(
                "forked from {id} (generation {generation})",
                id=short(origin["commons"]),
                generation=charter["generation"],
            )
        )
    click.echo("  " + said("created by {who}", who=charter["created_by"]))
    click.echo("  " + said("rules (how each kind of decision is made):"))
    rules = charter.get("rules") or {}
    for kind in sorted({"charter", "maintainer", *rules}):
        click.echo(f"    {kind}: {_rule_text(rules.get(kind))}")
    if "other" not in rules:
        click.echo("    " + said("any other kind: {rule}", rule=_rule_text(None, "other")))


def _rule_text(rule: dict | None, kind: str = "charter") -> str:
    """A rule as people say it; None: the commons keeps the default for that kind."""
    from ..domain.governance import default_rule

    shown = rule or default_rule(kind)
    fields = {
        "propose": shown["propose"],
        "eligible": shown["eligible"],
        "method": shown["method"]["name"].replace("_", " "),
    }
    if rule:
        return said("proposals from {propose}, decided by {eligible} ({method})", **fields)
    return said("proposals from {propose}, decided by {eligible} ({method}), the default", **fields)


@charter_group.command("history")
@commons_argument
@json_option
@pass_ctx
def charter_history(ctx: Context, commons: str, as_json: bool) -> None:
    """Every change of the charter and every proposal, oldest first."""
    entries = ctx.service.charter_history(commons)
    if as_json:
        return emit_json(entries)
    for e in entries:
        line = f"{short(e['id'])}  {e['summary']}"
        if not e["effective"]:
            line += "  [" + said("ineffective: {reason}", reason=e["reason"]) + "]"
        click.echo(line)
