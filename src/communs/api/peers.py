"""Peers on the node's HTTP face: the peers it knows, what it follows, syncing now (and the
pulls under way), the authors it blocks, each commons' admission policy, and links to share.
(What peers themselves call is in ``sync``.)"""

from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field

from ..node import Service


class Peer(BaseModel):
    url: str


class Target(BaseModel):
    target: str = Field(description="a commons (id, name or communs:// link) or an author's DID")


class SyncRequest(BaseModel):
    peer: str | None = None
    commons: str | None = None


class Block(BaseModel):
    did: str
    reason: str = ""


class Policy(BaseModel):
    accept: Literal["anyone", "maintainers"] | None = None
    stranger_events: int | None = Field(
        None, ge=0, description="events an hour from each author without accepted work"
    )
    stranger_bytes: int | None = Field(None, ge=0, description="bytes an hour from each")


def add_peer_routes(app: FastAPI, service: Service, writes: list[Any]) -> None:
    """Mount the peer routes; ``writes``: the dependencies of routes that write (the API
    token)."""
    s, W = service, writes  # noqa: N806  (W, as in app.py)

    @app.get("/api/peers")
    def peers() -> list[dict[str, Any]]:
        return s.peers()

    @app.post("/api/peers", dependencies=W)
    def peer_add(body: Peer) -> dict[str, Any]:
        return s.peer_add(body.url)

    @app.post("/api/peers/remove", dependencies=W)
    def peer_remove(body: Peer) -> dict[str, Any]:
        return s.peer_remove(body.url)

    @app.get("/api/follows")
    def follows() -> dict[str, Any]:
        return s.follows()

    @app.post("/api/follows", dependencies=W)
    def follow(body: Target) -> dict[str, Any]:
        return s.follow(body.target)

    @app.post("/api/follows/remove", dependencies=W)
    def unfollow(body: Target) -> dict[str, Any]:
        return s.unfollow(body.target)

    @app.post("/api/sync", dependencies=W)
    def sync(body: SyncRequest) -> list[dict[str, Any]]:
        return s.sync(body.peer, body.commons)

    @app.get("/api/sync/pulls")
    def pulls() -> list[dict[str, Any]]:
        """The pulls under way: peer, commons, events received, about how many are coming."""
        return s.pulls()

    @app.post("/api/blocks", dependencies=W)
    def block(body: Block) -> dict[str, Any]:
        return s.block(body.did, body.reason)

    @app.post("/api/blocks/remove", dependencies=W)
    def unblock(body: Block) -> dict[str, Any]:
        return s.unblock(body.did)

    @app.get("/api/commons/{ref}/policy")
    def policy_of(ref: str) -> dict[str, Any]:
        return s.policy(ref)

    @app.post("/api/commons/{ref}/policy", dependencies=W)
    def policy(ref: str, body: Policy) -> dict[str, Any]:
        """Set what is given; a quota given as null goes back to the node's default."""
        quotas = body.model_dump(include={"stranger_events", "stranger_bytes"}, exclude_unset=True)
        return s.policy(ref, body.accept, **quotas)

    @app.get("/api/commons/{ref}/link")
    def link(ref: str) -> dict[str, Any]:
        return s.link(ref)
