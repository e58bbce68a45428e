"""A flood against two honest nodes: does an honest contribution still cross at once, and does
the node keep answering its users?

    python benchmarks/bench_flood.py [--events 100000] [--per-author 1000] [--samples 10]
                                     [--seconds 120] [--quick]

Nodes A and B hold one commons, follow it and are each other's peers (live streams up). A
flooding peer pushes valid events into A from new identities — ``--per-author`` each, what
an author without accepted work may send in an hour by default, so everything it sends is
allowed: the hard case for fairness — in pushes of up to 5,000 events, from two threads,
until ``--events`` are sent or ``--seconds`` pass. Measured, first without the flood and
then during all of it, in the same run:

1. honest propagation: a one-line event by the commons' maintainer pushed to A, timed until
   B has it among its heads; median and max over ``--samples`` (calm) or for as long as
   the flood lasts;
2. the p95 of ``GET /api/node`` and of the ``/node`` page on A, asked every 50 ms.

Goals: propagation during the flood within 2x of the unflooded median, and never over a
second (one peer's backlog delays another's events by a second at most); API p95 <= 150 ms.
Every process started here is stopped in ``finally`` blocks; every wait is bounded.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import cbor2
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from propagation import pct  # noqa: E402

from nodes import Node, communs, print_summary, wait_for  # noqa: E402

PUSH = 5_000  # events per flood request


def signed(signer, commons, parent, clock, name):
    from communs.core.events import sign_event

    return sign_event(
        signer,
        commons=commons,
        type="profile.set",
        parents=[parent],
        clock=clock,
        time=clock,
        body={"name": name},
    )


def flood_events(commons: bytes, total: int, per_author: int) -> list[list[bytes]]:
    """Pushes of up to PUSH events: each new identity's chain on the genesis."""
    from communs.core.events import event_id
    from communs.core.identity import Identity

    pushes: list[list[bytes]] = []
    for n in range(0, total, per_author):
        author = Identity((1000 + n // per_author).to_bytes(4, "big") * 8)
        parent, chain = commons, []
        for clock in range(1, min(per_author, total - n) + 1):
            raw = signed(author, commons, parent, clock, f"f{clock}")
            chain.append(raw)
            parent = event_id(raw)
        pushes += [chain[i : i + PUSH] for i in range(0, len(chain), PUSH)]
    return pushes


class Asker(threading.Thread):
    """Asks A for ``path`` every 50 ms and keeps the times."""

    def __init__(self, url: str, path: str):
        super().__init__(daemon=True)
        self.url, self.path, self.times, self.done = url, path, [], threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60.0) as client:
            while not self.done.is_set():
                started = time.perf_counter()
                client.get(self.path).raise_for_status()
                self.times.append(time.perf_counter() - started)
                time.sleep(0.05)

    def stop(self) -> list[float]:
        self.done.set()
        self.join(70)
        return self.times


def has_head(node: Node, commons: bytes, event: bytes) -> bool:
    """Whether ``event`` is one of the commons' heads at ``node``: its event count would
    not do, flooded events reach it too."""
    try:
        heads = node.http.get(f"/sync/{commons.hex()}/info").json()["heads"]
    except (httpx.HTTPError, ValueError, KeyError):
        return False
    return event.hex() in heads


def measure(
    a: Node, b: Node, commons: bytes, state: dict, samples: int, label: str, during=None
) -> dict:
    """Propagation of ``samples`` maintainer events A → B, with A's API timed meanwhile;
    and on, as long as ``during`` (a thread) runs."""
    from communs.core.events import event_id

    askers = [Asker(a.url, "/api/node"), Asker(a.url, "/node")]
    for asker in askers:
        asker.start()
    crossing, taken, moments = [], [], []
    began = time.perf_counter()
    try:
        while len(crossing) < samples or (during is not None and during.is_alive()):
            state["clock"] += 1
            raw = signed(state["maintainer"], commons, state["top"], state["clock"], "honest")
            state["top"] = event_id(raw)
            started = time.perf_counter()
            a.http.post(f"/sync/{commons.hex()}/events", content=cbor2.dumps(raw))
            taken.append(time.perf_counter() - started)
            moments.append(started - began)
            wait_for(
                lambda e=state["top"]: has_head(b, commons, e),
                60,
                interval=0.005,
                what="the honest event at B",
            )
            crossing.append(time.perf_counter() - started)
            time.sleep(0.2)
    finally:
        api, page = (asker.stop() for asker in askers)
    found = {
        "median": statistics.median(crossing),
        "taken": statistics.median(taken),
        "max": max(crossing),
        "slowest": max(zip(crossing, taken, moments, strict=True), key=lambda row: row[0]),
        "api_p95": pct(api, 0.95),
        "page_p95": pct(page, 0.95),
    }
    print(
        f"{label}: honest propagation median {found['median'] * 1000:.0f} ms, max "
        f"{found['max'] * 1000:.0f} ms (A took it in {found['taken'] * 1000:.0f} ms); "
        f"GET /api/node p95 {found['api_p95'] * 1000:.0f} ms, "
        f"/node p95 {found['page_p95'] * 1000:.0f} ms ({len(crossing)} events; {len(api)} and "
        f"{len(page)} asked); slowest {found['slowest'][0] * 1000:.0f} ms (A took it in "
        f"{found['slowest'][1] * 1000:.0f} ms), {found['slowest'][2]:.1f} s in",
        flush=True,
    )
    return found


def flood(url: str, commons: bytes, pushes: list[list[bytes]], seconds: float, stop) -> dict:
    """Push ``pushes`` from two threads until all are sent, ``seconds`` pass or ``stop``."""
    sent = {"events": 0, "added": 0, "turned_away": 0}
    lock = threading.Lock()
    queue = list(reversed(pushes))
    deadline = time.monotonic() + seconds

    def pusher() -> None:
        with httpx.Client(base_url=url, timeout=120.0) as client:
            while not stop.is_set() and time.monotonic() < deadline:
                with lock:
                    if not queue:
                        return
                    raws = queue.pop()
                body = b"".join(cbor2.dumps(raw) for raw in raws)
                response = client.post(f"/sync/{commons.hex()}/events", content=body)
                with lock:
                    sent["events"] += len(raws)
                    if response.status_code == 429 and "added" not in response.json():
                        sent["turned_away"] += 1
                        queue.insert(0, raws)  # sent again later, as a node's sync would
                    else:
                        sent["added"] += response.json().get("added", 0)
                if response.status_code == 429:
                    time.sleep(0.5)

    threads = [threading.Thread(target=pusher, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 130)
    return sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--per-author", type=int, default=1_000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--quick", action="store_true", help="20k events, 5 samples, 40 s")
    args = parser.parse_args()
    if args.quick:
        args.events, args.samples, args.seconds = 20_000, 5, 40.0

    from communs.core.events import event_id, sign_event
    from communs.core.identity import Identity
    from communs.node.home.folder import Home

    maintainer = Identity(b"\x15" * 32)
    body = {"charter": {"name": "Flooded garden", "maintainers": [maintainer.did]}}
    genesis = sign_event(
        maintainer, commons=None, type="commons.create", parents=[], clock=0, time=1, body=body
    )
    commons = event_id(genesis)
    started = time.perf_counter()
    pushes = flood_events(commons, args.events, args.per_author)
    print(f"{args.events:,} flood events signed in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory(prefix="bench-flood-") as root:
        a, b = Node(Path(root) / "a", "a"), Node(Path(root) / "b", "b")
        for node in (a, b):
            with Home(node.home) as home:
                home.ingest([genesis])
        try:
            a.start(), b.start()
            for node, other in ((a, b), (b, a)):
                communs(node.home, "follow", commons.hex())
                communs(node.home, "peer", "add", other.url)
            time.sleep(3)  # the live streams connect
            state = {"maintainer": maintainer, "top": commons, "clock": 0}
            calm = measure(a, b, commons, state, args.samples, "without a flood")
            stop = threading.Event()
            result: dict = {}
            flooding = threading.Thread(
                target=lambda: result.update(flood(a.url, commons, pushes, args.seconds, stop)),
                daemon=True,
            )
            flooding.start()
            time.sleep(1.0)  # the flood is under way
            # Sampled until the flood ends: late samples meet a commons the flood made big.
            flooded = measure(a, b, commons, state, args.samples, "during the flood", flooding)
            stop.set()
            flooding.join(args.seconds + 200)
            print(
                f"flood: {result.get('events', 0):,} events sent, {result.get('added', 0):,} "
                f"taken by A, {result.get('turned_away', 0)} pushes turned away (busy)"
            )
        finally:
            a.stop(), b.stop()
    goal = 2 * calm["median"]
    rows = [
        ("propagation median, calm", f"{calm['median'] * 1000:.0f} ms", "", None),
        (
            "propagation median, flood",
            f"{flooded['median'] * 1000:.0f} ms",
            f"<= {goal * 1000:.0f} ms",
            flooded["median"] <= goal,
        ),
        (
            "flood / calm (median)",
            f"{flooded['median'] / calm['median']:.1f}x",
            "",
            None,
        ),
        (
            "propagation max, flood",
            f"{flooded['max'] * 1000:.0f} ms",
            "<= 1000 ms",
            flooded["max"] <= 1.0,
        ),
        ("API p95, calm", f"{calm['api_p95'] * 1000:.0f} ms", "", None),
        (
            "API p95, flood",
            f"{flooded['api_p95'] * 1000:.0f} ms",
            "<= 150 ms",
            flooded["api_p95"] <= 0.150,
        ),  # fmt: skip
        (
            "/node p95, flood",
            f"{flooded['page_p95'] * 1000:.0f} ms",
            "<= 150 ms",
            flooded["page_p95"] <= 0.150,
        ),  # fmt: skip
    ]
    return print_summary("a flood against honest nodes", rows)


if __name__ == "__main__":
    sys.exit(main())
