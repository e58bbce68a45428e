"""The guard in front of the node's whole HTTP face (pages, API, sync, static files).

- **Host**: a request must name the node by one of its names: the loopback names
  (``localhost``, ``127.0.0.1``, ``[::1]``), any IP address (a page can only reach the node
  under an IP address if that address is the node's own, so no DNS rebinding goes through
  it: LAN peers reach a node by its address), and the names given with
  ``communs serve --hostname``. Anything else is refused with 421.
- **Origin**: a state-changing request (anything but GET, HEAD, OPTIONS) that carries an
  ``Origin`` (or, without one, a ``Referer``) must come from the node's own origin, sign-in
  and registration included; else 403. Peers and the CLI send neither.
- **Headers**: every answer carries a Content-Security-Policy (scripts only from the node,
  no framing), ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff`` and
  ``Referrer-Policy: same-origin``; a blob's bytes from ``/api/blobs/HASH`` are sent as a
  sandboxed download, as the web route does.
"""

import ipaddress
import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
BLOB_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"
HEADERS = {
    b"content-security-policy": CSP.encode(),
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
}


def _split_host(host: str) -> tuple[str, str | None]:
    """``name`` and ``port`` of a Host header (``[::1]:8470`` → ``[::1]``, ``8470``)."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return host, None
        name, rest = host[: end + 1], host[end + 1 :]
        return name, rest[1:] if rest.startswith(":") else None
    if host.count(":") == 1:
        name, port = host.split(":")
        return name, port
    return host, None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


class Guard:
    """ASGI middleware: checks Host and Origin, adds the security headers."""

    def __init__(self, app: ASGIApp, hostnames: Iterable[str] | None = ()):
        self.app = app
        self.any_host = hostnames is None
        self.names = {*LOOPBACK, *(_split_host(h)[0] for h in hostnames or ())}

    def host_allowed(self, host: str) -> bool:
        if self.any_host:
            return True
        name, port = _split_host(host)
        if port is not None and not port.isdigit():
            return False
        return name in self.names or _is_ip(name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if not self.host_allowed(host):
            await _refuse(
                scope,
                send,
                421,
                f"this node does not answer to the name {host!r}: open it by its own "
                "address (http://127.0.0.1:PORT), or start it with "
                "'communs serve --hostname NAME' to serve it under that name",
            )
            return
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            source = headers.get("origin") or headers.get("referer")
            if source is not None and not self.same_origin(source, scope, host):
                await _refuse(
                    scope,
                    send,
                    403,
                    f"refused: this request comes from another site ({source[:100]!r}); "
                    "actions on this node can only be taken from its own pages",
                )
                return
        path = scope.get("path", "")
        blob = path.startswith("/api/blobs/") and path.count("/") == 3

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS.items() if k not in present]
                if blob:
                    extra = [(k, v) for k, v in extra if k != b"content-security-policy"]
                    given = dict((k.lower(), v) for k, v in message.get("headers", []))
                    # A route's own download (a .torrent with its file's name) stays as it is.
                    download = given.get(b"content-disposition", b"").startswith(b"attachment")
                    dropped = (b"content-security-policy",) + (
                        () if download else (b"content-disposition",)
                    )
                    headers = message.get("headers", [])
                    kept = [(k, v) for k, v in headers if k.lower() not in dropped]
                    kept.append((b"content-security-policy", BLOB_CSP.encode()))
                    if not download:
                        name = path.rsplit("/", 1)[1].encode("latin-1", "replace")
                        kept.append(
                            (b"content-disposition", b'attachment; filename="' + name + b'"')
                        )
                    message["headers"] = kept
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def same_origin(source: str, scope: Scope, host: str) -> bool:
        if source == "null":
            return False
        parts = urlsplit(source)
        scheme = scope.get("scheme", "http")
        if scheme == "ws":
            scheme = "http"
        elif scheme == "wss":
            scheme = "https"
        return parts.scheme == scheme and parts.netloc.lower() == host.strip().lower()


async def _refuse(scope: Scope, send: Send, status: int, detail: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps({"detail": detail, "status": status}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *HEADERS.items(),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
