"""communs ledger import …: a bank statement read into the treasury. Each line is shown with
what it is taken for — already recorded, an expense to pay, a share to pay out, income to
record — and nothing is written until the treasurer says yes."""

from pathlib import Path

import click

from ..i18n import N_
from .base import (
    CommunsCommand,
    Context,
    commons_argument,
    emit_json,
    json_option,
    pass_ctx,
    said,
    table,
)

STATUS = {"recorded": N_("already recorded"), "proposed": N_("to record"),
          "unknown": N_("no match")}  # fmt: skip
WHAT = {"pay": N_("pay the expense “{title}”"), "payout": N_("pay out to {who}"),
        "donation": N_("record a donation from {who}"),
        "reciprocity": N_("record reciprocity from {who}")}  # fmt: skip


def described(action: dict) -> str:
    if not action:
        return ""
    who = action.get("name") or action.get("source") or (action.get("person") or "")[:20]
    what = action["kind"] if action["action"] == "record" else action["action"]
    return said(WHAT[what], title=action.get("title", ""), who=who or "—")


def _mapping(given: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in given:
        role, _, column = pair.partition("=")
        if not column:
            raise click.BadParameter(said("write ROLE=COLUMN, e.g. date=Booking date"))
        mapping[role.strip()] = column.strip()
    return mapping


@click.command("import", cls=CommunsCommand)
@commons_argument
@click.argument("statement", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "format_",
    type=click.Choice(["ofx", "csv"]),
    default=None,
    help="Default: from the file's name (.ofx, .qfx: OFX; else CSV).",
)
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="ROLE=COLUMN",
    help="CSV: the column of a role (date, amount, debit, credit, name, memo, reference, "
    "currency); roles not given are guessed from the header. Repeat it.",
)
@click.option("--currency", default="EUR", show_default=True, help="CSV: when no column says.")
@click.option("--yes", is_flag=True, help="Record every proposed line without asking.")
@json_option
@pass_ctx
def import_statement(
    ctx: Context,
    commons: str,
    statement: Path,
    format_: str | None,
    mapping: tuple[str, ...],
    currency: str,
    yes: bool,
    as_json: bool,
) -> None:
    """Read a bank STATEMENT (OFX or CSV) into the treasury of COMMONS (a treasurer): each
    line matched to an approved expense, someone owed, an enterprise or a donation; then
    record the matches you confirm. A line already recorded (same bank reference) is skipped.
    Example: communs ledger import guide releve.csv --map "date=Date opération"
    """
    if format_ is None:
        format_ = "ofx" if statement.suffix.lower() in (".ofx", ".qfx") else "csv"
    found = ctx.service.statement_read(
        ctx.actor, commons, statement.read_bytes(), format_, _mapping(mapping), currency
    )
    proposed = [m["action"] for m in found["lines"] if m["status"] == "proposed"]
    if as_json and not yes:
        return emit_json(found)
    if not as_json:
        from ..domain.treasury import money

        rows = [
            [
                m["line"]["date"],
                money(m["line"]["amount"], m["line"]["currency"]),
                m["line"]["name"][:28],
                said(STATUS[m["status"]]),
                described(m.get("action") or {}),
            ]
            for m in found["lines"]
        ]
        table(rows, [said("DATE"), said("AMOUNT"), said("FROM / TO"), said("STATUS"), ""])
    if not proposed:
        return None if as_json else click.echo(said("Nothing to record."))
    if not yes:
        ask = said("Record the {n} lines to record?", n=len(proposed))
        if not click.confirm(ask, default=False):
            return None
    made = ctx.service.statement_confirm(ctx.actor, commons, proposed)
    if as_json:
        return emit_json(made)
    for result in made["results"]:
        if result["status"] == "refused":
            click.echo(said("Refused: {why}", why=result["error"]), err=True)
    click.echo(said("Recorded: {n}", n=made["done"]))
