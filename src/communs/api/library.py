"""A lending library's catalogue on the node's HTTP face: its items, one item, and a
steward's steps (an item added, edited, its status changed). Amounts are sent as people
write them ("120.00"), in the charter's currency; photos as the hashes of added files."""

from typing import Any, Literal

from fastapi import FastAPI
from pydantic import Field

from ..node import Service
from .bodies import Signed


class ItemFields(Signed):
    title: str | None = None
    description: str | None = None
    category: str | None = Field(None, description="tools, garden, kitchen, camping, …")
    brand: str | None = None
    model: str | None = None
    serial: str | None = None
    condition: Literal["new", "good", "worn", "damaged"] | None = None
    value: str | None = Field(None, description='replacement cost as written, e.g. "120.00"')
    deposit: str | None = None
    loan_days: int | None = None
    risk: Literal["none", "approval", "training"] | None = None
    care: str | None = Field(None, description="care and safety notes shown at check-out")
    location: str | None = None
    photos: list[str] | None = Field(None, description="hashes of files added to the node")

    def fields(self) -> dict[str, Any]:
        given = self.model_dump(exclude={"as_", "passphrase"}, exclude_none=True)
        return given


class StatusBody(Signed):
    status: Literal["available", "maintenance", "missing", "retired"]
    note: str = ""


def add_library_routes(app: FastAPI, service: Service, writes: list[Any]) -> None:
    s, W = service, writes  # noqa: N806  (W, as in app.py)

    @app.get("/api/commons/{ref}/items")
    def items(ref: str, category: str | None = None, status: str | None = None) -> dict[str, Any]:
        """The library's catalogue, newest first; filtered by category or status."""
        return s.items(ref, category, status)

    @app.get("/api/commons/{ref}/items/{item}")
    def item(ref: str, item: str) -> dict[str, Any]:
        return s.item(ref, item)

    @app.post("/api/commons/{ref}/items", dependencies=W)
    def item_add(ref: str, body: ItemFields) -> dict[str, Any]:
        """Add an item (a steward: a maintainer of the library)."""
        return s.item_add(body.actor(), ref, **body.fields())

    @app.post("/api/commons/{ref}/items/{item}", dependencies=W)
    def item_edit(ref: str, item: str, body: ItemFields) -> dict[str, Any]:
        """Change the fields given; the others stay."""
        return s.item_edit(body.actor(), ref, item, **body.fields())

    @app.get("/api/commons/{ref}/members")
    def members(ref: str) -> dict[str, Any]:
        """The library's members by name (their contact details: ``members/read``)."""
        return s.library_members(None, ref)

    @app.get("/api/commons/{ref}/members/count")
    def membership(ref: str, person: str | None = None) -> dict[str, Any]:
        """How many members, and whether ``person`` (a DID) is one, since when."""
        return s.library_membership(ref, person)

    @app.post("/api/commons/{ref}/members/read", dependencies=W)
    def members_read(ref: str, body: Signed) -> dict[str, Any]:
        """The members, with their contact details when the asker is a steward (noted)."""
        return s.library_members(body.actor(), ref)

    @app.post("/api/commons/{ref}/members", dependencies=W)
    def join(ref: str, body: Signed) -> dict[str, Any]:
        """Join the library, agreeing to its member agreement as it stands."""
        return s.library_join(body.actor(), ref)

    @app.post("/api/commons/{ref}/items/{item}/status", dependencies=W)
    def item_status(ref: str, item: str, body: StatusBody) -> dict[str, Any]:
        return s.item_status(body.actor(), ref, item, body.status, body.note)
