"""communs contribution … and communs artifact …: proposing, reviewing, validating."""

import difflib
import sys
from pathlib import Path

import click

from .. import node
from ..core.errors import NotFound
from .base import (
    CommunsGroup,
    Context,
    LazyChoice,
    commons_argument,
    created,
    emit_json,
    json_option,
    pass_ctx,
    said,
    said_n,
    short,
    table,
)

PREVIEW_LIMIT = 1024 * 1024


def _states() -> tuple[str, ...]:
    from ..domain.contributions import STATES

    return STATES


def upload(ctx: Context, puts: tuple[str, ...]) -> dict[str, str]:
    """Add each PATH=FILE's content to the node's blobs: {path: blob hash}."""
    files = {}
    for item in puts:
        path, sep, file = item.partition("=")
        if not sep or not path or not file:
            raise click.BadParameter(
                said("{item}: expected PATH=FILE, e.g. README.md=./readme.md", item=repr(item)),
                param_hint="--put",
            )
        if not Path(file).is_file():
            raise click.BadParameter(said("{file}: no such file", file=file), param_hint="--put")
        with open(file, "rb") as stream:
            files[path] = ctx.service.blob_add(stream, name=path)["hash"]
    return files


def change_options(command):  # noqa: ANN001, ANN201
    command = click.option(
        "--delete",
        "deletes",
        multiple=True,
        metavar="PATH",
        help="Delete the artifact at PATH (repeat).",
    )(command)
    return click.option(
        "--put",
        "puts",
        multiple=True,
        metavar="PATH=FILE",
        help="Put FILE's content at PATH in the commons (repeat).",
    )(command)


@click.group("contribution", cls=CommunsGroup)
def contribution_group() -> None:
    """Propose changes; review, accept, reject, revert, patrol, withdraw them."""


@contribution_group.command("propose")
@commons_argument
@click.option("--title", required=True)
@click.option("--description", default="")
@change_options
@click.option(
    "--to-parent",
    is_flag=True,
    help="COMMONS is a fork: propose to its parent what the fork changed.",
)
@json_option
@pass_ctx
def propose(
    ctx: Context,
    commons: str,
    title: str,
    description: str,
    puts: tuple[str, ...],
    deletes: tuple[str, ...],
    to_parent: bool,
    as_json: bool,
) -> None:
    """Propose a contribution to COMMONS.

    Example: communs contribution propose guide --title "Fix typo" --put README.md=README.md
    """
    if to_parent:
        if puts or deletes:
            raise click.UsageError(
                said("--to-parent takes the fork's changes; drop --put/--delete")
            )
        made = ctx.service.propose_to_parent(ctx.actor, commons, title, description)
        return created(as_json, made["id"], "contribution", commons=made["commons"])
    if not puts and not deletes:
        raise click.UsageError(said("say what changes: --put PATH=FILE and/or --delete PATH"))
    made = ctx.service.propose(
        ctx.actor, commons, title, description, files=upload(ctx, puts), deletes=list(deletes)
    )
    created(as_json, made["id"], "contribution")


@contribution_group.command("revise")
@commons_argument
@click.argument("contribution")
@click.option("--title", default=None)
@click.option("--description", default=None)
@change_options
@json_option
@pass_ctx
def revise(
    ctx: Context,
    commons: str,
    contribution: str,
    title: str | None,
    description: str | None,
    puts: tuple[str, ...],
    deletes: tuple[str, ...],
    as_json: bool,
) -> None:
    """Replace your contribution's changes with a new revision, based on the current version."""
    made = ctx.service.revise(
        ctx.actor,
        commons,
        contribution,
        title=title,
        description=description,
        files=upload(ctx, puts),
        deletes=list(deletes),
    )
    created(as_json, made["id"], "revision")


