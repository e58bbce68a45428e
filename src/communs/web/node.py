"""This node, for everyone to see: the commons it holds with the links that share them, the
peers it syncs with and how the last sync went, the pulls under way, and the events it
refused and why — its policies against spam are local, but never hidden."""

import time

from starlette.requests import Request
from starlette.responses import Response

from ..node import link_to
from .base import Web


def add_routes(web: Web) -> None:
    service = web.service

    @web.route("/node")
    async def node(request: Request) -> Response:
        found = await web.call(service.node_page)
        own = found["url"]
        held = [{**c, "link": link_to(bytes.fromhex(c["id"]), own)} for c in found["commons"]]
        names = {c["id"]: c["name"] for c in held}
        peers = [
            {
                "url": p["url"],
                "source": p["source"],
                "last_ok": p["last_ok"] * 1000 if p["last_ok"] else None,
                "last_error": p["last_error"],
                "failures": p["failures"],
                "retry_in": max(0, round(p["retry_at"] - time.monotonic()))
                if p["failures"]
                else None,
            }
            for p in found["peers"]
        ]
        pulls = [
            {
                **p,
                "name": names.get(p["commons"], p["commons"][:12]),
                "percent": min(100, round(100 * p["done"] / p["total"])) if p["total"] else None,
            }
            for p in found["pulls"]
        ]
        refusals = [{**r, "time": r["time"] * 1000} for r in found["refusals"]]
        return web.page(
            request,
            "node.html",
            {
                "url": own,
                "commons": held,
                "peers": peers,
                "pulls": pulls,
                "refused": found["refused"],
                "refusals": refusals,
                "pending": found["pending"],
                "pending_dropped": found["pending_dropped"],
                "blocked": found["blocked"],
            },
        )
