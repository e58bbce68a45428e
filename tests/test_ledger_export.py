"""The treasury's journal as an accountant opens it: Beancount text that Beancount's own
``bean-check`` accepts (a test tool only: Communs never imports Beancount) and CSV rows that
sum to zero per currency; from the command line and from the page."""

import csv
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from click.testing import CliRunner

from communs.cli.main import cli
from communs.node.home.folder import Actor
from webkit import TrailGuide, trail_guide

DAY = "2026-11-30"


@pytest.fixture
def node(tmp_path):
    """A treasury with income in two currencies, an expense paid, a round decided, a share
    paid out and one given to another commons, partly paid to it."""
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        s, c, anna, bao = made.service, made.commons, Actor("anna"), Actor("bao")
        s.ledger_record(anna, c, "donation", "50", "EUR", DAY, 'Café "du port"', "VIR 1")
        s.ledger_record(anna, c, "grant", "1000", "JPY", DAY, "Kyoto friends")
        blob = s.blob_add(io.BytesIO(b"receipt"), "r.txt")["hash"]
        e = s.expense_file(bao, c, "Maps", "12.50", "EUR", "materials", DAY, "", blob)["id"]
        s.expense_act(anna, c, e, "approve")
        s.expense_act(anna, c, e, "pay", date=DAY, reference="T-9")
        work = s.propose(
            bao, c, "Notes", files={"n.md": s.blob_add(io.BytesIO(b"n"), "n.md")["hash"]}
        )
        s.decide(anna, c, work["id"], "accept")
        round_ = s.distribution_propose(anna, c, "Round", "11", "EUR")["id"]
        vote = s.proposal_open(anna, c, "Pay", kind="distribution", about=round_, closes_in_hours=0)
        s.proposal_act(bao, c, vote["id"], "vote", ballot="yes")
        s.proposal_act(anna, c, vote["id"], "close")
        s.ledger_payout(anna, c, "bao", "10", "EUR", DAY)
        songs = s.commons_create(anna, name="Bird songs")["id"]
        s.distribution_waive(anna, c, round_, to="Bird songs")  # her euro, to another commons
        s.ledger_payout(anna, c, "commons:" + songs, "0.40", "EUR", DAY)
        yield made


@pytest.mark.skipif(shutil.which("bean-check") is None, reason="bean-check is a test dependency")
def test_bean_check_accepts_the_export(node, tmp_path):
    text = node.service.ledger_export(node.commons, "beancount")["text"]
    assert "Liabilities:Payable:Z6Mk" in text and 'Café \\"du port\\"' in text
    path = tmp_path / "guide.beancount"
    path.write_text(text, encoding="utf-8")
    checked = subprocess.run(["bean-check", str(path)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr + text


def test_the_csv_has_a_row_per_posting_that_sums_to_zero(node, tmp_path):
    rows = list(
        csv.DictReader(io.StringIO(node.service.ledger_export(node.commons, "csv")["text"]))
    )
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + Decimal(row["amount"])
    assert totals == {"EUR": 0, "JPY": 0}
    assert {row["kind"] for row in rows} >= {
        "donation",
        "grant",
        "expense",
        "payment",
        "distribution",
        "payout",
    }
    web = node.browser().get(f"/c/{node.commons}/ledger.csv")
    assert web.status_code == 200 and web.headers["content-type"].startswith("text/csv")
    assert "attachment" in web.headers["content-disposition"]
    assert node.browser().get(f"/c/{node.commons}/ledger.xls").status_code == 400
    node.service.close()
    out = tmp_path / "guide.beancount"
    made = CliRunner().invoke(
        cli, ["--home", str(tmp_path / "home"), "ledger", "export", "Trail guide", "-o", str(out)]
    )
    assert made.exit_code == 0, made.output
    assert out.read_text(encoding="utf-8").startswith('option "title" "Trail guide"')


def test_the_valueflows_export_is_json_ld_of_work_and_transfers(node):
    import json

    from pyld import jsonld

    document = json.loads(node.service.ledger_export(node.commons, "valueflows")["text"])
    expanded = jsonld.expand(document)  # the context is inline: nothing is fetched
    vf = "https://w3id.org/valueflows#"
    events = [e for e in expanded if f"{vf}EconomicEvent" in e.get("@type", [])]
    actions = {e[f"{vf}action"][0]["@id"] for e in events}
    assert actions == {f"{vf}work", f"{vf}transfer"}
    work = [e for e in events if e[f"{vf}action"][0]["@id"] == f"{vf}work"]
    assert any(e[f"{vf}provider"][0]["@id"] == node.bao for e in work)
    transfers = [e for e in events if e[f"{vf}action"][0]["@id"] == f"{vf}transfer"]
    journal = node.service.treasury(node.commons)["journal"]
    assert len(transfers) == len(journal)  # every entry of the journal, once
