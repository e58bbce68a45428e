"""Servers for the hostile-peer tests.

``HostilePeer`` speaks just enough of the sync protocol (see ``communs.node.peers.sync``) to feed a
victim node whatever a test wants: bad events, broken CBOR, wrong JSON, endless streams. It
is a plain ``ThreadingHTTPServer``, so every byte it sends is under the test's control.

``serve_app`` runs an ASGI app (a real node's, from ``create_app``) with uvicorn in a
background thread, on a free loopback port.
"""

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import cbor2
import uvicorn

CBOR_SEQ = "application/cbor-seq"


@dataclass
class Reply:
    """An answer: ``body`` is bytes (sent with a length) or chunks (streamed, then closed)."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    content_type: str = CBOR_SEQ


def json_reply(value: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(value).encode(), "application/json")


def cbor_seq(*items: Any) -> bytes:
    return b"".join(cbor2.dumps(item) for item in items)


def missing_reply(raws: Iterable[bytes], heads: list[bytes] | None = None) -> Reply:
    """What an honest server would answer to ``/missing``, carrying ``raws``."""
    return Reply(body=cbor_seq({"heads": heads or [], "unknown": []}, *raws))


@dataclass
class HostilePeer:
    """Answers ``/sync/{commons}/{info,missing,events}`` and ``/sync/live`` as told.

    ``replies`` maps an endpoint ("info", "missing", "events", "live") to a ``Reply`` or to a
    function of the request body returning one; unset endpoints answer like an honest peer
    holding nothing. Every request is recorded in ``requests`` as (method, path, body).
    """

    replies: dict[str, Reply | Callable[[bytes], Reply]] = field(default_factory=dict)
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)
    streamed: int = 0  # bytes of the last streamed body that were sent
    cut_off: bool = False  # the client hung up while a body was streamed
    stopping: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def reply(self, method: str, endpoint: str, commons: str, body: bytes) -> Reply:
        answer = self.replies.get(endpoint)
        if callable(answer):
            return answer(body)
        if answer is not None:
            return answer
        if endpoint == "info":
            return json_reply({"id": commons, "heads": [], "ancestors": []})
        if endpoint == "missing":
            return missing_reply([])
        if endpoint == "events":
            return json_reply({"added": 0, "duplicates": 0, "pending": 0, "refused": []})
        if endpoint == "live":
            return Reply(body=iter([cbor2.dumps({"live": True}), cbor2.dumps({})]))
        return json_reply({"ok": False, "error": "no such endpoint", "status": 404}, 404)

    def stream(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """``chunks``, stopping when the peer is stopped."""
        for chunk in chunks:
            if self.stopping.is_set():
                return
            yield chunk


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request a connection; a streamed body ends on close
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._answer("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._answer("POST")

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, method: str) -> None:
        peer = self.server.peer
        body = self._body()
        path = self.path.split("?")[0]
        peer.requests.append((method, self.path, body))
        parts = path.strip("/").split("/")
        endpoint = parts[-1] if parts[0] == "sync" else ""
        commons = parts[1] if len(parts) == 3 else ""
        reply = peer.reply(method, endpoint, commons, body)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            if isinstance(reply.body, bytes | bytearray):
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
                return
            self.end_headers()
            peer.streamed, peer.cut_off = 0, False
            for chunk in peer.stream(reply.body):
                self.wfile.write(chunk)
                peer.streamed += len(chunk)
        except OSError:  # the client hung up
            peer.cut_off = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    peer: HostilePeer


@contextmanager
def hostile_peer() -> Iterator[HostilePeer]:
    peer = HostilePeer()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.peer = peer
    peer.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        peer.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serve_app(
    app: Any, sock: socket.socket | None = None, *, lifespan: str = "off", timeout: float = 10.0
) -> Iterator[str]:
    """Run an ASGI app on a free loopback port (or ``sock``) in a thread; yield its URL.

    The socket is made with ``proto=IPPROTO_TCP``: asyncio sets TCP_NODELAY only on such
    sockets, and without it every response waits ~40 ms for a delayed ACK (Nagle). The
    lifespan is off by default: a node's app then serves without starting its background
    sync jobs (whose shutdown takes a second)."""
    if sock is None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="critical", access_log=False, lifespan=lifespan)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)
        sock.close()
