"""communs NOUN VERB — peer production of commons, from the terminal.

Every action is a signed event; reads take --json. The home (keys, events, files) is
--home DIR, or $COMMUNS_HOME, or the platform's user data folder.
"""

import shlex
from pathlib import Path

import click

from .. import __version__, node
from ..i18n import N_
from .base import (
    CommunsGroup,
    Context,
    LazyChoice,
    commons_argument,
    created,
    emit_json,
    json_option,
    listed,
    moment,
    pass_ctx,
    progress,
    said,
    said_n,
    short,
    table,
)

# The other groups, by the module that holds them: a command imports its own module only.
LAZY = {
    "artifact": ".contributions:artifact_group",
    "blob": ".blobs:blob_group",
    "block": ".peers:block",
    "charter": ".governance:charter_group",
    "comment": ".threads:comment_group",
    "contribution": ".contributions:contribution_group",
    "credit": ".credit:credit_group",
    "distribution": ".distribution:distribution_group",
    "enterprise": ".enterprise:enterprise_group",
    "erase": ".threads:erase",
    "expense": ".treasury:expense_group",
    "follow": ".peers:follow",
    "ledger": ".treasury:ledger_group",
    "library": ".library:library_group",
    "peer": ".peers:peer_group",
    "personal": ".personal:personal_group",
    "proposal": ".governance:proposal_group",
    "status": ".peers:status",
    "sync": ".peers:sync",
    "task": ".tasks:task_group",
    "thread": ".threads:thread_group",
    "unblock": ".peers:unblock",
    "unfollow": ".peers:unfollow",
}


def _kinds() -> tuple[str, ...]:
    from ..domain.charter import KINDS

    return KINDS


@click.group(cls=CommunsGroup, lazy=LAZY, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    envvar="COMMUNS_HOME",
    type=click.Path(file_okay=False),
    help="The node's folder (default: $COMMUNS_HOME or the user data folder).",
)
@click.option(
    "--as",
    "acting_as",
    metavar="NAME",
    help="Act as this identity of the home (a name or a DID prefix).",
)
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Read the identity's passphrase from this file (or set $COMMUNS_PASSPHRASE).",
)
@click.version_option(__version__, prog_name="communs")
@click.pass_context
def cli(
    ctx: click.Context, home: str | None, acting_as: str | None, passphrase_file: str | None
) -> None:
    """Communs: communities produce commons together, peer to peer.

    Anyone contributes; maintainers named by each commons validate after the fact; anyone
    forks a commons with its history.

    \b
    Example:
      communs id new --name anna
      communs commons create --name "Trail guide" --mode review
      communs contribution propose "trail guide" --title "Intro" --put README.md=intro.md
    """
    ctx.obj = Context(home, acting_as, passphrase_file)
    ctx.call_on_close(ctx.obj.close)


# -- identities ---------------------------------------------------------------------------


@cli.group("id")
def id_group() -> None:
    """Identities (Ed25519 keys shown as did:key) kept in this home."""


@id_group.command("new")
@click.option("--name", required=True, help="Local name, also signed as your display name.")
@click.option(
    "--encrypt",
    is_flag=True,
    help="Encrypt the key with a passphrase (asked, or from --passphrase-file).",
)
@json_option
@pass_ctx
def id_new(ctx: Context, name: str, encrypt: bool, as_json: bool) -> None:
    """Create an identity. Example: communs id new --name anna"""
    passphrase = None
    if encrypt:
        passphrase = ctx.passphrase() or click.prompt(
            said("Passphrase"), hide_input=True, confirmation_prompt=True
        )
    made = ctx.service.identity_new(name, passphrase)
    created(as_json, made["id"], "identity", name=name)


@id_group.command("list")
@json_option
@pass_ctx
def id_list(ctx: Context, as_json: bool) -> None:
    """The identities of this home; * marks the default."""
    keys = ctx.service.identities()
    if as_json:
        return emit_json(keys)
    if not keys:
        click.echo(said("No identity yet: communs id new --name NAME"))
    for k in keys:
        click.echo(
            f"{'*' if k['default'] else ' '} {k['name']:<16} {k['did']}"
            + ("  " + said("(encrypted)") if k["encrypted"] else "")
        )


@id_group.command("use")
@click.argument("name")
@pass_ctx
def id_use(ctx: Context, name: str) -> None:
    """Make NAME the identity commands act as by default."""
    ctx.service.identity_use(name)


# -- commons ------------------------------------------------------------------------------


@cli.group("commons", lazy={"policy": ".peers:commons_policy", "link": ".peers:commons_link"})
def commons_group() -> None:
    """Commons: create, list, show, read the log, export and import."""


