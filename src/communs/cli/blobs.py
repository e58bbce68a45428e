"""Files by hash (blobs): add and list them, and share them with any BitTorrent client."""

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import click

from .. import node
from ..core.errors import Ambiguous, BadInput, CommunsError, NotFound, Refused
from ..i18n import N_
from .base import (
    SHOWN_CANDIDATES,
    CommunsGroup,
    Context,
    bar_when_asked,
    commons_option,
    created,
    emit_json,
    json_option,
    listed,
    pass_ctx,
    progress,
    said,
    said_n,
    table,
)

PROGRESS_FROM = 16 * 1024 * 1024  # files at least this large show a progress bar
HEX = frozenset("0123456789abcdef")


@click.group("blob", cls=CommunsGroup)
def blob_group() -> None:
    """Files by their SHA-256 hash: add, fetch, list, share over BitTorrent."""


@blob_group.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", default=None, help="Name that tells the media type (default: FILE's).")
@json_option
@pass_ctx
def blob_add(ctx: Context, file: str, name: str | None, as_json: bool) -> None:
    """Store FILE in this home and print its hash. Example: communs blob add film.mkv"""
    size = os.path.getsize(file)
    with open(file, "rb") as stream, contextlib.ExitStack() as stack:
        source: Any = stream
        if size >= PROGRESS_FROM:
            bar = stack.enter_context(progress(size, said("adding"), unit="B"))
            source = node.Counting(stream, lambda done: bar.update(done - bar.pos))
        info = ctx.service.blob_add(source, name or Path(file).name)
    created(as_json, info["hash"], "file", size=info["size"], media=info["media"])


@blob_group.command("list")
@json_option
@pass_ctx
def blob_list(ctx: Context, as_json: bool) -> None:
    """The files this home holds: hash, size in bytes, media type."""
    blobs = _blob_store(ctx)
    rows = []
    for hash in blobs.iter_hashes():
        info = blobs.info(hash)
        rows.append({"hash": info.hex, "size": info.size, "media": info.media})
    if as_json:
        return emit_json(rows)
    if not rows:
        click.echo(said("No file yet: communs blob add FILE"))
    table(
        [[r["hash"], str(r["size"]), r["media"]] for r in rows],
        [said("HASH"), said("SIZE"), said("MEDIA")],
    )


@blob_group.command("get")
@click.argument("hash", required=False)
@click.option(
    "--missing",
    is_flag=True,
    help="Every file the followed commons (or --commons) show that is not here.",
)
@commons_option("With --missing: only this commons.")
@click.option(
    "--from",
    "peers",
    multiple=True,
    metavar="URL",
    help="A peer node that has it (repeatable; default: every known peer).",
)
@click.option(
    "--torrent",
    metavar="FILE|MAGNET",
    default=None,
    help="Any .torrent of the file, or a magnet link (someone's BitTorrent client): "
    "fetch it from that swarm.",
)
@click.option("--timeout", default=3600.0, show_default=True, help="Seconds to wait at most.")
@json_option
@pass_ctx
def blob_get(
    ctx: Context,
    hash: str | None,
    missing: bool,
    commons: str | None,
    peers: tuple[str, ...],
    torrent: str | None,
    timeout: float,
    as_json: bool,
) -> None:
    """Fetch the file HASH from peers, check it against its hash, and keep it. Large files
    come over BitTorrent from every peer that has them when a node runs on this home
    ('communs serve'), else over HTTP.

    Example: communs blob get 3fa2… --from http://192.168.1.20:8470
    """
    if missing == (hash is not None):
        raise click.UsageError(said("give the HASH of a file, or --missing"))
    if missing or hash is None:
        return _get_missing(ctx, commons, [node.normalize_url(p) for p in peers] or None, as_json)
    hash = full_hash(ctx, hash, wanted_too=True)
    service = ctx.service
    with contextlib.ExitStack() as stack:
        fetching = said("fetching")
        moved = (lambda done, total: None) if as_json else bar_when_asked(stack, fetching, "B")
        result = service.blob_fetch(
            hash,
            [node.normalize_url(p) for p in peers] or None,
            moved,
            _torrent_source(torrent),
        )
        deadline = time.monotonic() + timeout
        while result["state"] in ("fetching", "verifying"):
            if time.monotonic() > deadline:
                raise Refused(
                    said(
                        "file {hash} is still being fetched after {seconds} s: it goes on in "
                        "the node; see 'communs blob status'",
                        hash=hash[:12],
                        seconds=round(timeout),
                    )
                )
            result = service.blob_transfer(hash, 0.25)  # answers at once when it ends
            moved(result.get("done", 0), result.get("size", 0))
    if result["state"] == "failed":
        raise Refused(
            said(
                "file {hash} could not be fetched: {error}",
                hash=hash[:12],
                error=result.get("error"),
            )
        )
    if as_json:
        return emit_json(result)
    click.echo(f"{result['hash']}  ({_via(result.get('via'))})")


VIA = {"here": N_("here")}  # the others name a protocol: http, bittorrent, upload


def _via(how: str | None) -> str:
    """How a file came (``here``: it already was), in the reader's words."""
    how = how or "here"
    return said(VIA[how]) if how in VIA else how


def _get_missing(ctx: Context, commons: str | None, peers: list[str] | None, as_json: bool) -> None:
    """Fetch each missing file in turn; large ones go on in the node's swarm."""
    results, failed = [], 0
    for file in ctx.service.files_missing(commons):
        try:
            result = ctx.service.blob_fetch(file["hash"], peers)
        except CommunsError as error:
            result = {"hash": file["hash"], "state": "failed", "error": str(error)}
            failed += 1
        results.append({**file, **result})
        if not as_json:
            state = result["state"] if result["state"] != "done" else _via(result.get("via"))
            extra = f": {result['error']}" if result.get("error") else ""
            click.echo(f"{file['hash'][:12]}  {file['path']}  {state}{extra}")
    if as_json:
        emit_json(results)
    elif not results:
        click.echo(said("No file missing: every file the commons here show is on this node."))
    if failed:
        click.get_current_context().exit(1)


@blob_group.command("missing")
@commons_option("Only this commons (default: the followed ones).")
@json_option
@pass_ctx
def blob_missing(ctx: Context, commons: str | None, as_json: bool) -> None:
    """The files the followed commons show (canonical and in open contributions) that are
    not on this node: fetch them with 'communs blob get --missing'."""
    files = ctx.service.files_missing(commons)
    if as_json:
        return emit_json(files)
    if not files:
        click.echo(said("No file missing: every file the commons here show is on this node."))
    table(
        [[f["hash"][:12], f["commons"][:12], f["path"], node.human(f["size"])] for f in files],
        [said("FILE"), said("COMMONS"), said("PATH"), said("SIZE")],
    )


@blob_group.command("status")
@json_option
@pass_ctx
def blob_status(ctx: Context, as_json: bool) -> None:
    """Files being fetched and seeded by the node running on this home: progress, rate,
    time left, peers."""
    status = ctx.service.swarm_status()
    if as_json:
        return emit_json(status)
    if status["port"] is None:
        click.echo(said("No BitTorrent here: start a node with 'communs serve'."))
        return
    click.echo(
        said_n(
            "BitTorrent port {port}, seeding {n} file",
            "BitTorrent port {port}, seeding {n} files",
            status["seeding"],
            port=status["port"],
        )
    )
    rows = [
        [
            t["hash"][:12],
            t["state"],
            f"{100 * min(max(t['done'], 0), t['size']) / t['size']:.0f}%" if t["size"] else "-",
            f"{node.human(t['rate'])}/s",
            f"{t['eta']:.0f} s" if t["eta"] is not None else "-",
            str(t["peers"]),
            t["via"],
        ]
        for t in status["transfers"]
    ]
    headers = [said("FILE"), said("STATE"), said("DONE"), said("RATE"), said("LEFT")]
    table(rows, [*headers, said("PEERS"), said("VIA")])


@blob_group.command("policy")
@commons_option("A commons (default: the whole node).")
@click.option(
    "--fetch",
    type=click.Choice(["eager", "lazy"]),
    default=None,
    help="eager: every file of the followed commons; lazy: a file when first viewed.",
)
@click.option("--quota", default=None, metavar="SIZE", help="Disk for files: 2GiB, 500MB, none.")
@json_option
@pass_ctx
def blob_policy(
    ctx: Context, commons: str | None, fetch: str | None, quota: str | None, as_json: bool
) -> None:
    """Show or set how this node fetches files, and how much disk it gives them.

    Example: communs blob policy --commons photos --fetch lazy --quota 5GiB
    """
    policy = ctx.service.file_policy(commons, fetch, quota)
    if as_json:
        return emit_json(policy)
    quota = node.human(policy["quota"]) if policy["quota"] is not None else said("none")
    fields = {"fetch": policy["fetch"], "used": node.human(policy["used"]), "quota": quota}
    if policy["commons"]:
        line = said(
            "commons {commons}: fetch {fetch}, quota {quota}, used {used}",
            commons=policy["commons"][:12],
            **fields,
        )
    else:
        line = said("this node: fetch {fetch}, quota {quota}, used {used}", **fields)
    click.echo(line)


def _url_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--url",
        metavar="http://HOST:PORT",
        default=None,
        help="Where others reach this node ('communs serve'): its web seed and tracker. "
        "Default: the address of the node running on this home.",
    )(command)


