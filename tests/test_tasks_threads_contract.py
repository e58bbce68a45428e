"""One contract, two faces: the task board and discussion behave the same through the
``Service`` in process and through ``HttpService`` over the node's API — results, refusals
with the fold's reason, and errors of the same kind."""

import io
from collections.abc import Iterator

import httpx
import pytest

from communs.api.app import create_app
from communs.core.errors import Ambiguous, BadInput, NotFound, Refused
from communs.node.client import HttpService
from communs.node.home.folder import Actor, Home
from communs.node.home.lock import ensure_token
from communs.node.http import raise_for
from communs.node.service import Service
from webkit import TestClient  # Starlette's, a sync httpx client that calls the app in process

ANNA, BAO, CLEO = Actor("anna"), Actor("bao"), Actor("cleo")


@pytest.fixture(params=["service", "http"])
def face(request, tmp_path) -> Iterator[Service | HttpService]:
    """A home where anna maintains 'guide' and bao and cleo take part, seen through one face."""
    service = Service(Home(tmp_path / "home"))
    for name in ("anna", "bao", "cleo"):
        service.identity_new(name)
    service.commons_create(ANNA, name="guide", maintainers=[], threshold=1, mode="review")
    if request.param == "service":
        yield service
    else:
        client = TestClient(create_app(service), base_url="http://node")
        token = ensure_token(service.home.path)
        remote = HttpService("http://node", token, client=client)
        yield remote
        remote.close()
    service.close()


def events(face) -> int:
    return len(face.commons_log("guide"))


def refused(call, *args, **kwargs) -> Exception:
    """The error a call raises, checking that it signed nothing."""
    face = call.__self__
    before = events(face)
    with pytest.raises(Exception) as raised:
        call(*args, **kwargs)
    assert events(face) == before, "a refused action signed an event"
    return raised.value


def test_a_task_is_opened_claimed_done_and_validated_by_another(face):
    opened = face.task_open(ANNA, "guide", "Map the north trail", "from the lake up")
    tid = opened["id"]
    assert opened["state"] == "open" and len(tid) == 64
    assert [t["id"] for t in face.tasks("guide", "open")] == [tid]

    claimed = face.task_act(BAO, "guide", tid[:6], "claim")
    assert (claimed["task"], claimed["state"]) == (tid, "claimed")
    assert face.tasks("guide", "open") == []
    [listed] = face.tasks("guide", "claimed")
    assert listed["claimed_name"] == "bao" and not listed["expired"]

    assert face.task_act(BAO, "guide", tid[:6], "done", "mapped it")["state"] == "done"

    error = refused(face.task_act, BAO, "guide", tid[:6], "validate")
    assert type(error) is Refused
    assert str(error) == "you cannot validate your own work"
    # The refusal's stable code travels too, the same through the API as in process.
    assert (error.code, error.params) == ("own_work", {"action": "task.validate"})
    error = refused(face.task_act, CLEO, "guide", tid[:6], "validate")
    assert type(error) is Refused and "only maintainers can validate tasks" in str(error)
    assert error.code == "not_maintainer"

    assert face.task_act(ANNA, "guide", tid[:6], "validate", "thanks")["state"] == "validated"
    task = face.task("guide", tid[:8])
    assert task["state"] == "validated" and task["doer_name"] == "bao"
    assert task["checked"] == {
        "by": task["maintainers"][0],
        "verdict": "validated",
        "comment": "thanks",
        "name": "anna",
    }
    assert [(h["action"], h["by_name"]) for h in task["history"]] == [
        ("open", "anna"),
        ("claim", "bao"),
        ("done", "bao"),
        ("validate", "anna"),
    ]


def test_invalid_work_goes_back_with_its_reason_and_signals_warm_the_board(face):
    tid = face.task_open(ANNA, "guide", "Photograph the bridge")["id"]
    face.task_act(BAO, "guide", tid, "done")
    error = refused(face.task_act, ANNA, "guide", tid, "invalidate", "")
    assert type(error) is BadInput and "a comment is required" in str(error)
    assert face.task_act(ANNA, "guide", tid, "invalidate", "blurry")["state"] == "invalidated"

    signalled = face.signal(CLEO, "guide", "task", tid[:5], "urgent")
    assert signalled["target"] == tid
    error = refused(face.signal, CLEO, "guide", "task", tid[:5], "urgent")
    assert type(error) is Refused and "one signal of a kind each" in str(error)
    [item] = face.board("guide")["items"]
    assert (item["target"], item["kind"], item["note"]) == (f"task/{tid}", "invalidated", "blurry")
    assert item["signalled"] == [
        {"by": face.task("guide", tid)["signals"][0]["by"], "kind": "urgent"}
    ]


