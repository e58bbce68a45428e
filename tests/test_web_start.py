"""Starting out in the browser: create a commons, follow one from its share link (from a
real second node), download one's key; refused forms come back with what was typed."""

import json
import re
from collections.abc import Iterator

import pytest

from communs.node.home.folder import Actor
from nodes import Node
from webkit import TrailGuide, csrf, trail_guide


@pytest.fixture
def node(tmp_path) -> Iterator[TrailGuide]:
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        yield made


def test_a_commons_is_created_from_the_browser(node):
    anna = node.browser("anna")
    token = csrf(anna, "/new")
    sent = {"csrf": token, "name": "  Jardin   partagé ", "description": "Nos *plantes*",
            "kind": "places", "licence": "CC0-1.0", "mode": "publish"}  # fmt: skip
    made = anna.post("/new", data=sent)
    assert made.status_code == 303
    commons = made.headers["location"].rsplit("/", 1)[1]
    shown = node.service.commons_show(commons)
    assert (shown["name"], shown["kind"], shown["licence"], shown["mode"]) == (
        "Jardin partagé", "places", "CC0-1.0", "publish"
    )  # fmt: skip
    assert [m["did"] for m in shown["maintainers"]] == [node.anna]


def test_a_refused_commons_comes_back_with_what_was_typed(node):
    anna = node.browser("anna")
    token = csrf(anna, "/new")
    same = anna.post("/new", data={"csrf": token, "name": "trail GUIDE", "description": "kept"})
    assert same.status_code == 409
    assert "already in this home" in same.text and ">kept</textarea>" in same.text
    long = anna.post("/new", data={"csrf": token, "name": "x" * 300})
    assert long.status_code == 400 and "at most 200 characters; this one has 300" in long.text
    assert 'value="' + "x" * 300 + '"' in long.text  # nothing cut in silence


def test_a_commons_is_followed_from_its_share_link(node, tmp_path):
    other = Node(tmp_path / "other")
    from communs.node.home.folder import Home
    from communs.node.service import Service

    made = Service(Home(other.home))
    try:
        made.identity_new("chloe")
        shared = made.commons_create(Actor("chloe"), name="Bird songs")["id"]
    finally:
        made.close()
    other.start()
    try:
        link = f"communs://{shared}?peer={other.url}"
        bao = node.browser("bao")
        page = bao.get(f"/follow?link={link}").text
        assert f'value="{link}"' in page.replace("&amp;", "&")
        followed = bao.post("/follow", data={"csrf": csrf(bao, "/follow"), "link": link})
        assert followed.status_code == 303 and followed.headers["location"] == f"/c/{shared}"
        assert node.service.commons_show(shared)["name"] == "Bird songs"
    finally:
        other.stop()


def test_a_link_to_nowhere_comes_back_with_the_reason(node):
    bao = node.browser("bao")
    link = f"communs://{'ab' * 32}?peer=http://127.0.0.1:9"
    refused = bao.post("/follow", data={"csrf": csrf(bao, "/follow"), "link": link})
    assert refused.status_code >= 400
    assert 'role="alert"' in refused.text and link in refused.text.replace("&amp;", "&")


def test_one_downloads_ones_own_key(node):
    anna = node.browser("anna")
    assert 'href="/key"' in anna.get(f"/people/{node.anna}").text
    saved = anna.get("/key")
    assert saved.status_code == 200
    assert saved.headers["content-disposition"] == 'attachment; filename="anna.communs-key.json"'
    assert json.loads(saved.text)["did"] == node.anna
    assert node.browser().get("/key").status_code == 303  # sign in first


def test_a_fork_proposes_its_changes_back_to_its_parent(node):
    import io

    fork = node.service.fork(Actor("bao"), node.commons, name="Bao's guide")["id"]
    blob = node.service.blob_add(io.BytesIO(b"# Guide\\n\\nWith the ford.\\n"), "guide.md")["hash"]
    change = node.service.propose(Actor("bao"), fork, "The ford", files={"guide.md": blob})
    node.service.decide(Actor("bao"), fork, change["id"], "accept")  # bao maintains the fork
    bao = node.browser("bao")
    page = bao.get(f"/c/{fork}").text
    assert f'action="/c/{fork}/propose-back"' in page and "Trail guide" in page
    sent = bao.post(
        f"/c/{fork}/propose-back",
        data={"csrf": csrf(bao, f"/c/{fork}"), "title": "Add the ford", "description": "Asked"},
    )
    assert sent.status_code == 303
    parent, contribution = re.fullmatch(
        r"/c/([0-9a-f]{64})/contributions/([0-9a-f]{64})", sent.headers["location"]
    ).groups()
    assert parent == node.commons
    shown = node.service.contribution(node.commons, contribution)
    assert shown["title"] == "Add the ford" and shown["author"] == node.bao


def test_two_versions_of_a_file_are_compared_from_its_history(node):
    import io

    def accepted(text: str) -> str:
        blob = node.service.blob_add(io.BytesIO(text.encode()), "guide.md")["hash"]
        made = node.service.propose(
            Actor("anna"), node.commons, text[:20], files={"guide.md": blob}
        )
        node.service.decide(Actor("anna"), node.commons, made["id"], "accept")
        return blob

    first = accepted("# Guide\n\nStart at the mill.\n")
    accepted("# Guide\n\nStart at the old mill.\n")
    third = accepted("# Guide\n\nStart at the old mill.\nCross the ford.\n")
    client = node.browser("bao")
    history = client.get(f"/c/{node.commons}/history/guide.md").text
    assert f'action="/c/{node.commons}/compare/guide.md"' in history and "what changed" in history
    page = client.get(f"/c/{node.commons}/compare/guide.md?from={first}&to={third}").text
    assert "Start at the mill." in page and "Cross the ford." in page and "contrib-plus" in page
    wrong = client.get(f"/c/{node.commons}/compare/guide.md?from={first}&to={'0' * 64}")
    assert wrong.status_code == 400 and "from its history" in wrong.text


def test_a_proposal_has_its_discussion(node):
    opened = node.service.proposal_open(
        Actor("anna"), node.commons, kind="custom", title="Picnic", text="Shall we?"
    )
    pid = opened["id"]
    page = f"/c/{node.commons}/proposals/{pid}"
    bao = node.browser("bao")
    assert 'id="thread"' in bao.get(page).text
    sent = bao.post(
        f"/c/{node.commons}/discussion/post",
        data={"csrf": csrf(bao, page), "kind": "proposal", "ref": pid,
              "text": "Only if it is sunny, @anna", "next": page},
    )  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"] == page + "#thread"
    assert "Only if it is sunny" in bao.get(page).text
    notes = node.browser("anna").get("/notifications.json").json()["notifications"]
    assert notes[0]["why"] == "mention" and notes[0]["about"]["kind"] == "proposal"
