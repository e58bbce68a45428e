"""This node's admission policy for events from peers, applied before anything is verified or
stored: authors it blocks, and commons that take events only from their maintainers and the
authors this node follows. Local to the node, never replicated."""

from collections.abc import Callable, Iterable, Iterator

from ...core.events import event_id
from ..home.shared import Shared
from .wire import author_of, is_genesis

BLOCKED = "its author is blocked on this node"
RESTRICTED = (
    "this node accepts events for this commons only from its maintainers and the authors it follows"
)


def _refusal(shared: Shared, commons: bytes) -> Callable[[bytes], str | None] | None:
    """This node's policy, before anything is verified or stored: a function telling
    why an event is refused (or None), or None when the node takes events from anyone."""
    home, lock, local = shared.home, shared.lock, shared.local
    blocked = local.authors("blocked")
    restricted = local.policy(commons) == "maintainers"
    if not blocked and not restricted:
        return None
    trusted = local.authors("followed")
    if restricted:
        with lock:
            charter = (
                home.state(commons).get("charter") if home.store.commons_cid(commons) else None
            )
        trusted |= set(charter["maintainers"]) if charter else set()

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
    with their reason; ``raws`` themselves when the node takes events from anyone."""
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
