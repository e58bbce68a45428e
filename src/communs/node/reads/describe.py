"""One line per event, for the log and the activity page: "anna accepted 'Fix the map
legend'", "dara claimed 'Photograph the old mill'". Each event type says how it reads where it
is declared (``summary=`` in the domain, a sentence to translate); this module gives it the
names and titles, and gives pages the line to say in their reader's language."""

from dataclasses import dataclass, field
from typing import Any

from ... import domain
from ...domain.lines import say


@dataclass(frozen=True)
class Known:
    """The ``domain.Words`` of one page: display names by DID, titles by hex id, and the
    names of the commons a line may name (a fork's origin)."""

    names: dict[str, str]
    titles: dict[str, str]
    commons_names: dict[bytes, str] = field(default_factory=dict)

    def person(self, did: str) -> str:
        return self.names.get(did, did[:16] + "…")

    def title(self, ref: bytes | str) -> str:
        key = ref.hex() if isinstance(ref, bytes) else ref
        return self.titles.get(key, key[:12])

    def commons(self, ref: bytes) -> str:
        return self.commons_names.get(ref, ref.hex()[:12])


def describe(event: Any, known: Known) -> dict[str, Any]:
    """The line of ``event``: ``line`` to translate (a plain value), ``summary``, the same in
    English (for the command line and programs), and what it is ``about``."""
    line = domain.summary(event, known)
    return {"line": line.record(), "summary": say(line), "about": about(event)}


def about(event: Any) -> dict[str, str]:
    """What an event is about, for a link to its page: a contribution, a task, a proposal or
    a thread's subject (kind and hex ref; a message also its id), else the commons."""
    body = event.body
    if event.type in ("contribution.propose", "proposal.open", "task.open"):  # names its object
        return {"kind": event.type.split(".")[0], "ref": event.id.hex()}
    for kind in ("contribution", "task", "proposal"):
        ref = getattr(body, kind, None)
        if isinstance(ref, bytes):
            return {"kind": kind, "ref": ref.hex()}
    subject = getattr(body, "subject", None)
    if subject is not None:
        return {"kind": subject.kind, "ref": subject.ref, "message": event.id.hex()}
    return {"kind": "commons", "ref": ""}
