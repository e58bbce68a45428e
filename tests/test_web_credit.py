"""Credit in the browser and on the command line: who earned what in a commons, each person's
reasons linked to their work, a month at a time, a size assessed from the contribution's
page, and the same through the API and `communs credit`."""

import html as htmllib
import io
import json
import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from communs.cli.main import cli
from communs.node.home.folder import Actor
from webkit import TrailGuide, csrf, trail_guide


@pytest.fixture
def node(tmp_path) -> Iterator[TrailGuide]:
    """bao's "Map the ford" accepted by anna, after chloe's approving review."""
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        service = made.service
        service.identity_new("chloe")
        blob = service.blob_add(io.BytesIO(b"# Ford\n"), "ford.md")["hash"]
        work = service.propose(Actor("bao"), made.commons, "Map the ford", files={"ford.md": blob})
        service.review(Actor("chloe"), made.commons, work["id"], "approve", "Clear")
        service.decide(Actor("anna"), made.commons, work["id"], "accept")
        made.work = work["id"]  # type: ignore[attr-defined]
        yield made


def text(response) -> str:
    return htmllib.unescape(response.text)


def test_the_credit_page_lists_everyone_most_first_with_the_weights(node):
    page = text(node.browser().get(f"/c/{node.commons}/credit"))
    rows = re.findall(
        r'<td><a href="/c/[0-9a-f]+/credit/(did:key:\w+)"[^>]*>([^<]+)</a></td>\s*'
        r'<td class="num">(\d+)</td>',
        page,
    )
    assert [(name, int(points)) for _, name, points in rows] == [
        ("bao", 10),
        ("anna", 1),
        ("chloe", 1),
    ]
    assert "an accepted contribution 10 points" in page
    assert '<td class="num">12</td>' in page  # the total


def test_a_persons_credit_gives_the_reason_for_each_point(node):
    page = text(node.browser().get(f"/c/{node.commons}/credit/bao"))
    assert "Credit of bao" in page and "10</strong> points" in page
    link = f'<a href="/c/{node.commons}/contributions/{node.work}">Map the ford</a>'
    assert f'{link}<br><span class="muted">accepted contribution</span>' in page
    chloe = text(node.browser().get(f"/c/{node.commons}/credit/chloe"))
    assert f'{link}<br><span class="muted">review that led to a decision</span>' in chloe


def test_a_month_shows_what_was_earned_then_and_a_bad_month_is_said(node):
    [month] = node.service.credit(node.commons)["months"]
    page = text(node.browser().get(f"/c/{node.commons}/credit?month={month}"))
    assert f"Credit earned in {month}" in page and ">bao</a>" in page
    empty = text(node.browser().get(f"/c/{node.commons}/credit?month=1999-01"))
    assert "Nobody earned credit that month." in empty
    wrong = node.browser().get(f"/c/{node.commons}/credit?month=March")
    assert wrong.status_code == 400 and "is not a month" in text(wrong)


def test_a_size_is_assessed_from_the_browser_and_counts(node):
    anna = node.browser("anna")
    page = f"/c/{node.commons}/contributions/{node.work}"
    response = anna.post(
        f"/c/{node.commons}/credit/assess",
        data={"csrf": csrf(anna, page), "contribution": node.work, "size": "3"},
    )
    assert response.status_code == 303, response.text
    assert node.service.credit_of(node.commons, "bao")["points"] == 30
    own = node.browser("bao")
    refused = own.post(
        f"/c/{node.commons}/credit/assess",
        data={"csrf": csrf(own, page), "contribution": node.work, "size": "9", "next": page},
    )
    assert refused.status_code == 409 and "does not assess its size" in text(refused)


def test_the_french_page_speaks_french(node):
    browser = node.browser()
    browser.cookies.set("lang", "fr")
    page = text(browser.get(f"/c/{node.commons}/credit"))
    assert "Crédit dans Trail guide" in page and "Seul le travail" in page


def test_the_command_line_says_the_same(node, tmp_path):
    home = str(tmp_path / "home")
    node.service.close()  # the CLI opens the home itself
    listed = CliRunner().invoke(cli, ["--home", home, "credit", "list", "Trail guide"])
    assert listed.exit_code == 0, listed.output
    assert re.search(r"bao\s+10", listed.output) and "total: 12" in listed.output
    of = CliRunner().invoke(cli, ["--home", home, "credit", "of", "Trail guide", "bao", "--json"])
    assert json.loads(of.output)["entries"][0]["title"] == "Map the ford"


def test_the_contribution_page_shows_its_credit_and_takes_a_size(node):
    anna = node.browser("anna")
    page = f"/c/{node.commons}/contributions/{node.work}"
    shown = text(anna.get(page))
    assert "This contribution earned its author 10 points." in shown
    assert 'action="/c/' in shown and "/credit/assess" in shown
    response = anna.post(
        f"/c/{node.commons}/credit/assess",
        data={"csrf": csrf(anna, page), "contribution": node.work, "size": "4", "next": page},
    )
    assert response.status_code == 303
    after = text(anna.get(page))
    assert "earned its author 40 points" in after and "Its size: 4" in after
    assert ">anna</a> 4" in after  # who assessed what
    own = text(node.browser("bao").get(page))
    assert "/credit/assess" not in own  # the author does not assess their own work
