"""A decided round settled in one step once the transfers are made, and an enterprise's
pledge changed and its reciprocity recorded: from the browser, the command line and the
service, each refused to the wrong person with its code."""

import html as htmllib
import json
import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from communs.cli.main import cli
from communs.core.errors import NotFound, Refused
from communs.node.home.folder import Actor
from test_web_treasury import accepted
from webkit import TrailGuide, csrf, trail_guide


@pytest.fixture
def node(tmp_path) -> Iterator[TrailGuide]:
    """bao's two contributions accepted by anna (treasurer): a 22.00 EUR round decided,
    20.00 owed to bao, 2.00 to anna (her reviews)."""
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        s, anna = made.service, Actor("anna")
        s.ledger_record(anna, made.commons, "donation", "50", "EUR", "2026-11-30", "Café")
        accepted(made, "bao", "Map")
        accepted(made, "bao", "Legend")
        round_ = s.distribution_propose(anna, made.commons, "First round", "22", "EUR")
        vote = s.proposal_open(
            anna, made.commons, "Pay it", kind="distribution", about=round_["id"],
            closes_in_hours=0,
        )  # fmt: skip
        s.proposal_act(Actor("bao"), made.commons, vote["id"], "vote", ballot="yes")
        s.proposal_act(anna, made.commons, vote["id"], "close")
        made.round = round_["id"]  # type: ignore[attr-defined]
        yield made


def owed(node) -> dict[str, int]:
    money = node.service.treasury(node.commons)["balances"]["EUR"]
    return {k: v for k, v in money.items() if k.startswith("liabilities:") and v}


def test_a_round_is_settled_once_from_the_browser(node):
    assert owed(node) == {
        f"liabilities:payable:{node.bao}": -2000,
        f"liabilities:payable:{node.anna}": -200,
    }
    refused = node.service.distribution_settle
    with pytest.raises(Refused) as caught:
        refused(Actor("bao"), node.commons, node.round, "2026-12-04")
    assert caught.value.code == "not_treasurer"
    anna, page = node.browser("anna"), f"/c/{node.commons}/treasury"
    assert f"/distributions/{node.round}/settle" in anna.get(page).text
    assert f"/distributions/{node.round}/settle" not in node.browser("bao").get(page).text
    settled = anna.post(
        f"/c/{node.commons}/distributions/{node.round}/settle",
        data={"csrf": csrf(anna, page), "reference": "VIR 0412"},
    )
    assert settled.status_code == 303, settled.text
    assert owed(node) == {}
    money = node.service.treasury(node.commons)["balances"]["EUR"]
    assert money["assets:bank"] == 5000 - 2200
    journal = node.service.treasury(node.commons)["journal"]
    assert [e["reference"] for e in journal if e["kind"] == "payout"] == ["VIR 0412"] * 2
    again = node.service.distribution_settle(Actor("anna"), node.commons, node.round, "2026-12-05")
    assert again["paid"] == []  # nothing owed any more: nothing paid twice


def test_a_share_waived_or_paid_already_is_left_and_the_rest_settled(node, tmp_path):
    s = node.service
    s.distribution_waive(Actor("anna"), node.commons, node.round)
    s.ledger_payout(Actor("anna"), node.commons, "bao", "5", "EUR", "2026-12-01", "part")
    home = ["--home", str(tmp_path / "home")]
    s.close()
    run = CliRunner()
    made = run.invoke(cli, [*home, "--as", "anna", "distribution", "settle", "Trail guide",
                            node.round[:8], "--json"])  # fmt: skip
    assert made.exit_code == 0, made.output
    paid = json.loads(made.output)["paid"]
    assert [(p["payee"], p["amount"]) for p in paid] == [(node.bao, 1500)]
    proposed = run.invoke(
        cli, [*home, "--as", "anna", "distribution", "propose", "Trail guide", "--title",
              "Next", "--budget", "10", "--json"],
    )  # fmt: skip
    rid = json.loads(proposed.output)["id"]
    early = run.invoke(cli, [*home, "--as", "anna", "distribution", "settle", "Trail guide", rid])
    assert (
        early.exit_code == 1
        and "cannot pay out the shares of a distribution round that is" in early.stderr
    )


def test_an_enterprise_changes_its_pledge_and_a_treasurer_records_what_it_paid(node, tmp_path):
    s = node.service
    s.identity_new("velo")
    home = ["--home", str(tmp_path / "home")]
    s.close()
    run = CliRunner()
    lost = run.invoke(cli, [*home, "--as", "velo", "enterprise", "pledge", "Trail guide", "45"])
    assert lost.exit_code == 1 and "has not registered as an enterprise" in lost.stderr
    for argv in (
        ["--as", "velo", "enterprise", "register", "Trail guide", "--name", "Vélo Tours",
         "--legal-form", "company", "--builds", "guided rides", "--pledge", "30"],
        ["--as", "velo", "enterprise", "pledge", "Trail guide", "45"],
        ["--as", "anna", "enterprise", "pay", "Trail guide", "Vélo Tours", "--amount", "45",
         "--reference", "VT-11"],
    ):  # fmt: skip
        done = run.invoke(cli, [*home, *argv])
        assert done.exit_code == 0, (argv, done.output)
    stranger = run.invoke(cli, [*home, "--as", "bao", "enterprise", "pay", "Trail guide",
                                "Vélo Tours", "--amount", "1"])  # fmt: skip
    assert stranger.exit_code == 1 and "only the treasurers" in stranger.stderr
    listed = json.loads(
        run.invoke(cli, [*home, "enterprise", "list", "Trail guide", "--json"]).output
    )
    [tours] = listed["enterprises"]
    assert (tours["pledge"], tours["builds"], tours["paid"]) == (4500, "guided rides", 4500)


def test_the_service_says_who_is_no_enterprise(node):
    with pytest.raises(NotFound) as caught:
        node.service.enterprise_pledge(Actor("bao"), node.commons, "10")
    assert caught.value.code == "not_an_enterprise"


def test_a_persons_credit_page_says_what_it_paid_back(node):
    s = node.service
    s.distribution_waive(Actor("anna"), node.commons, node.round)
    bao = s.credit_of(node.commons, "bao")
    assert bao["money"] == {"EUR": {"shared": 2000, "owed": 2000}}
    [share] = bao["shares"]
    assert (share["title"], share["amount"], share["state"]) == ("First round", 2000, "approved")
    assert s.credit_of(node.commons, "anna")["shares"][0]["state"] == "waived"
    s.distribution_settle(Actor("anna"), node.commons, node.round, "2026-12-04")
    page = node.browser().get(f"/c/{node.commons}/credit/bao")
    shown = re.sub(r"\s+", " ", htmllib.unescape(page.text))
    assert "What credit paid back" in shown
    assert "Shares of rounds: €20.00 · owed by the treasury now: €0.00" in shown
    assert "First round" in shown and "decided" in shown
