"""Peers, follows, sync, and the node's own policies against spam."""

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .. import node
from ..core.errors import CommunsError
from ..i18n import N_
from .base import (
    CommunsCommand,
    CommunsGroup,
    Context,
    bar_when_asked,
    commons_argument,
    complete_commons,
    created,
    emit_json,
    json_option,
    moment,
    number,
    pass_ctx,
    said,
    said_n,
    table,
)

T = TypeVar("T")
QUIET_FOR = 1.0  # seconds of work before a progress bar is worth drawing
POLL = 0.25  # seconds between looks at the pulls under way


@click.group("peer", cls=CommunsGroup)
def peer_group() -> None:
    """The nodes this node syncs with."""


@peer_group.command("add")
@click.argument("url")
@json_option
@pass_ctx
def peer_add(ctx: Context, url: str, as_json: bool) -> None:
    """Sync with the node at URL (http://HOST:PORT). Example: communs peer add 10.0.0.5:8470"""
    added = ctx.service.peer_add(url)
    if added.get("warning") and not as_json:
        click.echo(said("warning: {warning}", warning=added["warning"]), err=True)
    created(as_json, added.pop("id"), "peer", **added)


@peer_group.command("list")
@json_option
@pass_ctx
def peer_list(ctx: Context, as_json: bool) -> None:
    """Known peers, how they were found, and how the last sync went."""
    peers = ctx.service.peers()
    if as_json:
        return emit_json(peers)
    if not peers:
        click.echo(said("No peer yet: communs peer add http://HOST:PORT (or serve with --lan)"))

    def when(stamp: int | None) -> str:
        return moment(stamp * 1000) if stamp else said("never")

    table(
        [[p["url"], p["source"], when(p["last_ok"]), p["last_error"] or ""] for p in peers],
        [said("PEER"), said("FOUND"), said("LAST SYNC"), said("LAST ERROR")],
    )


@peer_group.command("remove")
@click.argument("url")
@pass_ctx
def peer_remove(ctx: Context, url: str) -> None:
    """Stop syncing with URL."""
    ctx.service.peer_remove(url)


@click.command("follow", cls=CommunsCommand)
@click.argument("target")
@json_option
@pass_ctx
def follow(ctx: Context, target: str, as_json: bool) -> None:
    """Follow a commons (id, name, or a communs://ID?peer=HOST:PORT link, which fetches it
    from that peer), or an author (DID) whose events you accept.

    Example: communs follow "communs://3fa2…?peer=192.168.1.20:8470"
    """
    result = _pulling(ctx, lambda: ctx.service.follow(target), quiet=as_json)
    if as_json:
        return emit_json(result)
    click.echo(result["id"])
    if "pulled" in result:
        click.echo(
            said_n(
                "{n} event fetched from {peer}",
                "{n} events fetched from {peer}",
                result["pulled"],
                peer=result["peer"],
            ),
            err=True,
        )


@click.command("unfollow", cls=CommunsCommand)
@click.argument("target")
@pass_ctx
def unfollow(ctx: Context, target: str) -> None:
    """Stop following a commons (its events stay here) or an author."""
    ctx.service.unfollow(target)


@click.command("sync", cls=CommunsCommand)
@click.argument("commons", required=False, shell_complete=complete_commons)
@click.option("--peer", default=None, help="Only this peer (default: every known peer).")
@json_option
@pass_ctx
def sync(ctx: Context, commons: str | None, peer: str | None, as_json: bool) -> None:
    """Sync now: pull what peers have that this node lacks, push what they lack.

    Without COMMONS, every followed commons.
    """
    results = _pulling(ctx, lambda: ctx.service.sync(peer, commons), quiet=as_json)
    if as_json:
        return emit_json(results)
    if not results:
        click.echo(said("Nothing to sync: add a peer (communs peer add) and follow a commons."))
    failed = False
    for r in results:
        if "error" in r:
            failed = True
            failure = said("failed: {error}", error=r["error"])
            click.echo(f"{r['peer']}  {r['commons'][:12]}  {failure}")
        else:
            note = f"  ({r['note']})" if r.get("note") else ""
            fetched = said_n("{n} file fetched", "{n} files fetched", r.get("files", 0))
            moved = said(
                "pulled {pulled}, pushed {pushed}, {fetched}, {sent} sent",
                pulled=r["pulled"],
                pushed=r["pushed"],
                fetched=fetched,
                sent=r.get("files_sent", 0),
            )
            click.echo(f"{r['peer']}  {r['commons'][:12]}  {moved}{note}")
            for reason in r.get("files_refused", []):
                click.echo("  " + said("a file was refused by the peer: {reason}", reason=reason))
    if failed:
        ctx_exit = click.get_current_context()
        ctx_exit.exit(1)


