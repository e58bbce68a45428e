"""Proposing a contribution, or revising one's own, in the browser: by editing a text file in
the page (refused if the canonical file moved meanwhile) or by uploading files; a refused form
comes back as it was posted, with the reason.
"""

import io
import posixpath
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..core.errors import BadInput, CommunsError, NotFound, Refused
from ..domain.refusals import code, fault
from ..i18n import N_
from ..node import Actor
from . import uploads
from .base import Web
from .diffs import decode, looks_textual, media_of, read
from .statuses import status_of

FORM_TEXT_LIMIT = 4 * 1024 * 1024  # a text field posted from the editor
PATHS_LISTED = 2000  # existing paths offered as suggestions in the propose form

CHANGED_SINCE_OPENED = code(
    "changed_since_opened",
    "{path} changed since you opened it: your text is kept below; compare it with the current "
    "version, then propose again",
)
PATH_GIVEN_TWICE = code("path_given_twice", "{path} is given twice: give each path once")
CONTRIBUTION_NEEDS_TITLE = code("contribution_needs_title", "give the contribution a title")
NOTHING_TO_PROPOSE = code(
    "nothing_to_propose", "nothing to propose: edit a text file or choose files to upload"
)
NOTHING_TO_REVISE = code(
    "nothing_to_revise", "nothing to propose: keep a change, edit a file or upload one"
)
CANNOT_REVISE = code("cannot_revise", "cannot revise a contribution that is {state:word}")


