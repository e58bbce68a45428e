"""The task board: how a commons coordinates work through traces left in it (stigmergy).

After OpenStreetMap's Tasking Manager. Nobody assigns work: anyone opens a task, and anyone
claims one, which holds it for ``claim_hours`` (from the charter) so that two people do not
do the same work twice; a claim lapses on its own when its holder goes quiet, and a lapsed
claim can be taken over. The claimant marks the task done (or anyone, for a task nobody
holds: they did it without claiming), and a validator checks the work: a maintainer, or
anyone, as the charter's ``validators`` says, but never the doer, because nobody validates
their own work. Invalid work goes back on the board with a comment saying why.

Signals (needed, urgent, good first task) are the pheromones: anyone leaves at most one of
each kind on a task, an open contribution or an artifact path, and their heat halves every
``half_life_hours``. A flag marks an artifact as needing work. The board, a pure read,
adds the signals nobody filed but the state shows: contributions waiting for review,
conflicts, flagged artifacts, invalidated tasks.

Times are the authors' advisory wall times: a claim runs ``claim_hours`` from the claiming
event's ``time``, and has lapsed for an event whose ``time`` is at or after its ``until``;
the reads take ``now_ms`` from their caller. Nothing here reads a clock.

Records: ``task/<id>`` (the task, with its signals), ``task-history/<id>/<sequence>`` (who
did what, when), ``signal/contribution/<id>`` and ``signal/artifact/<path>`` (signals on
other things), ``flag/<path>``.
"""

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Annotated, Any, Literal

import msgspec

from ..core.events import Event
from ..i18n import N_
from .artifacts import artifact_key
from .charter import Charter, charter_of, is_maintainer, require_maintainer, sequence
from .contributions import CONTRIBUTION_STATE, contribution_key
from .contributions import load as load_contribution
from .fold import Ineffective, View, Writes, event_type
from .lines import Line, Words, acting, word
from .refusals import code, sentence
from .schema import Body, Id, Reason, Text, Title, check_path, to_builtins

Links = Annotated[list[Id], msgspec.Meta(max_length=100)]
SignalKind = Literal["needed", "urgent", "good_first_task"]
WEIGHTS = {"needed": 1, "urgent": 3, "good_first_task": 1}
STATES = ("open", "claimed", "done", "validated", "invalidated")
HOUR = 3_600_000  # ms
WEEK = 7 * 24 * HOUR
REVIEW_WEEKS_CAP = 4  # a contribution waiting for review warms by 1 a week, 4 at most
DEFAULTS = {f.name: f.default for f in msgspec.structs.fields(Charter)}


def check_links(links: list[bytes]) -> None:
    if len(set(links)) != len(links):
        raise ValueError("each contribution may be linked only once")


class OpenTask(Body, kw_only=True):
    title: Title
    description: Text = ""
    links: Links = []  # contributions the task is about

    def __post_init__(self) -> None:
        check_links(self.links)


class TaskRef(Body, kw_only=True):  # task.claim, task.extend, task.release
    task: Id


class Done(TaskRef, kw_only=True):
    comment: Text = ""
    links: Links = []  # the contributions that did the work

    def __post_init__(self) -> None:
        check_links(self.links)


class Check(TaskRef, kw_only=True):  # task.validate, task.reopen
    comment: Text = ""


class Invalidate(TaskRef, kw_only=True):
    comment: Reason  # what is wrong: required


class OnTask(Body, kw_only=True, tag="task", tag_field="on"):
    id: Id


class OnContribution(Body, kw_only=True, tag="contribution", tag_field="on"):
    id: Id


class OnArtifact(Body, kw_only=True, tag="artifact", tag_field="on"):
    path: str

    def __post_init__(self) -> None:
        check_path(self.path)


class Signal(Body, kw_only=True):
    target: OnTask | OnContribution | OnArtifact
    kind: SignalKind


class Unflag(Body, kw_only=True):
    path: str

    def __post_init__(self) -> None:
        check_path(self.path)


class Flag(Unflag, kw_only=True):
    note: Reason  # what needs work


def task_key(tid: bytes) -> str:
    return "task/" + tid.hex()


def history_key(tid: bytes, view: View, event: Event) -> str:
    return f"task-history/{tid.hex()}/{sequence(view, event)}"


def flag_key(path: str) -> str:
    return "flag/" + path


def signal_key(target: str) -> str:
    """Signals on a contribution or an artifact: ``target`` is that thing's record key."""
    return "signal/" + target


def setting(charter: Mapping[str, Any], field: str) -> Any:
    """A task-board field of the charter (charters older than the board lack them)."""
    return charter.get(field, DEFAULTS[field])