@click.command("block", cls=CommunsCommand)
@click.argument("did")
@click.option("--reason", default="", help="Why, for your own records.")
@pass_ctx
def block(ctx: Context, did: str, reason: str) -> None:
    """Neither store nor serve events by DID on this node."""
    ctx.service.block(did, reason)


@click.command("unblock", cls=CommunsCommand)
@click.argument("did")
@pass_ctx
def unblock(ctx: Context, did: str) -> None:
    """Accept events by DID again."""
    ctx.service.unblock(did)


@click.command("status", cls=CommunsCommand)
@json_option
@pass_ctx
def status(ctx: Context, as_json: bool) -> None:
    """This node: where it runs, its peers and follows, and the events it refused."""
    info = ctx.service.status()
    if as_json:
        return emit_json(info)
    click.echo(said("home {path}", path=info["home"]))
    if info["url"]:
        click.echo(said("node {url}", url=info["url"]))
    else:
        click.echo(said("node not running (commands work on the home directly)"))
    peers = said_n("{n} peer", "{n} peers", info["peers"])
    follows = said_n("{n} followed commons", "{n} followed commons", info["follows"])
    waiting = said_n(
        "{n} event waiting for its parents",
        "{n} events waiting for their parents",
        info["pending_events"],
    )
    click.echo(said("{peers}, {follows}, {waiting}", peers=peers, follows=follows, waiting=waiting))
    for pull in info.get("pulls", []):
        fields = {
            "commons": pull["commons"][:12],
            "peer": pull["peer"],
            "done": number(pull["done"]),
        }
        if pull["total"]:
            line = said(
                "pulling {commons} from {peer}: {done} of about {total} events",
                total=number(pull["total"]),
                **fields,
            )
        else:
            line = said("pulling {commons} from {peer}: {done} events", **fields)
        click.echo(line)
    files, swarm = info["files"], info["files"]["bittorrent"]
    quota = files["policy"]["quota"]
    stored = node.human(files["stored_bytes"])
    how = files["policy"]["fetch"]
    fetch = said(FETCHED[how]) if how in FETCHED else f"fetched {how}"
    if quota is not None:
        line = said(
            "files: {stored} stored of a {quota} quota, {fetch}",
            stored=stored,
            quota=node.human(quota),
            fetch=fetch,
        )
    else:
        line = said("files: {stored} stored, {fetch}", stored=stored, fetch=fetch)
    click.echo(line)
    if swarm["port"] is not None:
        running = sum(t["state"] in ("fetching", "verifying") for t in swarm["transfers"])
        click.echo(
            said_n(
                "BitTorrent on port {port}: seeding {n} file, fetching {running}",
                "BitTorrent on port {port}: seeding {n} files, fetching {running}",
                swarm["seeding"],
                port=swarm["port"],
                running=running,
            )
        )
    if files.get("missing"):
        where = said_n("in {n} commons", "in {n} commons", len(files["missing_commons"]))
        click.echo(
            said_n(
                "{n} file the followed commons show is not here ({where}): 'communs blob "
                "missing' lists it, 'communs blob get --missing' fetches it from the peers, or "
                "run 'communs sync' on a node that has it",
                "{n} files the followed commons show are not here ({where}): 'communs blob "
                "missing' lists them, 'communs blob get --missing' fetches them from the peers, "
                "or run 'communs sync' on a node that has them",
                files["missing"],
                where=where,
            )
        )
    for reason, count in info.get("pending_dropped", {}).items():
        click.echo(
            said("dropped {count}× while waiting for parents: {reason}", count=count, reason=reason)
        )
    if info["blocked"]:
        click.echo(said("blocked: {dids}", dids=", ".join(info["blocked"])))
    for reason, count in info["refused"].items():
        click.echo(said("refused {count}×: {reason}", count=count, reason=reason))


