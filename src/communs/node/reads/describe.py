"""One readable line per event, for the log and the activity page: "anna accepted 'Fix the map
legend'", "dara claimed 'Photograph the old mill'". Each event type says how it reads where it
is declared (``summary=`` in the domain); this module gives it the names and titles."""

from dataclasses import dataclass
from typing import Any

from ... import domain


@dataclass(frozen=True)
class Known:
    """The ``domain.Words`` of one page: display names by DID, titles by hex id."""

    names: dict[str, str]
    titles: dict[str, str]

    def person(self, did: str) -> str:
        return self.names.get(did, did[:16] + "…")

    def title(self, ref: bytes | str) -> str:
        key = ref.hex() if isinstance(ref, bytes) else ref
        return f"'{self.titles.get(key, key[:12])}'"


def describe(event: Any, names: dict[str, str], titles: dict[str, str]) -> str:
    """``names``: display names by DID; ``titles``: contribution, task and proposal titles
    by hex id."""
    return domain.summary(event, Known(names, titles))
