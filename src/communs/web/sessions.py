"""Who is signed in, CSRF tokens, and slowing down people who guess passphrases.

Sessions live in the node's memory, keyed by a random id in an HttpOnly cookie: the signing
key of a hub account is decrypted once at sign-in and never leaves the server.
"""

import math
import os
import secrets
import time
from dataclasses import dataclass, field

from ..core.identity import Identity
from ..i18n import Translator, translator

COOKIE = "communs_session"
LIFETIME = 14 * 24 * 3600  # seconds a session lasts without use


@dataclass
class Session:
    id: str
    csrf: str
    name: str | None = None
    identity: Identity | None = None
    last_visit: int | None = None  # ms: what was new on the previous visit to the home page
    # A hub account's new recovery code, shown once on the next page, then forgotten.
    recovery_code: str | None = None
    used: float = field(default_factory=time.monotonic)


class Sessions:
    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    def get(self, session_id: str | None) -> Session | None:
        session = self._sessions.get(session_id or "")
        if session is None:
            return None
        if time.monotonic() - session.used > LIFETIME:
            del self._sessions[session.id]
            return None
        session.used = time.monotonic()
        return session

    def new(self) -> Session:
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
        self._sessions[session.id] = session
        return session

    def drop(self, session: Session) -> None:
        self._sessions.pop(session.id, None)


class Throttle:
    """After a few failed sign-ins from one address or for one name, each further try must
    wait longer: 2, 4, 8… seconds, up to five minutes."""

    FREE = 3

    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, float]] = {}

    def wait(self, *keys: str) -> float:
        now = time.monotonic()
        longest = 0.0
        for key in keys:
            count, last = self._failures.get(key, (0, 0.0))
            if count >= self.FREE:
                delay = min(300.0, 2.0 ** (count - self.FREE + 1))
                longest = max(longest, last + delay - now)
        return max(0.0, longest)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        for key in keys:
            count, _ = self._failures.get(key, (0, 0.0))
            self._failures[key] = (count + 1, now)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)


def sign_in_keys(name: str, address: str) -> tuple[str, str]:
    """What a failed sign-in counts against: its address, and the pair (name, address).
    Never the name alone, or a stranger's failures would lock its citizen out."""
    return f"ip:{address}", f"pair:{address}|{name}"


def say_wait(seconds: float, _: Translator | None = None) -> str:
    """A wait as people read it: rounded up, never "0 seconds", in minutes when long."""
    _ = _ or translator("en")
    whole = max(1, math.ceil(seconds))
    if whole < 120:
        return _.ngettext("{n} second", "{n} seconds", whole)
    return _.ngettext("{n} minute", "{n} minutes", math.ceil(whole / 60))


class Registrations:
    """At most ``per_hour`` new accounts from one address in an hour (``PER_HOUR``, or the
    environment's ``COMMUNS_REGISTRATIONS_PER_HOUR``)."""

    PER_HOUR = 3

    def __init__(self, per_hour: int | None = None) -> None:
        if per_hour is None:
            per_hour = int(os.environ.get("COMMUNS_REGISTRATIONS_PER_HOUR") or self.PER_HOUR)
        self.per_hour = per_hour
        self._times: dict[str, list[float]] = {}

    def wait(self, address: str) -> float:
        now = time.monotonic()
        recent = [t for t in self._times.get(address, []) if now - t < 3600]
        self._times[address] = recent
        if len(recent) < self.per_hour:
            return 0.0
        return recent[0] + 3600 - now

    def made(self, address: str) -> None:
        self._times.setdefault(address, []).append(time.monotonic())
