"""Refusals people can act on: an ambiguous id lists what it matches, a value of the wrong
kind names the option and what it takes, never the event schema's words."""

import re

import pytest
from click.testing import CliRunner

from communs.cli.main import cli

SCHEMA_WORDS = re.compile(r"Expected `|- at `|\$\.|does not fit its schema")


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    home = tmp_path / "home"

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--home", str(home), *args])
        assert result.exit_code == code, (args, result.output, result.exception)
        return result.stdout if code == 0 else result.stderr

    invoke.tmp = tmp_path
    return invoke


@pytest.fixture
def guide(run):
    run("id", "new", "--name", "anna")
    return run("commons", "create", "--name", "Trail guide", "--kind", "text").strip()


def sharing_a_prefix(make, limit: int = 40) -> tuple[str, list[tuple[str, str]]]:
    """Make objects (``make(i)`` → (id, title)) until two ids share a first character; that
    character and the objects sharing it."""
    made: dict[str, list[tuple[str, str]]] = {}
    for index in range(limit):
        ident, title = make(index)
        made.setdefault(ident[0], []).append((ident, title))
        if len(made[ident[0]]) == 2:
            return ident[0], made[ident[0]]
    raise AssertionError("17 ids always share a first character")


def test_an_ambiguous_contribution_or_task_prefix_lists_what_it_matches(run, guide):
    source = run.tmp / "g.md"

    def contribution(index: int) -> tuple[str, str]:
        source.write_text(f"version {index}\n")
        title = f"Draft {index}"
        made = run("contribution", "propose", guide, "--title", title, "--put", f"g.md={source}")
        return made.strip(), title

    prefix, both = sharing_a_prefix(contribution)
    for command in (("contribution", "show"), ("contribution", "accept")):
        said = run(*command, guide, prefix, code=2)
        assert f"'{prefix}' matches several contributions (" in said, said
        for ident, title in both:
            assert f"{ident[:12]} {title}" in said
        assert "give more characters" in said

    def task(index: int) -> tuple[str, str]:
        title = f"Map part {index}"
        return run("task", "open", guide, "--title", title).strip(), title

    prefix, both = sharing_a_prefix(task)
    for command in (("task", "show"), ("task", "claim")):
        said = run(*command, guide, prefix, code=2)
        assert f"'{prefix}' matches several tasks (" in said, said
        for ident, title in both:
            assert f"{ident[:12]} {title}" in said

    # A prefix that matches nothing is not ambiguous: nothing to list, and exit 1.
    assert "matches several" not in run("task", "show", guide, "0123456789", code=1)


def test_a_value_of_the_wrong_kind_names_the_option_and_what_it_takes(run, guide):
    rule = 'contribution={"method": {"name": "majority", "quorum": "three"}}'
    charter = ["proposal", "open", guide, "--kind", "charter", "--title", "A rule"]
    cases = [
        ([*charter, "--set-rule", rule], ["--set-rule: quorum", "whole number"]),
        ([*charter, "--set-rule", "contribution=by_lot"], ["'by_lot' is not a method", "majority"]),
        ([*charter, "--set", "threshold=two"], ["threshold must be a whole number"]),
        ([*charter, "--set", "threshold=0"], ["threshold is at least 1"]),
        (
            ["proposal", "open", guide, "--title", "Dara", "--add-maintainer", "bob"],
            ["nobody named 'bob' takes part in this commons", "people here: anna"],
        ),
        (["maintainer", "add", guide, "bob"], ["nobody named 'bob'", "people here: anna"]),
        (["maintainer", "add", guide, "did:key:bob"], ["PERSON: 'did:key:bob' is not a did:key"]),
        (["task", "open", guide, "--title", "x" * 300], ["--title ", "at most 200 characters"]),
        (["proposal", "open", guide, "--title", ""], ["--title ", "empty"]),
        (
            ["proposal", "open", guide, "--title", "Poll", "--method", "single_choice"]
            + ["--option", "y" * 300, "--option", "b"],
            ["--option ", "at most 200 characters"],
        ),
    ]
    for args, expected in cases:
        result = CliRunner().invoke(cli, ["--home", str(run.tmp / "home"), *args])
        assert result.exit_code in (1, 2), (args, result.output)
        for words in expected:
            assert words in result.stderr, (args, result.stderr)
        assert not SCHEMA_WORDS.search(result.stderr), (args, result.stderr)

    task = run("task", "open", guide, "--title", "Map the north trail").strip()
    run("task", "claim", guide, task)
    said = run("task", "done", guide, task, "--comment", "y" * 30_000, code=1)
    assert "--comment " in said and "at most 20000 characters" in said
    assert not SCHEMA_WORDS.search(said)


def test_msgspec_words_from_the_node_are_said_of_the_options_too():
    """A node whose domain words a mismatch as msgspec does (before domain/plain.py)."""
    from communs.cli import governance
    from communs.cli.refusals import plain_refusal
    from communs.core.errors import InvalidEvent

    command = governance.proposal_group.commands["open"]
    schema = "body of proposal.open does not fit its schema: "
    said = {
        "Expected `int`, got `str` - at `$.effect.rule.method.quorum`": (
            {"set_rule": "x"},
            "--set-rule: quorum must be a whole number",
        ),
        "Expected `str` of length <= 200 - at `$.title`": (
            {},
            "--title is too long: at most 200 characters",
        ),
        "did: 'bob' is not a did:key identity - at `$.effect`": (
            {"add_maintainer": "bob"},
            "--add-maintainer: 'bob' is not a did:key identity",
        ),
    }
    for words, (given, plain) in said.items():
        assert plain_refusal(InvalidEvent(schema + words), command, given) == plain
    unchanged = InvalidEvent("this identity is not a maintainer")
    assert plain_refusal(unchanged, command, {}) == str(unchanged)


def test_a_proposal_closing_beyond_the_calendar_is_shown_not_a_crash(run, guide):
    made = run("proposal", "open", guide, "--title", "Forever", "--closes-in", "1e12").strip()
    shown = run("proposal", "show", guide, made[:8])
    assert "Forever  [open]" in shown and "closes far in the future" in shown
