"""Credit on the node's HTTP face: who earned what in a commons (over its life or in a month),
one person's reasons, and a contribution's size assessed."""

from typing import Any

from fastapi import FastAPI
from pydantic import Field

from ..node import Service
from .bodies import Signed


class Assessment(Signed):
    contribution: str = Field(description="the id (prefix) of an accepted contribution")
    size: int = Field(description="1 to 100; the median of everyone's assessments counts")


def add_credit_routes(app: FastAPI, service: Service, writes: list[Any]) -> None:
    """Mount the credit routes; ``writes``: the dependencies of routes that write."""
    s, W = service, writes  # noqa: N806  (W, as in app.py)

    @app.get("/api/commons/{ref}/credit")
    def credit(ref: str, month: str | None = None) -> dict[str, Any]:
        """Everyone's credit, most first; with ``month`` (YYYY-MM), what was earned then."""
        return s.credit(ref, month)

    @app.get("/api/commons/{ref}/credit/{person}")
    def credit_of(ref: str, person: str) -> dict[str, Any]:
        """One person's credit (a name or a DID), each point with its reason."""
        return s.credit_of(ref, person)

    @app.post("/api/commons/{ref}/credit/assess", dependencies=W)
    def assess(ref: str, body: Assessment) -> dict[str, Any]:
        return s.assess(body.actor(), ref, body.contribution, body.size)
