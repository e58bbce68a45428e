"""Personal data kept on the node, never in the log: a person gives a commons where to pay
them, only they and its treasurers see it (each read noted for the person), they download it
and erase it for good — from the service, the API, the command line and the browser."""

import html as htmllib
import json
import sqlite3
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from communs.cli.main import cli
from communs.core.errors import BadInput, Refused
from communs.node.home.folder import Actor
from communs.node.home.lock import ensure_token
from webkit import TrailGuide, csrf, ink_owed_to_bao, trail_guide

IBAN = "FR7630006000011234567890189"
PRINTED = "FR76 3000 6000 0112 3456 7890 189"


@pytest.fixture
def node(tmp_path) -> Iterator[TrailGuide]:
    """anna (maintainer, so treasurer) approved bao's 12.50 EUR expense: the treasury owes
    bao."""
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        ink_owed_to_bao(made)
        yield made


def code_of(call, *args) -> str:
    with pytest.raises((BadInput, Refused)) as caught:
        call(*args)
    return caught.value.code


def test_only_the_person_and_the_treasurers_see_it_and_the_person_sees_who_looked(node):
    s, bao, anna = node.service, Actor("bao"), Actor("anna")
    kept = s.personal_set(bao, node.commons, {"legal_name": "Bao Tran", "iban": IBAN.lower()})
    assert kept["fields"] == ["iban", "legal_name"]
    mine = s.personal(bao, node.commons)
    assert mine["fields"] == {"legal_name": "Bao Tran", "iban": PRINTED}
    assert mine["reads"] == [] and [k["name"] for k in mine["keepers"]] == ["anna"]

    s.identity_new("carla")
    assert code_of(s.personal, Actor("carla"), node.commons, node.bao) == "not_a_keeper"
    assert code_of(s.payees, Actor("carla"), node.commons) == "not_a_keeper"
    assert code_of(s.payees, bao, node.commons) == "not_a_keeper"

    owed = s.payees(anna, node.commons)["payees"]
    assert owed == [
        {"payee": node.bao, "name": "bao", "owed": {"EUR": 1250}, "fields": mine["fields"]}
    ]
    assert s.personal(anna, node.commons, node.bao)["fields"]["iban"] == PRINTED
    reads = s.personal(bao, node.commons)["reads"]
    assert [(r["reader"], r["name"]) for r in reads] == [(node.anna, "anna")] * 2


def test_nothing_of_it_enters_the_log(node, tmp_path):
    store, cid = node.service.home.store, node.service.home.cid(bytes.fromhex(node.commons))
    before = store.events_count(cid)
    node.service.personal_set(Actor("bao"), node.commons, {"iban": IBAN, "phone": "+33 6 12"})
    assert store.events_count(cid) == before  # no event signed
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file() and path.name not in ("local.db", "local.db-wal", "local.db-shm"):
            assert b"30006000011234567890189" not in path.read_bytes().replace(b" ", b""), path


def test_bad_details_are_refused_with_what_to_write_and_keep_nothing(node):
    s, bao = node.service, Actor("bao")
    s.personal_set(bao, node.commons, {"legal_name": "Bao Tran"})
    for fields, expected in (
        ({"iban": "FR76 3000 6000 0112 3456 7890 188"}, "not_an_iban"),
        ({"bic": "NOPE"}, "not_a_bic"),
        ({"email": "bao at home"}, "not_an_email"),
        ({"phone": "call me"}, "not_a_phone"),
        ({"shoe_size": "42"}, "no_personal_field"),
        ({"legal_name": "x" * 201}, "personal_too_long"),
        ({"legal_name": "Someone Else", "iban": "FR00"}, "not_an_iban"),
    ):
        assert code_of(s.personal_set, bao, node.commons, fields) == expected
    assert s.personal(bao, node.commons)["fields"] == {"legal_name": "Bao Tran"}
    s.personal_set(bao, node.commons, {"legal_name": ""})  # empty: removed
    assert s.personal(bao, node.commons)["fields"] == {}


def test_a_person_downloads_it_and_erases_it_for_good(node, tmp_path):
    s, bao, anna = node.service, Actor("bao"), Actor("anna")
    s.personal_set(bao, node.commons, {"iban": IBAN, "address": "3 rue du Port, Brest"})
    s.personal(anna, node.commons, node.bao)
    held = s.personal_export(bao)["held"]
    assert len(held) == 1 and held[0]["fields"]["iban"]["value"] == PRINTED
    assert [r["reader"] for r in held[0]["reads"]] == [node.anna]

    assert s.personal_erase(bao, node.commons)["erased"] == 2
    assert s.personal_export(bao)["held"] == []
    assert s.payees(anna, node.commons)["payees"][0]["fields"] == {}
    s.close()
    for name in ("local.db", "local.db-wal"):
        path = tmp_path / "home" / name
        if path.exists():
            assert b"rue du Port" not in path.read_bytes(), name
    rows = sqlite3.connect(tmp_path / "home" / "local.db").execute("SELECT * FROM personal")
    assert rows.fetchall() == []


