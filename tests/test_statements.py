"""Bank statements read into the treasury: OFX through ofxtools and CSV with a column mapping,
each line matched to what the treasury expects — an approved expense, a person owed, an
enterprise's reciprocity, a donation, or income already recorded by hand — and recorded only
once the treasurer confirms; the same statement read again records nothing twice."""

import base64
import html as htmllib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from communs.cli.main import cli
from communs.core.errors import BadInput, Refused
from communs.node import statements
from communs.node.home.folder import Actor
from communs.node.home.lock import ensure_token
from webkit import TestClient, TrailGuide, csrf, ink_owed_to_bao, trail_guide

OFX = (Path(__file__).parent / "data" / "statement.ofx").read_bytes()
CSV = """Date opération;Libellé;Montant;Référence
01/12/2026;CAFE DU PORT;50,00;B-1
02/12/2026;VIR BAO INK;-12,50;B-2
03/12/2026;VELO TOURS SARL REF 12;30,00;B-3
04/12/2026;FRAIS BANCAIRES;-3,20;B-4
05/12/2026;M. LEROUX;1 250,00;B-5
""".encode("cp1252")


@pytest.fixture
def node(tmp_path) -> Iterator[TrailGuide]:
    """anna (treasurer) recorded a 50.00 EUR donation by hand on 2026-11-30; bao's 12.50 EUR
    expense is approved, not paid; the enterprise Vélo Tours is registered."""
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        expense = ink_owed_to_bao(made)
        made.service.identity_new("velo")
        velo = Actor("velo")
        made.service.enterprise_register(velo, made.commons, "Vélo Tours", "company", "tours")
        made.expense = expense  # type: ignore[attr-defined]
        yield made


def test_an_ofx_statement_is_read_by_ofxtools():
    lines = statements.read(OFX, "ofx")
    assert [(x.date, x.amount, x.currency, x.name, x.reference) for x in lines] == [
        ("2026-11-30", 5000, "EUR", "CAFE DU PORT", "F-1"),
        ("2026-12-02", -1250, "EUR", "VIR BAO TRAN", "F-2"),
    ]


def test_a_csv_is_read_with_its_columns_guessed_or_mapped():
    lines = statements.read(CSV, "csv")  # French header words, ';', decimal commas, cp1252
    assert [(x.date, x.amount, x.reference) for x in lines][::2] == [
        ("2026-12-01", 5000, "B-1"),
        ("2026-12-03", 3000, "B-3"),
        ("2026-12-05", 125000, "B-5"),
    ]
    two = b"When,Who,Out,In,Id\n2026-12-01,Shop,12.50,,x1\n2026-12-02,Friend,,40,x2\n"
    mapping = {"date": "When", "name": "Who", "debit": "Out", "credit": "In", "reference": "Id"}
    lines = statements.read(two, "csv", mapping, "USD")
    assert [(x.amount, x.currency, x.name) for x in lines] == [
        (-1250, "USD", "Shop"),
        (4000, "USD", "Friend"),
    ]


def refusal(call, *args):
    with pytest.raises((BadInput, Refused)) as caught:
        call(*args)
    return caught.value


def test_a_bad_statement_says_what_was_wrong_and_where():
    assert refusal(statements.read, b"hello", "ofx").code == "not_a_statement"
    missing = refusal(statements.read, b"Day;Sum\n2026-12-01;3\n", "csv")
    assert missing.code == "no_statement_column" and "its columns are Day, Sum" in str(missing)
    wrong = refusal(statements.read, b"Date;Montant\n2026-12-01;3\n31/02/2026;4\n", "csv")
    assert wrong.code == "bad_statement_line" and "line 3" in str(wrong)
    unmapped = refusal(statements.read, CSV, "csv", {"name": "Payee"})
    assert unmapped.code == "no_statement_column" and "Payee" in str(unmapped)
    assert refusal(statements.read, b"x", "qif").code == "not_a_statement_format"


