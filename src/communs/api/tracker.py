"""BitTorrent on the node's HTTP face: each blob as a torrent, and a small tracker.

``GET /api/blobs/{hash}.torrent`` and ``GET /api/blobs/{hash}/magnet`` describe a blob as a
hybrid (v1 + v2) torrent whose web seed is this node's ``/api/blobs/{hash}`` and whose tracker
is this node's ``/announce``, both at the address the asker reached the node at.

``GET /announce`` is an HTTP tracker (BEP 3) answering compact peer lists (BEP 23; IPv6 peers
in ``peers6``, BEP 7). It keeps peers in memory only, forgets those not heard from for
``EXPIRY`` seconds, and takes a peer's address from its connection, never from the request
(an ``ip`` parameter is ignored: nobody can announce someone else). Malformed announces get a
bencoded ``failure reason``, with HTTP 200 as clients expect.
"""

import ipaddress
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import libtorrent as lt
from fastapi import FastAPI, Request
from fastapi.responses import Response

from ..node import Service, torrents

INTERVAL = 900  # seconds a client is asked to wait between two announces
MIN_INTERVAL = 60
EXPIRY = 1800  # seconds after which a peer that did not announce again is forgotten
NUMWANT = 50  # peers given when the client does not say how many it wants
MAX_NUMWANT = 200
MAX_SWARMS = 10_000  # info hashes tracked at once: a flood cannot eat the node's memory
MAX_PEERS = 2_000  # peers per info hash
EVENTS = {b"", b"started", b"completed", b"stopped", b"paused"}


class AnnounceError(Exception):
    """A request the tracker refuses; the message is sent as ``failure reason``."""


@dataclass
class Peer:
    peer_id: bytes
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    port: int
    seeder: bool
    seen: float


class Tracker:
    """Peers per info hash, in memory. Thread-safe."""

    def __init__(
        self,
        *,
        interval: int = INTERVAL,
        expiry: float = EXPIRY,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.interval, self.expiry, self.clock = interval, expiry, clock
        self.swarms: dict[bytes, dict[tuple[Any, int], Peer]] = {}
        self._lock = threading.Lock()
        self._swept = clock()

    def announce(self, query: bytes, host: str | None) -> dict[bytes, Any]:
        """Answer a raw announce query string (binary info hash and peer id are URL-escaped)
        from the client at ``host``: a bencodable dictionary (AnnounceError if refused)."""
        params = _parse(query)
        info_hash = _one(params, b"info_hash", length=20)
        peer_id = _one(params, b"peer_id", length=20)
        port = _integer(params, b"port", required=True)
        if not 0 < port < 65536:
            raise AnnounceError(f"port {port} is not a port number (1 to 65535)")
        left = _integer(params, b"left")
        for name in (b"uploaded", b"downloaded"):
            _integer(params, name)
        event = params.get(b"event", [b""])[0]
        if event not in EVENTS:
            raise AnnounceError(
                f"unknown event {event.decode(errors='replace')!r}: "
                "expected started, completed, stopped, paused or none"
            )
        wanted = _integer(params, b"numwant")
        wanted = NUMWANT if wanted is None else min(wanted, MAX_NUMWANT)
        compact = params.get(b"compact", [b"1"])[0] != b"0"
        with_ids = params.get(b"no_peer_id", [b"0"])[0] != b"1"
        ip = _address(host)
        key = (ip, port)
        now = self.clock()
        with self._lock:
            if now - self._swept > MIN_INTERVAL:
                self._sweep(now)
            swarm = self.swarms.get(info_hash)
            if event == b"stopped":
                if swarm is not None:
                    swarm.pop(key, None)
                    if not swarm:
                        del self.swarms[info_hash]
                return self._answer(swarm or {}, [], compact, with_ids)
            if swarm is None:
                if len(self.swarms) >= MAX_SWARMS:
                    raise AnnounceError("this tracker follows too many torrents; retry later")
                swarm = self.swarms[info_hash] = {}
            if key not in swarm and len(swarm) >= MAX_PEERS:
                raise AnnounceError("this torrent has as many peers as this tracker keeps")
            seeder = left == 0 or event == b"completed"
            swarm[key] = Peer(peer_id, ip, port, seeder, now)
            others = [p for k, p in swarm.items() if k != key and p.peer_id != peer_id]
            chosen = random.sample(others, min(wanted, len(others)))
            return self._answer(swarm, chosen, compact, with_ids)

    def _answer(
        self, swarm: dict[Any, Peer], chosen: list[Peer], compact: bool, with_ids: bool
    ) -> dict[bytes, Any]:
        seeders = sum(p.seeder for p in swarm.values())
        answer: dict[bytes, Any] = {
            b"interval": self.interval,
            b"min interval": min(MIN_INTERVAL, self.interval),
            b"complete": seeders,
            b"incomplete": len(swarm) - seeders,
        }
        if not compact:
            answer[b"peers"] = [
                {
                    **({b"peer id": p.peer_id} if with_ids else {}),
                    b"ip": str(p.ip).encode(),
                    b"port": p.port,
                }
                for p in chosen
            ]
            return answer
        answer[b"peers"] = b"".join(
            p.ip.packed + p.port.to_bytes(2, "big") for p in chosen if p.ip.version == 4
        )
        six = [p.ip.packed + p.port.to_bytes(2, "big") for p in chosen if p.ip.version == 6]
        if six:
            answer[b"peers6"] = b"".join(six)
        return answer

    def _sweep(self, now: float) -> None:
        for info_hash, swarm in list(self.swarms.items()):
            for key, peer in list(swarm.items()):
                if now - peer.seen > self.expiry:
                    del swarm[key]
            if not swarm:
                del self.swarms[info_hash]
        self._swept = now


def add_tracker_routes(app: FastAPI, tracker: Tracker | None = None) -> Tracker:
    """Mount ``GET /announce`` on ``app`` (ahead of the routes already there); the tracker."""
    tracker = tracker or Tracker()
    before = len(app.router.routes)

    @app.get("/announce", response_class=Response, tags=["bittorrent"])
    async def announce(request: Request) -> Response:
        """BitTorrent tracker (BEP 3, compact peers BEP 23): a bencoded dictionary."""
        try:
            answer = tracker.announce(
                request.scope.get("query_string", b""),
                request.client.host if request.client else None,
            )
        except AnnounceError as error:
            answer = {b"failure reason": str(error).encode()}
        return Response(lt.bencode(answer), media_type="text/plain")

    _first(app, before)
    return tracker


def add_torrent_routes(app: FastAPI, service: Service) -> None:
    """Mount ``GET /api/blobs/{hash}.torrent`` and ``GET /api/blobs/{hash}/magnet`` on
    ``app``, ahead of the routes already there (``/api/blobs/{hash}`` would take the first)."""
    before = len(app.router.routes)

    def made(blob: str, request: Request, name: str | None) -> bytes:
        base = str(request.base_url).rstrip("/")
        return service.torrent(
            blob,
            name=name,
            web_seed=f"{base}/api/blobs/{blob.lower()}",
            tracker=f"{base}/announce",
        )

    @app.get(
        "/api/blobs/{blob}.torrent",
        response_class=Response,
        responses={200: {"content": {"application/x-bittorrent": {}}}},
        tags=["bittorrent"],
    )
    def blob_torrent(blob: str, request: Request, name: str | None = None) -> Response:
        """The file as a hybrid (v1 + v2) torrent: this node as its web seed and tracker;
        ``name``: the file name clients save it under (default: its hash). Made once per
        file (hashing a large file takes a while the first time)."""
        torrent = made(blob, request, name)
        shown = torrents.display_name(name, blob.lower())
        return Response(
            torrent,
            media_type="application/x-bittorrent",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(shown)}.torrent"},
        )

    @app.get("/api/blobs/{blob}/magnet", tags=["bittorrent"])
    def blob_magnet(blob: str, request: Request, name: str | None = None) -> dict[str, str]:
        """The file's magnet link, with its v1 (btih) and v2 (btmh) info hashes: those of the
        torrent every node seeds; ``name`` is only the name shown (``dn``)."""
        torrent = made(blob, request, None)
        v1, v2 = torrents.info_hashes(torrent)
        return {"magnet": torrents.magnet(torrent, name=name), "btih": v1, "btmh": v2}

    _first(app, before)


