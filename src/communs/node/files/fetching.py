"""Files from peers: which files a node wants, and getting them within its policy and quota.

A commons names files by their SHA-256 (with their size and, for large ones, the v2 info
hash of their torrent). A node fetches:

- **eagerly** (the default): every file a followed commons shows — its canonical files and
  those of its open contributions — as soon as the events naming them arrive;
- **lazily**: a file only when someone asks for it (its page, its download, ``communs blob
  get``).

Small files come whole over HTTP from a peer's API, checked against their hash before they
are kept. Large files (``TORRENT_FROM`` and more) come over BitTorrent when the node runs
its swarm (``communs serve``), else over HTTP too.

Quotas bound the disk a node gives to files: one for the whole node, one per commons. A fetch
that would pass one is refused before a byte is written, with a message saying which quota
and how to raise it; the refusal is logged and counted with the others (``communs status``).
"""

import functools
import io
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlparse

from ...core.errors import BadInput, CommunsError, NotFound, Refused
from ...domain.refusals import code, fault
from ..home.shared import Shared
from .blobs import INVALID_TORRENT, TORRENT_FROM

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("communs.files")
HAVE_MAX = 10_000  # file hashes per question to a peer (see ``Fetcher._held_by``)
ENDPOINT_TTL = 60.0  # seconds a peer's BitTorrent endpoint is remembered
USAGE_TTL = 2.0  # seconds the bytes used by the blob store are remembered
MISSING_TTL = 30.0  # seconds at most the files missing from a commons are remembered


@functools.cache
def peer_errors() -> tuple[type[Exception], ...]:
    """What a peer that answers badly, or not at all, raises. HTTP loads only when files are
    fetched: a command that reads the home (or formats a size) does not pay for it."""
    import httpx

    return (httpx.HTTPError, httpx.StreamError, CommunsError, ValueError, KeyError, TypeError)


def _raise_for(response: "httpx.Response") -> None:
    from ..http import raise_for

    raise_for(response)


def __getattr__(name: str) -> Any:
    if name == "PEER_ERRORS":  # as the peers import it
        return peer_errors()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class FileRef(NamedTuple):
    size: int
    torrent: bytes | None  # v2 info hash, for large files
    path: str = ""  # where the commons shows it (one of the paths, for people to read)


RECEIPT_PATH = "receipt"  # how a commons names the file of an expense's receipt
PHOTO_PATH = "photo"  # and the photo of an item of its catalogue


def files_named(store: Any, cid: int) -> dict[bytes, FileRef]:
    """Files a node should hold to show a commons: its canonical files, the proposed and
    base versions in open contributions, the receipts of expenses, and the detached texts
    not erased."""
    files = {
        r["blob"]: FileRef(r["size"], r.get("torrent"), key.removeprefix("artifact/"))
        for key, r in store.scan_records(cid, "artifact/")
    }
    for _, record in store.scan_records(cid, "contribution/", ("open", "conflict")):
        for blob, ref in files_in(record["revisions"][-1]["changes"]).items():
            if blob not in files or ref.size:  # a base's size (0: unknown) never hides one
                files[blob] = ref
    # The receipts of expenses (see domain/treasury), their size unknown until asked.
    for _, record in store.scan_records(cid, "expense/"):
        if isinstance(record.get("receipt"), bytes):
            files.setdefault(record["receipt"], FileRef(0, None, RECEIPT_PATH))
    # The photos of a library's items (see domain/library).
    for _, record in store.scan_records(cid, "item/"):
        for photo in record.get("photos") or ():
            if isinstance(photo, bytes):
                files.setdefault(photo, FileRef(0, None, PHOTO_PATH))
    # Detached texts (messages, names) until they are erased: see domain/content.
    for key, record in store.scan_records(cid, "content/"):
        if not record["erased"]:
            files.setdefault(
                bytes.fromhex(key.removeprefix("content/")), FileRef(record["size"], None)
            )
    return files


