"""Peers, follows, sync, and the node's own policies against spam."""

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .. import node
from ..core.errors import CommunsError
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
    pass_ctx,
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
        click.echo(f"warning: {added['warning']}", err=True)
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
        click.echo("No peer yet: communs peer add http://HOST:PORT (or serve with --lan)")

    def when(stamp: int | None) -> str:
        return moment(stamp * 1000) if stamp else "never"

    table(
        [[p["url"], p["source"], when(p["last_ok"]), p["last_error"] or ""] for p in peers],
        ["PEER", "FOUND", "LAST SYNC", "LAST ERROR"],
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
        click.echo(f"{result['pulled']} events fetched from {result['peer']}", err=True)


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
        click.echo("Nothing to sync: add a peer (communs peer add) and follow a commons.")
    failed = False
    for r in results:
        if "error" in r:
            failed = True
            click.echo(f"{r['peer']}  {r['commons'][:12]}  failed: {r['error']}")
        else:
            note = f"  ({r['note']})" if r.get("note") else ""
            click.echo(
                f"{r['peer']}  {r['commons'][:12]}  pulled {r['pulled']}, "
                f"pushed {r['pushed']}, {r.get('files', 0)} file(s) fetched, "
                f"{r.get('files_sent', 0)} sent{note}"
            )
            for reason in r.get("files_refused", []):
                click.echo(f"  a file was refused by the peer: {reason}")
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
    click.echo(f"home {info['home']}")
    click.echo(f"node {info['url'] or 'not running (commands work on the home directly)'}")
    click.echo(
        f"{info['peers']} peer(s), {info['follows']} followed commons, "
        f"{info['pending_events']} event(s) waiting for their parents"
    )
    for pull in info.get("pulls", []):
        coming = f" of about {pull['total']:,}" if pull["total"] else ""
        click.echo(
            f"pulling {pull['commons'][:12]} from {pull['peer']}: {pull['done']:,}{coming} events"
        )
    files, swarm = info["files"], info["files"]["bittorrent"]
    quota = files["policy"]["quota"]
    click.echo(
        f"files: {node.human(files['stored_bytes'])} stored"
        + (f" of a {node.human(quota)} quota" if quota is not None else "")
        + f", fetched {files['policy']['fetch']}ly"
    )
    if swarm["port"] is not None:
        running = sum(t["state"] in ("fetching", "verifying") for t in swarm["transfers"])
        click.echo(
            f"BitTorrent on port {swarm['port']}: seeding {swarm['seeding']} file(s), "
            f"fetching {running}"
        )
    if files.get("missing"):
        click.echo(
            f"{files['missing']} file(s) the followed commons show are not here "
            f"(in {len(files['missing_commons'])} commons): 'communs blob missing' lists them, "
            "'communs blob get --missing' fetches them from the peers, or run 'communs sync' "
            "on a node that has them"
        )
    for reason, count in info.get("pending_dropped", {}).items():
        click.echo(f"dropped {count}× while waiting for parents: {reason}")
    if info["blocked"]:
        click.echo(f"blocked: {', '.join(info['blocked'])}")
    for reason, count in info["refused"].items():
        click.echo(f"refused {count}×: {reason}")


def _quota(text: str, option: str, parse: Callable[[str], int | None]) -> int | None:
    """A quota option's value: a number, or None for 'default'."""
    if text.strip().lower() == "default":
        return None
    try:
        value = parse(text)
    except ValueError:
        value = None
    if value is None or value < 0:
        raise click.BadParameter(f"{text!r} is not a number (or 'default')", param_hint=option)
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
            moved = bar_when_asked(stack, "fetching events")
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
            f"from each author without accepted work: at most "
            f"{found['stranger_events']} events and "
            f"{node.human(found['stranger_bytes'])} an hour"
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