WRITINGS = (
    lambda whole, cents: f"{whole},{cents:02d}",
    lambda whole, cents: f"{whole}.{cents:02d}",
    lambda whole, cents: f"{whole:,}".replace(",", "\u00a0") + f",{cents:02d}",  # 1 234,50
    lambda whole, cents: f"{whole:,}.{cents:02d}",  # 1,234.50
)


@given(st.integers(min_value=-(10**9), max_value=10**9), st.sampled_from(WRITINGS))
def test_an_amount_written_as_banks_write_it_reads_back_exactly(minor, writing):
    whole, cents = divmod(abs(minor), 100)
    text = ("-" if minor < 0 else "") + writing(whole, cents)
    assert statements._amount(text, "EUR", 2) == minor


def test_lines_are_matched_then_recorded_once_confirmed_and_never_twice(node):
    s, anna = node.service, Actor("anna")
    read = s.statement_read(anna, node.commons, CSV, "csv")
    found = {m["line"]["reference"]: m for m in read["lines"]}
    assert found["B-1"]["status"] == "recorded"  # the donation recorded by hand the day before
    assert found["B-2"]["action"] == {"action": "pay", "expense": node.expense, "title": "Ink",
                                      "date": "2026-12-02", "reference": "B-2"}  # fmt: skip
    velo = found["B-3"]["action"]
    assert (velo["kind"], velo["source"], velo["amount"]) == ("reciprocity", "Vélo Tours", 3000)
    assert found["B-4"]["status"] == "unknown"  # the bank's fee: nothing expected it
    assert found["B-5"]["action"]["kind"] == "donation"
    assert read["counts"] == {"recorded": 1, "proposed": 3, "unknown": 1}
    before = len(s.treasury(node.commons)["journal"])
    assert len(s.treasury(node.commons)["journal"]) == before  # reading wrote nothing

    proposed = [m["action"] for m in read["lines"] if m["status"] == "proposed"]
    made = s.statement_confirm(anna, node.commons, proposed)
    assert made["done"] == 3
    assert s.expense(node.commons, node.expense)["paid"]["reference"] == "B-2"
    money = s.treasury(node.commons)["balances"]["EUR"]
    assert money["income:reciprocity"] == -3000 and money["assets:bank"] == 5000 - 1250 + 128000

    again = s.statement_read(anna, node.commons, CSV, "csv")
    assert again["counts"] == {"recorded": 4, "proposed": 0, "unknown": 1}
    twice = s.statement_confirm(anna, node.commons, proposed)
    assert twice["done"] == 0 and {r["status"] for r in twice["results"]} == {"recorded"}
    assert s.treasury(node.commons)["balances"]["EUR"] == money


def test_a_payout_to_someone_owed_whom_the_line_names(node):
    s, anna = node.service, Actor("anna")
    s.personal_set(Actor("bao"), node.commons, {"legal_name": "Tran Bao"})
    line = b"Date,Name,Amount,Reference\n2026-12-03,VIR M TRAN BAO ACOMPTE,-5.00,P-1\n"
    read = s.statement_read(anna, node.commons, line, "csv")
    action = read["lines"][0]["action"]
    assert (action["action"], action["person"], action["name"]) == ("payout", node.bao, "bao")
    assert s.personal(Actor("bao"), node.commons)["reads"] == []  # matched, never shown
    s.statement_confirm(anna, node.commons, [action])
    assert s.treasury(node.commons)["balances"]["EUR"][f"liabilities:payable:{node.bao}"] == -750


def test_only_a_treasurer_reads_a_statement_and_a_bad_action_is_refused_alone(node):
    s = node.service
    assert refusal(s.statement_read, Actor("bao"), node.commons, CSV, "csv").code == (
        "not_treasurer"
    )
    made = s.statement_confirm(
        Actor("anna"),
        node.commons,
        [{"action": "steal"}, {"action": "record", "kind": "grant", "amount": 100,
                               "currency": "EUR", "date": "2026-12-04", "reference": "G-1"}],
    )  # fmt: skip
    assert [r["status"] for r in made["results"]] == ["refused", "done"]
    assert made["results"][0]["code"] == "unknown_statement_action"


