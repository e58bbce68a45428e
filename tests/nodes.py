"""Real nodes for multi-process tests: a ``communs serve`` process per home, the CLI run
against that home (so it goes through the node's HTTP API), and bounded waits.

Usage (see tests/test_replication.py)::

    from nodes import Nodes, wait_until

    @pytest.fixture
    def nodes(tmp_path):
        with Nodes(tmp_path) as made:       # stops every node it started, whatever happens
            yield made

    def test_something(nodes):
        (a,) = nodes.start("a")             # tmp_path/"a", a free port on 127.0.0.1
        a.cli("id", "new", "--name", "anna")
        wait_until(lambda: a.show(commons)["events"] == 5, 10, "a has the 5 events")
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

START_TIMEOUT = 30.0  # seconds for a node to print its URL and answer (a loaded machine)
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
TEARDOWN_TIMEOUT = 5.0  # the same at the end of a test (a healthy node stops in ~1 s)
CLI_TIMEOUT = 60.0


class GiveUp(Exception):
    """Raised by a ``wait_until`` predicate when waiting longer cannot help."""


def wait_until(
    predicate: Callable[[], Any],
    timeout: float,
    what: str | Callable[[], str] = "",
    interval: float = 0.05,
) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned) or ``timeout`` seconds
    pass (then fail, naming ``what`` — a string, or a function called then to describe the
    situation — and the last value or exception seen)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = predicate()
        except GiveUp:
            raise
        except Exception as error:  # noqa: BLE001  (e.g. a node not answering yet)
            last = error
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            if callable(what):
                try:
                    what = what()
                except Exception as error:  # noqa: BLE001
                    what = f"(describing the wait failed: {error!r})"
            message = f"timed out after {timeout:g} s waiting for {what or predicate!r}"
            pytest.fail(f"{message}; last: {last!r}"[:2000])
        time.sleep(interval)


def parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent calls (e.g. CLI commands on different homes) at once; their results,
    in order. The first exception is raised once all have finished."""
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
    return [future.result() for future in futures]


