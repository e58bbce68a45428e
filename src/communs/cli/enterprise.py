"""communs enterprise …: who builds on a commons, what they pledged and what they gave back.

An enterprise registers as itself (``--as`` the identity acting for it) with its legal form
and a monthly pledge; its reciprocity payments are recorded by a treasurer
(``communs ledger record --kind reciprocity --enterprise NAME``)."""

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
    table,
)
from .treasury import money_options, shown

FORMS = ("company", "cooperative", "nonprofit", "sole_trader", "public", "other")


@click.group("enterprise", cls=CommunsGroup)
def enterprise_group() -> None:
    """Enterprises: what they build on a commons, their pledge, and what they gave."""


@enterprise_group.command("register")
@commons_argument
@click.option("--name", required=True)
@click.option("--legal-form", type=click.Choice(FORMS), required=True)
@click.option("--builds", default="", help="What it builds on the commons.")
@click.option("--pledge", default="0", help="Each month, as written (the charter's currency).")
@json_option
@pass_ctx
def register(
    ctx: Context, commons: str, name: str, legal_form: str, builds: str, pledge: str, as_json: bool
) -> None:
    """Register the identity acting (--as) as an enterprise of COMMONS. Example:
    communs --as velo enterprise register guide --name "Vélo Tours" --legal-form company
    --builds "guided rides" --pledge 30
    """
    made = ctx.service.enterprise_register(ctx.actor, commons, name, legal_form, builds, pledge)
    created(as_json, made["id"], "enterprise")


@enterprise_group.command("pledge")
@commons_argument
@click.argument("amount")
@json_option
@pass_ctx
def pledge(ctx: Context, commons: str, amount: str, as_json: bool) -> None:
    """Change the monthly pledge of the enterprise acting (--as) to AMOUNT, as written.
    Example: communs --as velo enterprise pledge guide 45"""
    made = ctx.service.enterprise_pledge(ctx.actor, commons, amount)
    created(as_json, made["id"], "pledge")


@enterprise_group.command("pay")
@commons_argument
@click.argument("enterprise")
@money_options("As written: 30, 12.50.", "When it was received (default: today).")
@json_option
@pass_ctx
def pay(
    ctx: Context,
    commons: str,
    enterprise: str,
    amount: str,
    currency: str,
    date: str | None,
    reference: str,
    as_json: bool,
) -> None:
    """Record a reciprocity payment from ENTERPRISE (its name) to COMMONS (a treasurer).
    Example: communs enterprise pay guide "Vélo Tours" --amount 30"""
    from .treasury import today

    made = ctx.service.ledger_record(
        ctx.actor, commons, "reciprocity", amount, currency, date or today(), enterprise,
        reference, enterprise,
    )  # fmt: skip
    created(as_json, made["id"], "payment")


@enterprise_group.command("list")
@commons_argument
@click.option("--month", default=None, metavar="YYYY-MM", help="The balance at that month.")
@json_option
@pass_ctx
def list_(ctx: Context, commons: str, month: str | None, as_json: bool) -> None:
    """The enterprises of COMMONS: pledge, what they gave, and what they are behind."""
    from ..domain.enterprises import FORM_WORDS

    found = ctx.service.enterprises(commons, month)
    if as_json:
        return emit_json(found)
    if not found["enterprises"]:
        click.echo(said("No enterprise yet: communs enterprise register COMMONS --name N"))
        return
    money = found["currency"]
    table(
        [
            [
                e["name"],
                said(FORM_WORDS[e["legal_form"]]),
                said("free") if e["free"] else shown(e["pledge"], money),
                shown(e["paid"], money),
                shown(e["behind"], money),
                str(e["credit"]),
            ]
            for e in found["enterprises"]
        ],
        [
            said("ENTERPRISE"),
            said("FORM"),
            said("PLEDGE"),
            said("GAVE"),
            said("BEHIND"),
            said("CREDIT"),
        ],
    )
