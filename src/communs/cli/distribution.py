"""communs distribution …: paying contributors back, by the charter's policy, in the open.

A preview shows what a budget would give each person by a policy on today's credit; a
treasurer proposes the round (its shares are kept with it: what the vote is about); a
proposal of kind distribution about it decides; each person may waive their share, and a
treasurer pays out what is owed (``communs ledger payout``)."""

import click

from .base import (
    CommunsGroup,
    Context,
    commons_argument,
    created,
    emit_json,
    json_option,
    pass_ctx,
    said,
    short,
    table,
)
from .treasury import shown

POLICY_HELP = (
    "proportional, recent, balanced, or buckets as JSON, e.g. "
    '\'{"name": "buckets", "buckets": [{"label": "servers", "percent": 20, "to": "DID"}, '
    '{"label": "contributors", "percent": 100, "of": "remaining"}]}\''
)


def _policy(policy: str, half_life: int | None) -> dict | str:
    from ..domain.policies import as_given

    return as_given(policy, half_life)


@click.group("distribution", cls=CommunsGroup)
def distribution_group() -> None:
    """Distribution rounds: the treasury's money paid back to contributors by their credit."""


def _round_options(command):  # noqa: ANN001, ANN202
    for option in reversed(
        [
            click.option("--budget", required=True, help="As written: 500, 120.50."),
            click.option("--currency", default="EUR", show_default=True),
            click.option("--policy", default="proportional", show_default=True, help=POLICY_HELP),
            click.option("--half-life", type=int, default=None, help="recent: months."),
            click.option("--month", default=None, metavar="YYYY-MM", help="Default: this month."),
        ]
    ):
        command = option(command)
    return command


def _shares_table(found: dict) -> None:
    table(
        [
            [s["name"] or s["did"][:16] + "…", shown(s["amount"], found["currency"])]
            for s in found["shares"]
        ],
        [said("PERSON"), said("SHARE")],
    )
    if found["kept"]:
        click.echo(
            said("kept in the treasury: {money}", money=shown(found["kept"], found["currency"]))
        )


@distribution_group.command("preview")
@commons_argument
@_round_options
@json_option
@pass_ctx
def preview(
    ctx: Context,
    commons: str,
    budget: str,
    currency: str,
    policy: str,
    half_life: int | None,
    month: str | None,
    as_json: bool,
) -> None:
    """What BUDGET would give each person of COMMONS by a policy, on today's credit.

    Example: communs distribution preview guide --budget 500 --policy balanced
    """
    found = ctx.service.distribution_preview(
        commons, budget, currency, _policy(policy, half_life), month
    )
    if as_json:
        return emit_json(found)
    _shares_table(found)


@distribution_group.command("propose")
@commons_argument
@click.option("--title", required=True)
@_round_options
@json_option
@pass_ctx
def propose(
    ctx: Context,
    commons: str,
    title: str,
    budget: str,
    currency: str,
    policy: str,
    half_life: int | None,
    month: str | None,
    as_json: bool,
) -> None:
    """Propose a round (a treasurer): its shares are computed and kept with it; then open a
    proposal of kind distribution about it. Example:
    communs distribution propose guide --title "Autumn round" --budget 500
    """
    made = ctx.service.distribution_propose(
        ctx.actor, commons, title, budget, currency, _policy(policy, half_life), month
    )
    created(as_json, made["id"], "distribution")


@distribution_group.command("list")
@commons_argument
@json_option
@pass_ctx
def list_(ctx: Context, commons: str, as_json: bool) -> None:
    """The latest rounds of COMMONS and their shares. Example: communs distribution list guide"""
    found = ctx.service.distributions(commons)
    if as_json:
        return emit_json(found)
    if not found:
        click.echo(
            said("No distribution round yet: communs distribution preview COMMONS --budget 100")
        )
        return
    from ..domain.distribution import STATE_WORDS

    for r in found:
        budget = shown(r["budget"], r["currency"])
        state = said(STATE_WORDS.get(r["state"], r["state"]))
        click.echo(f"{short(r['id'])}  {state}  {budget}  {r['title']}")
        _shares_table(r)


@distribution_group.command("waive")
@commons_argument
@click.argument("round")
@click.option("--to", "to", default=None, help="Give it to this other commons (name or id).")
@json_option
@pass_ctx
def waive(ctx: Context, commons: str, round: str, to: str | None, as_json: bool) -> None:
    """Give your share of an approved ROUND back to the treasury, or --to another commons.
    Example: communs distribution waive guide 3fa2 --to songs"""
    made = ctx.service.distribution_waive(ctx.actor, commons, round, to)
    created(as_json, made["id"], "waiver")


@distribution_group.command("settle")
@commons_argument
@click.argument("round")
@click.option("--date", default=None, help="When the transfers were made (default: today).")
@click.option("--reference", default="", help="The bank's reference of the transfers.")
@json_option
@pass_ctx
def settle(
    ctx: Context, commons: str, round: str, date: str | None, reference: str, as_json: bool
) -> None:
    """Record every share of an approved ROUND still owed as paid (a treasurer, once the
    transfers are made; `communs personal payees` says where to send them).
    Example: communs distribution settle guide 3fa2 --reference "VIR 0412"
    """
    from .treasury import today

    made = ctx.service.distribution_settle(ctx.actor, commons, round, date or today(), reference)
    if as_json:
        return emit_json(made)
    for payout in made["paid"]:
        click.echo(f"{shown(payout['amount'], made['currency'])}  {payout['payee'][:32]}")
    click.echo(said("Shares paid out: {n}", n=len(made["paid"])))