def _name_option(help: str) -> Callable[..., Any]:
    return click.option("--name", default=None, help=help)


@blob_group.command("torrent")
@click.argument("hash")
@click.argument("file", type=click.File("wb"))
@_name_option("File name clients save it under (default: its hash).")
@_url_option
@json_option
@pass_ctx
def blob_torrent(
    ctx: Context, hash: str, file: BinaryIO, name: str | None, url: str | None, as_json: bool
) -> None:
    """Write a .torrent of the file HASH to FILE ('-': standard output): any BitTorrent
    client fetches it from this node over HTTP (web seed) and from other peers.

    Example: communs blob torrent 3fa2… film.torrent --name film.mkv
    """
    torrent = _torrent(ctx, full_hash(ctx, hash), name, url)
    file.write(torrent)
    if as_json and file.name != "<stdout>":
        emit_json({"file": file.name, "bytes": len(torrent)})


@blob_group.command("magnet")
@click.argument("hash")
@_name_option(
    "File name clients show while they fetch it (the link's dn); the torrent stays the one "
    "every node seeds."
)
@_url_option
@json_option
@pass_ctx
def blob_magnet(ctx: Context, hash: str, name: str | None, url: str | None, as_json: bool) -> None:
    """Print a magnet link to the file HASH (BitTorrent v1 and v2 hashes, web seed, tracker).

    Example: communs blob magnet 3fa2… --name film.mkv
    """
    # The name goes in the link only: a torrent renamed is another torrent (the name is in
    # its info dictionary), which nobody seeds, so a client could never get its metadata.
    magnet = node.torrents.magnet(_torrent(ctx, full_hash(ctx, hash), None, url), name=name)
    if as_json:
        return emit_json({"magnet": magnet})
    click.echo(magnet)


