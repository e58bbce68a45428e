"""The command line speaks French when the terminal does (LANG, LC_ALL, LC_MESSAGES,
LANGUAGE): its refusals, from their codes, its words on being interrupted, and every line it
prints for people — tables, summaries, hints — from the catalogue (`said`, `said_n`)."""

import json
import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po
from click.testing import CliRunner

from communs import i18n
from communs.cli.base import said, said_n
from communs.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "src" / "communs" / "cli"


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


# -- what the command line prints, in French ----------------------------------------------------


def cli_messages() -> list[str | tuple[str, ...]]:
    """The messages of cli/*.py, as Babel extracts them with the project's keywords."""
    mappings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["babel"]["mappings"]
    spec = next(m["keywords"] for m in mappings if m["method"] == "python")
    keywords = dict(DEFAULT_KEYWORDS)
    for word in spec.split():
        name, _, places = word.partition(":")
        keywords[name] = tuple(int(p) for p in places.split(",")) if places else None
    found = []
    for path in sorted(CLI.glob("*.py")):
        for _, message, _, _ in extract_from_file("python", path, keywords=keywords):
            found.append(message)
    return found


def test_the_command_line_marks_its_words_for_the_catalogue_and_french_has_them():
    messages = cli_messages()
    with (i18n.LOCALE / "fr" / "LC_MESSAGES" / "communs.po").open("rb") as f:
        held = {m.id: m for m in read_po(f)}
    marked = {m if isinstance(m, str) else m[0] for m in messages}
    for english in ("No commons yet: communs commons create --name NAME", "{n} head", "STATE"):
        assert english in marked
    untranslated = []
    for message in messages:
        entry = held.get(message)
        strings = entry.string if entry else None
        parts = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(parts):
            untranslated.append(message)
    assert untranslated == [], "merge the French of these into the .po"


def english_pieces() -> dict[str, str]:
    """What a French reader must not see of the command line's English: each message cut at
    its fields, the pieces the French does not say as well (``ID`` is ``ID``), of two words or
    more (a word alone may be the data's: a state, a title), or a table's header; by the
    message they come from."""
    french = i18n.translator("fr")
    pieces = {}
    for message in cli_messages():
        forms = (message,) if isinstance(message, str) else message
        if isinstance(message, str):
            translated = [french(message)]
        else:
            translated = [french.plural(message[0], message[1], n) for n in (1, 2)]
        for form in forms:
            for piece in re.split(r"\{[^}]*\}", form):
                piece = piece.strip(" .,:;'()…—-[]←×")
                if not re.search(r"[A-Za-z]{4,}", piece) or any(piece in t for t in translated):
                    continue
                if len(piece.split()) >= 2 or piece.isupper():
                    pieces[piece] = form
    return pieces


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo home, and the ids of its first commons, a task and an open contribution."""
    home = tmp_path_factory.mktemp("demo")
    made = json.loads(run(home, "demo", "--json", lang="en_GB.UTF-8").stdout)
    commons = made["commons"][0]["id"]
    tasks = json.loads(run(home, "task", "list", commons, "--json").stdout)
    contributions = json.loads(run(home, "contribution", "list", commons, "--json").stdout)
    task = next(t["id"] for t in tasks if t["claimed_by"])
    contribution = next(c["id"] for c in contributions if c["state"] == "open")
    return home, commons, task, contribution


def test_the_reads_of_the_command_line_are_french_when_the_terminal_is(demo):
    home, commons, task, contribution = demo
    french = {  # a command, and words of its French
        ("commons", "list"): ["NOM", "ÉVÉNEMENTS", "bifurcation de "],
        ("commons", "show", commons): ["mainteneurs\u00a0: ", "empreinte de l’état ", "\u00a0tête"],
        ("contribution", "list", commons): ["ÉTAT", "AUTEUR", "TITRE"],
        ("contribution", "show", commons, contribution): ["révision 1"],
        ("task", "list", commons): ["PRISE PAR", "TITRE"],
        ("task", "show", commons, task): ["ouverte par ", "prise en charge par "],
        ("task", "board", commons): ["CHALEUR", "QUOI"],
        ("charter", "show", commons): ["règles (comment chaque type de décision est pris)"],
        ("artifact", "list", commons): ["CHEMIN", "OCTETS"],
        ("artifact", "history", commons, "guide.md"): ["\u00a0octets)"],
        ("proposal", "list", commons): ["ÉTAT", "MÉTHODE"],
        ("expense", "list", commons): ["MONTANT", "en attente d’approbation", "payée et reçue"],
        ("ledger", "show", commons): ["DE / RÉFÉRENCE", "dû à "],
        ("credit", "list", commons): ["PERSONNE", "total\u00a0: "],
        ("peer", "list"): ["Aucun pair pour l’instant\u00a0: communs peer add"],
        ("status",): ["dossier ", "communs suivis"],
    }
    english = english_pieces()
    for args, words in french.items():
        result = run(home, *args)
        assert result.exit_code == 0, (args, result.output)
        for word in words:
            assert word in result.stdout, (args, word, result.stdout)
        for piece, message in english.items():
            shown = re.search(rf"\b{re.escape(piece)}\b", result.output)
            assert shown is None, (args, f"{piece!r} (of {message!r}) shows in English")


def test_the_english_of_the_command_line_says_its_plurals(demo):
    home, commons, _, _ = demo
    shown = run(home, "commons", "show", commons, lang="en_GB.UTF-8").stdout
    assert re.search(r"\n  1 artifact; contributions: \d+ open", shown), shown
    assert re.search(r"\n  \d+ events, 1 head: [0-9a-f]{12}\n", shown), shown
    assert "(s)" not in run(home, "status", lang="en_GB.UTF-8").stdout


def test_said_fills_fields_after_translation(monkeypatch):
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert said("forked from {id}", id="3fa2") == "forked from 3fa2"
    assert said_n("{n} head", "{n} heads", 1) == "1 head"
    assert said_n("{n} head", "{n} heads", 3) == "3 heads"
    assert said("{ref} and {text}") == "{ref} and {text}"  # no fields: the text as it is
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert said("forked from {id}", id="3fa2") == i18n.translator("fr")(
        "forked from {id}", id="3fa2"
    )
    assert said_n("{n} head", "{n} heads", 0) == i18n.translator("fr").ngettext(
        "{n} head", "{n} heads", 0
    )
