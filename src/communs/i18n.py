"""English and French, from gettext catalogues that translators keep with their own tools.

A message is English text with ``{name}`` fields, looked up in
``locale/<lang>/LC_MESSAGES/communs.po`` (Babel extracts them all: scripts/messages.py) and
filled in after translation: ``_("{who} accepted {what}", who=..., what=...)``; plurals go
through ``ngettext``. A message without a translation shows in English.
"""

import functools
import gettext
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "fr")
DOMAIN = "communs"
LOCALE = Path(__file__).parent / "locale"


def N_(text: str) -> str:
    """Marks ``text`` for the catalogue where it is declared; it is translated where shown."""
    return text


def Nn_(one: str, many: str) -> tuple[str, str]:  # noqa: N802  (the name Babel looks for)
    """Marks a message with a plural: ``Nn_("{n} change", "{n} changes")``."""
    return one, many


@functools.cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (built at install); in a working tree whose ``.po``
    is newer than its ``.mo``, the ``.po`` compiled in memory, so an edit shows at once."""
    po = LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if not po.exists() and not mo.exists():
        return gettext.NullTranslations()
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(f, locale=lang))
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Translator:
    """The messages of one language. ``_ = Translator("fr")``; ``_(text, **fields)``,
    ``_.ngettext(one, many, n, **fields)`` (``n`` is a field too)."""

    def __init__(self, lang: str):
        self.lang = lang if lang in LANGUAGES else "en"
        self.messages = catalogue(self.lang)

    def __call__(self, text: str, **fields: Any) -> str:
        translated = self.messages.gettext(text) if text else text
        return _filled(translated, text, fields) if fields else translated

    def ngettext(self, one: str, many: str, n: int, **fields: Any) -> str:
        return _filled(self.plural(one, many, n), one if n == 1 else many, {"n": n, **fields})

    def plural(self, one: str, many: str, n: int) -> str:
        """The form of a plural message for ``n``, its fields left to fill."""
        return self.messages.ngettext(one, many, n)


def _filled(translated: str, english: str, fields: dict[str, Any]) -> str:
    """A translation that names a field wrongly (scripts/messages.py check catches it) shows
    in English rather than break the page."""
    try:
        return translated.format(**fields)
    except (KeyError, IndexError, ValueError):
        return english.format(**fields)


def translator(lang: str) -> Translator:
    return _translators(lang if lang in LANGUAGES else "en")


@functools.cache
def _translators(lang: str) -> Translator:
    return Translator(lang)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The visitor's language: the ``lang`` cookie (the switch in the page header), else the
    first of the browser's Accept-Language that Communs speaks, else English."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"
