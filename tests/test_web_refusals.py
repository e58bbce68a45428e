"""Refusals in context: a refused form comes back as the same page, what was typed kept,
the reason beside it in plain words (no schema text) and in the reader's language; length
limits are shown, and nothing is cut in silence."""

import html
from collections.abc import Iterator

import pytest

from webkit import TrailGuide, csrf, trail_guide

LONG = ("A walk along the river " * 14).strip()  # 321 characters: over the limit of 200


@pytest.fixture
def node(tmp_path) -> Iterator[TrailGuide]:
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        yield made


def plain(response) -> str:
    return html.unescape(response.text)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_task_with_a_title_too_long_comes_back_on_the_board(node, lang):
    anna = node.browser("anna")
    anna.cookies.set("lang", lang)
    board = f"/c/{node.commons}/board"
    page = anna.get(board).text
    assert "at most 200 characters" in page or "au plus 200\u00a0caractères" in page
    assert 'maxlength="200"' not in page  # a browser would cut a pasted title in silence
    sent = anna.post(
        f"/c/{node.commons}/tasks",
        data={"csrf": csrf(anna, board), "title": LONG, "description": "Keep me"},
    )
    assert sent.status_code == 422
    text = plain(sent)
    said = {"en": "title is too long: at most 200 characters",
            "fr": "le titre est trop long\u00a0: au plus 200\u00a0caractères"}[lang]  # fmt: skip
    assert said in text, text[:2000]
    assert f'value="{LONG}"' in text and ">Keep me</textarea>" in text
    assert "Expected" not in text and "$." not in text and "schema" not in text
    assert node.service.tasks(node.commons) == []


def test_a_proposal_refused_comes_back_with_what_was_typed(node):
    anna = node.browser("anna")
    page = f"/c/{node.commons}/proposals"
    sent = anna.post(
        page,
        data={"csrf": csrf(anna, page), "title": LONG, "text": "Because", "kind": "custom"},
    )
    assert sent.status_code == 422
    text = plain(sent)
    assert "title is too long: at most 200 characters" in text
    assert f'value="{LONG}"' in text and ">Because</textarea>" in text


def test_a_mistyped_id_and_a_missing_file_are_said_in_french(node):
    client = node.browser("anna")
    client.cookies.set("lang", "fr")
    wrong = client.get(f"/c/{node.commons}/contributions/zzzz")
    assert wrong.status_code == 400
    assert "«\u00a0zzzz\u00a0» n’est pas un identifiant" in plain(wrong)
    missing = client.get(f"/c/{node.commons}/files/nosuch.md")
    assert missing.status_code == 404
    assert "il n’y a pas de fichier nosuch.md dans ce commun" in plain(missing)
    assert "artifact" not in plain(missing).split("<main", 1)[-1].split("</main>")[0].replace(
        "communs artifact list", ""
    )
