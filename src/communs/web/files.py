"""The files of a commons: a file's page, its history, its bytes and its thumbnail.

A file's bytes come from the same origin as the site, so whatever a commons holds must never
run as a page of the site: every blob is served with ``X-Content-Type-Options: nosniff`` and
``Content-Security-Policy: sandbox``, and the types a browser would execute (HTML, SVG, XML,
JavaScript) are sent as downloads of ``application/octet-stream``. A blob is served only if
the commons in the address refers to it, so a commons cannot be used to reach the blobs of
another one held on the same node.
"""

import logging
import re
from collections import OrderedDict
from pathlib import PurePosixPath
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..core.errors import BadInput, CommunsError, NotFound
from ..domain.contributions import contribution_key
from ..node import metadata
from ..node.blobs import blob_hash
from ..node.service import Service
from . import media
from .app import Web
from .discussion import thread_for

TEXT_LIMIT = 1024 * 1024  # bytes of text shown on a file's page
IMMUTABLE = "public, max-age=31536000, immutable"  # a blob's bytes never change
HARDENING = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
# A media type as a browser reads it, with at most a charset: anything else (written by any
# peer) is not sent as a header.
_MEDIA = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_CHARSET = re.compile(r"^charset=[a-z0-9_.:-]+$")
_EXECUTABLE = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/xsl",
    "application/xslt+xml",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
    "text/ecmascript",
    "application/x-javascript",
    "text/vtt",  # harmless, but nothing needs it inline
    "application/pdf",  # has its own scripting; read it once downloaded
}


def served_type(recorded: str | None) -> tuple[str, bool]:
    """The Content-Type to send for a blob's recorded media type, and whether to send it as
    an attachment (a download) rather than inline."""
    parts = [p.strip() for p in (recorded or "").lower().split(";")]
    main = parts[0]
    if not _MEDIA.match(main) or any(not _CHARSET.match(p) for p in parts[1:] if p):
        return "application/octet-stream", True
    if (
        main in _EXECUTABLE
        or main.endswith(("+xml", "/xml"))
        or "html" in main
        or "script" in main
        or main == "multipart/x-mixed-replace"
    ):
        return "application/octet-stream", True
    charset = next((p for p in parts[1:] if p), None)
    return (f"{main}; {charset}" if charset else main), False


log = logging.getLogger("communs.web")


class References:
    """Which blobs a commons refers to (artifacts, their history, contributions), with a media
    type and a path for each: made by one scan of the records, kept while the heads stay."""

    def __init__(self, service: Service, size: int = 16):
        self.service = service
        self.size = size
        self._cache: OrderedDict[bytes, tuple[tuple[bytes, ...], dict]] = OrderedDict()

    def find(self, commons: bytes, blob: bytes) -> dict[str, str] | None:
        home = self.service.home
        with self.service.lock:
            cid = home.cid(commons)
            heads = tuple(home.store.heads(cid))
            cached = self._cache.get(commons)
            if cached is None or cached[0] != heads:
                cached = (heads, self._index(cid))
                self._cache[commons] = cached
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(commons)
        found = cached[1].get(blob)
        if found is None:
            return None
        if not found["media"] and home.blobs.has(blob):
            found["media"] = home.blobs.info(blob, name=found["path"]).media
        return found

    def _index(self, cid: int) -> dict[bytes, dict]:
        index: dict[bytes, dict] = {}

        def note(blob: Any, path: str, recorded: str = "") -> None:
            if not isinstance(blob, bytes):
                return
            known = index.get(blob)
            if known is None:
                index[blob] = {"path": path, "media": recorded or ""}
            elif recorded and not known["media"]:
                known["media"] = recorded

        store = self.service.home.store
        for key, record in store.scan_records(cid, "artifact/"):
            note(record.get("blob"), key[len("artifact/") :], record.get("media", ""))
        for _, record in store.scan_records(cid, "contribution/"):
            for revision in record.get("revisions") or []:
                for change in revision.get("changes") or []:
                    note(change.get("blob"), change.get("path", ""), change.get("media", ""))
                    note(change.get("base"), change.get("path", ""))
            for applied in record.get("applied") or []:
                note(applied.get("before"), applied.get("path", ""), applied.get("before_media"))
                note(applied.get("after"), applied.get("path", ""))
        for key, entry in store.scan_records(cid, "history/"):
            path = key[len("history/") :].rsplit("//", 1)[0]
            note(entry.get("before"), path)
            note(entry.get("after"), path)
        return index


def filesize(size: int | None) -> str:
    """1234567 → "1.2 MB"."""
    value = float(size or 0)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _blob_hash(value: str) -> bytes:
    try:
        return blob_hash(value)
    except BadInput as error:  # in a URL: no such page
        raise NotFound(str(error)) from None


