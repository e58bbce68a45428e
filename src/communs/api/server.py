"""``communs serve``: the HTTP API and the node's background jobs, until SIGTERM or SIGINT."""

import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from ..core.errors import BadInput
from ..node.home import Home
from ..node.lock import NodeLock
from ..node.service import Service
from .app import create_app


def parse_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise BadInput(f"--listen {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:8470")
    return host.strip("[]") or "127.0.0.1", int(port)


def serve(
    home_path: Any, listen: str = "127.0.0.1:8470", started: Callable[[str], None] | None = None
) -> None:
    host, port = parse_listen(listen)
    home = Home(home_path)
    lock = NodeLock(home.path)
    try:
        lock.acquire()
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            raise BadInput(
                f"cannot listen on {host}:{port}: {error.strerror}; choose another --listen address"
            ) from None
        port = sock.getsockname()[1]
        url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
        service = Service(home)
        app = create_app(service)
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        server = uvicorn.Server(config)
        lock.announce(url)
        if started:
            started(url)
        server.run(sockets=[sock])
    finally:
        lock.release()
        home.close()
