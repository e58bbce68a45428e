"""Home, commons, activity, signing in, language: the pages every visit passes through."""

import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from ..core.errors import CommunsError, NotFound, Refused
from ..domain import TYPES, threads
from ..node import governing, queries
from ..node.wire import link_to
from .app import Web
from .discussion import thread_for
from .i18n import LANGUAGES
from .sessions import COOKIE, LIFETIME

PAGE = 100  # events on one page of activity


def _position(value: str | None) -> tuple[int, bytes] | None:
    """``clock.id`` (as the "older" link gives it) → a position in the fold order."""
    clock, _, eid = (value or "").partition(".")
    try:
        return (int(clock), bytes.fromhex(eid)) if clock and len(eid) == 64 else None
    except ValueError:
        return None


def add_routes(web: Web) -> None:
    service = web.service

    def commons_data(ref: str) -> dict[str, Any]:
        with service.lock:
            commons = service.home.commons_id(ref)
            return {
                "commons": queries.commons_show(service.home, commons),
                "lineage": queries.lineage(service.home, commons),
            }

    @web.route("/")
    async def home(request: Request) -> Response:
        session = web.session(request)
        since = session.last_visit if session else None
        followed = set(c.hex() for c in service.local.follows())
        items = [c for c in service.commons_list() if c["id"] in followed or not followed]
        changes, notes, due = [], [], []
        now = int(time.time() * 1000)
        with service.lock:
            for c in items:
                commons = bytes.fromhex(c["id"])
                cid = service.home.cid(commons)
                c["open"] = service.home.store.count_states(cid, "contribution/").get("open", 0)
                for entry in queries.log(service.home, commons, limit=20):
                    if since is None or entry["time"] > since:
                        changes.append({**entry, "commons": c["id"], "commons_name": c["name"]})
                if session and session.identity:
                    for reminder in governing.reminders(
                        service.home, commons, session.identity.did, now
                    ):
                        due.append({**reminder, "commons": c["id"], "commons_name": c["name"]})
                    records = dict(service.home.store.scan_records(cid, "message/"))
                    for note in threads.notifications(records, session.identity.did):
                        notes.append({**note, "commons": c["id"], "commons_name": c["name"]})
        changes.sort(key=lambda e: e["time"], reverse=True)
        if session:
            session.last_visit = int(time.time() * 1000)
        return web.page(
            request,
            "home.html",
            {
                "commons": items,
                "changes": changes[:30],
                "since": since,
                "notifications": notes[:30],
                "reminders": due,
            },
        )

    @web.route("/c/{ref}")
    async def commons(request: Request) -> Response:
        ref = request.path_params["ref"]
        data = commons_data(ref)
        data["activity"] = service.commons_log(ref, limit=15)
        data["artifacts"] = service.artifacts(ref)
        data["thread"] = thread_for(service, data["commons"]["id"], "commons", "")
        own = service.replicator.own_url  # the link another node follows
        data["link"] = link_to(bytes.fromhex(data["commons"]["id"]), own)
        return web.page(request, "commons.html", data)

    @web.route("/c/{ref}/activity")
    async def activity(request: Request) -> Response:
        """Every event, newest first, a page at a time; filters by person and type run in
        SQL, the object filter reads the page's lines (and a few pages more)."""
        ref = request.path_params["ref"]
        data = commons_data(ref)
        query = request.query_params
        person, kind = query.get("person") or None, query.get("type") or None
        target = (query.get("object") or "").strip()
        before = _position(query.get("before"))
        with service.lock:
            home = service.home
            commons = home.commons_id(ref)
            cid = home.cid(commons)
            known = queries.names(home, cid)  # people filter: those who signed a profile
            entries: list[dict[str, Any]] = []
            for _ in range(20 if target else 1):
                batch = queries.log(home, commons, PAGE, before=before, author=person, type=kind)
                entries += [
                    e
                    for e in batch
                    if not target or target in e["summary"] or e["id"].startswith(target)
                ]
                if len(batch) < PAGE or len(entries) >= PAGE:
                    break
                before = (batch[-1]["clock"], bytes.fromhex(batch[-1]["id"]))
        entries = entries[:PAGE]
        older = f"{entries[-1]['clock']}.{entries[-1]['id']}" if len(entries) == PAGE else None
        data["people"] = sorted(known.items(), key=lambda p: p[1].lower())
        data.update(
            entries=entries,
            types=sorted(TYPES),
            person=person or "",
            kind=kind or "",
            target=target,
            older=older,
        )
        return web.page(request, "activity.html", data)

    @web.route("/c/{ref}/live")
    async def live(request: Request) -> Response:
        with service.lock:
            commons = service.home.commons_id(request.path_params["ref"])
        return StreamingResponse(
            web.live(request, commons),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )

    @web.route("/c/{ref}/fork", methods=("POST",))
    async def fork(request: Request) -> Response:
        form = await web.form(request)
        made = service.fork(
            web.actor(request),
            request.path_params["ref"],
            str(form.get("name") or "").strip() or "Fork",
        )
        return RedirectResponse(f"/c/{made['id']}", status_code=303)

    # -- signing in ----------------------------------------------------------------------------

    @web.route("/login")
    async def login_page(request: Request) -> Response:
        identities = [] if web.hub else service.identities()
        return web.page(
            request,
            "login.html",
            {
                "identities": identities,
                "next": request.query_params.get("next", "/"),
                "local": web.is_local(request),
                "error": None,
            },
        )

    @web.route("/login", methods=("POST",))
    async def login(request: Request) -> Response:
        form = await request.form()
        name = str(form.get("name") or "").strip()
        passphrase = str(form.get("passphrase") or "") or None
        target = str(form.get("next") or "/")
        address = request.client.host if request.client else "?"
        wait = web.throttle.wait(f"ip:{address}", f"name:{name}")
        if wait:
            return sign_in_error(
                request,
                429,
                f"Too many failed attempts: wait {wait:.0f} seconds before trying again.",
                target,
            )
        if not web.hub and not web.is_local(request):
            return sign_in_error(
                request,
                403,
                "This node acts for its owner: sign in from the "
                "machine it runs on, or run it as a hub (communs serve --hub).",
                target,
            )
        if web.hub and not passphrase:
            return sign_in_error(request, 400, "Give your passphrase.", target)
        try:
            with service.lock:
                info = service.home.keyring.info(name)
                identity = service.home.keyring.load(info.name, passphrase)
        except (NotFound, Refused) as error:
            web.throttle.failed(f"ip:{address}", f"name:{name}")
            return sign_in_error(request, 401, str(error), target)
        web.throttle.succeeded(f"ip:{address}", f"name:{name}")
        return signed_in(request, info.name, identity, target)

    def sign_in_error(request: Request, status: int, message: str, target: str) -> Response:
        identities = [] if web.hub else service.identities()
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

    def signed_in(request: Request, name: str, identity: Any, target: str) -> Response:
        old = web.session(request)
        if old:
            web.sessions.drop(old)
        session = web.sessions.new()  # a new id at sign-in: no session fixation
        session.name, session.identity = name, identity
        response = RedirectResponse(target if target.startswith("/") else "/", status_code=303)
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
                "this node does not take registrations; "
                "create an identity with 'communs id new --name NAME'",
            )
        return web.page(request, "register.html", {"error": None})

    @web.route("/register", methods=("POST",))
    async def register(request: Request) -> Response:
        if not web.hub:
            return web.error(request, 404, "this node does not take registrations")
        form = await request.form()
        name = str(form.get("name") or "").strip()
        passphrase = str(form.get("passphrase") or "")
        if len(passphrase) < 8:
            return web.page(
                request,
                "register.html",
                {"error": "Choose a passphrase of at least 8 characters."},
                400,
            )
        try:
            with service.lock:
                service.identity_new(name, passphrase)
                identity = service.home.keyring.load(name, passphrase)
        except CommunsError as error:
            return web.page(request, "register.html", {"error": str(error)}, 400)
        return signed_in(request, name, identity, "/")

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
        with service.lock:
            data = service.home.keyring.export(actor.name)
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
