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
from typing import Any, TypeVar

from ..core.errors import CommunsError
from ..i18n import N_
from .lines import English, Translate

E = TypeVar("E", bound=CommunsError)


@dataclass(frozen=True)
class Code:
    """A kind of refusal: its stable name and the English sentence that explains it; with
    ``many``, the sentence when the parameter ``count`` is not 1."""

    name: str
    english: str
    many: str | None = None
    count: str | None = None

    def params(self) -> list[str]:
        return [field for _, field, _, _ in Formatter().parse(self.english) if field]

    def template(self, params: Mapping[str, Any], translate: Translate) -> str:
        if self.many is None or self.count is None:
            return translate(self.english)
        n = params.get(self.count)
        return translate.plural(self.english, self.many, n if isinstance(n, int) else 0)


CODES: dict[str, Code] = {}


def code(name: str, english: str) -> Code:
    """Declare a refusal code (once per name) with its English sentence."""
    return _declare(Code(name, english))


def plural_code(name: str, one: str, many: str, count: str) -> Code:
    """Declare a refusal code whose sentence has a plural, chosen by the parameter ``count``:
    ``plural_code("objections_stand", "{count} objection stands", "{count} objections stand",
    "count")``."""
    return _declare(Code(name, one, many, count))


def _declare(known: Code) -> Code:
    if known.name in CODES and CODES[known.name] != known:
        raise ValueError(f"refusal code {known.name!r} is declared twice")
    CODES[known.name] = known
    return known


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


def fault(kind: type[E], known: Code, /, **params: Any) -> E:
    """An error of the node (``BadInput``, ``Refused``…) that says ``known``'s sentence and
    carries its code, so that a face says it in its reader's language."""
    found = refusal(known, **params)
    return kind(sentence(found) or known.name, code=known.name, params=dict(params))


# -- sentences, for the edges ----------------------------------------------------------------

# In a template, ``{name}`` shows a parameter as it is (ids as 12 hex digits, lists joined),
# and a format spec says how else: ``{until:time}`` a time in ms, ``{action:verb}`` an event
# type as a verb, ``{action:work}`` as what it does, ``{on:subject}`` a thread's subject.
VERBS = {
    "contribution.accept": N_("accept"),
    "contribution.patrol": N_("patrol"),
    "contribution.reject": N_("reject"),
    "contribution.revert": N_("revert"),
    "contribution.revise": N_("revise"),
    "contribution.withdraw": N_("withdraw"),
    "expense.acknowledge": N_("acknowledge the payment of"),
    "expense.approve": N_("approve"),
    "expense.attach": N_("attach a receipt to"),
    "expense.pay": N_("pay"),
    "expense.reject": N_("reject"),
    "distribution.waive": N_("waive a share of"),
    "distribution.settle": N_("pay out the shares of"),
    "proposal.close": N_("close"),
    "proposal.commit": N_("vote on"),
    "proposal.object": N_("object to"),
    "proposal.settle": N_("settle"),
    "proposal.vote": N_("vote on"),
    "proposal.withdraw_objection": N_("withdraw an objection to"),
    "task.claim": N_("claim"),
    "task.done": N_("mark done"),
    "task.extend": N_("extend the claim on"),
    "task.invalidate": N_("invalidate"),
    "task.release": N_("release"),
    "task.reopen": N_("reopen"),
    "task.signal": N_("send a signal on"),
    "task.validate": N_("validate"),
    "thread.edit": N_("edit"),
    "thread.react": N_("react to"),
    "thread.retract": N_("retract"),
}
WORK = {
    "charter.change": N_("change the charter"),
    "contribution.accept": N_("accept contributions"),
    "contribution.patrol": N_("patrol contributions"),
    "contribution.reject": N_("reject contributions"),
    "contribution.revert": N_("revert contributions"),
    "expense.approve": N_("approve expenses"),
    "expense.pay": N_("pay expenses"),
    "expense.reject": N_("reject expenses"),
    "ledger.record": N_("record income"),
    "ledger.payout": N_("pay out shares"),
    "ledger.import": N_("read bank statements into the treasury"),
    "library.item": N_("add items to the catalogue"),
    "library.edit": N_("edit items of the catalogue"),
    "library.status": N_("change the status of items"),
    "distribution.propose": N_("propose distributions"),
    "proposal.commit": N_("vote on this proposal"),
    "proposal.object": N_("object to this proposal"),
    "proposal.open": N_("propose decisions of this kind"),
    "proposal.vote": N_("vote on this proposal"),
    "task.invalidate": N_("invalidate tasks"),
    "task.validate": N_("validate tasks"),
    "thread.hide": N_("hide messages"),
    "thread.unhide": N_("unhide messages"),
}


def when(ms: int) -> str:
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    except OverflowError:
        return f"{ms} ms"
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def subject(value: Mapping[str, str], translate: Translate | None = None) -> str:
    """A thread's subject in words: "the commons", "task 3fa2…", "artifact guide.md"."""
    translate = translate or English()
    if value.get("kind") == "commons":
        return translate(N_("the commons"))
    ref = str(value.get("ref", ""))
    short = ref[:12] if len(ref) == 64 and all(c in "0123456789abcdef" for c in ref) else ref
    return f"{translate(str(value.get('kind')))} {short}"


class _Sentences(Formatter):
    """Fills a template in the language of ``translate``; ``{name:word}`` translates a value
    the domain holds as a name (a state, a method, a kind)."""

    def __init__(self, translate: Translate):
        self.translate = translate

    def format_field(self, value: Any, spec: str) -> str:
        if spec == "time" and isinstance(value, int):
            return when(value)
        if spec in ("verb", "work") and isinstance(value, str):
            return self.translate((VERBS if spec == "verb" else WORK).get(value, value))
        if spec == "word" and isinstance(value, str):
            return self.translate(value.replace("_", " "))
        if spec == "subject" and isinstance(value, Mapping):
            return subject(value, self.translate)
        if spec == "lines" and isinstance(value, list | tuple):
            return "; ".join(map(str, value))
        if isinstance(value, bytes):
            return value.hex()[:12]
        if isinstance(value, list | tuple):
            return ", ".join(self.format_field(item, "") for item in value)
        if isinstance(value, Mapping) and "code" in value:
            return sentence(value, self.translate) or ""
        return str(value)


def sentence(
    value: Refusal | Mapping[str, Any] | None, translate: Translate | None = None
) -> str | None:
    """The sentence a person reads for a refusal (a ``Refusal`` or its record), in the
    language of ``translate`` (English by default). An unknown code (a newer peer's) is
    shown as its name and parameters rather than hidden."""
    if value is None:
        return None
    found = value if isinstance(value, Refusal) else Refusal.of(value)
    formatter = _Sentences(translate or English())
    known = CODES.get(found.code)
    if known is not None:
        try:
            return formatter.vformat(
                known.template(found.params, formatter.translate), (), dict(found.params)
            )
        except (KeyError, IndexError, ValueError):  # a translation naming a field wrongly
            try:
                return _Sentences(English()).vformat(
                    known.template(found.params, English()), (), dict(found.params)
                )
            except (KeyError, IndexError, ValueError):
                pass
    shown = (f" {k}={formatter.format_field(v, '')}" for k, v in sorted(found.params.items()))
    return found.code + "".join(shown)
