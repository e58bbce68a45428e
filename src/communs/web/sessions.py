"""Who is signed in, CSRF tokens, and slowing down people who guess passphrases.

Sessions live in the node's memory, keyed by a random id in an HttpOnly cookie: the signing
key of a hub account is decrypted once at sign-in and never leaves the server.
"""

import asyncio
import math
import os
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.identity import Identity
from ..i18n import N_, Translator, translator

COOKIE = "communs_session"
LIFETIME = 14 * 24 * 3600  # seconds a session lasts without use


@dataclass
class Session:
    id: str
    csrf: str
    name: str | None = None
    identity: Identity | None = None
    last_visit: int | None = None  # ms: the person's previous visit, for "what changed since"
    visiting: bool = False  # whether this session's visit was recorded
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


# A refused sign-in or recovery is answered this long after it arrived, whatever was wrong:
# longer than a key derivation at either cost (MODERATE takes ~0.5 s here), so that neither an
# unknown name, a key kept without a passphrase nor a key sealed at another cost answers faster.
REFUSAL_FLOOR = 1.0


async def answer_no_sooner(started: float) -> None:
    """Wait until ``REFUSAL_FLOOR`` seconds after ``started`` (``time.monotonic()``), on the
    event loop: the unlocking thread and every other request go on meanwhile."""
    await asyncio.sleep(max(0.0, started + REFUSAL_FLOOR - time.monotonic()))


@dataclass(frozen=True)
class Rule:
    """``free`` failures, then each further try waits 2, 4, 8… seconds, up to ``ceiling``."""

    free: int
    ceiling: float

    def delay(self, count: int) -> float:
        if count < self.free:
            return 0.0
        return min(self.ceiling, 2.0 ** (count - self.free + 1))


class Throttle:
    """Slows down people who guess passphrases (or recovery codes) on a hub. A failure counts
    against three keys (``sign_in_keys``), each with its own rule:

    - the pair (name, address): 3 free, then 2, 4, 8… seconds up to five minutes. It holds back
      one person guessing one account from one place; a success clears it.
    - the address: 10 free, then up to a minute. It counts the *names* that failed from there,
      not every failure: one person mistyping their own passphrase again and again is counted
      once (their pair holds them back), so the others behind the same address (a library's
      wifi) are not locked out by them; someone trying many names from there is.
    - the name, from any address: 10 free, then up to a minute. It holds back many addresses
      guessing one account together; its ceiling is soft so that a stranger can keep a citizen
      waiting a minute at most, never lock them out.

    Neither the address nor the name holds back a pair that signed in within ``KNOWN``: a
    citizen at their usual place gets in whatever strangers do elsewhere or nearby. Neither is
    cleared by a success either, or anyone with an account of their own could wipe them by
    signing in to it. Failures are counted for any name typed, whether it has an account or
    not, so no wait tells which names exist. A key is forgotten ``FORGET`` seconds after its
    last failure, so an old mistake costs nothing today.
    """

    PAIR = Rule(3, 300.0)
    ADDRESS = Rule(10, 60.0)
    NAME = Rule(10, 60.0)
    FREE = PAIR.free  # the failures one person may make from one place before any wait
    FORGET = 3600.0
    KNOWN = LIFETIME
    MOST = 100_000  # keys kept at most: the oldest go first, so memory stays bounded

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (count, last failure)
        self._known: dict[str, float] = {}  # pair key -> last success

    def _now(self) -> float:
        return self._clock() if self._clock else time.monotonic()

    def _rule(self, key: str) -> Rule:
        kind = key.partition(":")[0]
        return {"pair": self.PAIR, "ip": self.ADDRESS, "name": self.NAME}.get(kind, self.PAIR)

    def _count(self, key: str, now: float) -> tuple[int, float]:
        count, last = self._failures.get(key, (0, 0.0))
        if count and now - last >= self.FORGET:
            del self._failures[key]
            return 0, 0.0
        return count, last

    def _is_known(self, keys: tuple[str, ...], now: float) -> bool:
        return any(key in self._known and now - self._known[key] < self.KNOWN for key in keys)

    def blocking(self, *keys: str) -> tuple[float, str | None]:
        """The seconds left to wait before trying, and the key that makes them (None when
        nothing holds the try back): the longest wait of the keys that apply."""
        now = self._now()
        known = self._is_known(keys, now)
        longest, which = 0.0, None
        for key in keys:
            if known and not key.startswith("pair:"):
                continue
            count, last = self._count(key, now)
            left = last + self._rule(key).delay(count) - now
            if left > longest:
                longest, which = left, key
        return longest, which

    def wait(self, *keys: str) -> float:
        return self.blocking(*keys)[0]

    def failed(self, *keys: str) -> None:
        now = self._now()
        pairs = [key for key in keys if key.startswith("pair:")]
        # The address counts a name once: the pair's own count holds back its retries.
        new_name = not pairs or all(self._count(key, now)[0] == 0 for key in pairs)
        for key in keys:
            if key.startswith("ip:") and not new_name:
                continue
            count, _ = self._count(key, now)
            self._failures[key] = (count + 1, now)
        _bound(self._failures, self.MOST, lambda value: value[1])

    def succeeded(self, *keys: str) -> None:
        now = self._now()
        for key in keys:
            if key.startswith("pair:"):
                self._failures.pop(key, None)
                self._known[key] = now
        _bound(self._known, self.MOST, lambda value: value)


