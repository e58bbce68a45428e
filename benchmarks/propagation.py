"""Propagation between two running nodes: new events signed on A, timed until B holds them,
against the round trips of HTTP and of raw TCP on loopback measured in the same run."""

from __future__ import annotations

import socket
import statistics
import threading
import time

import cbor2
import httpx

from nodes import Node, events_of, show, wait_for


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def http_rtt(node: Node, count: int = 100) -> list[float]:
    """Round trips of ``GET /api/node`` on one kept-alive connection, in seconds."""
    assert node.http is not None
    for _ in range(20):
        node.http.get("/api/node")
    times = []
    for _ in range(count):
        start = time.perf_counter()
        node.http.get("/api/node").raise_for_status()
        times.append(time.perf_counter() - start)
    return times


def tcp_rtt(count: int = 1000) -> list[float]:
    """Round trips of 64 bytes over a loopback TCP connection (TCP_NODELAY both ends) to an
    echo thread: the floor under any request on this machine."""
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname(), timeout=10)
    server, _ = listener.accept()
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def echo() -> None:
        try:
            while data := server.recv(4096):
                server.sendall(data)
        except OSError:
            pass

    thread = threading.Thread(target=echo, daemon=True)
    thread.start()
    times = []
    try:
        message = b"x" * 64
        for _ in range(count):
            start = time.perf_counter()
            client.sendall(message)
            got = 0
            while got < len(message):
                got += len(client.recv(4096))
            times.append(time.perf_counter() - start)
    finally:
        client.close()
        server.close()
        listener.close()
        thread.join(5)
    return times


class LiveWatch(threading.Thread):
    """Holds ``GET /sync/live`` open on a node and stamps each event it announces: a node
    announces an event once it is committed to its store, so the stamp is when the event is
    in that node's state, with no polling in between."""

    def __init__(self, url: str, commons_hex: str):
        super().__init__(daemon=True)
        self.url, self.commons_hex = url, commons_hex
        self.arrivals: dict[bytes, float] = {}
        self.connected = threading.Event()
        self.changed = threading.Condition()
        self._closing = False
        self._http = httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0))

    def run(self) -> None:
        from communs.core.events import event_id
        from communs.node.peers.wire import iter_cbor_seq

        try:
            with self._http.stream(
                "GET", f"{self.url}/sync/live", params={"commons": self.commons_hex}
            ) as response:
                for item in iter_cbor_seq(response.iter_raw()):
                    now = time.perf_counter()
                    if isinstance(item, bytes):
                        with self.changed:
                            self.arrivals[event_id(item)] = now
                            self.changed.notify_all()
                    else:
                        self.connected.set()
        except Exception:  # noqa: BLE001  (closing the client ends the stream)
            if not self._closing:
                raise

    def wait(self, eid: bytes, deadline: float) -> float | None:
        with self.changed:
            while eid not in self.arrivals:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.changed.wait(left)
            return self.arrivals[eid]

    def close(self) -> None:
        self._closing = True
        self._http.close()
        self.join(5)


def last_proposal(raws: list[bytes]) -> bytes:
    from communs.core import canonical
    from communs.core.events import event_id

    for raw in reversed(raws):
        if canonical.decode(canonical.decode(raw)[0])["type"] == "contribution.propose":
            return event_id(raw)
    raise RuntimeError("the workload has no proposal")


def measure_propagation(
    a: Node, b: Node, w, start_heads: list[str], commons_hex: str, count: int
) -> dict:
    """With B following A (live stream up), sign ``count`` new events on A's heads, one at a
    time, and time each until B holds it: by polling B, and by B's own live stream."""
    from communs.core.events import event_id, sign_event

    assert a.http is not None and b.http is not None and b.url is not None
    heads = [bytes.fromhex(h) for h in start_heads]
    clock_of = dict(zip(w.ids, w.clocks, strict=True))
    clock = max(clock_of[h] for h in heads)
    target = last_proposal(w.raws)
    expected = len(w.raws)
    watch = LiveWatch(b.url, commons_hex)
    watch.start()
    watch.connected.wait(10)

    def send(i: int) -> tuple[float, float, float | None, float | None]:
        """One new event at A: (POST sent, POST answered, seen by polling B's
        GET /api/commons, announced by B's live stream), perf_counter seconds."""
        nonlocal heads, clock, expected
        clock += 1
        raw = sign_event(
            w.identities[i % len(w.identities)],
            commons=w.genesis_id,
            type="contribution.review",
            parents=heads,
            clock=clock,
            time=int(time.time() * 1000),
            body={"contribution": target, "verdict": "comment", "comment": f"propagation {i}"},
        )
        eid = event_id(raw)
        heads = [eid]
        expected += 1
        t0 = time.perf_counter()
        response = a.http.post(f"/sync/{commons_hex}/events", content=cbor2.dumps(raw))
        t1 = time.perf_counter()
        response.raise_for_status()
        assert response.json()["added"] == 1, response.text
        deadline = t0 + 10.0
        polled = None
        while time.perf_counter() < deadline:
            count = events_of(b, commons_hex)
            if count is not None and count >= expected:
                polled = time.perf_counter()
                break
            time.sleep(0.0005)
        return t0, t1, polled, watch.wait(eid, deadline)

    try:
        # Warm up until the live stream from A to B is up (B subscribes in its background
        # loop after the follow; until then, events come with its periodic rounds).
        warm = 1
        if send(-warm)[2] is None:
            wait_for(
                lambda: (events_of(b, commons_hex) or 0) >= expected,
                90,
                0.05,
                "the warm-up event reaches B",
            )
        for _ in range(2):
            warm += 1
            send(-warm)
            time.sleep(0.1)
        polled, live, posts, lost = [], [], [], 0
        for i in range(count):
            t0, t1, seen, announced = send(i)
            posts.append(t1 - t0)
            if seen is None:
                lost += 1
            else:
                polled.append(seen - t0)
            if announced is not None:
                live.append(announced - t0)
            time.sleep(0.1)
    finally:
        watch.close()
    start = time.perf_counter()
    final_b = show(b, commons_hex)
    show_after_event = time.perf_counter() - start
    start = time.perf_counter()
    show(b, commons_hex)
    show_cached = time.perf_counter() - start
    final_a = show(a, commons_hex)
    converged = final_b["state_digest"] == final_a["state_digest"] and final_b["heads"] == [
        heads[0].hex()
    ]
    median = statistics.median(polled) if polled else float("inf")
    p90 = pct(polled, 0.9) if polled else float("inf")
    live_median = statistics.median(live) if live else float("inf")
    print(
        f"propagation over {count} events ({warm} warm-up), polling B's "
        f"GET /api/commons: median {median * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms, max "
        f"{max(polled, default=float('inf')) * 1000:.1f} ms; {lost} not seen within 10 s"
    )
    print(
        f"  announced by B's live stream (committed at B): median {live_median * 1000:.1f}"
        f" ms, p90 {pct(live, 0.9) * 1000 if live else float('inf'):.1f} ms "
        f"({len(live)} stamped); POST to A answered (ingest at A): median "
        f"{statistics.median(posts) * 1000:.1f} ms"
    )
    print(
        f"  digests {'equal' if converged else 'DIFFERENT'}; B's commons show after a new "
        f"event (digest recomputed) {show_after_event * 1000:.0f} ms, again (cached) "
        f"{show_cached * 1000:.0f} ms"
    )
    return {
        "median": median,
        "p90": p90,
        "live_median": live_median,
        "seen": len(polled),
        "lost": lost,
        "converged": converged,
    }