def test_the_api_asks_for_the_token_even_to_read(node):
    from webkit import TestClient

    client = TestClient(node.app, client=("127.0.0.1", 50000))
    url = f"/api/commons/{node.commons}/personal"
    assert client.post(f"{url}/read", json={"as": "bao"}).status_code == 401
    client.headers["Authorization"] = f"Bearer {ensure_token(node.service.home.path)}"
    kept = client.post(url, json={"as": "bao", "fields": {"iban": IBAN}})
    assert kept.status_code == 200, kept.text
    refused = client.post(url, json={"as": "bao", "fields": {"iban": "FR00"}})
    assert (refused.status_code, refused.json()["code"]) == (400, "not_an_iban")
    read = client.post(f"{url}/read", json={"as": "anna", "person": node.bao}).json()
    assert read["fields"] == {"iban": PRINTED}
    payees = client.post(f"/api/commons/{node.commons}/payees/read", json={"as": "anna"}).json()
    assert payees["payees"][0]["fields"] == {"iban": PRINTED}
    exported = client.post("/api/personal/export", json={"as": "bao"}).json()
    assert exported["held"][0]["commons"] == node.commons


def test_the_command_line_keeps_shows_and_erases_them(node, tmp_path):
    home = ["--home", str(tmp_path / "home")]
    node.service.close()
    run = CliRunner()
    kept = run.invoke(
        cli, [*home, "--as", "bao", "personal", "set", "Trail guide", "--iban", IBAN,
              "--legal-name", "Bao Tran"],
    )  # fmt: skip
    assert kept.exit_code == 0 and "iban, legal_name" in kept.output, kept.output
    bad = run.invoke(cli, [*home, "--as", "bao", "personal", "set", "Trail guide", "--bic", "X"])
    assert bad.exit_code != 0 and "is not a BIC" in bad.output
    payees = run.invoke(cli, [*home, "--as", "anna", "personal", "payees", "Trail guide"])
    assert payees.exit_code == 0 and PRINTED in payees.output and "12.50" in payees.output
    shown = run.invoke(cli, [*home, "--as", "bao", "personal", "show", "Trail guide"])
    assert "Bao Tran" in shown.output and "anna" in shown.output, shown.output
    exported = json.loads(run.invoke(cli, [*home, "--as", "bao", "personal", "export"]).output)
    assert exported["held"][0]["fields"]["legal_name"]["value"] == "Bao Tran"
    erased = run.invoke(cli, [*home, "--as", "bao", "personal", "erase", "Trail guide", "--yes"])
    assert erased.exit_code == 0 and "2" in erased.output
    gone = run.invoke(cli, [*home, "--as", "bao", "personal", "show", "Trail guide", "--json"])
    assert json.loads(gone.output)["fields"] == {}


def test_the_browser_keeps_them_and_shows_a_treasurer_where_to_pay(node):
    bao, anna = node.browser("bao"), node.browser("anna")
    page = f"/c/{node.commons}/treasury/details"
    assert node.browser().get(page).status_code == 303  # sign in first
    assert page in bao.get(f"/c/{node.commons}/treasury").text
    kept = bao.post(page, data={"csrf": csrf(bao, page), "legal_name": "Bao Tran", "iban": IBAN})
    assert kept.status_code == 303, kept.text
    refused = bao.post(page, data={"csrf": csrf(bao, page), "iban": "FR00 1234"})
    assert refused.status_code == 400 and "is not an IBAN" in htmllib.unescape(refused.text)
    assert 'value="FR00 1234"' in refused.text  # what was typed comes back to be corrected
    shown = bao.get(page)
    assert shown.headers["cache-control"] == "no-store"
    assert f'value="{PRINTED}"' in shown.text and "Where to pay people" not in shown.text

    treasurer = anna.get(page)
    assert "Where to pay people" in treasurer.text and PRINTED in treasurer.text
    assert "Bao Tran" in treasurer.text and "€12.50" in htmllib.unescape(treasurer.text)
    french = node.browser("bao")
    french.cookies.set("lang", "fr")
    lu = htmllib.unescape(french.get(page).text)
    assert "Qui les a lues" in lu and "anna" in lu

    download = bao.get("/me/personal.json")
    assert download.headers["cache-control"] == "no-store"
    assert "attachment" in download.headers["content-disposition"]
    assert download.json()["held"][0]["fields"]["iban"]["value"] == PRINTED
    erased = bao.post(f"{page}/erase", data={"csrf": csrf(bao, page)})
    assert erased.status_code == 303
    assert node.service.personal(Actor("bao"), node.commons)["fields"] == {}
