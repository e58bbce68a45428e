"""communs ledger … and communs expense …: the treasury of a commons, in the open.

Treasurers (the charter names them; none named: the maintainers) record income and approve
and pay expenses; anyone files an expense with its receipt. Amounts are written as people
write them (50, 12.50) with their currency; the journal keeps whole minor units."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ..i18n import N_
from .base import (
    CommunsGroup,
    Context,
    LazyChoice,
    commons_argument,
    emit_json,
    json_option,
    pass_ctx,
    said,
    short,
    table,
)

INCOME = ("donation", "reciprocity", "grant", "other")
STEPS = {"attach": N_("receipt attached"), "approve": N_("expense approved"),
         "reject": N_("expense rejected"), "pay": N_("expense paid"),
         "acknowledge": N_("payment acknowledged")}  # fmt: skip


def _categories() -> tuple[str, ...]:
    from ..domain.treasury import CATEGORIES

    return CATEGORIES


def state_of(state: str) -> str:
    from ..domain.treasury import STATE_WORDS

    return said(STATE_WORDS.get(state, state))


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def shown(amount: int, currency: str) -> str:
    from ..domain.treasury import money

    return money(amount, currency)


def label(account: str, names: dict[str, str | None]) -> str:
    """An account as people say it: what is owed to a person names them."""
    from ..domain.treasury import PAYABLE

    if account.startswith(PAYABLE):
        did = account[len(PAYABLE) :]
        return said("owed to {who}", who=names.get(did) or did[:16] + "…")
    return account


def _date_option(help: str) -> click.Option:
    return click.option("--date", default=None, metavar="YYYY-MM-DD", help=help)


def money_options(amount_help: str, date_help: str) -> Callable[..., Any]:
    """--amount, --currency, the date and the bank's --reference of a payment."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(
            (
                click.option("--amount", required=True, help=amount_help),
                click.option("--currency", default="EUR", show_default=True),
                _date_option(date_help),
                click.option("--reference", default="", help="The bank's reference."),
            )
        ):
            command = option(command)
        return command

    return decorate


@click.group("ledger", cls=CommunsGroup)
def ledger_group() -> None:
    """The treasury's journal: balances, entries, and income recorded by a treasurer."""


@ledger_group.command("show")
@commons_argument
@json_option
@pass_ctx
def show(ctx: Context, commons: str, as_json: bool) -> None:
    """The balances of COMMONS by currency and account, then its latest entries.

    Example: communs ledger show guide
    """
    found = ctx.service.treasury(commons)
    if as_json:
        return emit_json(found)
    if not found["balances"]:
        click.echo(said("No money recorded yet: communs ledger record COMMONS --amount 50"))
        return
    for currency, accounts in sorted(found["balances"].items()):
        click.echo(currency)
        for account, amount in sorted(accounts.items()):
            click.echo(f"  {label(account, found['names']):<32} {shown(amount, currency):>18}")
    rows = [
        [
            e["date"],
            said(e["kind"]),
            ", ".join(
                f"{label(a, found['names'])} {shown(n, e['currency'])}"
                for a, n in e["postings"]
                if n > 0
            ),
            e["source"] or e["reference"],
        ]
        for e in found["journal"]
    ]
    click.echo("")
    table(rows, [said("DATE"), said("KIND"), said("DEBIT"), said("FROM / REFERENCE")])


@ledger_group.command("export")
@commons_argument
@click.option(
    "--format",
    "format_",
    type=click.Choice(["beancount", "csv", "valueflows"]),
    default="beancount",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A file (default: standard output).",
)
@pass_ctx
def export(ctx: Context, commons: str, format_: str, output: Path | None) -> None:
    """The whole journal of COMMONS as a Beancount file (check it with bean-check, open it
    with Fava) or CSV. Example: communs ledger export guide -o guide.beancount"""
    text = ctx.service.ledger_export(commons, format_)["text"]
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@ledger_group.command("record")
@commons_argument
@click.option("--kind", type=click.Choice(INCOME), default="donation", show_default=True)
@click.option("--amount", required=True, help="As written: 50, 12.50.")
@click.option("--currency", default="EUR", show_default=True, help="ISO 4217 code.")
@_date_option("When the money came (default: today).")
@click.option("--source", default="", help="The donor or funder (empty: anonymous).")
@click.option("--reference", default="", help="The bank's reference, a receipt number.")
@click.option("--enterprise", default=None, help="An enterprise paying its reciprocity.")
@click.option("--cash", is_flag=True, help="Into the cash box rather than the bank.")
@json_option
@pass_ctx
def record(
    ctx: Context,
    commons: str,
    kind: str,
    amount: str,
    currency: str,
    date: str | None,
    source: str,
    reference: str,
    enterprise: str | None,
    cash: bool,
    as_json: bool,
) -> None:
    """Record income in COMMONS (a treasurer). Example:
    communs ledger record guide --amount 50 --source "Café du port" --reference VIR-1182
    """
    made = ctx.service.ledger_record(
        ctx.actor, commons, kind, amount, currency, date or today(), source, reference,
        enterprise, "assets:cash" if cash else "assets:bank",
    )  # fmt: skip
    if as_json:
        return emit_json(made)
    click.echo(made["id"])


