"""communs task …: the task board of a commons, where people coordinate work themselves.

Nobody assigns work: anyone opens a task, claims it (which holds it for the charter's
``claim_hours``), marks it done, and someone else validates it — never the one who did it.
"""

from typing import Any

import click

from ..i18n import N_
from .base import (
    CommunsGroup,
    Context,
    LazyChoice,
    commons_argument,
    created,
    emit_json,
    json_option,
    moment,
    pass_ctx,
    said,
    short,
    table,
)
from .objects import parse_object


def _states() -> tuple[str, ...]:
    from ..domain.tasks import STATES

    return STATES


def _signals() -> tuple[str, ...]:
    from ..domain.tasks import WEIGHTS

    return tuple(WEIGHTS)


def when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return moment(ms, "%Y-%m-%d %H:%M UTC")


def who(name: str | None, did: str | None) -> str:
    return name or (did[:16] + "…" if did else "-")


CHECKED = {"validated": N_("validated by {who}"), "invalidated": N_("invalidated by {who}")}


@click.group("task", cls=CommunsGroup)
def task_group() -> None:
    """The task board: open, claim, do and validate tasks; signal what needs doing."""


@task_group.command("list")
@commons_argument
@click.option("--state", type=LazyChoice(_states), default=None, help="Only tasks in this state.")
@json_option
@pass_ctx
def list_(ctx: Context, commons: str, state: str | None, as_json: bool) -> None:
    """Tasks of COMMONS, oldest first. Example: communs task list guide --state open"""
    items = ctx.service.tasks(commons, state)
    if as_json:
        return emit_json(items)
    if not items:
        if state:
            click.echo(said("No task is {state}", state=state))
        else:
            click.echo(said("No task yet: communs task open COMMONS"))
    table(
        [
            [
                short(t["id"]),
                t["state"] + (" " + said("(expired)") if t["expired"] else ""),
                who(t["claimed_name"], t["claimed_by"]) if t["claimed_by"] else "-",
                t["title"],
            ]
            for t in items
        ],
        [said("ID"), said("STATE"), said("CLAIMED BY"), said("TITLE")],
    )


@task_group.command("show")
@commons_argument
@click.argument("task")
@json_option
@pass_ctx
def show(ctx: Context, commons: str, task: str, as_json: bool) -> None:
    """A task: its state, who holds or did it, its links and its history.

    Example: communs task show guide 3fa2
    """
    t = ctx.service.task(commons, task)
    if as_json:
        return emit_json(t)
    click.echo(f"{t['title']}  [{t['state']}]  ({t['id']})")
    opener = who(t["author_name"], t["author"])
    click.echo("  " + said("opened by {who} on {time}", who=opener, time=when(t["time"])))
    if t["description"]:
        click.echo(f"  {t['description']}")
    if t["claim"]:
        claim = t["claim"]
        holder, until = who(claim["name"], claim["by"]), when(claim["until"])
        if t["expired"]:
            line = said(
                "claimed by {who} until {time} (expired: anyone may take it over)",
                who=holder,
                time=until,
            )
        else:
            line = said("claimed by {who} until {time}", who=holder, time=until)
        click.echo("  " + line)
    if t["doer"]:
        click.echo("  " + said("done by {who}", who=who(t["doer_name"], t["doer"])))
    if t["checked"]:
        checked = t["checked"]
        comment = f": {checked['comment']}" if checked["comment"] else ""
        checker = who(checked["name"], checked["by"])
        if checked["verdict"] in CHECKED:
            verdict = said(CHECKED[checked["verdict"]], who=checker)
        else:
            verdict = f"{checked['verdict']} " + said("by {who}", who=checker)
        click.echo(f"  {verdict}{comment}")
    linked = (
        (N_("about: contribution {id} {title} [{state}]"), t["links"]),
        (N_("work: contribution {id} {title} [{state}]"), t["done_links"]),
    )
    for message, links in linked:
        for c in links:
            click.echo("  " + said(message, id=short(c["id"]), title=c["title"], state=c["state"]))
    if t["signals"]:
        kinds = ", ".join(s["kind"].replace("_", " ") for s in t["signals"])
        click.echo("  " + said("signals: {kinds} (heat {heat})", kinds=kinds, heat=t["heat"]))
    for h in t["history"]:
        comment = f" — {h['comment']}" if h["comment"] else ""
        click.echo(f"  {when(h['time'])}  {who(h['by_name'], h['by'])} {h['action']}{comment}")


