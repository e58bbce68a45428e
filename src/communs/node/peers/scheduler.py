"""Who goes into the write path first, among the pushes peers send.

Live events and small pushes go straight in: they are what people wait for. Bulk pushes take
turns, one at a time, known authors' before strangers' (see ``quotas``), and each is
ingested in small transactions with the node's (fair) lock taken again for each one, so a
big push delays another peer's events by one small transaction, never by the whole push.
When too many bulk pushes already wait, a new one is turned away with the time to wait:
the pusher's next sync round sends it again, and nothing stored is lost.
"""

import heapq
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ...core.errors import Refused
from ...domain.refusals import code, fault

SMALL = 256  # events: a push this small goes straight in
MAX_WAITING = 4  # bulk pushes waiting for their turn; more are turned away
WAIT = 30.0  # seconds a bulk push waits for its turn at most
RETRY_AFTER = 10  # seconds a turned-away pusher is told to wait


BUSY = code(
    "pushes_busy",
    "this node is taking in other large pushes; try again in {seconds} s (a sync sends what "
    "is left)",
)


class Busy(Refused):
    """This node is taking in other big pushes: try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int = RETRY_AFTER):
        said = fault(Refused, BUSY, seconds=retry_after)
        super().__init__(str(said), code=said.code, params=said.params)
        self.retry_after = retry_after


class PushScheduler:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = False
        self._waiting: list[tuple[int, int]] = []  # (priority, arrival): a heap
        self._arrivals = itertools.count()

    @contextmanager
    def turn(self, events: int, known: bool) -> Iterator[None]:
        """Hold a turn for a push of ``events`` events (every author known or not) while it
        is ingested; raises ``Busy`` when it cannot have one soon."""
        if events <= SMALL:
            yield
            return
        ticket = (0 if known else 1, next(self._arrivals))
        deadline = time.monotonic() + WAIT
        with self._changed:
            if len(self._waiting) >= MAX_WAITING:
                raise Busy()
            heapq.heappush(self._waiting, ticket)
            try:
                while self._busy or self._waiting[0] != ticket:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise Busy()
                    self._changed.wait(left)
            except BaseException:
                self._waiting.remove(ticket)
                heapq.heapify(self._waiting)
                self._changed.notify_all()
                raise
            heapq.heappop(self._waiting)
            self._busy = True
        try:
            yield
        finally:
            with self._changed:
                self._busy = False
                self._changed.notify_all()

    def waiting(self) -> int:
        with self._changed:
            return len(self._waiting) + self._busy
