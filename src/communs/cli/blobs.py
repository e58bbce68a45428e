"""Files by hash (blobs): add and list them, and share them with any BitTorrent client."""

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import click

from ..node.blobs import BlobStore
from ..node.client import HttpService, raise_for
from ..node.home import default_home
from .base import CommunsGroup, Context, created, emit_json, json_option, pass_ctx, progress, table

PROGRESS_FROM = 16 * 1024 * 1024  # files at least this large show a progress bar


@click.group("blob", cls=CommunsGroup)
def blob_group() -> None:
    """Files by their SHA-256 hash: add, list, share over BitTorrent."""


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
            source = _Counted(stream, stack.enter_context(progress(size, "adding")).update)
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
        click.echo("No file yet: communs blob add FILE")
    table([[r["hash"], str(r["size"]), r["media"]] for r in rows], ["HASH", "SIZE", "MEDIA"])


def _url_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--url",
        metavar="http://HOST:PORT",
        default=None,
        help="Where others reach this node ('communs serve'): its web seed and tracker. "
        "Default: the address of the node running on this home.",
    )(command)


def _name_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--name", default=None, help="File name clients save it under (default: its hash)."
    )(command)


@blob_group.command("torrent")
@click.argument("hash")
@click.argument("file", type=click.File("wb"))
@_name_option
@_url_option
@pass_ctx
def blob_torrent(
    ctx: Context, hash: str, file: BinaryIO, name: str | None, url: str | None
) -> None:
    """Write a .torrent of the file HASH to FILE ('-': standard output): any BitTorrent
    client fetches it from this node over HTTP (web seed) and from other peers.

    Example: communs blob torrent 3fa2… film.torrent --name film.mkv
    """
    file.write(_torrent(ctx, hash, name, url))


@blob_group.command("magnet")
@click.argument("hash")
@_name_option
@_url_option
@pass_ctx
def blob_magnet(ctx: Context, hash: str, name: str | None, url: str | None) -> None:
    """Print a magnet link to the file HASH (BitTorrent v1 and v2 hashes, web seed, tracker)."""
    from ..node import torrents

    click.echo(torrents.magnet(_torrent(ctx, hash, name, url)))


# -- internals ---------------------------------------------------------------------------


class _Counted:
    """A file whose reads move a progress bar."""

    def __init__(self, stream: BinaryIO, advance: Callable[[int], None]):
        self.stream, self.advance = stream, advance

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.advance(len(chunk))
        return chunk


def _blob_store(ctx: Context) -> BlobStore:
    """The home's blobs. Reading them is safe while a node runs: a blob appears by an atomic
    rename and never changes."""
    home = getattr(ctx.service, "home", None)
    if home is not None:
        return home.blobs
    return BlobStore(Path(ctx.home_path or default_home()) / "blobs")


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
    if isinstance(service, HttpService):
        response = service.http.get(
            f"/api/blobs/{hash.hex()}.torrent", params={"name": name} if name else None
        )
        raise_for(response)
        return torrents.retarget(response.content, **urls) if base else response.content
    if not base:
        raise click.UsageError(
            "no node runs on this home: say where it will serve the file with "
            "--url http://HOST:PORT (the address given to 'communs serve --listen')"
        )
    large = service.home.blobs.size(hash) >= PROGRESS_FROM
    with contextlib.ExitStack() as stack:
        bars: list[Any] = []

        def hashed(done: int, total: int) -> None:
            if not large:
                return
            if not bars:  # only when the file is hashed, not when the torrent is cached
                bars.append(stack.enter_context(progress(total, "hashing")))
            bars[0].update(1)

        return torrents.torrent_for(service.home, hash, name=name, progress=hashed, **urls)


def register(cli: click.Group) -> None:
    cli.add_command(blob_group)