UNKNOWN_TASK = code("unknown_task", "no task {task} is known in this commons at this point")
TASK_STATE = code("task_state", "cannot {action:verb} a task that is {state:word}")
NOT_CLAIMANT = code("not_claimant", "only the person who claimed a task can {action:verb} it")
ALREADY_CLAIMED = code(
    "already_claimed", "you already hold the claim on this task; extend it instead"
)
CLAIMED_BY = code(
    "claimed_by",
    "this task is claimed by someone else until {until:time}; it can be claimed when that "
    "claim is released or expires",
)
DONE_BY_CLAIMANT = code(
    "done_by_claimant",
    "this task is claimed by someone else until {until:time}; only they can mark it done",
)
OWN_WORK = code("own_work", "you cannot {action:verb} your own work")
NOT_TASK_AUTHOR = code("not_task_author", "only a maintainer or the task's author can reopen it")
ALREADY_SIGNALLED = code(
    "already_signalled", "you already signalled this as {kind:word}: one signal of a kind each"
)
TASK_VALIDATED = code("task_validated", "this task is validated: reopen it before signalling it")
NO_ARTIFACT = code("no_artifact", "there is no file {path} in this commons at this point")
ALREADY_FLAGGED = code(
    "already_flagged", "{path} is already flagged as needing work; signal it instead"
)
NOT_FLAGGED = code("not_flagged", "{path} is not flagged")
NOT_FLAGGER = code("not_flagger", "only a maintainer or the person who flagged it can unflag it")


def load(view: View, tid: bytes) -> dict[str, Any]:
    record = view.get(task_key(tid))
    if record is None:
        raise Ineffective(UNKNOWN_TASK, task=tid)
    return record


def expired(task: Mapping[str, Any], now_ms: int) -> bool:
    """Whether a task is claimed by a claim that has run out at ``now_ms``."""
    return task["state"] == "claimed" and now_ms >= task["claim"]["until"]


def held_by_other(task: Mapping[str, Any], event: Event) -> bool:
    claimed = task["state"] == "claimed" and task["claim"]["by"] != event.author
    return claimed and not expired(task, event.time)


def require_state(task: Mapping[str, Any], allowed: tuple[str, ...], event: Event) -> None:
    if task["state"] not in allowed:
        raise Ineffective(TASK_STATE, action=event.type, state=task["state"])


def require_claimant(task: Mapping[str, Any], event: Event) -> None:
    if task["claim"]["by"] != event.author:
        raise Ineffective(NOT_CLAIMANT, action=event.type)


def require_known(view: View, links: list[bytes]) -> None:
    for cid in links:
        load_contribution(view, cid)


def claimed_until(view: View, event: Event) -> int:
    return event.time + setting(charter_of(view), "claim_hours") * HOUR


def update(
    view: View, event: Event, tid: bytes, task: dict[str, Any], action: str, comment: str = ""
) -> Writes:
    """Write the task and append who did what, and when, to its history."""
    return {
        task_key(tid): task,
        history_key(tid, view, event): {
            "event": event.id,
            "by": event.author,
            "action": action,
            "comment": comment,
            "time": event.time,
        },
    }


def _opened(body: OpenTask, words: Words) -> Line:
    return Line(N_("{who} opened the task '{title}'"), {"title": body.title})


def _signalled(body: "Signal", words: Words) -> Line:
    target, kind = body.target, word(body.kind)
    path = getattr(target, "path", None)
    if path:
        return Line(N_("{who} signalled {path} as {kind}"), {"path": path, "kind": kind})
    return Line(
        N_("{who} signalled '{what}' as {kind}"), {"what": words.title(target.id), "kind": kind}
    )


def _flagged(body: "Flag", words: Words) -> Line:
    return Line(N_("{who} flagged {path}: {note}"), {"path": body.path, "note": body.note})


def _unflagged(body: "Unflag", words: Words) -> Line:
    return Line(N_("{who} unflagged {path}"), {"path": body.path})


@event_type("task.open", OpenTask, summary=_opened)
def open_task(view: View, event: Event) -> Writes:
    body: OpenTask = event.body
    require_known(view, body.links)
    task = {
        "author": event.author,
        "title": body.title,
        "description": body.description,
        "links": list(body.links),
        "state": "open",
        "claim": None,
        "doer": None,
        "done_links": [],
        "checked": None,
        "signals": [],
        "order": sequence(view, event),
        "time": event.time,
    }
    return update(view, event, event.id, task, "open")


@event_type("task.claim", TaskRef, summary=acting(N_("{who} claimed '{what}'")))
def claim(view: View, event: Event) -> Writes:
    task = load(view, event.body.task)
    require_state(task, ("open", "claimed", "invalidated"), event)
    action = "claim"
    if task["state"] == "claimed":
        if task["claim"]["by"] == event.author:
            raise Ineffective(ALREADY_CLAIMED)
        if held_by_other(task, event):
            raise Ineffective(CLAIMED_BY, who=task["claim"]["by"], until=task["claim"]["until"])
        action = "take over"  # the previous claim expired
    claim_ = {"by": event.author, "until": claimed_until(view, event)}
    return update(
        view, event, event.body.task, {**task, "state": "claimed", "claim": claim_}, action
    )


