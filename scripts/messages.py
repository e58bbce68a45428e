"""The message catalogues, with Babel: extract what people read, update the translations, check.

    python3 scripts/messages.py update   # extract into communs.pot and merge it into each .po
    python3 scripts/messages.py check    # fail when a message lacks a translation or is stale

Messages are found by the `[tool.babel]` mappings of pyproject.toml. Translators edit
`src/communs/locale/<lang>/LC_MESSAGES/communs.po` with any gettext tool (Poedit, Weblate...);
the `.mo` files are compiled when the package is built or installed (setup.py).
"""

import os
import sys
import tempfile
from pathlib import Path
from string import Formatter

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "src" / "communs" / "locale"
TEMPLATE = LOCALE / "communs.pot"


def pybabel(*args: str) -> None:
    """Babel's own command line, from the project's root (the catalogue names files from
    there)."""
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        CommandLineInterface().run(["pybabel", "-q", *args])
    finally:
        os.chdir(here)


def extract(into: Path) -> None:
    pybabel(
        "extract",
        "--mapping-file", str(ROOT / "pyproject.toml"),
        "--sort-by-file",
        "--add-comments", "TRANSLATORS:",
        "--project", "Communs",
        "--msgid-bugs-address", "https://communs.invalid/issues",
        "--output-file", str(into),
        ".",
    )  # fmt: skip


def catalogues() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/communs.po"))


def update() -> None:
    extract(TEMPLATE)
    pybabel("update", "--input-file", str(TEMPLATE), "--output-dir", str(LOCALE),
            "--domain", "communs", "--ignore-obsolete", "--no-wrap")  # fmt: skip


def problems() -> list[str]:
    """What a translator still has to do, one line per message and language."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "communs.pot"
        extract(fresh)
        with fresh.open("rb") as f:
            wanted = {m.id for m in read_po(f) if m.id}
    found = []
    for path in catalogues():
        lang = path.parent.parent.name
        with path.open("rb") as f:
            catalogue = read_po(f)
        held = {m.id: m for m in catalogue if m.id}
        for msgid in sorted(wanted, key=str):
            message = held.get(msgid)
            strings = message.string if message else None
            parts = strings if isinstance(strings, tuple) else (strings,)
            if message is None or message.fuzzy or not all(parts):
                found.append(f"{lang}: no translation of {msgid!r}")
            elif (bad := _fields(msgid, parts)) is not None:
                found.append(f"{lang}: {bad} in the translation of {msgid!r}")
            elif lang == "fr" and (bad := _typography(parts)):
                found.append(f"fr: {bad} in the translation of {msgid!r}")
        for msgid in sorted(set(held) - wanted, key=str):
            found.append(f"{lang}: {msgid!r} is translated but no longer used")
    return found


# French typography: a no-break space before ":" and inside « », a narrow one before ; ! ?
_FRENCH_SPACES = {" :": "a plain space before ':'", " ;": "a plain space before ';'",
                  " !": "a plain space before '!'", " ?": "a plain space before '?'",
                  "« ": "a plain space after '«'", " »": "a plain space before '»'"}  # fmt: skip


def _names(text: str) -> set[str]:
    return {f"{{{name}{':' + spec if spec else ''}}}" for _, name, spec, _ in
            Formatter().parse(text) if name is not None}  # fmt: skip


def _fields(msgid: str | tuple, parts: tuple) -> str | None:
    """A translation must fill the fields its English fills: every form only fields of the
    English, the last form (the plural) all those of the English plural (a singular may
    leave out the count, or name what only one thing has)."""
    forms = msgid if isinstance(msgid, tuple) else (msgid,)
    english = set().union(*map(_names, forms))
    for index, text in enumerate(parts):
        try:
            names = _names(text)
        except ValueError as error:
            return f"a broken field ({error})"
        if names - english:
            return f"the unknown field {sorted(names - english)[0]}"
        if index == len(parts) - 1 and _names(forms[-1]) - names:
            return f"the missing field {sorted(_names(forms[-1]) - names)[0]}"
    return None


def _typography(parts: tuple) -> str | None:
    for text in parts:
        for wrong, said in _FRENCH_SPACES.items():
            if wrong in text:
                return said
    return None


def main(argv: list[str]) -> int:
    if argv == ["update"]:
        update()
        return 0
    if argv == ["check"]:
        found = problems()
        for line in found:
            print(line)
        if found:
            print(f"{len(found)} messages to translate: run `python3 scripts/messages.py update`"
                  " and fill them in the .po files.")  # fmt: skip
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