@contribution_group.command("list")
@commons_argument
@click.option("--state", type=LazyChoice(_states), default=None)
@json_option
@pass_ctx
def list_(ctx: Context, commons: str, state: str | None, as_json: bool) -> None:
    """Contributions to COMMONS, oldest first."""
    items = ctx.service.contributions(commons, state)
    if as_json:
        return emit_json(items)
    if not items:
        if state:
            click.echo(said("No contribution is {state}", state=state))
        else:
            click.echo(said("No contribution yet"))
    table(
        [
            [short(c["id"]), c["state"], c["author_name"] or short(c["author"]), c["title"]]
            for c in items
        ],
        [said("ID"), said("STATE"), said("AUTHOR"), said("TITLE")],
    )


@contribution_group.command("show")
@commons_argument
@click.argument("contribution")
@json_option
@pass_ctx
def show(ctx: Context, commons: str, contribution: str, as_json: bool) -> None:
    """A contribution with its changes (as a diff for text), reviews and decision."""
    info = ctx.service.contribution(commons, contribution)
    if as_json:
        return emit_json(info)
    click.echo(f"{info['title']}  [{info['state']}]  ({info['id']})")
    author = info["author_name"] or info["author"]
    click.echo(
        "  " + said("by {author}, revision {revision}", author=author, revision=info["revision"])
    )
    if info["description"]:
        click.echo(f"  {info['description']}")
    if info["accepted_by"]:
        accepted = len(info["accepted_by"])
        click.echo(
            "  " + said_n("accepted by {n} maintainer", "accepted by {n} maintainers", accepted)
        )
    if info["reason"]:
        click.echo("  " + said("reason: {reason}", reason=info["reason"]))
    if info["base_moved"]:
        moved = ", ".join(info["base_moved"])
        click.echo("  " + said("the canonical version moved since: {paths}", paths=moved))
    if info.get("missing_files"):
        click.echo(
            "  "
            + said_n(
                "{n} file not on this node yet: accepting waits for it ('communs blob get "
                "--missing' fetches it)",
                "{n} files not on this node yet: accepting waits for them ('communs blob get "
                "--missing' fetches them)",
                len(info["missing_files"]),
            )
        )
    for change in info["changes"]:
        click.echo(diff(ctx, change))
    for r in info["reviews"]:
        by = r["by_name"] or r["by"][:16]
        click.echo(
            "  "
            + said("review by {by}: {verdict}", by=by, verdict=r["verdict"])
            + (f" — {r['comment']}" if r["comment"] else "")
        )


