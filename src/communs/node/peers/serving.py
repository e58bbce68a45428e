"""Serving peers: the commons this node holds, their heads and ancestry, and the events a
peer lacks, read from the store page by page in fold order (a causally closed stream)."""

from collections.abc import Iterator
from typing import Any

from ...core.errors import BadInput, NotFound
from ...domain.refusals import code, fault
from ..home.shared import Shared
from .sync import MAX_SYNC_HEADS, missing_ids

PAGE = 2000  # events read from the store at a time

NOT_SERVED = code("commons_not_served", "this node does not serve commons {commons}")
HEADS_NOT_IDS = code("sync_heads_not_ids", "heads must be event ids of 32 bytes")
TOO_MANY_HEADS = code(
    "sync_too_many_heads", "name at most {most} of your heads (a node with more names a subset)"
)


class SyncServer:
    def __init__(self, shared: Shared):
        self.home = shared.home
        self.lock = shared.lock  # the home's writer lock
        self.local = shared.local

    def commons(self, ref: str) -> tuple[bytes, int]:
        """The id and row id of a commons this node holds, named by its hex id."""
        try:
            commons = bytes.fromhex(ref)
        except ValueError:
            commons = b""
        cid = self.home.store.commons_cid(commons) if len(commons) == 32 else None
        if cid is None:
            raise fault(NotFound, NOT_SERVED, commons=ref[:12])
        return commons, cid

    def served(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "id": r["id"].hex(),
                    "name": r["name"],
                    "events": r["events"],
                    "heads": [h.hex() for h in self.home.store.heads(r["cid"])],
                }
                for r in self.home.store.commons_rows()
            ]

    def ancestors(self, commons: bytes) -> list[bytes]:
        """The commons a fork descends from, oldest first (those this node holds)."""
        chain = []
        charter = self.home.state(commons).get("charter")
        while charter and charter.get("forked_from"):
            parent = charter["forked_from"]["commons"]
            chain.append(parent)
            if self.home.store.commons_cid(parent) is None:
                break
            charter = self.home.state(parent).get("charter")
        return chain[::-1]

    def info(self, ref: str) -> dict[str, Any]:
        with self.lock:
            commons, cid = self.commons(ref)
            return {
                "id": commons.hex(),
                "events": self.home.store.events_count(cid),
                "heads": [h.hex() for h in self.home.store.heads(cid)],
                "ancestors": [a.hex() for a in self.ancestors(commons)],
            }

    def missing(self, ref: str, heads: list[Any]) -> tuple[dict[str, Any], Iterator[list[bytes]]]:
        if any(not isinstance(h, bytes) or len(h) != 32 for h in heads):
            raise fault(BadInput, HEADS_NOT_IDS)
        if len(heads) > MAX_SYNC_HEADS:
            raise fault(BadInput, TOO_MANY_HEADS, most=MAX_SYNC_HEADS)
        store = self.home.store
        with self.lock:
            commons, cid = self.commons(ref)
            ours = store.heads(cid)
            known = store.known(heads)
            unknown = [h for h in heads if h not in known]
        ids = missing_ids(store, cid, heads, self.lock)
        blocked = self.local.authors("blocked")

        def pages() -> Iterator[list[bytes]]:
            if ids is None:  # they have nothing we know of: everything, in fold order
                after = None
                while True:
                    with self.lock:
                        rows = store.events_after(cid, after, PAGE)
                    if not rows:
                        return
                    after = (rows[-1].clock, rows[-1].id)
                    yield [r.raw for r in rows if r.author not in blocked]
            for start in range(0, len(ids), PAGE):
                with self.lock:
                    rows = [store.event(eid) for eid in ids[start : start + PAGE]]
                yield [r.raw for r in rows if r is not None and r.author not in blocked]

        return {"heads": ours, "unknown": unknown}, pages()
