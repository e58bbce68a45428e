"""Governance in the browser: the decision log of a commons, one proposal with the forms its
state and method allow, the charter in force with its history, and a health page.

Every rule stays in the fold (``domain/governance.py``, ``domain/tally.py``): a page offers
what the visitor may plausibly do, the service signs it, and a refusal shows the fold's own
reason. Hidden ballots stay hidden here too: until a hidden proposal is settled its page
(and its JSON twin) shows how many committed and revealed, never what.

The health page is computed from the store, bounded to the last twelve months: active
contributors per month, how long review takes and how much is accepted, forks and who of
this commons took part in them, and the objections that stand. Charts are plain HTML bars.
"""

import json
import time
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..core.errors import BadInput, NotFound
from ..domain import governance, parse
from ..domain.tally import (
    ADVISORY,
    AVAILABILITY,
    BY_OBJECTION,
    CONSENSUS,
    WITH_OPTIONS,
    YES_NO,
)
from ..node import governing, queries
from .app import Web
from .discussion import text_of
from .i18n import translator

KINDS = ("charter", "maintainer", "custom")
EFFECTS = ("add_maintainer", "remove_maintainer", "set", "set_rule")
ACTIONS = ("vote", "reveal", "object", "withdraw_objection", "close", "settle")
DECIDED = ("passed", "failed", "settled")
WHO = {
    "maintainers": "maintainers",
    "contributors": "contributors with accepted contributions",
    "members": "members (maintainers and authors of an accepted contribution)",
    "anyone": "anyone",
}
CHARTER_FIELDS = {
    "name": "Name",
    "kind": "Kind",
    "licence": "Licence",
    "mode": "Mode",
    "threshold": "Threshold",
    "claim_hours": "A claim on a task lasts (hours)",
    "half_life_hours": "Signals cool by half in (hours)",
    "validators": "Who validates tasks",
}
HOUR = 3_600_000
DAY = 24 * HOUR


def now_ms() -> int:
    return int(time.time() * 1000)


def label(name: str) -> str:
    """A method, state or choice as words: ``k_of_n`` → ``k of n``."""
    return name.replace("_", " ")


def bars(counts: dict[str, int | float], labels: dict[str, str] | None = None) -> list[dict]:
    """Rows for a horizontal bar chart: each value with its width in percent of the largest."""
    top = max((v for v in counts.values()), default=0) or 1
    return [
        {"key": k, "label": (labels or {}).get(k, k), "value": v, "width": round(100 * v / top)}
        for k, v in counts.items()
    ]


def duration(ms: float | None, _: Any) -> str:
    if ms is None:
        return "—"
    if ms < HOUR:
        return _("{n} min", n=max(1, round(ms / 60_000)))
    if ms < 2 * DAY:
        return _("{n} h", n=f"{ms / HOUR:.1f}")
    return _("{n} days", n=f"{ms / DAY:.1f}")


# -- describing proposals ---------------------------------------------------------------------


def effect_text(effect: dict[str, Any] | None, names: dict[str, str], _: Any) -> str:
    """The charter change a proposal carries, as a sentence."""
    if not effect:
        return ""
    op = effect.get("op")
    if op in ("add_maintainer", "remove_maintainer"):
        did = effect["did"]
        who = names.get(did) or did[:24] + "…"
        if op == "add_maintainer":
            return _("add {who} as a maintainer", who=who)
        return _("remove {who} from the maintainers", who=who)
    if op == "set":
        return _(
            "set the charter's {field} to {value}",
            field=_(label(effect["field"])),
            value=json.dumps(effect["value"], ensure_ascii=False),
        )
    if op == "set_rule":
        rule = effect.get("rule")
        if rule is None:
            return _("return {kind} decisions to the default rule", kind=effect["kind"])
        return _(
            "decide {kind} decisions by {method}, {who} taking part",
            kind=effect["kind"],
            method=_(label(rule["method"]["name"])),
            who=_(WHO[rule["eligible"]]),
        )
    return json.dumps(effect)


