"""Naming the objects of a commons on the command line, for discussion and signals.

OBJECT is ``commons`` (the commons itself), ``task:ID``, ``contribution:ID``, ``file:PATH``
or ``person:DID`` (a bare ``did:key:…`` names a person too); IDs are unique hex prefixes.
"""

import click

from ..core.identity import is_did
from .base import Context, said, said_n

KINDS = {
    "task": "task",
    "contribution": "contribution",
    "file": "artifact",
    "artifact": "artifact",
    "person": "person",
}


def parse_object(text: str, bare: str | None = None) -> tuple[str, str]:
    """``(kind, ref)`` as the Service names a subject; ``bare``: the kind of a word without
    a ``kind:`` in front (None: such a word is refused)."""
    text = text.strip()
    if text == "commons":
        return "commons", ""
    if is_did(text):
        return "person", text
    word, sep, ref = text.partition(":")
    if sep and word in KINDS and ref:
        return KINDS[word], ref
    if bare is not None and not sep and text:
        return bare, text
    raise click.BadParameter(
        said(
            "{given} names no object: give commons, task:ID, contribution:ID, file:PATH or "
            "person:DID",
            given=repr(text),
        ),
        param_hint="OBJECT",
    )


def split_commons(ctx: Context, words: tuple[str, ...], names: tuple[str, ...]) -> list[str]:
    """``[COMMONS] NAMES…``: the commons and the other words, the commons filled in when the
    home holds just one and it was left out."""
    if len(words) == len(names) + 1:
        return list(words)
    if len(words) != len(names):
        usage = " ".join(n.upper() for n in names)
        raise click.UsageError(
            said_n(
                "expected [COMMONS] {usage}, got {n} argument",
                "expected [COMMONS] {usage}, got {n} arguments",
                len(words),
                usage=usage,
            )
        )
    held = ctx.service.commons_list()
    if len(held) != 1:
        raise click.UsageError(
            said_n(
                "this home holds {n} commons: name the one you mean first "
                "(e.g. communs thread show guide commons)",
                "this home holds {n} commons: name the one you mean first "
                "(e.g. communs thread show guide commons)",
                len(held),
            )
        )
    return [held[0]["id"], *words]
