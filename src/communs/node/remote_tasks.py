"""The task board and discussion operations of ``HttpService``: the same methods as
``TaskOps`` and ``ThreadOps`` on the ``Service``, over a running node's HTTP API."""

from typing import Any

from .home.folder import Actor


class HttpTaskOps:
    """Mixed into ``HttpService`` (which provides ``_get`` and ``_post``)."""

    _get: Any
    _post: Any

    def tasks(self, ref: str, state: str | None = None) -> list[dict[str, Any]]:
        return self._get(f"/api/commons/{ref}/tasks", state=state)

    def task(self, ref: str, task: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/tasks/{task}")

    def board(self, ref: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/board")

    def task_open(
        self,
        actor: Actor,
        ref: str,
        title: str,
        description: str = "",
        links: list[str] | None = None,
    ) -> dict[str, Any]:
        body = {"title": title, "description": description, "links": links or []}
        return self._post(f"/api/commons/{ref}/tasks", body, actor)

    def task_act(
        self,
        actor: Actor,
        ref: str,
        task: str,
        action: str,
        comment: str = "",
        links: list[str] | None = None,
    ) -> dict[str, Any]:
        body = {"comment": comment, "links": links or []}
        return self._post(f"/api/commons/{ref}/tasks/{task}/{action}", body, actor)

    def signal(self, actor: Actor, ref: str, on: str, target: str, kind: str) -> dict[str, Any]:
        body = {"on": on, "target": target, "kind": kind}
        return self._post(f"/api/commons/{ref}/signals", body, actor)

    def flag(self, actor: Actor, ref: str, path: str, note: str) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/flags", {"path": path, "note": note}, actor)

    def unflag(self, actor: Actor, ref: str, path: str) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/flags/remove", {"path": path}, actor)

    def thread(
        self, ref: str, kind: str = "commons", subject: str = "", latest: int | None = None
    ) -> dict[str, Any]:
        path = f"/api/commons/{ref}/thread"
        return self._get(path, kind=kind, subject=subject or None, latest=latest)

    def thread_post(
        self,
        actor: Actor,
        ref: str,
        kind: str,
        subject: str,
        text: str,
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        body = {"kind": kind, "subject": subject, "text": text, "reply_to": reply_to}
        return self._post(f"/api/commons/{ref}/messages", body, actor)

    def message_act(
        self,
        actor: Actor,
        ref: str,
        message: str,
        action: str,
        text: str | None = None,
        reason: str | None = None,
        emoji: str | None = None,
    ) -> dict[str, Any]:
        body = {"text": text, "reason": reason, "emoji": emoji}
        return self._post(f"/api/commons/{ref}/messages/{message}/{action}", body, actor)

    def erase(self, actor: Actor, ref: str, target: str, reason: str = "") -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/erase", {"target": target, "reason": reason}, actor)
