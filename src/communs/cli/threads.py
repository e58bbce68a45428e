"""communs thread … and communs comment …: discussion on every object of a commons.

OBJECT is ``commons``, ``task:ID``, ``contribution:ID``, ``file:PATH`` or ``person:DID``.
COMMONS comes first, as in every command, and may be left out when the home holds just one.
"""

from typing import Any

import click

from .base import (
    CommunsCommand,
    CommunsGroup,
    Context,
    created,
    emit_json,
    json_option,
    pass_ctx,
    said,
    said_n,
    short,
)
from .objects import parse_object, split_commons
from .tasks import when, who


@click.group("thread", cls=CommunsGroup)
def thread_group() -> None:
    """Read the discussion on an object of a commons."""


@thread_group.command("show")
@click.argument("words", nargs=-1, required=True, metavar="[COMMONS] OBJECT")
@json_option
@pass_ctx
def show(ctx: Context, words: tuple[str, ...], as_json: bool) -> None:
    """The messages on OBJECT, each followed by its replies.

    OBJECT: commons, task:ID, contribution:ID, file:PATH or person:DID.
    Example: communs thread show guide task:3fa2
    """
    commons, object_ = split_commons(ctx, words, ("object",))
    found = ctx.service.thread(commons, *parse_object(object_))
    if as_json:
        return emit_json(found)
    if not found["messages"]:
        click.echo(said("No message yet: communs comment {object} TEXT", object=object_))
    for m in found["messages"]:
        indent = "  " * min(m["depth"], 6)
        edited = " " + said("(edited {n}×)", n=len(m["edits"])) if m["edits"] else ""
        author = who(m["author_name"], m["author"])
        click.echo(f"{indent}{short(m['id'])}  {author}  {when(m['time'])}{edited}")
        if m["retracted"]:
            click.echo(f"{indent}  [" + said("retracted by its author") + "]")
        elif m["hidden"]:
            hider = who(m["hidden"]["name"], m["hidden"]["by"])
            hidden = said("hidden by {who}: {reason}", who=hider, reason=m["hidden"]["reason"])
            click.echo(f"{indent}  [{hidden}]")
        elif m.get("erased"):
            click.echo(f"{indent}  [{erased_words(m['erased'])}]")
        elif m.get("missing"):
            missing = said("its text is not on this node yet: communs sync")
            click.echo(f"{indent}  [{missing}]")
        else:
            for line in m["text"].splitlines():
                click.echo(f"{indent}  {line}")
        if m["reactions"]:
            counts = "  ".join(f"{r['emoji']} {len(r['people'])}" for r in m["reactions"])
            click.echo(f"{indent}  {counts}")


def erased_words(how: dict[str, Any]) -> str:
    if how["moderated"]:
        return said("removed by the maintainers: {reason}", reason=how["reason"])
    return said("erased by its author")


@click.command("erase", cls=CommunsCommand)
@click.argument("words", nargs=-1, required=True, metavar="[COMMONS] TARGET")
@click.option("--reason", default="", help="Why (required to erase someone else's content).")
@json_option
@pass_ctx
def erase(ctx: Context, words: tuple[str, ...], reason: str, as_json: bool) -> None:
    """Take back what was written, on every node that holds the commons: the events stay
    and still verify, their content is deleted and never served again.

    TARGET: message:ID (every version of your message's text), name (your display name),
    name:DID or message:ID with --reason (a maintainer removing unlawful content), or a
    content hash. What erasure cannot undo (a copy made elsewhere): docs/erasure.md.

    \b
    Example:
      communs erase guide message:9c1e
      communs erase guide name
    """
    commons, target = split_commons(ctx, words, ("target",))
    done = ctx.service.erase(ctx.actor, commons, target, reason)
    if as_json:
        return emit_json(done)
    count = len(done["erased"])
    if count:
        click.echo(said_n("Erased {n} piece of content.", "Erased {n} pieces of content.", count))
    else:
        click.echo(said("Already erased."))


class CommentGroup(CommunsGroup):
    """``communs comment OBJECT TEXT`` is short for ``communs comment post OBJECT TEXT``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["post", *args]
        return super().parse_args(ctx, args)


@click.group("comment", cls=CommentGroup)
def comment_group() -> None:
    """Write in the discussion of any object: post, reply, edit, retract; hide (maintainers).

    OBJECT is commons (the commons itself), task:ID, contribution:ID, file:PATH or
    person:DID; IDs are unique prefixes. COMMONS comes first, and may be left out when the
    home holds just one.

    \b
    Example:
      communs comment task:3fa2 "I can take the north part"
      communs comment task:3fa2 "Thanks!" --reply-to 9c1e
      communs comment edit 9c1e "Thanks, Anna!"
    """


@comment_group.command("post")
@click.argument("words", nargs=-1, required=True, metavar="[COMMONS] OBJECT TEXT")
@click.option("--reply-to", metavar="ID", help="Answer this message (on the same object).")
@json_option
@pass_ctx
def post(ctx: Context, words: tuple[str, ...], reply_to: str | None, as_json: bool) -> None:
    """Post TEXT (Markdown; @did:key:… mentions a person) on OBJECT, or reply to a message.
    'communs comment OBJECT TEXT' is short for this.

    OBJECT: commons, task:ID, contribution:ID, file:PATH or person:DID.
    Example: communs comment guide file:README.md "The intro could be shorter"
    """
    commons, object_, text = split_commons(ctx, words, ("object", "text"))
    kind, ref = parse_object(object_)
    made = ctx.service.thread_post(ctx.actor, commons, kind, ref, text, reply_to)
    created(as_json, made["id"], "message")


def change(name: str, doc: str, names: tuple[str, ...] = (), **fixed: Any) -> None:
    """One change of a message as a command: ``communs comment NAME [COMMONS] ID ...``."""
    metavar = " ".join(["[COMMONS]", "ID", *(n.upper() for n in names)])

    def command(ctx: Context, words: tuple[str, ...], as_json: bool, **options: Any) -> None:
        commons, message, *rest = split_commons(ctx, words, ("id", *names))
        fields = {**dict(zip(names, rest, strict=True)), **options}
        made = ctx.service.message_act(ctx.actor, commons, message, name, **fields)
        created(as_json, made["id"], name)

    command.__doc__ = doc
    decorators = [click.argument("words", nargs=-1, required=True, metavar=metavar)]
    decorators += [*fixed.values(), json_option, pass_ctx]
    for decorate in reversed(decorators):
        command = decorate(command)
    comment_group.command(name)(command)


change(
    "edit",
    "Replace the text of your message ID. Example: communs comment edit 9c1e TEXT",
    ("text",),
)
change(
    "retract",
    "Retract your message ID: its text leaves the thread. Example: communs comment retract 9c1e",
)
change(
    "hide",
    "Hide message ID (as a maintainer), saying why: it stays in place, shown as hidden.\n\n"
    'Example: communs comment hide 9c1e --reason "off topic"',
    reason=click.option("--reason", required=True, help="Why, for everyone to read."),
)
change(
    "unhide",
    "Show a hidden message ID again (as a maintainer). Example: communs comment unhide 9c1e",
)
change(
    "react", "React to message ID with an emoji. Example: communs comment react 9c1e 👍", ("emoji",)
)
change("unreact", "Take back your reaction. Example: communs comment unreact 9c1e 👍", ("emoji",))
