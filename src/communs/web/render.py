"""Safe rendering of what people write: Markdown with raw HTML escaped and links checked,
then cleaned again by nh3 (ammonia) so that no script can ever run from a message."""

from datetime import UTC, datetime
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..domain.refusals import Translate, sentence

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_SAFE_SCHEMES = {"http", "https", "mailto"}


def markdown(text: str) -> Markup:
    html = _markdown.render(text or "")
    return Markup(nh3.clean(html, url_schemes=_SAFE_SCHEMES, link_rel="nofollow noopener"))


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
