"""The HTTP status each kind of error answers with: a matter for the HTTP edges (the web and
the API), not for the core, whose errors say only what went wrong."""

from ..core.errors import CommunsError

STATUS = {
    "InvalidEvent": 422,
    "Refused": 409,
    "Unreachable": 502,
    "NotFound": 404,
    "Ambiguous": 400,
    "BadInput": 400,
}


def status_of(error: CommunsError) -> int:
    """An error class made at the edge says its own status (``status``); the core's answer
    with the status of their kind (the nearest in their ancestry)."""
    own = type(error).__dict__.get("status")
    if isinstance(own, int):
        return own
    for kind in type(error).__mro__:
        if kind.__name__ in STATUS:
            return STATUS[kind.__name__]
        own = kind.__dict__.get("status")
        if isinstance(own, int):
            return own
    return 400
