"""Safe rendering of what people write: Markdown with raw HTML escaped and links checked,
then cleaned again by nh3 (ammonia) so that no script can ever run from a message."""

import re
from datetime import UTC, datetime
from typing import Any

import nh3
from babel.numbers import format_currency
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from ..domain.lines import Translate
from ..domain.refusals import sentence
from ..domain.threads import MENTION
from ..domain.treasury import digits

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_SAFE_SCHEMES = {"http", "https", "mailto"}


def markdown(text: str, people: dict[str, str] | None = None) -> Markup:
    """Safe HTML of Markdown; mentions (``@did:key:…``) show as the names in ``people``
    (display names by DID), linked to the person's page, the DID on hover."""
    html = _markdown.render(text or "")
    clean = nh3.clean(html, url_schemes=_SAFE_SCHEMES, link_rel="nofollow noopener")
    if "@did:key:" not in clean:
        return Markup(clean)
    # Only in text, never inside a tag's attributes.
    parts = _TAGS.split(clean)
    for i in range(0, len(parts), 2):
        parts[i] = MENTION.sub(lambda found: _mention(found.group(1), people or {}), parts[i])
    return Markup("".join(parts))


_TAGS = re.compile(r"(<[^>]*>)")


def as_names(text: str, people: dict[str, str]) -> str:
    """A message's text as its author edits it: a mention of someone whose name nobody else
    here bears reads ``@Name`` again (saving writes the DID back)."""
    taken: dict[str, int] = {}
    for name in people.values():
        taken[name.casefold()] = taken.get(name.casefold(), 0) + 1

    def named(found: re.Match[str]) -> str:
        name = people.get(found.group(1))
        return f"@{name}" if name and taken[name.casefold()] == 1 else found.group(0)

    return MENTION.sub(named, text or "")


def _mention(did: str, people: dict[str, str]) -> str:
    name = people.get(did) or did[:16] + "…"
    return (
        f'<a class="mention" href="/people/{escape(did)}" title="{escape(did)}">@{escape(name)}</a>'
    )


def when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def short(value: str | bytes | None, size: int = 12) -> str:
    if value is None:
        return ""
    text = value.hex() if isinstance(value, bytes) else value
    return text[:size]


def why(value: Any, translate: Translate | None = None) -> str:
    """The sentence for a refusal of the fold (its ``{code, params}`` record) in the reader's
    language; text given by a person (a reject's reason) as it is."""
    if isinstance(value, dict) and "code" in value:
        return sentence(value, translate) or ""
    return "" if value is None else str(value)


def amount_in(lang: str):  # noqa: ANN201
    """``amount(minor, currency)`` as the reader writes money: "42,50 €", "€42.50"."""

    def amount(minor: int, currency: str) -> str:
        value = minor / 10 ** digits(currency)
        return format_currency(value, currency, locale="fr_FR" if lang == "fr" else "en_GB")

    return amount
