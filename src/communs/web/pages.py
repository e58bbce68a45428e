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
from .notifications import WHY
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
        did = session.identity.did if session and session.identity else None
        if session and did and not session.visiting:
            # "Since your last visit" holds for the whole visit (reloads included), and the
            # node remembers the visit for the next one.
            session.visiting = True
            session.last_visit = await web.call(service.visit, did, measures.now_ms())
        since = session.last_visit if session else None
        data = await web.call(service.home_page, did, since, measures.now_ms())
        notes = await web.call(service.notifications, did, 10) if did else None
        return web.page(
            request,
            "home.html",
            {
                "commons": data["commons"],
                "changes": data["changes"][:30],
                "since": since,
                "notifications": notes["notifications"] if notes else [],
                "reasons": WHY,
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

    import math
    import time

    # Here rather than at the top of the module: the rest of this file is someone else's.
    from .sessions import (
        NAME_INVALID,
        NAME_TAKEN,
        NO_MATCH,
        NO_RECOVERY,
        NOT_THE_SAME,
        TRIED_ELSEWHERE,
        answer_no_sooner,
        held_elsewhere,
        passphrase_problem,
    )

    def held_back(request: Request, keys: tuple[str, ...]) -> tuple[str, int] | None:
        """The refusal and the seconds to wait when the throttle holds this try back: the
        wait of the key that blocks, said as people read it."""
        wait, key = web.throttle.blocking(*keys)
        if wait <= 0:
            return None
        _ = web.gettext(request)
        message = TRIED_ELSEWHERE if held_elsewhere(key) else TOO_MANY
        return _(message, wait=say_wait(wait, _)), math.ceil(wait)

    def address_of(request: Request) -> str:
        return request.client.host if request.client else "?"

    def again_of(form: Any, passphrase: str) -> str:
        # A form always sends the second field; a program that never heard of it (the hub's
        # benchmark, a script) has no typo to catch.
        again = form.get("again")
        return passphrase if again is None else str(again)

    def retry_after(response: Response, seconds: int) -> Response:
        response.headers["Retry-After"] = str(seconds)
        return response

    @web.route("/login")
    async def login_page(request: Request) -> Response:
        return await sign_in_page(
            request, 200, None, safe_next(request.query_params.get("next")), ""
        )

    @web.route("/login", methods=("POST",))
    async def login(request: Request) -> Response:
        """On a hub, every refusal of a name and passphrase is the same sentence, answered
        after the same time (``sessions.REFUSAL_FLOOR``), so none tells which names exist."""
        started = time.monotonic()
        form, _ = await request.form(), web.gettext(request)
        name = str(form.get("name") or "").strip()
        passphrase = str(form.get("passphrase") or "") or None
        target = safe_next(form.get("next"))
        keys = sign_in_keys(name, address_of(request))
        held = held_back(request, keys)
        if held:
            message, seconds = held
            page = await sign_in_page(request, 429, message, target, name)
            return retry_after(page, seconds)
        if not web.hub and not web.is_local(request):
            return await sign_in_page(
                request,
                403,
                _(
                    "This node acts for its owner: sign in from the "
                    "machine it runs on, or run it as a hub (communs serve --hub)."
                ),
                target,
                name,
            )
        if web.hub and not passphrase:
            return await sign_in_page(request, 400, _("Give your passphrase."), target, name)
        try:
            unlocked = await web.unlock(service.sign_in, name, passphrase, sealed_only=web.hub)
        except CommunsError as error:
            if not web.hub and not isinstance(error, (NotFound, Refused)):
                raise
            web.throttle.failed(*keys)
            if not web.hub:  # the owner's own machine: the keyring's own words help them
                return await sign_in_page(request, 401, web.said(request, error), target, name)
            # Even a damaged key file says no more than a wrong passphrase would.
            await answer_no_sooner(started)
            return await sign_in_page(request, 401, _(NO_MATCH), target, name)
        if unlocked is None:
            return await sign_in_page(request, 503, _(BUSY), target, name)
        web.throttle.succeeded(*keys)
        return signed_in(request, *unlocked, target)

    async def sign_in_page(
        request: Request, status: int, message: str | None, target: str, name: str
    ) -> Response:
        identities = [] if web.hub else await web.call(service.identities)
        return web.page(
            request,
            "login.html",
            {
                "identities": identities,
                "next": target,
                "local": web.is_local(request),
                "error": message,
                "name": name,
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

    def account_form(
        request: Request,
        template: str,
        status: int = 200,
        error: str | None = None,
        at: str | None = None,
        **kept: str,
    ) -> Response:
        """The register or recover page; ``error`` beside the field ``at`` (name,
        passphrase, again, code), else above the form; what was typed in ``kept`` (never a
        passphrase) stays in its field."""
        return web.page(request, template, {"error": error, "error_at": at, **kept}, status)

    def passphrase_refusal(request: Request, template: str, problem: str, **kept: str) -> Response:
        at = "again" if problem == NOT_THE_SAME else "passphrase"
        return account_form(request, template, 400, web.gettext(request)(problem), at, **kept)

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
        return account_form(request, "register.html", name="")

    @web.route("/register", methods=("POST",))
    async def register(request: Request) -> Response:
        if not web.hub:
            return web.error(request, 404, N_("this node does not take registrations"))
        form, _ = await request.form(), web.gettext(request)
        name = str(form.get("name") or "").strip()
        passphrase = str(form.get("passphrase") or "")
        problem = passphrase_problem(name, passphrase, again_of(form, passphrase))
        if problem:
            return passphrase_refusal(request, "register.html", problem, name=name)
        address = address_of(request)
        wait = registrations.wait(address)
        if wait > 0:
            refused = account_form(
                request,
                "register.html",
                429,
                _(
                    "Too many new accounts from your address: try again in {wait}.",
                    wait=say_wait(wait, _),
                ),
                name=name,
            )
            return retry_after(refused, math.ceil(wait))
        try:
            made = await web.unlock(service.register, name, passphrase)
        except CommunsError as error:
            if error.code == "identity_name_invalid":
                said, at = _(NAME_INVALID), "name"
            elif error.code == "identity_name_taken":
                said, at = _(NAME_TAKEN, name=name), "name"
            else:
                said, at = web.said(request, error), None
            return account_form(request, "register.html", 400, said, at, name=name)
        if made is None:
            return account_form(request, "register.html", 503, _(BUSY), name=name)
        registrations.made(address)
        identity, code = made
        return signed_in(request, name, identity, "/", recovery_code=code)

    @web.route("/recover")
    async def recover_page(request: Request) -> Response:
        if not web.hub:
            return web.error(request, 404, NO_ACCOUNTS)
        return account_form(request, "recover.html", name="", code="")

    @web.route("/recover", methods=("POST",))
    async def recover(request: Request) -> Response:
        """A forgotten passphrase replaced, with the recovery code: throttled as signing in
        is, since a code tried here is a way in too, and refused in the same time."""
        started = time.monotonic()
        if not web.hub:
            return web.error(request, 404, NO_ACCOUNTS)
        form, _ = await request.form(), web.gettext(request)
        name = str(form.get("name") or "").strip()
        code = str(form.get("code") or "")
        passphrase = str(form.get("passphrase") or "")
        keys = sign_in_keys(name, address_of(request))
        held = held_back(request, keys)
        if held:
            message, seconds = held
            page = account_form(request, "recover.html", 429, message, name=name, code=code)
            return retry_after(page, seconds)
        problem = passphrase_problem(name, passphrase, again_of(form, passphrase), new=True)
        if problem:  # the code is not tried yet: it stays in its field
            return passphrase_refusal(request, "recover.html", problem, name=name, code=code)
        if not code.strip():
            return account_form(
                request, "recover.html", 400, _("Give your recovery code."), "code", name=name
            )
        try:
            recovered = await web.unlock(service.recover, name, code, passphrase)
        except CommunsError:
            web.throttle.failed(*keys)
            await answer_no_sooner(started)
            return account_form(request, "recover.html", 401, _(NO_RECOVERY), name=name)
        if recovered is None:
            return account_form(request, "recover.html", 503, _(BUSY), name=name, code=code)
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
