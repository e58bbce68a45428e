"""Contributions in the browser: the review queue, one contribution (its changes side by side,
its reviews, the decisions the visitor may take) and the reviews and decisions posted on it.
Proposing and revising are in ``proposing``, the way changes are shown in ``diffs``.

Every write is a POST form carrying the session's CSRF token, signed by the person signed in;
the rules themselves stay in the fold, so a refused action shows the fold's own reason.
"""

import time
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..core.errors import BadInput, NotFound
from ..domain.contributions import contribution_key
from ..domain.refusals import code, fault
from ..i18n import N_
from . import proposing
from .base import Web
from .diffs import change_view
from .discussion import thread_for
from .proposing import form_text

DECISIONS = ("accept", "reject", "revert", "withdraw", "patrol")
VERDICTS = ("approve", "request_changes", "comment")
QUEUE = 100  # contributions waiting shown on the queue page (the longest-waiting)
LATEST = 25  # contributions shown for every other state (the latest)

CHOOSE_VERDICT = code("choose_verdict", "choose approve, request changes or comment")
COMMENT_FIRST = code("comment_first", "write a comment before sending it")
DECISION_NEEDS_REASON = code(
    "decision_needs_reason",
    "give a reason to {action:verb} a contribution: its author will read it",
)
NO_CONTRIBUTION_ACTION = code("no_contribution_action", "no action '{action}' on a contribution")
# Decided or withdrawn: no review or decision is offered any more, the page says why instead.
CLOSED = {
    "accepted": N_(
        "Accepted: this contribution takes no more reviews or decisions. A maintainer may "
        "still revert it, with a reason."
    ),
    "rejected": N_("Rejected: this contribution takes no more reviews or decisions."),
    "reverted": N_("Reverted: this contribution takes no more reviews or decisions."),
    "withdrawn": N_(
        "Withdrawn by its author: this contribution takes no more reviews or decisions."
    ),
}


