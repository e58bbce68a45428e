"""Enterprises: what they build on a commons, their pledge, what they gave (reciprocity
payments counted by the fold, credited work), what they are behind at a given month, and
the charter deciding who uses the commons for free; in the browser and on the command line."""

import html as htmllib
import json
import re

from click.testing import CliRunner

from communs.cli.main import cli
from communs.domain import tasks
from communs.domain.enterprises import balance, behind_on_board, months_between
from communs.node.actions import taskops
from communs.node.home.folder import Actor
from test_credit import Scene
from test_treasury import DAY
from webkit import TrailGuide, csrf, trail_guide


def test_a_pledge_is_owed_for_each_month_over_and_a_payment_counts():
    scene = Scene()
    scene.act(
        scene.dara,
        "enterprise.register",
        {"name": "Vélo Tours", "legal_form": "company", "pledge": 3000},
    )
    scene.act(
        scene.chloe, "enterprise.register", {"name": "Rando Coop", "legal_form": "cooperative"}
    )
    pay = {
        "kind": "reciprocity",
        "amount": 3000,
        "currency": "EUR",
        "date": DAY,
        "enterprise": scene.dara.did,
    }
    scene.act(scene.anna, "ledger.record", pay)
    scene.act(scene.anna, "ledger.record", {**pay, "kind": "donation"})  # not reciprocity
    records = scene.state().records
    tours = records[f"enterprise/{scene.dara.did}"]
    assert tours["paid"] == 3000 and tours["currency"] == "EUR"
    since = tours["since"]
    year, month = map(int, since.split("-"))
    three_later = f"{year + (month + 2) // 12:04d}-{(month + 2) % 12 + 1:02d}"
    assert months_between(since, since) == 0 and months_between(since, three_later) == 3
    free = ["cooperative", "nonprofit"]
    assert balance(tours, free, 0, since)["behind"] == 0  # its first month is not over
    assert balance(tours, free, 0, three_later) == {
        "free": False,
        "due": 9000,
        "paid": 3000,
        "worked": 0,
        "behind": 6000,
    }
    assert balance(tours, free, 5000, three_later)["due"] == 15000  # the charter asks more
    coop = records[f"enterprise/{scene.chloe.did}"]
    assert balance(coop, free, 5000, three_later) == {
        "free": True,
        "due": 0,
        "paid": 0,
        "worked": 0,
        "behind": 0,
    }


def test_enterprises_register_in_the_browser_and_the_command_line_lists_them(tmp_path):
    with trail_guide(tmp_path / "home", TrailGuide) as node:
        node.service.identity_new("velo")
        velo = node.browser("velo")
        page = f"/c/{node.commons}/enterprises"
        made = velo.post(
            page,
            data={
                "csrf": csrf(velo, page),
                "name": "Vélo Tours",
                "legal_form": "company",
                "builds": "Rides",
                "pledge": "30",
            },
        )
        assert made.status_code == 303, made.text
        node.service.ledger_record(
            Actor("anna"), node.commons, "reciprocity", "30", "EUR", DAY, "Vélo Tours", "", "velo"
        )
        shown = htmllib.unescape(node.browser().get(page).text)
        assert "<strong>Vélo Tours</strong>" in shown and "€30.00" in shown
        french = node.browser()
        french.cookies.set("lang", "fr")
        assert "Entreprises qui bâtissent sur Trail guide" in htmllib.unescape(
            french.get(page).text
        )
        refused = velo.post(
            page, data={"csrf": csrf(velo, page), "name": "", "legal_form": "company", "next": page}
        )
        assert refused.status_code == 422 and "name" in htmllib.unescape(refused.text)
        node.service.close()
        listed = CliRunner().invoke(
            cli, ["--home", str(tmp_path / "home"), "enterprise", "list", "Trail guide", "--json"]
        )
        [tours] = json.loads(listed.output)["enterprises"]
        assert (tours["name"], tours["pledge"], tours["paid"]) == ("Vélo Tours", 3000, 3000)
        assert re.fullmatch(r"\d{4}-\d{2}", tours["since"])


