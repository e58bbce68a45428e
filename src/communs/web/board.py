"""The task board in the browser: what needs doing in a commons, hottest first, and one task
with the actions the visitor may take on it.

Nobody assigns work (stigmergy): people open tasks, claim them, mark them done, validate the
work of others, and leave signals (needed, urgent, good first task) that warm what they are
put on; the board also shows what the state itself signals (contributions waiting for review,
conflicts, flagged files, invalidated tasks). Every read and write goes through the Service
(``board``, ``task``, ``task_open``, ``task_act``, ``signal``, ``flag``); the rules stay in
the fold (``domain/tasks.py``) and a refused action shows the fold's reason.
"""

import re
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..core.errors import CommunsError, NotFound
from ..domain.refusals import code, fault
from ..i18n import N_
from . import discussion
from .base import Web
from .discussion import text_of
from .statuses import status_of

RECENT_SCANNED, RECENT_SHOWN = 40, 8  # contributions a picker looks at, and offers

NO_BOARD_ACTION = code("no_board_action", "no action '{action}' on the board")
NO_TASK_ACTION = code("no_task_action", "no action '{action}' on a task")

KIND_LABELS = {
    "task": N_("task"),
    "review": N_("review"),
    "conflict": N_("conflict"),
    "needs_work": N_("needs work"),
    "invalidated": N_("invalidated"),
    "signal": N_("signal"),
    "reciprocity": N_("reciprocity"),
}
SIGNALS = (
    ("needed", N_("needed")),
    ("urgent", N_("urgent")),
    ("good_first_task", N_("good first task")),
)
HISTORY = {
    "open": N_("opened the task"),
    "claim": N_("claimed it"),
    "take over": N_("took over an expired claim"),
    "extend": N_("extended the claim"),
    "release": N_("released the claim"),
    "done": N_("marked it done"),
    "validate": N_("validated the work"),
    "invalidate": N_("invalidated the work"),
    "reopen": N_("reopened it"),
    "signal": N_("signalled it"),
}
ACTIONS = ("claim", "extend", "release", "done", "validate", "invalidate", "reopen", "signal")
SEPARATORS = re.compile(r"[\s,;]+")


def target_url(commons: str, target: str) -> str:
    """The page of a board item's target: a task, a contribution, an enterprise or a file."""
    kind, _, name = target.partition("/")
    if kind == "task":
        return f"/c/{commons}/tasks/{name}"
    if kind == "contribution":
        return f"/c/{commons}/contributions/{name}"
    if kind == "enterprise":
        return f"/c/{commons}/enterprises#{name}"
    return f"/c/{commons}/files/{quote(name)}"


def signal_target(target: str) -> dict[str, str] | None:
    """The ``target`` of a ``task.signal`` form for a board item's target key (none: what
    cannot be signalled, an enterprise behind its pledge)."""
    kind, _, name = target.partition("/")
    if kind not in ("task", "contribution", "artifact"):
        return None
    return {"on": kind, "ref": name}


