"""Files travel with the events that name them, whichever way the events went.

A node that pushes events to a peer also sends it the files they name. The peer may be
unable to open a connection back (a node behind a NAT, a laptop with no public address), so
the node that could open one carries the files through it too:

- ``POST /sync/{commons}/files/wanted`` — which of these files (or, asked without any, which
  of the files the commons shows) the peer lacks and wants, by its own policy (a commons
  fetched lazily wants none);
- ``PUT /sync/{commons}/files/{hash}`` — one file, with its length. The receiver takes it
  only if the commons it holds shows it (its files and those of its open contributions), so
  nobody can fill its disk with files no event names; it checks the length the event signed
  and the quotas before a byte is written, then writes the file as it arrives while hashing
  it, and keeps it only if it matches its hash.

A node that receives events also fetches their files itself, from the peer that sent them
when it knows its address and from its other peers (``FileWork`` runs those fetches, and the
offers, on a thread of their own: events never wait for files).
"""

import hashlib
import heapq
import io
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from ...core.errors import BadInput, Refused
from ...domain.refusals import code, fault
from ..files.blobs import blob_hash
from ..files.fetching import HAVE_MAX, PEER_ERRORS, Fetcher
from ..home.shared import Shared
from ..http import raise_for
from .serving import SyncServer
from .wire import shape

log = logging.getLogger("communs.files")
EMPTY = hashlib.sha256(b"").digest()  # the one file whose signed size may be 0

NOT_NAMED = code(
    "file_not_named_here",
    "file {file} is not named by commons {commons} on this node (its files and open "
    "contributions): a node takes only the files of the events it holds; push the events "
    "first",
)
NO_LENGTH = code("upload_no_length", "send file {file} with its length (a Content-Length header)")
WRONG_SIZE = code(
    "upload_wrong_size",
    "file {file} is {signed} bytes by the events that name it, and the upload says {size}: "
    "nothing was kept",
)
NO_SIGNED_SIZE = code(
    "upload_no_signed_size",
    "file {file} has no size by the events that name it, and the upload says {size}: "
    "nothing was kept",
)
ALREADY_COMING = code(
    "upload_already_coming", "file {file} is already being received from another peer"
)
UPLOAD_SHORT = code(
    "upload_short",
    "the upload of file {file} ended {left} bytes short of its length: nothing was kept",
)
UPLOAD_LONG = code(
    "upload_long", "the upload of file {file} is longer than its length: nothing was kept"
)


