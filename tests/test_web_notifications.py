"""Notifications that matter, kept on the person's node: their contribution accepted, a
mention, a review waiting for a maintainer; read or unread, one per event even when a fork
holds it too; "since your last visit" remembered per person; Atom feeds of a commons'
activity and, with a private key, of a person's notifications."""

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from communs.node.home.folder import Actor
from webkit import TrailGuide, csrf, trail_guide

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def node(tmp_path) -> Iterator[TrailGuide]:
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        yield made


def propose(node: TrailGuide, who: str, title: str) -> str:
    blob = node.service.blob_add(io.BytesIO(f"# {title}\n".encode()), "guide.md")["hash"]
    return node.service.propose(Actor(who), node.commons, title, files={"guide.md": blob})["id"]


def notes(client) -> list[dict]:
    return client.get("/notifications.json").json()["notifications"]


def test_an_accepted_contribution_tells_its_author_once_and_is_read_when_opened(node):
    contribution = propose(node, "bao", "Add the ford")
    node.service.decide(Actor("anna"), node.commons, contribution, "accept")
    bao = node.browser("bao")
    [note] = [n for n in notes(bao) if n["why"] == "accepted"]
    assert note["read"] is False and note["about"] == {"kind": "contribution", "ref": contribution}
    page = bao.get("/notifications").text
    assert "your contribution" in page and "anna accepted &#39;Add the ford&#39;" in page
    assert re.search(r'class="badge"[^>]*>1<', bao.get("/").text)  # the header counts it
    opened = bao.get(f"/notifications/{note['event']}")
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/c/{node.commons}/contributions/{contribution}"
    assert [n["read"] for n in notes(bao) if n["why"] == "accepted"] == [True]
    assert 'class="badge"' not in bao.get("/").text
    # Their own actions never notify them; the maintainer was asked to review it.
    assert [n["why"] for n in notes(node.browser("anna"))] == ["review_requested"]


def test_a_mention_notifies_once_even_when_a_fork_holds_it_too(node):
    node.service.thread_post(Actor("anna"), node.commons, "commons", "", f"Hi @{node.bao}")
    node.service.fork(Actor("anna"), node.commons, name="Fork of the guide")
    bao = node.browser("bao")
    assert [n["why"] for n in notes(bao)] == ["mention"]
    assert "mentioned you" in bao.get("/").text  # on the home page too


def test_mark_all_read(node):
    node.service.thread_post(Actor("anna"), node.commons, "commons", "", f"Hi @{node.bao}")
    node.service.thread_post(Actor("anna"), node.commons, "commons", "", f"Again @{node.bao}")
    bao = node.browser("bao")
    assert [n["read"] for n in notes(bao)] == [False, False]
    token = csrf(bao, "/notifications")
    assert bao.post("/notifications/read", data={"csrf": token}).status_code == 303
    assert [n["read"] for n in notes(bao)] == [True, True]


def test_notifications_are_the_persons_own(node):
    node.service.thread_post(Actor("anna"), node.commons, "commons", "", f"Hi @{node.bao}")
    assert notes(node.browser("anna")) == []
    stranger = node.browser()
    assert stranger.get("/notifications").status_code == 303  # sign in first


def test_since_your_last_visit_is_remembered_per_person_across_reloads(node):
    first = node.browser("bao")
    assert first.get("/.json").json()["since"] is None  # a first visit
    assert first.get("/.json").json()["since"] is None  # a reload: the same visit
    later = node.browser("bao")  # a new visit
    since = later.get("/.json").json()["since"]
    assert isinstance(since, int) and since > 0
    assert later.get("/.json").json()["since"] == since


def test_the_activity_of_a_commons_is_an_atom_feed(node):
    propose(node, "bao", "Add the ford")
    response = node.browser().get(f"/c/{node.commons}/activity.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert "bao proposed 'Add the ford' (1 change)" in titles
    assert "anna created 'Trail guide'" in titles


def test_a_persons_notifications_are_a_private_atom_feed(node):
    node.service.thread_post(Actor("anna"), node.commons, "commons", "", f"Hi @{node.bao}")
    bao = node.browser("bao")
    link = re.search(
        r'href="(http[^"]*notifications\.atom\?key=[^"]+)"', bao.get("/notifications").text
    )
    assert link, "the notifications page gives the feed's private link"
    path = link.group(1).split("testserver", 1)[1]
    feed = ET.fromstring(node.browser().get(path).content)  # a feed reader, not signed in
    [title] = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert title.startswith("mentioned you · anna wrote on the commons")
    assert node.browser().get("/notifications.atom?key=wrong").status_code == 404


def test_activity_lines_link_to_what_they_are_about(node):
    contribution = propose(node, "bao", "Add the ford")
    page = node.browser("anna").get(f"/c/{node.commons}/activity").text
    link = f'<a href="/c/{node.commons}/contributions/{contribution}">bao proposed'
    assert link in page


def test_someone_elses_notification_does_not_open(node):
    node.service.thread_post(Actor("anna"), node.commons, "commons", "", f"Hi @{node.bao}")
    [note] = notes(node.browser("bao"))
    assert node.browser("anna").get(f"/notifications/{note['event']}").status_code == 404
    assert node.browser("bao").get("/notifications/zz").status_code == 404
    assert [n["read"] for n in notes(node.browser("bao"))] == [False]
