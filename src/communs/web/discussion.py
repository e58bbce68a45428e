"""Discussion on every object of a commons: the write path of the board and threads from the
web (``act``), the data a thread's partial shows (``thread_for``), and the routes that post,
reply, edit, retract, hide, unhide and react.

Any page shows a subject's thread by putting ``thread_for(...)`` in its data as ``thread`` and
writing ``{% include "_thread.html" %}`` in its template. The rules stay in the fold
(``domain/threads.py``): a refused action shows the fold's own reason.
"""

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..core.errors import BadInput, NotFound
from ..domain import threads
from ..node import queries
from ..node.home import Actor
from ..node.service import Service
from .app import Web

KINDS = ("commons", "artifact", "contribution", "task", "person")
HEX_KINDS = ("contribution", "task")
ACTIONS = ("edit", "retract", "hide", "unhide", "react", "unreact")
EMOJI = ("👍", "❤️", "🎉", "👀", "🤔")


def act(service: Service, actor: Actor, commons_ref: str, type: str, body: Any) -> bytes:
    """Sign ``type`` with ``body`` as the signed-in person in a commons: the web's one write
    path for ``task.*`` and ``thread.*`` events. Refused actions raise the fold's reason."""
    with service.lock:
        commons_id = service.home.commons_id(commons_ref)
        identity = actor.identity or service.home.identity(actor.name, actor.passphrase)
        return service.home.emit(identity, commons_id, type, body)


def subject_url(commons: str, kind: str, ref: str) -> str:
    """The page of a thread's subject."""
    if kind == "task":
        return f"/c/{commons}/tasks/{ref}"
    if kind == "contribution":
        return f"/c/{commons}/contributions/{ref}"
    if kind == "artifact":
        return f"/c/{commons}/files/{quote(ref)}"
    if kind == "person":
        return f"/people/{ref}"
    return f"/c/{commons}"


def thread_for(
    service: Service, commons_id: bytes | str, kind: str, ref: str = ""
) -> dict[str, Any]:
    """What ``_thread.html`` shows for one subject of a commons (its id, or a reference to
    it): its messages in reading order (each with ``depth``), the names of the people in it,
    the maintainers (who may hide)."""
    subject = {"kind": kind, "ref": ref}
    with service.lock:
        home = service.home
        if isinstance(commons_id, str):
            commons_id = home.commons_id(commons_id)
        cid = home.cid(commons_id)
        prefix = f"message/{threads.subject_key(subject)}//"
        found = threads.thread(home.store.scan_records(cid, prefix), subject)
        names = queries.names(home, cid)
        charter = home.state(commons_id).get("charter") or {}
    messages = []
    for record in found:
        message = queries.hexed(record)
        message["author_name"] = names.get(record["author"])
        if record["hidden"]:
            message["hidden"] = {
                **record["hidden"],
                "name": names.get(record["hidden"]["by"]),
            }
        message["reactions"] = [
            {
                "emoji": emoji,
                "people": people,
                "names": [names.get(did) or did[:16] + "…" for did in people],
            }
            for emoji, people in sorted(record["reactions"].items())
        ]
        messages.append(message)
    return {
        "commons": commons_id.hex(),
        "commons_name": charter.get("name"),
        "subject": subject,
        "url": subject_url(commons_id.hex(), kind, ref),
        "messages": messages,
        "maintainers": list(charter.get("maintainers", [])),
        "emoji": list(EMOJI),
    }


def text_of(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""


def message_id(service: Service, commons_ref: str, ref: str) -> bytes:
    with service.lock:
        commons_id = service.home.commons_id(commons_ref)
        return service.home.event_id(commons_id, ref, "message")


def next_page(request: Request, form: FormData, default: str) -> str:
    """Where to go after a post: the page the form was on, if it is a page of this site."""
    target = text_of(form, "next")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def add_routes(web: Web) -> None:
    service = web.service

    def done(request: Request, form: FormData, default: str, made: bytes) -> Response:
        if request.scope.get("state", {}).get("json"):
            return JSONResponse({"id": made.hex()})
        return RedirectResponse(next_page(request, form, default) + "#thread", status_code=303)

    @web.route("/c/{ref}/discussion/post", methods=("POST",))
    async def post(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        kind = text_of(form, "kind") or "commons"
        if kind not in KINDS:
            raise BadInput(f"a thread is on one of: {', '.join(KINDS)}")
        subject_ref = text_of(form, "ref")
        if kind in HEX_KINDS:
            subject_ref = subject_ref.lower()
        text = text_of(form, "text")
        if not text:
            raise BadInput("write something before posting")
        reply = text_of(form, "reply_to")
        reply_to = await run_in_threadpool(message_id, service, ref, reply) if reply else None
        body = {"subject": {"kind": kind, "ref": subject_ref}, "text": text, "reply_to": reply_to}
        made = await run_in_threadpool(act, service, actor, ref, "thread.post", body)
        return done(request, form, subject_url(ref, kind, subject_ref), made)

    @web.route("/c/{ref}/discussion/{message}/{action}", methods=("POST",))
    async def change(request: Request) -> Response:
        ref, action = request.path_params["ref"], request.path_params["action"]
        if action not in ACTIONS:
            raise NotFound(f"no action '{action}' on a message")
        form = await web.form(request)
        actor = web.actor(request)
        mid = await run_in_threadpool(message_id, service, ref, request.path_params["message"])
        body: dict[str, Any] = {"message": mid}
        if action == "edit":
            body["text"] = text_of(form, "text")
            if not body["text"]:
                raise BadInput("a message cannot be edited to nothing: retract it instead")
        elif action == "hide":
            body["reason"] = text_of(form, "reason")
            if not body["reason"]:
                raise BadInput("give a reason to hide a message: everyone will read it")
        elif action in ("react", "unreact"):
            body["emoji"] = text_of(form, "emoji")
            if not body["emoji"]:
                raise BadInput("choose an emoji")
        made = await run_in_threadpool(act, service, actor, ref, f"thread.{action}", body)
        return done(request, form, f"/c/{ref}", made)