def test_a_claim_holds_a_task_until_released_and_flags_mark_files(face):
    tid = face.task_open(ANNA, "guide", "Count the benches")["id"]
    face.task_act(BAO, "guide", tid, "claim")
    error = refused(face.task_act, CLEO, "guide", tid, "claim")
    assert type(error) is Refused and "claimed by someone else until" in str(error)
    error = refused(face.task_act, CLEO, "guide", tid, "release")
    assert str(error) == "only the person who claimed a task can release it"
    assert face.task_act(BAO, "guide", tid, "extend")["state"] == "claimed"
    assert face.task_act(BAO, "guide", tid, "release")["state"] == "open"
    assert face.task_act(CLEO, "guide", tid, "claim")["state"] == "claimed"

    error = refused(face.flag, BAO, "guide", "guide.md", "out of date")
    assert type(error) is Refused and "there is no file guide.md" in str(error)
    error = refused(face.unflag, BAO, "guide", "guide.md")
    assert str(error) == "guide.md is not flagged"
    face.signal(BAO, "guide", "artifact", "maps/north.md", "needed")
    blob = face.blob_add(io.BytesIO(b"# Trail guide\n"), name="guide.md")["hash"]
    made = face.propose(BAO, "guide", "Start the guide", files={"guide.md": blob})
    face.decide(ANNA, "guide", made["id"], "accept")
    face.flag(BAO, "guide", "guide.md", "out of date")
    items = {i["target"]: i for i in face.board("guide")["items"]}
    assert {target: i["kind"] for target, i in items.items()} == {
        f"task/{tid}": "task",
        "artifact/maps/north.md": "signal",
        "artifact/guide.md": "needs_work",
    }
    assert (items["artifact/guide.md"]["note"], items["artifact/guide.md"]["flagged_name"]) == (
        "out of date",
        "bao",
    )
    error = refused(face.unflag, CLEO, "guide", "guide.md")
    assert str(error) == "only a maintainer or the person who flagged it can unflag it"
    face.unflag(BAO, "guide", "guide.md")
    assert "artifact/guide.md" not in {i["target"] for i in face.board("guide")["items"]}


def test_a_discussion_with_a_reply_an_edit_a_retraction_and_a_maintainer_hiding(face):
    tid = face.task_open(ANNA, "guide", "Write the intro")["id"]
    first = face.thread_post(BAO, "guide", "task", tid[:6], "I can do it")
    assert first["subject"] == {"kind": "task", "ref": tid}
    reply = face.thread_post(ANNA, "guide", "task", tid, "Go ahead", reply_to=first["id"][:10])
    other = face.thread_post(CLEO, "guide", "commons", "", "Hello all")

    face.message_act(BAO, "guide", first["id"][:10], "edit", text="I can do it this week")
    error = refused(face.message_act, ANNA, "guide", first["id"], "edit", text="no")
    assert type(error) is Refused and str(error) == "only the author of a message can edit it"
    face.message_act(ANNA, "guide", reply["id"], "retract")

    error = refused(face.message_act, BAO, "guide", other["id"], "hide", reason="noise")
    assert type(error) is Refused and "only maintainers can hide messages" in str(error)
    face.message_act(ANNA, "guide", other["id"], "hide", reason="off topic")

    thread = face.thread("guide", "task", tid[:6])
    assert thread["subject"] == {"kind": "task", "ref": tid}
    [mine, answer] = thread["messages"]
    assert (mine["text"], mine["depth"], mine["author_name"]) == ("I can do it this week", 0, "bao")
    assert [e["previous"] for e in mine["edits"]] == ["I can do it"]
    assert (answer["reply_to"], answer["depth"]) == (first["id"], 1)
    assert answer["retracted"] and answer["text"] == ""
    [hidden] = face.thread("guide")["messages"]
    assert hidden["hidden"]["reason"] == "off topic" and hidden["hidden"]["name"] == "anna"


