"""The task board and discussion on the node's HTTP face: tasks (open, claim, extend, release,
done, validate, invalidate, reopen), signals and flags, the board; the thread of any object
and its messages (post, reply, edit, retract, hide, unhide, react, unreact); erasing
content (a message's text, a display name)."""

from typing import Any, Literal

from fastapi import FastAPI
from pydantic import Field

from ..node import Service
from .bodies import Signed


class NewTask(Signed):
    title: str
    description: str = ""
    links: list[str] = Field([], description="ids (unique prefixes) of contributions")


class TaskAction(Signed):
    comment: str = Field("", description="required to invalidate: what is wrong")
    links: list[str] = Field([], description="done: the contributions that did the work")


class NewSignal(Signed):
    on: Literal["task", "contribution", "artifact"]
    target: str = Field(description="a task or contribution id (prefix), or a file's path")
    kind: Literal["needed", "urgent", "good_first_task"]


class NewFlag(Signed):
    path: str
    note: str = Field(description="what needs work")


class Unflag(Signed):
    path: str


class Erasure(Signed):
    target: str = Field(
        description="message:ID (every version of its text), name (your display name), "
        "name:DID (a maintainer, with a reason), or a content hash"
    )
    reason: str = Field("", description="required when a maintainer erases someone's content")


class NewMessage(Signed):
    kind: Literal["commons", "artifact", "contribution", "task", "person"] = "commons"
    subject: str = Field("", description="a path, an id (prefix) or a DID; none for commons")
    text: str
    reply_to: str | None = Field(None, description="the id (prefix) of the message answered")


class MessageAction(Signed):
    text: str | None = Field(None, description="edit: the new text")
    reason: str | None = Field(None, description="hide: why, for everyone to read")
    emoji: str | None = Field(None, description="react, unreact")


TaskVerb = Literal["claim", "extend", "release", "done", "validate", "invalidate", "reopen"]
MessageVerb = Literal["edit", "retract", "hide", "unhide", "react", "unreact"]


def add_task_routes(app: FastAPI, service: Service, writes: list[Any]) -> None:
    """Mount the task board's routes; ``writes``: the dependencies of routes that write."""
    s, W = service, writes  # noqa: N806  (W, as in app.py)

    @app.get("/api/commons/{ref}/tasks")
    def tasks(ref: str, state: str | None = None) -> list[dict[str, Any]]:
        return s.tasks(ref, state)

    @app.post("/api/commons/{ref}/tasks", dependencies=W)
    def task_open(ref: str, body: NewTask) -> dict[str, Any]:
        return s.task_open(body.actor(), ref, body.title, body.description, body.links)

    @app.get("/api/commons/{ref}/tasks/{task}")
    def task(ref: str, task: str) -> dict[str, Any]:
        return s.task(ref, task)

    @app.post("/api/commons/{ref}/tasks/{task}/{action}", dependencies=W)
    def task_act(ref: str, task: str, action: TaskVerb, body: TaskAction) -> dict[str, Any]:
        return s.task_act(body.actor(), ref, task, action, body.comment, body.links)

    @app.get("/api/commons/{ref}/board")
    def board(ref: str) -> dict[str, Any]:
        """What needs doing, hottest first."""
        return s.board(ref)

    @app.post("/api/commons/{ref}/signals", dependencies=W)
    def signal(ref: str, body: NewSignal) -> dict[str, Any]:
        return s.signal(body.actor(), ref, body.on, body.target, body.kind)

    @app.post("/api/commons/{ref}/flags", dependencies=W)
    def flag(ref: str, body: NewFlag) -> dict[str, Any]:
        return s.flag(body.actor(), ref, body.path, body.note)

    @app.post("/api/commons/{ref}/flags/remove", dependencies=W)
    def unflag(ref: str, body: Unflag) -> dict[str, Any]:
        return s.unflag(body.actor(), ref, body.path)


def add_thread_routes(app: FastAPI, service: Service, writes: list[Any]) -> None:
    """Mount the discussion routes; ``writes``: the dependencies of routes that write."""
    s, W = service, writes  # noqa: N806  (W, as in app.py)

    @app.get("/api/commons/{ref}/thread")
    def thread(
        ref: str, kind: str = "commons", subject: str = "", latest: int | None = None
    ) -> dict[str, Any]:
        """The messages on one object of the commons, in reading order; with ``latest``, its
        last conversations only (``earlier``: how many messages come before them)."""
        return s.thread(ref, kind, subject, latest)

    @app.post("/api/commons/{ref}/messages", dependencies=W)
    def thread_post(ref: str, body: NewMessage) -> dict[str, Any]:
        return s.thread_post(body.actor(), ref, body.kind, body.subject, body.text, body.reply_to)

    @app.post("/api/commons/{ref}/messages/{message}/{action}", dependencies=W)
    def message_act(
        ref: str, message: str, action: MessageVerb, body: MessageAction
    ) -> dict[str, Any]:
        return s.message_act(body.actor(), ref, message, action, body.text, body.reason, body.emoji)

    @app.post("/api/commons/{ref}/erase", dependencies=W)
    def erase(ref: str, body: Erasure) -> dict[str, Any]:
        """Take back detached content on every node: the events stay and still verify."""
        return s.erase(body.actor(), ref, body.target, body.reason)
