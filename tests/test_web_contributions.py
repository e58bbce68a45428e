"""The contribution pages of the web app: the review queue, a contribution with its diff and
the decisions each visitor may take, and proposing or revising from the browser."""

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from communs.api.app import create_app
from communs.i18n import translator
from communs.node.home.folder import Actor, Home
from communs.node.service import Service
from webkit import TestClient, csrf

GUIDE = b"# Trail guide\n\nline one\nline two\nline three\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass
class Node:
    service: Service
    commons: str
    app: object

    def browser(self, name: str | None = None) -> TestClient:
        """A visitor on the node's own machine (a personal node lets loopback sign in)."""
        client = TestClient(self.app, client=("127.0.0.1", 50000), follow_redirects=False)
        if name:
            response = client.post("/login", data={"name": name, "next": "/"})
            assert response.status_code == 303, response.text
        return client

    def propose(self, who: str, title: str, text: bytes, description: str = "") -> str:
        blob = self.service.blob_add(io.BytesIO(text), name="guide.md")["hash"]
        made = self.service.propose(
            Actor(who), self.commons, title, description, files={"guide.md": blob}
        )
        return made["id"]

    def state(self, contribution: str) -> str:
        return self.service.contribution(self.commons, contribution)["state"]

    def url(self, contribution: str, action: str = "") -> str:
        tail = f"/{action}" if action else ""
        return f"/c/{self.commons}/contributions/{contribution}{tail}"


@pytest.fixture
def node(tmp_path) -> Iterator[Node]:
    """anna maintains a review-first trail guide with one accepted file; bao contributes."""
    service = Service(Home(tmp_path / "home"))
    try:
        service.identity_new("anna")
        service.identity_new("bao")
        commons = service.commons_create(Actor("anna"), name="Trail guide")["id"]
        made = Node(service, commons, create_app(service))
        first = made.propose("anna", "First draft", GUIDE)
        service.decide(Actor("anna"), commons, first, "accept")
        yield made
    finally:
        service.close()


def cells(html: str, kind: str) -> list[str]:
    """The text of the diff cells of one kind (del or add), line numbers and markers left out."""
    found = re.findall(rf'<div class="{kind}"><span class="n"[^>]*>\d+</span>(.*?)</div>', html)
    return [re.sub(r"<[^>]+>", "", cell).lstrip("−+") for cell in found]


def test_the_queue_lists_open_contributions_first_and_updates_live(node):
    wanted = node.propose("bao", "Add the river crossing", GUIDE + b"river\n")
    page = node.browser().get(f"/c/{node.commons}/contributions")
    assert page.status_code == 200
    html = page.text
    waiting = html.index("Waiting for review")
    assert waiting < html.index("Add the river crossing") < html.index("First draft")
    assert f'/c/{node.commons}/contributions/{wanted}"' in html
    assert ">bao</a>" in html
    assert "0 of 1 accepts" in html
    assert "data-refresh" in html and f'data-live="/c/{node.commons}/live"' in html
    assert 'aria-current="page">Contributions' in html


def test_the_queue_flags_a_contribution_whose_base_moved(node):
    late = node.propose("bao", "Late change", GUIDE + b"late\n")
    early = node.propose("bao", "Early change", b"# Trail guide\n\nrewritten\n")
    node.service.decide(Actor("anna"), node.commons, early, "accept")
    html = node.browser().get(f"/c/{node.commons}/contributions").text
    row = html[html.index("Late change") :]
    assert "base moved" in row[: row.index("</li>")]
    assert node.state(late) == "open"


def test_the_json_twin_lists_the_contributions(node):
    wanted = node.propose("bao", "Add the river crossing", GUIDE + b"river\n")
    data = node.browser().get(f"/c/{node.commons}/contributions.json").json()
    listed = {c["id"]: c for c in data["contributions"]}
    assert listed[wanted]["state"] == "open" and listed[wanted]["title"] == "Add the river crossing"
    assert [c["id"] for c in data["queue"]] == [wanted]
    assert {g["state"] for g in data["groups"]} == {"accepted"}
    one = node.browser().get(node.url(wanted) + ".json").json()
    assert one["contribution"]["id"] == wanted
    assert one["changes"][0]["kind"] == "text" and one["changes"][0]["added"] == 1
    assert one["can"] == dict.fromkeys(one["can"], False)  # nobody signed in