# -- internals ---------------------------------------------------------------------------


def _first(app: FastAPI, before: int) -> None:
    """Move the routes added since there were ``before`` ahead of the others: Starlette takes
    the first route that matches, and ``create_app`` ends with a catch-all mount of the web
    app. A path already routed keeps its route, so wiring twice changes nothing."""
    routes = app.router.routes
    added = routes[before:]
    del routes[before:]
    taken = {getattr(route, "path", None) for route in routes} - {None}
    routes[0:0] = [route for route in added if getattr(route, "path", None) not in taken]


def _parse(query: bytes) -> dict[bytes, list[bytes]]:
    """A query string as bytes: info hashes and peer ids are binary, not text."""
    params: dict[bytes, list[bytes]] = {}
    for pair in query.split(b"&"):
        if pair:
            name, _, value = pair.partition(b"=")
            params.setdefault(_unescape(name), []).append(_unescape(value))
    return params


def _unescape(text: bytes) -> bytes:
    return unquote_to_bytes(text.replace(b"+", b" "))


def _one(params: dict[bytes, list[bytes]], name: bytes, *, length: int) -> bytes:
    values = params.get(name)
    if not values or len(values) != 1:
        raise AnnounceError(f"missing {name.decode()} (exactly one is needed)")
    if len(values[0]) != length:
        raise AnnounceError(
            f"{name.decode()} must be {length} bytes, URL-escaped; got {len(values[0])}"
        )
    return values[0]


def _integer(params: dict[bytes, list[bytes]], name: bytes, required: bool = False) -> int | None:
    values = params.get(name)
    if not values:
        if required:
            raise AnnounceError(f"missing {name.decode()}")
        return None
    text = values[0]
    if not text.isdigit() or len(text) > 19:
        raise AnnounceError(f"{name.decode()} must be a non-negative integer")
    return int(text)


def _address(host: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        ip = ipaddress.ip_address(host or "")
    except ValueError:
        raise AnnounceError("this tracker cannot tell your IP address") from None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip
