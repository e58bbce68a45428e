"""Pickers by name and by title: a maintainer change names its person as people do (the name
their page shows, or an account of the node), and the forms of tasks offer the latest
contributions by title; what the log keeps is still the DID and the id."""

import html as htmllib
import io
import re
from collections.abc import Iterator

import pytest

from communs.core.errors import BadInput
from communs.node.home.folder import Actor
from communs.node.reads.mentions import person_named
from webkit import TrailGuide, csrf, trail_guide

ANNA, BAO = "did:key:z6MkA", "did:key:z6MkB"


@pytest.fixture
def node(tmp_path) -> Iterator[TrailGuide]:
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        made.service.thread_post(Actor("bao"), made.commons, "commons", "", "Hello all")
        yield made


def test_a_person_is_named_by_their_name_an_account_or_a_did():
    known = {ANNA: "Anna", BAO: "Bảo"}
    assert person_named(" anna ", known) == ANNA
    assert person_named("@BA\u0309O", known) == BAO  # neither case nor how an accent is typed
    assert person_named(ANNA, {}) == ANNA
    assert person_named("zoe", known, lambda name: "did:key:z6MkZ" if name == "zoe" else None)
    with pytest.raises(BadInput, match="nobody named 'bob'.*people here: Anna, Bảo") as error:
        person_named("bob", known)
    assert error.value.code == "nobody_named_among"
    with pytest.raises(BadInput, match="2 people are named 'anna'") as shared:
        person_named("anna", {ANNA: "Anna", BAO: "anna"})
    assert shared.value.code == "name_shared"


def open_maintainer_change(node: TrailGuide, value: str, **extra: str):
    client = node.browser("anna")
    page = f"/c/{node.commons}/proposals"
    form = {"csrf": csrf(client, page), "title": "Welcome bao", "effect": "add_maintainer",
            "effect_value": value, **extra}  # fmt: skip
    return client, client.post(page, data=form)


def test_a_maintainer_is_added_by_name_from_the_proposal_form(node):
    page = node.browser("anna").get(f"/c/{node.commons}/proposals").text
    names = re.search(r'<datalist id="people-names">(.*?)</datalist>', page, re.S)
    assert names and '<option value="bao">' in names.group(1), "the picker offers bao"
    client, response = open_maintainer_change(node, "Bao")
    assert response.status_code == 303, response.text
    pid = response.headers["location"].rsplit("/", 1)[1]
    proposal = node.service.proposal(node.commons, pid)
    assert proposal["effect"] == {"op": "add_maintainer", "did": node.bao}
    shown = htmllib.unescape(client.get(response.headers["location"]).text)
    assert "add bao as a maintainer" in shown and f"add {node.bao[:24]}" not in shown


def test_a_name_nobody_bears_comes_back_in_the_form_with_the_names_that_exist(node):
    _, response = open_maintainer_change(node, "bob", closes_in="12", text="Why: the map")
    assert response.status_code == 400
    page = htmllib.unescape(response.text)
    assert "nobody named 'bob'" in page and "bao" in page
    assert 'value="bob"' in page and "Why: the map</textarea>" in page and 'value="12"' in page
    assert '<option value="add_maintainer" selected>' in page
    assert node.service.proposals(node.commons) == []


def test_every_caller_of_the_node_names_a_maintainer_so(node):
    made = node.service.proposal_open(
        Actor("anna"),
        node.commons,
        "Welcome bao",
        kind="maintainer",
        effect={"op": "add_maintainer", "did": "bao"},
    )
    assert node.service.proposal(node.commons, made["id"])["effect"]["did"] == node.bao


def contribute(node: TrailGuide, who: str, title: str) -> str:
    blob = node.service.blob_add(io.BytesIO(title.encode()), "notes.md")["hash"]
    return node.service.propose(Actor(who), node.commons, title, files={"notes.md": blob})["id"]


def test_work_on_a_task_is_linked_by_ticking_a_contribution_by_title(node):
    service, commons = node.service, node.commons
    mine = contribute(node, "bao", "Warn about the stiles")
    other = contribute(node, "anna", "Fix the map legend")
    task = service.task_open(Actor("anna"), commons, "Winter warnings", "", [])["id"]
    bao = node.browser("bao")
    page = bao.get(f"/c/{commons}/tasks/{task}").text
    picker = re.search(r'<fieldset class="links-picker">(.*?)</fieldset>', page, re.S)
    assert picker, "the done form offers a picker"
    titles = re.findall(r'name="link" value="([0-9a-f]{64})"> <span>([^<]+)', picker.group(1))
    assert [t for _, t in titles][:2] == ["Warn about the stiles ", "Fix the map legend "]
    token = csrf(bao, f"/c/{commons}/tasks/{task}")
    done = bao.post(
        f"/c/{commons}/tasks/{task}/done",
        data={"csrf": token, "comment": "Both", "link": mine, "links": other[:10]},
    )
    assert done.status_code == 303, done.text
    assert [c["id"] for c in service.task(commons, task)["done_links"]] == [mine, other]
    shown = bao.get(f"/c/{commons}/tasks/{task}").text
    assert "Warn about the stiles</a>" in shown and "Fix the map legend</a>" in shown


def test_the_board_offers_the_latest_contributions_when_a_task_is_opened(node):
    service, commons = node.service, node.commons
    made = contribute(node, "bao", "Add the ferry times")
    bao = node.browser("bao")
    board = bao.get(f"/c/{commons}/board").text
    assert f'name="link" value="{made}"' in board and "Add the ferry times" in board
    response = bao.post(
        f"/c/{commons}/tasks",
        data={"csrf": csrf(bao, f"/c/{commons}/board"), "title": "Check the ferry", "link": made},
    )
    assert response.status_code == 303, response.text
    tid = response.headers["location"].rsplit("/", 1)[1]
    assert [c["id"] for c in service.task(commons, tid)["links"]] == [made]