def method_text(method: dict[str, Any], maintainers: int | None, _: Any) -> str:
    """What a method needs, in words, with its parameters (``maintainers``: how many there
    are now, for a decision still to take)."""
    name = method["name"]
    if name == "k_of_n" and maintainers is None:
        text = _("{k} maintainers approve", k=method.get("k") or "?")
    elif name == "k_of_n":
        text = _("{k} of {n} maintainers approve", k=method.get("k") or "?", n=maintainers)
    elif name == "single_maintainer":
        text = _("one maintainer approves")
    elif name == "majority":
        text = _("more yes than no")
    elif name == "supermajority":
        ratio = method["threshold"]
        text = _("at least {num}/{den} of yes and no are yes", num=ratio["num"], den=ratio["den"])
    elif name == "lazy_consensus":
        text = _("passes unless an objection stands")
    elif name == "consent":
        text = _("passes once no objection remains unresolved")
    elif name == "consensus":
        text = _("no block and at least one agree")
    elif name == "advice":
        text = _("advice; the proposer decides")
    elif name == "single_choice":
        text = _("one option each")
    elif name == "multiple_choice":
        most = method.get("max_choices") or 0
        text = _("up to {n} options each", n=most) if most else _("any number of options")
    elif name == "score":
        text = _("a score from 0 to {n} for each option", n=method.get("max_score", 5))
    elif name == "ranked_choice":
        text = _("options ranked, instant runoff")
    elif name == "dot_vote":
        text = _("{n} dots to place among the options", n=method.get("dots", 10))
    else:
        text = _("yes, if need be or no for each slot")
    extra = []
    if method.get("quorum"):
        extra.append(_("quorum {n}", n=method["quorum"]))
    if method.get("reason_required"):
        extra.append(_("a reason with every ballot"))
    return "; ".join([text, *extra])


def ballot_text(ballot: Any, method: str, options: list[str], _: Any) -> str:
    """A ballot as people read it: a word, an option, a ranking, scores per option."""

    def option(i: Any) -> str:
        return options[i] if isinstance(i, int) and 0 <= i < len(options) else str(i)

    if method == "advice":
        return str(ballot)
    if isinstance(ballot, str):
        return _(label(ballot))
    if isinstance(ballot, int):
        return option(ballot)
    if not isinstance(ballot, list):
        return json.dumps(ballot)
    if method == "multiple_choice":
        return ", ".join(option(i) for i in ballot)
    if method == "ranked_choice":
        return " > ".join(option(i) for i in ballot)
    if method == "time_poll":
        return ", ".join(f"{option(i)}: {_(label(str(v)))}" for i, v in enumerate(ballot))
    if method == "dot_vote":
        return ", ".join(f"{option(i)}: {v}" for i, v in enumerate(ballot) if v)
    return ", ".join(f"{option(i)}: {v}" for i, v in enumerate(ballot))


def result_view(
    result: dict[str, Any] | None, method: str, options: list[str], _: Any
) -> dict[str, Any] | None:
    """A result with its bars (counts by choice, in the method's order: yes before no, the
    options as listed), averages as decimals, runoff rounds."""
    if not result:
        return None
    given = result.get("counts") or {}
    order = [*options, *YES_NO, *CONSENSUS, "objections", "standing", "unresolved", "advice"]
    counts = {
        k: given[k]
        for k in sorted(given, key=lambda k: order.index(k) if k in order else len(order))
    }
    labels = {k: _(label(k)) for k in counts} if method not in WITH_OPTIONS else None
    shown = dict(result)
    shown["bars"] = bars(counts, labels)
    shown["averages_text"] = {
        k: f"{num / den:.2f}" for k, (num, den) in (result.get("averages") or {}).items()
    }
    return shown