@event_type("task.extend", TaskRef, summary=acting(N_("{who} extended the claim on '{what}'")))
def extend(view: View, event: Event) -> Writes:
    task = load(view, event.body.task)
    require_state(task, ("claimed",), event)
    require_claimant(task, event)
    claim_ = {"by": event.author, "until": claimed_until(view, event)}
    return update(view, event, event.body.task, {**task, "claim": claim_}, "extend")


@event_type("task.release", TaskRef, summary=acting(N_("{who} released '{what}'")))
def release(view: View, event: Event) -> Writes:
    task = load(view, event.body.task)
    require_state(task, ("claimed",), event)
    require_claimant(task, event)
    return update(view, event, event.body.task, {**task, "state": "open", "claim": None}, "release")


@event_type("task.done", Done, summary=acting(N_("{who} marked '{what}' as done")))
def done(view: View, event: Event) -> Writes:
    body: Done = event.body
    task = load(view, body.task)
    require_state(task, ("open", "claimed", "invalidated"), event)
    if held_by_other(task, event):
        claim_ = task["claim"]
        raise Ineffective(DONE_BY_CLAIMANT, who=claim_["by"], until=claim_["until"])
    require_known(view, body.links)
    task = {
        **task,
        "state": "done",
        "claim": None,
        "doer": event.author,
        "done_links": list(body.links),
        "checked": None,
    }
    return update(view, event, body.task, task, "done", body.comment)


def check(view: View, event: Event, verdict: str) -> Writes:
    task = load(view, event.body.task)
    action = verdict[:-1]  # validated -> validate
    require_state(task, ("done",), event)
    if event.author == task["doer"]:
        raise Ineffective(OWN_WORK, action=event.type)
    if setting(charter_of(view), "validators") == "maintainers":
        require_maintainer(view, event)
    checked = {"by": event.author, "verdict": verdict, "comment": event.body.comment}
    task = {**task, "state": verdict, "checked": checked}
    return update(view, event, event.body.task, task, action, event.body.comment)


validate = event_type("task.validate", Check, summary=acting(N_("{who} validated '{what}'")))(
    partial(check, verdict="validated")
)
invalidate = event_type(
    "task.invalidate", Invalidate, summary=acting(N_("{who} invalidated '{what}'"))
)(partial(check, verdict="invalidated"))


@event_type("task.reopen", Check, summary=acting(N_("{who} reopened '{what}'")))
def reopen(view: View, event: Event) -> Writes:
    task = load(view, event.body.task)
    require_state(task, ("done", "validated", "invalidated"), event)
    if event.author != task["author"] and not is_maintainer(view, event.author):
        raise Ineffective(NOT_TASK_AUTHOR)
    task = {**task, "state": "open", "claim": None, "doer": None, "done_links": [], "checked": None}
    return update(view, event, event.body.task, task, "reopen", event.body.comment)


def add_signal(signals: list[dict[str, Any]], event: Event) -> list[dict[str, Any]]:
    kind = event.body.kind
    if any(s["by"] == event.author and s["kind"] == kind for s in signals):
        raise Ineffective(ALREADY_SIGNALLED, kind=kind)
    return [*signals, {"by": event.author, "kind": kind, "time": event.time}]


@event_type("task.signal", Signal, summary=_signalled)
def signal(view: View, event: Event) -> Writes:
    target = event.body.target
    if isinstance(target, OnTask):
        task = load(view, target.id)
        if task["state"] == "validated":
            raise Ineffective(TASK_VALIDATED)
        task = {**task, "signals": add_signal(task["signals"], event)}
        return update(view, event, target.id, task, "signal", event.body.kind)
    if isinstance(target, OnContribution):
        contribution = load_contribution(view, target.id)
        if contribution["state"] not in ("open", "conflict"):
            raise Ineffective(CONTRIBUTION_STATE, action=event.type, state=contribution["state"])
        key = signal_key(contribution_key(target.id))
    else:  # any path: a "needed" signal may ask for a file that does not exist yet
        key = signal_key(artifact_key(target.path))
    current = view.get(key) or {
        "target": to_builtins(target),
        "signals": [],
        "order": sequence(view, event),
    }
    return {key: {**current, "signals": add_signal(current["signals"], event)}}