def add_routes(web: Web) -> None:
    service = web.service

    def flags(record: dict[str, Any] | None, artifacts: dict[str, Any]) -> dict[str, Any]:
        if record is None:
            return {"base_moved": [], "patrolled_by": None}
        moved = []
        if record["state"] in ("open", "conflict"):
            moved = [
                c["path"]
                for c in record["revisions"][-1]["changes"]
                if (artifacts.get(c["path"]) or {}).get("blob") != c["base"]
            ]
        patrolled = record.get("patrolled_by")
        return {"base_moved": moved, "patrolled_by": patrolled}

    def queue_data(ref: str) -> dict[str, Any]:
        """The queue (the longest-waiting first) and the latest of every other state, a page
        each, chosen in SQL: the page stays fast when thousands of contributions wait."""
        found = service.contribution_queue(ref, QUEUE, LATEST)
        commons, waiting, latest = found["commons"], found["waiting"], found["latest"]
        records, artifacts = found["records"], found["artifacts"]
        shown = [*waiting, *(c for items in latest.values() for c in items)]
        maintainers = {m["did"] for m in commons["maintainers"]}
        now = time.time() * 1000
        for item in shown:
            key = contribution_key(bytes.fromhex(item["id"]))
            item.update(flags(records.get(key), artifacts))
            item["accepts"] = sum(1 for did in item["accepted_by"] if did in maintainers)
            item["age"] = max(0, int((now - item["time"]) / 1000))
            item["to_patrol"] = (
                commons["mode"] == "publish"
                and item["state"] == "published"
                and not item["patrolled_by"]
            )
        queue = sorted(waiting, key=lambda c: c["time"])[:QUEUE]
        in_queue = {c["id"] for c in queue}
        groups = []
        for state, items in latest.items():
            members = [c for c in items if c["id"] not in in_queue]
            if members:
                groups.append(
                    {
                        "state": state,
                        "contributions": members[::-1],
                        "total": commons["contributions"].get(state, len(members)),
                    }
                )
        return {
            "commons": commons,
            "contributions": shown,
            "queue": queue,
            "groups": groups,
            "waiting": commons["contributions"]["open"],
        }

    def contribution_data(ref: str, cref: str, me: str | None) -> dict[str, Any]:
        found = service.contribution_page(ref, cref)
        commons, contribution = found["commons"], found["contribution"]
        known = {m["did"]: m["name"] for m in commons["maintainers"]}
        known.update({r["by"]: r["by_name"] for r in contribution["reviews"] if r["by_name"]})
        if contribution["author_name"]:
            known[contribution["author"]] = contribution["author_name"]
        maintainers = {m["did"] for m in commons["maintainers"]}
        contribution["accepts"] = sum(1 for d in contribution["accepted_by"] if d in maintainers)
        state = contribution["state"]
        is_maintainer = me is not None and me in maintainers
        is_author = me is not None and me == contribution["author"]
        review_mode = commons["mode"] == "review"
        # The author's own verdicts are shown as theirs, and never counted as reviews.
        for review in contribution["reviews"]:
            review["own"] = review["by"] == contribution["author"]
        reviewable = me is not None and state not in CLOSED
        can = {
            "accept": is_maintainer
            and review_mode
            and state == "open"
            and me not in contribution["accepted_by"],
            "reject": is_maintainer and state in ("open", "conflict"),
            "revert": is_maintainer and state in ("accepted", "published"),
            "patrol": is_maintainer
            and not review_mode
            and state == "published"
            and not contribution.get("patrolled_by"),
            "withdraw": is_author and state in ("open", "conflict"),
            "revise": is_author and state in ("open", "conflict"),
            "review": reviewable,
            # Approving or asking for changes is someone else's to do: the author comments.
            "approve": reviewable and not is_author,
        }
        credit = (
            service.contribution_credit(ref, contribution["id"])
            if state in ("accepted", "published", "reverted")
            else None
        )
        return {
            "commons": commons,
            "contribution": contribution,
            "credit": credit,
            "may_assess": me is not None and not is_author and state in ("accepted", "published"),
            "changes": [change_view(service, c) for c in contribution["changes"]],
            "names": known,
            "can": can,
            "reviews_counted": sum(1 for r in contribution["reviews"] if not r["own"]),
            "closed": CLOSED.get(state),
        }

    me_of = web.me_of

    wants_json = web.wants_json

    # -- the queue and one contribution ---------------------------------------------------------

    @web.route("/c/{ref}/contributions")
    async def queue(request: Request) -> Response:
        data = await web.call(queue_data, request.path_params["ref"])
        return web.page(request, "contributions.html", data)

    @web.route("/c/{ref}/contributions/{cid}")
    async def contribution(request: Request) -> Response:
        data = await web.call(
            contribution_data,
            request.path_params["ref"],
            request.path_params["cid"],
            me_of(request),
        )
        data["thread"] = await web.call(
            thread_for, service, data["commons"]["id"], "contribution", data["contribution"]["id"]
        )
        return web.page(request, "contribution.html", data)

    # Proposing and revising before the decisions: ``/revise`` is more specific than
    # ``{action}``.
    proposing.add_routes(web)

    # -- reviews and decisions ------------------------------------------------------------------

    @web.route("/c/{ref}/contributions/{cid}/{action}", methods=("POST",))
    async def act(request: Request) -> Response:
        ref, cref = request.path_params["ref"], request.path_params["cid"]
        action = request.path_params["action"]
        form = await web.form(request)
        actor = web.actor(request)
        if action == "review":
            verdict = form_text(form, "verdict")
            comment = str(form.get("comment") or "").replace("\r\n", "\n").strip()
            if verdict not in VERDICTS:
                raise fault(BadInput, CHOOSE_VERDICT)
            if verdict == "comment" and not comment:
                raise fault(BadInput, COMMENT_FIRST)
            result = await web.call(service.review, actor, ref, cref, verdict, comment)
            anchor = "#reviews"
        elif action in DECISIONS:
            reason = str(form.get("reason") or "").replace("\r\n", "\n").strip()
            if action in ("reject", "revert") and not reason:
                raise fault(BadInput, DECISION_NEEDS_REASON, action=f"contribution.{action}")
            result = await web.call(service.decide, actor, ref, cref, action, reason or None)
            anchor = ""
        else:
            raise fault(NotFound, NO_CONTRIBUTION_ACTION, action=action)
        if wants_json(request):
            return JSONResponse(result)
        return RedirectResponse(f"/c/{quote(ref)}/contributions/{quote(cref)}{anchor}", 303)