class Moved(Refused):
    """The canonical file changed while someone was editing it in the page."""


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def add_routes(web: Web) -> None:
    service = web.service

    wants_json = web.wants_json

    def editor_for(
        ref: str, path: str, proposed: dict[str, str | None] | None = None
    ) -> dict[str, Any]:
        """The editor prefilled with ``path``: the blob a contribution proposes for it when
        revising (``proposed``), else the canonical one. Non-text files are not put in a
        text field: the page says to upload a new version instead."""
        editor: dict[str, Any] = {
            "path": "",
            "content": "",
            "base": "",
            "loaded": "",
            "crlf": False,
            "note": None,
            "requested": path,
        }
        if not path:
            return editor
        try:
            canonical = service.artifact(ref, path)
        except NotFound:
            canonical = None
        base = canonical["blob"] if canonical else None
        source = proposed[path] if proposed and path in proposed else base
        media = media_of(canonical["media"] if canonical else "", path)
        try:
            data, size = read(service, source) if looks_textual(media) else (None, 0)
        except NotFound:
            editor.update(note="missing", folder=posixpath.dirname(path))
            return editor
        text = decode(data) if data is not None else None
        if text is None:
            editor["note"] = "too large" if looks_textual(media) and size else "not text"
            editor["folder"] = posixpath.dirname(path)
            return editor
        editor.update(path=path, content=text, base=base or "", loaded=path, crlf="\r\n" in text)
        if editor["crlf"]:
            editor["content"] = text.replace("\r\n", "\n")
        return editor

    def propose_data(
        ref: str,
        path: str,
        contribution: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        commons = service.commons_show(ref)
        paths = [a["path"] for a in service.artifacts(ref)[:PATHS_LISTED]]
        proposed = None
        if contribution is not None:
            proposed = {c["path"]: c["blob"] for c in contribution["changes"]}
            if not path:
                candidates = [c["path"] for c in contribution["changes"] if c["blob"]]
                path = candidates[0] if len(candidates) == 1 else ""
        editor = editor_for(commons["id"], path, proposed)
        return {
            "commons": commons,
            "contribution": contribution,
            "paths": paths,
            "editor": editor,
            "folder": editor.pop("folder", ""),
            "title": contribution["title"] if contribution else "",
            "description": contribution["description"] if contribution else "",
            "keep": [c["path"] for c in contribution["changes"]] if contribution else [],
            "error": None,
            "moved": False,
        }

    def canonical_blob(ref: str, path: str) -> str:
        try:
            return service.artifact(ref, path)["blob"]
        except NotFound:
            return ""

    def refill(
        page: Callable[..., dict[str, Any]], args: tuple, form: FormData, error: CommunsError
    ) -> dict[str, Any]:
        """The form again as it was posted (uploads must be chosen again), with the reason.
        After a move, the editor is based on the current version: the person saw the warning,
        so proposing again is a choice made knowingly."""
        data = page(*args)
        path = form_text(form, "path")
        content = form.get("content")
        moved = isinstance(error, Moved)
        data["editor"] = {
            "path": path,
            "content": (content if isinstance(content, str) else "").replace("\r\n", "\n"),
            "base": canonical_blob(data["commons"]["id"], path)
            if moved
            else form_text(form, "base"),
            "loaded": path if moved else form_text(form, "loaded"),
            "crlf": form.get("crlf") == "1",
            "note": None,
            "requested": path,
        }
        data.update(
            title=form_text(form, "title"),
            description=str(form.get("description") or "").replace("\r\n", "\n"),
            folder=form_text(form, "folder"),
            keep=form.getlist("keep"),
            error=str(error),
            moved=moved,
        )
        return data

    async def gather(ref: str, form: FormData) -> dict[str, str]:
        """Add the edited text and the uploaded files as blobs: ``{path: hash}``."""
        files: dict[str, str] = {}
        path = form_text(form, "path")
        if path:
            loaded = form_text(form, "loaded")
            if loaded and loaded == path:
                current = await web.call(canonical_blob, ref, path)
                if current != form_text(form, "base"):
                    raise fault(Moved, CHANGED_SINCE_OPENED, path=path)
            content = form.get("content")
            text = (content if isinstance(content, str) else "").replace("\r\n", "\n")
            if form.get("crlf") == "1":
                text = text.replace("\n", "\r\n")
            stream = io.BytesIO(text.encode("utf-8"))
            files[path] = (await web.call(service.blob_add, stream, path))["hash"]
        folder = form_text(form, "folder").strip("/")
        for upload in form.getlist("files"):
            if not isinstance(upload, UploadFile) or not upload.filename:
                continue
            name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
            target = f"{folder}/{name}" if folder else name
            if target in files:
                raise fault(BadInput, PATH_GIVEN_TWICE, path=target)
            await upload.seek(0)
            added = await web.call(service.blob_add, upload.file, target)
            files[target] = added["hash"]
        return files

    async def posted(request: Request) -> tuple[FormData, Actor]:
        # Signed in and not too big, before a byte of the body is read; then parse once with
        # room for a long text (Starlette keeps the parsed form) and check its CSRF token.
        web.actor(request)
        try:
            uploads.bound(request)
            form = await request.form(max_part_size=FORM_TEXT_LIMIT)
        except uploads.TooLarge as error:
            raise HTTPException(413, web.said(request, error)) from None
        try:
            return await web.form(request), web.actor(request)
        except BaseException:
            await close(form)
            raise

    async def close(form: FormData) -> None:
        for value in form.getlist("files"):
            if isinstance(value, UploadFile):
                await value.close()

    @web.route("/c/{ref}/propose")
    async def propose_page(request: Request) -> Response:
        path = (request.query_params.get("path") or "").strip()
        data = await web.call(propose_data, request.path_params["ref"], path)
        return web.page(request, "propose.html", data)

    @web.route("/c/{ref}/propose", methods=("POST",))
    async def propose(request: Request) -> Response:
        ref = request.path_params["ref"]
        form, actor = await posted(request)
        try:
            title = form_text(form, "title")
            if not title:
                raise fault(BadInput, CONTRIBUTION_NEEDS_TITLE)
            files = await gather(ref, form)
            if not files:
                raise fault(BadInput, NOTHING_TO_PROPOSE)
            made = await web.call(
                service.propose,
                actor,
                ref,
                title,
                str(form.get("description") or "").replace("\r\n", "\n"),
                files,
            )
        except CommunsError as error:
            data = await web.call(refill, propose_data, (ref, ""), form, error)
            data["error"] = web.said(request, error)
            return web.page(request, "propose.html", data, status_of(error))
        finally:
            await close(form)
        if wants_json(request):
            return JSONResponse(made)
        return RedirectResponse(f"/c/{made['commons']}/contributions/{made['id']}", 303)

    @web.route("/c/{ref}/propose-back", methods=("POST",))
    async def propose_back(request: Request) -> Response:
        """A fork's changes since it forked, proposed to its parent as one contribution (the
        counter-power of forking, and its way home)."""
        actor = web.actor(request)
        form = await web.form(request)
        title = form_text(form, "title")
        if not title:
            raise fault(BadInput, CONTRIBUTION_NEEDS_TITLE)
        description = str(form.get("description") or "").replace("\r\n", "\n")
        made = await web.call(
            service.propose_to_parent, actor, request.path_params["ref"], title, description
        )
        if wants_json(request):
            return JSONResponse(made)
        return RedirectResponse(f"/c/{made['commons']}/contributions/{made['id']}", 303)

    def revise_data(ref: str, cref: str, me: str, path: str) -> dict[str, Any]:
        contribution = service.contribution(ref, cref)
        if contribution["author"] != me:
            raise HTTPException(403, N_("only the author of a contribution can revise it"))
        if contribution["state"] not in ("open", "conflict"):
            raise fault(Refused, CANNOT_REVISE, state=contribution["state"])
        return propose_data(ref, path, contribution)

    @web.route("/c/{ref}/contributions/{cid}/revise")
    async def revise_page(request: Request) -> Response:
        actor = web.actor(request)
        data = await web.call(
            revise_data,
            request.path_params["ref"],
            request.path_params["cid"],
            actor.identity.did if actor.identity else "",
            (request.query_params.get("path") or "").strip(),
        )
        return web.page(request, "propose.html", data)

    @web.route("/c/{ref}/contributions/{cid}/revise", methods=("POST",))
    async def revise(request: Request) -> Response:
        ref, cref = request.path_params["ref"], request.path_params["cid"]
        form, actor = await posted(request)
        try:
            title = form_text(form, "title")
            if not title:
                raise fault(BadInput, CONTRIBUTION_NEEDS_TITLE)
            current = await web.call(service.contribution, ref, cref)
            files = await gather(ref, form)
            # A revision replaces the changes: carry over the earlier ones still ticked.
            kept = set(form.getlist("keep"))
            deletes = []
            for change in current["changes"]:
                if change["path"] in files or change["path"] not in kept:
                    continue
                if change["blob"] is None:
                    deletes.append(change["path"])
                else:
                    files[change["path"]] = change["blob"]
            if not files and not deletes:
                raise fault(BadInput, NOTHING_TO_REVISE)
            await web.call(
                service.revise,
                actor,
                ref,
                current["id"],
                title,
                str(form.get("description") or "").replace("\r\n", "\n"),
                files,
                deletes,
            )
        except CommunsError as error:
            me = actor.identity.did if actor.identity else ""
            data = await web.call(refill, revise_data, (ref, cref, me, ""), form, error)
            data["error"] = web.said(request, error)
            return web.page(request, "propose.html", data, status_of(error))
        finally:
            await close(form)
        if wants_json(request):
            return JSONResponse({"id": current["id"]})
        return RedirectResponse(f"/c/{quote(ref)}/contributions/{current['id']}", 303)