@ledger_group.command("payout")
@commons_argument
@click.argument("person")
@money_options(
    "As written: 40, 12.50 (at most what is owed).", "When it was paid (default: today)."
)
@json_option
@pass_ctx
def payout(
    ctx: Context,
    commons: str,
    person: str,
    amount: str,
    currency: str,
    date: str | None,
    reference: str,
    as_json: bool,
) -> None:
    """Pay PERSON (a name or a DID) what the treasury of COMMONS owes them (a treasurer):
    their shares of distribution rounds; or commons:NAME, the shares given to that commons.
    Example: communs ledger payout guide bao --amount 40
    """
    made = ctx.service.ledger_payout(
        ctx.actor, commons, person, amount, currency, date or today(), reference
    )
    if as_json:
        return emit_json(made)
    click.echo(made["id"])


@click.group("expense", cls=CommunsGroup)
def expense_group() -> None:
    """Expenses: anyone files one with its receipt; treasurers approve and pay it."""


@expense_group.command("list")
@commons_argument
@json_option
@pass_ctx
def list_(ctx: Context, commons: str, as_json: bool) -> None:
    """The latest expenses of COMMONS, newest first. Example: communs expense list guide"""
    found = ctx.service.treasury(commons)["expenses"]
    if as_json:
        return emit_json(found)
    if not found:
        click.echo(said("No expense yet: communs expense file COMMONS --title T --amount 12"))
        return
    table(
        [
            [short(e["id"]), state_of(e["state"]), shown(e["amount"], e["currency"]), e["title"]]
            for e in found
        ],
        [said("ID"), said("STATE"), said("AMOUNT"), said("TITLE")],
    )


@expense_group.command("file")
@commons_argument
@click.option("--title", required=True)
@click.option("--amount", required=True, help="As written: 30, 12.50.")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--category", type=LazyChoice(_categories), default="other", show_default=True)
@_date_option("When it was spent (default: today).")
@click.option("--description", default="")
@click.option(
    "--receipt",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The receipt's file (a photo, a PDF): shared with the commons like any media.",
)
@json_option
@pass_ctx
def file_(
    ctx: Context,
    commons: str,
    title: str,
    amount: str,
    currency: str,
    category: str,
    date: str | None,
    description: str,
    receipt: Path | None,
    as_json: bool,
) -> None:
    """File an expense in COMMONS. Example:
    communs expense file guide --title "Server, December" --amount 12.50 --category hosting
    --receipt invoice.pdf
    """
    blob = _added(ctx, receipt) if receipt else None
    made = ctx.service.expense_file(
        ctx.actor, commons, title, amount, currency, category, date or today(), description, blob
    )
    if as_json:
        return emit_json(made)
    click.echo(made["id"])


def _added(ctx: Context, path: Path) -> str:
    with path.open("rb") as f:
        return str(ctx.service.blob_add(f, path.name)["hash"])


def _step(action: str, **options: click.Option):  # noqa: ANN202
    """``communs expense ACTION COMMONS EXPENSE``, with the action's own options."""

    def command(ctx: Context, commons: str, expense: str, as_json: bool, **fields: object) -> None:
        if action == "attach":
            fields["receipt"] = _added(ctx, fields.pop("receipt_file"))  # type: ignore[arg-type]
        if action == "pay":
            fields["date"] = fields.get("date") or today()
        made = ctx.service.expense_act(ctx.actor, commons, expense, action, **fields)
        if as_json:
            return emit_json(made)
        click.echo(said(STEPS[action]) + f" ({state_of(made['state'])})")

    command.__doc__ = {
        "attach": "Attach a receipt to your EXPENSE in COMMONS.",
        "approve": "Approve an EXPENSE in COMMONS (a treasurer, below the charter's threshold).",
        "reject": "Reject an EXPENSE in COMMONS (a treasurer), with a reason.",
        "pay": "Record that an approved EXPENSE was paid (a treasurer).",
        "acknowledge": "Acknowledge that your EXPENSE was paid to you.",
    }[action]
    decorated = pass_ctx(command)
    decorated = json_option(decorated)
    for option in options.values():
        decorated = option(decorated)
    decorated = click.argument("expense")(decorated)
    decorated = commons_argument(decorated)
    return expense_group.command(action)(decorated)


_step(
    "attach",
    receipt=click.option(
        "--receipt", "receipt_file", required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
    ),
)  # fmt: skip
_step("approve")
_step("reject", reason=click.option("--reason", required=True, help="Why: the filer reads it."))
_step(
    "pay",
    date=_date_option("When it was paid (default: today)."),
    reference=click.option("--reference", default="", help="The bank's reference."),
)
_step("acknowledge")


from .statements import import_statement  # noqa: E402  (its own module, under ledger)

ledger_group.add_command(import_statement)
