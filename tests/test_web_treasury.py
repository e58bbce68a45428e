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


def accepted(node, who: str, title: str) -> None:
    blob = node.service.blob_add(io.BytesIO(title.encode()), "notes.md")["hash"]
    made = node.service.propose(Actor(who), node.commons, title, files={"notes.md": blob})
    node.service.decide(Actor("anna"), node.commons, made["id"], "accept")


def test_a_round_is_previewed_proposed_voted_waived_and_paid_from_the_browser(node):
    accepted(node, "bao", "Map")
    accepted(node, "bao", "Legend")
    anna, page = node.browser("anna"), f"/c/{node.commons}/treasury"
    preview = text(anna.get(f"{page}?budget=22&policy=proportional"))
    shares = re.search(
        r'<table class="credit-table" id="preview-shares">(.*?)</table>', preview, re.S
    )
    assert shares and '>bao</a></td><td class="num">€20.00' in shares.group(1)
    assert '>anna</a></td><td class="num">€2.00' in shares.group(1)  # her two accepts: reviews
    wrong = text(anna.get(f"{page}?budget=lots"))
    assert "is not an amount of EUR" in wrong
    made = anna.post(
        f"/c/{node.commons}/distributions",
        data={
            "csrf": csrf(anna, page),
            "title": "First round",
            "budget": "22",
            "currency": "EUR",
            "policy": "proportional",
        },
    )
    assert made.status_code == 303, made.text
    [round_] = node.service.distributions(node.commons)
    assert round_["state"] == "proposed" and round_["title"] == "First round"
    listed = text(anna.get(page))
    vote_link = re.search(r'href="(/c/[^"]*kind=distribution&about=[0-9a-f]{64}[^"]*)"', listed)
    assert vote_link, "the round offers to open its vote"
    vote = node.service.proposal_open(
        Actor("anna"),
        node.commons,
        "Pay it",
        kind="distribution",
        about=round_["id"][:10],
        closes_in_hours=0,
    )
    node.service.proposal_act(Actor("bao"), node.commons, vote["id"], "vote", ballot="yes")
    node.service.proposal_act(Actor("anna"), node.commons, vote["id"], "close")
    assert node.service.distributions(node.commons)[0]["state"] == "approved"
    waived = anna.post(
        f"/c/{node.commons}/distributions/{round_['id']}/waive", data={"csrf": csrf(anna, page)}
    )
    assert waived.status_code == 303
    paid = anna.post(
        f"/c/{node.commons}/payouts",
        data={
            "csrf": csrf(anna, page),
            "person": node.bao,
            "amount": "20",
            "currency": "EUR",
            "date": "2026-12-03",
            "reference": "VIR 1",
        },
    )
    assert paid.status_code == 303, paid.text
    money = node.service.treasury(node.commons)["balances"]["EUR"]
    assert money["expenses:distributions"] == 2000  # anna's euro came back
    assert money[f"liabilities:payable:{node.bao}"] == 0
    assert money["assets:bank"] == 5000 - 2000
    assert "Give my share back" not in text(node.browser("bao").get(page))  # paid: nothing to waive
    figure = r'<figure class="treasury-chart">(<svg.*?</svg>)</figure>'
    chart = re.search(figure, text(anna.get(page)), re.S)
    assert chart and "shared among contributors" in chart.group(1)
    # the donation's month, then this one: income, expenses (the round apart), what was shared
    values = re.findall(r'<desc class="value">([^<]*)</desc>', chart.group(1))
    assert values == ["50", "0", "0", "0", "0", "20"]


def test_the_command_line_previews_and_pays_out(node, tmp_path):
    accepted(node, "bao", "Map")
    home = ["--home", str(tmp_path / "home")]
    node.service.close()
    run = CliRunner()
    shown = run.invoke(cli, [*home, "distribution", "preview", "Trail guide", "--budget", "11"])
    assert shown.exit_code == 0 and re.search(r"bao\s+10.00 EUR", shown.output), shown.output
    buckets = '{"name": "buckets", "buckets": [{"label": "servers", "percent": 50, "to": "anna"}]}'
    kept = run.invoke(
        cli,
        [
            *home,
            "distribution",
            "preview",
            "Trail guide",
            "--budget",
            "10",
            "--policy",
            buckets,
            "--json",
        ],
    )
    found = json.loads(kept.output)
    assert [(s["name"], s["amount"]) for s in found["shares"]] == [("anna", 500)]
    assert found["kept"] == 500
    stranger = run.invoke(
        cli,
        [
            *home,
            "--as",
            "bao",
            "distribution",
            "propose",
            "Trail guide",
            "--title",
            "Mine",
            "--budget",
            "5",
        ],
    )
    assert (
        stranger.exit_code == 1
        and "only the treasurers can propose distributions" in stranger.stderr
    )
    overpaid = run.invoke(
        cli, [*home, "--as", "anna", "ledger", "payout", "Trail guide", "bao", "--amount", "1"]
    )
    assert overpaid.exit_code == 1 and "more than the 0.00 EUR owed" in overpaid.stderr


def test_a_share_is_given_to_another_commons_from_the_browser_and_paid_to_it(node):
    accepted(node, "bao", "Map")
    s, anna = node.service, Actor("anna")
    songs = s.commons_create(anna, name="Bird songs")["id"]
    round_ = s.distribution_propose(anna, node.commons, "Round", "10", "EUR")["id"]
    vote = s.proposal_open(anna, node.commons, "Pay", kind="distribution", about=round_,
                           closes_in_hours=0)  # fmt: skip
    s.proposal_act(Actor("bao"), node.commons, vote["id"], "vote", ballot="yes")
    s.proposal_act(anna, node.commons, vote["id"], "close")
    bao, page = node.browser("bao"), f"/c/{node.commons}/treasury"
    waive = f"/c/{node.commons}/distributions/{round_}/waive"
    unknown = bao.post(waive, data={"csrf": csrf(bao, page), "to": "Nowhere", "next": page})
    assert unknown.status_code == 404 and "Nowhere" in text(unknown)
    given = bao.post(waive, data={"csrf": csrf(bao, page), "to": "Bird songs"})
    assert given.status_code == 303, given.text
    shown = text(bao.get(page))
    assert "(given to Bird songs)" in shown and "share given to a commons" in shown
    treasurer = node.browser("anna")
    offered = re.search(r'<select name="person">(.*?)</select>', text(treasurer.get(page)), re.S)
    assert offered and f'<option value="commons:{songs}">Bird songs</option>' in offered.group(1)
    paid = treasurer.post(
        f"/c/{node.commons}/payouts",
        data={"csrf": csrf(treasurer, page), "person": f"commons:{songs}", "amount": "9",
              "currency": "EUR", "date": "2026-12-03"},
    )  # fmt: skip
    assert paid.status_code == 303, paid.text
    money = s.treasury(node.commons)["balances"]["EUR"]
    assert money[f"liabilities:payable:commons:{songs}"] == -9  # bao's 9.09 EUR, 9 paid
    french = node.browser("bao")
    french.cookies.set("lang", "fr")
    assert "donnée à Bird songs" in text(french.get(page))
