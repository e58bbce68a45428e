"""The health of a commons, for everyone to see: who takes part over time, how long review
takes and how much is accepted, where contributors went when the commons was forked, and the
objections still standing — drawn as bars, because people would rather look than read."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .base import Web
from .measures import bars, duration, now_ms


def add_routes(web: Web) -> None:
    service = web.service

    def health_data(ref: str, _: Any) -> dict[str, Any]:
        data = service.health_page(ref, now_ms())
        review = data["review"]
        review["median_latency"] = duration(review["median_latency_ms"], _)
        review["latency_buckets"] = bars(
            review["latency_buckets"], {label: _(label) for label in review["latency_buckets"]}
        )
        return data

    @web.route("/c/{ref}/health")
    async def health_page(request: Request) -> Response:
        data = await web.call(health_data, request.path_params["ref"], web.gettext(request))
        return web.page(request, "health.html", data)
