"""The API's door to personal data (``node/personal_ops.py``): never public, so even its
reads are POSTs that need the home's token and name the identity asking."""

from typing import Any

from fastapi import FastAPI
from pydantic import Field

from ..node import Service
from .bodies import Signed


class Asking(Signed):
    person: str | None = Field(None, description="whose data (a DID); none: the asker's")


class Details(Signed):
    fields: dict[str, str] = Field(
        description="legal_name, iban, bic, address, email, phone; an empty value removes it"
    )


def add_personal_routes(app: FastAPI, service: Service, writes: list[Any]) -> None:
    s, W = service, writes  # noqa: N806  (W, as in app.py)

    @app.post("/api/commons/{ref}/personal/read", dependencies=W)
    def personal(ref: str, body: Asking) -> dict[str, Any]:
        """What the commons holds about a person: for the person, or a treasurer (noted)."""
        return s.personal(body.actor(), ref, body.person)

    @app.post("/api/commons/{ref}/personal", dependencies=W)
    def personal_set(ref: str, body: Details) -> dict[str, Any]:
        return s.personal_set(body.actor(), ref, body.fields)

    @app.post("/api/commons/{ref}/personal/erase", dependencies=W)
    def personal_erase(ref: str, body: Signed) -> dict[str, Any]:
        return s.personal_erase(body.actor(), ref)

    @app.post("/api/personal/export", dependencies=W)
    def personal_export(body: Signed) -> dict[str, Any]:
        """Everything this node holds about the asker, in every commons."""
        return s.personal_export(body.actor())

    @app.post("/api/commons/{ref}/payees/read", dependencies=W)
    def payees(ref: str, body: Signed) -> dict[str, Any]:
        """For a treasurer: who the treasury owes, how much, and where to pay them."""
        return s.payees(body.actor(), ref)
