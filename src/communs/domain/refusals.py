"""Why something did not happen, as a stable code and its parameters, never as prose.

The fold, the state digest and every record hold a refusal as ``{"code": ..., "params":
{...}}``: rewording a sentence in a new release changes no digest, and each reader gets the
sentence in their own language. Each code is declared once, beside the reducer that raises
it, with its English sentence (a template over its parameters); the sentence is made at the
edges (``sentence``), never inside the fold.

Parameters are plain CBOR values: text, integers, booleans, ids (bytes), lists of them.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from string import Formatter
from typing import Any


@dataclass(frozen=True)
class Code:
    """A kind of refusal: its stable name and the English sentence that explains it."""

    name: str
    english: str

    def params(self) -> list[str]:
        return [field for _, field, _, _ in Formatter().parse(self.english) if field]


CODES: dict[str, Code] = {}


def code(name: str, english: str) -> Code:
    """Declare a refusal code (once per name) with its English sentence."""
    if name in CODES and CODES[name].english != english:
        raise ValueError(f"refusal code {name!r} is declared twice")
    CODES[name] = Code(name, english)
    return CODES[name]


@dataclass(frozen=True)
class Refusal:
    code: str
    params: Mapping[str, Any]

    def record(self) -> dict[str, Any]:
        """The plain value records and the digest hold."""
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def of(cls, value: Mapping[str, Any]) -> "Refusal":
        return cls(value["code"], value.get("params") or {})


def refusal(known: Code, **params: Any) -> Refusal:
    missing = set(known.params()) - set(params)
    if missing:
        raise TypeError(f"refusal {known.name} needs {', '.join(sorted(missing))}")
    return Refusal(known.name, params)


# -- sentences, for the edges ----------------------------------------------------------------

# In a template, ``{name}`` shows a parameter as it is (ids as 12 hex digits, lists joined),
# and a format spec says how else: ``{until:time}`` a time in ms, ``{action:verb}`` an event
# type as a verb, ``{action:work}`` as what it does, ``{on:subject}`` a thread's subject.
VERBS = {
    "contribution.accept": "accept",
    "contribution.patrol": "patrol",
    "contribution.reject": "reject",
    "contribution.revert": "revert",
    "contribution.revise": "revise",
    "contribution.withdraw": "withdraw",
    "proposal.close": "close",
    "proposal.commit": "vote on",
    "proposal.object": "object to",
    "proposal.settle": "settle",
    "proposal.vote": "vote on",
    "proposal.withdraw_objection": "withdraw an objection to",
    "task.claim": "claim",
    "task.done": "mark done",
    "task.extend": "extend the claim on",
    "task.invalidate": "invalidate",
    "task.release": "release",
    "task.reopen": "reopen",
    "task.signal": "signal",
    "task.validate": "validate",
    "thread.edit": "edit",
    "thread.react": "react to",
    "thread.retract": "retract",
}
WORK = {
    "charter.change": "change the charter",
    "contribution.accept": "accept contributions",
    "contribution.patrol": "patrol contributions",
    "contribution.reject": "reject contributions",
    "contribution.revert": "revert contributions",
    "proposal.commit": "vote on this proposal",
    "proposal.object": "object to this proposal",
    "proposal.open": "propose decisions of this kind",
    "proposal.vote": "vote on this proposal",
    "task.invalidate": "invalidate tasks",
    "task.validate": "validate tasks",
    "thread.hide": "hide messages",
    "thread.unhide": "unhide messages",
}


def when(ms: int) -> str:
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    except OverflowError:
        return f"{ms} ms"
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def subject(value: Mapping[str, str]) -> str:
    """A thread's subject in words: "the commons", "task 3fa2…", "artifact guide.md"."""
    if value.get("kind") == "commons":
        return "the commons"
    ref = str(value.get("ref", ""))
    short = ref[:12] if len(ref) == 64 and all(c in "0123456789abcdef" for c in ref) else ref
    return f"{value.get('kind')} {short}"


class _English(Formatter):
    def format_field(self, value: Any, spec: str) -> str:
        if spec == "time" and isinstance(value, int):
            return when(value)
        if spec in ("verb", "work") and isinstance(value, str):
            return (VERBS if spec == "verb" else WORK).get(value, value)
        if spec == "subject" and isinstance(value, Mapping):
            return subject(value)
        if spec == "lines" and isinstance(value, list | tuple):
            return "; ".join(map(str, value))
        if isinstance(value, bytes):
            return value.hex()[:12]
        if isinstance(value, list | tuple):
            return ", ".join(self.format_field(item, "") for item in value)
        if isinstance(value, Mapping) and "code" in value:
            return sentence(value) or ""
        return str(value)


_FORMATTER = _English()


def sentence(
    value: Refusal | Mapping[str, Any] | None, catalogue: Mapping[str, str] | None = None
) -> str | None:
    """The sentence a person reads for a refusal (a ``Refusal`` or its record), from
    ``catalogue`` (code -> template; English by default). An unknown code (a newer peer's)
    is shown as its name and parameters rather than hidden."""
    if value is None:
        return None
    found = value if isinstance(value, Refusal) else Refusal.of(value)
    template = (catalogue or {}).get(found.code) or (
        CODES[found.code].english if found.code in CODES else None
    )
    if template is not None:
        try:
            return _FORMATTER.vformat(template, (), dict(found.params))
        except (KeyError, IndexError, ValueError):
            pass
    shown = (f" {k}={_FORMATTER.format_field(v, '')}" for k, v in sorted(found.params.items()))
    return found.code + "".join(shown)
