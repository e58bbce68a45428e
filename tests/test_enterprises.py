"""Enterprises: what they build on a commons, their pledge, what they gave (reciprocity
payments counted by the fold, credited work), what they are behind at a given month, and
the charter deciding who uses the commons for free; in the browser and on the command line."""

import html as htmllib
import json
import re

from click.testing import CliRunner

from communs.cli.main import cli
from communs.domain.enterprises import balance, months_between
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
        "behind": 6000,
    }
    assert balance(tours, free, 5000, three_later)["due"] == 15000  # the charter asks more
    coop = records[f"enterprise/{scene.chloe.did}"]
    assert balance(coop, free, 5000, three_later) == {
        "free": True,
        "due": 0,
        "paid": 0,
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