def test_proposing_by_editing_text_shows_the_change_side_by_side(node):
    bao = node.browser("bao")
    form = bao.get(f"/c/{node.commons}/propose?path=guide.md")
    assert ">\n# Trail guide\n\nline one\nline two\nline three\n</textarea>" in form.text
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    base = re.search(r'name="base" value="([0-9a-f]+)"', form.text).group(1)
    # A browser sends a textarea's lines with CRLF: an untouched line must not show as changed.
    edited = "# Trail guide\r\n\r\nline one\r\nline 2\r\nline three\r\n"
    response = bao.post(
        f"/c/{node.commons}/propose",
        data={
            "csrf": token,
            "title": "Number the second line",
            "description": "Digits read faster.",
            "path": "guide.md",
            "loaded": "guide.md",
            "base": base,
            "content": edited,
        },
        files={"files": ("", b"", "application/octet-stream")},  # no file chosen
    )
    assert response.status_code == 303, response.text
    target = response.headers["location"]
    assert target.startswith(f"/c/{node.commons}/contributions/")
    made = target.rsplit("/", 1)[1]
    shown = node.service.contribution(node.commons, made)
    assert shown["state"] == "open" and [c["path"] for c in shown["changes"]] == ["guide.md"]
    with node.service.blob_open(shown["changes"][0]["blob"]) as stored:
        assert stored.read() == GUIDE.replace(b"line two", b"line 2")
    page = bao.get(target).text
    assert cells(page, "del") == ["line two"]
    assert cells(page, "add") == ["line 2"]
    assert "Digits read faster." in page


def test_uploading_files_creates_a_contribution_with_before_and_after(node):
    bao = node.browser("bao")
    token = csrf(bao, f"/c/{node.commons}/propose")
    response = bao.post(
        f"/c/{node.commons}/propose",
        data={"csrf": token, "title": "Map and notes", "folder": "media/", "path": ""},
        files=[
            ("files", ("map.png", PNG, "image/png")),
            ("files", ("notes.txt", b"bring water\n", "text/plain")),
        ],
    )
    assert response.status_code == 303, response.text
    made = response.headers["location"].rsplit("/", 1)[1]
    changes = node.service.contribution(node.commons, made)["changes"]
    assert {c["path"]: c["media"] for c in changes} == {
        "media/map.png": "image/png",
        "media/notes.txt": "text/plain",
    }
    image = next(c["blob"] for c in changes if c["path"] == "media/map.png")
    page = bao.get(response.headers["location"]).text
    assert f'<img src="/c/{node.commons}/blob/{image}"' in page
    assert cells(page, "add") == ["bring water"]


def test_a_maintainer_accepts_through_the_form(node):
    wanted = node.propose("bao", "Add the river crossing", GUIDE + b"river\n")
    anna = node.browser("anna")
    page = anna.get(node.url(wanted)).text
    assert f'action="{node.url(wanted, "accept")}"' in page
    assert f'action="{node.url(wanted, "reject")}"' in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = anna.post(node.url(wanted, "accept"), data={"csrf": token})
    assert response.status_code == 303
    assert response.headers["location"] == node.url(wanted)
    assert node.state(wanted) == "accepted"
    after = anna.get(node.url(wanted)).text
    assert "state-accepted" in after
    assert f'action="{node.url(wanted, "accept")}"' not in after
    assert f'action="{node.url(wanted, "revert")}"' in after


def test_a_non_maintainer_gets_the_reason_of_the_refusal(node):
    wanted = node.propose("anna", "Anna's change", GUIDE + b"anna\n")
    bao = node.browser("bao")
    page = bao.get(node.url(wanted)).text
    assert f'action="{node.url(wanted, "accept")}"' not in page  # no button for bao
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = bao.post(node.url(wanted, "accept"), data={"csrf": token})
    assert response.status_code == 409
    assert 'class="error"' in response.text and "maintainer" in response.text
    assert node.state(wanted) == "open"


