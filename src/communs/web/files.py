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
from pathlib import PurePosixPath
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..core.errors import BadInput, CommunsError, NotFound
from ..node import blob_hash
from . import media
from .base import Web
from .discussion import thread_for
from .statuses import status_of

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


def filesize(size: int | None, _: Any = None) -> str:
    """A size in bytes as every page shows it: 1073741824 → "1.0 GiB", 1536 → "1.5 KiB",
    200 → "200 B" (binary units, as the command line and the node's limits speak), in the
    reader's language when ``_`` (the page's translator) is given ("1,0 Gio" in French); a
    number and its unit never part at the end of a line."""
    # Imported here: only this function of the module speaks of sizes.
    from babel.numbers import format_decimal

    from ..i18n import N_, translator

    say = _ or translator("en")
    units = (
        N_("{size} B"),
        N_("{size} KiB"),
        N_("{size} MiB"),
        N_("{size} GiB"),
        N_("{size} TiB"),
    )
    value, unit = float(size or 0), 0
    # Up a unit while the number would show as 1024 or more ("1024.0 KiB" is "1.0 MiB").
    while unit < len(units) - 1 and round(value, 1 if unit else 0) >= 1024:
        value, unit = value / 1024, unit + 1
    number = format_decimal(value, format="0.0" if unit else "0", locale=say.lang)
    return say(units[unit], size=number).replace(" ", "\u00a0")


def _blob_hash(value: str) -> bytes:
    try:
        return blob_hash(value)
    except BadInput as error:  # in a URL: no such page
        raise NotFound(str(error), code=error.code, params=error.params) from None


def add_routes(web: Web) -> None:
    service = web.service
    web.templates.globals["filesize"] = filesize

    json_flag = web.wants_json

    def artifact_for(ref: str, path: str, json: bool) -> tuple[str, dict[str, Any]]:
        """The artifact at ``path``; a file named ``….json`` reaches us as the JSON twin of
        the name without ``.json``: when no such file exists, it is the page of that file."""
        try:
            return path, service.artifact(ref, path)
        except NotFound:
            if not json:
                raise
            return path + ".json", service.artifact(ref, path + ".json")

    def history_for(ref: str, path: str, json: bool) -> tuple[str, list[dict[str, Any]]]:
        try:
            return path, service.artifact_history(ref, path)
        except NotFound:
            if not json:
                raise
            return path + ".json", service.artifact_history(ref, path + ".json")

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
        with service.blob_open(blob.hex()) as file:
            data = file.read(TEXT_LIMIT + 1)
        cut = len(data) > TEXT_LIMIT
        return data[:TEXT_LIMIT].decode("utf-8", errors="replace"), cut

    def file_data(ref: str, asked: str, json: bool) -> dict[str, Any]:
        path, artifact = artifact_for(ref, asked, json)
        commons = service.commons_show(ref)
        commons_id = bytes.fromhex(commons["id"])
        blob = bytes.fromhex(artifact["blob"])
        history = service.history_details(ref, service.artifact_history(ref, path))
        last = next((e for e in reversed(history) if e["event"] == artifact.get("event")), None)
        shown = media.kind(artifact.get("media"), path)
        present = service.blob_present(blob.hex())
        fetching = None
        if not present:  # first view: fetch it (small files at once, large ones in the swarm)
            fetching = fetch_for_view(blob)
            present = fetching is not None and fetching["state"] == "done"
        about = service.blob_about(blob.hex(), artifact.get("media") or "") if present else {}
        text, truncated = None, False
        if present and shown in ("markdown", "text"):
            text, truncated = read_text(blob)
        return {
            "commons": commons,
            "file_path": path,
            "name": PurePosixPath(path).name,
            "artifact": artifact,
            "kind": shown,
            "present": present,
            "fetching": fetching,
            "about": about,
            "too_large": media.too_large_to_preview(about) if shown == "image" else None,
            "last_change": last or (history[-1] if history else None),
            "changes": len(history),
            "text": text,
            "truncated": truncated,
            "text_limit": TEXT_LIMIT,
            "thread": thread_for(service, commons_id, "artifact", path),
        }

    @web.route("/c/{ref}/files/{path:path}")
    async def file_page(request: Request) -> Response:
        ref, asked = request.path_params["ref"], request.path_params["path"]
        data = await web.call(file_data, ref, asked, json_flag(request))
        if data["file_path"] != asked:
            request.scope["state"]["json"] = False  # the page of a file named ….json
        return web.page(request, "file.html", data)

    def history_data(ref: str, asked: str, json: bool) -> dict[str, Any]:
        path, entries = history_for(ref, asked, json)
        commons = service.commons_show(ref)
        entries = service.history_details(ref, entries)
        entries.reverse()  # newest first
        try:
            current = service.artifact(ref, path)
        except NotFound:
            current = None  # deleted: its history remains
        return {"commons": commons, "file_path": path, "history": entries, "current": current}

    @web.route("/c/{ref}/history/{path:path}")
    async def history_page(request: Request) -> Response:
        ref, asked = request.path_params["ref"], request.path_params["path"]
        data = await web.call(history_data, ref, asked, json_flag(request))
        if data["file_path"] != asked:
            request.scope["state"]["json"] = False
        return web.page(request, "history.html", data)

    def hardened(response: Response) -> Response:
        for name, value in HARDENING.items():
            response.headers[name] = value
        return response

    @web.route("/c/{ref}/blob/{hash}")
    async def blob_bytes(request: Request) -> Response:
        try:
            blob = _blob_hash(request.path_params["hash"])
            file, found = await web.call(service.blob_referenced, request.path_params["ref"], blob)
        except CommunsError as error:
            return hardened(web.error(request, status_of(error), web.said(request, error)))
        content_type, attachment = served_type(found["media"])
        if request.query_params.get("download"):
            attachment = True
        name = PurePosixPath(found["path"]).name or blob.hex()
        response = FileResponse(
            file,
            media_type=content_type,
            headers={"Cache-Control": IMMUTABLE},
            filename=name,
            content_disposition_type="attachment" if attachment else "inline",
        )
        return hardened(response)

    @web.route("/c/{ref}/thumb/{hash}")
    async def thumb(request: Request) -> Response:
        try:
            blob = _blob_hash(request.path_params["hash"])
            file, _ = await web.call(service.blob_referenced, request.path_params["ref"], blob)
            made = await web.call(media.thumbnail, file, service.thumbnails, blob.hex())
        except CommunsError as error:
            return hardened(web.error(request, status_of(error), web.said(request, error)))
        response = FileResponse(
            made,
            media_type="image/png" if made.suffix == ".png" else "image/jpeg",
            headers={"Cache-Control": IMMUTABLE},
        )
        return hardened(response)
