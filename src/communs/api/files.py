"""Files on the node's HTTP face: add and serve blobs, fetch them from peers, follow the
transfers of the node's BitTorrent peer, and the policy and quotas for files. (Blobs as
torrents and the tracker are in ``tracker``.)"""

import base64
import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ..core.errors import BadInput
from ..domain.refusals import code, fault
from ..node import HAVE_MAX, Service
from ..web import uploads

TORRENT_NOT_BASE64 = code("torrent_not_base64", "torrent: expected the .torrent file in base64")


class FetchBody(BaseModel):
    peers: list[str] = Field(default_factory=list, description="peer node URLs to ask")
    torrent: str | None = Field(
        None, description="base64 of any .torrent of the file, to fetch it from its swarm"
    )


class HaveBody(BaseModel):
    hashes: list[str] = Field(
        default_factory=list, max_length=HAVE_MAX, description="file hashes (hex SHA-256)"
    )


class FilePolicyBody(BaseModel):
    commons: str | None = Field(None, description="a commons (id, prefix or name); none: node")
    fetch: Literal["eager", "lazy"] | None = None
    quota: str | None = Field(None, description='bytes, e.g. "2GiB", or "none"')


def add_file_routes(app: FastAPI, service: Service, writes: list[Any]) -> None:
    """Mount the file routes; ``writes``: the dependencies of routes that write (the API
    token)."""
    s, W = service, writes  # noqa: N806  (W, as in app.py)

    @app.post("/api/blobs", dependencies=W)
    async def blob_add(request: Request, name: str | None = None) -> dict[str, Any]:
        spooled = await spool(request, s)
        try:  # the spooled upload becomes the blob: read once more to hash it, not copied
            info = await run_in_threadpool(s.blob_take, spooled, name)
        finally:
            spooled.unlink(missing_ok=True)
        return {"hash": info.hex, "size": info.size, "media": info.media}

    @app.api_route("/api/blobs/{blob}", methods=["GET", "HEAD"], response_class=FileResponse)
    def blob(blob: str) -> FileResponse:
        """The file's bytes; HTTP Range requests resume interrupted downloads. Only what
        is here: peers ask each other this, so it never fetches (that could go round in
        circles); a page showing a missing file fetches it (lazy policy)."""
        with s.blob_open(blob) as stream:
            path = stream.name
        return FileResponse(path, media_type="application/octet-stream")

    @app.post("/api/blobs/have")
    def blobs_have(body: HaveBody) -> dict[str, Any]:
        """Which of these files this node holds (at most 10,000 hashes per question): a peer
        fetching the files of a commons asks for those only."""
        return {"have": s.blobs_held(body.hashes)}

    @app.post("/api/blobs/{blob}/fetch", dependencies=W)
    def blob_fetch(blob: str, body: FetchBody) -> dict[str, Any]:
        """Fetch a file from peers (``peers``; default: every known peer). Small files are
        here when this answers; large ones come through the swarm: follow them at
        ``/api/blobs/{blob}/transfer``."""
        torrent = None
        if body.torrent is not None:
            try:
                torrent = base64.b64decode(body.torrent, validate=True)
            except ValueError:
                raise fault(BadInput, TORRENT_NOT_BASE64) from None
        return s.blob_fetch(blob, body.peers or None, None, torrent)

    @app.get("/api/blobs/{blob}/transfer")
    def blob_transfer(blob: str, wait: float = 0.0) -> dict[str, Any]:
        """Where a fetch stands: state, bytes done, rate, ETA, peers, via. ``wait``: answer
        as soon as the transfer ends, or after that many seconds (at most 10)."""
        return s.blob_transfer(blob, wait)

    @app.get("/api/files/missing")
    def files_missing(commons: str | None = None) -> list[dict[str, Any]]:
        """The files the followed commons (or ``commons``) show that are not on this node:
        ``{commons, hash, path, size}`` each."""
        return s.files_missing(commons)

    @app.get("/api/swarm")
    def swarm() -> dict[str, Any]:
        """This node's BitTorrent peer: its port (null when it runs none), the files it
        seeds and its transfers. Peers connect to this port to fetch large files."""
        return s.swarm_status()

    @app.get("/api/files/policy")
    def file_policy(commons: str | None = None) -> dict[str, Any]:
        """How files are fetched (eager|lazy) and the disk quota, for a commons or the node."""
        return s.file_policy(commons)

    @app.post("/api/files/policy", dependencies=W)
    def set_file_policy(body: FilePolicyBody) -> dict[str, Any]:
        return s.file_policy(body.commons, body.fetch, body.quota)


async def spool(request: Request, service: Service) -> Path:
    """Write a request body to a temporary file as it arrives: uploads are never held whole.
    Refused (413) before any byte is read if it says it is above the limit, and removed as
    soon as it passes the limit otherwise."""
    uploads.bound(request)
    handle = tempfile.NamedTemporaryFile(dir=service.spool_dir(), delete=False)
    try:
        with handle:
            async for chunk in request.stream():
                handle.write(chunk)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return Path(handle.name)
