"""Is this address a Communs node? Asked before a peer is added or a link followed, so that a
typo, any other web server, this node's own address or a commons the peer lacks is refused
at once instead of failing every sync."""

import socket
from typing import Any
from urllib.parse import urlparse

from ...core.errors import BadInput, Refused, Unreachable
from ...domain.refusals import code, fault
from ...store.local import normalize_url

PROBE_SECONDS = 5.0
# Fields only a Communs node's GET /api/node answers with.
_NODE_FIELDS = ("version", "pending_events", "follows")

OWN_ADDRESS = code(
    "peer_own_address", "{url} is this node's own address: give another node's address"
)
UNKNOWN_HOST = code(
    "peer_unknown_host",
    "'{host}' is not a host name this machine knows: check the address (for example "
    "10.0.0.5:8470, as `communs serve` prints it)",
)
NOT_A_NODE = code(
    "peer_not_a_node",
    "{url} answers, but it is not a Communs node (HTTP {status}): give the address a node "
    "prints when it starts (`communs serve`)",
)
NODE_ITSELF = code("peer_is_this_node", "{url} is this node itself: give another node's address")
LINK_PEER_DOWN = code(
    "link_peer_down",
    "the peer {peer} did not answer: is its node running at that address? Follow the link "
    "again once it is",
)
LINK_PEER_LACKS = code(
    "link_peer_lacks_commons",
    "the peer {peer} does not hold the commons {commons}: ask whoever shared the link for a "
    "new one (`communs commons link` on their node)",
)


def probe_peer(http: Any, url: str, own_url: str | None) -> tuple[str, str | None]:
    """``(the normalized address, a warning or None)``. ``BadInput`` for an address that
    cannot be a peer, ``Refused`` for one that is not another Communs node. A node that does
    not answer now is only a warning: a laptop that is off is still a peer (syncs try again,
    and `peer list` shows why they fail)."""
    import httpx  # the node's client is made of it; loaded by then

    url = normalize_url(url)
    if own_url and url == normalize_url(own_url):
        raise fault(Refused, OWN_ADDRESS, url=url)
    parsed = urlparse(url)
    host, port = parsed.hostname or "", parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise fault(BadInput, UNKNOWN_HOST, host=host) from None
    try:
        response = http.get(f"{url}/api/node", timeout=PROBE_SECONDS)
    except httpx.HTTPError as error:
        return url, (
            f"{url} did not answer now ({error.__class__.__name__}); it is added all the same "
            "and tried again at each sync: `communs peer list` shows how it goes"
        )
    try:
        info = response.json() if response.is_success else None
    except ValueError:
        info = None
    if not isinstance(info, dict) or not all(field in info for field in _NODE_FIELDS):
        raise fault(Refused, NOT_A_NODE, url=url, status=response.status_code)
    if own_url and info.get("url") and normalize_url(info["url"]) == normalize_url(own_url):
        raise fault(Refused, NODE_ITSELF, url=url)
    return url, None


def check_link(http: Any, peer: str, commons: bytes, own_url: str | None) -> None:
    """Before a link is followed: its peer is another Communs node, answers, and holds the
    commons — else nothing is followed and the person is told what to do."""
    peer, silent = probe_peer(http, peer, own_url)
    if silent:
        raise fault(Unreachable, LINK_PEER_DOWN, peer=peer)
    if http.get(f"{peer}/sync/{commons.hex()}/info", timeout=PROBE_SECONDS).status_code == 404:
        raise fault(Refused, LINK_PEER_LACKS, peer=peer, commons=commons.hex()[:12])
