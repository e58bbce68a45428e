"""Helpers for benchmarks that run real nodes: start and stop ``communs serve`` processes, run
the CLI against a home, read a process's peak RSS, and count the bytes of a TCP connection.

Every wait is bounded, and everything started here is stopped by ``close``/``stop`` (which
the callers run in ``finally`` blocks).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx


def communs(home: Path, *args: str, timeout: float = 600.0) -> subprocess.CompletedProcess:
    """``python -m communs --home HOME ARGS``: goes through the node running on HOME, if any."""
    return subprocess.run(
        [sys.executable, "-m", "communs", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def mb(kib: float | None) -> str:
    return "?" if kib is None else f"{kib / 1024:.0f} MB"


def proc_status_kb(pid: int, field: str) -> int | None:
    """A field of /proc/PID/status in KiB (VmHWM: peak RSS, VmRSS: current RSS)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class Node:
    """``python -m communs --home HOME serve --listen 127.0.0.1:0``, until ``stop``."""

    serve_args: tuple[str, ...] = ()  # more options of ``communs serve``

    def __init__(self, home: Path, name: str, command: list[str] | None = None):
        """``command``: what to run instead of ``python -m communs`` (``--home HOME serve
        --listen 127.0.0.1:0`` follow it), e.g. a wrapper for an experiment."""
        self.home, self.name = Path(home), name
        self.command = command or [sys.executable, "-m", "communs"]
        self.home.mkdir(parents=True, exist_ok=True)
        self.out_path = self.home.parent / f"{name}.stdout"
        self.err_path = self.home.parent / f"{name}.stderr"
        self.proc: subprocess.Popen | None = None
        self.url: str | None = None
        self.http: httpx.Client | None = None

    def start(self, timeout: float = 60.0) -> Node:
        # Output goes to files, never to pipes: a node that logs a lot must not block on a
        # pipe nobody reads.
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [*self.command, "--home", str(self.home), "serve", "--listen", "127.0.0.1:0"]
                + list(self.serve_args),
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while self.url is None:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"node {self.name} exited ({self.proc.returncode}): "
                    f"{self.err_path.read_text()[-2000:]}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"node {self.name} printed no URL within {timeout:.0f} s")
            lines = [ln for ln in self.out_path.read_text().splitlines() if ln.startswith("http")]
            if lines:
                self.url = lines[-1].strip()
            else:
                time.sleep(0.05)
        # The URL is printed once the socket is bound; wait until the API answers.
        self.http = httpx.Client(base_url=self.url, timeout=httpx.Timeout(30.0, connect=5.0))
        while True:
            try:
                if self.http.get("/api/node").status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"node {self.name} does not answer on {self.url}")
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def port(self) -> int:
        assert self.url is not None
        return int(self.url.rsplit(":", 1)[1])

    def peak_rss_kb(self) -> int | None:
        return proc_status_kb(self.pid, "VmHWM")

    def helper_peak_rss_kb(self) -> int:
        """Peak RSS of the node's live child processes (the one that checks events)."""
        import psutil

        try:
            children = psutil.Process(self.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return 0
        return sum(proc_status_kb(child.pid, "VmHWM") or 0 for child in children)

    def stop(self, timeout: float = 15.0) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None
        if self.proc is not None:
            terminate(self.proc, timeout)


def events_of(node: Node, commons_hex: str) -> int | None:
    """The event count of a commons at ``node`` (``GET /api/commons``: no digest computed)."""
    assert node.http is not None
    try:
        rows = node.http.get("/api/commons").json()
    except (httpx.HTTPError, ValueError):
        return None
    return next((r["events"] for r in rows if r["id"] == commons_hex), None)


def show(node: Node, commons_hex: str) -> dict:
    assert node.http is not None
    response = node.http.get(f"/api/commons/{commons_hex}", timeout=300)
    response.raise_for_status()
    return response.json()


def terminate(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if ``proc`` is still there after ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def print_summary(title: str, rows: list[tuple[str, str, str, bool | None]]) -> int:
    """The closing table of a benchmark — name, figure, goal, PASS/MISS — and its exit
    status: 1 if a goal was missed."""
    print(f"\n== summary: {title} ==")
    for name, value, goal, ok in rows:
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"  {name:28s} {value:>12s}  {goal:>10s}  {verdict}")
    return 0 if all(ok is not False for *_, ok in rows) else 1


_REQUEST_LINE = re.compile(rb"(GET|POST|PUT|DELETE) (/[^ ?\r\n]*)[^ \r\n]* HTTP/1\.[01]\r\n")
_HEX_ID = re.compile(r"[0-9a-f]{64}")


class CountingProxy:
    """A TCP proxy on 127.0.0.1 that forwards to ``target`` and counts the bytes both ways.

    It also notes the HTTP request lines it sees going up (``requests``: (time.perf_counter(),
    "POST /sync/{id}/missing")), for telling which requests carried the bytes."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.up = 0  # client -> server
        self.down = 0  # server -> client
        self.connections = 0
        self.requests: list[tuple[float, str]] = []
        self.cpu = 0.0  # CPU seconds of the forwarding threads
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._stopped = False
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="proxy", daemon=True)
        self._thread.start()

    def counts(self) -> tuple[int, int]:
        with self._lock:
            return self.up, self.down

    def requests_since(self, start: float) -> list[tuple[float, str]]:
        """(seconds after ``start``, request) for the requests seen since ``start``."""
        with self._lock:
            return [(t - start, r) for t, r in self.requests if t >= start]

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                self._sockets += [client, server]
            for src, dst, way in ((client, server, "up"), (server, client, "down")):
                threading.Thread(target=self._pipe, args=(src, dst, way), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, way: str) -> None:
        cpu0 = time.thread_time()
        try:
            while True:
                data = src.recv(262144)
                if not data:
                    break
                now = time.perf_counter()
                with self._lock:
                    if way == "up":
                        self.up += len(data)
                        for match in _REQUEST_LINE.finditer(data):
                            path = _HEX_ID.sub("{id}", match.group(2).decode("ascii", "replace"))
                            self.requests.append((now, f"{match.group(1).decode()} {path}"))
                    else:
                        self.down += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            with self._lock:
                self.cpu += time.thread_time() - cpu0

    def close(self) -> None:
        self._stopped = True
        self.listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self._thread.join(5)


def wait_for(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Call ``predicate`` until it returns a true value (returned) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout:.0f} s")
        time.sleep(interval)


def kill_tree_leftovers(pids: list[int]) -> None:
    """SIGKILL the given pids if they still run (processes this benchmark started)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
