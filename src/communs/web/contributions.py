"""Contributions in the browser: the review queue, one contribution (its changes side by side,
its reviews, the decisions the visitor may take), and proposing or revising one by editing a
text file in the page or by uploading files.

Every write is a POST form carrying the session's CSRF token, signed by the person signed in;
the rules themselves stay in the fold, so a refused action shows the fold's own reason.
"""

import difflib
import io
import mimetypes
import os
import posixpath
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..core.errors import BadInput, CommunsError, NotFound, Refused
from ..domain.contributions import STATES, contribution_key
from ..node import queries
from ..node.home import Actor
from .app import Web
from .discussion import thread_for

DIFF_LIMIT = 1024 * 1024  # bytes of each side compared (or put in the editor) in a page
FORM_TEXT_LIMIT = 4 * 1024 * 1024  # a text field posted from the editor
CONTEXT = 3  # unchanged lines shown around each change
DECISIONS = ("accept", "reject", "revert", "withdraw", "patrol")
VERDICTS = ("approve", "request_changes", "comment")
PATHS_LISTED = 2000  # existing paths offered as suggestions in the propose form
# Media types worth reading as text (the bytes decide in the end: UTF-8 without NUL).
TEXTUAL = {
    "",
    "application/octet-stream",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/x-sh",
    "application/x-python",
    "application/x-python-code",
    "application/toml",
    "application/yaml",
    "application/x-yaml",
    "application/x-tex",
    "application/x-latex",
    "application/sql",
    "application/geo+json",
    "application/x-httpd-php",
}


class Moved(Refused):
    """The canonical file changed while someone was editing it in the page."""


# -- reading blobs ---------------------------------------------------------------------------


def media_of(media: str | None, path: str) -> str:
    guessed = mimetypes.guess_type(path, strict=False)[0] or ""
    return (media or guessed).split(";")[0].strip().lower()


def looks_textual(media: str) -> bool:
    return media.startswith("text/") or media in TEXTUAL or media.endswith(("+json", "+xml"))