# -- internals ---------------------------------------------------------------------------


def full_hash(ctx: Context, ref: str, *, wanted_too: bool = False) -> str:
    """The hash of the file ``ref`` names: 64 hexadecimal characters as they are, else a
    unique prefix of the hash of a file here — and, ``wanted_too``, of one the followed
    commons show that is not here yet — as ids abbreviate."""
    typed = ref.strip().lower()
    if not typed or len(typed) > 64 or not set(typed) <= HEX:
        raise BadInput(
            said(
                "'{ref}' is not a file hash: hashes are 64 hexadecimal characters (a unique "
                "prefix of one this home knows will do)",
                ref=ref,
            )
        )
    if len(typed) == 64:
        return typed
    found = [h.hex() for h in _blob_store(ctx).iter_hashes() if h.hex().startswith(typed)]
    missing = ctx.service.files_missing(None) if wanted_too else []
    found += [f["hash"] for f in missing if f["hash"].startswith(typed) and f["hash"] not in found]
    if len(found) == 1:
        return found[0]
    if found:
        found.sort()
        names = _file_names(ctx, missing, found[:SHOWN_CANDIDATES])
        raise Ambiguous(
            said(
                "'{ref}' matches several files ({candidates}); give more characters",
                ref=ref,
                candidates=listed([(h, names.get(h, "")) for h in found]),
            )
        )
    if wanted_too:
        raise NotFound(
            said(
                "no file here nor among those the followed commons show has a hash starting "
                "with '{ref}': 'communs blob list' shows the files here, 'communs blob "
                "missing' those to fetch; for any other, give its whole hash",
                ref=ref,
            )
        )
    raise NotFound(
        said(
            "no file here has a hash starting with '{ref}': 'communs blob list' shows the "
            "files here",
            ref=ref,
        )
    )


