"""The same operations as ``Service``, over a running node's HTTP API.

When a node runs on a home, the CLI talks to it through this client instead of opening the
database itself: one writer per home.
"""

import base64
import io
import json
import tarfile
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from .home.folder import Actor
from .http import RemoteFile, raise_for, transport
from .remote_economy import HttpEconomyOps
from .remote_library import HttpLibraryOps
from .remote_tasks import HttpTaskOps


class HttpService(HttpTaskOps, HttpEconomyOps, HttpLibraryOps):
    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float = 60.0,
        client: httpx.Client | None = None,
    ):
        """``client``: an httpx client of one's own to send the requests through (e.g. one
        that calls the API app in the same process)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        if client is None:
            client = httpx.Client(
                base_url=self.url, headers=headers, timeout=timeout, transport=transport()
            )
        else:
            client.headers.update(headers)
        self.http = client
        self.home = None

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params={k: v for k, v in params.items() if v is not None})
        raise_for(response)
        return response.json()

    def _post(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        actor: Actor | None = None,
        *,
        long: bool = False,
    ) -> Any:
        """``long``: the node may work for minutes (cloning, syncing): no read timeout."""
        payload = dict(body or {})
        if actor is not None:
            payload.update({"as": actor.name, "passphrase": actor.passphrase})
        timeout = httpx.Timeout(60.0, read=None) if long else httpx.USE_CLIENT_DEFAULT
        response = self.http.post(path, json=payload, timeout=timeout)
        raise_for(response)
        return response.json()

    # identities
    def identities(self) -> list[dict[str, Any]]:
        return self._get("/api/identities")

    def identity_new(self, name: str, passphrase: str | None = None) -> dict[str, Any]:
        return self._post("/api/identities", {"name": name, "passphrase": passphrase})

    def identity_use(self, name: str) -> dict[str, Any]:
        return self._post("/api/identities/default", {"name": name})

    # commons
    def commons_list(self) -> list[dict[str, Any]]:
        return self._get("/api/commons")

    def commons_show(self, ref: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}")

    def commons_log(self, ref: str, limit: int | None = None) -> list[dict[str, Any]]:
        return self._get(f"/api/commons/{ref}/log", limit=limit)

    def commons_lineage(self, ref: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/lineage")

    def commons_create(self, actor: Actor, **charter: Any) -> dict[str, Any]:
        return self._post("/api/commons", charter, actor)

    def fork(
        self, actor: Actor, ref: str, name: str, description: str | None = None
    ) -> dict[str, Any]:
        return self._post(
            f"/api/commons/{ref}/fork", {"name": name, "description": description}, actor
        )

    def maintainer(self, actor: Actor, ref: str, op: str, did: str) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/maintainers", {"op": op, "did": did}, actor)

    def export(self, ref: str, target: Path, progress: Any = None) -> dict[str, Any]:
        partial = target.with_name(target.name + ".partial")
        with self.http.stream("GET", f"/api/commons/{ref}/export") as response:
            if not response.is_success:
                response.read()
                raise_for(response)
            with open(partial, "wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        partial.replace(target)
        with tarfile.open(target) as tar:
            return json.load(tar.extractfile("MANIFEST.json"))  # type: ignore[arg-type]

    def import_(self, source: Path, progress: Any = None) -> dict[str, Any]:
        with open(source, "rb") as stream:
            response = self.http.post(
                "/api/import", content=stream, timeout=httpx.Timeout(60.0, read=None)
            )
        raise_for(response)
        return response.json()

    def demo(self) -> dict[str, Any]:
        return self._post("/api/demo")

    # contributions
    def contributions(self, ref: str, state: str | None = None) -> list[dict[str, Any]]:
        return self._get(f"/api/commons/{ref}/contributions", state=state)

    def contribution(self, ref: str, contribution: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/contributions/{contribution}")

    def propose(
        self,
        actor: Actor,
        ref: str,
        title: str,
        description: str = "",
        files: dict[str, str] | None = None,
        deletes: list[str] | None = None,
    ) -> dict[str, Any]:
        body = {
            "title": title,
            "description": description,
            "files": files or {},
            "deletes": deletes or [],
        }
        return self._post(f"/api/commons/{ref}/contributions", body, actor)

    def propose_to_parent(
        self, actor: Actor, ref: str, title: str, description: str = ""
    ) -> dict[str, Any]:
        body = {"title": title, "description": description, "to_parent": True}
        return self._post(f"/api/commons/{ref}/contributions", body, actor)

    def revise(
        self,
        actor: Actor,
        ref: str,
        contribution: str,
        title: str | None = None,
        description: str | None = None,
        files: dict[str, str] | None = None,
        deletes: list[str] | None = None,
    ) -> dict[str, Any]:
        body = {
            "title": title,
            "description": description,
            "files": files or {},
            "deletes": deletes or [],
        }
        return self._post(f"/api/commons/{ref}/contributions/{contribution}/revisions", body, actor)

    def review(
        self, actor: Actor, ref: str, contribution: str, verdict: str, comment: str = ""
    ) -> dict[str, Any]:
        return self._post(
            f"/api/commons/{ref}/contributions/{contribution}/reviews",
            {"verdict": verdict, "comment": comment},
            actor,
        )

    def decide(
        self, actor: Actor, ref: str, contribution: str, action: str, reason: str | None = None
    ) -> dict[str, Any]:
        return self._post(
            f"/api/commons/{ref}/contributions/{contribution}/{action}", {"reason": reason}, actor
        )

    # peers and replication
    def peers(self) -> list[dict[str, Any]]:
        return self._get("/api/peers")

    def peer_add(self, url: str) -> dict[str, Any]:
        return self._post("/api/peers", {"url": url})

    def peer_remove(self, url: str) -> dict[str, Any]:
        return self._post("/api/peers/remove", {"url": url})

    def follow(self, target: str) -> dict[str, Any]:
        return self._post("/api/follows", {"target": target}, long=True)

    def unfollow(self, target: str) -> dict[str, Any]:
        return self._post("/api/follows/remove", {"target": target})

    def follows(self) -> dict[str, Any]:
        return self._get("/api/follows")

    def sync(self, peer: str | None = None, ref: str | None = None) -> list[dict[str, Any]]:
        return self._post("/api/sync", {"peer": peer, "commons": ref}, long=True)

    def pulls(self) -> list[dict[str, Any]]:
        return self._get("/api/sync/pulls")

    def block(self, did: str, reason: str = "") -> dict[str, Any]:
        return self._post("/api/blocks", {"did": did, "reason": reason})

    def unblock(self, did: str) -> dict[str, Any]:
        return self._post("/api/blocks/remove", {"did": did})

    def policy(self, ref: str, accept: str | None = None, **quotas: int | None) -> dict[str, Any]:
        if accept is None and not quotas:
            return self._get(f"/api/commons/{ref}/policy")
        body = {"accept": accept, **quotas} if accept else dict(quotas)
        return self._post(f"/api/commons/{ref}/policy", body)

    def link(self, ref: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/link")

    def status(self) -> dict[str, Any]:
        return self._get("/api/node")

    # governance
    def proposals(self, ref: str) -> list[dict[str, Any]]:
        return self._get(f"/api/commons/{ref}/proposals")

    def proposal(self, ref: str, proposal: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/proposals/{proposal}")

    def proposal_open(self, actor: Actor, ref: str, title: str, **fields: Any) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/proposals", {"title": title, **fields}, actor)

    def proposal_act(
        self, actor: Actor, ref: str, proposal: str, action: str, **fields: Any
    ) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/proposals/{proposal}/{action}", fields, actor)

    def proposal_fork(self, actor: Actor, ref: str, proposal: str, name: str) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/proposals/{proposal}/fork", {"name": name}, actor)

    def charter(self, ref: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/charter")

    def charter_history(self, ref: str) -> list[dict[str, Any]]:
        return self._get(f"/api/commons/{ref}/charter/history")

    # artifacts and blobs
    def artifacts(self, ref: str) -> list[dict[str, Any]]:
        return self._get(f"/api/commons/{ref}/artifacts")

    def artifact(self, ref: str, path: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/artifacts/{path}")

    def artifact_history(self, ref: str, path: str) -> list[dict[str, Any]]:
        return self._get(f"/api/commons/{ref}/history/{path}")

    def blob_add(self, stream: BinaryIO, name: str | None = None) -> dict[str, Any]:
        response = self.http.post(
            "/api/blobs",
            params={"name": name} if name else None,
            content=iter(lambda: stream.read(1 << 20), b""),
        )
        raise_for(response)
        return response.json()

    def blob_open(self, blob: str) -> BinaryIO:
        return io.BufferedReader(RemoteFile(self.http, f"/api/blobs/{blob}"), 1 << 16)

    def blob_fetch(
        self,
        blob: str,
        peers: list[str] | None = None,
        progress: Any = None,
        torrent: bytes | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"peers": peers or []}
        if torrent is not None:
            body["torrent"] = base64.b64encode(torrent).decode()
        return self._post(f"/api/blobs/{blob}/fetch", body, long=True)

    def blob_transfer(self, blob: str, wait: float = 0.0) -> dict[str, Any]:
        return self._get(f"/api/blobs/{blob}/transfer", wait=wait or None)

    def files_missing(self, ref: str | None = None) -> list[dict[str, Any]]:
        return self._get("/api/files/missing", commons=ref)

    def swarm_status(self) -> dict[str, Any]:
        return self._get("/api/swarm")

    def file_policy(
        self, ref: str | None = None, fetch: str | None = None, quota: str | None = None
    ) -> dict[str, Any]:
        if fetch is None and quota is None:
            return self._get("/api/files/policy", commons=ref)
        return self._post("/api/files/policy", {"commons": ref, "fetch": fetch, "quota": quota})
