"""The institutions of a commons, one module each: event types, body schemas and pure reducers.

Importing this package registers every event type; ``fold`` holds the machinery that applies them.
"""

from . import (  # noqa: F401  (registers the event types)
    charter,
    content,
    contributions,
    credit,
    distribution,
    enterprises,
    governance,
    library,
    profiles,
    tasks,
    threads,
    treasury,
)
from .fold import (
    TYPES,
    Ineffective,
    View,
    apply,
    decode_refusal,
    encode_refusal,
    fold,
    fork_base,
    parse,
    parse_checked,
    state_digest,
    summary,
)
from .refusals import sentence

__all__ = [
    "TYPES",
    "Ineffective",
    "View",
    "apply",
    "decode_refusal",
    "encode_refusal",
    "fold",
    "fork_base",
    "parse",
    "parse_checked",
    "sentence",
    "state_digest",
    "summary",
]