FETCHED = {"eager": N_("fetched eagerly"), "lazy": N_("fetched lazily")}


def _quota(text: str, option: str, parse: Callable[[str], int | None]) -> int | None:
    """A quota option's value: a number, or None for 'default'."""
    if text.strip().lower() == "default":
        return None
    try:
        value = parse(text)
    except ValueError:
        value = None
    if value is None or value < 0:
        raise click.BadParameter(
            said("{given} is not a number (or 'default')", given=repr(text)), param_hint=option
        )
    return value


def _pulling(ctx: Context, work: Callable[[], T], *, quiet: bool) -> T:
    """Run ``work`` (a follow or a sync) and, once it has taken a moment, show a bar of the
    events coming from peers, read from the pulls under way (on the node running on the home,
    or here)."""
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as error:  # noqa: BLE001  (raised again below, on this thread)
            outcome.append((False, error))

    worker = threading.Thread(target=run, name="pull", daemon=True)
    worker.start()
    worker.join(QUIET_FOR)
    if worker.is_alive() and not quiet:
        import httpx  # loaded already by the pull, which talks to a node

        with contextlib.ExitStack() as stack:
            moved = bar_when_asked(stack, said("fetching events"))
            seen: dict[tuple[str, str], tuple[int, int]] = {}  # pulls ended stay counted
            while worker.is_alive():
                try:
                    pulls = ctx.service.pulls()
                except (CommunsError, httpx.HTTPError):
                    pulls = []  # only the bar misses a beat
                for pull in pulls:
                    done = pull["done"]
                    seen[(pull["peer"], pull["commons"])] = (done, max(pull["total"] or 0, done))
                moved(sum(d for d, _ in seen.values()), sum(t for _, t in seen.values()))
                worker.join(POLL)
            total = sum(t for _, t in seen.values())
            if outcome and outcome[0][0]:  # every pull ended with all the peer had
                moved(total, total)
    worker.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


# `communs commons policy` and `communs commons link`, in the commons group (see main).


@click.command("policy", cls=CommunsCommand)
@commons_argument
@click.option(
    "--accept",
    type=click.Choice(["anyone", "maintainers"]),
    default=None,
    help="anyone: every valid event; maintainers: only the commons' maintainers "
    "and the authors you follow. Without it, the policy in force is shown.",
)
@click.option(
    "--stranger-events",
    default=None,
    help="events an hour taken from each author without accepted work in COMMONS "
    "(pushed or announced by peers); 'default' for the node's default",
)
@click.option(
    "--stranger-bytes",
    default=None,
    help="bytes an hour from each such author (e.g. 4MiB); 'default' for the node's",
)
@json_option
@pass_ctx
def commons_policy(
    ctx: Context,
    commons: str,
    accept: str | None,
    stranger_events: str | None,
    stranger_bytes: str | None,
    as_json: bool,
) -> None:
    """Which events this node accepts from peers for COMMONS, and how many an hour it
    takes from authors without accepted work there (maintainers, followed authors and
    those with accepted contributions or validated tasks have no quota).

    Example: communs commons policy guide --accept anyone --stranger-events 200
    """
    quotas = {}
    if stranger_events is not None:
        quotas["stranger_events"] = _quota(stranger_events, "--stranger-events", int)
    if stranger_bytes is not None:
        quotas["stranger_bytes"] = _quota(stranger_bytes, "--stranger-bytes", node.parse_size)
    found = ctx.service.policy(commons, accept, **quotas)
    if as_json:
        return emit_json(found)
    if accept is None and not quotas:
        click.echo(found["accept"])
        click.echo(
            said_n(
                "from each author without accepted work: at most {n} event and {bytes} an hour",
                "from each author without accepted work: at most {n} events and {bytes} an hour",
                found["stranger_events"],
                bytes=node.human(found["stranger_bytes"]),
            )
        )


@click.command("link", cls=CommunsCommand)
@commons_argument
@json_option
@pass_ctx
def commons_link(ctx: Context, commons: str, as_json: bool) -> None:
    """A communs:// link others can follow to fetch COMMONS from this node."""
    made = ctx.service.link(commons)["id"]
    if as_json:
        return emit_json({"link": made})
    click.echo(made)
