"""The line an event reads as — "anna accepted 'Fix the map legend'" — as a sentence to
translate, not as prose: English text with ``{fields}``, marked for the catalogue (``N_``,
``Nn_`` for a plural), filled with names, titles and smaller lines (a verdict, a kind) at the
edges, in the reader's language (``say``)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..i18n import N_, Nn_

Field = "str | int | Line"


@dataclass(frozen=True)
class Line:
    """``text``: English with ``{fields}``; a pair (one, many) is a plural chosen by the
    field ``n``. A field is plain text (a name, a title, a path), a number, or a Line."""

    text: str | tuple[str, str]
    fields: Mapping[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """The plain value pages and programs receive (a pair becomes a list)."""
        text = list(self.text) if isinstance(self.text, tuple) else self.text
        shown = {k: v.record() if isinstance(v, Line) else v for k, v in self.fields.items()}
        return {"text": text, "fields": shown}


def word(name: str) -> Line:
    """A value the domain holds as a name (a verdict, a kind, a field) as words to translate:
    ``request_changes`` → "request changes" (the pages' words are marked in ``web/words``)."""
    return Line(name.replace("_", " "))


class Translate(Protocol):
    """A language's messages (``communs.i18n.Translator``): a text, filled when given fields;
    a plural's form for ``n``, filled (``ngettext``) or not (``plural``)."""

    def __call__(self, text: str, **fields: Any) -> str: ...

    def ngettext(self, one: str, many: str, n: int, **fields: Any) -> str: ...

    def plural(self, one: str, many: str, n: int) -> str: ...


class English:
    """Messages as they are written."""

    def __call__(self, text: str, **fields: Any) -> str:
        return text.format(**fields) if fields else text

    def ngettext(self, one: str, many: str, n: int, **fields: Any) -> str:
        return self.plural(one, many, n).format(n=n, **fields)

    def plural(self, one: str, many: str, n: int) -> str:
        return one if n == 1 else many


def say(line: Line | Mapping[str, Any], translate: Translate | None = None) -> str:
    """The sentence of a line (or of its record) in the language of ``translate``."""
    translate = translate or English()
    text, fields = (line.text, line.fields) if isinstance(line, Line) else (
        line["text"], line.get("fields") or {}
    )  # fmt: skip
    filled = {
        k: say(v, translate) if isinstance(v, Line | Mapping) else v for k, v in fields.items()
    }
    try:
        if isinstance(text, tuple | list):
            count = filled.pop("n", 0)
            return translate.ngettext(text[0], text[1], count, **filled)
        return translate(text, **filled)
    except (KeyError, IndexError, ValueError):  # a translation that names a field wrongly
        return English()(text if isinstance(text, str) else text[-1], **filled)


class Words(Protocol):
    """How the node names what an event's line mentions (the domain holds no names)."""

    def person(self, did: str) -> str: ...  # a display name, or a short DID

    def title(self, ref: bytes | str) -> str: ...  # a title, or a short id

    def commons(self, ref: bytes) -> str: ...  # a commons' name, or a short id


# The line an event reads as, its author's name being the field ``who``.
Summary = Callable[[Any, Words], Line]


def acting(text: str) -> Summary:
    """The line of an event that acts on one contribution, task or proposal, its title being
    the field ``what``: ``acting(N_("{who} accepted '{what}'"))``."""

    def line(body: Any, words: Words) -> Line:
        target = (
            getattr(body, "contribution", None)
            or getattr(body, "task", None)
            or getattr(body, "proposal", None)
        )
        return Line(text, {"what": words.title(target)} if target else {})

    return line


__all__ = ["N_", "Nn_", "English", "Line", "Summary", "Words", "acting", "say", "word"]
