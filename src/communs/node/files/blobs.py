"""Content-addressed blobs on disk: ``root/sha256/ab/cdef...``, named by their SHA-256.

A blob is written to ``root/tmp/`` while it is hashed, flushed to disk, then renamed into
place. A rename is atomic, so a crash can leave a stray temporary file but never a partial
file under a blob's name. Files are streamed in chunks: a blob is never held whole in memory.
"""

import codecs
import contextlib
import hashlib
import io
import mimetypes
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ...core.errors import BadInput, NotFound, Refused
from ...domain.refusals import code, fault

CHUNK = 1024 * 1024  # bytes read and hashed at a time
SNIFF = 8 * 1024  # bytes looked at to tell text from binary
# Files this large travel as torrents (seeded by nodes, their info hash signed in the event
# that introduces them); smaller ones travel whole over HTTP, where a swarm would cost more
# than it brings.
TORRENT_FROM = 1024 * 1024
STALE_TMP = 60 * 60  # seconds after which a temporary file is left over from a crash

NOT_A_HASH = code("not_a_blob_hash", "'{value}' is not a blob hash (64 hexadecimal characters)")
NOT_RAW_HASH = code(
    "not_a_raw_blob_hash", "{value} is not a blob hash (expected 32 raw bytes of SHA-256)"
)
HASH_MISMATCH = code(
    "blob_hash_mismatch",
    "the content received for blob {blob} does not match its hash: the source is corrupt or "
    "lying; nothing was kept",
)
ERASED_HERE = code("content_erased_here", "content {blob} was erased: this node no longer holds it")
NOT_HERE = code(
    "blob_not_on_node",
    "blob {blob} is not on this node: fetch it from a peer that has it, or import it",
)
TOO_BIG = code(
    "blob_too_big", "blob {blob} is {size} bytes, more than the {limit} bytes allowed here"
)
ERASED_NOT_KEPT = code(
    "content_erased_not_kept",
    "content {blob} was erased in a commons of this node: it is not kept",
)
# {error} is libtorrent's own word for what is wrong (the torrents of files/ share it).
INVALID_TORRENT = code("torrent_invalid", "this is not a valid torrent: {error}")

# mimetypes reports ".tar.gz" as a tar archive compressed with gzip; the bytes we store are
# the compressed ones, so the compression decides the media type.
_COMPRESSED = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}


def blob_hash(value: str) -> bytes:
    """A blob's hash from its 64 hexadecimal characters."""
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise fault(BadInput, NOT_A_HASH, value=str(value))
    return raw