@commons_group.command("create")
@click.option("--name", required=True)
@click.option("--description", default="")
@click.option("--kind", type=LazyChoice(_kinds), default="other", show_default=True)
@click.option("--licence", default="CC-BY-SA-4.0", show_default=True, help="SPDX identifier.")
@click.option(
    "--maintainer",
    "maintainers",
    multiple=True,
    metavar="DID",
    help="A maintainer (repeat; default: you).",
)
@click.option(
    "--threshold",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="How many maintainers must accept a contribution.",
)
@click.option(
    "--mode",
    type=click.Choice(["review", "publish"]),
    default="review",
    show_default=True,
    help="review: canonical once accepted; publish: at once, patrolled or reverted after.",
)
@json_option
@pass_ctx
def commons_create(
    ctx: Context,
    name: str,
    description: str,
    kind: str,
    licence: str,
    maintainers: tuple[str, ...],
    threshold: int,
    mode: str,
    as_json: bool,
) -> None:
    """Create a commons with its charter. Example: communs commons create --name "Bird songs" """
    made = ctx.service.commons_create(
        ctx.actor,
        name=name,
        description=description,
        kind=kind,
        licence=licence,
        maintainers=list(maintainers),
        threshold=threshold,
        mode=mode,
    )
    created(as_json, made["id"], "commons", name=name)


@commons_group.command("list")
@json_option
@pass_ctx
def commons_list(ctx: Context, as_json: bool) -> None:
    """The commons this home holds."""
    rows = ctx.service.commons_list()
    if as_json:
        return emit_json(rows)
    if not rows:
        click.echo(said("No commons yet: communs commons create --name NAME"))
    table(
        [
            [
                short(r["id"]),
                r["name"],
                str(r["events"]),
                said("fork of {id}", id=short(r["forked_from"])) if r["forked_from"] else "",
            ]
            for r in rows
        ],
        [said("ID"), said("NAME"), said("EVENTS"), ""],
    )


SHOWN_HEADS = 5  # a wide commons (many concurrent authors) has hundreds
MODES = {"review": N_("review-first"), "publish": N_("publish-first")}


@commons_group.command("show")
@commons_argument
@json_option
@pass_ctx
def commons_show(ctx: Context, commons: str, as_json: bool) -> None:
    """Charter, maintainers, heads and state digest of COMMONS (id prefix or name)."""
    info = ctx.service.commons_show(commons)
    if as_json:
        return emit_json(info)
    click.echo(f"{info['name']}  ({info['id']})")
    if info["description"]:
        click.echo(f"  {info['description']}")
    mode = said(MODES[info["mode"]]) if info["mode"] in MODES else info["mode"]
    click.echo(
        "  "
        + said(
            "kind {kind}, licence {licence}, {mode}, threshold {threshold}",
            kind=info["kind"],
            licence=info["licence"],
            mode=mode,
            threshold=info["threshold"],
        )
    )
    names = ", ".join(m["name"] for m in info["maintainers"])
    click.echo("  " + said("maintainers: {names}", names=names))
    if info["forked_from"]:
        click.echo("  " + said("forked from {id}", id=short(info["forked_from"]["commons"])))
    if info["forks"]:
        click.echo("  " + said("forks: {ids}", ids=", ".join(short(f) for f in info["forks"])))
    counts = ", ".join(f"{n} {s}" for s, n in info["contributions"].items() if n)
    artifacts = info["artifacts"]
    if counts:
        click.echo(
            "  "
            + said_n(
                "{n} artifact; contributions: {counts}",
                "{n} artifacts; contributions: {counts}",
                artifacts,
                counts=counts,
            )
        )
    else:
        click.echo(
            "  "
            + said_n(
                "{n} artifact; contributions: none", "{n} artifacts; contributions: none", artifacts
            )
        )
    heads = info["heads"]
    named = listed([(h, "") for h in heads], SHOWN_HEADS)
    events = said_n("{n} event", "{n} events", info["events"])
    counted = said_n("{n} head", "{n} heads", len(heads))
    click.echo("  " + said("{events}, {heads}: {names}", events=events, heads=counted, names=named))
    click.echo("  " + said("state digest {digest}", digest=info["state_digest"]))


@commons_group.command("log")
@commons_argument
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Newest N events only.")
@json_option
@pass_ctx
def commons_log(ctx: Context, commons: str, limit: int | None, as_json: bool) -> None:
    """Every event of COMMONS, newest first, ineffective ones with their reason."""
    entries = ctx.service.commons_log(commons, limit)
    if as_json:
        return emit_json(entries)
    for e in entries:
        line = f"{short(e['id'])}  {moment(e['time'])}  {e['summary']}"
        if not e["effective"]:
            line += "  [" + said("ineffective: {reason}", reason=e["reason"]) + "]"
        click.echo(line)


