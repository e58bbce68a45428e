"""The web app: pages rendered on the server (readable without JavaScript, usable on a phone),
in English and French, each with a JSON twin (add ``.json`` to any page's path).

Each page module (``pages``, ``contributions`` and ``proposing``, ``files`` and ``media``,
``board``, ``discussion``, ``people``, ``credit``, ``treasury`` and ``economy``,
``proposals``, ``charter``, ``health``, ``invite``, ``node``) adds its routes through
``base.Web``, which holds what they share.
"""

from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from ..i18n import N_
from ..node import Service
from . import (
    board,
    charter,
    compare,
    contributions,
    credit,
    economy,
    feeds,
    files,
    health,
    invite,
    library,
    node,
    notifications,
    pages,
    people,
    personal,
    proposals,
    start,
    treasury,
)
from .base import STATIC, JsonTwin, Web, safe_next


def create_web_app(service: Service, *, hub: bool = False) -> ASGIApp:
    web = Web(service, hub=hub)
    # invite before proposals: its routes are more specific than {action}.
    modules = (
        pages, start, notifications, feeds, compare, contributions, files, board, people,
        credit, treasury, economy, personal, library, invite, proposals, charter, health, node,
    )  # fmt: skip
    for module in modules:
        module.add_routes(web)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 401:
            here = safe_next(request.url.path)
            return RedirectResponse(f"/login?next={quote(here)}", status_code=303)
        if exc.status_code == 404 and exc.detail == "Not Found":  # no route: say it plainly
            return web.error(request, 404, N_("There is no page at this address."))
        return web.error(request, exc.status_code, str(exc.detail))

    app = Starlette(
        routes=[*web.routes, Mount("/static", StaticFiles(directory=STATIC), name="static")],
        exception_handlers={HTTPException: http_error},
    )
    app.state.web = web
    return JsonTwin(app)
