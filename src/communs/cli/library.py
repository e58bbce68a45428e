"""communs library …: a lending library's catalogue. Its stewards (the library's
maintainers) add items, edit them and change their status; anyone reads the catalogue.

Create a library with `communs commons create --kind library --name "Outils du quartier"`."""

from pathlib import Path

import click

from ..i18n import N_
from .base import (
    CommunsGroup,
    Context,
    commons_argument,
    emit_json,
    json_option,
    pass_ctx,
    said,
    short,
    table,
)

CATEGORIES = ("tools", "garden", "kitchen", "camping", "sport", "electronics", "events", "other")
STATUSES = ("available", "maintenance", "missing", "retired")
LABELS = {"category": N_("Category"), "brand": N_("Brand"), "model": N_("Model"),
          "serial": N_("Serial number"), "condition": N_("Condition"), "value": N_("Value"),
          "deposit": N_("Deposit"), "loan_days": N_("Lent for (days)"), "risk": N_("Risk"),
          "care": N_("Care and safety"), "location": N_("Kept at"),
          "status": N_("Status")}  # fmt: skip


def _item_options(command):  # noqa: ANN001, ANN202
    """The fields of an item, each an option (none required: an edit gives only some)."""
    options = (
        click.option("--title", default=None),
        click.option("--description", default=None),
        click.option("--category", type=click.Choice(CATEGORIES), default=None),
        click.option("--brand", default=None),
        click.option("--model", default=None),
        click.option("--serial", default=None, help="Its serial number."),
        click.option(
            "--condition", type=click.Choice(["new", "good", "worn", "damaged"]), default=None
        ),
        click.option("--value", default=None, help="What replacing it costs, as written."),
        click.option("--deposit", default=None, help="Asked at check-out, as written."),
        click.option("--loan-days", type=click.IntRange(1, 365), default=None),
        click.option(
            "--risk",
            type=click.Choice(["none", "approval", "training"]),
            default=None,
            help="approval: a steward approves each loan; training: borrowers are trained.",
        ),
        click.option("--care", default=None, help="Care and safety notes shown at check-out."),
        click.option("--location", default=None, help="The site and shelf."),
        click.option(
            "--photo",
            "photos",
            multiple=True,
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="A photo of it (repeat it).",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _fields(ctx: Context, given: dict) -> dict:
    photos = given.pop("photos", ())
    fields = {k: v for k, v in given.items() if v is not None}
    if photos:
        fields["photos"] = [_added(ctx, path) for path in photos]
    return fields


def _added(ctx: Context, path: Path) -> str:
    with path.open("rb") as file:
        return str(ctx.service.blob_add(file, path.name)["hash"])


@click.group("library", cls=CommunsGroup)
def library_group() -> None:
    """A lending library's catalogue: its items, their photos and status."""


@library_group.command("list")
@commons_argument
@click.option("--category", type=click.Choice(CATEGORIES), default=None)
@click.option("--status", type=click.Choice(STATUSES), default=None)
@json_option
@pass_ctx
def list_(
    ctx: Context, commons: str, category: str | None, status: str | None, as_json: bool
) -> None:
    """The items of the library COMMONS, newest first. Example: communs library list outils"""
    found = ctx.service.items(commons, category, status)
    if as_json:
        return emit_json(found)
    if not found["items"]:
        click.echo(said("No item yet: communs library add COMMONS --title …"))
        return None
    from ..domain.library import WORDS

    rows = [
        [short(i["id"]), said(WORDS[i["status"]]), said(WORDS[i["category"]]), i["title"]]
        for i in found["items"]
    ]
    table(rows, [said("ID"), said("STATUS"), said("CATEGORY"), said("TITLE")])
    return None


@library_group.command("show")
@commons_argument
@click.argument("item")
@json_option
@pass_ctx
def show(ctx: Context, commons: str, item: str, as_json: bool) -> None:
    """One ITEM of the library COMMONS (an id or its first characters)."""
    from ..domain.library import WORDS
    from ..domain.treasury import money

    found = ctx.service.item(commons, item)
    if as_json:
        return emit_json(found)
    click.echo(found["title"])
    for field, label in LABELS.items():
        value = found.get(field)
        if value in (None, "", 0):
            continue
        if field in ("value", "deposit"):
            value = money(value, found["currency"])
        elif field in ("category", "condition", "risk", "status"):
            value = said(WORDS[value])
        click.echo(f"  {said(label)}: {value}")
    if found.get("description"):
        click.echo("\n" + found["description"])
    return None


@library_group.command("add")
@commons_argument
@_item_options
@json_option
@pass_ctx
def add(ctx: Context, commons: str, as_json: bool, **given: object) -> None:
    """Add an item to the library COMMONS (a steward). Example:
    communs library add outils --title "Perceuse à percussion" --category tools --value 120
    --deposit 20 --risk training --care "Lunettes de protection" --photo perceuse.jpg
    """
    if not given.get("title"):
        raise click.UsageError(said("give the item a --title"))
    made = ctx.service.item_add(ctx.actor, commons, **_fields(ctx, dict(given)))
    if as_json:
        return emit_json(made)
    click.echo(made["id"])
    return None


@library_group.command("edit")
@commons_argument
@click.argument("item")
@_item_options
@json_option
@pass_ctx
def edit(ctx: Context, commons: str, item: str, as_json: bool, **given: object) -> None:
    """Change some fields of ITEM (a steward); the others stay. Photos given replace them."""
    made = ctx.service.item_edit(ctx.actor, commons, item, **_fields(ctx, dict(given)))
    if as_json:
        return emit_json(made)
    click.echo(made["item"])
    return None


@library_group.command("status")
@commons_argument
@click.argument("item")
@click.argument("status", type=click.Choice(STATUSES))
@click.option("--note", default="", help="Why, for the people who wait for it.")
@json_option
@pass_ctx
def status(ctx: Context, commons: str, item: str, status: str, note: str, as_json: bool) -> None:
    """Mark ITEM available, in maintenance, missing or retired (a steward)."""
    made = ctx.service.item_status(ctx.actor, commons, item, status, note)
    if as_json:
        return emit_json(made)
    click.echo(made["item"])
    return None


@library_group.command("join")
@commons_argument
@click.option("--yes", is_flag=True, help="Agree without being shown the agreement.")
@json_option
@pass_ctx
def join(ctx: Context, commons: str, yes: bool, as_json: bool) -> None:
    """Join the library COMMONS, agreeing to its member agreement (shown first)."""
    agreement = (ctx.service.charter(commons).get("member_agreement") or "").strip()
    if agreement and not yes and not as_json:
        click.echo(agreement + "\n")
        click.confirm(said("Do you agree to it?"), abort=True)
    made = ctx.service.library_join(ctx.actor, commons)
    if as_json:
        return emit_json(made)
    click.echo(said("You are a member of this library."))
    return None


@library_group.command("members")
@commons_argument
@json_option
@pass_ctx
def members(ctx: Context, commons: str, as_json: bool) -> None:
    """The members of the library COMMONS; a steward also sees their contact details (kept on
    this node only; each member sees that a steward looked)."""
    found = ctx.service.library_members(ctx.actor, commons)
    if as_json:
        return emit_json(found)
    from .base import moment

    rows = [
        [
            m["name"] or m["did"][:24],
            moment(m["since"], "%Y-%m-%d"),
            "" if m["agreed"] else said("to sign again"),
            " · ".join(v for v in m["contact"].values()),
        ]
        for m in found["members"]
    ]
    table(rows, [said("MEMBER"), said("SINCE"), said("AGREEMENT"), said("CONTACT")])