@commons_group.command("lineage")
@commons_argument
@json_option
@pass_ctx
def commons_lineage(ctx: Context, commons: str, as_json: bool) -> None:
    """Where COMMONS was forked from, and the forks made of it."""
    info = ctx.service.commons_lineage(commons)
    if as_json:
        return emit_json(info)
    for depth, a in enumerate(reversed(info["ancestors"])):
        name = a["name"] or said("(not in this home)")
        click.echo("  " * depth + f"{short(a['id'])} {name}")
    depth = len(info["ancestors"])
    here = said("← this commons")
    click.echo("  " * depth + f"{short(info['id'])} {info['name']}  {here}")

    def show(forks: list[dict], level: int) -> None:
        for f in forks:
            click.echo("  " * level + f"└ {short(f['id'])} {f['name']}")
            show(f["forks"], level + 1)

    show(info["forks"], depth + 1)


@commons_group.command("export")
@commons_argument
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@json_option
@pass_ctx
def commons_export(ctx: Context, commons: str, file: str, as_json: bool) -> None:
    """Write COMMONS (events, files, and ancestors for a fork) to one FILE anyone can import."""
    with progress(ctx.service.commons_show(commons)["events"], said("exporting")) as bar:
        manifest = ctx.service.export(commons, Path(file), progress=bar.update)
    if as_json:
        return emit_json(manifest)
    events = said_n("{n} event", "{n} events", manifest["events"])
    files = said_n("{n} file", "{n} files", manifest["blobs"])
    click.echo(said("{file}: {events}, {files}", file=file, events=events, files=files))
    if manifest["missing_blobs"]:
        missing = len(manifest["missing_blobs"])
        click.echo(
            said_n(
                "warning: {n} referenced file is not in this home and was left out:",
                "warning: {n} referenced files are not in this home and were left out:",
                missing,
            ),
            err=True,
        )
        for file in manifest.get("missing_files", []):
            click.echo(f"  {file['hash']}  {file['path']}", err=True)
        click.echo(
            said_n(
                "fetch it with 'communs blob get HASH' (or 'communs blob get --missing' for "
                "those the commons shows), then export again",
                "fetch them with 'communs blob get HASH' (or 'communs blob get --missing' for "
                "those the commons shows), then export again",
                missing,
            ),
            err=True,
        )


@commons_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@json_option
@pass_ctx
def commons_import(ctx: Context, file: str, as_json: bool) -> None:
    """Verify and import a commons exported with 'communs commons export'."""
    with progress(0, said("importing")) as bar:
        result = ctx.service.import_(Path(file), progress=bar.update)
    if as_json:
        return emit_json(result)
    click.echo(result["commons"])
    added = said_n("{n} event added", "{n} events added", result["added"])
    known = said_n("{n} already known", "{n} already known", result["already_known"])
    files = said_n("{n} file", "{n} files", result["blobs"])
    click.echo(said("{added} ({known}), {files}", added=added, known=known, files=files), err=True)


# -- maintainers and forks ----------------------------------------------------------------


@cli.group("maintainer")
def maintainer_group() -> None:
    """Name or remove maintainers (takes effect once THRESHOLD maintainers agree)."""


@maintainer_group.command("add")
@commons_argument
@click.argument("person", metavar="PERSON")
@json_option
@pass_ctx
def maintainer_add(ctx: Context, commons: str, person: str, as_json: bool) -> None:
    """Endorse adding PERSON (the name their page shows, or their DID) as a maintainer of
    COMMONS."""
    made = ctx.service.maintainer(ctx.actor, commons, "add", person)
    created(as_json, made["id"], "endorsement")


@maintainer_group.command("remove")
@commons_argument
@click.argument("person", metavar="PERSON")
@json_option
@pass_ctx
def maintainer_remove(ctx: Context, commons: str, person: str, as_json: bool) -> None:
    """Endorse removing PERSON (their name or DID) from the maintainers of COMMONS."""
    made = ctx.service.maintainer(ctx.actor, commons, "remove", person)
    created(as_json, made["id"], "endorsement")


@cli.command("fork")
@commons_argument
@click.option(
    "--name", default="", help="Name of the new commons (default: the parent's, marked as a fork)."
)
@click.option("--description", default=None)
@json_option
@pass_ctx
def fork(ctx: Context, commons: str, name: str, description: str | None, as_json: bool) -> None:
    """Fork COMMONS with its history: you become the maintainer of the new commons.

    Example: communs fork "trail guide" --name "Trail guide (Breton edition)"
    """
    made = ctx.service.fork(ctx.actor, commons, name=name, description=description)
    created(as_json, made["id"], "fork", name=made["name"])


