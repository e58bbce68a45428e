"""Governance from the terminal: a proposal changes the charter when it passes; hidden
ballots stay secret until the close, late ones do not count."""

import json

import pytest
from click.testing import CliRunner

from communs.cli.main import cli


@pytest.fixture
def run(tmp_path):
    """``communs --home TMP ARGS``: its output, once its exit code is ``code``."""
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--home", str(tmp_path), *args])
        assert result.exit_code == code, (args, result.output)
        return result.stdout.strip()

    return run


def test_a_proposal_adds_a_maintainer_and_a_hidden_poll_is_settled(run):
    run("id", "new", "--name", "anna")
    bao = run("id", "new", "--name", "bao")
    commons = run("commons", "create", "--name", "Gov")
    welcome = run(
        "proposal",
        "open",
        commons,
        "--kind",
        "maintainer",
        "--title",
        "Welcome bao",
        "--add-maintainer",
        bao,
    )
    run("proposal", "vote", commons, welcome[:8], "yes")
    run("proposal", "vote", commons, welcome, "maybe", code=1)  # not a ballot: refused
    run(
        "proposal", "close", commons, welcome, "--outcome", "bao joins", "--review-on", "2027-06-01"
    )
    closed = json.loads(run("proposal", "show", commons, welcome, "--json"))
    assert closed["review_at"] == 1811808000000  # 2027-06-01 UTC
    maintainers = json.loads(run("commons", "show", commons, "--json"))["maintainers"]
    assert bao in [m["did"] for m in maintainers]

    poll = run(
        "proposal",
        "open",
        commons,
        "--title",
        "Picnic day",
        "--method",
        "single_choice",
        "--option",
        "Sat",
        "--option",
        "Sun",
        "--hidden",
        "--closes-in",
        "0",
    )
    # Out of range: refused before anything is committed, as an open poll refuses it.
    run("proposal", "vote", commons, poll, "7", "--as", "bao", code=1)  # then 2 commitments
    run("proposal", "vote", commons, poll, "1", "--as", "bao")
    run("proposal", "vote", commons, poll, "1")
    hidden = json.loads(run("proposal", "show", commons, poll, "--json"))
    assert hidden["ballots"] == {} and len(hidden["commitments"]) == 2  # nobody can read them
    run("proposal", "close", commons, poll)
    run("proposal", "vote", commons, poll, "0", "--as", "bao", code=1)  # too late
    run("proposal", "reveal", commons, poll, "--as", "bao")
    run("proposal", "reveal", commons, poll)
    run("proposal", "settle", commons, poll, "--outcome", "Sunday")
    settled = json.loads(run("proposal", "show", commons, poll, "--json"))
    assert settled["state"] == "settled" and settled["result"]["winners"] == ["Sun"]
    history = json.loads(run("charter", "history", commons, "--json"))
    assert [e["type"] for e in history][:2] == ["commons.create", "proposal.open"]


def test_a_lost_decision_becomes_a_fork_with_its_change(run):
    run("id", "new", "--name", "anna")
    run("id", "new", "--name", "bao")
    dara = run("id", "new", "--name", "dara")
    commons = run("commons", "create", "--name", "Gov")
    lost = run(
        "proposal",
        "open",
        commons,
        "--kind",
        "maintainer",
        "--title",
        "Add dara",
        "--add-maintainer",
        dara,
        "--closes-in",
        "0",
        "--as",
        "bao",
    )
    run("proposal", "vote", commons, lost, "no")
    run("proposal", "close", commons, lost)
    assert json.loads(run("proposal", "show", commons, lost, "--json"))["state"] == "failed"
    fork = run("proposal", "fork", commons, lost, "--name", "Gov (with bao)", "--as", "bao")
    maintainers = [
        m["did"] for m in json.loads(run("commons", "show", fork, "--json"))["maintainers"]
    ]
    assert dara in maintainers  # the change the parent refused holds in the fork
    lineage = json.loads(run("commons", "lineage", fork, "--json"))
    assert lineage["ancestors"][0]["id"] == commons
