"""Discussion on every object of a commons: the data a thread's partial shows
(``thread_for``), and the routes that post, reply, edit, retract, hide, unhide and react.

Any page shows a subject's thread by putting ``thread_for(...)`` in its data as ``thread`` and
writing ``{% include "_thread.html" %}`` in its template. Every read and write goes through
the Service (``thread``, ``thread_post``, ``message_act``); the rules stay in the fold
(``domain/threads.py``): a refused action shows the fold's own reason.
"""

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..core.errors import NotFound
from ..domain.refusals import code, fault
from ..node import Service
from .base import Web, safe_next
from .links import object_url, subject_url  # noqa: F401  (pages import them from here)

SHOWN = 30  # conversations a page shows at first; "show earlier messages" shows them all

ACTIONS = ("edit", "retract", "hide", "unhide", "react", "unreact")
EMOJI = ("👍", "❤️", "🎉", "👀", "🤔")

NO_MESSAGE_ACTION = code("no_message_action", "no action '{action}' on a message")


def thread_for(
    service: Service, commons_id: bytes | str, kind: str, ref: str = "", every: bool = False
) -> dict[str, Any]:
    """What ``_thread.html`` shows for one subject of a commons (its id, or a reference to
    it): ``Service.thread`` (the messages in reading order, each with ``depth``, the names
    of the people in it, the maintainers, who may hide), the subject's page and the emoji
    offered; its last ``SHOWN`` conversations unless ``every``. Call it off the event loop."""
    commons = commons_id.hex() if isinstance(commons_id, bytes) else commons_id
    thread = service.thread(commons, kind, ref, None if every else SHOWN)
    subject = thread["subject"]
    url = subject_url(thread["commons"], subject["kind"], subject["ref"])
    # Who a message may mention, for the completion of names as one types "@".
    people = sorted(([name, did] for did, name in thread["people"].items()), key=_by_name)
    return {**thread, "url": url, "emoji": list(EMOJI), "people_list": people}


def _by_name(pair: list[str]) -> str:
    return pair[0].casefold()


def text_of(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""


def next_page(request: Request, form: FormData, default: str) -> str:
    """Where to go after a post: the page the form was on, if it is a page of this site."""
    return safe_next(text_of(form, "next"), default)


def add_routes(web: Web) -> None:
    service = web.service

    def done(request: Request, form: FormData, default: str, made: str) -> Response:
        if web.wants_json(request):
            return JSONResponse({"id": made})
        return RedirectResponse(next_page(request, form, default) + "#thread", status_code=303)

    @web.route("/c/{ref}/discussion")
    async def whole(request: Request) -> Response:
        """The whole discussion on one subject (pages show its latest conversations)."""
        kind = request.query_params.get("kind", "commons")
        subject = request.query_params.get("ref", "")
        thread = await web.call(
            thread_for, service, request.path_params["ref"], kind, subject, True
        )
        return web.page(request, "discussion.html", {"thread": thread})

    @web.route("/c/{ref}/discussion/post", methods=("POST",))
    async def post(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        kind = text_of(form, "kind") or "commons"
        subject, text = text_of(form, "ref"), text_of(form, "text")
        reply_to = text_of(form, "reply_to") or None
        made = await run_in_threadpool(
            service.thread_post, actor, ref, kind, subject, text, reply_to
        )
        on = made["subject"]
        return done(request, form, subject_url(ref, on["kind"], on["ref"]), made["id"])

    @web.route("/c/{ref}/discussion/{message}/erase", methods=("POST",))
    async def erase(request: Request) -> Response:
        """Erase a message's text on every node (its author; a maintainer, with a reason)."""
        ref, message = request.path_params["ref"], request.path_params["message"]
        form = await web.form(request)
        actor = web.actor(request)
        reason = text_of(form, "reason")
        await web.call(service.erase, actor, ref, f"message:{message}", reason)
        return done(request, form, f"/c/{ref}", message)

    @web.route("/c/{ref}/discussion/{message}/{action}", methods=("POST",))
    async def change(request: Request) -> Response:
        ref, action = request.path_params["ref"], request.path_params["action"]
        if action not in ACTIONS:
            raise fault(NotFound, NO_MESSAGE_ACTION, action=action)
        form = await web.form(request)
        actor = web.actor(request)
        fields = {name: text_of(form, name) for name in ("text", "reason", "emoji")}
        made = await run_in_threadpool(
            lambda: service.message_act(
                actor, ref, request.path_params["message"], action, **fields
            )
        )
        return done(request, form, f"/c/{ref}", made["id"])
