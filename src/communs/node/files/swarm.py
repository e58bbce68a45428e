"""The node as a BitTorrent peer: one libtorrent session that seeds the large files the node
holds and fetches missing ones from other nodes and from any BitTorrent client.

A file of at least ``torrents.TORRENT_FROM`` bytes travels as its canonical torrent (named by
its hash; see ``torrents``), whose v2 info hash the event that introduced the file signs.

- **Seeding**: the session serves each large blob in place (``blobs/sha256/ab/cdef…``), in
  seed mode: pieces are checked lazily as they are sent, the file is never copied.
- **Fetching** (``fetch``): the torrent's metadata comes from a peer node over HTTP and must
  match the signed info hash; the data comes from every BitTorrent peer that has it — the
  nodes that told us their BitTorrent endpoint through the node protocol (``GET
  /api/swarm``), and clients found through the trackers. Every piece is checked against the
  torrent's hashes (a peer that sends bad pieces is banned by libtorrent) and the whole file
  against its SHA-256 before it enters the blob store — hashed as it arrives (pieces come in
  order), so a finished file is not read again. Bytes land in ``blobs/partial/<hash>``:
  a transfer that was interrupted resumes from the pieces already there — at once after a
  clean stop (which keeps libtorrent's resume data beside them), after checking them after
  a crash.
- **Fallback**: when no BitTorrent peer has sent anything for ``STALL`` seconds, the source
  nodes' HTTP blob URLs are added as web seeds (BEP 19, HTTP range requests): the same
  transfer goes on over HTTP, still checked piece by piece.

Settings for real networks (``public=True``): DHT, local service discovery, UPnP, NAT-PMP and
uTP on. Off by default: a node on loopback or a LAN needs none of them, and uTP on loopback
only costs CPU.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import libtorrent as lt

from ... import __version__
from ...core.errors import BadInput, CommunsError
from ...domain.refusals import code, fault
from ..home.folder import Home
from . import torrents
from .blobs import write_atomic
from .transfer import Transfer, check_foreign, check_torrent, trackers_of

log = logging.getLogger(__name__)

STALL = 10.0  # seconds without data from BitTorrent peers before HTTP web seeds are added
ABANDONED = 30 * 24 * 3600  # seconds after which an untouched partial file is removed
TICK = 0.5  # seconds between two looks at the session's alerts and transfers
NOT_A_MAGNET = code("not_a_magnet", "this is not a magnet link: {error}")
TORRENT_NOT_OF_FILE = code(
    "torrent_not_of_file",
    "the file received for {blob} does not match its hash: its torrent was not of this file; "
    "nothing was kept",
)

_ALERTS = (
    lt.alert.category_t.error_notification
    | lt.alert.category_t.status_notification
    | lt.alert.category_t.storage_notification
    | lt.alert.category_t.peer_notification
    | lt.alert.category_t.piece_progress_notification
)


class Swarm:
    def __init__(
        self,
        home: Home,
        *,
        listen: str = "127.0.0.1:0",
        public: bool = False,
        tracker: str | None = None,
        download_limit: int = 0,
        upload_limit: int = 0,
        peer_trackers: Any = None,
    ):
        """``listen``: HOST:PORT for BitTorrent (port 0: any free one); ``tracker``: this
        node's own announce URL, named by every torrent it seeds; ``download_limit`` and
        ``upload_limit``: bytes per second (0: none), for every peer, on the local network
        too; ``peer_trackers()``: the announce URLs of the nodes this one knows — a file
        seeded here is announced there too, so their followers find this node as a source."""
        self.home = home
        self.tracker = tracker
        self.peer_trackers = peer_trackers or (lambda: [])
        self.partial = home.blobs.root / "partial"
        self.partial.mkdir(exist_ok=True)
        self._sweep()
        self.session = lt.session(
            {
                "listen_interfaces": listen,
                "enable_dht": public,
                "enable_lsd": public,
                "enable_upnp": public,
                "enable_natpmp": public,
                "enable_outgoing_utp": public,
                "enable_incoming_utp": public,
                # nodes of one machine or behind one NAT share an address
                "allow_multiple_connections_per_ip": True,
                "user_agent": f"communs/{__version__} libtorrent/{lt.__version__}",
                "announce_to_all_trackers": True,
                "announce_to_all_tiers": True,
                "stop_tracker_timeout": 1,
                # a peer given to a new torrent is called at the next tick: make it soon
                "tick_interval": 100,
                # received blocks waiting for the disk: libtorrent allows 100 MiB, which a
                # fast transfer fills (a node's memory would grow by as much)
                "max_queued_disk_bytes": 8 * 1024 * 1024,
                "alert_mask": _ALERTS,
                "download_rate_limit": download_limit,
                "upload_rate_limit": upload_limit,
            }
        )
        if download_limit or upload_limit:
            # libtorrent exempts the local network from limits; asked for, they hold there too
            everyone = lt.ip_filter()
            everyone.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
            everyone.add_rule(
                "::",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                1 << lt.session.global_peer_class_id,
            )
            self.session.set_peer_class_filter(everyone)
        self._lock = threading.Lock()
        self._seeding: dict[bytes, Any] = {}  # blob -> handle
        self._transfers: dict[bytes, Transfer] = {}
        self._by_handle: dict[Any, bytes] = {}
        self._verifier = ThreadPoolExecutor(1, thread_name_prefix="swarm-verify")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="swarm", daemon=True)
        self._thread.start()

    # -- what others see -------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self.session.listen_port()

    def status(self) -> dict[str, Any]:
        with self._lock:
            transfers = list(self._transfers.values())
            seeding = len(self._seeding)
        stats = self.session.status()
        return {
            "port": self.port,
            "seeding": seeding,
            "upload_rate": stats.upload_rate,
            "download_rate": stats.download_rate,
            "transfers": [t.describe() for t in transfers],
        }

    # -- seeding ---------------------------------------------------------------------------

    def seed(self, blob: bytes) -> bool:
        """Seed a stored blob (making its torrent once); False when it is too small to be
        shared as a torrent, or not here."""
        with self._lock:
            if blob in self._seeding:
                return True
            transfer = self._transfers.get(blob)
            if transfer is not None and transfer.state in ("fetching", "verifying"):
                return False  # it is seeded once it is here
        if not self.home.blobs.has(blob):
            return False
        path = self.home.blobs.path(blob)
        if path.stat().st_size < torrents.TORRENT_FROM:
            return False
        torrent = torrents.torrent_for(self.home, blob, web_seed=None, tracker=self.tracker)
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(torrent)
        params.save_path = str(self.home.blobs.root)
        params.renamed_files = {0: str(path.relative_to(self.home.blobs.root))}
        params.trackers = self._trackers()
        params.flags = (params.flags | lt.torrent_flags.seed_mode) & ~_QUEUED
        with self._lock:
            if blob in self._seeding:
                return True
            self._seeding[blob] = self.session.add_torrent(params)
        return True

    def seed_all(self, blobs: Iterable[bytes]) -> int:
        """Seed every large blob among ``blobs`` (hashing a torrent for those that have
        none yet); the number seeded."""
        count = 0
        for blob in blobs:
            if self._stop.is_set():
                break
            try:
                count += self.seed(blob)
            except (OSError, BadInput) as error:
                log.warning("cannot seed %s: %s", blob.hex()[:12], error)
        return count

    # -- fetching --------------------------------------------------------------------------

    def fetch(
        self,
        blob: bytes,
        torrent: bytes,
        *,
        endpoints: Iterable[tuple[str, int]] = (),
        sources: Iterable[str] = (),
        info_hash: bytes | None = None,
        foreign: bool = False,
    ) -> Transfer:
        """Start fetching ``blob`` with ``torrent`` (its canonical torrent, as a peer sent
        it), from the BitTorrent ``endpoints`` and the peers the trackers name; ``sources``
        are peer node URLs for the HTTP fallback. ``info_hash``: the v2 info hash an event
        signed, which the torrent must have. ``foreign``: ``torrent`` is any torrent of one
        file, e.g. made by someone's BitTorrent client; only the SHA-256 checked at the end
        tells it was the right file. The transfer goes on in the background."""
        info = check_foreign(torrent) if foreign else check_torrent(torrent, blob, info_hash)
        current = self._under_way(blob, endpoints, sources)
        if current is not None:
            return current
        trackers = self._trackers(trackers_of(torrent))
        params = self._resumed(blob)
        if foreign:
            params.ti = info
            params.renamed_files = {0: blob.hex()}
        else:
            params.ti = lt.torrent_info(torrents.retarget(torrent, web_seed=None, tracker=None))
        params.save_path = str(self.partial)
        params.trackers = trackers
        params.peers = list(endpoints)
        # in order: hashed as it arrives, and a film can be watched while it comes
        params.flags = (params.flags | lt.torrent_flags.sequential_download) & ~_QUEUED
        transfer = self._start(blob, params, sources)
        transfer.size, transfer.pieces = info.total_size(), info.num_pieces()
        transfer.resumed = sum(bool(have) for have in params.have_pieces)
        return transfer

    def fetch_magnet(
        self,
        blob: bytes,
        link: str,
        *,
        endpoints: Iterable[tuple[str, int]] = (),
        sources: Iterable[str] = (),
        check: Callable[[int], None] | None = None,
    ) -> Transfer:
        """Start fetching ``blob`` through a magnet link (any client's): the torrent's
        metadata comes from the peers (BEP 9); then ``check(size)`` may refuse the file
        (a quota) before its data is fetched. Its SHA-256 is checked at the end."""
        try:
            params = lt.parse_magnet_uri(link)
        except RuntimeError as error:
            raise fault(BadInput, NOT_A_MAGNET, error=str(error)) from None
        current = self._under_way(blob, endpoints, sources)
        if current is not None:
            return current
        params.save_path = str(self.partial)
        params.trackers = self._trackers(params.trackers)
        params.peers = list(endpoints)
        params.flags = (params.flags | lt.torrent_flags.sequential_download) & ~_QUEUED
        transfer = self._start(blob, params, sources)
        transfer.on_metadata = check
        return transfer

    def _under_way(
        self, blob: bytes, endpoints: Iterable[tuple[str, int]], sources: Iterable[str]
    ) -> Transfer | None:
        """The transfer of ``blob`` under way, if any, told of more sources."""
        with self._lock:
            current = self._transfers.get(blob)
        if current is None or current.state not in ("fetching", "verifying"):
            return None
        current.sources += [url for url in sources if url not in current.sources]
        for endpoint in endpoints:
            current.handle.connect_peer(endpoint)
        return current

    def _start(self, blob: bytes, params: Any, sources: Iterable[str]) -> Transfer:
        handle = self.session.add_torrent(params)
        transfer = Transfer(blob, 0, handle, list(sources))
        with self._lock:
            self._transfers[blob] = transfer
            self._by_handle[handle] = blob
        return transfer

    def _metadata(self, transfer: Transfer) -> None:
        """A magnet link's torrent arrived: one file, named by its hash, within quota."""
        info = transfer.handle.torrent_file()
        if info is None or info.num_files() != 1:
            self._fail(transfer, "this magnet link names several files: a blob is one file")
            return
        transfer.size, transfer.pieces = info.total_size(), info.num_pieces()
        transfer.handle.rename_file(0, transfer.blob.hex())
        if transfer.on_metadata is not None:
            try:
                transfer.on_metadata(transfer.size)
            except CommunsError as refusal:
                self._remove(transfer, delete_files=True)
                self._fail(transfer, str(refusal))

    def _resumed(self, blob: bytes) -> Any:
        """Parameters for a new transfer of ``blob``: with the pieces a previous one had,
        if it kept them when the node stopped (the file is kept; libtorrent checks that
        it did not change)."""
        path = self._resume_path(blob)
        try:
            params = lt.read_resume_data(path.read_bytes())
        except (OSError, RuntimeError):
            params = lt.add_torrent_params()
        path.unlink(missing_ok=True)  # used once: a later stop writes a new one
        return params

    def transfer(self, blob: bytes) -> Transfer | None:
        with self._lock:
            return self._transfers.get(blob)

    def partial_bytes(self, besides: bytes | None = None, among: Any = None) -> int:
        """Bytes the unfinished transfers (but that of ``besides``; only of the blobs
        ``among``, if given) will take once complete, for quotas."""
        with self._lock:
            return sum(
                t.size
                for t in self._transfers.values()
                if t.state in ("fetching", "verifying")
                and t.blob != besides
                and (among is None or t.blob in among)
            )

    def _trackers(self, more: Iterable[str] = ()) -> list[str]:
        """This node's tracker, the known peers' and ``more``, each once."""
        found: list[str] = []
        for url in [self.tracker, *self.peer_trackers(), *more]:
            if url and url not in found:
                found.append(url)
        return found

    # -- the session's life ----------------------------------------------------------------

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._verifier.shutdown(wait=True, cancel_futures=True)
        with contextlib.suppress(Exception):
            self.session.pause()
            self._save_resume_data()
        del self.session  # libtorrent stops its threads and closes its files

    def _save_resume_data(self, timeout: float = 5.0) -> None:
        """Keep, beside each unfinished file, which of its pieces are done: the transfer
        goes on after a restart without checking them all again (after a crash, it does)."""
        with self._lock:
            waiting = {t.handle: t for t in self._transfers.values() if t.state == "fetching"}
        for handle in waiting:
            handle.save_resume_data()
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            self.session.wait_for_alert(200)
            for alert in self.session.pop_alerts():
                if not isinstance(
                    alert, (lt.save_resume_data_alert, lt.save_resume_data_failed_alert)
                ):
                    continue
                transfer = waiting.pop(alert.handle, None)
                if transfer is not None and isinstance(alert, lt.save_resume_data_alert):
                    data = lt.write_resume_data_buf(alert.params)
                    write_atomic(self._resume_path(transfer.blob), data)

    def _sweep(self) -> None:
        """Remove the partial files of transfers abandoned long ago (nobody asked for them
        again, or no peer had them)."""
        cutoff = time.time() - ABANDONED
        for path in self.partial.iterdir():
            with contextlib.suppress(OSError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()

    def _resume_path(self, blob: bytes) -> Path:
        return self.partial / f"{blob.hex()}.resume"

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.session.wait_for_alert(int(TICK * 1000)) is not None:
                for alert in self.session.pop_alerts():
                    try:
                        self._on_alert(alert)
                    except Exception:  # one odd alert must not stop the session's loop
                        log.exception("BitTorrent alert %s", alert.what())
            self._watch_stalls()

    def _on_alert(self, alert: Any) -> None:
        blob = self._by_handle.get(getattr(alert, "handle", None))
        transfer = self._transfers.get(blob) if blob else None
        if isinstance(alert, lt.listen_failed_alert):
            log.warning("BitTorrent cannot listen: %s", alert.message())
        if transfer is None or transfer.state not in ("fetching", "verifying"):
            return
        if isinstance(alert, lt.metadata_received_alert):
            self._metadata(transfer)
        elif isinstance(alert, lt.piece_finished_alert):
            self._read_next(transfer)
        elif isinstance(alert, lt.read_piece_alert):
            if alert.error.value():
                transfer.streamed = False  # hashed whole at the end instead
                self._maybe_store(transfer)
            else:
                self._verifier.submit(self._hash_piece, transfer, alert.piece, alert.buffer)
        elif isinstance(alert, lt.torrent_finished_alert):
            # Every piece passed its hash, but the last blocks may still be on their way to
            # the disk: the file is moved once libtorrent says they are written.
            transfer.state = "verifying"
            transfer.handle.flush_cache()
        elif isinstance(alert, lt.cache_flushed_alert) and transfer.state == "verifying":
            transfer.flushed = True  # (flushes may come twice: libtorrent's and ours)
            self._maybe_store(transfer)
        elif isinstance(alert, lt.hash_failed_alert):
            transfer.hash_failures += 1
        elif isinstance(alert, lt.peer_ban_alert):
            transfer.banned += 1
        elif isinstance(alert, (lt.torrent_error_alert, lt.file_error_alert)):
            self._fail(transfer, f"BitTorrent error: {alert.message()}")

    def _watch_stalls(self) -> None:
        """Add the source nodes' HTTP URLs as web seeds to transfers that stalled."""
        now = time.monotonic()
        with self._lock:
            fetching = [t for t in self._transfers.values() if t.state == "fetching"]
        for transfer in fetching:
            self._read_next(transfer)  # pieces found on disk when a transfer resumes
            done = transfer.handle.status().total_wanted_done
            if done > transfer.last_done:
                transfer.last_done, transfer.last_progress = done, now
            elif now - transfer.last_progress > STALL and transfer.via == "bittorrent":
                # the trackers may know new seeders (the source may be gone): ask them again
                transfer.handle.force_reannounce()
                for url in transfer.sources:
                    transfer.handle.add_url_seed(f"{url}/api/blobs/{transfer.blob.hex()}")
                transfer.via = "bittorrent+http"
                log.info("%s: no BitTorrent peer sends, HTTP now", transfer.blob.hex()[:12])

    def _read_next(self, transfer: Transfer) -> None:
        """Ask libtorrent for the next piece to hash, if it has it and none is asked yet."""
        piece = transfer.next_to_read()
        if piece is not None:
            transfer.handle.read_piece(piece)

    def _hash_piece(self, transfer: Transfer, piece: int, data: bytes) -> None:
        if transfer.hash_piece(piece, data):
            self._read_next(transfer)
            self._maybe_store(transfer)

    def _maybe_store(self, transfer: Transfer) -> None:
        """Once the file is on disk and hashed (or its hashing given up), store it."""
        if transfer.ready_to_store():
            self._verifier.submit(self._store, transfer)

    def _store(self, transfer: Transfer) -> None:
        """Check a finished download against its SHA-256 and move it into the blob store;
        then seed it from there."""
        blob = transfer.blob
        path = self.partial / blob.hex()
        try:
            if transfer.streamed and transfer.digest.digest() != blob:
                raise fault(BadInput, TORRENT_NOT_OF_FILE, blob=blob.hex()[:12])
            # hashed as it arrived (unless a piece could not be read back): not read again
            self.home.blobs.adopt(path, blob, hashed=transfer.streamed)
        except (OSError, BadInput) as error:
            self._remove(transfer, delete_files=True)
            self._fail(transfer, str(error))
            return
        self._remove(transfer, delete_files=False)
        transfer.state = "done"
        transfer.finished_after = time.monotonic() - transfer.started
        transfer.finished.set()
        try:
            self.seed(blob)
        except (OSError, BadInput) as error:
            log.warning("cannot seed %s: %s", blob.hex()[:12], error)

    def _remove(self, transfer: Transfer, *, delete_files: bool) -> None:
        with self._lock:
            self._by_handle.pop(transfer.handle, None)
        flags = lt.options_t.delete_files if delete_files else 0
        with contextlib.suppress(Exception):
            self.session.remove_torrent(transfer.handle, flags)

    def _fail(self, transfer: Transfer, reason: str) -> None:
        log.warning("fetching %s failed: %s", transfer.blob.hex()[:12], reason)
        if transfer.state == "fetching":
            self._remove(transfer, delete_files=False)
        transfer.state, transfer.error = "failed", reason
        transfer.finished_after = time.monotonic() - transfer.started
        transfer.finished.set()


_QUEUED = lt.torrent_flags.auto_managed | lt.torrent_flags.paused
