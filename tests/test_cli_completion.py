"""Shell completion: click's protocol, run as a shell runs it (a process with COMP_WORDS and
COMP_CWORD), completes commands, and the commons of the home where a command takes one."""

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from communs.cli.main import cli
from communs.cli.reference import commands


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A home holding "Trail guide" and "Bird songs"."""
    made = tmp_path_factory.mktemp("completion") / "home"
    runner = CliRunner()
    for args in (
        ["id", "new", "--name", "anna"],
        ["commons", "create", "--name", "Trail guide"],
        ["commons", "create", "--name", "Bird songs"],
    ):
        result = runner.invoke(cli, ["--home", str(made), *args])
        assert result.exit_code == 0, result.output
    return made


def complete(line: str, shell: str = "bash", **env: str) -> list[str]:
    """What the shell is offered for the last word of ``line`` ("" after a space)."""
    words = line.split(" ")
    done = subprocess.run(
        [sys.executable, "-m", "communs"],
        env={
            **os.environ,
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
            "_COMMUNS_COMPLETE": f"{shell}_complete",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    if shell == "bash":  # "plain,VALUE" per line
        return [line.split(",", 1)[1] for line in done.stdout.splitlines() if line]
    return done.stdout.splitlines()[1::3]  # zsh: type, value, help


def test_the_shell_completes_commands_and_the_commons_of_the_home(home):
    for shell in ("bash", "zsh", "fish"):  # the scripts docs/cli.md tells people to load
        script = subprocess.run(
            [sys.executable, "-m", "communs"],
            env={**os.environ, "_COMMUNS_COMPLETE": f"{shell}_source"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "_COMMUNS_COMPLETE" in script.stdout, (shell, script.stderr)
    assert {"commons", "comment", "contribution"} <= set(complete("communs co"))
    assert "list" in complete("communs contribution l")

    # a commons argument, by name (quoted for bash) or by id
    assert complete(f"communs --home {home} commons show Tr") == ["'Trail guide'"]
    offered = complete(f"communs --home {home} contribution list ")
    assert {"'Trail guide'", "'Bird songs'"} <= set(offered)
    assert complete(f"communs --home {home} commons show tr", shell="zsh") == ["Trail guide"]
    ids = CliRunner().invoke(cli, ["--home", str(home), "commons", "list", "--json"]).stdout
    bird = next(c["id"] for c in json.loads(ids) if c["name"] == "Bird songs")
    assert complete(f"communs --home {home} task board {bird[:3]}") == [bird[:12]]

    # --home after the command, $COMMUNS_HOME, and a --commons option
    assert complete(f"communs task list --home {home} Bi") == ["'Bird songs'"]
    assert complete("communs fork Tr", COMMUNS_HOME=str(home)) == ["'Trail guide'"]
    assert complete(f"communs blob missing --home {home} --commons Bi") == ["'Bird songs'"]
    # a home that is not there: nothing offered, nothing printed, no home made
    assert complete(f"communs --home {home}-none commons show T") == []
    assert not home.with_name("home-none").exists()


def test_every_commons_a_command_takes_is_completed(home):
    lacking = []
    for name, command in commands(cli):
        for param in command.params:
            if param.name != "commons":
                continue
            ctx = click.Context(command, info_name=name)
            ctx.meta["communs.home_path"] = str(home)
            offered = {item.value for item in param.shell_complete(ctx, "Tra")}
            if offered != {"Trail guide"}:
                lacking.append(f"communs {name} {param.human_readable_name}")
    assert lacking == []


def test_the_reference_says_how_to_turn_completion_on():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "cli.md").read_text()
    for shell in ("bash_source", "zsh_source", "fish_source"):
        assert f"_COMMUNS_COMPLETE={shell} communs" in text