def test_a_post_without_the_csrf_token_is_refused(node):
    wanted = node.propose("bao", "Add the river crossing", GUIDE + b"river\n")
    anna = node.browser("anna")
    csrf(anna, node.url(wanted))
    assert anna.post(node.url(wanted, "accept"), data={}).status_code == 403
    assert anna.post(node.url(wanted, "accept"), data={"csrf": "forged"}).status_code == 403
    stranger = node.browser()
    assert stranger.post(node.url(wanted, "accept"), data={"csrf": ""}).status_code == 403
    refused = anna.post(
        f"/c/{node.commons}/propose", data={"title": "x", "path": "a.md", "content": "a"}
    )
    assert refused.status_code == 403
    assert node.state(wanted) == "open"
    assert len(node.service.contributions(node.commons)) == 2


def test_reject_needs_a_reason(node):
    wanted = node.propose("bao", "Add the river crossing", GUIDE + b"river\n")
    anna = node.browser("anna")
    token = csrf(anna, node.url(wanted))
    response = anna.post(node.url(wanted, "reject"), data={"csrf": token, "reason": "  "})
    assert response.status_code == 400 and "reason" in response.text
    assert node.state(wanted) == "open"
    response = anna.post(
        node.url(wanted, "reject"), data={"csrf": token, "reason": "The crossing is unsafe."}
    )
    assert response.status_code == 303
    assert node.state(wanted) == "rejected"
    assert "The crossing is unsafe." in anna.get(node.url(wanted)).text


def test_what_people_write_is_escaped(node):
    wanted = node.propose(
        "bao",
        "<script>alert('title')</script>",
        GUIDE + b"<script>alert('file')</script>\n",
        description="Hello <script>alert('description')</script> **bold**",
    )
    anna = node.browser("anna")
    token = csrf(anna, node.url(wanted))
    anna.post(
        node.url(wanted, "review"),
        data={"csrf": token, "verdict": "comment", "comment": "<script>alert('review')</script>"},
    )
    for url in (node.url(wanted), f"/c/{node.commons}/contributions"):
        html = anna.get(url).text
        assert "<script>alert" not in html
    html = anna.get(node.url(wanted)).text
    assert "&lt;script&gt;alert(" in html and "<strong>bold</strong>" in html


def test_buttons_follow_who_is_signed_in_and_the_state(node):
    wanted = node.propose("bao", "Add the river crossing", GUIDE + b"river\n")
    forms = lambda html: set(re.findall(rf'action="{node.url(wanted)}/(\w+)"', html))  # noqa: E731
    assert forms(node.browser().get(node.url(wanted)).text) == set()
    assert forms(node.browser("bao").get(node.url(wanted)).text) == {"withdraw", "review"}
    assert f'href="{node.url(wanted, "revise")}"' in node.browser("bao").get(node.url(wanted)).text
    assert forms(node.browser("anna").get(node.url(wanted)).text) == {"accept", "reject", "review"}


def test_reviews_and_withdrawal_through_the_forms(node):
    wanted = node.propose("bao", "Add the river crossing", GUIDE + b"river\n")
    anna = node.browser("anna")
    token = csrf(anna, node.url(wanted))
    response = anna.post(
        node.url(wanted, "review"),
        data={"csrf": token, "verdict": "request_changes", "comment": "Name the river."},
    )
    assert response.status_code == 303 and response.headers["location"].endswith("#reviews")
    empty = {"csrf": token, "verdict": "comment", "comment": ""}
    assert anna.post(node.url(wanted, "review"), data=empty).status_code == 400
    page = anna.get(node.url(wanted)).text
    assert "requested changes" in page and "Name the river." in page
    bao = node.browser("bao")
    response = bao.post(node.url(wanted, "withdraw"), data={"csrf": csrf(bao, node.url(wanted))})
    assert response.status_code == 303 and node.state(wanted) == "withdrawn"


