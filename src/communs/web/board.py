"""The task board in the browser: what needs doing in a commons, hottest first, and one task
with the actions the visitor may take on it.

Nobody assigns work (stigmergy): people open tasks, claim them, mark them done, validate the
work of others, and leave signals (needed, urgent, good first task) that warm what they are
put on; the board also shows what the state itself signals (contributions waiting for review,
conflicts, flagged files, invalidated tasks). The rules stay in the fold (``domain/tasks.py``):
every write goes through ``discussion.act`` and a refused one shows the fold's reason.
"""

import re
import time
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..core.errors import BadInput, NotFound
from ..domain import tasks
from ..domain.contributions import contribution_key
from ..node import queries
from . import discussion
from .app import Web
from .discussion import act, text_of

KIND_LABELS = {
    "task": "task",
    "review": "review",
    "conflict": "conflict",
    "needs_work": "needs work",
    "invalidated": "invalidated",
    "signal": "signal",
}
SIGNALS = (("needed", "needed"), ("urgent", "urgent"), ("good_first_task", "good first task"))
HISTORY = {
    "open": "opened the task",
    "claim": "claimed it",
    "take over": "took over an expired claim",
    "extend": "extended the claim",
    "release": "released the claim",
    "done": "marked it done",
    "validate": "validated the work",
    "invalidate": "invalidated the work",
    "reopen": "reopened it",
    "signal": "signalled it",
}
ACTIONS = ("claim", "extend", "release", "done", "validate", "invalidate", "reopen", "signal")
SEPARATORS = re.compile(r"[\s,;]+")


def now_ms() -> int:
    return int(time.time() * 1000)


def target_url(commons: str, target: str) -> str:
    """The page of a board item's target: a task, a contribution or a file."""
    kind, _, name = target.partition("/")
    if kind == "task":
        return f"/c/{commons}/tasks/{name}"
    if kind == "contribution":
        return f"/c/{commons}/contributions/{name}"
    return f"/c/{commons}/files/{quote(name)}"


def signal_target(target: str) -> dict[str, str]:
    """The ``target`` of a ``task.signal`` form for a board item's target key."""
    kind, _, name = target.partition("/")
    if kind == "artifact":
        return {"on": "artifact", "ref": name}
    return {"on": kind, "ref": name}


def signals_of(records: dict[str, Any], target: str) -> list[dict[str, Any]]:
    if target.startswith("task/"):
        return (records.get(target) or {}).get("signals", [])
    return (records.get(tasks.signal_key(target)) or {}).get("signals", [])


SHOWN = 100  # contributions waiting for review shown on the board; the queue lists them all


