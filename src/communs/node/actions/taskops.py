"""The Service's operations on the task board: open, claim, extend, release, mark done,
validate, invalidate, reopen, signal, flag and unflag; and the reads: tasks (by state), one
task with its history, and the board.

The rules stay in the fold (``domain/tasks.py``): ``Home.emit`` folds each action once, and
a refused one leaves nothing stored and says why.
"""

import itertools
import time
from typing import Any

from ...core.errors import Ambiguous, BadInput, NotFound
from ...domain import tasks
from ...domain.contributions import contribution_key
from ...domain.credit import credit_key, month_of
from ...domain.enterprises import behind_on_board
from ...domain.refusals import code, fault
from ..home.folder import Actor, Home
from ..home.refusing import not_an_id
from ..reads.queries import commons_show, hexed, names

TASK_ACTIONS = ("claim", "extend", "release", "done", "validate", "invalidate", "reopen")
SIGNAL_TARGETS = ("task", "contribution", "artifact")
# What a "not found" and an ambiguous prefix say, by the kind of record: where a person finds
# the ids of each kind.
NOT_FOUND = {
    "task": code(
        "task_not_found",
        "no task '{ref}' in commons {commons}: 'communs task list COMMONS' shows them",
    ),
    "distribution": code(
        "round_not_found",
        "no distribution round '{ref}' in commons {commons}: 'communs distribution list "
        "COMMONS' shows them",
    ),
    "item": code(
        "item_not_found",
        "no item '{ref}' in the catalogue of {commons}: 'communs library list COMMONS' shows them",
    ),
    "expense": code(
        "expense_not_found",
        "no expense '{ref}' in commons {commons}: 'communs expense list COMMONS' shows them",
    ),
    "message": code(
        "message_not_found",
        "no message '{ref}' in commons {commons}: 'communs thread show COMMONS OBJECT' shows them",
    ),
}
SEVERAL = {
    "task": code("task_prefix_shared", "'{ref}' matches several tasks; give more characters"),
    "item": code("item_prefix_shared", "'{ref}' matches several items; give more characters"),
    "expense": code(
        "expense_prefix_shared", "'{ref}' matches several expenses; give more characters"
    ),
    "distribution": code(
        "round_prefix_shared", "'{ref}' matches several distribution rounds; give more characters"
    ),
    "message": code(
        "message_prefix_shared", "'{ref}' matches several messages; give more characters"
    ),
}
NOT_A_TASK_STATE = code("not_a_task_state", "a task is one of: {states}")
TASK_NEEDS_TITLE = code("task_needs_title", "give the task a title")
UNKNOWN_TASK_ACTION = code(
    "unknown_task_action", "unknown task action '{action}': one of {actions}"
)
SAY_WHAT_IS_WRONG = code(
    "say_what_is_wrong", "say what is wrong with the work: a comment is required"
)
SIGNAL_TARGET = code(
    "signal_target", "a signal goes on a task, a contribution or an artifact (a file)"
)
SIGNAL_KIND = code("signal_kind", "a signal is one of: {kinds}")
SAY_WHAT_NEEDS_WORK = code("say_what_needs_work", "say what needs work")
SHOWN = 100  # contributions waiting for review put on the board; the queue lists them all
FINISHED = 20  # the latest validated tasks the board lists under its items


def now_ms() -> int:
    return int(time.time() * 1000)


def record_id(home: Home, commons: bytes, prefix: str, ref: str, what: str) -> bytes:
    """The id of the one record under ``prefix`` whose id starts with the hex ``ref``: by
    records rather than events, since a fork holds records whose events live in its parent."""
    ref = ref.strip().lower()
    if not ref or len(ref) > 64 or any(c not in "0123456789abcdef" for c in ref):
        raise not_an_id(ref)
    found = [
        key[len(prefix) :]
        for key, _ in itertools.islice(home.store.scan_records(home.cid(commons), prefix + ref), 2)
    ]
    if not found:
        raise fault(NotFound, NOT_FOUND[what], ref=ref, commons=commons)
    if len(found) > 1:
        raise fault(Ambiguous, SEVERAL[what], ref=ref)
    return bytes.fromhex(found[0])


def summary(tid: str, record: dict[str, Any], known: dict[str, str], now: int) -> dict[str, Any]:
    claim = record["claim"]
    return {
        "id": tid,
        "title": record["title"],
        "state": record["state"],
        "author": record["author"],
        "author_name": known.get(record["author"]),
        "claimed_by": claim["by"] if claim else None,
        "claimed_name": known.get(claim["by"]) if claim else None,
        "until": claim["until"] if claim else None,
        "expired": tasks.expired(record, now),
        "doer": record["doer"],
        "signals": len(record["signals"]),
        "order": record["order"],
        "time": record["time"],
    }


class TaskOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``_me``, ``_commons`` and
    ``_contribution``)."""

    def _task(self, commons: bytes, ref: str) -> bytes:
        return record_id(self.home, commons, "task/", ref, "task")

    def _links(self, commons: bytes, links: list[str] | None) -> list[bytes]:
        found: list[bytes] = []
        for ref in links or []:
            cid = self._contribution(commons, ref)
            if cid not in found:
                found.append(cid)
        return found

    # -- reads ---------------------------------------------------------------------------

    def tasks(self, ref: str, state: str | None = None) -> list[dict[str, Any]]:
        """Tasks in the order they were opened; ``state``: only those in that state (a claim
        that ran out still says claimed, with ``expired``)."""
        if state is not None and state not in tasks.STATES:
            raise fault(BadInput, NOT_A_TASK_STATE, states=list(tasks.STATES))
        now = now_ms()
        with self.lock:
            cid = self.home.cid(self._commons(ref))
            known = names(self.home, cid)
            scanned = self.home.store.scan_records(cid, "task/", (state,) if state else None)
            items = [summary(key.split("/", 1)[1], record, known, now) for key, record in scanned]
        return sorted(items, key=lambda t: t["order"])

    def task(self, ref: str, task: str) -> dict[str, Any]:
        """One task: its record, who did what (``history``), the contributions it links
        (title and state), its heat, and who may validate in this commons."""
        now = now_ms()
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            tid = self._task(commons, task)
            state = home.state(commons)
            record = state.get(tasks.task_key(tid))
            cid = home.cid(commons)
            known = names(home, cid)
            history = [
                {**hexed(h), "by_name": known.get(h["by"])}
                for _, h in home.store.scan_records(cid, f"task-history/{tid.hex()}/")
            ]

            def linked(ids: list[bytes]) -> list[dict[str, Any]]:
                found = [(c, state.get(contribution_key(c)) or {}) for c in ids]
                return [
                    {"id": c.hex(), "title": r.get("title", c.hex()[:12]), "state": r.get("state")}
                    for c, r in found
                ]

            links, done_links = linked(record["links"]), linked(record["done_links"])
            charter = state.get("charter") or {}
        shown = hexed(record)
        for key in ("author", "doer"):
            shown[key + "_name"] = known.get(record[key] or "")
        for key in ("claim", "checked"):
            if record[key]:
                shown[key]["name"] = known.get(record[key]["by"])
        half_life = tasks.setting(charter, "half_life_hours")
        return {
            "id": tid.hex(),
            **shown,
            "links": links,
            "done_links": done_links,
            "expired": tasks.expired(record, now),
            "heat": round(tasks.heat(record["signals"], now, half_life), 2),
            "history": history,
            "validators": tasks.setting(charter, "validators"),
            "maintainers": list(charter.get("maintainers", [])),
        }

    def board(self, ref: str) -> dict[str, Any]:
        """What needs doing, hottest first (``domain.tasks.board``), each item with the
        names of who holds it, who flagged it, and the signals on it (``signalled``: by whom,
        of which kind); ``waiting``: how many contributions wait for review in all;
        ``finished``: the latest tasks validated."""
        now = now_ms()
        with self.lock:
            home = self.home
            commons_id = self._commons(ref)
            commons = commons_show(home, commons_id, digest=False)
            cid = home.cid(commons_id)
            store = home.store
            records: dict[str, Any] = {"charter": home.state(commons_id).get("charter")}
            # Only what the board can show, chosen in SQL by the state and time kept beside
            # each record: live tasks, conflicts, and of the contributions waiting for review
            # the longest-waiting (their heat grows with age) and the signalled ones.
            records.update(store.scan_records(cid, "task/", tasks.ON_BOARD))
            records.update(store.scan_records(cid, "contribution/", ("conflict",)))
            records.update(store.scan_records(cid, "contribution/", ("open",), oldest=SHOWN))
            for prefix in ("flag/", "signal/"):
                records.update(store.scan_records(cid, prefix))
            signalled = [k.removeprefix("signal/") for k in records if k.startswith("signal/")]
            records.update(store.get_records(cid, [k for k in signalled if k not in records]))
            waiting = store.count_states(cid, "contribution/").get("open", 0)
            known = names(home, cid)
            finished = list(store.scan_records(cid, "task/", ("validated",), newest=FINISHED))
            enterprises = list(store.scan_records(cid, "enterprise/"))
            dids = [key.split("/", 1)[1] for key, _ in enterprises]
            credit = store.get_records(cid, [credit_key(did) for did in dids])
        points = {did: (credit.get(credit_key(did)) or {}).get("points", 0) for did in dids}
        behind = behind_on_board(enterprises, records["charter"] or {}, month_of(now), points)
        items = tasks.board(records, now, behind)
        for item in items:
            target = item["target"]
            on = records.get(target) if target.startswith("task/") else None
            on = on or records.get(tasks.signal_key(target)) or {}
            item["signalled"] = [{"by": s["by"], "kind": s["kind"]} for s in on.get("signals", [])]
            item["claimed_name"] = known.get(item["claimed_by"] or "")
            if item["kind"] == "needs_work":
                flag = records.get(tasks.flag_key(item["title"])) or {}
                item["flagged_by"] = flag.get("by")
                item["flagged_name"] = known.get(flag.get("by") or "")
        done = [
            {
                "id": key.removeprefix("task/"),
                "title": record["title"],
                "doer": record["doer"],
                "doer_name": known.get(record["doer"] or ""),
                "time": record["time"],
            }
            for key, record in finished
        ]
        return {
            "commons": commons,
            "items": hexed(items),
            "waiting": waiting,
            "now": now,
            "finished": done,
        }

    # -- writes --------------------------------------------------------------------------

    def task_open(
        self,
        actor: Actor,
        ref: str,
        title: str,
        description: str = "",
        links: list[str] | None = None,
    ) -> dict[str, Any]:
        """Open a task; ``links``: the contributions it is about (unique id prefixes)."""
        if not title.strip():
            raise fault(BadInput, TASK_NEEDS_TITLE)
        with self.lock:
            commons = self._commons(ref)
            body = {
                "title": title,
                "description": description,
                "links": self._links(commons, links),
            }
            made = self.home.emit(self._me(actor), commons, "task.open", body)
        return {"id": made.hex(), "state": "open"}

    def task_act(
        self,
        actor: Actor,
        ref: str,
        task: str,
        action: str,
        comment: str = "",
        links: list[str] | None = None,
    ) -> dict[str, Any]:
        """claim, extend, release, done (``comment``, ``links``: the contributions that did
        the work), validate and reopen (``comment``), invalidate (``comment``: what is wrong,
        required)."""
        if action not in TASK_ACTIONS:
            raise fault(BadInput, UNKNOWN_TASK_ACTION, action=action, actions=list(TASK_ACTIONS))
        if action == "invalidate" and not comment.strip():
            raise fault(BadInput, SAY_WHAT_IS_WRONG)
        with self.lock:
            commons = self._commons(ref)
            tid = self._task(commons, task)
            body: dict[str, Any] = {"task": tid}
            if action == "done":
                body.update(comment=comment, links=self._links(commons, links))
            elif action in ("validate", "invalidate", "reopen"):
                body["comment"] = comment
            made = self.home.emit(self._me(actor), commons, f"task.{action}", body)
            state = self.home.state(commons).get(tasks.task_key(tid))["state"]
        return {"id": made.hex(), "task": tid.hex(), "state": state}

    def signal(self, actor: Actor, ref: str, on: str, target: str, kind: str) -> dict[str, Any]:
        """Leave a signal (needed, urgent, good_first_task) ``on`` a task or a contribution
        (``target``: an id prefix) or an artifact (``target``: its path, which may not exist
        yet)."""
        if on not in SIGNAL_TARGETS:
            raise fault(BadInput, SIGNAL_TARGET)
        if kind not in tasks.WEIGHTS:
            raise fault(BadInput, SIGNAL_KIND, kinds=list(tasks.WEIGHTS))
        with self.lock:
            commons = self._commons(ref)
            if on == "task":
                where: dict[str, Any] = {"on": on, "id": self._task(commons, target)}
            elif on == "contribution":
                where = {"on": on, "id": self._contribution(commons, target)}
            else:
                where = {"on": on, "path": target}
            body = {"target": where, "kind": kind}
            made = self.home.emit(self._me(actor), commons, "task.signal", body)
        named = where.get("id")
        return {"id": made.hex(), "target": named.hex() if named else target}

    def flag(self, actor: Actor, ref: str, path: str, note: str) -> dict[str, Any]:
        """Mark an artifact as needing work, saying what (``note``)."""
        if not note.strip():
            raise fault(BadInput, SAY_WHAT_NEEDS_WORK)
        with self.lock:
            commons = self._commons(ref)
            body = {"path": path, "note": note}
            made = self.home.emit(self._me(actor), commons, "task.flag", body)
        return {"id": made.hex()}

    def unflag(self, actor: Actor, ref: str, path: str) -> dict[str, Any]:
        """Take the flag off an artifact (whoever flagged it, or a maintainer)."""
        with self.lock:
            commons = self._commons(ref)
            made = self.home.emit(self._me(actor), commons, "task.unflag", {"path": path})
        return {"id": made.hex()}
