"""Two versions of a file side by side, chosen from its history: what changed between any
two of them, as a contribution's page shows a change."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..core.errors import BadInput
from ..domain.refusals import code, fault
from .base import Web
from .diffs import change_view

CHOOSE_TWO_VERSIONS = code(
    "choose_two_versions", "choose two versions of this file from its history"
)


def add_routes(web: Web) -> None:
    service = web.service

    def compare_data(ref: str, path: str, older: str, newer: str) -> dict[str, Any]:
        history = service.artifact_history(ref, path)
        versions = {e["after"] for e in history if e.get("after")} | {
            e["before"] for e in history if e.get("before")
        }
        if older not in versions or newer not in versions:
            raise fault(BadInput, CHOOSE_TWO_VERSIONS)
        media = next((e.get("media") for e in history if e.get("media")), "")
        size = next((e["size"] for e in history if e.get("after") == newer), None)
        change = {"path": path, "base": older, "blob": newer, "media": media, "size": size}
        return {
            "commons": service.commons_show(ref),
            "file_path": path,
            "compared": change_view(service, change),
            "older": older,
            "newer": newer,
        }

    @web.route("/c/{ref}/compare/{path:path}")
    async def compare(request: Request) -> Response:
        query = request.query_params
        data = await web.call(
            compare_data,
            request.path_params["ref"],
            request.path_params["path"],
            (query.get("from") or "").strip().lower(),
            (query.get("to") or "").strip().lower(),
        )
        return web.page(request, "compare.html", data)
