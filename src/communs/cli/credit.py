"""communs credit …: who earned what in a commons, the reasons for one person's points, and a
contribution's size assessed.

Credit is derived by the fold from work a maintainer or a validator accepted, by the
charter's weights; nobody signs credit to themselves."""

import click

from ..i18n import N_
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
    table,
)

KINDS = {"contribution": N_("accepted contribution"), "task": N_("validated task"),
         "review": N_("review that led to a decision")}  # fmt: skip


@click.group("credit", cls=CommunsGroup)
def credit_group() -> None:
    """Credit: the points accepted work earns, with the reason for each."""


@credit_group.command("list")
@commons_argument
@click.option("--month", metavar="YYYY-MM", default=None, help="Only what was earned that month.")
@json_option
@pass_ctx
def list_(ctx: Context, commons: str, month: str | None, as_json: bool) -> None:
    """Everyone's credit in COMMONS, most first. Example: communs credit list guide"""
    found = ctx.service.credit(commons, month)
    if as_json:
        return emit_json(found)
    if not found["people"]:
        click.echo(said("No credit yet: it comes when a maintainer accepts someone's work"))
        return
    table(
        [[p["name"] or p["did"][:16] + "…", str(p["points"])] for p in found["people"]],
        [said("PERSON"), said("POINTS")],
    )
    click.echo(said("total: {points}", points=found["total"]))


@credit_group.command("of")
@commons_argument
@click.argument("person")
@json_option
@pass_ctx
def of(ctx: Context, commons: str, person: str, as_json: bool) -> None:
    """The credit of PERSON (a name or a DID) in COMMONS, each point with its reason.

    Example: communs credit of guide bao
    """
    found = ctx.service.credit_of(commons, person)
    if as_json:
        return emit_json(found)
    who = found["name"] or found["did"]
    click.echo(said("{who}: {points} points", who=who, points=found["points"]))
    table(
        [
            [
                moment(e["at"], "%Y-%m-%d"),
                said(KINDS[e["kind"]]),
                e["title"] or e["ref"][:12],
                str(e["points"]) + ("" if e["status"] == "earned" else f" ({said(e['status'])})"),
            ]
            for e in found["entries"]
        ],
        [said("WHEN"), said("FOR"), said("WHAT"), said("POINTS")],
    )


@credit_group.command("assess")
@commons_argument
@click.argument("contribution")
@click.argument("size", type=click.IntRange(1, 100))
@json_option
@pass_ctx
def assess(ctx: Context, commons: str, contribution: str, size: int, as_json: bool) -> None:
    """Assess the SIZE (1 to 100) of an accepted CONTRIBUTION: the median of everyone's
    assessments counts. Example: communs credit assess guide 3fa2 3"""
    made = ctx.service.assess(ctx.actor, commons, contribution, size)
    created(as_json, made["id"], "assessment")
