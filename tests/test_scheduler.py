"""Bulk pushes take turns, known authors' first; small pushes never wait; a full queue or
a long wait turns a push away with the time to retry, and a failed push frees its turn."""

import threading
import time

import pytest

from communs.node.peers import scheduler
from communs.node.peers.scheduler import SMALL, Busy, PushScheduler

BOUND = 10.0
BULK = SMALL + 1


def wait_for(condition, bound: float = BOUND) -> None:
    deadline = time.monotonic() + bound
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


class Holder:
    """A push that holds its turn until told to finish."""

    def __init__(self, pushes: PushScheduler, name: str, known: bool, log: list[str]):
        self.done = threading.Event()
        self.error: BaseException | None = None

        def run() -> None:
            try:
                with pushes.turn(BULK, known):
                    log.append(name)
                    assert self.done.wait(BOUND)
            except BaseException as error:
                self.error = error

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def finish(self) -> None:
        self.done.set()
        self.thread.join(BOUND)


def test_a_small_push_goes_in_while_a_bulk_push_holds_its_turn():
    pushes, log = PushScheduler(), []
    big = Holder(pushes, "big", True, log)
    wait_for(lambda: log == ["big"])
    with pushes.turn(SMALL, known=False):
        log.append("small")
    big.finish()
    assert log == ["big", "small"]


def test_bulk_pushes_go_one_at_a_time_known_authors_first():
    pushes, log = PushScheduler(), []
    first = Holder(pushes, "first", False, log)
    wait_for(lambda: log == ["first"])
    stranger = Holder(pushes, "stranger", False, log)
    wait_for(lambda: pushes.waiting() == 2)
    known = Holder(pushes, "known", True, log)
    wait_for(lambda: pushes.waiting() == 3)
    assert log == ["first"]  # one at a time
    first.finish()
    wait_for(lambda: len(log) == 2)
    assert log == ["first", "known"]
    known.finish()
    wait_for(lambda: len(log) == 3)
    stranger.finish()
    assert log == ["first", "known", "stranger"]
    assert pushes.waiting() == 0


def test_a_full_queue_turns_a_push_away_with_the_time_to_retry():
    pushes, log = PushScheduler(), []
    holders = [Holder(pushes, "busy", True, log)]
    wait_for(lambda: log == ["busy"])
    for n in range(scheduler.MAX_WAITING):
        holders.append(Holder(pushes, f"waiting {n}", True, log))
        wait_for(lambda n=n: pushes.waiting() == n + 2)
    with pytest.raises(Busy) as refused:
        with pushes.turn(BULK, known=True):
            pass
    assert refused.value.retry_after == scheduler.RETRY_AFTER
    assert "try again in" in str(refused.value)
    for holder in holders:
        holder.finish()
    assert all(holder.error is None for holder in holders)
    assert len(log) == 1 + scheduler.MAX_WAITING


def test_a_push_that_waits_too_long_is_turned_away_and_leaves_the_queue(monkeypatch):
    monkeypatch.setattr(scheduler, "WAIT", 0.1)
    pushes, log = PushScheduler(), []
    big = Holder(pushes, "big", True, log)
    wait_for(lambda: log == ["big"])
    with pytest.raises(Busy):
        with pushes.turn(BULK, known=True):
            pass
    assert pushes.waiting() == 1  # only the one ingesting
    big.finish()
    with pushes.turn(BULK, known=False):  # free again
        pass


def test_a_failed_push_frees_its_turn():
    pushes = PushScheduler()
    with pytest.raises(ValueError):
        with pushes.turn(BULK, known=True):
            raise ValueError("bad event")
    assert pushes.waiting() == 0
    with pushes.turn(BULK, known=True):
        assert pushes.waiting() == 1
