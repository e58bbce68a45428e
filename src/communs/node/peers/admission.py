"""This node's admission policy for events from peers, applied before anything is verified or
stored: authors it blocks, commons that take events only from their maintainers and the
authors this node follows, and — for what peers push or announce — hourly quotas for authors
without accepted work in the commons (``quotas``). Local to the node, never replicated."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ...core.events import event_id
from ..home.shared import Shared
from .quotas import KnownAuthors, StrangerQuota, over_quota
from .wire import author_of, is_genesis

BLOCKED = "its author is blocked on this node"
RESTRICTED = (
    "this node accepts events for this commons only from its maintainers and the authors it follows"
)


@dataclass
class Strangers:
    """Who is known in each commons, and what the others may still send this hour."""

    known: KnownAuthors
    quota: StrangerQuota = field(default_factory=StrangerQuota)


@dataclass
class Admitted:
    """A push as this node's policy takes it: the events let through, those refused with
    their reason, whether every author is known, the quota message if one was hit, and
    what each event let through took from its author's quota (event id: author, bytes)."""

    raws: list[bytes]
    refused: list[tuple[bytes, str]]
    all_known: bool
    over_quota: str | None = None
    charged: dict[bytes, tuple[str, int]] = field(default_factory=dict)


def _trusted(shared: Shared, commons: bytes, known: KnownAuthors | None) -> set[str]:
    """Maintainers and followed authors, and with ``known`` those with accepted work."""
    home, lock, local = shared.home, shared.lock, shared.local
    trusted = local.authors("followed")
    with lock:
        if home.store.commons_cid(commons) is not None:
            charter = home.state(commons).get("charter")
            trusted |= set(charter["maintainers"]) if charter else set()
            if known is not None:
                trusted |= known.of(commons)
    return trusted


def _refusal(shared: Shared, commons: bytes) -> Callable[[bytes], str | None] | None:
    """This node's policy, before anything is verified or stored: a function telling
    why an event is refused (or None), or None when the node takes events from anyone."""
    local = shared.local
    blocked = local.authors("blocked")
    restricted = local.policy(commons) == "maintainers"
    if not blocked and not restricted:
        return None
    trusted = _trusted(shared, commons, None) if restricted else set()

    def refusal(raw: bytes) -> str | None:
        author = author_of(raw)
        if author in blocked:
            return BLOCKED
        if restricted and author not in trusted and not is_genesis(raw):
            return RESTRICTED
        return None

    return refusal


def admit(
    shared: Shared,
    commons: bytes,
    raws: Iterable[bytes],
    refused: list[tuple[bytes, str]],
) -> Iterable[bytes]:
    """``raws`` as this node's policy lets them through, the others noted in ``refused``
    with their reason; ``raws`` themselves when the node takes events from anyone. For what
    this node pulls from the peers it chose: no quotas (see ``admit_pushed``)."""
    refusal = _refusal(shared, commons)
    if refusal is None:
        return raws

    def admitted() -> Iterator[bytes]:
        for raw in raws:
            reason = refusal(raw)
            if reason is None:
                yield raw
            else:
                refused.append((event_id(raw), reason))

    return admitted()


def admit_pushed(
    shared: Shared, commons: bytes, raws: list[bytes], strangers: Strangers
) -> Admitted:
    """What a peer pushed or announced, through the policy and the strangers' quotas.
    Events already stored pass without counting: peers relaying the same event do not use
    its author's quota up."""
    refused: list[tuple[bytes, str]] = []
    passed = list(admit(shared, commons, raws, refused))
    trusted = _trusted(shared, commons, strangers.known)
    unknown = [raw for raw in passed if author_of(raw) not in trusted and not is_genesis(raw)]
    if not unknown:
        return Admitted(passed, refused, True)
    with shared.lock:
        stored = shared.home.store.known(event_id(raw) for raw in unknown)
    limits = shared.local.stranger_quota(commons)
    message = over_quota(*limits)
    taken: list[bytes] = []
    charged: dict[bytes, tuple[str, int]] = {}
    hit = False
    for raw in passed:
        author = author_of(raw)
        if author in trusted or is_genesis(raw):
            taken.append(raw)
            continue
        eid = event_id(raw)
        if eid in stored:
            taken.append(raw)
        elif strangers.quota.take(commons, author, len(raw), limits):
            taken.append(raw)
            charged[eid] = (author, len(raw))
        else:
            refused.append((eid, message))
            hit = True
    return Admitted(taken, refused, False, message if hit else None, charged)