def test_errors_keep_their_kind(face):
    with pytest.raises(NotFound, match="no task 'abc'"):
        face.task("guide", "abc")
    with pytest.raises(NotFound, match="no commons matches 'atlas'"):
        face.tasks("atlas")
    with pytest.raises(BadInput, match="'xyz' is not an id"):
        face.task_act(BAO, "guide", "xyz", "claim")
    with pytest.raises(BadInput, match="give the task a title"):
        face.task_open(ANNA, "guide", "  ")
    with pytest.raises(BadInput, match="not a person"):
        face.thread_post(BAO, "guide", "person", "anna", "hi")
    with pytest.raises(NotFound, match="no message"):
        face.message_act(BAO, "guide", "0000", "retract")
    # Seventeen tasks: two of them share a first hex digit.
    ids = [face.task_open(ANNA, "guide", f"Task {n}")["id"] for n in range(17)]
    shared = next(i[0] for i in ids if sum(j[0] == i[0] for j in ids) > 1)
    with pytest.raises(Ambiguous, match="matches several tasks"):
        face.task("guide", shared)


def test_the_api_names_the_kind_of_every_error_and_writes_need_the_token(tmp_path):
    service = Service(Home(tmp_path / "home"))
    service.identity_new("anna")
    service.commons_create(ANNA, name="guide", maintainers=[], threshold=1, mode="review")
    client = TestClient(create_app(service))
    try:
        assert client.get("/api/commons/guide/tasks").json() == []  # reads are open
        reply = client.get("/api/commons/guide/tasks/zz")
        assert reply.status_code == 400
        assert reply.json() == {
            "ok": False,
            "error": "'zz' is not an id: ids are hexadecimal (a unique prefix will do)",
            "status": 400,
            "kind": "BadInput",
            "code": "not_an_id",  # for a program: what was wrong, whatever the wording
            "params": {"ref": "zz"},
        }
        assert client.get("/api/commons/atlas/thread").json()["kind"] == "NotFound"
        unsigned = client.post("/api/commons/guide/tasks", json={"title": "Map"})
        assert (unsigned.status_code, unsigned.json()["kind"]) == (401, "Refused")
        assert service.tasks("guide") == []
        client.headers["Authorization"] = f"Bearer {ensure_token(service.home.path)}"
        tid = client.post("/api/commons/guide/tasks", json={"title": "Map"}).json()["id"]
        client.post(f"/api/commons/guide/tasks/{tid}/done", json={})
        mine = client.post(f"/api/commons/guide/tasks/{tid}/validate", json={})
        assert mine.status_code == 409
        assert mine.json()["kind"] == "Refused"
        assert mine.json()["error"] == "you cannot validate your own work"
        unknown = client.post(f"/api/commons/guide/tasks/{tid}/fly", json={})
        assert (unknown.status_code, unknown.json()["kind"]) == (422, "BadInput")
    finally:
        service.close()


@pytest.mark.parametrize(
    ("status", "kind", "raised"),
    [
        (400, "Ambiguous", Ambiguous),
        (409, "NotFound", NotFound),  # the name wins over the status
        (400, "SystemExit", BadInput),  # an unknown name: the status decides
        (404, None, NotFound),  # a reply from something that is not a Communs node
    ],
)
def test_the_client_raises_the_kind_the_node_named(status, kind, raised):
    body = {"ok": False, "error": "what went wrong", "status": status}
    if kind:
        body["kind"] = kind
    with pytest.raises(Exception) as error:
        raise_for(httpx.Response(status, json=body))
    assert type(error.value) is raised and str(error.value) == "what went wrong"


def test_the_http_twin_offers_the_service_operations_with_the_same_signatures():
    """Every operation of ``HttpService`` is one of the ``Service``, with the same parameters
    and defaults: the CLI runs the same calls on a home or through its running node."""
    import inspect

    from communs.node import Service

    twin = [
        n for n in dir(HttpService) if not n.startswith("_") and callable(getattr(HttpService, n))
    ]
    assert len(twin) > 60
    for name in twin:
        ours = inspect.signature(getattr(Service, name)).parameters
        theirs = inspect.signature(getattr(HttpService, name)).parameters
        assert [(p.name, p.default) for p in ours.values()] == [
            (p.name, p.default) for p in theirs.values()
        ], name
