"""Two nodes on the loopback interface find each other by mDNS, and never themselves."""

import socket
import threading
import time

import pytest

pytest.importorskip("zeroconf")

from communs.node.peers.discovery import LanDiscovery  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Found:
    """Collects the URLs one node's on_found receives (called from a worker thread)."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, url: str) -> None:
        with self.lock:
            self.urls.append(url)

    def snapshot(self) -> list[str]:
        with self.lock:
            return list(self.urls)


@pytest.mark.slow
def test_two_nodes_find_each_other_on_loopback():
    port_a, port_b = free_port(), free_port()
    while port_b == port_a:
        port_b = free_port()
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    found_a, found_b = Found(), Found()
    a = LanDiscovery("127.0.0.1", port_a, found_a)
    b = LanDiscovery("127.0.0.1", port_b, found_b)
    try:
        a.start()
        b.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if url_b in found_a.snapshot() and url_a in found_b.snapshot():
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"no mutual discovery in 10 s: a saw {found_a.urls}, b saw {found_b.urls}")
    finally:
        a.stop()
        b.stop()
    assert url_a not in found_a.snapshot()
    assert url_b not in found_b.snapshot()
    # Other communs nodes on this machine's loopback may show up too, but each once.
    assert found_a.snapshot().count(url_b) == 1
    assert found_b.snapshot().count(url_a) == 1
    a.stop()  # idempotent
    b.stop()


def test_stop_is_idempotent_and_safe_before_start():
    node = LanDiscovery("127.0.0.1", free_port(), lambda url: None)
    node.stop()
    node.stop()