def decode(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def side_by_side(before: str, after: str) -> list[dict[str, Any]]:
    """Rows of a two-column diff: a ``head`` row per hunk, then ``same`` rows (context) and
    ``change`` rows pairing deleted lines (left) with added lines (right)."""
    old, new = before.splitlines(), after.splitlines()
    rows: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(None, old, new)
    for group in matcher.get_grouped_opcodes(CONTEXT):
        i1, j1 = group[0][1], group[0][3]
        i2, j2 = group[-1][2], group[-1][4]
        rows.append(
            {
                "kind": "head",
                "old": i1 + 1,
                "old_end": i2,
                "new": j1 + 1,
                "new_end": j2,
                "left": None,
                "right": None,
            }
        )
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                for k in range(a2 - a1):
                    rows.append(
                        {
                            "kind": "same",
                            "old": a1 + k + 1,
                            "left": old[a1 + k],
                            "new": b1 + k + 1,
                            "right": new[b1 + k],
                        }
                    )
                continue
            left, right = old[a1:a2], new[b1:b2]
            for k in range(max(len(left), len(right))):
                rows.append(
                    {
                        "kind": "change",
                        "old": a1 + k + 1 if k < len(left) else None,
                        "left": left[k] if k < len(left) else None,
                        "new": b1 + k + 1 if k < len(right) else None,
                        "right": right[k] if k < len(right) else None,
                    }
                )
    return rows


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


QUEUE = 100  # contributions waiting shown on the queue page (the longest-waiting)
LATEST = 25  # contributions shown for every other state (the latest)


def add_routes(web: Web) -> None:
    service = web.service

    def read(blob: str | None, limit: int = DIFF_LIMIT) -> tuple[bytes | None, int]:
        """``(content, size)`` of a blob (empty for None); content None past ``limit``."""
        if blob is None:
            return b"", 0
        with service.blob_open(blob) as file:
            size = os.fstat(file.fileno()).st_size
            if size > limit:
                return None, size
            data = file.read(limit + 1)
        return (None if len(data) > limit else data), max(size, len(data))

    def size_of(blob: str | None) -> int | None:
        if blob is None:
            return None
        try:
            with service.blob_open(blob) as file:
                return os.fstat(file.fileno()).st_size
        except NotFound:
            return None

    def change_view(change: dict[str, Any]) -> dict[str, Any]:
        """A change as the page shows it: a diff for text, before/after for images, else
        sizes and type."""
        path, base, blob = change["path"], change["base"], change["blob"]
        media = media_of(change["media"], path)
        view = {
            **change,
            "media": media,
            "status": "added" if base is None else "deleted" if blob is None else "modified",
            "kind": "other",
            "before_size": size_of(base),
            "rows": None,
            "added": 0,
            "deleted": 0,
            "note": None,
        }
        if media.startswith("image/"):
            view["kind"] = "image"
            return view
        if not looks_textual(media):
            return view
        try:
            before, before_size = read(base)
            after, after_size = read(blob)
        except NotFound:
            view["note"] = "missing"
            return view
        if before is None or after is None:
            view.update(kind="text", note="too large")
            return view
        old, new = decode(before), decode(after)
        if old is None or new is None:
            return view  # binary after all: sizes and type
        rows = side_by_side(old, new)
        view.update(
            kind="text",
            rows=rows,
            added=sum(1 for r in rows if r["kind"] == "change" and r["right"] is not None),
            deleted=sum(1 for r in rows if r["kind"] == "change" and r["left"] is not None),
            note="line endings" if not rows and old != new else None,
        )
        return view

    def flags(record: dict[str, Any] | None, artifacts: dict[str, Any]) -> dict[str, Any]:
        if record is None:
            return {"base_moved": [], "patrolled_by": None}
        moved = []
        if record["state"] in ("open", "conflict"):
            moved = [
                c["path"]
                for c in record["revisions"][-1]["changes"]
                if (artifacts.get(c["path"]) or {}).get("blob") != c["base"]
            ]
        patrolled = record.get("patrolled_by")
        return {"base_moved": moved, "patrolled_by": patrolled}

    def queue_data(ref: str) -> dict[str, Any]:
        """The queue (the longest-waiting first) and the latest of every other state, a page
        each, chosen in SQL: the page stays fast when thousands of contributions wait."""
        with service.lock:
            home = service.home
            commons_id = home.commons_id(ref)
            commons = queries.commons_show(home, commons_id, digest=False)
            cid = home.cid(commons_id)
            waiting = queries.contributions(home, commons_id, "open", oldest=QUEUE)
            waiting += queries.contributions(home, commons_id, "conflict", oldest=QUEUE)
            if commons["mode"] == "publish":
                published = queries.contributions(home, commons_id, "published", oldest=QUEUE)
                waiting += [c for c in published if not c["patrolled_by"]]
            latest = {
                state: queries.contributions(home, commons_id, state, newest=LATEST)
                for state in STATES
                if state not in ("open", "conflict")
            }
            shown = [*waiting, *(c for items in latest.values() for c in items)]
            records = home.store.get_records(
                cid, [contribution_key(bytes.fromhex(c["id"])) for c in shown]
            )
            paths = {
                change["path"]
                for record in records.values()
                for change in record["revisions"][-1]["changes"]
            }
            prefix = "artifact/"
            artifacts = {
                key[len(prefix) :]: record
                for key, record in home.store.get_records(
                    cid, [prefix + path for path in paths]
                ).items()
            }
        maintainers = {m["did"] for m in commons["maintainers"]}
        now = time.time() * 1000
        for item in shown:
            key = contribution_key(bytes.fromhex(item["id"]))
            item.update(flags(records.get(key), artifacts))
            item["accepts"] = sum(1 for did in item["accepted_by"] if did in maintainers)
            item["age"] = max(0, int((now - item["time"]) / 1000))
            item["to_patrol"] = (
                commons["mode"] == "publish"
                and item["state"] == "published"
                and not item["patrolled_by"]
            )
        queue = sorted(waiting, key=lambda c: c["time"])[:QUEUE]
        in_queue = {c["id"] for c in queue}
        groups = []
        for state, items in latest.items():
            members = [c for c in items if c["id"] not in in_queue]
            if members:
                groups.append(
                    {
                        "state": state,
                        "contributions": members[::-1],
                        "total": commons["contributions"].get(state, len(members)),
                    }
                )
        return {
            "commons": commons,
            "contributions": shown,
            "queue": queue,
            "groups": groups,
            "waiting": commons["contributions"]["open"],
        }

    def contribution_data(ref: str, cref: str, me: str | None) -> dict[str, Any]:
        with service.lock:
            commons = service.commons_show(ref)
            contribution = service.contribution(commons["id"], cref)
            commons_id = bytes.fromhex(commons["id"])
            record = service.home.state(commons_id).get(
                contribution_key(bytes.fromhex(contribution["id"]))
            )
            revisions = []
            for number, revision in enumerate(record["revisions"]):
                row = service.home.store.event(revision["event"])
                revisions.append(
                    {
                        "number": number,
                        "event": revision["event"].hex(),
                        "time": row.time if row else None,
                        "changes": len(revision["changes"]),
                    }
                )
        contribution["revisions"] = revisions
        known = {m["did"]: m["name"] for m in commons["maintainers"]}
        known.update({r["by"]: r["by_name"] for r in contribution["reviews"] if r["by_name"]})
        if contribution["author_name"]:
            known[contribution["author"]] = contribution["author_name"]
        maintainers = {m["did"] for m in commons["maintainers"]}
        contribution["accepts"] = sum(1 for d in contribution["accepted_by"] if d in maintainers)
        state = contribution["state"]
        is_maintainer = me is not None and me in maintainers
        is_author = me is not None and me == contribution["author"]
        review_mode = commons["mode"] == "review"
        can = {
            "accept": is_maintainer
            and review_mode
            and state == "open"
            and me not in contribution["accepted_by"],
            "reject": is_maintainer and state in ("open", "conflict"),
            "revert": is_maintainer and state in ("accepted", "published"),
            "patrol": is_maintainer
            and not review_mode
            and state == "published"
            and not contribution.get("patrolled_by"),
            "withdraw": is_author and state in ("open", "conflict"),
            "revise": is_author and state in ("open", "conflict"),
            "review": me is not None,
        }
        return {
            "commons": commons,
            "contribution": contribution,
            "changes": [change_view(c) for c in contribution["changes"]],
            "names": known,
            "can": can,
        }

    def me_of(request: Request) -> str | None:
        session = web.session(request)
        return session.identity.did if session and session.identity else None

    def wants_json(request: Request) -> bool:
        return bool(request.scope.get("state", {}).get("json"))

    # -- the queue and one contribution ---------------------------------------------------------

    @web.route("/c/{ref}/contributions")
    async def queue(request: Request) -> Response:
        data = await run_in_threadpool(queue_data, request.path_params["ref"])
        return web.page(request, "contributions.html", data)

    @web.route("/c/{ref}/contributions/{cid}")
    async def contribution(request: Request) -> Response:
        data = await run_in_threadpool(
            contribution_data,
            request.path_params["ref"],
            request.path_params["cid"],
            me_of(request),
        )
        data["thread"] = await run_in_threadpool(
            thread_for, service, data["commons"]["id"], "contribution", data["contribution"]["id"]
        )
        return web.page(request, "contribution.html", data)

    # -- proposing and revising -----------------------------------------------------------------

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
            data, size = read(source) if looks_textual(media) else (None, 0)
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
                current = await run_in_threadpool(canonical_blob, ref, path)
                if current != form_text(form, "base"):
                    raise Moved(
                        f"{path} changed since you opened it: your text is kept below; "
                        "compare it with the current version, then propose again"
                    )
            content = form.get("content")
            text = (content if isinstance(content, str) else "").replace("\r\n", "\n")
            if form.get("crlf") == "1":
                text = text.replace("\n", "\r\n")
            stream = io.BytesIO(text.encode("utf-8"))
            files[path] = (await run_in_threadpool(service.blob_add, stream, path))["hash"]
        folder = form_text(form, "folder").strip("/")
        for upload in form.getlist("files"):
            if not isinstance(upload, UploadFile) or not upload.filename:
                continue
            name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
            target = f"{folder}/{name}" if folder else name
            if target in files:
                raise BadInput(f"{target} is given twice: give each path once")
            await upload.seek(0)
            added = await run_in_threadpool(service.blob_add, upload.file, target)
            files[target] = added["hash"]
        return files

    async def posted(request: Request) -> tuple[FormData, Actor]:
        # Parse once with room for a long text (Starlette keeps the parsed form), then check
        # the CSRF token on it.
        form = await request.form(max_part_size=FORM_TEXT_LIMIT)
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
        data = await run_in_threadpool(propose_data, request.path_params["ref"], path)
        return web.page(request, "propose.html", data)

    @web.route("/c/{ref}/propose", methods=("POST",))
    async def propose(request: Request) -> Response:
        ref = request.path_params["ref"]
        form, actor = await posted(request)
        try:
            title = form_text(form, "title")
            if not title:
                raise BadInput("give the contribution a title")
            files = await gather(ref, form)
            if not files:
                raise BadInput("nothing to propose: edit a text file or choose files to upload")
            made = await run_in_threadpool(
                service.propose,
                actor,
                ref,
                title,
                str(form.get("description") or "").replace("\r\n", "\n"),
                files,
            )
        except CommunsError as error:
            data = await run_in_threadpool(refill, propose_data, (ref, ""), form, error)
            return web.page(request, "propose.html", data, error.status)
        finally:
            await close(form)
        if wants_json(request):
            return JSONResponse(made)
        return RedirectResponse(f"/c/{made['commons']}/contributions/{made['id']}", 303)

    def revise_data(ref: str, cref: str, me: str, path: str) -> dict[str, Any]:
        contribution = service.contribution(ref, cref)
        if contribution["author"] != me:
            raise HTTPException(403, "only the author of a contribution can revise it")
        if contribution["state"] not in ("open", "conflict"):
            raise Refused(f"cannot revise a contribution that is {contribution['state']}")
        return propose_data(ref, path, contribution)

    @web.route("/c/{ref}/contributions/{cid}/revise")
    async def revise_page(request: Request) -> Response:
        actor = web.actor(request)
        data = await run_in_threadpool(
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
                raise BadInput("give the contribution a title")
            current = await run_in_threadpool(service.contribution, ref, cref)
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
                raise BadInput("nothing to propose: keep a change, edit a file or upload one")
            await run_in_threadpool(
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
            data = await run_in_threadpool(refill, revise_data, (ref, cref, me, ""), form, error)
            return web.page(request, "propose.html", data, error.status)
        finally:
            await close(form)
        if wants_json(request):
            return JSONResponse({"id": current["id"]})
        return RedirectResponse(f"/c/{quote(ref)}/contributions/{current['id']}", 303)

    # -- reviews and decisions ------------------------------------------------------------------

    @web.route("/c/{ref}/contributions/{cid}/{action}", methods=("POST",))
    async def act(request: Request) -> Response:
        ref, cref = request.path_params["ref"], request.path_params["cid"]
        action = request.path_params["action"]
        form = await web.form(request)
        actor = web.actor(request)
        if action == "review":
            verdict = form_text(form, "verdict")
            comment = str(form.get("comment") or "").replace("\r\n", "\n").strip()
            if verdict not in VERDICTS:
                raise BadInput("choose approve, request changes or comment")
            if verdict == "comment" and not comment:
                raise BadInput("write a comment before sending it")
            result = await run_in_threadpool(service.review, actor, ref, cref, verdict, comment)
            anchor = "#reviews"
        elif action in DECISIONS:
            reason = str(form.get("reason") or "").replace("\r\n", "\n").strip()
            if action in ("reject", "revert") and not reason:
                raise BadInput(f"give a reason to {action} a contribution: its author will read it")
            result = await run_in_threadpool(
                service.decide, actor, ref, cref, action, reason or None
            )
            anchor = ""
        else:
            raise NotFound(f"no action '{action}' on a contribution")
        if wants_json(request):
            return JSONResponse(result)
        return RedirectResponse(f"/c/{quote(ref)}/contributions/{quote(cref)}{anchor}", 303)