@dataclass(frozen=True)
class BlobInfo:
    hash: bytes  # raw SHA-256, 32 bytes
    size: int
    media: str

    @property
    def hex(self) -> str:
        return self.hash.hex()


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._blobs = self.root / "sha256"
        self._tmp = self.root / "tmp"
        self._erased = self.root / "erased"  # a marker per erased content: never kept again
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)
        # Told (hash, size) of each blob that enters the store, e.g. to seed it or to tell
        # peers; each must be quick.
        self.on_new: list[Callable[[bytes, int], None]] = []
        self._remove_stale_tmp()

    # -- adding --------------------------------------------------------------------------

    def add_file(self, path: str | Path) -> BlobInfo:
        path = Path(path)
        with path.open("rb") as file:
            return self.add_stream(file, name=path.name)

    def add_bytes(self, data: bytes, name: str | None = None) -> BlobInfo:
        return self.add_stream(io.BytesIO(data), name=name)

    def add_stream(
        self, fileobj: BinaryIO, name: str | None = None, expected: bytes | None = None
    ) -> BlobInfo:
        """Store everything ``fileobj`` yields; ``name`` (a file name) helps guess the media.
        With ``expected`` (a hash), content that does not match is refused and not kept."""
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="blob-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := fileobj.read(CHUNK):
                    if len(head) < SNIFF:
                        head += chunk[: SNIFF - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            if expected is not None and digest.digest() != expected:
                raise fault(BadInput, HASH_MISMATCH, blob=expected.hex()[:12])
            self._refuse_erased(digest.digest())
            final = self._path_for(digest.digest())
            if final.exists():
                tmp.unlink()  # same content is already stored: nothing to replace
            else:
                final.parent.mkdir(exist_ok=True)
                os.replace(tmp, final)
                _fsync_dir(final.parent)
                self._arrived(digest.digest(), size)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return BlobInfo(digest.digest(), size, _guess_media(name, head, complete=size <= SNIFF))

    def take(self, path: Path, name: str | None = None) -> BlobInfo:
        """Move the file at ``path`` (on this store's file system, e.g. an upload spooled
        in ``tmp/``) in as a blob: read once to hash it, renamed, never copied."""
        digest, size, head = _hash_file(path)
        return self._place(path, digest, size, _guess_media(name, head, size <= SNIFF))

    def adopt(self, path: Path, expected: bytes, *, hashed: bool = False) -> BlobInfo:
        """Move the file at ``path`` (on this store's file system) in as blob ``expected``,
        if its content hashes to it; BadInput, and the file left where it was, if not.
        ``hashed``: the caller hashed these very bytes as they were written."""
        digest, size, head = _hash_file(path, expected if hashed else None)
        if digest != expected:
            raise fault(BadInput, HASH_MISMATCH, blob=expected.hex()[:12])
        return self._place(path, digest, size, _guess_media(None, head, size <= SNIFF))

    def _place(self, path: Path, digest: bytes, size: int, media: str) -> BlobInfo:
        self._refuse_erased(digest)
        final = self._path_for(digest)
        final.parent.mkdir(exist_ok=True)
        os.replace(path, final)
        _fsync_dir(final.parent)
        self._arrived(digest, size)
        return BlobInfo(digest, size, media)

    def _arrived(self, digest: bytes, size: int) -> None:
        for listener in list(self.on_new):
            listener(digest, size)

    # -- reading -------------------------------------------------------------------------

    def info(self, hash: bytes, name: str | None = None) -> BlobInfo:
        """Size and media type of a stored blob (``name`` helps guess the media)."""
        size = self.size(hash)
        with self.open(hash) as file:
            head = file.read(SNIFF)
        return BlobInfo(hash, size, _guess_media(name, head, complete=size <= SNIFF))

    def has(self, hash: bytes) -> bool:
        return self._path_for(hash).is_file()

    def path(self, hash: bytes) -> Path:
        path = self._path_for(hash)
        if not path.is_file() and self.is_erased(hash):
            raise fault(NotFound, ERASED_HERE, blob=hash.hex()[:12])
        if not path.is_file():
            raise fault(NotFound, NOT_HERE, blob=hash.hex()[:12])
        return path

    def open(self, hash: bytes) -> BinaryIO:
        return self.path(hash).open("rb")

    def size(self, hash: bytes) -> int:
        return self.path(hash).stat().st_size

    def read_bytes(self, hash: bytes, limit: int) -> bytes:
        """The whole blob, for callers that need it in memory; BadInput past ``limit`` bytes."""
        with self.open(hash) as file:
            # Read one byte more than allowed rather than trusting stat(): the answer is the
            # same, and it cannot be fooled by a size that changed in between.
            data = file.read(limit + 1)
        if len(data) > limit:
            raise fault(BadInput, TOO_BIG, blob=hash.hex()[:12], size=self.size(hash), limit=limit)
        return data

    def verify(self, hash: bytes) -> bool:
        """Whether the stored file still hashes to its name (NotFound if it is missing)."""
        digest = hashlib.sha256()
        with self.open(hash) as file:
            while chunk := file.read(CHUNK):
                digest.update(chunk)
        return digest.digest() == hash

    def total_size(self) -> int:
        """Bytes the stored blobs take (their sizes; not counting folders)."""
        total = 0
        for folder in os.scandir(self._blobs):
            if folder.is_dir():
                total += sum(entry.stat().st_size for entry in os.scandir(folder.path))
        return total

    def iter_hashes(self) -> Iterator[bytes]:
        for folder in sorted(self._blobs.iterdir()):
            if not folder.is_dir():
                continue
            for file in sorted(folder.iterdir()):
                try:
                    hash = bytes.fromhex(folder.name + file.name)
                except ValueError:
                    continue  # not a blob: someone else's file
                if len(hash) == 32:
                    yield hash

    # -- erasure -------------------------------------------------------------------------

    def erase(self, hash: bytes) -> None:
        """Delete erased content and remember never to keep it again (see ``content``)."""
        marker = self._erased / hash.hex()[:2] / hash.hex()[2:]
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        self._path_for(hash).unlink(missing_ok=True)

    def is_erased(self, hash: bytes) -> bool:
        return (self._erased / hash.hex()[:2] / hash.hex()[2:]).exists()

    def _refuse_erased(self, hash: bytes) -> None:
        if self.is_erased(hash):
            raise fault(Refused, ERASED_NOT_KEPT, blob=hash.hex()[:12])

    # -- internals -----------------------------------------------------------------------

    def _path_for(self, hash: bytes) -> Path:
        if not isinstance(hash, bytes) or len(hash) != 32:
            raise fault(BadInput, NOT_RAW_HASH, value=repr(hash))
        name = hash.hex()
        return self._blobs / name[:2] / name[2:]

    def _remove_stale_tmp(self) -> None:
        # Only old files: a young one may belong to a write still under way in another
        # BlobStore opened on the same folder.
        cutoff = time.time() - STALE_TMP
        for file in self._tmp.iterdir():
            try:
                if file.stat().st_mtime < cutoff:
                    file.unlink()
            except OSError:
                pass  # already gone, or not ours to remove (a folder): leave it


def _hash_file(path: Path, known: bytes | None = None) -> tuple[bytes, int, bytes]:
    """SHA-256, size and first bytes of a file, flushed to disk on the way (its writer may
    not have: it must be durable before it gets a blob's name). ``known``: its SHA-256,
    already computed: the file is not read again."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb+") as file:
        head = file.read(SNIFF)
        if known is not None:
            os.fsync(file.fileno())
            return known, os.fstat(file.fileno()).st_size, head
        digest.update(head)
        size += len(head)
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
        os.fsync(file.fileno())
    return digest.digest(), size, head


def _guess_media(name: str | None, head: bytes, complete: bool) -> str:
    if name:
        media, encoding = mimetypes.guess_type(name, strict=False)
        if encoding:
            return _COMPRESSED.get(encoding, "application/octet-stream")
        if media:
            return media
    if _looks_like_text(head, complete):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def _looks_like_text(head: bytes, complete: bool) -> bool:
    if b"\x00" in head:
        return False
    # A head cut from a longer file may end in the middle of a character: the incremental
    # decoder accepts an unfinished sequence at the end unless told the data is complete.
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` whole or not at all, durably."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
