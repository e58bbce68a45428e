"""The node's writer lock: reentrant, first come first served, and a releasing thread does
not take it back before those already waiting (what kept pages waiting behind a push)."""

import threading
import time

import pytest

from communs.node.home.fairlock import FairLock

BOUND = 10.0  # seconds any wait in these tests may take on a loaded machine


def wait_for(condition, bound: float = BOUND) -> None:
    deadline = time.monotonic() + bound
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def queued(lock: FairLock) -> int:
    with lock._mutex:
        return len(lock._queue)


def start(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_reentrant_and_released_only_at_the_last_release():
    lock = FairLock()
    got = []
    with lock:
        with lock:
            pass
        thread = start(lambda: got.append(lock.acquire(timeout=0.05)))
        thread.join(BOUND)
        assert got == [False]  # still held once
    thread = start(lambda: (got.append(lock.acquire(timeout=BOUND)), lock.release()))
    thread.join(BOUND)
    assert got == [False, True]


def test_waiters_get_the_lock_in_the_order_they_came():
    lock = FairLock()
    order: list[int] = []

    def worker(n: int) -> None:
        with lock:
            order.append(n)

    lock.acquire()
    threads = []
    for n in range(8):
        threads.append(start(lambda n=n: worker(n)))
        wait_for(lambda n=n: queued(lock) == n + 1)
    lock.release()
    for thread in threads:
        thread.join(BOUND)
    assert order == list(range(8))


def test_a_releasing_thread_waits_behind_those_already_waiting():
    """The writer's loop — release, take again — lets a waiting reader in between."""
    lock = FairLock()
    events: list[str] = []
    lock.acquire()
    reader = start(lambda: (lock.acquire(), events.append("reader"), lock.release()))
    wait_for(lambda: queued(lock) == 1)
    lock.release()
    lock.acquire()  # the writer's next transaction
    events.append("writer")
    lock.release()
    reader.join(BOUND)
    assert events == ["reader", "writer"]


def test_a_timed_out_waiter_leaves_the_queue():
    lock = FairLock()
    lock.acquire()
    results: list[bool] = []
    thread = start(lambda: results.append(lock.acquire(timeout=0.05)))
    thread.join(BOUND)
    assert results == [False]
    assert queued(lock) == 0
    assert lock.acquire(blocking=False)  # reentrant for the owner
    lock.release()
    lock.release()
    # Nobody holds it now: a ghost waiter would have kept it.
    other = start(lambda: results.append(lock.acquire(blocking=False)) or lock.release())
    other.join(BOUND)
    assert results == [False, True]


def test_non_blocking_acquire_fails_while_held_by_another_thread():
    lock = FairLock()
    lock.acquire()
    results: list[bool] = []
    start(lambda: results.append(lock.acquire(blocking=False))).join(BOUND)
    assert results == [False]
    lock.release()


def test_releasing_a_lock_one_does_not_hold_is_an_error():
    lock = FairLock()
    with pytest.raises(RuntimeError, match="does not hold"):
        lock.release()
    lock.acquire()
    errors: list[Exception] = []

    def release_from_elsewhere() -> None:
        try:
            lock.release()
        except RuntimeError as error:
            errors.append(error)

    start(release_from_elsewhere).join(BOUND)
    assert len(errors) == 1
    lock.release()


def test_many_threads_exclude_each_other_and_all_finish():
    lock = FairLock()
    inside = 0
    most = 0
    total = 0

    def worker() -> None:
        nonlocal inside, most, total
        for _ in range(300):
            with lock:
                with lock:  # reentrant under contention too
                    inside += 1
                    most = max(most, inside)
                    total += 1
                    inside -= 1

    threads = [start(worker) for _ in range(8)]
    for thread in threads:
        thread.join(BOUND * 3)
        assert not thread.is_alive()
    assert (total, most) == (8 * 300, 1)