def add_routes(web: Web) -> None:
    service = web.service
    home = service.home
    references = References(service)
    thumbs = home.path / "thumbs"
    web.templates.globals["filesize"] = filesize

    def json_flag(request: Request) -> bool:
        return bool(request.scope.get("state", {}).get("json"))

    def artifact_for(request: Request, ref: str, path: str) -> tuple[str, dict[str, Any]]:
        """The artifact at ``path``; a file named ``….json`` reaches us as the JSON twin of
        the name without ``.json``: when no such file exists, it is the page of that file."""
        try:
            return path, service.artifact(ref, path)
        except NotFound:
            if not json_flag(request):
                raise
            found = service.artifact(ref, path + ".json")
            request.scope["state"]["json"] = False
            return path + ".json", found

    def history_for(request: Request, ref: str, path: str) -> tuple[str, list[dict[str, Any]]]:
        try:
            return path, service.artifact_history(ref, path)
        except NotFound:
            if not json_flag(request):
                raise
            found = service.artifact_history(ref, path + ".json")
            request.scope["state"]["json"] = False
            return path + ".json", found

    def with_details(commons: bytes, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """History entries with the time of their event and the title of the contribution."""
        with service.lock:
            cid = home.cid(commons)
            keys = {contribution_key(bytes.fromhex(e["contribution"])) for e in entries}
            records = home.store.get_records(cid, keys)
            detailed = []
            for entry in entries:
                row = home.store.event(bytes.fromhex(entry["event"]))
                record = records.get(contribution_key(bytes.fromhex(entry["contribution"]))) or {}
                detailed.append(
                    {
                        **entry,
                        "time": row.time if row else None,
                        "title": record.get("title"),
                        "author": record.get("author"),
                    }
                )
        return detailed

    def fetch_for_view(blob: bytes) -> dict[str, Any] | None:
        """A missing file, fetched because someone looks at it; None if no peer can give it
        (or a quota forbids it: the node's log says which)."""
        try:
            return service.blob_fetch(blob.hex())
        except CommunsError:
            return None
        except Exception as error:  # a peer's failure must not break the page
            log.info("fetching %s for a view failed: %s", blob.hex()[:12], error)
            return None

    def read_text(blob: bytes) -> tuple[str, bool]:
        with home.blobs.open(blob) as file:
            data = file.read(TEXT_LIMIT + 1)
        cut = len(data) > TEXT_LIMIT
        return data[:TEXT_LIMIT].decode("utf-8", errors="replace"), cut

    @web.route("/c/{ref}/files/{path:path}")
    async def file_page(request: Request) -> Response:
        ref = request.path_params["ref"]
        path, artifact = artifact_for(request, ref, request.path_params["path"])
        commons = service.commons_show(ref)
        commons_id = bytes.fromhex(commons["id"])
        blob = bytes.fromhex(artifact["blob"])
        history = with_details(commons_id, service.artifact_history(ref, path))
        last = next((e for e in reversed(history) if e["event"] == artifact.get("event")), None)
        shown = media.kind(artifact.get("media"), path)
        present = home.blobs.has(blob)
        fetching = None
        if not present:  # first view: fetch it (small files at once, large ones in the swarm)
            fetching = await run_in_threadpool(fetch_for_view, blob)
            present = fetching is not None and fetching["state"] == "done"
        text, truncated = None, False
        if present and shown in ("markdown", "text"):
            text, truncated = await run_in_threadpool(read_text, blob)
        return web.page(
            request,
            "file.html",
            {
                "commons": commons,
                "file_path": path,
                "name": PurePosixPath(path).name,
                "artifact": artifact,
                "kind": shown,
                "present": present,
                "fetching": fetching,
                "about": metadata.read(home.blobs.path(blob), artifact.get("media") or "")
                if present
                else {},
                "last_change": last or (history[-1] if history else None),
                "changes": len(history),
                "text": text,
                "truncated": truncated,
                "text_limit": TEXT_LIMIT,
                "thread": thread_for(service, commons_id, "artifact", path),
            },
        )

    @web.route("/c/{ref}/history/{path:path}")
    async def history_page(request: Request) -> Response:
        ref = request.path_params["ref"]
        path, entries = history_for(request, ref, request.path_params["path"])
        commons = service.commons_show(ref)
        entries = with_details(bytes.fromhex(commons["id"]), entries)
        entries.reverse()  # newest first
        try:
            current = service.artifact(ref, path)
        except NotFound:
            current = None  # deleted: its history remains
        return web.page(
            request,
            "history.html",
            {"commons": commons, "file_path": path, "history": entries, "current": current},
        )

    def referenced(ref: str, value: str) -> tuple[bytes, dict[str, str]]:
        blob = _blob_hash(value)
        with service.lock:
            commons = home.commons_id(ref)
        found = references.find(commons, blob)
        if found is None:
            raise NotFound(f"blob {value[:12]} is not part of this commons")
        if not home.blobs.has(blob):
            raise NotFound(
                f"blob {value[:12]} is not on this node yet: it comes with the next sync "
                "from a peer that has it"
            )
        return blob, found

    def hardened(response: Response) -> Response:
        for name, value in HARDENING.items():
            response.headers[name] = value
        return response

    @web.route("/c/{ref}/blob/{hash}")
    async def blob_bytes(request: Request) -> Response:
        try:
            blob, found = referenced(request.path_params["ref"], request.path_params["hash"])
        except CommunsError as error:
            return hardened(web.error(request, error.status, str(error)))
        content_type, attachment = served_type(found["media"])
        if request.query_params.get("download"):
            attachment = True
        name = PurePosixPath(found["path"]).name or blob.hex()
        response = FileResponse(
            home.blobs.path(blob),
            media_type=content_type,
            headers={"Cache-Control": IMMUTABLE},
            filename=name,
            content_disposition_type="attachment" if attachment else "inline",
        )
        return hardened(response)

    @web.route("/c/{ref}/thumb/{hash}")
    async def thumb(request: Request) -> Response:
        try:
            blob, _ = referenced(request.path_params["ref"], request.path_params["hash"])
            made = await run_in_threadpool(
                media.thumbnail, home.blobs.path(blob), thumbs, blob.hex()
            )
        except CommunsError as error:
            return hardened(web.error(request, error.status, str(error)))
        response = FileResponse(
            made,
            media_type="image/png" if made.suffix == ".png" else "image/jpeg",
            headers={"Cache-Control": IMMUTABLE},
        )
        return hardened(response)
