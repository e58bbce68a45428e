"""One-time form keys: every form a page shows carries a fresh key, and a key is spent by the
first submission that acts. Sent again (Back and resubmit, a double click), the form acts no
second time: the person lands where the first submission led. A refused submission gives its
key back, so the corrected form can be sent."""

import secrets
from collections import OrderedDict

from markupsafe import Markup

KEPT = 500  # keys remembered per session: far more than the forms anyone sends in a visit
PENDING = ""  # a key spent by a submission still under way


def fresh_key() -> str:
    return secrets.token_urlsafe(12)


def hidden_inputs(csrf: str) -> Markup:
    """What every form of a page carries: the session's CSRF token and a fresh one-time key."""
    return Markup(
        f'<input type="hidden" name="csrf" value="{Markup.escape(csrf)}">'
        f'<input type="hidden" name="once" value="{fresh_key()}">'
    )


class SentForms:
    """The keys spent in each session, with where their first submission led."""

    def __init__(self) -> None:
        self._spent: dict[str, OrderedDict[str, str]] = {}

    def spend(self, session: str, key: str) -> str | None:
        """Spend ``key``: None when it is fresh (the submission goes on), else where its first
        submission led (``PENDING`` while it is still under way)."""
        spent = self._spent.setdefault(session, OrderedDict())
        if key in spent:
            return spent[key]
        spent[key] = PENDING
        while len(spent) > KEPT:
            spent.popitem(last=False)
        return None

    def led_to(self, session: str, key: str, location: str) -> None:
        self._spent.setdefault(session, OrderedDict())[key] = location

    def give_back(self, session: str, key: str) -> None:
        self._spent.get(session, OrderedDict()).pop(key, None)

    def forget(self, session: str) -> None:
        self._spent.pop(session, None)
