"""Home, commons, activity, signing in, language: the pages every visit passes through."""

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from ..core.errors import CommunsError, NotFound, Refused
from ..domain import TYPES
from ..i18n import LANGUAGES, N_
from . import measures
from .base import Web, safe_next
from .discussion import thread_for
from .sessions import COOKIE, LIFETIME, Registrations, say_wait, sign_in_keys
from .words import EVENT_TYPES

PAGE = 100  # events on one page of activity
BUSY = N_("Many people are signing in right now: try again in a few seconds.")
TOO_MANY = N_("Too many failed attempts: wait {wait} before trying again.")
NO_ACCOUNTS = N_("this node has no accounts to recover")


def _position(value: str | None) -> tuple[int, bytes] | None:
    """``clock.id`` (as the "older" link gives it) → a position in the fold order."""
    clock, _, eid = (value or "").partition(".")
    try:
        return (int(clock), bytes.fromhex(eid)) if clock and len(eid) == 64 else None
    except ValueError:
        return None


def add_routes(web: Web) -> None:
    service = web.service
    registrations = Registrations()

    @web.route("/")
    async def home(request: Request) -> Response:
        session = web.session(request)
        since = session.last_visit if session else None
        did = session.identity.did if session and session.identity else None
        data = await web.call(service.home_page, did, since, measures.now_ms())
        if session:
            session.last_visit = measures.now_ms()
        return web.page(
            request,
            "home.html",
            {
                "commons": data["commons"],
                "changes": data["changes"][:30],
                "since": since,
                "notifications": data["notifications"][:30],
                "reminders": data["reminders"],
            },
        )

    @web.route("/c/{ref}")
    async def commons(request: Request) -> Response:
        data = await web.call(service.commons_page, request.path_params["ref"], 15)
        data["thread"] = await web.call(thread_for, service, data["commons"]["id"], "commons", "")
        return web.page(request, "commons.html", data)

    @web.route("/c/{ref}/activity")
    async def activity(request: Request) -> Response:
        """Every event, newest first, a page at a time, filtered by person, type or object."""
        query, _ = request.query_params, web.gettext(request)
        person, kind = query.get("person") or None, query.get("type") or None
        target = (query.get("object") or "").strip()
        before = _position(query.get("before"))
        data = await web.call(
            service.activity_page, request.path_params["ref"], PAGE, before, person, kind, target
        )
        entries = data.pop("entries")
        older = f"{entries[-1]['clock']}.{entries[-1]['id']}" if len(entries) == PAGE else None
        data["people"] = sorted(data.pop("names").items(), key=lambda p: p[1].lower())
        data.update(
            entries=entries,
            types=sorted(
                ((t, _(EVENT_TYPES.get(t, t))) for t in TYPES), key=lambda t: t[1].lower()
            ),
            person=person or "",
            kind=kind or "",
            target=target,
            older=older,
        )
        return web.page(request, "activity.html", data)

    @web.route("/c/{ref}/live")
    async def live(request: Request) -> Response:
        commons = await web.call(service.commons_ref, request.path_params["ref"])
        return StreamingResponse(
            web.live(request, commons),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )

    @web.route("/c/{ref}/fork", methods=("POST",))
    async def fork(request: Request) -> Response:
        form = await web.form(request)
        made = await web.call(
            service.fork,
            web.actor(request),
            request.path_params["ref"],
            str(form.get("name") or ""),
        )
        return RedirectResponse(f"/c/{made['id']}", status_code=303)

    # -- signing in ----------------------------------------------------------------------------

    @web.route("/login")
    async def login_page(request: Request) -> Response:
        identities = [] if web.hub else await web.call(service.identities)
        return web.page(
            request,
            "login.html",
            {
                "identities": identities,
                "next": safe_next(request.query_params.get("next")),
                "local": web.is_local(request),
                "error": None,
            },
        )

    @web.route("/login", methods=("POST",))
    async def login(request: Request) -> Response:
        form, _ = await request.form(), web.gettext(request)
        name = str(form.get("name") or "").strip()
        passphrase = str(form.get("passphrase") or "") or None
        target = safe_next(form.get("next"))
        address = request.client.host if request.client else "?"
        keys = sign_in_keys(name, address)
        wait = web.throttle.wait(*keys)
        if wait > 0:
            return await sign_in_error(
                request,
                429,
                _(TOO_MANY, wait=say_wait(wait, _)),
                target,
            )
        if not web.hub and not web.is_local(request):
            return await sign_in_error(
                request,
                403,
                _(
                    "This node acts for its owner: sign in from the "
                    "machine it runs on, or run it as a hub (communs serve --hub)."
                ),
                target,
            )
        if web.hub and not passphrase:
            return await sign_in_error(request, 400, _("Give your passphrase."), target)
        try:
            unlocked = await web.unlock(service.sign_in, name, passphrase, sealed_only=web.hub)
        except (NotFound, Refused) as error:
            web.throttle.failed(*keys)
            return await sign_in_error(request, 401, web.said(request, error), target)
        if unlocked is None:
            return await sign_in_error(request, 503, _(BUSY), target)
        web.throttle.succeeded(*keys)
        return signed_in(request, *unlocked, target)

    async def sign_in_error(request: Request, status: int, message: str, target: str) -> Response:
        identities = [] if web.hub else await web.call(service.identities)
        return web.page(
            request,
            "login.html",
            {
                "identities": identities,
                "next": target,
                "local": web.is_local(request),
                "error": message,
            },
            status,
        )

    def signed_in(
        request: Request, name: str, identity: Any, target: str, recovery_code: str | None = None
    ) -> Response:
        old = web.session(request)
        if old:
            web.sessions.drop(old)
        session = web.sessions.new()  # a new id at sign-in: no session fixation
        session.name, session.identity = name, identity
        session.recovery_code = recovery_code  # shown once, on the page they land on
        response = RedirectResponse(safe_next(target), status_code=303)
        response.set_cookie(
            COOKIE,
            session.id,
            max_age=LIFETIME,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    @web.route("/register")
    async def register_page(request: Request) -> Response:
        if not web.hub:
            return web.error(
                request,
                404,
                N_(
                    "this node does not take registrations; "
                    "create an identity with 'communs id new --name NAME'"
                ),
            )
        return web.page(request, "register.html", {"error": None})

    @web.route("/register", methods=("POST",))
    async def register(request: Request) -> Response:
        if not web.hub:
            return web.error(request, 404, N_("this node does not take registrations"))
        form, _ = await request.form(), web.gettext(request)
        name = str(form.get("name") or "").strip()
        passphrase = str(form.get("passphrase") or "")
        if len(passphrase) < 8:
            return web.page(
                request,
                "register.html",
                {"error": _("Choose a passphrase of at least 8 characters.")},
                400,
            )
        address = request.client.host if request.client else "?"
        wait = registrations.wait(address)
        if wait > 0:
            return web.page(
                request,
                "register.html",
                {
                    "error": _(
                        "Too many new accounts from your address: try again in {wait}.",
                        wait=say_wait(wait, _),
                    )
                },
                429,
            )
        try:
            made = await web.unlock(service.register, name, passphrase)
        except CommunsError as error:
            return web.page(request, "register.html", {"error": web.said(request, error)}, 400)
        if made is None:
            return web.page(request, "register.html", {"error": _(BUSY)}, 503)
        registrations.made(address)
        identity, code = made
        return signed_in(request, name, identity, "/", recovery_code=code)

    @web.route("/recover")
    async def recover_page(request: Request) -> Response:
        if not web.hub:
            return web.error(request, 404, NO_ACCOUNTS)
        return web.page(request, "recover.html", {"error": None})

    @web.route("/recover", methods=("POST",))
    async def recover(request: Request) -> Response:
        """A forgotten passphrase replaced, with the recovery code: throttled as signing in
        is, since a code tried here is a way in too."""
        if not web.hub:
            return web.error(request, 404, NO_ACCOUNTS)
        form, _ = await request.form(), web.gettext(request)
        name = str(form.get("name") or "").strip()
        code = str(form.get("code") or "")
        passphrase = str(form.get("passphrase") or "")

        def refused(status: int, message: str) -> Response:
            return web.page(request, "recover.html", {"error": _(message)}, status)

        address = request.client.host if request.client else "?"
        keys = sign_in_keys(name, address)
        wait = web.throttle.wait(*keys)
        if wait > 0:
            return refused(429, _(TOO_MANY, wait=say_wait(wait, _)))
        if len(passphrase) < 8:
            return refused(400, N_("Choose a new passphrase of at least 8 characters."))
        if not code.strip():
            return refused(400, N_("Give your recovery code."))
        try:
            recovered = await web.unlock(service.recover, name, code, passphrase)
        except Refused as error:
            web.throttle.failed(*keys)
            return refused(401, web.said(request, error))
        if recovered is None:
            return refused(503, BUSY)
        web.throttle.succeeded(*keys)
        found, identity, new_code = recovered
        return signed_in(request, found, identity, "/", recovery_code=new_code)

    @web.route("/logout", methods=("POST",))
    async def logout(request: Request) -> Response:
        await web.form(request)
        session = web.session(request)
        if session:
            web.sessions.drop(session)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @web.route("/me/key")
    async def export_key(request: Request) -> Response:
        """Your key, to run your own node later (encrypted with your passphrase on a hub)."""
        actor = web.actor(request)
        data = await web.call(service.identity_export, actor.name)
        return Response(
            json.dumps(data, indent=2),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="{actor.name}.communs-key.json"'
            },
        )

    @web.route("/lang/{code}")
    async def language(request: Request) -> Response:
        code = request.path_params["code"]
        response = web.back(request)
        if code in LANGUAGES:
            response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="lax")
        return response
