"""The node: everything between the core and the faces (web, API, CLI), which import this
package only — never its parts.

``Service`` is the one door: every operation a person can take, JSON in and out, and every
read a page makes; ``HttpService`` is its twin over a running node's HTTP API. Behind them:

- ``writing`` — the one write path (verify → store → order → authorize → apply);
- ``home`` — the home on disk: its folder, identities, lock and token, local state;
- ``files`` — blobs, fetching files, the BitTorrent swarm, detached erasable texts;
- ``peers`` — replication with other nodes, live streams, admission, LAN discovery;
- ``actions`` — what people do, signed through ``Home.emit``; export, import, the demo;
- ``reads`` — JSON-ready views for people and programs;
- ``http`` — talking HTTP to other nodes (plumbing any part may use).

Each subpackage's docstring says what it may import; the layer test keeps it so.
"""

import importlib
from typing import Any

# name -> (module, attribute or None for the module itself). Loaded when first asked for, so
# that a part started on its own (the verifier's helper process) imports only what it uses,
# and libtorrent or zeroconf load only for the commands that need them.
_FACE: dict[str, tuple[str, str | None]] = {
    "Service": (".service", "Service"),
    "HttpService": (".client", "HttpService"),
    "Actor": (".home.folder", "Actor"),
    "Home": (".home.folder", "Home"),
    "default_home": (".home.folder", "default_home"),
    "NodeLock": (".home.lock", "NodeLock"),
    "ensure_token": (".home.lock", "ensure_token"),
    "running_node": (".home.lock", "running_node"),
    "normalize_url": ("..store.local", "normalize_url"),
    "BlobStore": (".files.blobs", "BlobStore"),
    "blob_hash": (".files.blobs", "blob_hash"),
    "HAVE_MAX": (".files.fetching", "HAVE_MAX"),
    "human": (".files.fetching", "human"),
    "parse_size": (".files.fetching", "parse_size"),
    "torrents": (".files.torrents", None),
    "Busy": (".peers.scheduler", "Busy"),
    "HEARTBEAT": (".peers.propagation", "HEARTBEAT"),
    "Lanes": (".peers.lanes", "Lanes"),
    "MAX_BODY": (".peers.replication", "MAX_BODY"),
    "Replicator": (".peers.replication", "Replicator"),
    "encode_stream": (".peers.sync", "encode_stream"),
    "link_to": (".peers.wire", "link_to"),
    "LanDiscovery": (".peers.discovery", "LanDiscovery"),
    "governing": (".actions.governing", None),
    "is_text": (".actions.merge", "is_text"),
    "PERSONAL_FIELDS": (".personal_ops", "FIELDS"),
    "queries": (".reads.queries", None),
    "hexed": (".reads.queries", "hexed"),
    "Counting": (".http", "Counting"),
    "raise_for": (".http", "raise_for"),
}
__all__ = sorted(_FACE)


def __getattr__(name: str) -> Any:
    if name not in _FACE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, attribute = _FACE[name]
    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # found once, then a plain attribute
    return value