@task_group.command("open")
@commons_argument
@click.option("--title", required=True)
@click.option("--description", default="", help="What needs doing (Markdown).")
@click.option("--link", "links", multiple=True, metavar="ID", help="A contribution it is about.")
@json_option
@pass_ctx
def open_(
    ctx: Context, commons: str, title: str, description: str, links: tuple[str, ...], as_json: bool
) -> None:
    """Open a task on COMMONS. Example: communs task open guide --title "Map the north trail" """
    made = ctx.service.task_open(ctx.actor, commons, title, description, list(links))
    created(as_json, made["id"], "task")


def action(name: str, doc: str, *options: Any) -> None:
    """One task action as a command: ``communs task NAME COMMONS TASK ...``."""

    def command(ctx: Context, commons: str, task: str, as_json: bool, **fields: Any) -> None:
        links = list(fields.pop("links", ()))
        made = ctx.service.task_act(
            ctx.actor, commons, task, name, fields.get("comment") or "", links
        )
        created(as_json, made["id"], name, state=made["state"])

    command.__doc__ = doc
    decorators = [commons_argument, click.argument("task"), *options, json_option]
    for decorate in reversed([*decorators, pass_ctx]):
        command = decorate(command)
    task_group.command(name)(command)


COMMENT = click.option("--comment", default="", help="A word for everyone to read.")
action("claim", "Claim TASK, so that nobody does it twice. Example: communs task claim guide 3fa2")
action("extend", "Extend your claim on TASK. Example: communs task extend guide 3fa2")
action("release", "Release your claim on TASK. Example: communs task release guide 3fa2")
action(
    "done",
    "Mark TASK done; someone else validates it. Example: communs task done guide 3fa2 --link 9c1e",
    COMMENT,
    click.option(
        "--link", "links", multiple=True, metavar="ID", help="A contribution that did the work."
    ),
)
action(
    "validate",
    "Validate the work done on TASK (not your own). Example: communs task validate guide 3fa2",
    COMMENT,
)
action(
    "invalidate",
    "Send TASK back to the board, saying what is wrong.\n\n"
    'Example: communs task invalidate guide 3fa2 --comment "the map is missing"',
    click.option("--comment", required=True, help="What is wrong, for everyone to read."),
)
action(
    "reopen",
    "Reopen a done or checked TASK (its author or a maintainer). "
    "Example: communs task reopen guide 3fa2",
    COMMENT,
)


@task_group.command("signal")
@commons_argument
@click.argument("object_", metavar="OBJECT")
@click.argument("kind", type=LazyChoice(_signals))
@json_option
@pass_ctx
def signal(ctx: Context, commons: str, object_: str, kind: str, as_json: bool) -> None:
    """Signal that OBJECT is needed, urgent or a good first task: it warms on the board.

    OBJECT is a task (its id, or task:ID), contribution:ID or file:PATH.
    Example: communs task signal guide 3fa2 urgent
    """
    on, target = parse_object(object_, bare="task")
    if on not in ("task", "contribution", "artifact"):
        raise click.BadParameter(
            said("a signal goes on a task, a contribution or a file"), param_hint="OBJECT"
        )
    made = ctx.service.signal(ctx.actor, commons, on, target, kind)
    created(as_json, made["id"], "signal")


@task_group.command("flag")
@commons_argument
@click.argument("path")
@click.option("--note", required=True, help="What needs work.")
@json_option
@pass_ctx
def flag(ctx: Context, commons: str, path: str, note: str, as_json: bool) -> None:
    """Flag the file at PATH as needing work.

    Example: communs task flag guide README.md --note "the intro is out of date"
    """
    made = ctx.service.flag(ctx.actor, commons, path, note)
    created(as_json, made["id"], "flag")


@task_group.command("unflag")
@commons_argument
@click.argument("path")
@json_option
@pass_ctx
def unflag(ctx: Context, commons: str, path: str, as_json: bool) -> None:
    """Remove the flag on PATH (whoever flagged it, or a maintainer).

    Example: communs task unflag guide README.md
    """
    made = ctx.service.unflag(ctx.actor, commons, path)
    created(as_json, made["id"], "unflag")


@task_group.command("board")
@commons_argument
@json_option
@pass_ctx
def board(ctx: Context, commons: str, as_json: bool) -> None:
    """What needs doing in COMMONS, hottest first: tasks, contributions waiting for review,
    conflicts, flagged files. Example: communs task board guide"""
    found = ctx.service.board(commons)
    if as_json:
        return emit_json(found)
    if not found["items"]:
        click.echo(said("Nothing needs doing: communs task open COMMONS --title T"))
    table(
        [
            [f"{i['heat']:.1f}", i["kind"], i["target"].split("/", 1)[1][:40], i["title"]]
            for i in found["items"]
        ],
        [said("HEAT"), said("KIND"), said("WHAT"), said("TITLE")],
    )
