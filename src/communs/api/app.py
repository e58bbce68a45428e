"""The node's HTTP face: every CLI action as JSON, files as streams, and peer sync.

Reads are open to all (holoptism); writes sign with the node's identities, so they need the
home's API token (``Authorization: Bearer …``, kept in the home with 0600 permissions).
Errors always have one shape: ``{"ok": false, "error": "...", "status": N, "kind": K}``, where
``kind`` names the error's class (``Refused``, ``NotFound``, ``Ambiguous``, ``BadInput``,
``InvalidEvent``, ``Unreachable``) so that a client raises the same error the node did; a
refusal of the fold adds its stable ``code`` and ``params`` (see docs/events.md).
"""

import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from .. import __version__
from ..core.errors import CommunsError
from ..domain.refusals import code, fault
from ..node import Actor, Service, hexed
from ..web.app import create_web_app
from ..web.statuses import status_of
from .bodies import Signed
from .credit import add_credit_routes
from .files import add_file_routes, spool
from .guard import Guard
from .library import add_library_routes
from .peers import add_peer_routes
from .personal import add_personal_routes
from .sync import add_sync_routes
from .tasks import add_task_routes, add_thread_routes
from .tracker import add_torrent_routes, add_tracker_routes
from .treasury import add_treasury_routes

# The kind of an error raised by the web framework rather than by Communs, by its status.
KIND_OF_STATUS = {400: "BadInput", 404: "NotFound", 422: "BadInput", 502: "Unreachable"}
# {rate}: sync requests a second, as Python's "g" writes it (200, 0.5).
TOO_MANY_SYNCS = code(
    "too_many_sync_requests",
    "too many sync requests from this peer: at most {rate} a second; slow down and retry",
)


def error(
    status: int, message: str, kind: str | None = None, code: str | None = None, params: Any = None
) -> JSONResponse:
    kind = kind or KIND_OF_STATUS.get(status, "Refused" if status < 500 else "CommunsError")
    body = {"ok": False, "error": message, "status": status, "kind": kind}
    if code is not None:  # a refusal of the fold: its stable code, for programs and translations
        body.update(code=code, params=hexed(params or {}))
    return JSONResponse(body, status_code=status)


class NewIdentity(BaseModel):
    name: str
    passphrase: str | None = None


class Name(BaseModel):
    name: str


class NewCommons(Signed):
    name: str
    description: str = ""
    kind: str = "other"
    licence: str = "CC-BY-SA-4.0"
    maintainers: list[str] = []
    threshold: int = 1
    mode: Literal["review", "publish"] = "review"


class NewFork(Signed):
    name: str = Field("", description="blank: the parent's name, marked as a fork")
    description: str | None = None


class MaintainerChange(Signed):
    op: Literal["add", "remove"]
    did: str


class NewContribution(Signed):
    title: str
    description: str = ""
    files: dict[str, str] = Field(
        {}, description="path -> hash of a blob added with POST /api/blobs"
    )
    deletes: list[str] = []
    to_parent: bool = Field(
        False, description="this commons is a fork: propose its changes to the parent"
    )


class Revision(Signed):
    title: str | None = None
    description: str | None = None
    files: dict[str, str] = {}
    deletes: list[str] = []


class NewReview(Signed):
    verdict: Literal["comment", "approve", "request_changes"] = "comment"
    comment: str = ""


class Decision(Signed):
    reason: str | None = None


class NewProposal(Signed):
    title: str
    text: str = ""
    kind: str = "custom"
    method: dict[str, Any] | None = None
    options: list[str] = []
    closes_in_hours: float = 72
    effect: dict[str, Any] | None = None
    hidden: bool = False


class ProposalAction(Signed):
    ballot: Any = None
    reason: str | None = None
    note: str | None = None
    outcome: str | None = None
    review_at: int | None = Field(None, description="ms since the epoch")