def add_routes(web: Web) -> None:
    service = web.service
    discussion.add_routes(web)

    me_of = web.me_of

    wants_json = web.wants_json

    # -- the board ----------------------------------------------------------------------------

    def board_data(ref: str, me: str | None, show: str) -> dict[str, Any]:
        found = service.board(ref)
        commons, items = found["commons"], found["items"]
        if show == "mine":
            items = [i for i in items if me and i.get("claimed_by") == me]
        elif show in KIND_LABELS:
            items = [i for i in items if i["kind"] == show]
        hottest = max((i["heat"] for i in items), default=0) or 1
        for item in items:
            item["label"] = KIND_LABELS.get(item["kind"], item["kind"])
            item["url"] = target_url(commons["id"], item["target"])
            item["bar"] = round(100 * item["heat"] / hottest)
            item["mine"] = sorted(s["kind"] for s in item["signalled"] if me and s["by"] == me)
            item["signal"] = signal_target(item["target"])
        maintainers = [m["did"] for m in commons["maintainers"]]
        shown_reviews = sum(1 for i in items if i["kind"] == "review")
        return {
            "commons": commons,
            "items": items,
            "more_waiting": max(0, found["waiting"] - shown_reviews),
            "now": found["now"],
            "signals": [{"kind": k, "label": label} for k, label in SIGNALS],
            "is_maintainer": me is not None and me in maintainers,
            "finished": found["finished"],
            "show": show if show == "mine" or show in KIND_LABELS else "",
            "recent": recent_for(ref, me) if me else [],
            "shows": [("", N_("everything"))] + [(k, v) for k, v in KIND_LABELS.items()],
        }

    @web.route("/c/{ref}/board")
    async def board(request: Request) -> Response:
        show = request.query_params.get("show") or ""
        data = await run_in_threadpool(board_data, request.path_params["ref"], me_of(request), show)
        return web.page(request, "board.html", data)

    def links_of(form: Any) -> list[str]:
        """The contributions a form links: those ticked in its picker by title, and ids (unique
        prefixes) typed beside it, separated by spaces or commas."""
        typed = [part for part in SEPARATORS.split(text_of(form, "links")) if part]
        return list(dict.fromkeys([*(str(v) for v in form.getlist("link")), *typed]))

    def recent_for(ref: str, me: str | None) -> list[dict[str, Any]]:
        """The picker's contributions: the visitor's latest first, then everyone's."""
        found = service.recent_contributions(ref, RECENT_SCANNED)
        mine = [c for c in found if me and c["author"] == me]
        return [*mine, *(c for c in found if c not in mine)][:RECENT_SHOWN]

    def made(request: Request, result: dict[str, Any], back: str) -> Response:
        if wants_json(request):
            return JSONResponse({"id": result["id"]})
        return web.back(request, back)

    @web.route("/c/{ref}/tasks", methods=("POST",))
    async def open_task(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        title, description = text_of(form, "title"), text_of(form, "description")
        links = links_of(form)
        try:
            opened = await run_in_threadpool(
                service.task_open, actor, ref, title, description, links
            )
        except CommunsError as error:  # the board comes back with what was typed, and why
            data = await run_in_threadpool(board_data, ref, me_of(request), "")
            typed = {"title": title, "description": description, "links": text_of(form, "links")}
            typed["linked"] = form.getlist("link")
            data.update(form=typed, error=web.said(request, error))
            return web.page(request, "board.html", data, status_of(error))
        if wants_json(request):
            return JSONResponse({"id": opened["id"]})
        return RedirectResponse(f"/c/{quote(ref)}/tasks/{opened['id']}", status_code=303)

    @web.route("/c/{ref}/board/signal", methods=("POST",))
    async def signal(request: Request) -> Response:
        """A signal on any board item: ``on`` (task, contribution, artifact), ``ref``, ``kind``."""
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        on, target, kind = text_of(form, "on"), text_of(form, "ref"), text_of(form, "kind")
        result = await run_in_threadpool(service.signal, actor, ref, on, target, kind)
        return made(request, result, f"/c/{quote(ref)}/board")

    @web.route("/c/{ref}/board/{action}", methods=("POST",))
    async def flag(request: Request) -> Response:
        """Flag a file as needing work (``path``, ``note``), or unflag it (``path``)."""
        ref, action = request.path_params["ref"], request.path_params["action"]
        if action not in ("flag", "unflag"):
            raise fault(NotFound, NO_BOARD_ACTION, action=action)
        form = await web.form(request)
        actor = web.actor(request)
        path = text_of(form, "path")
        if action == "flag":
            note = text_of(form, "note")
            result = await run_in_threadpool(service.flag, actor, ref, path, note)
        else:
            result = await run_in_threadpool(service.unflag, actor, ref, path)
        return made(request, result, f"/c/{quote(ref)}/board")

    # -- one task -----------------------------------------------------------------------------

    def task_data(ref: str, tref: str, me: str | None) -> dict[str, Any]:
        task = service.task(ref, tref)
        commons = service.commons_show(ref)
        thread = discussion.thread_for(service, commons["id"], "task", task["id"])
        task["history"] = [
            {**h, "label": HISTORY.get(h["action"], h["action"])} for h in task["history"]
        ]
        is_maintainer = me is not None and me in task["maintainers"]
        st, expired, doer = task["state"], task["expired"], task["doer"]
        claimant = task["claim"]["by"] if task["claim"] else None
        held_by_other = st == "claimed" and claimant != me and not expired
        may_check = me is not None and (task["validators"] == "anyone" or is_maintainer)
        can = {
            "claim": me is not None
            and (st in ("open", "invalidated") or (st == "claimed" and expired))
            and claimant != me,
            "extend": me is not None and st == "claimed" and claimant == me,
            "release": me is not None and st == "claimed" and claimant == me,
            "done": me is not None
            and st in ("open", "claimed", "invalidated")
            and not held_by_other,
            "validate": may_check and st == "done" and doer != me,
            "reopen": me is not None
            and st in ("done", "validated", "invalidated")
            and (me == task["author"] or is_maintainer),
            "signal": me is not None and st != "validated",
        }
        can["invalidate"] = can["validate"]
        return {
            "commons": commons,
            "task": task,
            "links": task["links"],
            "done_links": task["done_links"],
            "history": task["history"],
            "can": can,
            "own_work": me is not None and st == "done" and doer == me,
            "validators": task["validators"],
            "mine": sorted(s["kind"] for s in task["signals"] if s["by"] == me),
            "signals": [{"kind": k, "label": label} for k, label in SIGNALS],
            "thread": thread,
            "recent": recent_for(ref, me) if can["done"] else [],
        }

    @web.route("/c/{ref}/tasks/{tid}")
    async def task(request: Request) -> Response:
        data = await run_in_threadpool(
            task_data, request.path_params["ref"], request.path_params["tid"], me_of(request)
        )
        return web.page(request, "task.html", data)

    @web.route("/c/{ref}/tasks/{tid}/{action}", methods=("POST",))
    async def task_action(request: Request) -> Response:
        ref, tref = request.path_params["ref"], request.path_params["tid"]
        action = request.path_params["action"]
        if action not in ACTIONS:
            raise fault(NotFound, NO_TASK_ACTION, action=action)
        form = await web.form(request)
        actor = web.actor(request)
        comment = text_of(form, "comment")
        if action == "signal":
            kind = text_of(form, "kind")
            result = await run_in_threadpool(service.signal, actor, ref, "task", tref, kind)
            tid = result["target"]
        else:
            links = links_of(form)
            result = await run_in_threadpool(
                service.task_act, actor, ref, tref, action, comment, links
            )
            tid = result["task"]
        if wants_json(request):
            return JSONResponse({"id": result["id"]})
        return RedirectResponse(f"/c/{quote(ref)}/tasks/{tid}", status_code=303)