def _file_names(ctx: Context, missing: list[dict[str, Any]], shown: list[str]) -> dict[str, str]:
    """How people tell the ``shown`` files apart: the path a commons here shows each at, else
    its media type."""
    names = {f["hash"]: f["path"] for f in missing}
    try:
        for commons in ctx.service.commons_list():
            for artifact in ctx.service.artifacts(commons["id"]):
                names.setdefault(artifact["blob"], artifact["path"])
    except CommunsError:
        pass  # names help; the refusal says enough without them
    blobs = _blob_store(ctx)
    for hash in shown:
        if hash not in names and blobs.has(bytes.fromhex(hash)):
            names[hash] = f"({blobs.info(bytes.fromhex(hash)).media.split(';')[0]})"
    return names


def _torrent_source(value: str | None) -> bytes | None:
    """``--torrent``: a magnet link as it is, or the bytes of a .torrent file."""
    if value is None or value.startswith("magnet:"):
        return value.encode() if value else None
    try:
        return Path(value).read_bytes()
    except OSError as error:
        raise click.BadParameter(
            said("cannot read {file}: {problem}", file=value, problem=error.strerror)
        ) from None


def _blob_store(ctx: Context) -> "node.BlobStore":
    """The home's blobs. Reading them is safe while a node runs: a blob appears by an atomic
    rename and never changes."""
    home = getattr(ctx.service, "home", None)
    if home is not None:
        return home.blobs
    return node.BlobStore(Path(ctx.home_path or node.default_home()) / "blobs")


def _torrent(ctx: Context, blob: str, name: str | None, url: str | None) -> bytes:
    """The blob's torrent: made by the running node (which caches it), or here when none
    runs; ``url`` replaces the web seed and tracker."""
    from ..node import torrents  # libtorrent loads only for the commands that need it

    hash = torrents.blob_hash(blob)
    base = url.rstrip("/") if url else None
    if base and "://" not in base:
        base = f"http://{base}"
    urls = {
        "web_seed": f"{base}/api/blobs/{hash.hex()}" if base else None,
        "tracker": f"{base}/announce" if base else None,
    }
    service = ctx.service
    if isinstance(service, node.HttpService):
        response = service.http.get(
            f"/api/blobs/{hash.hex()}.torrent", params={"name": name} if name else None
        )
        node.raise_for(response)
        return torrents.retarget(response.content, **urls) if base else response.content
    if not base:
        raise click.UsageError(
            said(
                "no node runs on this home: say where it will serve the file with "
                "--url http://HOST:PORT (the address given to 'communs serve --listen')"
            )
        )
    large = service.blob_size(hash.hex()) >= PROGRESS_FROM
    with contextlib.ExitStack() as stack:
        # a bar only when the file is hashed, not when its torrent is cached
        hashed = bar_when_asked(stack, said("hashing")) if large else None
        return service.torrent(hash.hex(), name=name, progress=hashed, **urls)
