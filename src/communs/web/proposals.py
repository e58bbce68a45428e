"""The decisions of a commons in the browser: the decision log with the form to open a
proposal, and one proposal with the forms its state and method allow (vote, reveal, object,
withdraw an objection, close, settle).

Every rule stays in the fold (``domain/governance.py``, ``domain/tally.py``): a page offers
what the visitor may plausibly do, the service signs it, and a refusal shows the fold's own
reason. Hidden ballots stay hidden here too: until a hidden proposal is settled its page
(and its JSON twin) shows how many committed and revealed, never what.
"""

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..core.errors import BadInput, CommunsError, NotFound
from ..domain import governance
from ..domain.refusals import code, fault
from ..domain.tally import ADVISORY, AVAILABILITY, BY_OBJECTION, CONSENSUS, YES_NO
from ..node import governing, queries
from . import discussion
from .base import Web
from .discussion import text_of
from .measures import HOUR, now_ms
from .proposal_forms import EFFECT_CHOICES, EFFECTS, TYPED, ballot_from, effect_from, method_from
from .proposal_words import WHO, ballot_text, effect_text, method_text, result_view
from .statuses import status_of

KINDS = ("charter", "maintainer", "expense", "custom")
ACTIONS = ("vote", "reveal", "object", "withdraw_objection", "close", "settle")
DECIDED = ("passed", "failed", "settled")
PICKED_AT_MOST = 500  # names a picker offers; any other is taken as typed

PROPOSAL_NEEDS_TITLE = code("proposal_needs_title", "give the proposal a title")
CLOSES_IN_HOURS = code("closes_in_hours", "closes in: give a number of hours")
CLOSES_IN_RANGE = code("closes_in_range", "closes in: from 0 to 8760 hours (a year)")
NO_PROPOSAL_ACTION = code("no_proposal_action", "no action '{action}' on a proposal")
OBJECTION_NEEDS_REASON = code(
    "objection_needs_reason", "say why you object: an objection needs its reason"
)