def test_the_author_revises_through_the_form(node):
    blob = node.service.blob_add(io.BytesIO(PNG), name="map.png")["hash"]
    text = node.service.blob_add(io.BytesIO(GUIDE + b"river\n"), name="guide.md")["hash"]
    wanted = node.service.propose(
        Actor("bao"), node.commons, "River", files={"guide.md": text, "map.png": blob}
    )["id"]
    anna = node.browser("anna")
    assert anna.get(node.url(wanted, "revise")).status_code == 403
    bao = node.browser("bao")
    form = bao.get(node.url(wanted, "revise") + "?path=guide.md")
    assert form.status_code == 200 and "line three\nriver\n</textarea>" in form.text
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    response = bao.post(
        node.url(wanted, "revise"),
        data={
            "csrf": token,
            "title": "River crossing",
            "description": "",
            "path": "guide.md",
            "loaded": "guide.md",
            "base": re.search(r'name="base" value="([0-9a-f]+)"', form.text).group(1),
            "content": (GUIDE + b"river crossing\n").decode(),
            "keep": ["guide.md", "map.png"],
        },
    )
    assert response.status_code == 303, response.text
    shown = node.service.contribution(node.commons, wanted)
    assert shown["revision"] == 1 and shown["title"] == "River crossing"
    assert {c["path"] for c in shown["changes"]} == {"guide.md", "map.png"}
    assert cells(bao.get(node.url(wanted)).text, "add") == ["river crossing"]


def test_an_edit_whose_file_moved_meanwhile_is_kept_and_not_proposed(node):
    bao = node.browser("bao")
    form = bao.get(f"/c/{node.commons}/propose?path=guide.md").text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    base = re.search(r'name="base" value="([0-9a-f]+)"', form).group(1)
    meanwhile = node.propose("anna", "Rewrite", b"# Trail guide\n\nrewritten\n")
    node.service.decide(Actor("anna"), node.commons, meanwhile, "accept")
    data = {
        "csrf": token,
        "title": "My edit",
        "path": "guide.md",
        "loaded": "guide.md",
        "base": base,
        "content": "my careful text\n",
    }
    response = bao.post(f"/c/{node.commons}/propose", data=data)
    assert response.status_code == 409
    assert "changed since you opened it" in response.text
    assert ">\nmy careful text\n</textarea>" in response.text
    assert len(node.service.contributions(node.commons)) == 2
    # The page now carries the current base: proposing again is a choice made knowingly.
    data["base"] = re.search(r'name="base" value="([0-9a-f]+)"', response.text).group(1)
    assert bao.post(f"/c/{node.commons}/propose", data=data).status_code == 303


def test_signing_in_is_needed_to_act(node):
    wanted = node.propose("bao", "Add the river crossing", GUIDE + b"river\n")
    stranger = node.browser()
    assert "Sign in to review" in stranger.get(node.url(wanted)).text
    assert "Sign in to propose" in stranger.get(f"/c/{node.commons}/propose").text
    response = stranger.get(node.url(wanted, "revise"))
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert stranger.get(node.url("ffff")).status_code == 404


def test_other_files_show_size_and_type_and_big_texts_are_not_compared(node):
    archive = node.service.blob_add(io.BytesIO(b"PK\x03\x04" + bytes(200)), name="maps.zip")
    big = node.service.blob_add(io.BytesIO(b"word\n" * 220_000), name="big.txt")  # > 1 MiB
    wanted = node.service.propose(
        Actor("bao"),
        node.commons,
        "Maps and a big text",
        files={"maps.zip": archive["hash"], "big.txt": big["hash"]},
    )["id"]
    page = node.browser().get(node.url(wanted)).text
    assert "application/zip" in page and f"{archive['size']}\u00a0B" in page
    assert "1.0\u00a0MiB" in page  # 1 100 000 bytes
    assert "Too large to compare in the page" in page
    assert 'class="diff"' not in page


