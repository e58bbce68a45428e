"""The board, task and people pages of the web app, and discussion on any object: opening,
claiming, doing and validating tasks from the browser, signals warming the board, messages
with mentions that reach the person's page, and what a page refuses."""

import html as htmllib
import io
import re
from collections.abc import Iterator

import pytest

from communs.node.home.folder import Actor
from webkit import TestClient, TrailGuide, csrf, trail_guide


class Node(TrailGuide):
    @property
    def board(self) -> str:
        return f"/c/{self.commons}/board"

    def task(self, tid: str, action: str = "") -> str:
        return f"/c/{self.commons}/tasks/{tid}" + (f"/{action}" if action else "")


@pytest.fixture
def node(tmp_path) -> Iterator[Node]:
    """anna maintains a commons; bao takes part."""
    with trail_guide(tmp_path / "home", Node) as made:
        yield made


def open_task(node: Node, client: TestClient, title: str, description: str = "") -> str:
    token = csrf(client, node.board)
    response = client.post(
        f"/c/{node.commons}/tasks",
        data={"csrf": token, "title": title, "description": description},
    )
    assert response.status_code == 303, response.text
    found = re.fullmatch(rf"/c/{node.commons}/tasks/([0-9a-f]{{64}})", response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


def post(client: TestClient, url: str, token: str, **fields: str):
    return client.post(url, data={"csrf": token, **fields})


def board_items(node: Node, client: TestClient) -> dict[str, dict]:
    data = client.get(node.board + ".json").json()
    return {item["target"]: item for item in data["items"]}


def test_a_task_goes_from_the_board_to_validated(node):
    anna, bao = node.browser("anna"), node.browser("bao")
    tid = open_task(node, anna, "Map the river crossing", "Walk it **twice**.")
    board = anna.get(node.board).text
    assert f'href="{node.task(tid)}"' in board and "Map the river crossing" in board
    assert 'aria-current="page">Board' in board
    assert "data-refresh" in board and f'data-live="/c/{node.commons}/live"' in board

    page = bao.get(node.task(tid)).text
    assert "<strong>twice</strong>" in page
    assert f'action="{node.task(tid, "claim")}"' in page
    token = csrf(bao, node.task(tid))
    assert post(bao, node.task(tid, "claim"), token).status_code == 303
    item = board_items(node, bao)[f"task/{tid}"]
    assert item["state"] == "claimed" and item["claimed_by"] == node.bao
    page = bao.get(node.task(tid)).text
    assert "Claimed by" in page and ">bao</a>" in page
    assert f'action="{node.task(tid, "release")}"' in page

    # anna cannot take a live claim: the fold says why
    refused = post(anna, node.task(tid, "claim"), csrf(anna, node.task(tid)))
    assert refused.status_code == 409
    assert "claimed by someone else" in htmllib.unescape(refused.text)

    done = post(bao, node.task(tid, "done"), token, comment="Walked it twice")
    assert done.status_code == 303
    page = bao.get(node.task(tid)).text
    assert "Walked it twice" in page and "state-done" in page
    assert f'action="{node.task(tid, "validate")}"' not in page

    own = post(bao, node.task(tid, "validate"), token)
    assert own.status_code == 409
    assert "you cannot validate your own work" in htmllib.unescape(own.text)

    blank = post(anna, node.task(tid, "invalidate"), csrf(anna, node.task(tid)), comment="")
    assert blank.status_code == 400 and "comment is required" in blank.text

    page = anna.get(node.task(tid)).text
    assert f'action="{node.task(tid, "validate")}"' in page
    ok = post(anna, node.task(tid, "validate"), csrf(anna, node.task(tid)), comment="Good")
    assert ok.status_code == 303
    data = anna.get(node.task(tid) + ".json").json()
    assert data["task"]["state"] == "validated"
    assert data["task"]["checked"]["by"] == node.anna
    assert [h["action"] for h in data["history"]] == ["open", "claim", "done", "validate"]
    assert f"task/{tid}" not in board_items(node, anna)  # validated work leaves the board
    finished = anna.get(node.board + ".json").json()["finished"]
    assert [(t["id"], t["doer_name"]) for t in finished] == [(tid, "bao")]
    assert "Finished lately" in anna.get(node.board).text


def test_the_board_filters_by_kind_and_by_what_i_hold(node):
    anna, bao = node.browser("anna"), node.browser("bao")
    mine = open_task(node, anna, "Mine")
    open_task(node, anna, "Not mine")
    assert post(bao, node.task(mine, "claim"), csrf(bao, node.task(mine))).status_code == 303
    blob = node.service.blob_add(io.BytesIO(b"# Guide\n"), "guide.md")["hash"]
    node.service.propose(Actor("bao"), node.commons, "A change", files={"guide.md": blob})
    every = bao.get(node.board + ".json").json()["items"]
    assert {i["kind"] for i in every} >= {"task", "review"}
    tasks = bao.get(node.board + ".json?show=task").json()["items"]
    assert {i["kind"] for i in tasks} == {"task"} and len(tasks) == 2
    held = bao.get(node.board + ".json?show=mine").json()["items"]
    assert [i["target"] for i in held] == [f"task/{mine}"]
    page = bao.get(node.board + "?show=review").text
    assert 'href="?show=review" aria-current="true"' in page and "Mine" not in page


def test_the_board_shows_contributions_waiting_for_review(node):
    blob = node.service.blob_add(io.BytesIO(b"# Guide\n"), name="guide.md")["hash"]
    made = node.service.propose(
        Actor("bao"), node.commons, "A first guide", files={"guide.md": blob}
    )
    cid = made["id"]
    client = node.browser()
    item = board_items(node, client)[f"contribution/{cid}"]
    assert item["kind"] == "review" and item["heat"] >= 1
    page = client.get(node.board).text
    assert f'href="/c/{node.commons}/contributions/{cid}"' in page
    assert "A first guide" in page and "review" in page
    assert 'class="heat"' in page and "heat-bar" in page
    anna = node.browser("anna")
    token = csrf(anna, node.board)
    signal = {"on": "contribution", "ref": cid, "kind": "needed"}
    assert post(anna, f"/c/{node.commons}/board/signal", token, **signal).status_code == 303
    warmer = board_items(node, anna)[f"contribution/{cid}"]
    assert warmer["heat"] - item["heat"] > 0.9 and warmer["signals"] == 1


def test_a_thread_about_a_person(node):
    anna, bao = node.browser("anna"), node.browser("bao")
    page = f"/people/{node.bao}"
    assert 'id="thread"' in bao.get(page).text
    response = post(
        anna,
        f"/c/{node.commons}/discussion/post",
        csrf(anna, page),
        kind="person",
        ref=node.bao,
        text="Thanks for the map!",
        next=f"{page}?in={node.commons}",
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{page}?in={node.commons}#thread"
    data = bao.get(page + ".json").json()
    assert data["thread"]["subject"] == {"kind": "person", "ref": node.bao}
    assert [m["text"] for m in data["thread"]["messages"]] == ["Thanks for the map!"]
    assert "Thanks for the map!" in bao.get(page).text


def test_a_signal_warms_an_item(node):
    anna, bao = node.browser("anna"), node.browser("bao")
    tid = open_task(node, anna, "Fix the legend")
    assert board_items(node, anna)[f"task/{tid}"]["heat"] == 0
    token = csrf(bao, node.board)
    response = post(
        bao, f"/c/{node.commons}/board/signal", token, on="task", ref=tid, kind="urgent"
    )
    assert response.status_code == 303
    item = board_items(node, bao)[f"task/{tid}"]
    assert 2.9 < item["heat"] <= 3 and item["signals"] == 1
    page = bao.get(node.board).text
    assert re.search(r'value="urgent"\s+disabled', page)  # one signal of a kind each
    again = post(bao, node.task(tid, "signal"), token, kind="urgent")
    assert again.status_code == 409 and "already signalled" in again.text
    assert (
        post(anna, node.task(tid, "signal"), csrf(anna, node.board), kind="needed").status_code
        == 303
    )
    assert board_items(node, anna)[f"task/{tid}"]["heat"] > 3.8


def test_a_mention_reaches_the_persons_page(node):
    anna, bao = node.browser("anna"), node.browser("bao")
    tid = open_task(node, anna, "Check the map")
    token = csrf(anna, node.task(tid))
    response = post(
        anna,
        f"/c/{node.commons}/discussion/post",
        token,
        kind="task",
        ref=tid,
        text=f"Could you look, @{node.bao}?",
        next=node.task(tid),
    )
    assert response.status_code == 303
    assert response.headers["location"] == node.task(tid) + "#thread"
    page = anna.get(node.task(tid)).text
    assert "Could you look" in page and 'id="thread"' in page

    mine = bao.get(f"/people/{node.bao}").text
    assert "Notifications" in mine and "Could you look" in mine and "mentioned you" in mine
    others = anna.get(f"/people/{node.bao}").text
    assert "Could you look" not in others  # notifications are for the person only
    data = bao.get(f"/people/{node.bao}.json").json()
    assert [n["why"] for n in data["notifications"]] == ["mention"]
    first = data["notifications"][0]["about"]["message"]
    assert data["notifications"][0]["url"] == node.task(tid) + f"#m-{first}"

    # bao answers; the reply shows indented under anna's message
    reply = post(
        bao,
        f"/c/{node.commons}/discussion/post",
        csrf(bao, node.task(tid)),
        kind="task",
        ref=tid,
        text="On it",
        reply_to=first,
    )
    assert reply.status_code == 303
    page = bao.get(node.task(tid)).text
    assert "thread-depth-1" in page and "On it" in page
    assert "replied to you" in anna.get(f"/people/{node.anna}").text


def test_a_script_in_a_message_is_escaped(node):
    anna = node.browser("anna")
    tid = open_task(node, anna, "Escape test")
    post(
        anna,
        f"/c/{node.commons}/discussion/post",
        csrf(anna, node.task(tid)),
        kind="task",
        ref=tid,
        text="<script>alert(1)</script> **bold**",
    )
    page = anna.get(node.task(tid)).text
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page and "<strong>bold</strong>" in page


def test_hide_retract_and_react(node):
    anna, bao = node.browser("anna"), node.browser("bao")
    tid = open_task(node, anna, "Moderation")
    base = f"/c/{node.commons}/discussion"
    post(bao, base + "/post", csrf(bao, node.task(tid)), kind="task", ref=tid, text="rude words")
    post(bao, base + "/post", csrf(bao, node.task(tid)), kind="task", ref=tid, text="oops")
    messages = bao.get(node.task(tid) + ".json").json()["thread"]["messages"]
    rude, oops = messages[0]["id"], messages[1]["id"]

    # only maintainers hide
    refused = post(bao, f"{base}/{rude}/hide", csrf(bao, node.task(tid)), reason="mine")
    assert refused.status_code == 409
    token = csrf(anna, node.task(tid))
    assert post(anna, f"{base}/{rude}/hide", token, reason="Be kind").status_code == 303
    page = bao.get(node.task(tid)).text
    assert "hidden by" in page and "Be kind" in page and ">anna</a>" in page
    assert re.search(r"<details[^>]*>\s*<summary>Show the hidden message</summary>", page)

    assert post(bao, f"{base}/{oops}/retract", csrf(bao, node.task(tid))).status_code == 303
    page = bao.get(node.task(tid)).text
    assert "retracted by its author" in page and "<p>oops</p>" not in page

    assert post(anna, f"{base}/{rude}/react", token, emoji="👀").status_code == 303
    reactions = anna.get(node.task(tid) + ".json").json()["thread"]["messages"][0]["reactions"]
    assert reactions[0]["emoji"] == "👀" and reactions[0]["people"] == [node.anna]
    assert post(anna, f"{base}/{rude}/unreact", token, emoji="👀").status_code == 303
    assert not anna.get(node.task(tid) + ".json").json()["thread"]["messages"][0]["reactions"]


def test_a_post_without_the_csrf_token_is_refused(node):
    bao = node.browser("bao")
    response = bao.post(f"/c/{node.commons}/tasks", data={"title": "Sneaky"})
    assert response.status_code == 403
    response = bao.post(
        f"/c/{node.commons}/discussion/post", data={"kind": "commons", "text": "hi"}
    )
    assert response.status_code == 403
    assert not board_items(node, bao)


def test_visitors_see_no_forms_and_json_twins_work(node):
    anna = node.browser("anna")
    tid = open_task(node, anna, "Public task")
    visitor = node.browser()
    page = visitor.get(node.task(tid)).text
    assert 'name="csrf"' not in page and "Sign in" in page
    data = visitor.get(node.board + ".json").json()
    assert data["commons"]["id"] == node.commons
    assert [i["target"] for i in data["items"]] == [f"task/{tid}"]
    person = visitor.get(f"/people/{node.anna}.json").json()
    assert person["names"] == ["anna"] and person["notifications"] is None
    assert [t["id"] for t in person["tasks"]["opened"]] == [tid]
    assert visitor.get("/people/nobody").status_code == 404


def test_an_author_erases_a_message_from_its_page(node):
    anna, bao = node.browser("anna"), node.browser("bao")
    tid = open_task(node, anna, "Check the map")
    said = "Call me on 06 12 34 56 78"
    posted = post(
        anna,
        f"/c/{node.commons}/discussion/post",
        csrf(anna, node.task(tid)),
        kind="task",
        ref=tid,
        text=said,
        next=node.task(tid),
    )
    assert posted.status_code == 303
    page = bao.get(node.task(tid)).text
    assert said in page and "/erase" not in page  # bao may not erase anna's message
    thread = anna.get(node.task(tid) + ".json").json()["thread"]["messages"]
    [message] = [m for m in thread if m["text"] == said]
    assert "/erase" in anna.get(node.task(tid)).text
    erased = post(
        anna,
        f"/c/{node.commons}/discussion/{message['id']}/erase",
        csrf(anna, node.task(tid)),
        next=node.task(tid),
    )
    assert erased.status_code == 303, erased.text
    for reader in (anna, bao):
        page = reader.get(node.task(tid)).text
        assert said not in page and "Erased by its author, on every node." in page


def test_a_page_shows_the_latest_conversations_and_links_to_the_whole_discussion(node):
    from communs.node import Actor
    from communs.web.discussion import SHOWN

    for n in range(SHOWN + 5):
        node.service.thread_post(Actor("anna"), node.commons, "commons", "", f"Note number {n}.")
    page = node.browser("bao").get(f"/c/{node.commons}").text
    assert "Note number 4." not in page and f"Note number {SHOWN + 4}." in page  # the latest
    assert "Show the earlier messages" in page and "(5)" in page
    whole = node.browser("bao").get(f"/c/{node.commons}/discussion?kind=commons&ref=").text
    assert all(f"Note number {n}." in whole for n in range(SHOWN + 5))
    api = node.service.thread(node.commons, "commons", "", SHOWN)
    assert api["earlier"] == 5 and len(api["messages"]) == SHOWN