def add_routes(web: Web) -> None:
    service = web.service

    me_of = web.me_of

    wants_json = web.wants_json

    def listed(pid: str, record: dict[str, Any], names: dict[str, str], _: Any) -> dict:
        """One line of the decision log."""
        result = record.get("result") or {}
        ended = record.get("settled") or record.get("closed") or {}
        standing = sum(1 for o in record["objections"].values() if not o["withdrawn"])
        return {
            "id": pid,
            **governing.summary(record),
            "result": result.get("outcome"),
            "author": record["author"],
            "author_name": names.get(record["author"]),
            "time": record["time"],
            "ended": ended.get("time"),
            "standing": standing,
            "statement": record.get("outcome") or "",
            "effect": queries.hexed(record.get("effect")),
            "effect_text": effect_text(record.get("effect"), names, _),
            "effect_status": record.get("effect_status"),
        }

    # -- the decision log ---------------------------------------------------------------------

    def proposals_data(ref: str, me: str | None, _: Any) -> dict[str, Any]:
        found = service.proposals_page(ref)
        commons, names, records = found["commons"], found["names"], found["proposals"]
        items = [listed(pid, r, names, _) for pid, r in records]
        open_ = sorted((p for p in items if p["state"] == "open"), key=lambda p: p["closes_at"])
        closed = sorted((p for p in items if p["state"] == "closed"), key=lambda p: p["ended"])
        decided = sorted(
            (p for p in items if p["state"] in DECIDED), key=lambda p: -(p["ended"] or 0)
        )
        maintainers = [m["did"] for m in commons["maintainers"]]
        return {
            "commons": commons,
            "open": open_,
            "closed": closed,
            "decided": decided,
            "now": now_ms(),
            "kinds": KINDS,
            "polls": ADVISORY,
            "effects": EFFECTS,
            "effect_choices": EFFECT_CHOICES,
            # a picker by name for a maintainer change (any name or DID is taken as typed)
            "people": sorted(names.values(), key=str.casefold)[:PICKED_AT_MOST],
            "is_maintainer": me is not None and me in maintainers,
        }

    @web.route("/c/{ref}/proposals")
    async def proposals(request: Request) -> Response:
        data = await web.call(
            proposals_data, request.path_params["ref"], me_of(request), web.gettext(request)
        )
        # a link from what the decision is about (an expense) prefills the form
        asked = {k: (request.query_params.get(k) or "")[:200] for k in ("kind", "about", "title")}
        if asked["about"] and not data.get("form"):
            data["form"] = {"kind": asked["kind"], "title": asked["title"], "about": asked["about"]}
        return web.page(request, "proposals.html", data)

    @web.route("/c/{ref}/proposals", methods=("POST",))
    async def open_proposal(request: Request) -> Response:
        """Open a proposal; refused, the page comes back with what was typed and why."""
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        try:
            return await opened(request, ref, form, actor)
        except CommunsError as error:
            data = await web.call(proposals_data, ref, me_of(request), web.gettext(request))
            typed = {k: text_of(form, k) for k in TYPED}
            data.update(form=typed, error=web.said(request, error))
            return web.page(request, "proposals.html", data, status_of(error))

    async def opened(request: Request, ref: str, form: Any, actor: Any) -> Response:
        title = text_of(form, "title")
        if not title:
            raise fault(BadInput, PROPOSAL_NEEDS_TITLE)
        effect = effect_from(form)
        kind = text_of(form, "kind") or "custom"
        if effect and kind == "custom":  # a custom decision carries no charter change
            kind = "maintainer" if effect["op"].endswith("_maintainer") else "charter"
        try:
            hours = float(text_of(form, "closes_in") or 72)
        except ValueError:
            raise fault(BadInput, CLOSES_IN_HOURS) from None
        if not 0 <= hours <= 24 * 365:
            raise fault(BadInput, CLOSES_IN_RANGE)
        options = [line.strip() for line in text_of(form, "options").splitlines() if line.strip()]
        method = method_from(form)
        made = await web.call(
            lambda: service.proposal_open(
                actor,
                ref,
                title,
                text=text_of(form, "text"),
                kind=kind,
                method=method,
                options=options,
                closes_in_hours=hours,
                effect=effect,
                hidden=bool(form.get("hidden")),
                about=text_of(form, "about") or None,
            )
        )
        if wants_json(request):
            return JSONResponse(made)
        return RedirectResponse(f"/c/{quote(ref)}/proposals/{made['id']}", status_code=303)

    # -- one proposal -------------------------------------------------------------------------

    def proposal_data(ref: str, pref: str, me: str | None, _: Any) -> dict[str, Any]:
        now = now_ms()
        found = service.proposal_page(ref, pref, me)
        commons, names, record = found["commons"], found["names"], found["record"]
        standing, kept = found["standing"], found["kept"]
        p = queries.hexed(record)
        method, options = p["method"], p["options"]
        name, st = method["name"], p["state"]
        maintainers = [m["did"] for m in commons["maintainers"]]
        is_maintainer = me is not None and me in maintainers
        secret = p["hidden"] and st in ("open", "closed")  # until settled
        ballots = [
            {
                "by": did,
                "by_name": names.get(did),
                "ballot": b["ballot"],
                "shown": ballot_text(b["ballot"], name, options, _),
                "reason": b["reason"],
                "time": b["time"],
            }
            for did, b in sorted(p["ballots"].items(), key=lambda item: item[1]["time"])
        ]
        objections = [
            {"by": did, "by_name": names.get(did), **o}
            for did, o in sorted(p["objections"].items(), key=lambda item: item[1]["time"])
        ]
        mine_objection = next((o for o in objections if o["by"] == me), None)
        revealed = len(ballots)
        if secret:
            ballots = []
            p["ballots"] = {}
        hidden_left = sum(1 for did in p["commitments"] if did not in record["ballots"])
        reveal_until = p["closed"]["time"] + method["reveal_hours"] * HOUR if p["closed"] else None
        may_close = me is not None and (me == p["author"] or is_maintainer or name in BY_OBJECTION)
        may_state = me is not None and (me == p["author"] or is_maintainer)
        early = now < p["closes_at"]
        reached = (
            name in governance.MAINTAINERS_DECIDE
            and standing is not None
            and standing["outcome"] == "passed"
        )
        eligible = p["rule"]["eligible"]
        signed = me is not None
        can = {
            "vote": signed
            and st == "open"
            and name not in BY_OBJECTION
            and (eligible != "maintainers" or is_maintainer),
            "object": signed
            and st == "open"
            and name in BY_OBJECTION
            and not (mine_objection and not mine_objection["withdrawn"]),
            "withdraw": signed
            and st == "open"
            and bool(mine_objection and not mine_objection["withdrawn"]),
            "close": may_close and st == "open" and (not early or reached),
            "state_outcome": may_state,
            "reveal": signed
            and st == "closed"
            and me in p["commitments"]
            and me not in record["ballots"]
            and kept,
            "settle": signed and st == "closed" and (not hidden_left or now >= reveal_until),
        }
        # Committed from another node: the ballot and its salt are kept there.
        can["reveal_elsewhere"] = (
            signed
            and st == "closed"
            and me in p["commitments"]
            and me not in record["ballots"]
            and not kept
        )
        p["id"] = found["id"].hex()
        p["author_name"] = names.get(p["author"])
        p["effect_text"] = effect_text(record["effect"], names, _)
        p["method_text"] = method_text(method, len(maintainers) if st == "open" else None, _)
        p["who"] = _(WHO[eligible])
        if p["closed"]:
            p["closed"]["by_name"] = names.get(p["closed"]["by"])
        if p["settled"]:
            p["settled"]["by_name"] = names.get(p["settled"]["by"])
        mine = None
        if me is not None and me in record["ballots"] and not secret:
            mine = ballot_text(record["ballots"][me]["ballot"], name, options, _)
        return {
            "commons": commons,
            "proposal": p,
            "ballots": ballots,
            "objections": objections,
            "secret": secret,
            "committed": len(p["commitments"]),
            "revealed": revealed,
            "hidden_left": hidden_left,
            "reveal_until": reveal_until,
            "result": result_view(p["result"], name, options, _),
            "standing": result_view(standing, name, options, _),
            "mine": mine,
            "committed_mine": me is not None and me in p["commitments"],
            "can": can,
            "early": early,
            "reached": reached,
            "is_maintainer": is_maintainer,
            "polls": ADVISORY,
            "choices": {
                "yes_no": YES_NO,
                "consensus": CONSENSUS,
                "availability": AVAILABILITY,
            },
            "now": now,
            "thread": discussion.thread_for(service, commons["id"], "proposal", p["id"]),
        }

    @web.route("/c/{ref}/proposals/{pid}")
    async def proposal(request: Request) -> Response:
        data = await web.call(
            proposal_data,
            request.path_params["ref"],
            request.path_params["pid"],
            me_of(request),
            web.gettext(request),
        )
        return web.page(request, "proposal.html", data)

    @web.route("/c/{ref}/proposals/{pid}/{action}", methods=("POST",))
    async def proposal_action(request: Request) -> Response:
        ref, pref = request.path_params["ref"], request.path_params["pid"]
        action = request.path_params["action"]
        if action not in ACTIONS:
            raise fault(NotFound, NO_PROPOSAL_ACTION, action=action)
        form = await web.form(request)
        actor = web.actor(request)
        record = await web.call(service.proposal, ref, pref)
        fields: dict[str, Any] = {}
        if action == "vote":
            fields["ballot"] = ballot_from(form, record["method"], record["options"])
            fields["reason"] = text_of(form, "reason")
        elif action == "object":
            fields["reason"] = text_of(form, "reason")
            if not fields["reason"]:
                raise fault(BadInput, OBJECTION_NEEDS_REASON)
        elif action == "withdraw_objection":
            fields["note"] = text_of(form, "note")
        elif action in ("close", "settle"):
            fields["outcome"] = text_of(form, "outcome") or None
        made = await web.call(service.proposal_act, actor, ref, record["id"], action, **fields)
        if wants_json(request):
            return JSONResponse(made)
        return RedirectResponse(f"/c/{quote(ref)}/proposals/{record['id']}", status_code=303)