def test_the_api_takes_the_file_in_base64(node):
    client = TestClient(node.app, client=("127.0.0.1", 50000))
    client.headers["Authorization"] = f"Bearer {ensure_token(node.service.home.path)}"
    url = f"/api/commons/{node.commons}/statements"
    body = {"as": "anna", "format": "ofx", "data": base64.b64encode(OFX).decode()}
    read = client.post(f"{url}/read", json=body).json()
    assert [m["status"] for m in read["lines"]] == ["recorded", "proposed"]
    bad = client.post(f"{url}/read", json={**body, "data": "not base64!"})
    assert (bad.status_code, bad.json()["code"]) == (400, "not_base64")
    actions = [read["lines"][1]["action"]]
    done = client.post(f"{url}/confirm", json={"as": "anna", "actions": actions}).json()
    assert done["done"] == 1


def test_the_command_line_shows_the_matches_and_records_them(node, tmp_path):
    home = ["--home", str(tmp_path / "home")]
    node.service.close()
    statement = tmp_path / "releve.csv"
    statement.write_bytes(CSV)
    run = CliRunner()
    asked = run.invoke(cli, [*home, "--as", "anna", "ledger", "import", "Trail guide",
                             str(statement)], input="n\n")  # fmt: skip
    assert asked.exit_code == 0, asked.output
    assert "pay the expense “Ink”" in asked.output and "already recorded" in asked.output
    assert "Record the 3 lines to record?" in asked.output
    done = run.invoke(cli, [*home, "--as", "anna", "ledger", "import", "Trail guide",
                            str(statement), "--yes"])  # fmt: skip
    assert done.exit_code == 0 and "Recorded: 3" in done.output, done.output
    shown = json.loads(
        run.invoke(cli, [*home, "--as", "anna", "ledger", "import", "Trail guide",
                         str(statement), "--json"]).output
    )  # fmt: skip
    assert shown["counts"]["proposed"] == 0


def test_the_browser_reads_a_statement_and_records_the_ticked_lines(node):
    anna = node.browser("anna")
    page = f"/c/{node.commons}/treasury"
    assert "Read a bank statement" in anna.get(page).text
    assert "Read a bank statement" not in node.browser("bao").get(page).text
    read = anna.post(
        f"{page}/statement",
        data={"csrf": csrf(anna, page), "mapping": "", "currency": "EUR"},
        files={"statement": ("releve.csv", io.BytesIO(CSV), "text/csv")},
    )
    assert read.status_code == 200, read.text
    shown = htmllib.unescape(read.text)
    assert "pay the expense" in shown and "reciprocity from Vélo Tours" in shown
    assert "€1,250.00" in shown and "-€3.20" in shown
    ticked = re.findall(r'name="line" value="(\d+)" checked', read.text)
    assert len(ticked) == 3
    actions = {
        f"action-{n}": htmllib.unescape(v)
        for n, v in re.findall(r'name="action-(\d+)" value="([^"]*)"', read.text)
    }
    keep = ticked[:2]  # the treasurer leaves the last donation out
    confirmed = anna.post(
        f"{page}/statement/confirm",
        data={"csrf": csrf(anna, page), "line": keep, **actions},
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"].endswith("#journal")
    journal = node.service.treasury(node.commons)["journal"]
    assert {e.get("reference") for e in journal} >= {"B-2", "B-3"}
    assert "B-5" not in {e.get("reference") for e in journal}
    french = node.browser("anna")
    french.cookies.set("lang", "fr")
    again = french.post(
        f"{page}/statement",
        data={"csrf": csrf(french, page)},
        files={"statement": ("releve.csv", io.BytesIO(CSV), "text/csv")},
    )
    assert "déjà enregistrée" in htmllib.unescape(again.text)
