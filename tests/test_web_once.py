"""Back and resubmit never acts twice: every form carries a one-time key; the second
submission of a form lands where the first led, and a refused one may be corrected and sent."""

import re
from collections.abc import Iterator

import pytest

from webkit import TrailGuide, trail_guide


@pytest.fixture
def node(tmp_path) -> Iterator[TrailGuide]:
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        yield made


def keys_of(client, url: str) -> dict[str, str]:
    page = client.get(url).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    once = re.search(r'name="once" value="([^"]+)"', page).group(1)
    return {"csrf": csrf, "once": once}


def test_a_form_sent_twice_acts_once(node):
    anna = node.browser("anna")
    board = f"/c/{node.commons}/board"
    keys = keys_of(anna, board)
    form = {**keys, "title": "Map the ford", "description": ""}
    first = anna.post(f"/c/{node.commons}/tasks", data=form)
    again = anna.post(f"/c/{node.commons}/tasks", data=form)  # Back, then send again
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]  # where the first led
    titles = [t["title"] for t in node.service.tasks(node.commons)]
    assert titles.count("Map the ford") == 1


def test_a_refused_form_can_be_corrected_and_sent_with_the_same_key(node):
    anna = node.browser("anna")
    keys = keys_of(anna, "/new")
    refused = anna.post("/new", data={**keys, "name": "Trail guide"})  # the name is taken
    assert refused.status_code == 409
    made = anna.post("/new", data={**keys, "name": "Another guide"})
    assert made.status_code == 303


def test_every_form_of_a_page_has_its_own_key(node):
    page = node.browser("anna").get(f"/c/{node.commons}").text
    keys = re.findall(r'name="once" value="([^"]+)"', page)
    assert len(keys) >= 2 and len(set(keys)) == len(keys)
