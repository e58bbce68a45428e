"""Checking events in a helper process while the writer stores and folds them.

Checking an event (``domain.parse``: size, canonical form, signature, id, schema) costs more
than folding it, and only the signature lets go of Python's GIL: checking threads could not
share the work out, and their hand-offs of the GIL cost nearly what they saved. A helper
process checks big inputs ahead, chunk by chunk; the writer then decodes the events it was
told are valid without checking them again (``domain.parse_checked``). Small inputs are
checked in place, where a round trip to the helper would cost more than they do. If the
helper cannot start or dies, checking goes on in place: slower, never skipped.

The helper is ``python -m communs.node.writing.verifier``, not a ``multiprocessing`` child: that
would run the parent's main script again, which every program using Communs would have to
guard. It reads CBOR arrays of events on its standard input and answers each with an array
of refusals (null for a valid event), in order.
"""

import contextlib
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, InvalidStateError
from pathlib import Path
from typing import Any, BinaryIO

import cbor2

from ... import domain
from ...core.errors import InvalidEvent
from ...core.events import Event, event_id

log = logging.getLogger(__name__)

Checked = Event | tuple[bytes, str]  # an event, or (its id, why it is refused)


def _id_of(raw: Any) -> bytes:
    return event_id(bytes(raw)) if isinstance(raw, bytes | bytearray | memoryview) else b""


def check(raws: list[Any]) -> list[Checked]:
    """Check events here: each parsed event, or its id and why it is refused."""
    results: list[Checked] = []
    for raw in raws:
        try:
            results.append(domain.parse(raw))
        except InvalidEvent as error:
            results.append((_id_of(raw), str(error)))
    return results


def refusals(raws: list[Any]) -> list[str | None]:
    """For each event, None if it is valid, else why it is refused (the helper's work)."""
    reasons: list[str | None] = []
    for raw in raws:
        try:
            domain.parse(raw)
            reasons.append(None)
        except InvalidEvent as error:
            reasons.append(str(error))
    return reasons


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """The helper's loop: one array of refusals for each array of events, until the end."""
    while True:
        try:
            raws = cbor2.load(requests)
        except (EOFError, cbor2.CBORDecodeEOF):
            return
        cbor2.dump(refusals(raws), answers)
        answers.flush()


class CheckedAhead:
    """Chunks of events checked ahead of the writer, given back in order.

    The helper checks them, with about ``limit`` events in its queue. While it starts, the
    first chunks are checked here; and whenever the writer would wait for the helper, it
    takes back the last chunk not yet sent to it and checks that one here, so neither side
    waits for long, whichever is faster."""

    def __init__(self, verifier: "Verifier", chunks: Iterator[list[Any]], limit: int):
        self.verifier, self.chunks, self.limit = verifier, chunks, limit
        self.ahead: deque[tuple[list[Any], Future | list[Checked] | None]] = deque()
        self.queued = 0  # events in ``ahead``
        if not verifier.running:
            for chunk in (next(chunks, None), next(chunks, None)):
                if chunk:
                    self.ahead.append((chunk, None))
                    self.queued += len(chunk)
        self.top_up()

    def top_up(self) -> None:
        while self.queued < self.limit and (chunk := next(self.chunks, None)) is not None:
            self.ahead.append((chunk, self.verifier.submit(chunk)))
            self.queued += len(chunk)

    def next_size(self) -> int | None:
        """Events in the next chunk (None: no more)."""
        return len(self.ahead[0][0]) if self.ahead else None

    def next_ready(self) -> bool:
        """Whether the next chunk can be taken without waiting for the helper."""
        pending = self.ahead[0][1]
        return not isinstance(pending, Future) or pending.done()

    def take(self) -> list[Checked]:
        chunk, pending = self.ahead.popleft()
        self.queued -= len(chunk)
        while isinstance(pending, Future) and not pending.done() and self._take_back():
            pass
        return self.verifier.results(chunk, pending)

    def _take_back(self) -> bool:
        """Check here the last chunk still waiting to be sent to the helper, if any."""
        for index in range(len(self.ahead) - 1, -1, -1):
            chunk, pending = self.ahead[index]
            if isinstance(pending, Future):
                if not pending.cancel():  # sent: so are all the chunks before it
                    return False
                self.ahead[index] = (chunk, check(chunk))
                return True
        return False


