"""Blobs as BitTorrent torrents: any ordinary BitTorrent client can fetch a file a node holds.

A blob becomes a hybrid torrent (BitTorrent v1 and v2) of one file, made with libtorrent. Its
web seed (BEP 19) is the node's own HTTP blob URL, so a client downloads from the node over
HTTP even when no BitTorrent peer seeds yet; its tracker is the node's ``/announce``.

Hashing a large file is costly, so each blob's torrent is made once and kept in
``HOME/torrents/<sha256 hex>.torrent`` (written atomically). What changes from one request to
the next — the display name, the web seed and the tracker, which depend on the address the
node was reached at — is applied to the cached torrent without reading the file again: the
pieces do not depend on them. The display name is part of the info dictionary, so two names
give two torrents (two info hashes) of the same bytes.

libtorrent reads the file from disk to hash it: a blob is never held whole in memory.
"""

import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import libtorrent as lt

from ... import __version__
from ...core.errors import BadInput
from ...domain.refusals import code, fault
from ..home.folder import Home
from .blobs import INVALID_TORRENT, TORRENT_FROM, blob_hash, write_atomic  # noqa: F401  (re-exported)

NAME_LIMIT = 200  # characters kept of a display name
STALE = 60 * 60  # seconds after which a temporary file or folder is left over from a crash
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')  # not in a file name, on any system
# Torrents of different blobs are made in parallel; two requests for the same blob wait for
# one hashing. Striped locks keep their number fixed whatever the number of blobs.
_LOCKS = [threading.Lock() for _ in range(64)]

EMPTY_TORRENT = code(
    "torrent_empty_file", "an empty file cannot be shared as a torrent (BitTorrent needs a byte)"
)
CANNOT_HASH = code("torrent_cannot_hash", "cannot hash {path} for a torrent: {error}")
RENAME_ONE_FILE = code("torrent_rename_one_file", "only a torrent of one file can be renamed")
NOT_A_TORRENT_FILE = code(
    "not_a_torrent_file", "this is not a torrent file (bencoded, with an info dictionary)"
)


def display_name(name: str | None, fallback: str) -> str:
    """A name a client can save the file under: one path component, no control or
    reserved characters; ``fallback`` (the hash) when nothing usable is left."""
    cleaned = _UNSAFE.sub("_", name or "").strip().strip(".")
    if len(cleaned) > NAME_LIMIT:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and 0 < len(extension) <= 16 and stem:
            cleaned = stem[: NAME_LIMIT - len(extension) - 1] + "." + extension
        else:
            cleaned = cleaned[:NAME_LIMIT]
    return cleaned or fallback


def piece_size(size: int) -> int:
    """Our own choice, so that every node makes the same torrent (the same info hash) of
    the same bytes whatever its libtorrent's default: the power of two that gives about
    a thousand pieces, from 32 KiB to 16 MiB. Not 16 KiB: with one v2 block per piece,
    libtorrent 2.1 drops the honest peers after a corrupt piece (it asks them for block
    hashes they need not send, then calls their answer invalid)."""
    piece = 32 * 1024
    while piece < 16 * 1024 * 1024 and size > piece * 1024:
        piece *= 2
    return piece