def _bound(table: dict[str, Any], most: int, when: Callable[[Any], float]) -> None:
    """Drop the oldest tenth of ``table`` once it holds more than ``most`` keys."""
    if len(table) > most:
        for key in sorted(table, key=lambda k: when(table[k]))[: len(table) - most * 9 // 10]:
            del table[key]


def sign_in_keys(name: str, address: str) -> tuple[str, str, str]:
    """What a failed sign-in counts against (see ``Throttle``): its address, the pair (name,
    address) and the name from anywhere."""
    return f"ip:{address}", f"pair:{address}|{name}", f"name:{name}"


# What a hub says, in the reader's language, whatever was wrong with a name and a secret.
NO_MATCH = N_(
    "That name and passphrase do not match. Check both and try again; if you forgot your "
    "passphrase, use the recovery code you were given when you registered."
)
NO_RECOVERY = N_(
    "That name and recovery code do not match. Check both and try again. Accounts "
    "registered before this hub gave recovery codes have none: their passphrase is the only "
    "way in."
)
TRIED_ELSEWHERE = N_(
    "Many wrong passphrases were tried for this name lately: wait {wait} before trying again."
)

PASSPHRASE_MIN = 8  # characters, as the register and recover pages say
SHORT = N_("Choose a passphrase of at least 8 characters.")
SHORT_NEW = N_("Choose a new passphrase of at least 8 characters.")
NOT_THE_NAME = N_("Your passphrase must not be your name: choose another.")
NOT_THE_SAME = N_("The two passphrases are not the same: type the same one in both fields.")
NAME_INVALID = N_(
    "A name is 1 to 40 letters without accents, digits, '-', '_' or '.', not starting "
    "with '.': choose another."
)
NAME_TAKEN = N_("The name {name} is taken: choose another.")


def held_elsewhere(key: str | None) -> bool:
    """Whether a try held back by ``key`` (``Throttle.blocking``) waits for failures made
    from other addresses: the citizen is then told so (``TRIED_ELSEWHERE``), not blamed."""
    return bool(key and key.startswith("name:"))


def passphrase_problem(name: str, passphrase: str, again: str, *, new: bool = False) -> str | None:
    """What is wrong with a passphrase chosen at registration (``new``: at recovery), typed
    twice, as a message for the catalogue; None when it will do."""
    # Counted as the keyring seals it (NFC), without the spaces at either end.
    if len(unicodedata.normalize("NFC", passphrase).strip()) < PASSPHRASE_MIN:
        return SHORT_NEW if new else SHORT
    if passphrase.strip().casefold() == name.strip().casefold():
        return NOT_THE_NAME
    if passphrase != again:
        return NOT_THE_SAME
    return None


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