def test_sizes_read_the_same_on_every_page(node):
    """One way of saying a size in the whole web app, in the reader's language."""
    big = node.service.blob_add(io.BytesIO(bytes(3 * 1024 * 1024 // 2)), name="map.bin")
    made = node.service.propose(Actor("anna"), node.commons, "Map", files={"map.bin": big["hash"]})[
        "id"
    ]
    node.service.decide(Actor("anna"), node.commons, made, "accept")
    visitor = node.browser()
    pages = {
        "contribution": node.url(made),
        "commons": f"/c/{node.commons}",
        "file": f"/c/{node.commons}/files/map.bin",
        "history": f"/c/{node.commons}/history/map.bin",
    }
    for what, url in pages.items():
        page = visitor.get(url)
        assert page.status_code == 200, (what, page.text)
        assert "1.5\u00a0MiB" in page.text, what
        assert f"{big['size']} B" not in page.text and " MB" not in page.text, what
    visitor.cookies.set("lang", "fr")
    assert "1,5\u00a0" in visitor.get(pages["file"]).text  # a decimal comma in French


def test_the_authors_own_approval_is_shown_as_such_and_never_counted(node):
    wanted = node.propose("anna", "Anna's change", GUIDE + b"anna\n")
    node.service.review(Actor("anna"), node.commons, wanted, "approve", "Looks good to me.")
    page = node.browser().get(node.url(wanted)).text
    reviews = page[page.index('id="reviews"') : page.index("Revisions</h2>")]
    assert "the author&#39;s own approval, which does not count" in reviews
    assert "approved" not in reviews
    assert 'Reviews <span class="muted">(0)</span>' in page
    assert "does not count as one" in reviews
    node.service.review(Actor("bao"), node.commons, wanted, "approve", "Fine.")
    page = node.browser().get(node.url(wanted)).text
    assert 'Reviews <span class="muted">(1)</span>' in page and "approved" in page
    # The author is offered to comment on their own contribution, not to approve it.
    own = node.browser("anna").get(node.url(wanted)).text
    buttons = set(re.findall(r'name="verdict" value="(\w+)"', own))
    assert buttons == {"comment"}
    others = node.browser("bao").get(node.url(wanted)).text
    assert set(re.findall(r'name="verdict" value="(\w+)"', others)) == {
        "approve",
        "request_changes",
        "comment",
    }


def test_a_decided_contribution_offers_no_review_nor_decision(node):
    accepted = node.service.contributions(node.commons)[0]["id"]  # the fixture's first draft
    rejected = node.propose("bao", "Rejected", GUIDE + b"no\n")
    node.service.decide(Actor("anna"), node.commons, rejected, "reject", "Not this.")
    withdrawn = node.propose("bao", "Withdrawn", GUIDE + b"later\n")
    node.service.decide(Actor("bao"), node.commons, withdrawn, "withdraw")
    reverted = node.propose("bao", "Reverted", GUIDE + b"oops\n")
    node.service.decide(Actor("anna"), node.commons, reverted, "accept")
    node.service.decide(Actor("anna"), node.commons, reverted, "revert", "Wrong.")
    said = {
        accepted: "Accepted: this contribution takes no more reviews or decisions.",
        rejected: "Rejected: this contribution takes no more reviews or decisions.",
        withdrawn: "Withdrawn by its author: this contribution takes no more reviews",
        reverted: "Reverted: this contribution takes no more reviews or decisions.",
    }
    for wanted, sentence in said.items():
        for who in ("anna", "bao"):
            page = node.browser(who).get(node.url(wanted)).text
            assert sentence in page, (wanted, who)
            # Reverting stays for what was accepted, and only for a maintainer.
            kept = {"revert"} if wanted == accepted and who == "anna" else set()
            forms = set(re.findall(rf'action="{node.url(wanted)}/(\w+)"', page))
            assert forms == kept, (sentence, who)
            assert 'name="verdict"' not in page
        stranger = node.browser().get(node.url(wanted)).text
        assert sentence in stranger and "Sign in to review" not in stranger


def test_a_file_that_is_not_text_is_not_put_in_the_editor(node):
    blob = node.service.blob_add(io.BytesIO(PNG), name="photos/map.png")["hash"]
    first = node.service.propose(
        Actor("anna"), node.commons, "Map", files={"photos/map.png": blob}
    )["id"]
    node.service.decide(Actor("anna"), node.commons, first, "accept")
    page = node.browser("bao").get(f"/c/{node.commons}/propose?path=photos/map.png").text
    assert "photos/map.png is not a text file" in page
    assert '<input name="path" value=""' in page
    assert '<input name="folder" value="photos"' in page


def test_a_refused_form_keeps_what_was_written_and_its_base(node):
    bao = node.browser("bao")
    form = bao.get(f"/c/{node.commons}/propose?path=guide.md").text
    base = re.search(r'name="base" value="([0-9a-f]+)"', form).group(1)
    data = {
        "csrf": re.search(r'name="csrf" value="([^"]+)"', form).group(1),
        "title": "",
        "description": "Why this matters",
        "path": "guide.md",
        "loaded": "guide.md",
        "base": base,
        "content": "kept text\n",
    }
    response = bao.post(f"/c/{node.commons}/propose", data=data)
    assert response.status_code == 400 and "title" in response.text
    assert ">\nkept text\n</textarea>" in response.text and "Why this matters" in response.text
    assert f'name="base" value="{base}"' in response.text  # not silently moved forward
    data.update(title="Fine", path="../outside.md")
    response = bao.post(f"/c/{node.commons}/propose", data=data)
    assert response.status_code == 400 and "relative" in response.text
    assert len(node.service.contributions(node.commons)) == 1


def test_publish_first_commons_patrol_and_revert_through_the_forms(node):
    wiki = node.service.commons_create(Actor("anna"), name="Bird songs", mode="publish")["id"]
    blob = node.service.blob_add(io.BytesIO(b"robin\n"), name="songs.md")["hash"]
    made = node.service.propose(Actor("bao"), wiki, "Robin", files={"songs.md": blob})["id"]
    url = f"/c/{wiki}/contributions/{made}"
    anna = node.browser("anna")
    queue = anna.get(f"/c/{wiki}/contributions").text
    assert "to patrol" in queue and "Publish-first" in queue
    page = anna.get(url).text
    assert set(re.findall(rf'action="{url}/(\w+)"', page)) == {"patrol", "revert", "review"}
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert anna.post(f"{url}/patrol", data={"csrf": token}).status_code == 303
    assert "to patrol" not in anna.get(f"/c/{wiki}/contributions").text
    assert anna.post(f"{url}/revert", data={"csrf": token, "reason": ""}).status_code == 400
    response = anna.post(f"{url}/revert", data={"csrf": token, "reason": "Wrong bird."})
    assert response.status_code == 303
    assert node.service.contribution(wiki, made)["state"] == "reverted"


def test_the_pages_speak_french(node):
    wanted = node.propose("bao", "Add the river crossing", GUIDE + b"river\n")
    bao = node.browser("bao")
    bao.cookies.set("lang", "fr")
    queue = bao.get(f"/c/{node.commons}/contributions").text
    # The catalogue's own words for the count: their French is the translators' to change.
    accepts = translator("fr")("{n} of {m} accepts", n=0, m=1)
    assert "En attente de relecture" in queue and accepts in queue
    page = bao.get(node.url(wanted)).text
    assert "Modifications" in page and "Retirer" in page and "lignes 3 à 5" in page
    assert "Modifier dans le navigateur" in bao.get(f"/c/{node.commons}/propose").text


def test_a_fork_can_decide_on_the_contributions_it_inherited(node):
    """The counter-power of the fork: what the parent's maintainers left waiting, the fork's
    maintainers can accept."""
    wanted = node.propose("bao", "Add the river crossing", GUIDE + b"river\n")
    fork = node.service.fork(Actor("bao"), node.commons, "Trail guide (Breton)")["id"]
    bao = node.browser("bao")
    page = bao.get(f"/c/{fork}/contributions/{wanted}")
    assert page.status_code == 200
    assert f'action="/c/{fork}/contributions/{wanted}/accept"' in page.text
    token = csrf(bao, f"/c/{fork}/contributions/{wanted}")
    bao.post(f"/c/{fork}/contributions/{wanted}/accept", data={"csrf": token})
    assert node.service.contribution(fork, wanted)["state"] == "accepted"
    assert node.service.contribution(node.commons, wanted)["state"] == "open"
