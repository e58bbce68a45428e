"""Fast propagation: live streams held open to peers, pushes to the peers that hold none
from us, and the files of the events following them both ways.

A node holds a live stream open to each of its peers and ingests what arrives at once; it
pushes its new events to the peers holding no live stream from it (they may not know its
address, or be unable to reach it), then sends them the files those events name: it may be
the only side able to open a connection. A live stream also tells its subscriber of each
file that arrives, which fetches it if it was waiting for it.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from ..files.fetching import PEER_ERRORS
from ..http import raise_for
from .admission import admit_pushed
from .sync import encode_stream
from .wire import commons_of, files_of, iter_cbor_seq, shape

log = logging.getLogger("communs.sync")

MAX_RECEIVED = 20_000  # events in one push
HEARTBEAT = 2.0  # seconds between keep-alive items on a quiet live stream


class Propagation:
    """Mixed into ``Replicator`` (which provides ``home``, ``local``, ``http``, ``own_url``,
    the listeners and subscribers, the outbox, ``fetcher``, ``offers``, ``work``,
    ``_ingest``, ``_sources``, ``sync`` and ``sync_commons``)."""

    home: Any
    shared: Any
    strangers: Any
    local: Any
    own_url: str | None
    listeners: set[Any]
    stream_listeners: set[Any]
    _bulk: Any
    file_listeners: set[Callable[[bytes], None]]
    subscribers: set[str]
    fetcher: Any
    offers: Any
    work: Any
    _outbox: Any
    _threads: list[Any]
    _stop: Any
    http: Any

    def _announce(self, added: list[tuple[bytes, bytes]], source: str | None) -> None:
        """New events: to live subscribers at once, and to peers that do not subscribe
        (never back to ``source``, the peer they came from)."""
        for listener in list(self.listeners):
            for commons, raw in added:
                listener(commons, raw)
        bulk = getattr(self._bulk, "on", False)
        for stream in list(self.stream_listeners):
            stream(added, bulk)
        if self._threads:  # the background jobs run: push too
            self._outbox.put((source, added))

    def _file_arrived(self, blob: bytes, size: int) -> None:
        """A new file here: live subscribers may have been waiting for it."""
        for listener in list(self.file_listeners):
            listener(blob)

    def _pusher(self) -> None:
        """Push new events to the peers not holding a live stream from us (they may not know
        our address, or not be able to reach us) — never back to the peer they came from."""
        while not self._stop.is_set():
            try:
                batch = [self._outbox.get(timeout=1.0)]
            except queue.Empty:
                continue
            while not self._outbox.empty():  # send what piled up in one go
                batch.append(self._outbox.get_nowait())
            self._push_batch(batch)
            # Not kept while waiting for the next: a clone's transaction is megabytes.
            del batch

    def _push_batch(self, batch: list[tuple[str | None, list[tuple[bytes, bytes]]]]) -> None:
        for peer in self.local.peers():
            url = peer["url"]
            if url == self.own_url or url in self.subscribers:
                continue
            by_commons: dict[bytes, list[bytes]] = {}
            for source, added in batch:
                if source != url:
                    for commons, raw in added:
                        by_commons.setdefault(commons, []).append(raw)
            try:
                for commons, raws in by_commons.items():
                    held: int | None = None
                    for start in range(0, len(raws), MAX_RECEIVED):
                        held = self._push_raws(url, commons, raws[start : start + MAX_RECEIVED])
                    if held is not None:  # their files follow, without holding up events
                        files = {blob for raw in raws for blob in files_of(raw)}
                        self.work.later(lambda u=url, c=commons, f=files: self._offer(u, c, f))
            except PEER_ERRORS as error:
                log.info("push to %s failed: %s", url, error)

    def _offer(self, peer: str, commons: bytes, blobs: set[bytes] | None) -> dict[str, Any]:
        return self.offers.offer(peer, commons, blobs, self.own_url)

    def _push_raws(self, url: str, commons: bytes, raws: list[bytes]) -> int | None:
        """Push events; how many the peer added (None: it does not hold that commons)."""
        response = self.http.post(
            f"{url}/sync/{commons.hex()}/events",
            content=encode_stream(raws),
            headers={"X-Communs-Node": self.own_url} if self.own_url else None,
            timeout=httpx.Timeout(60.0, connect=5.0),
        )
        if response.status_code == 404:  # it does not hold that commons: it may pull it
            return None
        if response.status_code == 429 and _has_report(response):  # took what its quota let
            log.info("%s took part of a push: %s", url, response.json().get("error"))
        else:
            raise_for(response)
        return shape(lambda: int(response.json()["added"]))

    def _subscribe(self, peer: str) -> None:
        """Hold a live stream open to a peer and ingest what it announces, at once."""
        failures = 0
        while not self._stop.is_set() and peer in {p["url"] for p in self.local.peers()}:
            try:
                timeout = httpx.Timeout(HEARTBEAT * 5, connect=5.0)
                params = {"node": self.own_url} if self.own_url else None
                with self.http.stream(
                    "GET", f"{peer}/sync/live", params=params, timeout=timeout
                ) as response:
                    if not response.is_success:
                        response.read()
                        raise_for(response)
                    failures = 0
                    self.local.peer_ok(peer)  # reached: peer lists stop showing an old error
                    self.sync(peer)  # catch up with what was missed while not connected
                    with BulkIntake(lambda page: self._receive_page(peer, page)) as bulk:
                        for item in iter_cbor_seq(response.iter_bytes()):
                            if self._stop.is_set():
                                return
                            if isinstance(item, bytes):
                                self._receive_live(peer, item)
                            elif isinstance(item, list):  # a page of bulk events
                                bulk.offer(item)
                            elif isinstance(item, dict) and isinstance(item.get("file"), bytes):
                                self._file_offered(peer, item["file"])
                failures += 1  # the peer closed the stream: reconnect, but not in a tight loop
            except Exception as error:  # noqa: BLE001  (a bad peer must not kill this thread)
                failures += 1
                log.info("live stream from %s interrupted: %s", peer, error)
                if not self._stop.is_set():  # seen in `peer list` and on the node page
                    reason = str(error) or type(error).__name__
                    self.local.peer_failed(peer, reason, time.monotonic())
            self._stop.wait(min(30.0, 0.5 * 2 ** min(failures, 6)))

    def _receive_live(self, peer: str, raw: bytes) -> None:
        commons = commons_of(raw)
        if commons is None or commons not in set(self.local.follows()):
            return
        admitted = admit_pushed(self.shared, commons, [raw], self.strangers)
        report = self._ingest(admitted.raws, peer, commons, admitted=admitted)
        try:
            if report["pending"]:  # we missed something: a full round with that peer
                self.sync_commons(peer, commons)
            elif report["added"] and (named := files_of(raw)):  # this event's, not a rescan
                sources = self._sources(peer)
                self.work.later(lambda: self.fetcher.fetch_named(sources, commons, named))
        except PEER_ERRORS as error:
            log.info("sync with %s failed: %s", peer, error)

    def _receive_page(self, peer: str, page: list[Any]) -> None:
        """A page of bulk events from a live stream, taken in the bulk lane: behind
        what people wait for, here and at the peers this node relays to."""
        follows = set(self.local.follows())
        by_commons: dict[bytes, list[bytes]] = {}
        for raw in page:
            commons = commons_of(raw) if isinstance(raw, bytes) else None
            if commons in follows:
                by_commons.setdefault(commons, []).append(raw)
        for commons, raws in by_commons.items():
            admitted = admit_pushed(self.shared, commons, raws, self.strangers)
            self._ingest(admitted.raws, peer, commons, admitted=admitted, bulk=True)

    def _file_offered(self, peer: str, blob: bytes) -> None:
        """The peer has a new file: fetch it if a commons we follow shows it and lacks it
        (it may have come after the event naming it)."""
        if len(blob) != 32 or self.home.blobs.has(blob):
            return
        for commons in self.local.follows():
            ref = self.fetcher.named(commons).get(blob)
            if ref is not None:
                wanted = {blob: ref}
                self.work.later(lambda c=commons, w=wanted: self.fetcher.fetch_named(peer, c, w))
                return


class BulkIntake:
    """Pages of bulk events from a live stream, ingested on a thread of their own, so that
    the stream is read as fast as it comes and a person's event behind a page is taken at
    once. Pages beyond ``MAX_PAGES`` waiting are dropped: a sync round brings them."""

    MAX_PAGES = 64

    def __init__(self, take: Callable[[list[Any]], None]):
        self._take = take
        self._pages: queue.Queue[list[Any] | None] = queue.Queue(self.MAX_PAGES)
        self._thread = threading.Thread(target=self._run, name="bulk intake", daemon=True)

    def __enter__(self) -> "BulkIntake":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """The stream ended: what still waits is left to the next sync round."""
        while True:
            try:
                self._pages.get_nowait()
            except queue.Empty:
                break
        self._pages.put(None)
        self._thread.join(60)

    def offer(self, page: list[Any]) -> None:
        try:
            self._pages.put_nowait(page)
        except queue.Full:
            log.info("dropped a page of %d bulk events: a sync round brings them", len(page))

    def _run(self) -> None:
        while (page := self._pages.get()) is not None:
            try:
                self._take(page)
            except Exception as error:  # noqa: BLE001  (a bad page must not stop the intake)
                log.info("a page of bulk events failed: %s", error)


def _has_report(response: httpx.Response) -> bool:
    try:
        return isinstance(response.json().get("added"), int)
    except (ValueError, AttributeError):
        return False
