"""One small hierarchy of named errors. Every message says what was wrong and what to do."""

from typing import Any


class CommunsError(Exception):
    """Base of every error Communs raises on purpose; its message is meant for people.

    A refusal of the fold also carries its stable ``code`` and ``params``, so that a face can
    say it in the reader's language and a program can act on it without reading prose."""

    def __init__(
        self, message: str = "", *, code: str | None = None, params: dict[str, Any] | None = None
    ):
        super().__init__(message)
        self.code = code
        self.params = params or {}


class InvalidEvent(CommunsError):
    """An event that fails verification: it is refused and never stored."""


class Refused(CommunsError):
    """An action the rules do not allow, or that would lose data."""


class Unreachable(CommunsError):
    """A peer this node needed did not answer."""


class NotFound(CommunsError):
    """Something named that this node does not hold."""


class Ambiguous(CommunsError):
    """An abbreviated id that matches several objects."""


class BadInput(CommunsError):
    """Input from a person or a file that cannot be used as given."""
