"""One small hierarchy of named errors. Every message says what was wrong and what to do."""

from typing import Any


class CommunsError(Exception):
    """Base of every error Communs raises on purpose; its message is meant for people.

    A refusal of the fold also carries its stable ``code`` and ``params``, so that a face can
    say it in the reader's language and a program can act on it without reading prose."""

    status = 400

    def __init__(
        self, message: str = "", *, code: str | None = None, params: dict[str, Any] | None = None
    ):
        super().__init__(message)
        self.code = code
        self.params = params or {}


class InvalidEvent(CommunsError):
    """An event that fails verification: it is refused and never stored."""

    status = 422


class Refused(CommunsError):
    """An action the rules do not allow, or that would lose data."""

    status = 409


class Unreachable(CommunsError):
    """A peer this node needed did not answer."""

    status = 502


class NotFound(CommunsError):
    status = 404


class Ambiguous(CommunsError):
    """An abbreviated id that matches several objects."""

    status = 400


class BadInput(CommunsError):
    """Input from a person or a file that cannot be used as given."""

    status = 400
