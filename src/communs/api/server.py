"""``communs serve``: the HTTP API and the node's background jobs, until SIGTERM or SIGINT."""

import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from ..core.errors import BadInput
from ..domain.refusals import code, fault
from ..node import Home, NodeLock, Service
from .app import create_app

SWITCH_INTERVAL = 0.001  # seconds
NOT_HOST_PORT = code(
    "listen_not_host_port", "{option} '{listen}': expected HOST:PORT, e.g. 127.0.0.1:8470"
)
# {error}: the system's own words for why (the address is taken, not this machine's...).
CANNOT_LISTEN = code(
    "cannot_listen", "cannot listen on {host}:{port}: {error}; choose another --listen address"
)


class NodeServer(uvicorn.Server):
    """uvicorn, stopping gracefully on SIGTERM/SIGINT but then returning instead of raising
    the signal again, so that the node closes its home, its lock and its threads."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]):
        super().__init__(config)
        self.on_exit = on_exit

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()
        self.on_exit()  # ends live streams at once: shutdown need not wait for subscribers


def parse_listen(listen: str, option: str = "--listen") -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise fault(BadInput, NOT_HOST_PORT, option=option, listen=listen)
    return host.strip("[]") or "127.0.0.1", int(port)


def bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it every small response waits ~40 ms for a delayed acknowledgement.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise fault(
            BadInput, CANNOT_LISTEN, host=host, port=port, error=str(error.strerror)
        ) from None
    return sock


def serve(
    home_path: str | Path | None,
    listen: str = "127.0.0.1:8470",
    *,
    lan: bool = False,
    hub: bool = False,
    bittorrent: str | None = None,
    public: bool = False,
    limits: tuple[int, int] = (0, 0),
    hostnames: tuple[str, ...] = (),
    started: Callable[[str], None] | None = None,
) -> None:
    """Run until SIGINT/SIGTERM; uvicorn then finishes open requests and we close cleanly."""
    # A thread folding a big push holds the GIL for up to the switch interval each time the
    # event loop wants it, and a request wants it many times: 1 ms, not 5, keeps pages quick.
    sys.setswitchinterval(SWITCH_INTERVAL)
    host, port = parse_listen(listen)
    home = Home(home_path)
    lock = NodeLock(home.path)
    try:
        lock.acquire()
    except BaseException:
        home.close()
        raise
    service = Service(home)
    discovery = None
    try:
        sock = bind(host, port)
        port = sock.getsockname()[1]
        url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        service.serving_at(url)
        if bittorrent != "off":
            bt_host, bt_port = parse_listen(bittorrent or f"{host}:0", "--bittorrent")
            service.start_swarm(
                f"{f'[{bt_host}]' if ':' in bt_host else bt_host}:{bt_port}",
                public=public,
                tracker=f"{url}/announce",
                download_limit=limits[0],
                upload_limit=limits[1],
            )
        config = uvicorn.Config(
            create_app(service, hub=hub, hostnames=(*hostnames, host)),
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        server = NodeServer(config, on_exit=service.closing)
        sock.listen(128)  # before the address is announced: early callers wait, not fail
        if lan:
            from ..node import LanDiscovery

            discovery = LanDiscovery(host, port, on_found=service.lan_peer)
            discovery.start()
        lock.announce(url)
        if started:
            started(url)
        server.run(sockets=[sock])
    finally:
        if discovery:
            discovery.stop()
        lock.release()
        service.close()
