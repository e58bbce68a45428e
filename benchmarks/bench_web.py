"""Server time of the busiest pages for a commons of 100k events.

Goal (p95): commons page, activity page and task board each <= 150 ms (the review queue, the
people directories, the activity's Atom feed and a maintainer's notifications — the first
look of a new inbox at the events stored, and the looks after — are measured too). Anchor:
the same server answering its smallest JSON endpoint (GET /api/node), measured in the same
run.

    python3 benchmarks/bench_web.py [--events 100000] [--runs 40] [--home DIR]

``--home DIR`` keeps the generated home, so later runs skip building it.
"""

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from workload import generate  # noqa: E402

from communs.api.app import create_app  # noqa: E402
from communs.node.home.folder import Home  # noqa: E402
from communs.node.service import Service  # noqa: E402
from communs.store.local import LocalState  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

GOAL_MS = 150.0


def build(home_dir: Path, events: int) -> tuple[bytes, str]:
    """The commons id, and the DID of one of its maintainers (for their notifications)."""
    home = Home(home_dir)
    try:
        rows = home.store.commons_rows()
        charter = home.state(rows[0]["id"]).get("charter") if rows else None
        if rows and rows[0]["events"] >= events:
            return rows[0]["id"], charter["maintainers"][0]
        work = generate(events, seed=1)
        started = time.perf_counter()
        home.ingest(work.raws)
        print(f"built a home of {events:,} events in {time.perf_counter() - started:.1f} s")
        local = LocalState(home_dir / "local.db")
        local.follow(work.genesis_id)
        local.close()
        charter = home.state(work.genesis_id).get("charter")
        return work.genesis_id, charter["maintainers"][0]
    finally:
        home.close()


def timed(client: TestClient, url: str, runs: int) -> list[float]:
    client.get(url)  # warm-up: templates compiled, caches filled
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return times


def _timed_call(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return (time.perf_counter() - started) * 1000


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, int(len(times) * 0.95) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()
    scratch = None if args.home else tempfile.TemporaryDirectory()
    home_dir = args.home or Path(scratch.name)  # type: ignore[union-attr]
    built, maintainer = build(home_dir, args.events)
    commons = built.hex()
    service = Service(Home(home_dir))
    try:
        client = TestClient(create_app(service))
        anchor = timed(client, "/api/node", args.runs)
        pages = {
            "commons page": f"/c/{commons}",
            "activity page": f"/c/{commons}/activity",
            "task board": f"/c/{commons}/board",
            "review queue": f"/c/{commons}/contributions",
            "people of the node": "/people",
            "people of the commons": f"/c/{commons}/people",
            "activity Atom feed": f"/c/{commons}/activity.atom",
        }
        results = {name: timed(client, url, args.runs) for name, url in pages.items()}
        # A maintainer's inbox: its first look reads the latest events stored (FIRST_LOOK),
        # every later one only what came since.
        service.local.inbox_forget(maintainer)  # a new inbox, even on a kept home
        started = time.perf_counter()
        service.notifications(maintainer, 50)
        first_look = (time.perf_counter() - started) * 1000
        results["notifications"] = [
            _timed_call(service.notifications, maintainer, 50) for _ in range(args.runs)
        ]
    finally:
        service.close()
        if scratch:
            scratch.cleanup()
    print(f"\n== server time, {args.events:,} events, {args.runs} runs each ==")
    print(
        f"  {'anchor GET /api/node':<24} p50 {statistics.median(anchor):7.1f} ms  "
        f"p95 {p95(anchor):7.1f} ms"
    )
    print(f"  {'a new inbox, first look':<24} {first_look:7.1f} ms (once per person)")
    missed = 0
    for name, times in results.items():
        ok = p95(times) <= GOAL_MS
        missed += not ok
        print(
            f"  {name:<24} p50 {statistics.median(times):7.1f} ms  p95 {p95(times):7.1f} ms"
            f"  ({p95(times) / p95(anchor):5.1f}x anchor)  goal <= {GOAL_MS:.0f} ms  "
            f"{'PASS' if ok else 'MISS'}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