@cli.command("demo")
@click.option("--serve", is_flag=True, help="Then run the node and its web app on this home.")
@click.option(
    "--listen",
    default="127.0.0.1:8470",
    show_default=True,
    metavar="HOST:PORT",
    help="With --serve: the address of the web app.",
)
@json_option
@pass_ctx
def demo(ctx: Context, serve: bool, listen: str, as_json: bool) -> None:
    """Fill this home with demo people, commons, contributions in every state, tasks, a
    discussion and a fork (once: later runs show what is there).

    Example: communs --home demo-home demo --serve   (then open the address it prints)
    """
    made = ctx.service.demo()
    if as_json:
        return emit_json(made)
    click.echo(said("Demo home: {home}", home=made["home"]))
    people = ", ".join(f"{n} ({d[:24]}…)" for n, d in made["identities"].items())
    click.echo(said("Identities: {people}", people=people))
    for c in made["commons"]:
        click.echo(
            said(
                "Commons {id}  {name}: {summary}",
                id=short(c["id"]),
                name=c["name"],
                summary=c["summary"],
            )
        )
    first = made["commons"][0]["id"][:8]
    click.echo("\n" + said("Try, in another terminal:"))
    click.echo(f"  export COMMUNS_HOME={made['home']}")
    for command in ("commons show", "contribution list", "commons log", "commons lineage"):
        click.echo(f"  communs {command} {first}")
    if made.get("statement"):
        guide = shlex.quote(made["commons"][0]["name"])
        click.echo(f"  communs --as anna ledger import {guide} {made['statement']}")
    if serve:
        ctx.close()
        from ..api.server import serve as run

        def started(url: str) -> None:
            click.echo(
                "\n"
                + said(
                    "Web app: {url}/  (sign in as anna, bao, chloe or dara; Ctrl-C stops)",
                    url=url,
                )
            )

        run(made["home"], listen, started=started)


@cli.command("serve")
@click.option(
    "--listen",
    default="127.0.0.1:8470",
    show_default=True,
    metavar="HOST:PORT",
    help="Address to listen on (port 0 picks a free one).",
)
@click.option(
    "--lan",
    is_flag=True,
    help="Announce this node and find others on the local network (mDNS, service _communs._tcp).",
)
@click.option(
    "--hub",
    is_flag=True,
    help="Let citizens register in the web app with a name and "
    "passphrase; the node keeps each key encrypted and signs for them.",
)
@click.option(
    "--bittorrent",
    "bittorrent",
    default=None,
    metavar="HOST:PORT",
    help="BitTorrent address: seed large files, fetch them from peers "
    "(default: the web app's host, any free port; 'off': none).",
)
@click.option(
    "--public",
    is_flag=True,
    help="For the open Internet: BitTorrent DHT, local discovery, UPnP, NAT-PMP and uTP on.",
)
@click.option(
    "--hostname",
    "hostnames",
    multiple=True,
    metavar="NAME",
    help="A name the node answers to besides its addresses and localhost, e.g. the public "
    "name of a hub behind a proxy (repeatable); other Host headers are refused.",
)
@click.option(
    "--download-limit",
    default="none",
    metavar="RATE",
    help="BitTorrent bytes per second in, e.g. 20MiB (default: none).",
)
@click.option(
    "--upload-limit",
    default="none",
    metavar="RATE",
    help="BitTorrent bytes per second out, e.g. 5MiB (default: none).",
)
@pass_ctx
def serve(
    ctx: Context,
    listen: str,
    lan: bool,
    hub: bool,
    bittorrent: str | None,
    public: bool,
    download_limit: str,
    upload_limit: str,
    hostnames: tuple[str, ...],
) -> None:
    """Run a node on this home: the web app, the HTTP API (OpenAPI at /openapi.json) and
    replication with peers, until Ctrl-C.

    While it runs, other communs commands on the same home go through it.
    """
    from ..api.server import serve as run
    from ..node import parse_size

    def started(url: str) -> None:
        home = ctx.home_path or node.default_home()
        click.echo(said("Communs node on {url} (home {home})", url=url, home=home), err=True)
        click.echo(url)

    run(
        ctx.home_path,
        listen,
        lan=lan,
        hub=hub,
        bittorrent=bittorrent,
        public=public,
        limits=(parse_size(download_limit) or 0, parse_size(upload_limit) or 0),
        hostnames=hostnames,
        started=started,
    )


def main() -> None:
    cli(prog_name="communs")