class HelperGone(Exception):
    """The helper process stopped before answering."""


class Verifier:
    """One helper process, started at the first big input and kept for the next ones."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._requests: queue.Queue[tuple[Future, bytes] | None] = queue.Queue()
        self._waiting: deque[Future] = deque()  # answers due, in the order asked
        self._lock = threading.Lock()
        self._failed = False
        self._gone = False  # the helper's output ended

    @property
    def running(self) -> bool:
        return self._process is not None

    def submit(self, raws: list[Any]) -> Future | None:
        """Start checking ``raws`` in the helper; None if they are to be checked in place."""
        if self._failed or not all(type(raw) is bytes for raw in raws):
            return None
        if self._process is None:
            try:
                self._start()
            except OSError as error:
                self._give_up(error)
                return None
        future: Future = Future()  # cancelled before it is sent: to be checked in place
        request = cbor2.dumps(raws)
        with self._lock:  # answers come in the order asked, whichever thread asks
            gone = self._gone
            if not gone:
                self._waiting.append(future)
                self._requests.put((future, request))
        if gone:  # its reader has seen it stop: nobody would answer
            self._give_up(HelperGone("the helper process stopped"))
            return None
        return future

    def results(self, raws: list[Any], future: Future | list[Checked] | None) -> list[Checked]:
        """What the helper found about ``raws``, as ``check`` gives it (``future``: what
        ``submit`` gave, or the results already, or None to check them here)."""
        if future is None:
            return check(raws)
        if isinstance(future, list):
            return future
        try:
            reasons = future.result()
            if not isinstance(reasons, list) or len(reasons) != len(raws):
                raise HelperGone("the helper process answered something else than asked")
        except HelperGone as error:
            self._give_up(error)
            return check(raws)
        return [
            domain.parse_checked(raw) if reason is None else (_id_of(raw), str(reason))
            for raw, reason in zip(raws, reasons, strict=True)
        ]

    def _start(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])  # where ``communs`` is
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        process = subprocess.Popen(
            [sys.executable, "-m", "communs.node.writing.verifier"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._process, self._requests, self._waiting = process, queue.Queue(), deque()
        self._gone = False
        # Writing and reading in threads of their own: this one goes on folding meanwhile.
        for work in (self._write, self._read):
            threading.Thread(
                target=work, args=(process, self._requests, self._waiting), daemon=True
            ).start()

    def _write(self, process: subprocess.Popen, requests: queue.Queue, waiting: deque) -> None:
        assert process.stdin is not None
        try:
            while (item := requests.get()) is not None:
                future, request = item
                with self._lock:  # the reader fails what is left under this lock too
                    if future.done() and not future.cancelled():
                        continue  # failed by the reader: the helper stopped
                    if not future.set_running_or_notify_cancel():  # taken back before sent
                        with contextlib.suppress(ValueError):
                            waiting.remove(future)
                        continue
                process.stdin.write(request)
                process.stdin.flush()
        except OSError:  # the helper died: the reader tells whoever waits
            pass
        finally:
            try:
                process.stdin.close()
            except OSError:
                pass

    def _read(self, process: subprocess.Popen, requests: queue.Queue, waiting: deque) -> None:
        assert process.stdout is not None
        try:
            while True:
                answer = cbor2.load(process.stdout)
                with self._lock:
                    future = waiting.popleft()
                future.set_result(answer)
        except Exception as error:  # end of the helper's output, or a broken answer
            with self._lock:
                for future in waiting:
                    with contextlib.suppress(InvalidStateError):  # taken back meanwhile
                        future.set_exception(HelperGone(f"the helper process stopped ({error!r})"))
                waiting.clear()
                if waiting is self._waiting:  # not a helper stopped before
                    self._gone = True

    def _give_up(self, error: Exception) -> None:
        if not self._failed:
            log.warning("checking events in place from now on (helper process: %s)", error)
        self._failed = True
        self.close()

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        self._requests.put(None)  # the writer closes the helper's input: it ends
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()  # the reader has seen its end


if __name__ == "__main__":
    # Ctrl-C in a terminal reaches the whole process group: the node stops its helper by
    # closing its input, and the helper must not print a traceback of its own meanwhile.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)
