"""A file being fetched by the node's swarm, and the checks on the torrents it is fetched
with (see ``swarm``)."""

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import libtorrent as lt

from ...core.errors import BadInput
from ...domain.refusals import code, fault
from .blobs import INVALID_TORRENT


@dataclass
class Transfer:
    """A file being fetched, and what became of it."""

    blob: bytes
    size: int
    handle: Any
    sources: list[str]  # the peer nodes' URLs, for the HTTP fallback
    started: float = field(default_factory=time.monotonic)
    state: str = "fetching"  # fetching | verifying | done | failed
    error: str | None = None
    via: str = "bittorrent"  # becomes "bittorrent+http" once web seeds are added
    hash_failures: int = 0
    banned: int = 0
    checked: bool = False  # the finished file was handed to the final check
    resumed: int = 0  # pieces known done from the resume data a previous stop kept
    on_metadata: Any = None  # told the size when a magnet link's torrent arrives
    # The SHA-256 is computed while the file arrives, piece after piece in order (read back
    # through libtorrent, so what is hashed is what it checked and writes): once the last
    # piece is in, only the end is left to hash, not the whole file.
    pieces: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    next_piece: int = 0
    reading: bool = False
    streamed: bool = True  # False once a read failed: the whole file is hashed at the end
    flushed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    finished_after: float | None = None
    last_progress: float = field(default_factory=time.monotonic)
    last_done: int = 0
    finished: threading.Event = field(default_factory=threading.Event)

    def next_to_read(self) -> int | None:
        """The piece to read and hash next, if libtorrent has it and none is being read."""
        with self.lock:
            piece = self.next_piece
            if self.reading or not self.streamed or piece >= self.pieces:
                return None
            if not self.handle.have_piece(piece):
                return None
            self.reading = True
            return piece

    def hash_piece(self, piece: int, data: bytes) -> bool:
        """Hash the piece that was read; False if it is not the one expected."""
        with self.lock:
            if piece != self.next_piece:  # a repeated answer
                return False
            self.digest.update(data)
            self.next_piece += 1
            self.reading = False
            return True

    def ready_to_store(self) -> bool:
        """True once, when the file is on disk and hashed (or its hashing given up)."""
        with self.lock:
            hashed = not self.streamed or self.next_piece >= self.pieces
            if self.checked or not (self.flushed and hashed):
                return False
            self.checked = True
            return True

    def describe(self) -> dict[str, Any]:
        status = self.handle.status() if self.state == "fetching" else None
        done = self.done(status)
        rate = status.download_rate if status else 0
        return {
            "hash": self.blob.hex(),
            "size": self.size,
            "done": done,
            "state": self.state,
            "rate": rate,  # bytes per second, now
            "eta": round((self.size - done) / rate, 1) if rate and status else None,
            "peers": status.num_peers if status else 0,
            "seeds": status.num_seeds if status else 0,
            "via": self.via,
            "hash_failures": self.hash_failures,
            "banned_peers": self.banned,
            "resumed_pieces": self.resumed,
            "seconds": round((self.finished_after or time.monotonic() - self.started), 3),
            "error": self.error,
        }

    def done(self, status: Any) -> int:
        """Bytes of this file that are here and checked, between 0 and its size: the
        torrent's own counter of the bytes it wants (not the bytes the session received,
        which count pieces fetched twice and protocol overhead). Once verifying, every
        piece is in: all of it."""
        if self.state in ("verifying", "done"):
            return self.size
        if status is None:
            return 0
        return min(max(status.total_wanted_done, 0), self.size or status.total_wanted)


RECEIVED_INVALID = code(
    "torrent_received_invalid", "the torrent received for {blob} is not valid: {error}"
)
NOT_CANONICAL = code(
    "torrent_not_canonical", "the torrent received for {blob} is not its canonical one"
)
NO_V2 = code("torrent_no_v2", "the torrent received for {blob} has no v2 info hash")
NOT_SIGNED_ONE = code(
    "torrent_not_signed", "the torrent received for {blob} is not the one its event signed"
)
SEVERAL_FILES = code(
    "torrent_several_files", "this torrent holds several files: a blob is one file"
)


def check_torrent(torrent: bytes, blob: bytes, info_hash: bytes | None) -> Any:
    """The torrent a peer sent for ``blob``, if it is the canonical one (BadInput if not)."""
    try:
        info = lt.torrent_info(torrent)
    except RuntimeError as error:
        raise fault(BadInput, RECEIVED_INVALID, blob=blob.hex()[:12], error=str(error)) from None
    if info.num_files() != 1 or info.name() != blob.hex():
        raise fault(BadInput, NOT_CANONICAL, blob=blob.hex()[:12])
    if not info.info_hashes().has_v2():
        raise fault(BadInput, NO_V2, blob=blob.hex()[:12])
    if info_hash is not None and info.info_hashes().v2.to_bytes() != info_hash:
        raise fault(BadInput, NOT_SIGNED_ONE, blob=blob.hex()[:12])
    return info


def check_foreign(torrent: bytes) -> Any:
    try:
        info = lt.torrent_info(torrent)
    except RuntimeError as error:
        raise fault(BadInput, INVALID_TORRENT, error=str(error)) from None
    if info.num_files() != 1:
        raise fault(BadInput, SEVERAL_FILES)
    return info


def trackers_of(torrent: bytes) -> list[str]:
    """The announce URLs a torrent names (``announce`` and ``announce-list``)."""
    meta = lt.bdecode(torrent)
    if not isinstance(meta, dict):
        return []
    urls = [meta.get(b"announce")]
    for tier in meta.get(b"announce-list") or []:
        urls.extend(tier if isinstance(tier, list) else [])
    found: list[str] = []
    for url in urls:
        if isinstance(url, bytes) and url.decode(errors="replace") not in found:
            found.append(url.decode(errors="replace"))
    return found