def diff(ctx: Context, change: dict) -> str:
    """A unified diff for text, a one-line summary for anything else."""
    path = change["path"]
    if change["blob"] is None:
        return "--- " + said("{path}: deleted", path=path)
    if not change.get("here", True):
        return "??? " + said_n(
            "{path}: {n} byte, not on this node yet; fetch it with 'communs blob get {blob}'",
            "{path}: {n} bytes, not on this node yet; fetch it with 'communs blob get {blob}'",
            change["size"],
            path=path,
            blob=change["blob"],
        )

    def content(blob: str | None) -> bytes | None:
        if blob is None:
            return b""
        try:
            with ctx.service.blob_open(blob) as stream:
                data = stream.read(PREVIEW_LIMIT + 1)
        except NotFound:
            return None
        return data if len(data) <= PREVIEW_LIMIT and node.is_text(data) else None

    old, new = content(change["base"]), content(change["blob"])
    if old is None or new is None:
        media = change["media"] or said("binary")
        return "*** " + said_n(
            "{path}: {n} byte ({media})",
            "{path}: {n} bytes ({media})",
            change["size"],
            path=path,
            media=media,
        )
    lines = difflib.unified_diff(
        old.decode().splitlines(keepends=True),
        new.decode().splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    return "".join(lines).rstrip("\n") or "=== " + said("{path}: unchanged", path=path)


def decision(name: str, doc: str, needs_reason: bool = False):  # noqa: ANN201
    """accept / reject / revert / withdraw / patrol share one shape."""

    @commons_argument
    @click.argument("contribution")
    @json_option
    @pass_ctx
    def command(
        ctx: Context, commons: str, contribution: str, as_json: bool, reason: str | None = None
    ) -> None:
        made = ctx.service.decide(ctx.actor, commons, contribution, name, reason)
        created(as_json, made["id"], name)
        if not as_json and sys.stdout.isatty():
            click.echo(said("the contribution is now {state}", state=made["state"]), err=True)

    command.__doc__ = doc
    if needs_reason:
        command = click.option("--reason", required=True, help="Why, for everyone to read.")(
            command
        )
    contribution_group.command(name)(command)


decision("accept", "Accept CONTRIBUTION (as a maintainer); merges text if the base moved.")
decision("reject", "Reject CONTRIBUTION (as a maintainer), with a public reason.", True)
decision("revert", "Revert an accepted or published CONTRIBUTION (as a maintainer).", True)
decision("withdraw", "Withdraw your own CONTRIBUTION.")
decision("patrol", "Mark a published CONTRIBUTION as reviewed (publish-first commons).")


@contribution_group.command("review")
@commons_argument
@click.argument("contribution")
@click.option("--approve", "verdict", flag_value="approve", help="Approve it.")
@click.option(
    "--request-changes",
    "verdict",
    flag_value="request_changes",
    help="Ask for changes (say which with --comment).",
)
@click.option("--comment", default="", help="What you think; alone, a plain comment.")
@json_option
@pass_ctx
def review(
    ctx: Context, commons: str, contribution: str, verdict: str | None, comment: str, as_json: bool
) -> None:
    """Review CONTRIBUTION: anyone can. Example: ... review guide 3fa2 --approve"""
    if verdict is None and not comment:
        raise click.UsageError(said("give --approve, --request-changes or --comment TEXT"))
    made = ctx.service.review(ctx.actor, commons, contribution, verdict or "comment", comment)
    created(as_json, made["id"], "review")


@click.group("artifact", cls=CommunsGroup)
def artifact_group() -> None:
    """The canonical files of a commons and their history."""


@artifact_group.command("list")
@commons_argument
@json_option
@pass_ctx
def artifact_list(ctx: Context, commons: str, as_json: bool) -> None:
    """Canonical artifacts of COMMONS."""
    items = ctx.service.artifacts(commons)
    if as_json:
        return emit_json(items)
    if not items:
        click.echo(said("No artifact yet: propose one with 'communs contribution propose'"))
    table(
        [[a["path"], str(a["size"]), a["media"], short(a["blob"])] for a in items],
        [said("PATH"), said("BYTES"), said("TYPE"), said("BLOB")],
    )


@artifact_group.command("show")
@commons_argument
@click.argument("path")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the content to this file.",
)
@json_option
@pass_ctx
def artifact_show(ctx: Context, commons: str, path: str, output: str | None, as_json: bool) -> None:
    """Print the canonical content of PATH (text), or write it with --output."""
    info = ctx.service.artifact(commons, path)
    if as_json:
        return emit_json(info)
    with ctx.service.blob_open(info["blob"]) as source:
        if output:
            with open(output, "wb") as target:
                while chunk := source.read(1 << 20):
                    target.write(chunk)
            return
        head = source.read(PREVIEW_LIMIT + 1)
    if len(head) > PREVIEW_LIMIT or not node.is_text(head):
        click.echo(
            said_n(
                "{path}: {n} byte ({media}); use --output FILE",
                "{path}: {n} bytes ({media}); use --output FILE",
                info["size"],
                path=path,
                media=info["media"],
            ),
            err=True,
        )
        return
    click.echo(head.decode(), nl=False)


@artifact_group.command("history")
@commons_argument
@click.argument("path")
@json_option
@pass_ctx
def artifact_history(ctx: Context, commons: str, path: str, as_json: bool) -> None:
    """Every change of PATH, oldest first: who, how, and which contribution."""
    entries = ctx.service.artifact_history(commons, path)
    if as_json:
        return emit_json(entries)
    for e in entries:
        if e["after"] is None:
            change = said("deleted")
        else:
            change = said_n(
                "{blob} ({n} byte)", "{blob} ({n} bytes)", e["size"], blob=short(e["after"])
            )
        done = said(
            "{action} by {who}: {change}",
            action=e["action"].ljust(8),
            who=e["by_name"] or short(e["by"]),
            change=change,
        )
        click.echo(
            f"{short(e['event'])}  {done}  "
            + said("(contribution {id})", id=short(e["contribution"]))
        )
