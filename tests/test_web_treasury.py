"""The treasury in the browser's forms and on the command line: balances in the reader's
money, a chart that needs no script, an expense filed with its receipt (uploaded) and taken
through its steps by the right people, refusals beside their form, and the CLI's ledger."""

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
    """anna (maintainer, so treasurer) recorded a 50.00 EUR donation from the Café du port."""
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        made.service.ledger_record(
            Actor("anna"), made.commons, "donation", "50", "EUR", "2026-11-30", "Café du port"
        )
        yield made


def text(response) -> str:
    return htmllib.unescape(response.text)


def balances(page: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt>\s*<dd class=\"num\">([^<]+)</dd>", page))


def test_the_treasury_shows_balances_in_the_readers_money_and_a_chart(node):
    english = text(node.browser().get(f"/c/{node.commons}/treasury"))
    assert balances(english) == {"in the bank": "€50.00", "income: donations": "€50.00"}
    assert "Café du port" in english
    chart = re.search(r'<figure class="treasury-chart">(<svg.*?</svg>)</figure>', english, re.S)
    assert chart and "<script" not in chart.group(1) and "2026-11" in chart.group(1)
    browser = node.browser()
    browser.cookies.set("lang", "fr")
    french = text(browser.get(f"/c/{node.commons}/treasury"))
    assert balances(french) == {
        "à la banque": "50,00\u00a0€",
        "recettes\u00a0: dons": "50,00\u00a0€",
    }


def test_an_expense_goes_through_its_steps_from_the_browser(node):
    bao, anna = node.browser("bao"), node.browser("anna")
    page = f"/c/{node.commons}/treasury"
    filed = bao.post(
        f"/c/{node.commons}/expenses",
        data={"csrf": csrf(bao, page), "title": "Printing maps", "amount": "12,50",
              "currency": "eur", "category": "materials", "date": "2026-12-01"},
        files={"receipt": ("ticket.pdf", io.BytesIO(b"%PDF-1.4 receipt"), "application/pdf")},
    )  # fmt: skip
    assert filed.status_code == 303, filed.text
    url = filed.headers["location"]
    eid = url.rsplit("/", 1)[1]
    shown = text(bao.get(url))
    assert "waiting for approval" in shown and "€12.50" in shown
    receipt = re.search(r'<a href="(/c/[0-9a-f]+/blob/[0-9a-f]{64})">the receipt</a>', shown)
    assert receipt and bao.get(receipt.group(1)).content == b"%PDF-1.4 receipt"
    assert "Approve</button>" not in shown  # bao is no treasurer here

    for action, fields in (("approve", {}), ("pay", {"date": "2026-12-02", "reference": "T-9"})):
        done = anna.post(f"{url}/{action}", data={"csrf": csrf(anna, url), **fields})
        assert done.status_code == 303, done.text
    assert bao.post(f"{url}/acknowledge", data={"csrf": csrf(bao, url)}).status_code == 303
    record = node.service.expense(node.commons, eid)
    assert record["state"] == "acknowledged" and record["paid"]["reference"] == "T-9"
    money = node.service.treasury(node.commons)["balances"]["EUR"]
    assert money["assets:bank"] == 5000 - 1250 and money["expenses:materials"] == 1250


def test_a_refused_step_comes_back_beside_its_form(node):
    bao = node.browser("bao")
    page = f"/c/{node.commons}/treasury"
    refused = bao.post(
        f"/c/{node.commons}/ledger",
        data={"csrf": csrf(bao, page), "kind": "donation", "amount": "12.345", "currency": "EUR",
              "date": "2026-12-01", "next": page},
    )  # fmt: skip
    assert refused.status_code == 400
    assert "is not an amount of EUR: write it with at most 2 decimals" in text(refused)
    receipt = node.service.blob_add(io.BytesIO(b"r"), "r.txt")["hash"]
    made = node.service.expense_file(
        Actor("bao"), node.commons, "Boots", "300", "EUR", "equipment", "2026-12-01", "", receipt
    )
    anna = node.browser("anna")
    url = f"/c/{node.commons}/expenses/{made['id']}"
    big = anna.post(f"{url}/approve", data={"csrf": csrf(anna, url)})
    assert big.status_code == 409
    form = text(big).split(f'action="{url}/approve"')[1].split("</form>")[0]
    assert "at or above the 100.00 EUR one treasurer may approve" in form
    link = re.search(
        r'href="(/c/[0-9a-f]+/proposals\?kind=expense&amp;about=[0-9a-f]+[^"]*)"', big.text
    )
    assert link, "the page offers to propose the decision"
    proposal_form = text(anna.get(htmllib.unescape(link.group(1))))
    assert f'name="about" value="{made["id"]}"' in proposal_form
    assert '<option value="expense" selected>' in proposal_form


def test_the_command_line_keeps_the_ledger(node, tmp_path):
    home = ["--home", str(tmp_path / "home")]
    node.service.close()
    run = CliRunner()
    receipt = tmp_path / "r.txt"
    receipt.write_text("receipt")
    filed = run.invoke(cli, [*home, "--as", "bao", "expense", "file", "Trail guide", "--title",
                             "Ink", "--amount", "9.90", "--receipt", str(receipt)])  # fmt: skip
    assert filed.exit_code == 0, filed.output
    eid = filed.output.strip()
    approved = run.invoke(
        cli, [*home, "--as", "anna", "expense", "approve", "Trail guide", eid[:8]]
    )
    assert approved.exit_code == 0 and "(approved, to pay)" in approved.output, approved.output
    stranger = run.invoke(cli, [*home, "--as", "bao", "ledger", "record", "Trail guide",
                                "--amount", "5"])  # fmt: skip
    assert stranger.exit_code == 1 and "only the treasurers can record income" in stranger.stderr
    shown = run.invoke(cli, [*home, "ledger", "show", "Trail guide"])
    assert re.search(r"owed to bao\s+-9.90 EUR", shown.output), shown.output
    listed = json.loads(run.invoke(cli, [*home, "expense", "list", "Trail guide", "--json"]).output)
    assert [(e["title"], e["state"], e["amount"]) for e in listed] == [("Ink", "approved", 990)]
