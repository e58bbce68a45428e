"""Replication with peers: serving what they lack, pulling and pushing in causal batches,
and the background loop that keeps followed commons in sync (live propagation is in
``propagation``).

A peer can never make this node accept an invalid event: everything it sends goes through
the same ingest as a local action, after this node's own admission policy (blocked authors,
commons open to anyone or only to maintainers and followed authors).
"""

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import cbor2
import httpx

from ...core.errors import BadInput, Unreachable
from ...domain.refusals import code, fault
from ...store.local import normalize_url
from ..files.fetching import PEER_ERRORS, Fetcher
from ..home.shared import Shared
from ..http import raise_for, transport
from ..writing.ingest import BATCH
from .admission import Admitted, Strangers, admit, admit_pushed
from .offers import FileOffers, FileWork
from .probe import check_link
from .propagation import MAX_RECEIVED, Propagation
from .pulls import Pulls
from .quotas import KnownAuthors, StrangerQuota
from .scheduler import SMALL, Busy, PushScheduler
from .serving import SyncServer
from .sync import MAX_SYNC_HEADS, missing_ids
from .wire import (
    files_of,
    iter_cbor_seq,
    link_to,
    parse_link,
    shape,
)

log = logging.getLogger("communs.sync")
# What a misbehaving peer can cause; a sync with it fails, the node goes on.

MAX_BODY = 64 * 1024 * 1024
INTERVAL = 30.0  # seconds between background rounds
MAX_ANCESTORS = 64
PULL_SECONDS = 900.0  # a pull that takes longer is dropped (and resumed by the next round)
# Seconds a node that received a push leaves the pusher to send the files before fetching
# them itself (from the pusher, if it can reach it, and from its other peers).
OFFER_GRACE = 5.0
PUSH_BATCH = 32  # events per transaction of a push: the writer lock is held briefly
MAX_LISTED = 1_000  # refused events named in the answer to a push
LOGGED_REFUSALS = 5  # refused events of one ingest written to the log (all are counted)

PUSH_NOT_EVENTS = code("push_not_events", "expected a CBOR sequence of events (byte strings)")
PUSH_TOO_MANY = code("push_too_many", "at most {most} events per request; send batches")
# {error} is the connection's failure as the HTTP library words it.
PEER_DOWN = code(
    "peer_down",
    "the peer {peer} did not answer ({error}): is its node running at that address? A new "
    "'communs sync' goes on from what was received",
)
INFO_NOT_OBJECT = code(
    "peer_info_not_object", "{peer} answered info on {commons} with no JSON object"
)
IMPOSSIBLE_ANCESTORS = code(
    "peer_impossible_ancestors", "{peer} named impossible ancestors for {commons}"
)
NO_HEADS = code("peer_sent_no_heads", "{peer} answered a sync without a valid list of its heads")


