"""communs personal …: what you give a commons of this node to be paid (legal name, bank
account, address…), kept on this node only and never in the log; seen by you and by the
commons' treasurers (you see when they look), downloaded or erased whenever you like."""

import click

from ..i18n import N_
from .base import (
    CommunsGroup,
    Context,
    commons_argument,
    emit_json,
    json_option,
    moment,
    pass_ctx,
    said,
    table,
)

LABELS = {
    "legal_name": N_("Legal name"),
    "iban": N_("IBAN"),
    "bic": N_("BIC"),
    "address": N_("Postal address"),
    "email": N_("E-mail"),
    "phone": N_("Phone"),
}


@click.group("personal", cls=CommunsGroup)
def personal_group() -> None:
    """Your personal data for a commons: private to this node, erasable."""


@personal_group.command("show")
@commons_argument
@click.option("--person", default=None, help="Someone else's (a treasurer): a DID.")
@json_option
@pass_ctx
def show(ctx: Context, commons: str, person: str | None, as_json: bool) -> None:
    """What COMMONS holds about you (or --person, for a treasurer), and who read it lately."""
    found = ctx.service.personal(ctx.actor, commons, person)
    if as_json:
        return emit_json(found)
    if not found["fields"]:
        click.echo(said("Nothing is held: communs personal set COMMONS --iban …"))
    for field, value in found["fields"].items():
        click.echo(f"{said(LABELS.get(field, field))}: {value}")
    if found["reads"]:
        click.echo(said("Read by:"))
        for read in found["reads"]:
            click.echo(f"  {moment(read['time'] * 1000)}  {read['name'] or read['reader']}")


@personal_group.command("set")
@commons_argument
@click.option("--legal-name", default=None, help="As your bank knows you.")
@click.option("--iban", default=None)
@click.option("--bic", default=None)
@click.option("--address", default=None)
@click.option("--email", default=None)
@click.option("--phone", default=None)
@json_option
@pass_ctx
def set_(ctx: Context, commons: str, as_json: bool, **given: str | None) -> None:
    """Give COMMONS the details it needs to pay you; an empty value ("") removes one.
    Example: communs --as bao personal set guide --legal-name "Bao Tran" --iban FR76…"""
    fields = {field: value for field, value in given.items() if value is not None}
    made = ctx.service.personal_set(ctx.actor, commons, fields)
    if as_json:
        return emit_json(made)
    click.echo(said("Kept on this node only: {fields}", fields=", ".join(made["fields"]) or "—"))


@personal_group.command("erase")
@commons_argument
@click.option("--yes", is_flag=True, help="Do not ask.")
@json_option
@pass_ctx
def erase(ctx: Context, commons: str, yes: bool, as_json: bool) -> None:
    """Erase for good what COMMONS holds about you on this node."""
    if not yes and not as_json:
        click.confirm(said("Erase your personal data for this commons?"), abort=True)
    made = ctx.service.personal_erase(ctx.actor, commons)
    if as_json:
        return emit_json(made)
    click.echo(said("Erased: {n}", n=made["erased"]))


@personal_group.command("export")
@pass_ctx
def export(ctx: Context) -> None:
    """Everything this node holds about you, in every commons, as JSON."""
    emit_json(ctx.service.personal_export(ctx.actor))


@personal_group.command("payees")
@commons_argument
@json_option
@pass_ctx
def payees(ctx: Context, commons: str, as_json: bool) -> None:
    """For a treasurer: who the treasury of COMMONS owes, how much, and where to pay them."""
    from .treasury import shown

    found = ctx.service.payees(ctx.actor, commons)
    if as_json:
        return emit_json(found)
    rows = [
        [
            p["name"] or p["payee"][:24],
            ", ".join(shown(amount, currency) for currency, amount in sorted(p["owed"].items())),
            p["fields"].get("iban", "—"),
            p["fields"].get("legal_name", ""),
        ]
        for p in found["payees"]
    ]
    table(rows, [said("PAYEE"), said("OWED"), said("IBAN"), said("LEGAL NAME")])
