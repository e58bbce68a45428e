"""Mentions by name: ``@dara`` in a message becomes ``@did:key:…`` before it is signed, so the
log names the person and not a word anyone could take; pages show it as the name again."""

import re
from collections.abc import Callable
from typing import Any

from ...core.errors import BadInput
from ...domain.refusals import code, fault
from ...domain.schema import name_key
from .queries import names

NOBODY_NAMED = code(
    "nobody_named",
    "nobody named '{name}' takes part in this commons: use the name their page shows",
)
NOBODY_NAMED_AMONG = code(
    "nobody_named_among",
    "nobody named '{name}' takes part in this commons (people here: {people}): use the name "
    "their page shows",
)
NAME_SHARED = code(
    "name_shared",
    "{count} people are named '{name}' here: name one of them by their identity, one of {dids}",
)

# An @ that starts a mention: not inside a word or an e-mail address, not a DID already.
AT = re.compile(r"(?<![\w@.])@(?!did:key:)(?=[^\W\d_])")
WORD = re.compile(r"[^\W_][\w.'-]*")


def by_name(
    text: str, known: dict[str, str], account: Callable[[str], str | None] = lambda _: None
) -> str:
    """``text`` with each ``@Name`` of a person in ``known`` (display names by DID) written
    as their DID: the longest name that fits wins, whatever its case or accents. A word no
    display name fits may be the name of an account of this node (``account``: its DID, or
    None), such as a newcomer who has not acted yet. An @ before a name nobody bears is
    refused with the names that come close, as is a name two people share."""
    people: dict[str, list[str]] = {}
    for did, name in known.items():
        people.setdefault(name_key(name), []).append(did)
    longest = sorted(people, key=len, reverse=True)
    out, last = [], 0
    for found in AT.finditer(text):
        start = found.end()
        rest = name_key(text[start : start + 200])
        match = next(
            (k for k in longest if rest.startswith(k) and not _goes_on(rest, len(k))), None
        )
        word = WORD.match(text, start)
        said = word.group(0).rstrip(".'-") if word else ""
        if match is None and (did := account(said)):
            out += [text[last:start], did]
            last = start + len(said)
            continue
        if match is None:
            raise nobody_named(said, known)
        dids = people[match]
        if len(dids) > 1:
            raise fault(BadInput, NAME_SHARED, count=len(dids), name=known[dids[0]], dids=dids)
        out += [text[last:start], dids[0]]
        last = start + _length(text, start, match)
    return "".join(out) + text[last:] if out else text


def account_did(home: Any, name: str) -> str | None:
    """The DID of this node's account ``name`` (a hub's citizen who has not acted yet)."""
    found = home.keyring.account(name)
    return found.info.did if found else None


def person_named(
    name: str, known: dict[str, str], account: Callable[[str], str | None] = lambda _: None
) -> str:
    """The DID of the one person ``name`` names, as a form asks for someone: their display
    name (any case, however its accents are typed) among ``known``, else an account of this
    node; a DID is taken as given (the event's schema checks it). Refused as a mention is,
    with the names that come close."""
    name = name.strip().removeprefix("@").strip()
    if name.startswith("did:"):
        return name
    dids = [did for did, shown in known.items() if name_key(shown) == name_key(name)]
    if len(dids) > 1:
        raise fault(BadInput, NAME_SHARED, count=len(dids), name=name, dids=dids)
    if dids:
        return dids[0]
    if name and (did := account(name)):
        return did
    raise nobody_named(name, known)


def nobody_named(name: str, known: dict[str, str]) -> BadInput:
    """No one bears ``name``: the refusal lists the people here (or those whose name starts
    alike, when there are many)."""
    everyone = sorted(known.values(), key=str.casefold)
    close = [n for n in everyone if name_key(n)[:1] == name_key(name)[:1]]
    shown = (everyone if len(everyone) <= 8 else close)[:8]
    if shown:
        return fault(BadInput, NOBODY_NAMED_AMONG, name=name, people=shown)
    return fault(BadInput, NOBODY_NAMED, name=name)


def _goes_on(key: str, at: int) -> bool:
    """Whether a name continues after ``at`` (``@annabel`` is not ``@anna``)."""
    return at < len(key) and (key[at].isalnum() or key[at] == "_")


def _length(text: str, start: int, key: str) -> int:
    """How many characters of ``text`` from ``start`` spell the name whose key is ``key``."""
    for end in range(start + 1, min(len(text), start + 200) + 1):
        if name_key(text[start:end]) == key:
            return end - start
    return len(key)


MAINTAINER_CHANGES = ("add_maintainer", "remove_maintainer")


def named_effect(home: Any, commons: bytes, effect: dict[str, Any]) -> dict[str, Any]:
    """A maintainer change names its person as people do — by the name their page shows, or
    a node's account — and is signed with their DID."""
    given = effect.get("did")
    if effect.get("op") not in MAINTAINER_CHANGES or not isinstance(given, str):
        return effect  # the event's schema says what is wrong
    known = names(home, home.cid(commons))
    did = person_named(given, known, lambda n: account_did(home, n))
    return {**effect, "did": did}
