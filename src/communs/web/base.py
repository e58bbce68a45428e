"""What every page module shares, through ``Web``: the service (reached only off the event
loop, by ``Web.call``), templates, sessions and CSRF, the visitor's language, errors as pages,
and each page's JSON twin. Page modules import this module; ``app`` imports them — never the
other way round.
"""

import asyncio
import functools
import ipaddress
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import cbor2
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.errors import CommunsError
from ..domain.lines import say
from ..domain.refusals import CODES, sentence
from ..i18n import LANGUAGES, N_, Translator, negotiate, translator
from ..node import Actor, Service, hexed
from . import render
from .links import object_url
from .once import SentForms, hidden_inputs
from .sessions import COOKIE, Session, Sessions, Throttle
from .statuses import status_of


def safe_next(target: object, default: str = "/") -> str:
    """``target`` if it is a path of this node ("/" then neither "/" nor "\\", no scheme,
    no control characters), else ``default``: a redirect never leaves the site."""
    if not isinstance(target, str) or not target.startswith("/"):
        return default
    if len(target) > 1 and target[1] in "/\\":
        return default
    if any(ord(c) < 32 or ord(c) == 127 for c in target) or "\\" in target:
        return default
    return target


@dataclass(frozen=True)
class Refusal:
    """A form that was refused: where it was sent (its ``action``), why, and what was typed."""

    action: str
    message: str
    typed: dict[str, str]

    def at(self, action: str, **fields: str) -> bool:
        """Whether this is the form sent to ``action`` (with these hidden ``fields``: a page
        may hold several forms for one action, such as a reply form under each message)."""
        return self.action == action and all(self.typed.get(k, "") == v for k, v in fields.items())


class RefusalView:
    """What a template asks of a refused form: ``refusal_beside(action)``, the refusal beside
    the form sent to ``action``; ``typed_in(action, field)``, what was typed in it;
    ``came_back(action)``, true for that form (to open its ``<details>``). ``shown`` tells
    whether a form of the page took it."""

    def __init__(self, refusal: Refusal | None):
        self.refusal = refusal
        self.shown = False

    def again(self, action: str, **fields: str) -> bool:
        return self.refusal is not None and self.refusal.at(action, **fields)

    def beside(self, action: str, **fields: str) -> Markup:
        if self.refusal is None or not self.again(action, **fields):
            return Markup("")
        self.shown = True
        return Markup('<p class="error" role="alert">{}</p>').format(self.refusal.message)

    def typed(self, action: str, field: str, **fields: str) -> str:
        if self.refusal is None or not self.again(action, **fields):
            return ""
        return self.refusal.typed.get(field, "")

    def helpers(self, unplaced: bool = False) -> dict[str, Any]:
        """``unplaced``: no form of the page took the refusal (its action was written
        another way): the page says it above its content instead."""
        shown = self.refusal.message if unplaced and self.refusal else ""
        return {"refusal_beside": self.beside, "typed_in": self.typed, "came_back": self.again,
                "unplaced_refusal": shown}  # fmt: skip


UNTYPED = ("csrf", "once", "next")  # a form's own keys, not what a person typed
STATIC = Path(__file__).parent / "static"
UNLOCKS_WAITING = 5  # sign-ins under way (a few seconds of waiting) before "come back later"
NICER = 10  # niceness of the thread that unlocks keys: pages first when the CPU is short
T = TypeVar("T")


def _lower_priority() -> None:
    """The calling thread yields the CPU to the others when it is short (Linux gives each
    thread its own niceness; elsewhere this does nothing)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICER)
    except (AttributeError, OSError):
        pass


class AlreadySent(Exception):
    """A form sent again: the person goes where its first submission led."""

    def __init__(self, location: str):
        self.location = location


class JsonTwin:
    """``/any/page.json`` is ``/any/page`` answered as JSON (as Datasette does)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith(".json"):
            scope = dict(scope, path=scope["path"][: -len(".json")])
            scope.setdefault("state", {})["json"] = True
        await self.app(scope, receive, send)