def make_torrent(
    blob_path: Path,
    *,
    name: str,
    web_seed: str | None,
    tracker: str | None,
    workdir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """A hybrid (v1 + v2) torrent of the file at ``blob_path``, saved by clients as ``name``;
    ``web_seed``: the URL that serves the file's bytes (with HTTP Range); ``tracker``: an
    announce URL. Reads the whole file (libtorrent hashes it from disk, piece by piece);
    ``progress(done, total)`` is told the pieces hashed. ``workdir``: where a temporary link
    to the file is made (best on the file's own file system)."""
    blob_path = Path(blob_path)
    size = blob_path.stat().st_size
    if size == 0:
        raise fault(BadInput, EMPTY_TORRENT)
    name = display_name(name, blob_path.name)
    creator = lt.create_torrent([lt.create_file_entry(name, size)], piece_size(size))
    creator.set_creator(f"communs {__version__}")
    if web_seed:
        creator.add_url_seed(web_seed)
    if tracker:
        creator.add_tracker(tracker)
    total = creator.num_pieces()

    def hashed(piece: int) -> None:
        # libtorrent keeps the GIL while it hashes: give it up after each piece, or a node
        # hashing a large file would stop answering everything else until it is done.
        time.sleep(0)
        if progress is not None:
            progress(piece + 1, total)

    # libtorrent reads FOLDER/NAME, but the blob is named by its hash: show it the file under
    # its display name through a link in a temporary folder.
    with tempfile.TemporaryDirectory(dir=workdir, prefix="torrent-") as folder:
        _link(blob_path, Path(folder) / name)
        try:
            lt.set_piece_hashes(creator, folder, hashed)
        except RuntimeError as error:
            raise fault(BadInput, CANNOT_HASH, path=str(blob_path), error=str(error)) from None
    return lt.bencode(creator.generate())


def retarget(
    torrent: bytes, *, name: str | None = None, web_seed: str | None, tracker: str | None
) -> bytes:
    """The same single-file torrent under another display name (``None``: unchanged), web
    seed and tracker (``None``: none). Cheap: the pieces stay, no file is read."""
    meta = _decode(torrent)
    info = meta[b"info"]
    if name is not None:
        old = info[b"name"]
        new = display_name(name, old.decode(errors="replace")).encode()
        info[b"name"] = new
        tree = info.get(b"file tree")
        if tree is not None:
            if list(tree) != [old] or b"files" in info:
                raise fault(BadInput, RENAME_ONE_FILE)
            info[b"file tree"] = {new: tree[old]}
    meta.pop(b"announce-list", None)
    meta.pop(b"url-list", None)
    meta.pop(b"announce", None)
    if tracker:
        meta[b"announce"] = tracker.encode()
    if web_seed:
        meta[b"url-list"] = web_seed.encode()
    return lt.bencode(meta)


def info_hashes(torrent: bytes) -> tuple[str, str]:
    """The torrent's info hashes in hexadecimal: (v1 SHA-1, v2 SHA-256)."""
    hashes = _info(torrent).info_hashes()
    return str(hashes.v1), str(hashes.v2)


def info_hash_v2(torrent: bytes) -> bytes:
    """The torrent's v2 info hash (SHA-256 of its info dictionary), 32 bytes."""
    return _info(torrent).info_hashes().v2.to_bytes()


def magnet(torrent: bytes, name: str | None = None) -> str:
    """A magnet link with both info hashes (``xt=urn:btih:`` v1, ``xt=urn:btmh:`` v2), the
    display name (``dn``), the tracker (``tr``) and the web seed (``ws``).

    ``name`` replaces the display name and nothing else: the info hashes stay those of
    ``torrent``. (Renaming the torrent itself would make another one — the name is in the
    info dictionary — that nobody seeds: a client could never get its metadata, BEP 9.)"""
    info = _info(torrent)
    link = lt.make_magnet_uri(info)
    if name is None:
        return link
    shown = quote(display_name(name, info.name()), safe="")
    head, _, query = link.partition("?")
    fields = [field for field in query.split("&") if not field.startswith("dn=")]
    at = next((i for i, field in enumerate(fields) if not field.startswith("xt=")), len(fields))
    fields.insert(at, f"dn={shown}")  # after the hashes, where libtorrent puts it
    return f"{head}?{'&'.join(fields)}"


def torrent_for(
    home: Home,
    blob: bytes,
    *,
    name: str | None = None,
    web_seed: str | None,
    tracker: str | None,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The torrent of a blob of ``home`` (NotFound if the home lacks it), made once and then
    read from ``HOME/torrents``; ``name`` defaults to the blob's hash."""
    path = home.blobs.path(blob)  # NotFound when the blob is not here
    size = path.stat().st_size
    folder = home.path / "torrents"
    cached = folder / f"{blob.hex()}.torrent"
    with _LOCKS[blob[0] % len(_LOCKS)]:
        base = _read_cached(cached, size)
        if base is None:
            folder.mkdir(exist_ok=True)
            _remove_stale(folder)
            base = make_torrent(
                path,
                name=blob.hex(),
                web_seed=None,
                tracker=None,
                workdir=folder,
                progress=progress,
            )
            write_atomic(cached, base)
    return retarget(base, name=name or blob.hex(), web_seed=web_seed, tracker=tracker)


# -- internals ---------------------------------------------------------------------------


def _decode(torrent: bytes) -> dict:
    try:
        meta = lt.bdecode(torrent)
    except RuntimeError:
        meta = None
    if not isinstance(meta, dict) or not isinstance(meta.get(b"info"), dict):
        raise fault(BadInput, NOT_A_TORRENT_FILE)
    return meta


def _info(torrent: bytes) -> lt.torrent_info:
    try:
        return lt.torrent_info(torrent)
    except RuntimeError as error:
        raise fault(BadInput, INVALID_TORRENT, error=str(error)) from None


def _link(target: Path, link: Path) -> None:
    """A hard link where the file system allows it (no dangling risk), else a symbolic one."""
    try:
        os.link(target, link)
    except OSError:
        os.symlink(target.resolve(), link)


def _read_cached(path: Path, size: int) -> bytes | None:
    """A cached torrent, if it is there and describes a file of ``size`` bytes."""
    try:
        data = path.read_bytes()
        meta = _decode(data)
    except (OSError, BadInput):
        return None
    info = meta[b"info"]
    if (
        info.get(b"length") != size
        or info.get(b"piece length") != piece_size(size)
        or b"piece layers" not in meta
    ):
        return None  # damaged or from elsewhere: made again
    return data


def _remove_stale(folder: Path) -> None:
    """Temporary links and files a crash left behind (young ones may be in use)."""
    cutoff = time.time() - STALE
    for leftover in [*folder.glob("torrent-*"), *folder.glob(".*.torrent-*")]:
        try:
            if leftover.lstat().st_mtime < cutoff:
                if leftover.is_dir():
                    shutil.rmtree(leftover)
                else:
                    leftover.unlink()
        except OSError:
            pass  # already gone
