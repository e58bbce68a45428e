"""A refused form comes back as its own page: the reason beside the form that was sent (its
``<details>`` opened), what was typed still there, in the reader's language and the error's
status — never a generic error page; nothing is signed."""

import html as htmllib
import io
import re
from collections.abc import Iterator

import pytest

from communs.node.home.folder import Actor
from webkit import TestClient, TrailGuide, csrf, trail_guide


@pytest.fixture
def node(tmp_path) -> Iterator[TrailGuide]:
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        made.service.thread_post(Actor("bao"), made.commons, "commons", "", "Hello all")
        yield made


def form_of(page: str, action: str) -> str:
    """The HTML of the form sent to ``action``, with the ``<details>`` that holds it."""
    at = page.index(f'action="{action}"')
    start = page.rfind("<details", 0, at)
    start = start if start != -1 and page.rfind("</details>", start, at) == -1 else at
    return page[start : page.index("</form>", at)]


def sent(client: TestClient, page: str, action: str, **fields: str):
    return client.post(action, data={"csrf": csrf(client, page), **fields})


def test_a_blank_invalidation_comes_back_beside_its_form(node):
    service, commons = node.service, node.commons
    task = service.task_open(Actor("anna"), commons, "Walk the ridge", "", [])["id"]
    service.task_act(Actor("bao"), commons, task, "done", "Walked it", [])
    anna, page = node.browser("anna"), f"/c/{commons}/tasks/{task}"
    refused = sent(anna, page, f"{page}/invalidate", comment="   ")
    assert refused.status_code == 400
    shown = htmllib.unescape(refused.text)
    invalidate = form_of(shown, f"{page}/invalidate")
    assert invalidate.startswith("<details") and " open>" in invalidate.split("\n")[0]
    assert 'class="error" role="alert"' in invalidate and "comment" in invalidate
    assert 'class="error"' not in form_of(shown, f"{page}/validate")  # only the form sent
    assert service.task(commons, task)["state"] == "done"


def test_a_reply_mentioning_nobody_keeps_its_text_under_its_message(node):
    service, commons = node.service, node.commons
    [hello] = [m for m in service.thread(commons)["messages"] if m["text"] == "Hello all"]
    anna, page = node.browser("anna"), f"/c/{commons}"
    action = f"/c/{commons}/discussion/post"
    typed = "Welcome! Ask @bobby about the ford."
    refused = anna.post(
        action,
        data={"csrf": csrf(anna, page), "kind": "commons", "ref": "", "text": typed,
              "reply_to": hello["id"], "next": page},
    )  # fmt: skip
    assert refused.status_code == 400
    shown = htmllib.unescape(refused.text)
    replies = [m.start() for m in re.finditer(f'name="reply_to" value="{hello["id"]}"', shown)]
    assert len(replies) == 1
    reply = shown[shown.rfind("<details", 0, replies[0]) : shown.index("</form>", replies[0])]
    assert " open>" in reply.split("\n")[0] and "nobody named 'bobby'" in reply
    assert f">{typed}</textarea>" in reply
    new_message = shown[shown.index('class="stack thread-new"') :]
    assert "nobody named" not in new_message.split("</form>")[0]  # not beside the other form
    assert len(service.thread(commons)["messages"]) == 1


def test_a_vote_refused_keeps_its_reason_and_speaks_french(node):
    anna = node.browser("anna")
    anna.cookies.set("lang", "fr")
    made = node.service.proposal_open(
        Actor("anna"), node.commons, "Score the routes", method={"name": "score", "max_score": 5},
        options=["coast", "ridge"],
    )  # fmt: skip
    page = f"/c/{node.commons}/proposals/{made['id']}"
    refused = sent(anna, page, f"{page}/vote", **{"option-0": "9", "option-1": "1",
                                                  "reason": "The coast is best"})  # fmt: skip
    assert refused.status_code == 409
    vote = form_of(htmllib.unescape(refused.text), f"{page}/vote")
    error = re.search(r'<p class="error" role="alert">([^<]+)</p>', vote)
    assert error, vote
    assert error.group(1) == "bulletin invalide\u00a0: les notes vont de 0 à 5"
    assert ">The coast is best</textarea>" in vote
    assert node.service.proposal(node.commons, made["id"])["ballots"] == {}


def test_a_form_sent_with_the_commons_name_still_shows_why(node):
    """The page's forms name the commons by id; sent by its name, no form takes the refusal:
    it shows above the page."""
    blob = node.service.blob_add(io.BytesIO(b"# Ford\n"), "ford.md")["hash"]
    wanted = node.service.propose(Actor("bao"), node.commons, "Ford", files={"ford.md": blob})
    anna = node.browser("anna")
    by_name = f"/c/Trail%20guide/contributions/{wanted['id']}"
    page = f"/c/{node.commons}/contributions/{wanted['id']}"
    refused = anna.post(
        f"{by_name}/review", data={"csrf": csrf(anna, page), "verdict": "comment", "comment": ""}
    )
    assert refused.status_code == 400
    shown = htmllib.unescape(refused.text)
    assert shown.index('class="error" role="alert"') < shown.index("<h1")
    assert "write a comment" in shown
