"""The command line speaks French when the terminal does (LANG, LC_ALL, LC_MESSAGES,
LANGUAGE): its refusals, from their codes, and its words on being interrupted."""

import json

from click.testing import CliRunner

from communs.cli.main import cli


def run(home, *args, lang="fr_FR.UTF-8"):
    env = {"LANG": lang, "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
    return CliRunner().invoke(cli, ["--home", str(home), *args], env=env)


def test_a_refusal_is_said_in_french_when_the_terminal_is(tmp_path):
    home = tmp_path / "home"
    assert run(home, "id", "new", "--name", "anna").exit_code == 0
    made = run(home, "commons", "create", "--name", "Guide", "--json")
    commons = json.loads(made.stdout)["id"]
    long = "x" * 300
    french = run(home, "task", "open", commons, "--title", long)
    assert french.exit_code != 0
    assert "erreur\u00a0: " in french.stderr and "le titre est trop long" in french.stderr
    english = run(home, "task", "open", commons, "--title", long, lang="en_GB.UTF-8")
    assert "error: " in english.stderr and "too long: at most 200 characters" in english.stderr