class Replicator(Propagation):
    def __init__(self, shared: Shared):
        self.shared = shared
        self.home = shared.home
        self.lock = shared.lock  # the home's writer lock, shared with the Service
        self.local = shared.local
        self.own_url: str | None = None
        self.listeners: set[Any] = set()  # told (commons, raw) of each new event
        # Told ([(commons, raw)], bulk) of each transaction: live streams to peers.
        self.stream_listeners: set[Callable[[list[tuple[bytes, bytes]], bool], None]] = set()
        self._bulk = threading.local()  # set while this thread ingests a pull or a big push
        self.file_listeners: set[Callable[[bytes], None]] = set()  # told each new file
        self.home.listeners.append(self._announce)
        self.home.blobs.on_new.append(self._file_arrived)
        self._http: httpx.Client | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._live: dict[str, threading.Thread] = {}
        self._threads: list[threading.Thread] = []
        # (the peer the events came from, or None for ours; [(commons, raw)])
        self._outbox: queue.Queue[tuple[str | None, list[tuple[bytes, bytes]]]] = queue.Queue()
        self._rounds: dict[tuple[str, bytes], threading.Lock] = {}
        self._rounds_lock = threading.Lock()
        self.subscribers: set[str] = set()  # nodes holding a live stream from us
        self.fetcher = Fetcher(shared, lambda: self.http)
        self.server = SyncServer(shared)  # what peers ask of us
        self.pulls = Pulls()  # under way, for progress
        self.offers = FileOffers(shared, self.fetcher, self.server, lambda: self.http)
        self.work = FileWork()  # file fetches and offers, off the events' path
        self.strangers = Strangers(KnownAuthors(shared))
        self.scheduler = PushScheduler()  # big pushes take turns; live events go first

    @property
    def http(self) -> httpx.Client:
        """Made on first use: building its TLS context costs tens of milliseconds."""
        if self._http is None:
            self._http = httpx.Client(
                transport=transport(), timeout=httpx.Timeout(60.0, connect=5.0)
            )
        return self._http

    def receive(self, ref: str, chunks: Iterable[bytes], peer: str) -> dict[str, Any]:
        """Ingest a push; ``chunks`` is the request body as it arrives (at most MAX_BODY)."""
        raws = []
        for item in iter_cbor_seq(chunks):
            if not isinstance(item, bytes):
                raise fault(BadInput, PUSH_NOT_EVENTS)
            raws.append(item)
            if len(raws) > MAX_RECEIVED:
                raise fault(BadInput, PUSH_TOO_MANY, most=MAX_RECEIVED)
        with self.lock:
            commons, _ = self.server.commons(ref)  # only commons this node holds take pushes
        admitted = admit_pushed(self.shared, commons, raws, self.strangers)
        try:
            with self.scheduler.turn(len(admitted.raws), admitted.all_known):
                report = self._ingest(admitted.raws, peer, commons, admitted=admitted)
        except Busy:  # nothing was taken in: the retry must find the quota as it was
            self.strangers.quota.give_back(commons, admitted.charged.values())
            raise
        if admitted.over_quota:
            report["over_quota"] = admitted.over_quota
            report["retry_after"] = StrangerQuota.retry_after()
        files = {blob: ref for raw in raws for blob, ref in files_of(raw).items()}
        if report["added"] and files:  # those the pusher does not send, from everywhere
            sources = self._sources(peer if peer.startswith("http") else None)

            def fetch() -> None:  # the files the commons shows: a push may relay old history
                shown = self.fetcher.named(commons)
                wanted = {blob: ref for blob, ref in files.items() if blob in shown}
                self.fetcher.fetch_named(sources, commons, wanted)

            self.work.later(fetch, OFFER_GRACE)
        return report

    def fetch_missing_later(self, commons: bytes) -> None:
        """Look for the files ``commons`` shows and this node lacks (e.g. an import left
        out), at its peers, in the background."""
        self.work.later(lambda: self.fetcher.fetch_named(self._sources(None), commons))

    def _sources(self, first: str | None) -> list[str]:
        """Where to look for files: ``first`` (the peer that sent their events), then the
        other peers."""
        urls = [first] if first else []
        urls += [p["url"] for p in self.local.peers() if p["url"] not in (first, self.own_url)]
        return urls

    # -- admission and ingest --------------------------------------------------------------

    def _ingest(
        self,
        raws: Iterable[bytes],
        peer: str,
        commons: bytes,
        progress: Callable[[int], None] | None = None,
        admitted: Admitted | None = None,
        bulk: bool | None = None,
    ) -> dict[str, Any]:
        """Ingest events a peer sent for ``commons``, as they come: events of any other
        commons are refused, so each commons' policy applies to its own events. The node's
        lock is taken for each transaction, not for the whole stream. ``admitted``: a push
        (or a live event) already through ``admit_pushed``, taken in small transactions."""
        refused: list[tuple[bytes, str]] = []
        if admitted is None:
            raws = admit(self.shared, commons, raws, refused)
        else:
            refused += admitted.refused
        # What a pull or a big push adds is relayed behind what people wait for.
        self._bulk.on = bulk if bulk is not None else admitted is None or len(admitted.raws) > SMALL
        try:
            report = self.home.ingest(
                raws,
                progress,
                guard=self.lock,
                commons=commons,
                keep_ids=False,
                source=peer,  # so that what came from a peer is not pushed back to it
                batch=BATCH if admitted is None else PUSH_BATCH,
            )
        finally:
            self._bulk.on = False
        refused += [(eid, reason) for eid, reason in report.refused]
        if admitted is not None and admitted.charged:
            charged = admitted.charged
            unstored = (charged[eid] for eid, _ in report.refused if eid in charged)
            self.strangers.quota.give_back(commons, unstored)
        self.local.refused_many(peer, commons, refused)
        for eid, reason in refused[:LOGGED_REFUSALS]:
            log.warning("refused event %s from %s: %s", eid.hex()[:12], peer, reason)
        if len(refused) > LOGGED_REFUSALS:
            log.warning("refused %d more events from %s", len(refused) - LOGGED_REFUSALS, peer)
        return {
            "added": report.added_count,
            "duplicates": report.duplicates,
            "pending": len(report.pending),
            "dropped": report.dropped,
            # A flood's answer names the first refused events only; all are counted.
            "refused": [[eid.hex(), reason] for eid, reason in refused[:MAX_LISTED]],
            "refused_count": len(refused),
        }

    # -- syncing with a peer ---------------------------------------------------------------

    def sync(self, peer: str | None = None, commons: bytes | None = None) -> list[dict[str, Any]]:
        peers = [normalize_url(peer)] if peer else [p["url"] for p in self.local.peers()]
        targets = [commons] if commons else self.local.follows()
        results = []
        for url in peers:
            for target in targets:
                try:
                    result = self.sync_commons(url, target)
                except PEER_ERRORS as error:
                    self.local.peer_failed(url, str(error), time.monotonic())
                    result = {"peer": url, "commons": target.hex(), "error": str(error)}
                results.append(result)
        return results

    def sync_commons(self, peer: str, commons: bytes) -> dict[str, Any]:
        """Pull what we lack (ancestors first, for a fork), then push what the peer lacks.
        Rounds with one peer for one commons run one at a time: a second waits, then finds
        little left to do, instead of streaming the same events again."""
        with self._rounds_lock:
            round_lock = self._rounds.setdefault((peer, commons), threading.Lock())
        try:
            with round_lock:
                return self._sync_commons(peer, commons)
        except httpx.TransportError as error:  # the peer's, not this node's: said so
            raise fault(Unreachable, PEER_DOWN, peer=peer, error=str(error)) from None

    def _info(self, peer: str, commons: bytes) -> dict[str, Any] | None:
        """The peer's ``info`` on a commons (heads, ancestors, event count); None if it does
        not hold it."""
        response = self.http.get(f"{peer}/sync/{commons.hex()}/info")
        if response.status_code == 404:
            return None
        raise_for(response)
        info = shape(response.json)
        if not isinstance(info, dict):
            raise fault(BadInput, INFO_NOT_OBJECT, peer=peer, commons=commons.hex()[:12])
        return info

    def _sync_commons(self, peer: str, commons: bytes) -> dict[str, Any]:
        info = self._info(peer, commons)
        if info is None:
            return {
                "peer": peer,
                "commons": commons.hex(),
                "pulled": 0,
                "pushed": 0,
                "note": "the peer does not hold this commons",
            }
        ancestors = shape(lambda: [bytes.fromhex(a) for a in info["ancestors"]])
        if len(ancestors) > MAX_ANCESTORS or any(len(a) != 32 for a in ancestors):
            raise fault(BadInput, IMPOSSIBLE_ANCESTORS, peer=peer, commons=commons.hex()[:12])
        pulled = 0
        for ancestor in ancestors:
            held = self._info(peer, ancestor) or {}  # its event count, for progress
            pulled += self._pull(peer, ancestor, held.get("events"))[0]
        added, their_heads = self._pull(peer, commons, info.get("events"))
        files = self.fetcher.fetch_named(peer, commons)
        pushed = self._push(peer, commons, their_heads)
        offered = self._offer(peer, commons, None)  # the files it lacks that we hold
        self.local.peer_ok(peer)
        return {
            "peer": peer,
            "commons": commons.hex(),
            "pulled": pulled + added,
            "pushed": pushed,
            "files": files,
            "files_sent": offered["sent"],
            "files_refused": offered["refused"],
        }

    def _pull(self, peer: str, commons: bytes, their_count: Any) -> tuple[int, list[bytes]]:
        with self.lock:
            cid = self.home.store.commons_cid(commons)
            ours = self.home.heads(commons, MAX_SYNC_HEADS)[0] if cid is not None else []
            count = self.home.store.events_count(cid) if cid is not None else 0
        coming = max(0, their_count - count) if type(their_count) is int else None
        body = cbor2.dumps({"heads": ours})
        url = f"{peer}/sync/{commons.hex()}/missing"
        with (
            self.pulls.tracking(peer, commons, coming) as received,
            self.http.stream("POST", url, content=body) as r,
        ):
            if not r.is_success:
                r.read()
                raise_for(r)
            items = iter_cbor_seq(r.iter_bytes(), deadline=time.monotonic() + PULL_SECONDS)
            header = next(items, None)
            heads = header.get("heads") if isinstance(header, dict) else None
            if not isinstance(heads, list) or not all(
                isinstance(h, bytes) and len(h) == 32 for h in heads
            ):
                raise fault(BadInput, NO_HEADS, peer=peer)
            # One ingest for the whole stream: events are checked ahead while earlier ones
            # are folded, and each transaction commits on its own.
            raws = (item for item in items if isinstance(item, bytes))
            added = self._ingest(raws, peer, commons, received)["added"]
        return added, heads

    def _push(self, peer: str, commons: bytes, their_heads: list[bytes]) -> int:
        store = self.home.store
        with self.lock:
            cid = store.commons_cid(commons)
        ids = missing_ids(store, cid, their_heads, self.lock) if cid is not None else []
        if not ids:  # None: they hold nothing we know of; they pull it if they follow it
            return 0
        pushed = 0
        for start in range(0, len(ids), MAX_RECEIVED):
            with self.lock:
                raws = [store.event(eid).raw for eid in ids[start : start + MAX_RECEIVED]]
            pushed += self._push_raws(peer, commons, raws) or 0
        return pushed

    # -- following -------------------------------------------------------------------------

    def follow(self, target: str) -> dict[str, Any]:
        """Follow a commons by link (fetching it from the link's peer) or by id or name."""
        if target.startswith("communs://"):
            commons, peer = parse_link(target)
            if peer and self.own_url and peer == normalize_url(self.own_url):
                peer = None  # our own link: the commons is here already
            if peer:
                check_link(self.http, peer, commons, self.own_url)  # else nothing is followed
            self.local.follow(commons)
            if peer:
                self.local.add_peer(peer)
                result = self.sync_commons(peer, commons)
                self.wake()
                return {"id": commons.hex(), **result}
            return {"id": commons.hex()}
        with self.lock:
            commons = self.home.commons_id(target)
        self.local.follow(commons)
        self.wake()
        return {"id": commons.hex()}

    def link(self, ref: str) -> str:
        with self.lock:
            commons = self.home.commons_id(ref)
        return link_to(commons, self.own_url)

    # -- background ------------------------------------------------------------------------

    def closing(self) -> None:
        """The node is stopping: background jobs and live streams end now."""
        self._stop.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wake(self) -> None:
        """Run a background round now (a peer or a follow was added)."""
        self._wake.set()

    def start(self) -> None:
        for target, name in ((self._loop, "sync loop"), (self._pusher, "pusher")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.work.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.work.stop()
        if self._http is not None:
            self._http.close()

    def _loop(self) -> None:
        _ = self.http  # made now, not on the first fetch someone waits for
        while not self._stop.is_set():
            now = time.monotonic()
            for peer in self.local.peers():
                url = peer["url"]
                if url == self.own_url:
                    continue
                if url not in self._live or not self._live[url].is_alive():
                    # It syncs as soon as it connects: no round here, or we would pull twice.
                    self._live[url] = threading.Thread(
                        target=self._subscribe, args=(url,), name=f"live {url}", daemon=True
                    )
                    self._live[url].start()
                elif peer["retry_at"] <= now:
                    self.sync(url)
            with self.lock:  # events that waited for their parents too long
                self.home.ingestor.expire_pending()
            self._wake.wait(INTERVAL * random.uniform(0.8, 1.2))
            self._wake.clear()
