"""The node's writer lock, handed to waiters in the order they came.

A ``threading.RLock`` lets the thread that releases it take it again at once, before a
waiting thread wakes up: an ingest releasing the lock between its transactions would keep
it for as long as it runs, and every page would wait for the whole push. Here a release
hands the lock to the oldest waiter, so a reader waits for one transaction at most.
"""

import threading
from collections import deque
from types import TracebackType


class FairLock:
    """A reentrant lock, first come, first served."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._queue: deque[tuple[int, threading.Lock]] = deque()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return True
            if self._owner is None and not self._queue:
                self._owner, self._depth = me, 1
                return True
            if not blocking:
                return False
            turn = threading.Lock()
            turn.acquire()
            self._queue.append((me, turn))
        if turn.acquire(timeout=timeout):
            return True  # handed over by release: owner and depth are already ours
        with self._mutex:
            if (me, turn) in self._queue:
                self._queue.remove((me, turn))
                return False
        return True  # handed over between the timeout and the check

    def release(self) -> None:
        with self._mutex:
            if self._owner != threading.get_ident():
                raise RuntimeError("cannot release a lock this thread does not hold")
            self._depth -= 1
            if self._depth:
                return
            if self._queue:
                owner, turn = self._queue.popleft()
                self._owner, self._depth = owner, 1
                turn.release()
            else:
                self._owner = None

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()