def files_in(changes: Iterable[Any]) -> dict[bytes, FileRef]:
    """The files a list of changes (as in an event body or a record) puts or is based on.
    A base's size is not in the change: 0 stands for "unknown"."""
    files: dict[bytes, FileRef] = {}
    for change in changes:
        if not isinstance(change, dict):
            continue
        base, blob, path = change.get("base"), change.get("blob"), change.get("path")
        path = path if isinstance(path, str) else ""
        if isinstance(base, bytes) and len(base) == 32:
            files.setdefault(base, FileRef(0, None, path))
        if isinstance(blob, bytes) and len(blob) == 32:
            size, torrent = change.get("size"), change.get("torrent")
            files[blob] = FileRef(
                size if isinstance(size, int) else 0,
                torrent if isinstance(torrent, bytes) and len(torrent) == 32 else None,
                path,
            )
    return files


NOT_A_SIZE = code("not_a_size", "'{text}' is not a size: say e.g. 500MiB, 2GiB, or none")


def parse_size(text: str) -> int | None:
    """``"2GiB"``, ``"500 MB"``, ``"1048576"`` → bytes; ``"none"`` → None (no quota)."""
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned in ("none", "off", "unlimited", ""):
        return None
    units = {"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}
    units |= {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "k": 1 << 10}
    units |= {"m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "b": 1}
    for unit, factor in sorted(units.items(), key=lambda item: -len(item[0])):
        if cleaned.endswith(unit):
            number, scale = cleaned[: -len(unit)], factor
            break
    else:
        number, scale = cleaned, 1
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if value < 0 or value != value:
        raise fault(BadInput, NOT_A_SIZE, text=text)
    return int(value * scale)


NO_PEER_HAS = code(
    "no_peer_has_file", "no peer has file {blob}: add a peer that holds it (communs peer add)"
)
# {kind} and {error}: the last failure, as the HTTP library words it.
NO_PEER_GAVE = code(
    "no_peer_gave_file",
    "no peer could give file {blob} (last: {kind}: {error}); check that the peers run "
    "('communs peer list') and try again",
)
NO_SWARM = code(
    "torrent_needs_swarm",
    "fetching through a torrent needs the node's BitTorrent: start it with 'communs serve', "
    "then run this again",
)
NOT_COMING = code("file_not_coming", "file {blob} is neither here nor being fetched")
# Sizes as ``human`` writes them ("1.2 MiB").
OVER_NODE_QUOTA = code(
    "file_over_node_quota",
    "file {blob} ({size}) not fetched: this node's quota is {quota} and {used} are used; "
    "raise it with 'communs blob policy --quota SIZE' or remove files",
)
OVER_COMMONS_QUOTA = code(
    "file_over_commons_quota",
    "file {blob} ({size}) not fetched: the quota for commons {commons} is {quota} and {used} "
    "are used; raise it with 'communs blob policy --commons {commons} --quota SIZE'",
)


def human(size: float) -> str:
    """1234567 → "1.2 MiB"."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size:.0f} bytes"


class Fetcher:
    def __init__(self, shared: Shared, http: Callable[[], "httpx.Client"]):
        self.home, self.lock, self.local = shared.home, shared.lock, shared.local
        self._http = http
        self.swarm: Any = None  # the node's BitTorrent session, when it runs one
        self._endpoints: dict[str, tuple[float, tuple[str, int] | None]] = {}
        self._usage: tuple[float, int] | None = None
        self._named: dict[bytes, tuple[tuple[bytes, ...], dict[bytes, FileRef]]] = {}
        self._missing: dict[bytes, tuple[tuple[Any, ...], dict[bytes, FileRef]]] = {}
        self._arrivals = 0  # files that entered the blob store (what is missing changes)
        self._quota_lock = threading.Lock()
        self.incoming: set[bytes] = set()  # files a peer is sending us right now
        self.home.blobs.on_new.append(self._arrived)

    def _arrived(self, blob: bytes, size: int) -> None:
        self._arrivals += 1
        self._usage = None

    # -- what a commons wants -----------------------------------------------------------

    def named(self, commons: bytes) -> dict[bytes, FileRef]:
        """The files ``commons`` shows (see ``files_named``), read again only when its
        heads moved: a round fetching many files, or checking a quota for each, reads
        them once."""
        with self.lock:
            cid = self.home.store.commons_cid(commons)
            if cid is None:
                return {}
            heads = tuple(self.home.store.heads(cid))
            cached = self._named.get(commons)
            if cached is None or cached[0] != heads:
                cached = self._named[commons] = (heads, files_named(self.home.store, cid))
            return cached[1]

    def missing(self, commons: bytes) -> dict[bytes, FileRef]:
        """The files ``commons`` shows that are not here, looked for again only when its
        heads moved or a file arrived (a moment at most: a file may also be removed)."""
        named = self.named(commons)
        heads = self._named[commons][0] if commons in self._named else ()
        key = (heads, self._arrivals, int(time.monotonic() / MISSING_TTL))
        cached = self._missing.get(commons)
        if cached is None or cached[0] != key:
            lacking = {blob: ref for blob, ref in named.items() if not self.home.blobs.has(blob)}
            cached = self._missing[commons] = (key, lacking)
        return cached[1]

    def commons_usage(self, commons: bytes, besides: bytes | None = None) -> int:
        """Bytes the files of ``commons`` take here, and those under way (but ``besides``)."""
        named = self.named(commons)
        used = sum(ref.size for blob, ref in named.items() if self.home.blobs.has(blob))
        if self.swarm is not None:
            used += self.swarm.partial_bytes(besides, among=named)
        return used

    def used(self) -> int:
        """Bytes the blob store holds (remembered a moment: walking it costs)."""
        now = time.monotonic()
        if self._usage is None or now - self._usage[0] > USAGE_TTL:
            self._usage = (now, self.home.blobs.total_size())
        return self._usage[1]

    def _here(self, blob: bytes) -> dict[str, Any]:
        return {
            "hash": blob.hex(),
            "state": "done",
            "via": "here",
            "size": self.home.blobs.size(blob),
        }

    def fetch_named(
        self, peers: str | list[str], commons: bytes, wanted: dict[bytes, FileRef] | None = None
    ) -> int:
        """Fetch the files of ``commons`` we lack among ``wanted`` (default: every file it
        shows) from ``peers``, in order: each is asked which it holds, and the files it lacks
        are asked of the next — unless the commons is fetched lazily. Large files start in
        the background when the swarm runs. The number of files fetched or started."""
        if self.local.file_policy(commons)["fetch"] == "lazy":
            return 0
        if wanted is None:
            wanted = self.named(commons)
        missing = {
            blob: ref
            for blob, ref in wanted.items()
            if blob not in self.incoming and not self.home.blobs.has(blob)
        }
        fetched = 0
        for peer in [peers] if isinstance(peers, str) else peers:
            if not missing:
                break
            for blob, ref in list(self._held_by(peer, missing).items()):
                try:
                    self.fetch(blob, [peer], ref=ref, commons=commons)
                    fetched += 1
                    del missing[blob]
                except NotFound:
                    continue  # the peer does not have it either
                except Refused as refusal:  # a quota: said once per file, and counted
                    self.local.refused(peer, commons, None, str(refusal))
                    del missing[blob]
                except peer_errors() as error:
                    log.warning("file %s from %s refused: %s", blob.hex()[:12], peer, error)
        return fetched

    def _held_by(self, peer: str, blobs: dict[bytes, FileRef]) -> dict[bytes, FileRef]:
        """The files among ``blobs`` that ``peer`` holds, asked in a few requests rather than
        one failed fetch per file it lacks (a peer without the question: all of them)."""
        if len(blobs) < 2:
            return blobs
        every = list(blobs)
        held: dict[bytes, FileRef] = {}
        for start in range(0, len(every), HAVE_MAX):
            asked = [blob.hex() for blob in every[start : start + HAVE_MAX]]
            try:
                response = self._http().post(f"{peer}/api/blobs/have", json={"hashes": asked})
                if response.status_code in (404, 405):  # an older node: ask file by file
                    return blobs
                _raise_for(response)
                for name in response.json()["have"]:
                    blob = bytes.fromhex(name)
                    if blob in blobs:
                        held[blob] = blobs[blob]
            except peer_errors() as error:
                log.warning("which files %s holds: %s", peer, error)
                return held
        return held

    # -- one file -------------------------------------------------------------------------

    def fetch(
        self,
        blob: bytes,
        peers: list[str],
        *,
        ref: FileRef | None = None,
        commons: bytes | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Get ``blob`` from the first of ``peers`` that has it. Large files go to the swarm
        (the answer then describes a transfer under way); others are fetched here, checked
        and stored. NotFound if no peer has it; Refused past a quota."""
        if self.home.blobs.has(blob):
            return self._here(blob)
        if ref is None or not ref.size:
            ref = self._known(blob) or ref
        last: Exception = fault(NotFound, NO_PEER_HAS, blob=blob.hex()[:12])
        for peer in peers:
            try:
                size = ref.size if ref and ref.size else self._remote_size(peer, blob)
                self.check_quota(blob, size, commons)
                if self.swarm is not None and size >= TORRENT_FROM:
                    return self._start_swarm(peer, blob, ref, peers)
                return self._fetch_http(peer, blob, size, progress)
            except (NotFound, *peer_errors()) as error:
                if isinstance(error, Refused):
                    raise
                last = error
                log.info("file %s from %s: %s", blob.hex()[:12], peer, error)
        if isinstance(last, CommunsError):
            raise last
        raise fault(
            Refused, NO_PEER_GAVE, blob=blob.hex()[:12], kind=type(last).__name__, error=str(last)
        )

    def _fetch_http(
        self, peer: str, blob: bytes, size: int, progress: Callable[[int, int], None] | None
    ) -> dict[str, Any]:
        from ..http import Counting, RemoteFile

        started = time.monotonic()
        remote = RemoteFile(self._http(), f"{peer}/api/blobs/{blob.hex()}")
        counted = Counting(remote, (lambda done: progress(done, size)) if progress else None)
        with io.BufferedReader(counted) as file:
            info = self.home.blobs.add_stream(file, expected=blob)
        self._usage = None
        return {
            "hash": blob.hex(),
            "size": info.size,
            "state": "done",
            "via": "http",
            "seconds": round(time.monotonic() - started, 3),
        }

    def _start_swarm(
        self, peer: str, blob: bytes, ref: FileRef | None, peers: list[str]
    ) -> dict[str, Any]:
        response = self._http().get(f"{peer}/api/blobs/{blob.hex()}.torrent")
        _raise_for(response)
        endpoints = [e for url in {peer, *peers, *self._known_peers()} if (e := self.endpoint(url))]
        transfer = self.swarm.fetch(
            blob,
            response.content,
            endpoints=endpoints,
            sources=[peer, *[p for p in peers if p != peer]],
            info_hash=ref.torrent if ref else None,
        )
        return transfer.describe()

    def fetch_torrent(self, blob: bytes, torrent: bytes, peers: list[str]) -> dict[str, Any]:
        """Fetch ``blob`` through any torrent of it (a BitTorrent client's ``.torrent``, or a
        magnet link): from that torrent's trackers and peers and from ``peers``' swarms."""
        if self.home.blobs.has(blob):
            return self._here(blob)
        if self.swarm is None:
            raise fault(Refused, NO_SWARM)
        import libtorrent as lt  # only a serving node (with its swarm) gets here

        endpoints = [e for url in {*peers, *self._known_peers()} if (e := self.endpoint(url))]
        if torrent.startswith(b"magnet:"):
            transfer = self.swarm.fetch_magnet(
                blob,
                torrent.decode(errors="replace"),
                endpoints=endpoints,
                sources=peers,
                check=lambda size: self.check_quota(blob, size, None),
            )
            return transfer.describe()
        try:
            size = lt.torrent_info(torrent).total_size()
        except RuntimeError as error:
            raise fault(BadInput, INVALID_TORRENT, error=str(error)) from None
        self.check_quota(blob, size, None)
        transfer = self.swarm.fetch(blob, torrent, endpoints=endpoints, sources=peers, foreign=True)
        return transfer.describe()

    def transfer(self, blob: bytes, wait: float = 0.0) -> dict[str, Any]:
        """Where a fetch of ``blob`` stands (NotFound if none was started and it is not
        here); ``wait``: seconds to wait first for it to end (at most 10)."""
        transfer = self.swarm.transfer(blob) if self.swarm is not None else None
        if transfer is not None:
            transfer.finished.wait(max(0.0, min(wait, 10.0)))
            return transfer.describe()
        if self.home.blobs.has(blob):
            return self._here(blob)
        raise fault(NotFound, NOT_COMING, blob=blob.hex()[:12])

    # -- peers' BitTorrent endpoints --------------------------------------------------------

    def endpoint(self, url: str) -> tuple[str, int] | None:
        """The BitTorrent address of the node at ``url`` (its host, the port it tells at
        ``/api/swarm``), remembered a minute; None if it runs no swarm or cannot be reached."""
        now = time.monotonic()
        known = self._endpoints.get(url)
        if known and now - known[0] < ENDPOINT_TTL:
            return known[1]
        found = None
        try:
            response = self._http().get(f"{url}/api/swarm", timeout=5.0)
            port = response.json().get("port") if response.is_success else None
            host = urlparse(url).hostname
            if isinstance(port, int) and 0 < port < 65536 and host:
                found = (host, port)
        except peer_errors():
            pass
        self._endpoints[url] = (now, found)
        return found

    def _known_peers(self) -> list[str]:
        return [p["url"] for p in self.local.peers()]

    # -- quotas ---------------------------------------------------------------------------

    def check_quota(self, blob: bytes, size: int, commons: bytes | None) -> None:
        """Refused, before anything is written, if ``size`` more bytes pass a quota."""
        with self._quota_lock:
            node = self.local.file_policy(None)["quota"]
            if node is not None:
                used = self.used() + (self.swarm.partial_bytes(blob) if self.swarm else 0)
                if used + size > node:
                    raise fault(
                        Refused,
                        OVER_NODE_QUOTA,
                        blob=blob.hex()[:12],
                        size=human(size),
                        quota=human(node),
                        used=human(used),
                    )
            if commons is None:
                return
            quota = self.local.file_policy(commons)["quota"]
            if quota is None:
                return
            used = self.commons_usage(commons, besides=blob)
            if used + size > quota:
                raise fault(
                    Refused,
                    OVER_COMMONS_QUOTA,
                    blob=blob.hex()[:12],
                    size=human(size),
                    commons=commons.hex()[:12],
                    quota=human(quota),
                    used=human(used),
                )

    # -- internals -----------------------------------------------------------------------

    def _known(self, blob: bytes) -> FileRef | None:
        """What the commons on this node say of ``blob`` (size, info hash), if anything."""
        with self.lock:
            every = [row["id"] for row in self.home.store.commons_rows()]
        for commons in every:
            ref = self.named(commons).get(blob)
            if ref and ref.size:
                return ref
        return None

    def _remote_size(self, peer: str, blob: bytes) -> int:
        response = self._http().head(f"{peer}/api/blobs/{blob.hex()}")
        _raise_for(response)
        return int(response.headers.get("content-length", "0"))
