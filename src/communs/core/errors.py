"""One small hierarchy of named errors. Every message says what was wrong and what to do."""


class CommunsError(Exception):
    """Base of every error Communs raises on purpose; its message is meant for people."""

    status = 400


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
