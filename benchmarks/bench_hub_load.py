"""A hub under load: readers, sign-ins and writers at once, on a real node process.

The hub holds the demo data. For ``--seconds`` (default 60), on loopback:

- ``--readers`` people (default 50) each fetch a page (home, a commons page, its board,
  contributions, a file, activity), think ``--think`` seconds (default 1), and fetch another;
- ``--sign-ins`` per second (default 5) sign in with a passphrase (Argon2id, as ``communs
  serve --hub`` registers people);
- ``--writers`` per second (default 5) post a comment through the web, with their session's
  CSRF token.

Goal: page time p95 <= 150 ms, no error, and no page waits on a sign-in: the same load is run
first without sign-ins, and sign-ins add less than one key derivation (measured here, in this
process) to the page p95 — a page that waited on one would wait that long.
Anchor, measured in the same run before the load: GET /api/node on the same server.

    python3 benchmarks/bench_hub_load.py [--seconds 60] [--home DIR] [--apart]

``--apart`` keeps the hub on the first core and the load on the others: on a small machine
the load generator otherwise takes the CPU the hub would use.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import nacl.pwhash

sys.path.insert(0, str(Path(__file__).parent))

from communs.node.home.keyring import ONLINE  # noqa: E402
from nodes import Node, communs, print_summary  # noqa: E402

GOAL_MS = 150.0
ACCOUNTS = 5  # hub accounts with a passphrase, registered before the load
PASSPHRASE = "a long walk on the ridge"
TIMEOUT = 30.0  # seconds a request may take before it counts as an error


class Hub(Node):
    serve_args = ("--hub",)


@dataclass
class Timing:
    kind: str  # "page", "sign-in" or "write"
    url: str
    start: float
    end: float
    ok: bool

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def derivation_ms() -> float:
    """One Argon2id derivation at the cost of a hub account (``keyring.ONLINE``), here now."""
    started = time.perf_counter()
    nacl.pwhash.argon2id.kdf(
        32,
        PASSPHRASE.encode(),
        b"\0" * nacl.pwhash.argon2id.SALTBYTES,
        opslimit=ONLINE[0],
        memlimit=ONLINE[1],
    )
    return (time.perf_counter() - started) * 1000


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    if not found:
        raise RuntimeError("no CSRF token on the page: is the session signed in?")
    return found.group(1)


async def register(url: str, name: str) -> httpx.AsyncClient:
    """A hub account with a passphrase, and a client signed in as it."""
    client = httpx.AsyncClient(base_url=url, timeout=TIMEOUT)
    response = await client.post("/register", data={"name": name, "passphrase": PASSPHRASE})
    if response.status_code != 303:
        raise RuntimeError(f"registering {name}: {response.status_code} {response.text[:300]}")
    return client


async def timed(
    client: httpx.AsyncClient, kind: str, method: str, url: str, log: list, **kw
) -> None:
    start = time.perf_counter()
    try:
        response = await client.request(method, url, **kw)
        ok = response.status_code in (200, 303)
    except httpx.HTTPError:
        ok = False
    log.append(Timing(kind, url, start, time.perf_counter(), ok))


async def reader(url: str, pages: list[str], until: float, think: float, log: list) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as client:
        await asyncio.sleep(random.uniform(0, think))  # readers do not all start together
        while time.perf_counter() < until:
            await timed(client, "page", "GET", random.choice(pages), log)
            await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))


async def every(rate: float, until: float, make) -> None:
    """Start ``make()`` ``rate`` times a second until ``until``; wait for them all."""
    if rate <= 0:
        return
    tasks = []
    started = time.perf_counter()
    n = 0
    while time.perf_counter() < until:
        tasks.append(asyncio.create_task(make(n)))
        n += 1
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
    await asyncio.gather(*tasks)


async def load(url: str, args: argparse.Namespace, commons: str, artifact: str) -> dict:
    names = [f"walker{i}" for i in range(ACCOUNTS)]
    writers = [await register(url, name) for name in names]
    csrf = [csrf_of((await w.get("/")).text) for w in writers]
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as quiet:
        anchor = []
        for _ in range(200):
            await timed(quiet, "anchor", "GET", "/api/node", anchor)
    pages = [
        "/",
        f"/c/{commons}",
        f"/c/{commons}/board",
        f"/c/{commons}/contributions",
        f"/c/{commons}/files/{artifact}",
        f"/c/{commons}/activity",
    ]
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as warm:
        for page in [*pages, "/login"]:  # templates compiled, caches filled
            await warm.get(page)
    log: list[Timing] = []
    signers = httpx.AsyncClient(
        base_url=url, timeout=TIMEOUT, limits=httpx.Limits(max_connections=None)
    )

    async def sign_in(n: int) -> None:
        form = {"name": names[n % ACCOUNTS], "passphrase": PASSPHRASE, "next": "/"}
        await timed(signers, "sign-in", "POST", "/login", log, data=form)

    async def write(n: int) -> None:
        i = n % ACCOUNTS
        form = {"csrf": csrf[i], "kind": "commons", "ref": "", "text": f"Note {n} from the ridge"}
        await timed(writers[i], "write", "POST", f"/c/{commons}/discussion/post", log, data=form)

    async def phase(sign_ins: float, into: list[Timing]) -> None:
        nonlocal log
        log = into
        until = time.perf_counter() + args.seconds
        await asyncio.gather(
            *(reader(url, pages, until, args.think, into) for _ in range(args.readers)),
            every(sign_ins, until, sign_in),
            every(args.writers, until, write),
        )

    control: list[Timing] = []
    try:
        # The same load without sign-ins first: what sign-ins cost pages is the difference.
        await phase(0.0, control)
        await phase(args.sign_ins, [])
    finally:
        await signers.aclose()
        for w in writers:
            await w.aclose()
    return {"log": log, "control": control, "anchor": [t.ms for t in anchor]}


def report(log: list[Timing], control: list[Timing], anchor: list[float], derivation: float) -> int:
    pages = [t for t in log if t.kind == "page"]
    sign_ins = [t for t in log if t.kind == "sign-in"]
    writes = [t for t in log if t.kind == "write"]
    page_ms = [t.ms for t in pages if t.ok]
    errors = sum(not t.ok for t in [*log, *control])
    overlapping = [t for t in pages if any(s.start < t.end and t.start < s.end for s in sign_ins)]
    slowest = max(overlapping, key=lambda t: t.ms, default=None)
    anchor_p95 = percentile(anchor, 95)
    print(
        f"\n== hub under load: {len(pages)} pages, {len(sign_ins)} sign-ins, "
        f"{len(writes)} writes =="
    )
    print(
        f"  anchor GET /api/node (quiet)  p50 {statistics.median(anchor):7.1f} ms  "
        f"p95 {anchor_p95:7.1f} ms"
    )
    print(f"  one key derivation here       {derivation:7.0f} ms")
    for name, group in (("page", pages), ("sign-in", sign_ins), ("write", writes)):
        times = [t.ms for t in group if t.ok] or [0.0]
        failed = sum(not t.ok for t in group)
        print(
            f"  {name:<8} p50 {percentile(times, 50):7.1f}  p95 {percentile(times, 95):7.1f}  "
            f"p99 {percentile(times, 99):7.1f}  max {max(times):7.1f} ms  errors {failed}"
        )
    by_page: dict[str, list[float]] = {}
    for t in pages:
        if t.ok:
            by_page.setdefault(t.url.split("/")[-1] if t.url != "/" else "home", []).append(t.ms)
    for name, times in sorted(by_page.items()):
        print(
            f"    {name[:24]:<24} p50 {percentile(times, 50):7.1f}  "
            f"p95 {percentile(times, 95):7.1f} ms  ({len(times)})"
        )
    if slowest:
        print(f"  slowest page during a sign-in: {slowest.ms:.0f} ms ({slowest.url})")
    p95 = percentile(page_ms or [float("inf")], 95)
    quiet = [t.ms for t in control if t.kind == "page" and t.ok] or [float("inf")]
    quiet_p95 = percentile(quiet, 95)
    cost = p95 - quiet_p95  # a page that waited on a sign-in would wait a whole derivation
    print(f"  the same load without sign-ins: page p95 {quiet_p95:.1f} ms ({len(quiet)} pages)")
    return print_summary(
        "hub under load",
        [
            ("page p95", f"{p95:.1f} ms", f"<= {GOAL_MS:.0f} ms", p95 <= GOAL_MS),
            ("page p95 / anchor p95", f"{p95 / anchor_p95:.1f}x", "", None),
            ("errors", str(errors), "0", errors == 0),
            (
                "p95 added by sign-ins",
                f"{cost:.0f} ms",
                f"< {derivation:.0f} ms",
                cost < derivation,
            ),
            ("slowest page in a sign-in", f"{slowest.ms:.0f} ms" if slowest else "-", "", None),
        ],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between a reader's pages")
    parser.add_argument("--sign-ins", type=float, default=5.0, help="per second")
    parser.add_argument("--writers", type=float, default=5.0, help="writes per second")
    parser.add_argument("--home", type=Path, default=None, help="keep the hub's home here")
    parser.add_argument(
        "--apart",
        action="store_true",
        help="the hub on the first core, this load on the others (what the hub does, not the "
        "machine it shares with its load)",
    )
    args = parser.parse_args()
    scratch = None if args.home else tempfile.TemporaryDirectory()
    root = args.home or Path(scratch.name)  # type: ignore[union-attr]
    home = root / "hub"
    if (home / "identities").exists():
        sys.exit(f"{home} already holds a home: give an empty --home")
    made = communs(home, "demo")
    if made.returncode:
        sys.exit(f"communs demo failed: {made.stderr}")
    hub = Hub(home, "hub")
    try:
        hub.start()
        assert hub.http is not None and hub.url is not None
        if args.apart:
            cores = sorted(os.sched_getaffinity(0))
            if len(cores) < 2:
                sys.exit("--apart needs two cores or more")
            os.sched_setaffinity(hub.pid, {cores[0]})
            os.sched_setaffinity(0, set(cores[1:]))
        commons = hub.http.get("/api/commons").json()[0]["id"]
        artifact = hub.http.get(f"/api/commons/{commons}/artifacts").json()[0]["path"]
        derivation = derivation_ms()
        measured = asyncio.run(load(hub.url, args, commons, artifact))
    finally:
        hub.stop()
        if scratch:
            scratch.cleanup()
    return report(measured["log"], measured["control"], measured["anchor"], derivation)


if __name__ == "__main__":
    sys.exit(main())