class Web:
    def __init__(self, service: Service, *, hub: bool = False):
        self.service = service
        self.hub = hub
        self.sessions = Sessions()
        self.sent = SentForms()  # one-time form keys spent, per session
        self.throttle = Throttle()
        self.templates = Environment(
            loader=PackageLoader("communs.web", "templates"),
            autoescape=select_autoescape(["html"]),
        )
        self.templates.globals.update(
            markdown=render.markdown,
            as_names=render.as_names,
            object_url=object_url,
            when=render.when,
            short=render.short,
            quote=quote,
        )
        self.routes: list[BaseRoute] = []
        self.pages: list[Route] = []  # the GET pages, to show a refused form's page again
        self.unlocking = 0  # sign-ins unlocking a key or waiting to
        # One thread, of low priority, unlocks keys: a sign-in waits for the CPU, pages do not.
        self._unlocker = ThreadPoolExecutor(1, "unlock", initializer=_lower_priority)

    # -- reaching the node -------------------------------------------------------------------

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args)`` on a worker thread: whatever reads or writes the node waits
        there for the node's lock, never on the event loop that serves every page."""
        return await run_in_threadpool(function, *args, **kwargs)

    async def unlock(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``function(*args)`` that unlocks a key with a passphrase (a core and 256 MiB for
        half a second), on the unlocking thread, one at a time; None when too many people are
        already waiting to sign in."""
        if self.unlocking >= UNLOCKS_WAITING:
            return None
        self.unlocking += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._unlocker, functools.partial(function, *args, **kwargs)
            )
        finally:
            self.unlocking -= 1

    # -- building pages ----------------------------------------------------------------------

    def route(self, path: str, methods: tuple[str, ...] = ("GET",)) -> Callable:
        def register(endpoint: Callable) -> Callable:
            async def handle(request: Request) -> Response:
                try:
                    response = await endpoint(request)
                except AlreadySent as sent:
                    return RedirectResponse(sent.location, status_code=303)
                except BaseException as error:
                    self._give_back(request)  # refused: the corrected form may be sent
                    if not isinstance(error, CommunsError):
                        raise
                    again = await self._form_again(request, error)
                    if again is not None:
                        return again
                    return self.error(request, status_of(error), self.said(request, error))
                self._spent(request, response)
                return response

            self.routes.append(Route(path, handle, methods=list(methods)))
            if "GET" in methods:
                self.pages.append(Route(path, endpoint, methods=["GET"]))
            return endpoint

        return register

    async def _form_again(self, request: Request, error: CommunsError) -> Response | None:
        """A refused form's own page again, with the refusal beside the form that was sent
        and what was typed in it, in the error's status; None when there is no such page
        (a program's post, or a form sent from elsewhere)."""
        form = request.scope.get("state", {}).get("form")
        if request.method != "POST" or form is None or self.wants_json(request):
            return None
        here = request.url.path
        # the page named by the form, else the one it came from, else the page at its action
        # ("/c/…/enterprises" posts to itself), else its action's parent ("/c/…/tasks/ID/done"
        # is sent from "/c/…/tasks/ID")
        candidates = [
            str(form.get("next") or ""), self._referer(request), here, here.rsplit("/", 1)[0]
        ]  # fmt: skip
        found = None
        for candidate in candidates:
            back = urlsplit(safe_next(candidate, ""))
            if not back.path:
                continue
            scope = {**request.scope, "method": "GET", "path": back.path, "query_string":
                     back.query.encode(), "raw_path": back.path.encode()}  # fmt: skip
            found = next((p for p in self.pages if p.matches(scope)[0] is Match.FULL), None)
            if found is not None:
                break
        if found is None:
            return None
        page, child = found, found.matches(scope)[1]
        typed = {k: v for k, v in form.multi_items() if isinstance(v, str) and k not in UNTYPED}
        scope["state"]["refusal"] = Refusal(request.url.path, self.said(request, error), typed)
        try:
            shown = await page.endpoint(Request({**scope, **child}, request.receive))
        except Exception:  # noqa: BLE001  (the page itself fails now: the error page says why)
            return None
        shown.status_code = status_of(error)
        return shown

    def _referer(self, request: Request) -> str:
        """The path of the page a request came from, when it is a page of this node."""
        parts = urlsplit(request.headers.get("referer") or "")
        if parts.netloc not in ("", request.headers.get("host", "")):
            return ""
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @staticmethod
    def wants_json(request: Request) -> bool:
        """Whether the request asks for a page's JSON twin (``.json`` or ``Accept``)."""
        return bool(request.scope.get("state", {}).get("json"))

    def session(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    def lang(self, request: Request) -> str:
        return negotiate(request.cookies.get("lang"), request.headers.get("accept-language"))

    def gettext(self, request: Request) -> Translator:
        """The translation function for the visitor's language, for text built in Python."""
        return translator(self.lang(request))

    def page(
        self, request: Request, template: str, data: dict[str, Any], status: int = 200
    ) -> Response:
        """The page, or its JSON twin: the same data a person sees, for a program."""
        if self.wants_json(request):
            return JSONResponse(hexed(data), status_code=status)
        session = self.session(request)
        lang = self.lang(request)
        recovery_code = None
        if session and session.recovery_code:
            # Shown once: the server keeps no copy of the code once this page is made.
            recovery_code, session.recovery_code = session.recovery_code, None
        _ = translator(lang)
        # One count on the node's own small database: cheap enough for every page.
        unread = self.service.unread(session.identity.did) if session and session.identity else 0
        refusal = RefusalView(request.scope.get("state", {}).get("refusal"))
        shared = dict(
            **data,
            _=_,
            ngettext=_.ngettext,
            say=functools.partial(say, translate=_),
            why=functools.partial(render.why, translate=_),
            lang=lang,
            languages=LANGUAGES,
            request=request,
            me=session,
            hub=self.hub,
            csrf=session.csrf if session else "",
            form_keys=functools.partial(hidden_inputs, session.csrf if session else ""),
            path=request.url.path,
            recovery_code=recovery_code,
            header_unread=unread,
            amount=render.amount_in(lang),
        )
        html = self.templates.get_template(template).render(**shared, **refusal.helpers())
        if refusal.refusal is not None and not refusal.shown:
            helpers = refusal.helpers(unplaced=True)
            html = self.templates.get_template(template).render(**shared, **helpers)
        return HTMLResponse(html, status_code=status)

    def error(self, request: Request, status: int, message: str) -> Response:
        """The error page; ``message`` in the reader's language when the catalogue has it."""
        said = self.gettext(request)(message)
        return self.page(request, "error.html", {"status": status, "message": said}, status)

    def said(self, request: Request, error: CommunsError) -> str:
        """An error's sentence in the reader's language: from its refusal code when it has
        one, else its message (translated when the catalogue holds it)."""
        if error.code in CODES:
            found = sentence({"code": error.code, "params": error.params}, self.gettext(request))
            if found:
                return found
        return self.gettext(request)(str(error))

    async def form(self, request: Request) -> FormData:
        """A posted form, refused unless it carries this session's CSRF token; a form whose
        one-time key was spent already acts no second time (``once``)."""
        form = await request.form()
        session = self.session(request)
        if session is None or form.get("csrf") != session.csrf:
            raise HTTPException(
                403,
                N_(
                    "this form expired or did not come from this site: "
                    "reload the page and try again"
                ),
            )
        key = form.get("once")
        if isinstance(key, str) and key:
            led_to = self.sent.spend(session.id, key)
            if led_to is not None:  # sent before: where it led, or back while it runs
                raise AlreadySent(led_to or safe_next(request.headers.get("referer"), "/"))
            request.state.once = (session.id, key)
        request.state.form = form  # what was typed, should the form come back refused
        return form

    def _spent(self, request: Request, response: Response) -> None:
        """A form that acted: its key now leads where its first submission led."""
        spent = getattr(request.state, "once", None)
        if spent is None:
            return
        if 300 <= response.status_code < 400:
            self.sent.led_to(*spent, response.headers.get("location") or "/")
        elif response.status_code >= 400:  # refused: the form comes back to be corrected
            self.sent.give_back(*spent)
        else:
            self.sent.led_to(*spent, str(request.url.path))

    def _give_back(self, request: Request) -> None:
        spent = getattr(request.state, "once", None)
        if spent is not None:
            self.sent.give_back(*spent)

    def actor(self, request: Request) -> Actor:
        session = self.session(request)
        if session is None or session.identity is None:
            raise HTTPException(401, N_("sign in first"))
        return Actor(session.name, identity=session.identity)

    def me_of(self, request: Request) -> str | None:
        """The signed-in visitor's DID (None: nobody signed in)."""
        session = self.session(request)
        return session.identity.did if session and session.identity else None

    def done(self, request: Request, made: dict[str, Any], location: str) -> Response:
        """A form that acted: its result for a program (JSON), else the page it leads to."""
        if self.wants_json(request):
            return JSONResponse(made)
        return RedirectResponse(location, status_code=303)

    def back(self, request: Request, default: str = "/") -> RedirectResponse:
        return RedirectResponse(safe_next(self._referer(request), default), status_code=303)

    @staticmethod
    def is_local(request: Request) -> bool:
        try:
            return ipaddress.ip_address(request.client.host).is_loopback  # type: ignore[union-attr]
        except (ValueError, AttributeError):
            return False

    # -- live updates ------------------------------------------------------------------------

    async def live(self, request: Request, commons: bytes) -> AsyncIterator[bytes]:
        """Server-sent events: one per new event of the commons, so pages refresh parts."""
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1000)
        loop = asyncio.get_running_loop()

        def deliver(commons_id: bytes, raw: bytes) -> None:
            if commons_id == commons and not queue.full():
                loop.call_soon_threadsafe(queue.put_nowait, raw)

        self.service.listen(deliver)  # adds to a set: nothing to wait for on the event loop
        try:
            yield b"retry: 2000\n\n"
            while not await request.is_disconnected():
                try:
                    raw = await asyncio.wait_for(queue.get(), 15)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                payload = cbor2.loads(cbor2.loads(raw)[0])
                yield f"event: change\ndata: {payload['type']}\n\n".encode()
        finally:
            self.service.unlisten(deliver)