@event_type("task.flag", Flag, summary=_flagged)
def flag(view: View, event: Event) -> Writes:
    path = event.body.path
    if view.get(artifact_key(path)) is None:
        raise Ineffective(NO_ARTIFACT, path=path)
    if view.get(flag_key(path)) is not None:
        raise Ineffective(ALREADY_FLAGGED, path=path)
    return {
        flag_key(path): {
            "by": event.author,
            "note": event.body.note,
            "time": event.time,
            "order": sequence(view, event),
        }
    }


@event_type("task.unflag", Unflag, summary=_unflagged)
def unflag(view: View, event: Event) -> Writes:
    path = event.body.path
    current = view.get(flag_key(path))
    if current is None:
        raise Ineffective(NOT_FLAGGED, path=path)
    if event.author != current["by"] and not is_maintainer(view, event.author):
        raise Ineffective(NOT_FLAGGER)
    return {flag_key(path): None}


# -- reads -----------------------------------------------------------------------------------


def heat(signals: list[Mapping[str, Any]], now_ms: int, half_life_hours: int) -> float:
    """The sum of the signals' weights, each halved for every half-life of its age (signals
    dated in the future count in full: their time is only the author's say)."""
    half_life = half_life_hours * HOUR
    return sum(
        WEIGHTS[s["kind"]] * 0.5 ** (max(0, now_ms - s["time"]) / half_life) for s in signals
    )


ON_BOARD = ("open", "claimed", "done", "invalidated")  # the states of tasks the board shows


def board(
    records: Mapping[str, Any], now_ms: int, also: Iterable[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """What needs doing, hottest first (then oldest first): the tasks not yet validated,
    and what the state itself signals: contributions waiting for review (warming with age),
    conflicts, flagged artifacts, invalidated tasks; and paths that were signalled. ``also``:
    what other institutions signal (e.g. an enterprise behind its reciprocity), each with
    ``kind``, ``target``, ``title``, ``state``, ``note``, ``base`` (its heat) and ``order``.

    Each item: ``kind`` (task, invalidated, review, conflict, needs_work, signal), ``target``
    (the record key of the thing: ``task/<id>``, ``contribution/<id>``, ``artifact/<path>``),
    ``title``, ``state``, ``heat``, ``note``, ``claimed_by``, ``until``, ``signals`` (how
    many), ``links`` (contribution ids) and ``order`` (its sequence)."""
    half_life = setting(records.get("charter") or {}, "half_life_hours")
    items = []

    def add(target: str, kind: str, base: float, signals: list, **fields: Any) -> None:
        warmth = round(base + heat(signals, now_ms, half_life), 2)
        blank = {"note": None, "claimed_by": None, "until": None, "links": []}
        items.append({"kind": kind, "target": target, **blank, **fields, "heat": warmth})
        items[-1]["signals"] = len(signals)

    def signals_on(target: str) -> list:
        return (records.get(signal_key(target)) or {"signals": []})["signals"]

    for key, record in records.items():
        prefix, _, name = key.partition("/")
        if prefix == "task" and record["state"] in ON_BOARD:
            state, claim_, note = record["state"], record["claim"], None
            if expired(record, now_ms):
                state, claim_, note = "open", None, "claim expired"
            elif state == "done":
                note = "waiting for validation"
            elif state == "invalidated":
                note = record["checked"]["comment"]
            links = record["links"] + [c for c in record["done_links"] if c not in record["links"]]
            fields = {"title": record["title"], "state": state, "note": note, "links": links}
            if claim_:
                fields.update(claimed_by=claim_["by"], until=claim_["until"])
            kind, base = ("invalidated", 2) if state == "invalidated" else ("task", 0)
            add(key, kind, base, record["signals"], order=record["order"], **fields)
        elif prefix == "contribution" and record["state"] in ("open", "conflict"):
            if record["state"] == "open":
                waited = min(max(0, now_ms - record["time"]) / WEEK, REVIEW_WEEKS_CAP)
                kind, base, note = "review", 1 + waited, "waiting for review"
            else:
                kind, base, note = "conflict", 2, sentence(record.get("conflict"))
            fields = {"title": record["title"], "state": record["state"], "note": note}
            add(key, kind, base, signals_on(key), order=record["order"], **fields)
        elif prefix == "flag":
            fields = {"title": name, "state": "flagged", "note": record["note"]}
            target = artifact_key(name)
            add(target, "needs_work", 1, signals_on(target), order=record["order"], **fields)
        elif prefix == "signal" and name.startswith("artifact/"):
            path = name.removeprefix("artifact/")
            if flag_key(path) not in records:  # else it warms the needs_work item
                fields = {"title": path, "state": "signalled", "order": record["order"]}
                add(name, "signal", 0, record["signals"], **fields)
    for item in also:
        fields = {k: v for k, v in item.items() if k not in ("kind", "target", "base")}
        add(item["target"], item["kind"], item["base"], signals_on(item["target"]), **fields)
    items.sort(key=lambda i: (-i["heat"], i["order"]))
    return items