def communs_process(
    home: Path, *args: str, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess:
    """``python -m communs --home HOME ARGS…`` as it ended: exit code, stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "communs", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_cli(home: Path, *args: str, code: int | None = 0, timeout: float = CLI_TIMEOUT) -> str:
    """``python -m communs --home HOME ARGS…``: its stdout, after checking its exit code
    (``code=None``: any)."""
    result = communs_process(home, *args, timeout=timeout)
    if code is not None:
        assert result.returncode == code, (
            f"communs {' '.join(args)} exited {result.returncode}, expected {code}\n"
            f"stdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-2000:]}"
        )
    return result.stdout


class Node:
    """A home directory, and the node process serving it while it runs."""

    serve_options: tuple[str, ...] = ()  # more options of ``communs serve``
    listen = "127.0.0.1:0"  # ``--listen``: a free port, unless set (e.g. to restart on a URL)

    def __init__(self, home: Path):
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[str] | None = None
        self.url: str | None = None
        self.stderr_path = self.home.parent / f"{self.home.name}.serve.log"
        self._stderr: Any = None
        self._lines: list[str] = []  # the node's stdout, line by line

    def __repr__(self) -> str:
        return f"Node({self.home.name}, {self.url or 'stopped'})"

    # -- the process ----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self} is not running"
        return self.process.pid

    def start(self, timeout: float = START_TIMEOUT) -> Node:
        """Serve the home on a free port; return once the node answers HTTP."""
        return self.launch().ready(timeout)

    def launch(self) -> Node:
        """Start the process without waiting for it (``ready`` waits): nodes start in
        parallel."""
        assert not self.running, f"{self} already runs"
        self._stderr = open(self.stderr_path, "a")  # noqa: SIM115  (closed in _reap)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "communs", "--home", str(self.home), "serve"]
            + [*self.serve_options, "--listen", self.listen],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self._lines = []
        stdout = self.process.stdout
        threading.Thread(
            target=lambda: self._lines.extend(iter(stdout.readline, "")),  # type: ignore[union-attr]
            daemon=True,
        ).start()
        return self

    def ready(self, timeout: float = START_TIMEOUT) -> Node:
        """Wait until the launched node printed its URL and answers there."""
        try:
            url = wait_until(
                self._url_from, timeout, f"{self.home.name} to print its URL", interval=0.02
            )
            # The URL is printed once the port is bound; the node answers a moment later.
            wait_until(
                lambda: httpx.get(f"{url}/api/node", timeout=2.0, trust_env=False).is_success,
                timeout,
                f"{self.home.name} to answer on {url}",
                interval=0.02,
            )
        except BaseException:
            self.kill()
            raise
        self.url = url
        return self

    def _url_from(self) -> str | None:
        if self.process is not None and self.process.poll() is not None:
            raise GiveUp(
                f"{self.home.name} exited with {self.process.returncode} before listening: "
                + self.stderr_path.read_text()[-2000:]
            )
        for line in self._lines:
            if line.startswith("http://"):
                return line.strip()
        return None

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds; the exit
        status (None if it had to be killed)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        return self._reap()

    def kill(self) -> None:
        """SIGKILL: the node gets no chance to clean up."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(STOP_TIMEOUT)
        self._reap()

    def _reap(self) -> int | None:
        assert self.process is not None
        code = self.process.returncode
        if self.process.stdout:
            self.process.stdout.close()
        if self._stderr:
            self._stderr.close()
            self._stderr = None
        self.process = None
        self.url = None
        return code

    def log_text(self) -> str:
        """What the node wrote on stderr (every run of it)."""
        return self.stderr_path.read_text() if self.stderr_path.exists() else ""

    # -- commands -------------------------------------------------------------------------

    def cli(self, *args: str, code: int | None = 0, timeout: float = CLI_TIMEOUT) -> str:
        """A communs command on this home: through the node while it runs."""
        return run_cli(self.home, *args, code=code, timeout=timeout)

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json"))

    def get(self, path: str, **params: Any) -> Any:
        """A read through the node's HTTP API (quicker than a CLI process, for polling)."""
        assert self.url, f"{self} is not running"
        response = httpx.get(f"{self.url}{path}", params=params, timeout=10.0, trust_env=False)
        response.raise_for_status()
        return response.json()

    def show(self, commons: str) -> dict[str, Any] | None:
        """``commons show COMMONS --json``, read over HTTP; None while the node lacks it."""
        try:
            return self.get(f"/api/commons/{commons}")
        except httpx.HTTPStatusError as error:
            if error.response.status_code == 404:
                return None
            raise


class Nodes:
    """Makes nodes under one folder and stops every one it started, whatever happens."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.made: list[Node] = []

    def new(self, name: str) -> Node:
        node = Node(self.root / name)
        self.made.append(node)
        return node

    def start(self, *names: str) -> list[Node]:
        """Start a node for each name (in parallel) and return them once they all answer."""
        return self.run(*[self.new(name) for name in names])

    def run(self, *made: Node) -> list[Node]:
        """Start these nodes (made by ``new``) in parallel; return once they all answer."""
        for node in made:
            node.launch()
        return [node.ready() for node in made]

    def __enter__(self) -> Nodes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """SIGTERM to every running node at once, then SIGKILL to those still running after
        TEARDOWN_TIMEOUT (nodes subscribed to each other may wait for one another)."""
        launched = [node for node in self.made if node.process is not None]
        for node in launched:
            if node.running:
                node.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        deadline = time.monotonic() + TEARDOWN_TIMEOUT
        for node in launched:
            try:
                node.process.wait(max(0.0, deadline - time.monotonic()))  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                pass
            node.kill()


def loopback_session(**settings: object) -> libtorrent.session:  # noqa: F821
    """A libtorrent client on 127.0.0.1 with no DHT, local discovery, UPnP or NAT-PMP, and
    these ``settings`` besides."""
    import libtorrent

    return libtorrent.session(
        {
            "listen_interfaces": "127.0.0.1:0",
            "enable_dht": False,
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            **settings,
        }
    )