def ballot_from(form: FormData, method: dict[str, Any], options: list[str]) -> Any:
    """The ballot a vote form carries: the method's own fields (radio buttons, checkboxes,
    a number per option), else ``ballot`` as text (a word, an option number, a list like
    ``2, 0, 1`` or JSON), as programs post it."""
    name, count = method["name"], len(options)

    def number(value: Any, what: str) -> int:
        try:
            return int(str(value).strip() or 0)
        except ValueError:
            raise BadInput(f"{what}: give a whole number") from None

    if name == "multiple_choice" and form.getlist("choice"):
        return sorted({number(c, "choice") for c in form.getlist("choice")})
    per_option = [form.get(f"option-{i}") for i in range(count)]
    if name in ("score", "dot_vote", "time_poll", "ranked_choice") and any(
        isinstance(v, str) and v.strip() for v in per_option
    ):
        if name == "time_poll":
            return [str(v or "no") for v in per_option]
        values = [number(v, options[i]) for i, v in enumerate(per_option)]
        if name != "ranked_choice":
            return values
        ranked = sorted((rank, i) for i, rank in enumerate(values) if rank > 0)
        return [i for _, i in ranked]
    raw = text_of(form, "ballot")
    if not raw:
        raise BadInput("choose your ballot first")
    if name == "advice":
        return raw
    if raw.isdigit():
        return int(raw)
    if raw.startswith(("[", "{", '"')):
        try:
            return json.loads(raw)
        except ValueError:
            raise BadInput("this ballot is not valid JSON") from None
    if "," in raw or name in ("multiple_choice", "ranked_choice", "score", "dot_vote"):
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        return [int(p) if p.isdigit() else p for p in parts]
    return raw


def effect_from(form: FormData) -> dict[str, Any] | None:
    """``effect`` (add_maintainer, remove_maintainer, set, set_rule) and ``effect_value``
    (a DID, ``field=value``, or ``kind=method`` — ``kind=`` returns to the default)."""
    op, value = text_of(form, "effect"), text_of(form, "effect_value")
    if not op:
        return None
    if op not in EFFECTS:
        raise BadInput(f"unknown effect {op!r}")
    if not value:
        raise BadInput("the effect needs a value: a DID, field=value or kind=method")
    if op in ("add_maintainer", "remove_maintainer"):
        return {"op": op, "did": value}
    key, sep, given = (part.strip() for part in value.partition("="))
    if not sep or not key:
        raise BadInput(
            f"write the {op} effect as {'field=value' if op == 'set' else 'kind=method'}"
        )
    if op == "set":
        return {"op": "set", "field": key, "value": int(given) if given.isdigit() else given}
    if not given:
        return {"op": "set_rule", "kind": key, "rule": None}
    eligible = "maintainers" if given in governance.MAINTAINERS_DECIDE else "anyone"
    return {
        "op": "set_rule",
        "kind": key,
        "rule": {"eligible": eligible, "method": {"name": given}},
    }


def method_from(form: FormData) -> dict[str, Any] | None:
    """A poll's method with the parameters the form gives (none: the charter's rule)."""
    name = text_of(form, "method")
    if not name:
        return None
    if name not in ADVISORY:
        raise BadInput(f"{name} is not a poll; leave the method empty for a binding decision")
    method: dict[str, Any] = {"name": name}
    for field in ("quorum", "max_choices", "max_score", "dots"):
        value = text_of(form, field)
        if value:
            if not value.isdigit():
                raise BadInput(f"{label(field)}: give a whole number")
            method[field] = int(value)
    if form.get("reason_required"):
        method["reason_required"] = True
    return method


# -- the health of a commons ------------------------------------------------------------------


