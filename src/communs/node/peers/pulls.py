"""The pulls under way on a node, for everyone to follow: which peer, which commons, how many
events have come, and about how many are coming."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Pulls:
    def __init__(self) -> None:
        self._under_way: dict[tuple[str, bytes], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def under_way(self) -> list[dict[str, Any]]:
        """Each pull: ``peer``, ``commons``, events received so far (``done``), and about how
        many are coming (``total``: what the peer holds beyond what this node held when the
        pull began; None if the peer does not say)."""
        with self._lock:
            return [dict(pull) for pull in self._under_way.values()]

    @contextmanager
    def tracking(
        self, peer: str, commons: bytes, total: int | None
    ) -> Iterator[Callable[[int], None]]:
        """List a pull while it runs; yields what counts the events it receives."""
        pull = {"peer": peer, "commons": commons.hex(), "done": 0, "total": total}
        key = (peer, commons)
        with self._lock:
            self._under_way[key] = pull

        def received(events: int) -> None:
            pull["done"] += events

        try:
            yield received
        finally:
            with self._lock:
                if self._under_way.get(key) is pull:
                    del self._under_way[key]