def test_an_enterprise_behind_its_pledge_is_a_signal_on_the_board():
    scene = Scene(reciprocity_monthly=1000)
    scene.act(
        scene.dara,
        "enterprise.register",
        {"name": "Vélo Tours", "legal_form": "company", "pledge": 3000},
    )
    scene.act(scene.chloe, "enterprise.register", {"name": "Rando Coop", "legal_form": "company"})
    scene.act(scene.bao, "enterprise.register", {"name": "Asso", "legal_form": "nonprofit"})
    scene.act(
        scene.anna,
        "ledger.record",
        {"kind": "reciprocity", "amount": 1000, "currency": "EUR", "date": DAY,
         "enterprise": scene.chloe.did},
    )  # fmt: skip
    records = scene.state().records
    found = [(k, v) for k, v in records.items() if k.startswith("enterprise/")]
    since = records[f"enterprise/{scene.dara.did}"]["since"]
    assert behind_on_board(found, records["charter"], since) == []  # nothing is due yet
    year, month = map(int, since.split("-"))
    later = f"{year + (month + 1) // 12:04d}-{(month + 1) % 12 + 1:02d}"  # two months on
    behind = behind_on_board(found, records["charter"], later)
    owed = {item["title"]: (item["owed"], item["base"]) for item in behind}
    # Vélo Tours owes two months of its pledge; Rando Coop two of what the charter asks, less
    # the one it paid; the non-profit nothing.
    assert owed == {"Vélo Tours": (6000, 3.0), "Rando Coop": (1000, 2.0)}
    items = tasks.board(records, 0, behind)
    assert [(i["kind"], i["target"]) for i in items] == [
        ("reciprocity", f"enterprise/{scene.dara.did}"),
        ("reciprocity", f"enterprise/{scene.chloe.did}"),
    ]


def test_credited_work_counts_toward_the_pledge_at_the_charters_rate():
    scene = Scene(reciprocity_monthly=1000, reciprocity_per_point=50)
    scene.act(scene.dara, "enterprise.register", {"name": "Vélo Tours", "legal_form": "company"})
    work = scene.propose(scene.dara)  # its developer's contribution, accepted: 10 points
    scene.act(scene.anna, "contribution.accept", {"contribution": work.id, "revision": 0})
    records = scene.state().records
    found = [(k, v) for k, v in records.items() if k.startswith("enterprise/")]
    since = records[f"enterprise/{scene.dara.did}"]["since"]
    year, month = map(int, since.split("-"))
    later = f"{year + (month + 1) // 12:04d}-{(month + 1) % 12 + 1:02d}"  # two months on
    worked = {scene.dara.did: 10}
    [item] = behind_on_board(found, records["charter"], later, worked)
    assert item["owed"] == 2 * 1000 - 10 * 50
    assert (
        behind_on_board(found, records["charter"], later) != []
        and balance(found[0][1], [], 1000, later, 2000)["behind"] == 0
    )  # enough work: nothing owed


def test_the_board_page_shows_an_enterprise_behind_and_links_it(tmp_path, monkeypatch):
    with trail_guide(tmp_path / "home", TrailGuide) as node:
        node.service.identity_new("velo")
        node.service.enterprise_register(Actor("velo"), node.commons, "Vélo Tours", "company",
                                         pledge="30")  # fmt: skip
        board = node.browser().get(f"/c/{node.commons}/board").text
        assert "Vélo Tours" not in board  # its first month is not over
        soon = taskops.now_ms() + 62 * 24 * 3_600_000
        monkeypatch.setattr(taskops, "now_ms", lambda: soon)
        board = htmllib.unescape(node.browser().get(f"/c/{node.commons}/board").text)
        [item] = re.findall(r'<li class="board-item board-reciprocity">.*?</li>', board, re.S)
        assert "Vélo Tours" in item and "owes €" in item
        assert f"/c/{node.commons}/enterprises#did:key:" in item
        french = node.browser()
        french.cookies.set("lang", "fr")
        shown = htmllib.unescape(french.get(f"/c/{node.commons}/board").text)
        assert "en retard sur son engagement de réciprocité" in shown
        listed = node.service.board(node.commons)["items"]
        assert [i["kind"] for i in listed].count("reciprocity") == 1