def add_routes(web: Web) -> None:
    service = web.service

    def me_of(request: Request) -> str | None:
        session = web.session(request)
        return session.identity.did if session and session.identity else None

    def wants_json(request: Request) -> bool:
        return bool(request.scope.get("state", {}).get("json"))

    def gettext(request: Request) -> Any:
        return translator(web.lang(request))

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
        with service.lock:
            home = service.home
            commons_id = home.commons_id(ref)
            commons = queries.commons_show(home, commons_id, digest=False)
            cid = home.cid(commons_id)
            names = queries.names(home, cid)
            records = list(home.store.scan_records(cid, "proposal/"))
        items = [listed(key.split("/", 1)[1], r, names, _) for key, r in records]
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
            "is_maintainer": me is not None and me in maintainers,
        }

    @web.route("/c/{ref}/proposals")
    async def proposals(request: Request) -> Response:
        data = await run_in_threadpool(
            proposals_data, request.path_params["ref"], me_of(request), gettext(request)
        )
        return web.page(request, "proposals.html", data)

    @web.route("/c/{ref}/proposals", methods=("POST",))
    async def open_proposal(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await web.form(request)
        actor = web.actor(request)
        title = text_of(form, "title")
        if not title:
            raise BadInput("give the proposal a title")
        effect = effect_from(form)
        kind = text_of(form, "kind") or "custom"
        if effect and kind == "custom":  # a custom decision carries no charter change
            kind = "maintainer" if effect["op"].endswith("_maintainer") else "charter"
        try:
            hours = float(text_of(form, "closes_in") or 72)
        except ValueError:
            raise BadInput("closes in: give a number of hours") from None
        if not 0 <= hours <= 24 * 365:
            raise BadInput("closes in: from 0 to 8760 hours (a year)")
        options = [line.strip() for line in text_of(form, "options").splitlines() if line.strip()]
        method = method_from(form)
        made = await run_in_threadpool(
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
            )
        )
        if wants_json(request):
            return JSONResponse(made)
        return RedirectResponse(f"/c/{quote(ref)}/proposals/{made['id']}", status_code=303)

    # -- one proposal -------------------------------------------------------------------------

    def proposal_data(ref: str, pref: str, me: str | None, _: Any) -> dict[str, Any]:
        now = now_ms()
        with service.lock:
            home = service.home
            commons_id = home.commons_id(ref)
            commons = queries.commons_show(home, commons_id, digest=False)
            pid = governing.proposal_id(home, commons_id, pref)
            state = home.state(commons_id)
            record = state.get(governance.proposal_key(pid))
            if record is None:
                raise NotFound(f"no proposal '{pref}' in this commons")
            names = queries.names(home, home.cid(commons_id))
            public_open = record["state"] == "open" and not record["hidden"]
            standing = governance.current(state, record).record() if public_open else None
            kept = (
                me is not None
                and record["hidden"]
                and service.local.kept_ballot(pid, me) is not None
            )
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
        p["id"] = pid.hex()
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
        }

    @web.route("/c/{ref}/proposals/{pid}")
    async def proposal(request: Request) -> Response:
        data = await run_in_threadpool(
            proposal_data,
            request.path_params["ref"],
            request.path_params["pid"],
            me_of(request),
            gettext(request),
        )
        return web.page(request, "proposal.html", data)

    @web.route("/c/{ref}/proposals/{pid}/{action}", methods=("POST",))
    async def proposal_action(request: Request) -> Response:
        ref, pref = request.path_params["ref"], request.path_params["pid"]
        action = request.path_params["action"]
        if action not in ACTIONS:
            raise NotFound(f"no action '{action}' on a proposal")
        form = await web.form(request)
        actor = web.actor(request)
        record = await run_in_threadpool(service.proposal, ref, pref)
        fields: dict[str, Any] = {}
        if action == "vote":
            fields["ballot"] = ballot_from(form, record["method"], record["options"])
            fields["reason"] = text_of(form, "reason")
        elif action == "object":
            fields["reason"] = text_of(form, "reason")
            if not fields["reason"]:
                raise BadInput("say why you object: an objection needs its reason")
        elif action == "withdraw_objection":
            fields["note"] = text_of(form, "note")
        elif action in ("close", "settle"):
            fields["outcome"] = text_of(form, "outcome") or None
        made = await run_in_threadpool(
            lambda: service.proposal_act(actor, ref, record["id"], action, **fields)
        )
        if wants_json(request):
            return JSONResponse(made)
        return RedirectResponse(f"/c/{quote(ref)}/proposals/{record['id']}", status_code=303)

    # -- the charter --------------------------------------------------------------------------

    def charter_data(ref: str, _: Any) -> dict[str, Any]:
        with service.lock:
            home = service.home
            commons_id = home.commons_id(ref)
            commons = queries.commons_show(home, commons_id, digest=False)
            cid = home.cid(commons_id)
            names = queries.names(home, cid)
            charter = home.state(commons_id).get("charter")
            history = governing.charter_history(home, commons_id)
            wanted = set()
            for entry in history:
                if entry["type"] in ("proposal.close", "proposal.settle"):
                    row = home.store.event(bytes.fromhex(entry["id"]))
                    if row is not None:
                        body = parse(row.raw, verify_signature=False).body
                        entry["proposal"] = body.proposal.hex()
                elif entry["type"] == "proposal.open":
                    entry["proposal"] = entry["id"]
                if entry.get("proposal"):
                    wanted.add(governance.proposal_key(bytes.fromhex(entry["proposal"])))
            records = home.store.get_records(cid, wanted)
        explicit = charter.get("rules") or {}
        rules = []
        for kind in ["charter", "maintainer", *sorted(set(explicit) - {"charter", "maintainer"})]:
            rule = governance.rule_for(charter, kind)
            rules.append(rule_view(kind, rule, kind not in explicit, charter, _))
        # Any other kind (custom, expense…) without a rule of its own: the default.
        rules.append(rule_view("", governance.default_rule("custom"), True, charter, _))
        for entry in history:
            key = entry.get("proposal")
            found = records.get("proposal/" + key) if key else None
            if found is None:
                continue
            result = found.get("result") or {}
            entry["title"] = found["title"]
            before, quoted, after = entry["summary"].partition(f"'{found['title']}'")
            entry["parts"] = [before, after] if quoted else None
            if entry["type"] == "proposal.open":
                entry["effect_text"] = effect_text(found.get("effect"), names, _)
            else:
                entry["outcome"] = result.get("outcome") if entry["effective"] else None
                entry["result_reason"] = result.get("reason") if entry["effective"] else None
                entry["statement"] = found.get("outcome") or ""
                status = found.get("effect_status")
                entry["applied"] = status["applied"] if status else None
                entry["effect_text"] = effect_text(found.get("effect"), names, _)
        fields = [
            {"field": f, "label": _(text), "value": charter.get(f)}
            for f, text in CHARTER_FIELDS.items()
        ]
        history.reverse()  # newest first, as the activity page
        return {
            "commons": commons,
            "charter": queries.hexed(charter),
            "fields": fields,
            "maintainers": [queries.person(d, names) for d in charter["maintainers"]],
            "created_by_name": names.get(charter.get("created_by") or ""),
            "rules": rules,
            "history": history,
        }

    def rule_view(
        kind: str, rule: dict[str, Any], default: bool, charter: dict, _: Any
    ) -> dict[str, Any]:
        method = dict(rule["method"])
        if method["name"] == "k_of_n" and not method.get("k"):
            method["k"] = charter["threshold"]
        return {
            "kind": kind,
            "default": default,
            "propose": _(WHO[rule["propose"]]),
            "eligible": _(WHO[rule["eligible"]]),
            "min_contributions": rule.get("min_contributions", 1),
            "method": method["name"],
            "method_text": method_text(method, len(charter["maintainers"]), _),
            "rule": rule,
        }

    @web.route("/c/{ref}/charter")
    async def charter(request: Request) -> Response:
        data = await run_in_threadpool(charter_data, request.path_params["ref"], gettext(request))
        return web.page(request, "charter.html", data)

    # -- health -------------------------------------------------------------------------------