class FileOffers:
    def __init__(
        self,
        shared: Shared,
        fetcher: Fetcher,
        server: SyncServer,
        http: Callable[[], httpx.Client],
    ):
        self.home, self.lock, self.local = shared.home, shared.lock, shared.local
        self.fetcher, self.server, self._http = fetcher, server, http
        self._taking = threading.Lock()

    # -- receiving -------------------------------------------------------------------------

    def wanted(self, ref: str, hashes: list[str] | None) -> list[str]:
        """Which of ``hashes`` (None: of every file the commons shows) this node lacks and
        wants; not those already coming."""
        with self.lock:
            commons, _ = self.server.commons(ref)
        if self.local.file_policy(commons)["fetch"] == "lazy":
            return []
        if hashes is None:
            missing = self.fetcher.missing(commons)
        else:  # only those: not a look at every file of the commons
            named = self.fetcher.named(commons)
            asked = (blob_hash(h) for h in hashes[:HAVE_MAX])
            missing = {b: named[b] for b in asked if b in named and not self.home.blobs.has(b)}
        return [
            blob.hex()
            for blob in list(missing)[:HAVE_MAX]
            if (missing[blob].size or blob == EMPTY)  # a base of unknown size is fetched
            and blob not in self.fetcher.incoming
            and not self._coming(blob)
        ]

    def _coming(self, blob: bytes) -> bool:
        """Whether the node's swarm is fetching ``blob`` already."""
        swarm = self.fetcher.swarm
        transfer = swarm.transfer(blob) if swarm is not None else None
        return transfer is not None and transfer.state in ("fetching", "verifying")

    def take(
        self, ref: str, name: str, length: str, read: Callable[[], bytes], peer: str
    ) -> dict[str, Any]:
        """Keep the file ``name`` a peer sends for commons ``ref``: ``read`` gives the body's
        chunks (b"" at its end), ``length`` is its declared length."""
        blob = blob_hash(name)
        with self.lock:
            commons, _ = self.server.commons(ref)
        if self.home.blobs.has(blob):
            return {"hash": name, "state": "done", "via": "here"}
        ref_ = self.fetcher.named(commons).get(blob)
        if ref_ is None:
            raise fault(Refused, NOT_NAMED, file=name[:12], commons=commons.hex()[:12])
        if not length.isdigit():
            raise fault(BadInput, NO_LENGTH, file=name[:12])
        size = int(length)
        if size != ref_.size:  # the signed size: nobody can stream more than it here
            if ref_.size or blob == EMPTY:
                raise fault(BadInput, WRONG_SIZE, file=name[:12], signed=ref_.size, size=size)
            raise fault(BadInput, NO_SIGNED_SIZE, file=name[:12], size=size)
        try:
            self.fetcher.check_quota(blob, size, commons)
        except Refused as refusal:
            self.local.refused(peer, commons, None, str(refusal))
            raise
        with self._taking:
            if blob in self.fetcher.incoming:
                raise fault(Refused, ALREADY_COMING, file=name[:12])
            self.fetcher.incoming.add(blob)
        started = time.monotonic()
        try:
            with io.BufferedReader(Upload(read, size, name)) as stream:
                info = self.home.blobs.add_stream(stream, expected=blob)
        except BadInput as error:
            self.local.refused(peer, commons, None, str(error))
            log.warning("file %s from %s refused: %s", name[:12], peer, error)
            raise
        finally:
            self.fetcher.incoming.discard(blob)
        return {
            "hash": name,
            "size": info.size,
            "state": "done",
            "via": "upload",
            "seconds": round(time.monotonic() - started, 3),
        }

    # -- sending ---------------------------------------------------------------------------

    def offer(
        self,
        peer: str,
        commons: bytes,
        blobs: Iterable[bytes] | None = None,
        own_url: str | None = None,
    ) -> dict[str, Any]:
        """Send ``peer`` the files among ``blobs`` (None: among those the commons shows) it
        lacks and wants and we hold: ``{"sent": n, "refused": [reasons]}``."""
        held = None if blobs is None else sorted({b for b in blobs if self.home.blobs.has(b)})
        outcome: dict[str, Any] = {"sent": 0, "refused": []}
        if held == []:
            return outcome
        headers = {"X-Communs-Node": own_url} if own_url else {}
        base = f"{peer}/sync/{commons.hex()}/files"
        questions = (
            [None]
            if held is None
            else [held[start : start + HAVE_MAX] for start in range(0, len(held), HAVE_MAX)]
        )
        for asked in questions:
            body = {} if asked is None else {"hashes": [b.hex() for b in asked]}
            response = self._http().post(f"{base}/wanted", json=body, headers=headers)
            if response.status_code in (404, 405):  # it does not hold that commons (yet)
                return outcome
            raise_for(response)
            wanted = shape(lambda r=response: [blob_hash(h) for h in r.json()["wanted"]])
            for blob in wanted:
                if not self.home.blobs.has(blob):
                    continue  # asked for everything it lacks: we may lack some too
                with self.home.blobs.open(blob) as file:
                    response = self._http().put(
                        f"{base}/{blob.hex()}", content=file, headers=headers
                    )
                if response.status_code in (400, 409):  # its quota, or a file already coming
                    reason = shape(lambda r=response: r.json()["error"])
                    outcome["refused"].append(reason)
                    log.info("file %s to %s refused: %s", blob.hex()[:12], peer, reason)
                    continue
                raise_for(response)
                outcome["sent"] += 1
        return outcome


class Upload(io.RawIOBase):
    """A request body read chunk by chunk from ``read`` (b"" at its end): exactly
    ``length`` bytes, or BadInput."""

    def __init__(self, read: Callable[[], bytes], length: int, name: str):
        self._read, self._left, self._name = read, length, name
        self._chunk = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._chunk:
            chunk = self._read()
            if not chunk:
                if self._left:
                    raise fault(BadInput, UPLOAD_SHORT, file=self._name[:12], left=self._left)
                return 0
            if len(chunk) > self._left:
                raise fault(BadInput, UPLOAD_LONG, file=self._name[:12])
            self._left -= len(chunk)
            self._chunk = memoryview(chunk)
        count = min(len(target), len(self._chunk))
        target[:count] = self._chunk[:count]
        self._chunk = self._chunk[count:]
        return count


class FileWork:
    """Fetches and offers of files, run one at a time on a thread of their own, each when
    it is due: the events that name the files never wait for them."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Callable[[], Any]]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop = False

    def later(self, job: Callable[[], Any], delay: float = 0.0) -> None:
        """Run ``job`` in ``delay`` seconds (dropped when this work does not run)."""
        if self._thread is None:
            return
        with self._changed:
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), job))
            self._changed.notify()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="files", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stop = True
            self._changed.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._stop and (not self._due or self._due[0][0] > time.monotonic()):
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._changed.wait(wait)
                if self._stop:
                    return
                _, _, job = heapq.heappop(self._due)
            try:
                job()
            except PEER_ERRORS as error:
                log.info("files: %s", error)
            except Exception:  # a bug must not end the thread that carries files
                log.exception("files: a job failed")