def add_routes(web: Web) -> None:
    service = web.service
    discussion.add_routes(web)

    def me_of(request: Request) -> str | None:
        session = web.session(request)
        return session.identity.did if session and session.identity else None

    def wants_json(request: Request) -> bool:
        return bool(request.scope.get("state", {}).get("json"))

    # -- the board ----------------------------------------------------------------------------

    def board_data(ref: str, me: str | None) -> dict[str, Any]:
        now = now_ms()
        with service.lock:
            home = service.home
            commons_id = home.commons_id(ref)
            commons = queries.commons_show(home, commons_id, digest=False)
            cid = home.cid(commons_id)
            records: dict[str, Any] = {"charter": home.state(commons_id).get("charter")}
            # Only what the board can show, chosen in SQL by the state and time kept beside
            # each record: live tasks, conflicts, and of the contributions waiting for review
            # the longest-waiting (their heat grows with age) and the signalled ones.
            store = home.store
            records.update(store.scan_records(cid, "task/", tasks.ON_BOARD))
            records.update(store.scan_records(cid, "contribution/", ("conflict",)))
            records.update(store.scan_records(cid, "contribution/", ("open",), oldest=SHOWN))
            for prefix in ("flag/", "signal/"):
                records.update(store.scan_records(cid, prefix))
            signalled = [k.removeprefix("signal/") for k in records if k.startswith("signal/")]
            records.update(store.get_records(cid, [k for k in signalled if k not in records]))
            waiting = store.count_states(cid, "contribution/").get("open", 0)
            names = queries.names(home, cid)
        items = tasks.board(records, now)
        hottest = max((i["heat"] for i in items), default=0) or 1
        for item in items:
            target = item["target"]
            item["label"] = KIND_LABELS.get(item["kind"], item["kind"])
            item["url"] = target_url(commons["id"], target)
            item["bar"] = round(100 * item["heat"] / hottest)
            item["claimed_name"] = names.get(item["claimed_by"] or "")
            item["mine"] = sorted(
                s["kind"] for s in signals_of(records, target) if me and s["by"] == me
            )
            item["signal"] = signal_target(target)
            if item["kind"] == "needs_work":
                flag = records.get(tasks.flag_key(item["title"])) or {}
                item["flagged_by"] = flag.get("by")
                item["flagged_name"] = names.get(flag.get("by") or "")
        maintainers = [m["did"] for m in commons["maintainers"]]
        shown_reviews = sum(1 for i in items if i["kind"] == "review")
        return {
            "commons": commons,
            "items": items,
            "more_waiting": max(0, waiting - shown_reviews),
            "now": now,
            "signals": [{"kind": k, "label": label} for k, label in SIGNALS],
            "is_maintainer": me is not None and me in maintainers,
        }

    @web.route("/c/{ref}/board")
    async def board(request: Request) -> Response:
        data = await run_in_threadpool(board_data, request.path_params["ref"], me_of(request))
        return web.page(request, "board.html", data)

    def resolve_links(ref: str, raw: str) -> list[bytes]:
        """Contribution ids (unique prefixes) separated by spaces or commas."""
        found: list[bytes] = []
        with service.lock:
            commons_id = service.home.commons_id(ref)
            for part in SEPARATORS.split(raw.strip()):
                if part:
                    cid = service.home.event_id(commons_id, part, "contribution")
                    if cid not in found:
                        found.append(cid)
        return found

    @web.route("/c/{ref}/tasks", methods=("POST",))
    async def open_task(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        title = text_of(form, "title")
        if not title:
            raise BadInput("give the task a title")
        links = await run_in_threadpool(resolve_links, ref, text_of(form, "links"))
        body = {"title": title, "description": text_of(form, "description"), "links": links}
        made = await run_in_threadpool(act, service, actor, ref, "task.open", body)
        if wants_json(request):
            return JSONResponse({"id": made.hex()})
        return RedirectResponse(f"/c/{quote(ref)}/tasks/{made.hex()}", status_code=303)

    @web.route("/c/{ref}/board/signal", methods=("POST",))
    async def signal(request: Request) -> Response:
        """A signal on any board item: ``on`` (task, contribution, artifact), ``ref``, ``kind``."""
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        on, target = text_of(form, "on"), text_of(form, "ref")
        kind = text_of(form, "kind")
        if on in ("task", "contribution"):
            what = await run_in_threadpool(event_of, ref, target, on)
            body = {"target": {"on": on, "id": what}, "kind": kind}
        elif on == "artifact":
            body = {"target": {"on": "artifact", "path": target}, "kind": kind}
        else:
            raise BadInput("a signal goes on a task, a contribution or a file")
        made = await run_in_threadpool(act, service, actor, ref, "task.signal", body)
        if wants_json(request):
            return JSONResponse({"id": made.hex()})
        return web.back(request, f"/c/{quote(ref)}/board")

    @web.route("/c/{ref}/board/{action}", methods=("POST",))
    async def flag(request: Request) -> Response:
        """Flag a file as needing work (``path``, ``note``), or unflag it (``path``)."""
        ref, action = request.path_params["ref"], request.path_params["action"]
        if action not in ("flag", "unflag"):
            raise NotFound(f"no action '{action}' on the board")
        form = await web.form(request)
        actor = web.actor(request)
        body = {"path": text_of(form, "path")}
        if action == "flag":
            body["note"] = text_of(form, "note")
            if not body["note"]:
                raise BadInput("say what needs work")
        made = await run_in_threadpool(act, service, actor, ref, f"task.{action}", body)
        if wants_json(request):
            return JSONResponse({"id": made.hex()})
        return web.back(request, f"/c/{quote(ref)}/board")

    # -- one task -----------------------------------------------------------------------------

    def event_of(ref: str, target: str, what: str) -> bytes:
        with service.lock:
            return service.home.event_id(service.home.commons_id(ref), target, what)

    def task_data(ref: str, tref: str, me: str | None) -> dict[str, Any]:
        now = now_ms()
        with service.lock:
            home = service.home
            commons_id = home.commons_id(ref)
            commons = queries.commons_show(home, commons_id)
            tid = home.event_id(commons_id, tref, "task")
            state = home.state(commons_id)
            record = state.get(tasks.task_key(tid))
            if record is None:
                raise NotFound(f"{tid.hex()[:12]} is not a task of this commons")
            cid = home.cid(commons_id)
            names = queries.names(home, cid)
            history = [
                {
                    **queries.hexed(h),
                    "by_name": names.get(h["by"]),
                    "label": HISTORY.get(h["action"], h["action"]),
                }
                for _, h in home.store.scan_records(cid, f"task-history/{tid.hex()}/")
            ]
            contributions = {}
            for link in [*record["links"], *record["done_links"]]:
                found = state.get(contribution_key(link)) or {}
                contributions[link.hex()] = {
                    "id": link.hex(),
                    "title": found.get("title", link.hex()[:12]),
                    "state": found.get("state"),
                }
            validators = tasks.setting(state.get("charter") or {}, "validators")
        thread = discussion.thread_for(service, commons_id, "task", tid.hex())
        task = queries.hexed(record)
        task["id"] = tid.hex()
        task["expired"] = tasks.expired(record, now)
        task["heat"] = round(
            tasks.heat(
                record["signals"],
                now,
                tasks.setting(state.get("charter") or {}, "half_life_hours"),
            ),
            2,
        )
        for key in ("author", "doer"):
            task[key + "_name"] = names.get(record[key] or "")
        if record["claim"]:
            task["claim"]["name"] = names.get(record["claim"]["by"])
        if record["checked"]:
            task["checked"]["name"] = names.get(record["checked"]["by"])
        maintainers = [m["did"] for m in commons["maintainers"]]
        is_maintainer = me is not None and me in maintainers
        st = record["state"]
        claimant = record["claim"]["by"] if record["claim"] else None
        held_by_other = st == "claimed" and claimant != me and not task["expired"]
        may_check = me is not None and (validators == "anyone" or is_maintainer)
        can = {
            "claim": me is not None
            and (st in ("open", "invalidated") or (st == "claimed" and task["expired"]))
            and claimant != me,
            "extend": me is not None and st == "claimed" and claimant == me,
            "release": me is not None and st == "claimed" and claimant == me,
            "done": me is not None
            and st in ("open", "claimed", "invalidated")
            and not held_by_other,
            "validate": may_check and st == "done" and record["doer"] != me,
            "reopen": me is not None
            and st in ("done", "validated", "invalidated")
            and (me == record["author"] or is_maintainer),
            "signal": me is not None and st != "validated",
        }
        can["invalidate"] = can["validate"]
        own_work = me is not None and st == "done" and record["doer"] == me
        return {
            "commons": commons,
            "task": task,
            "links": [contributions[c.hex()] for c in record["links"]],
            "done_links": [contributions[c.hex()] for c in record["done_links"]],
            "history": history,
            "names": names,
            "can": can,
            "own_work": own_work,
            "validators": validators,
            "mine": sorted(s["kind"] for s in record["signals"] if s["by"] == me),
            "signals": [{"kind": k, "label": label} for k, label in SIGNALS],
            "thread": thread,
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
            raise NotFound(f"no action '{action}' on a task")
        form = await web.form(request)
        actor = web.actor(request)
        tid = await run_in_threadpool(event_of, ref, tref, "task")
        body: dict[str, Any] = {"task": tid}
        comment = text_of(form, "comment")
        if action == "done":
            links = await run_in_threadpool(resolve_links, ref, text_of(form, "links"))
            body.update(comment=comment, links=links)
        elif action == "invalidate":
            if not comment:
                raise BadInput("say what is wrong with the work: a comment is required")
            body["comment"] = comment
        elif action in ("validate", "reopen"):
            body["comment"] = comment
        elif action == "signal":
            body = {"target": {"on": "task", "id": tid}, "kind": text_of(form, "kind")}
        made = await run_in_threadpool(act, service, actor, ref, f"task.{action}", body)
        if wants_json(request):
            return JSONResponse({"id": made.hex()})
        return RedirectResponse(f"/c/{quote(ref)}/tasks/{tid.hex()}", status_code=303)