def create_app(
    service: Service,
    *,
    hub: bool = False,
    rate: float = 200.0,
    burst: int = 400,
    hostnames: tuple[str, ...] | None = None,
) -> FastAPI:
    """The node's app: API, sync and web pages (``hub``: citizens may register).
    Peers may send ``rate`` sync requests a second (``burst`` at once). Besides loopback
    names and IP addresses, the node answers to ``hostnames`` (see ``guard``); ``None``, for
    an app used in-process, leaves the Host unchecked (origins and headers still are)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start_rounds()
        yield
        service.stop_rounds()

    app = FastAPI(
        title="Communs node",
        version=__version__,
        description="Every action on the commons this node holds, as JSON; and the sync "
        "endpoints peers use.",
        lifespan=lifespan,
    )
    token = service.api_token()
    add_sync_routes(app, service.peer_side)
    add_tracker_routes(app)
    add_torrent_routes(app, service)
    limiter = RateLimiter(rate, burst)

    @app.middleware("http")
    async def limit_peers(request: Request, call_next: Any) -> Any:
        if request.url.path.startswith("/sync/") and not limiter.allow(_client(request)):
            said = fault(CommunsError, TOO_MANY_SYNCS, rate=f"{rate:g}")
            return error(429, str(said), None, said.code, said.params)
        return await call_next(request)

    @app.exception_handler(CommunsError)
    async def communs_error(request: Request, exc: CommunsError) -> JSONResponse:
        return error(status_of(exc), str(exc), type(exc).__name__, exc.code, exc.params)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return error(422, f"invalid request: {detail}")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail))

    def writer(authorization: str | None = Header(None)) -> None:
        if authorization != f"Bearer {token}":
            raise HTTPException(
                401,
                "this action signs with the node's identities: send "
                "'Authorization: Bearer <token>' (the token is in the home's "
                "api-token file)",
            )

    W = [Depends(writer)]
    s = service

    def signer(body: Signed) -> Actor:
        # Unlocked before the operation takes the node's lock: a passphrase costs half a
        # second of Argon2id, which no other request should wait for.
        return s.unlocked(body.actor())

    add_peer_routes(app, service, W)
    add_task_routes(app, service, W)
    add_credit_routes(app, service, W)
    add_treasury_routes(app, service, W)
    add_personal_routes(app, service, W)
    add_library_routes(app, service, W)
    add_thread_routes(app, service, W)

    def owner(authorization: str | None) -> bool:
        return authorization == f"Bearer {token}"

    @app.get("/api/node")
    def node_info(authorization: str | None = Header(None)) -> dict[str, Any]:
        """The node's status; its home folder only for the owner (with the token)."""
        info = {"version": __version__, **s.status(), "rate_limited": limiter.refused}
        if not owner(authorization):
            info.pop("home", None)
        return info

    @app.get("/api/commons/{ref}/proposals")
    def proposals(ref: str) -> list[dict[str, Any]]:
        return s.proposals(ref)

    @app.post("/api/commons/{ref}/proposals", dependencies=W)
    def proposal_open(ref: str, body: NewProposal) -> dict[str, Any]:
        fields = body.model_dump(exclude={"as_", "passphrase", "title"})
        return s.proposal_open(signer(body), ref, body.title, **fields)

    @app.get("/api/commons/{ref}/proposals/{proposal}")
    def proposal(ref: str, proposal: str) -> dict[str, Any]:
        return s.proposal(ref, proposal)

    @app.post("/api/commons/{ref}/proposals/{proposal}/fork", dependencies=W)
    def proposal_fork(ref: str, proposal: str, body: NewFork) -> dict[str, Any]:
        return s.proposal_fork(signer(body), ref, proposal, body.name)

    @app.post("/api/commons/{ref}/proposals/{proposal}/{action}", dependencies=W)
    def proposal_act(
        ref: str,
        proposal: str,
        action: Literal["vote", "reveal", "object", "withdraw_objection", "close", "settle"],
        body: ProposalAction,
    ) -> dict[str, Any]:
        fields = {
            k: v for k, v in body.model_dump(exclude={"as_", "passphrase"}).items() if v is not None
        }
        return s.proposal_act(signer(body), ref, proposal, action, **fields)

    @app.get("/api/commons/{ref}/charter")
    def charter(ref: str) -> dict[str, Any]:
        return s.charter(ref)

    @app.get("/api/commons/{ref}/charter/history")
    def charter_history(ref: str) -> list[dict[str, Any]]:
        return s.charter_history(ref)

    @app.get("/api/identities")
    def identities(authorization: str | None = Header(None)) -> list[dict[str, Any]]:
        """The node's identities; on a hub (whose identities are its citizens) only for the
        owner, with the token."""
        if hub and not owner(authorization):
            writer(authorization)
        return s.identities()

    @app.post("/api/identities", dependencies=W)
    def identity_new(body: NewIdentity) -> dict[str, Any]:
        return s.identity_new(body.name, body.passphrase)

    @app.post("/api/identities/default", dependencies=W)
    def identity_use(body: Name) -> dict[str, Any]:
        return s.identity_use(body.name)

    @app.get("/api/commons")
    def commons_list() -> list[dict[str, Any]]:
        return s.commons_list()

    @app.post("/api/commons", dependencies=W)
    def commons_create(body: NewCommons) -> dict[str, Any]:
        charter = body.model_dump(exclude={"as_", "passphrase"})
        return s.commons_create(signer(body), **charter)

    @app.get("/api/commons/{ref}")
    def commons_show(ref: str) -> dict[str, Any]:
        return s.commons_show(ref)

    @app.get("/api/commons/{ref}/log")
    def commons_log(ref: str, limit: int | None = None) -> list[dict[str, Any]]:
        return s.commons_log(ref, limit)

    @app.get("/api/commons/{ref}/lineage")
    def commons_lineage(ref: str) -> dict[str, Any]:
        return s.commons_lineage(ref)

    @app.post("/api/commons/{ref}/fork", dependencies=W)
    def fork(ref: str, body: NewFork) -> dict[str, Any]:
        return s.fork(signer(body), ref, body.name, body.description)

    @app.post("/api/commons/{ref}/maintainers", dependencies=W)
    def maintainer(ref: str, body: MaintainerChange) -> dict[str, Any]:
        return s.maintainer(signer(body), ref, body.op, body.did)

    @app.get("/api/commons/{ref}/export", response_class=FileResponse)
    def export(ref: str) -> FileResponse:
        folder = Path(tempfile.mkdtemp(dir=s.spool_dir()))
        target = folder / "commons.communs"
        manifest = s.export(ref, target)
        return FileResponse(
            target,
            media_type="application/x-tar",
            filename=f"{manifest['commons'][:12]}.communs",
            background=BackgroundTask(_remove, folder),
        )

    @app.post("/api/import", dependencies=W)
    async def import_(request: Request) -> dict[str, Any]:
        spooled = await spool(request, s)
        try:
            return await _in_thread(s.import_, spooled)
        finally:
            spooled.unlink(missing_ok=True)

    @app.post("/api/demo", dependencies=W)
    def demo() -> dict[str, Any]:
        return s.demo()

    @app.get("/api/commons/{ref}/contributions")
    def contributions(ref: str, state: str | None = None) -> list[dict[str, Any]]:
        return s.contributions(ref, state)

    @app.post("/api/commons/{ref}/contributions", dependencies=W)
    def propose(ref: str, body: NewContribution) -> dict[str, Any]:
        if body.to_parent:
            return s.propose_to_parent(signer(body), ref, body.title, body.description)
        return s.propose(signer(body), ref, body.title, body.description, body.files, body.deletes)

    @app.get("/api/commons/{ref}/contributions/{contribution}")
    def contribution(ref: str, contribution: str) -> dict[str, Any]:
        return s.contribution(ref, contribution)

    @app.post("/api/commons/{ref}/contributions/{contribution}/revisions", dependencies=W)
    def revise(ref: str, contribution: str, body: Revision) -> dict[str, Any]:
        return s.revise(
            signer(body), ref, contribution, body.title, body.description, body.files, body.deletes
        )

    @app.post("/api/commons/{ref}/contributions/{contribution}/reviews", dependencies=W)
    def review(ref: str, contribution: str, body: NewReview) -> dict[str, Any]:
        return s.review(signer(body), ref, contribution, body.verdict, body.comment)

    @app.post("/api/commons/{ref}/contributions/{contribution}/{action}", dependencies=W)
    def decide(
        ref: str,
        contribution: str,
        action: Literal["accept", "reject", "revert", "withdraw", "patrol"],
        body: Decision,
    ) -> dict[str, Any]:
        return s.decide(signer(body), ref, contribution, action, body.reason)

    @app.get("/api/commons/{ref}/artifacts")
    def artifacts(ref: str) -> list[dict[str, Any]]:
        return s.artifacts(ref)

    @app.get("/api/commons/{ref}/artifacts/{path:path}")
    def artifact(ref: str, path: str) -> dict[str, Any]:
        return s.artifact(ref, path)

    @app.get("/api/commons/{ref}/history/{path:path}")
    def artifact_history(ref: str, path: str) -> list[dict[str, Any]]:
        return s.artifact_history(ref, path)

    add_file_routes(app, service, W)

    app.mount("/", create_web_app(service, hub=hub))
    app.add_middleware(Guard, hostnames=hostnames)
    return app


class RateLimiter:
    """A token bucket per peer address. Refusals are counted in memory only: a flood must
    neither cost a disk write each nor push real refused events out of the log."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}
        self.refused: dict[str, int] = {}

    def allow(self, peer: str) -> bool:
        now = time.monotonic()
        tokens, last = self.buckets.get(peer, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self.buckets[peer] = (tokens, now)
            self.refused[peer] = self.refused.get(peer, 0) + 1
            return False
        self.buckets[peer] = (tokens - 1, now)
        return True


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _remove(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()


async def _in_thread(function: Any, *args: Any) -> Any:
    return await run_in_threadpool(function, *args)
