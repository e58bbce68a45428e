"""The economy on a big commons: credit and the treasury read, and what credit costs the fold.

    python3 benchmarks/bench_economy.py [--events 100000] [--authors 1000] [--entries 5000]

Builds a commons of ``--events`` generated events by ``--authors`` people (reviews, accepts,
rejects… : credit earned all along), then ``--entries`` treasury entries (donations, grants,
expenses filed, approved, paid). Measures, on the server (in process), the credit page, one
person's credit, the treasury page and their JSON twins, against the smallest JSON endpoint
(GET /api/node) of the same run. Goal: p95 <= 150 ms each.

The fold's cost, in events per second into a new home: the workload with its economy
events (treasury entries on top, credit derived all along) against the anchor, the same
workload without them as the ingest benchmark folds it. Goal: >= 0.9 of the anchor's rate.
Also shown, without a goal: what deriving credit costs (the same events with the economy's
derivations switched off; credit is derived, never signed).
"""

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_web import p95, timed  # noqa: E402  (one way of timing pages)
from workload import EPOCH, generate, heads_of  # noqa: E402

from communs.api.app import create_app  # noqa: E402
from communs.core.events import sign_event  # noqa: E402
from communs.domain.fold import DERIVED  # noqa: E402
from communs.node.home.folder import Home  # noqa: E402
from communs.node.service import Service  # noqa: E402
from nodes import print_summary  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

GOAL_MS = 150.0
GOAL_RATIO = 0.9
DAY_MS = 86_400_000


def treasury_events(work, entries: int) -> list[bytes]:
    """``entries`` treasury events on top of the workload, one chain: income recorded by a
    maintainer, expenses filed by the authors, approved and paid by another maintainer."""
    treasurer, other = work.maintainers[0], work.maintainers[1]
    pairs = list(work.raws_parents())
    parents = heads_of(pairs)
    clock = 1 + max(work.clocks)
    raws: list[bytes] = []

    def emit(who, type_: str, body: dict) -> bytes:
        nonlocal parents, clock
        raw = sign_event(
            who, commons=work.genesis_id, type=type_, parents=sorted(parents), clock=clock,
            time=EPOCH + clock * 1000, body=body,
        )  # fmt: skip
        from communs import domain

        eid = domain.parse(raw).id
        parents, clock = [eid], clock + 1
        raws.append(raw)
        return eid

    day = 0
    while len(raws) < entries:
        day += 1
        date = time.strftime("%Y-%m-%d", time.gmtime((EPOCH + day * DAY_MS) / 1000))
        kind = "grant" if day % 50 == 0 else "donation"
        amount = 100_000 if kind == "grant" else 500 + day % 7 * 250
        body = {"kind": kind, "amount": amount, "currency": "EUR", "date": date,
                "source": f"donor {day % 300}"}  # fmt: skip
        emit(treasurer, "ledger.record", body)
        filer = work.identities[3 + day % (len(work.identities) - 3)]
        expense = {"title": f"expense {day}", "amount": 300 + day % 11 * 100, "currency": "EUR",
                   "category": "materials", "date": date, "receipt": bytes(32)}  # fmt: skip
        eid = emit(filer, "expense.file", expense)
        emit(other, "expense.approve", {"expense": eid})
        emit(other, "expense.pay", {"expense": eid, "date": date})
    return raws[:entries]


def ingest_rate(home_dir: Path, raws: list[bytes], *, derive: bool) -> float:
    """Events per second into a new home, with the economy's derivations on or off."""
    kept = {name: list(found) for name, found in DERIVED.items()}
    if not derive:
        DERIVED.clear()
    home = Home(home_dir)
    try:
        started = time.perf_counter()
        home.ingest(raws)
        return len(raws) / (time.perf_counter() - started)
    finally:
        home.close()
        DERIVED.clear()
        DERIVED.update(kept)


def statement_times(service: Service, commons: str, runs: int) -> list[float]:
    """A 200-line bank statement read and matched against the whole treasury (what a
    treasurer's import does past its authorization): a scan of the journal and expenses."""
    from communs.node import statements

    rows = ["Date;Libellé;Montant;Référence"]
    rows += [f"0{1 + i % 9}/12/2026;VIR {i};{'-' if i % 2 else ''}{i % 90 + 1},50;S-{i}"
             for i in range(200)]  # fmt: skip
    data = "\n".join(rows).encode()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        lines = statements.read(data, "csv")
        statements.match(lines, service._expected(bytes.fromhex(commons)))
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    started = time.perf_counter()
    work = generate(args.events, authors=args.authors, seed=3)
    economy = treasury_events(work, args.entries)
    raws = [*work.raws, *economy]
    print(f"generated {len(raws):,} events in {time.perf_counter() - started:.1f} s", flush=True)
    with tempfile.TemporaryDirectory() as root:
        # Each twice, in turns (the best of each): a run warms the caches for the next.
        anchor_rate = rate = underived = 0.0
        for turn in range(2):
            plain = ingest_rate(Path(root) / f"anchor{turn}", work.raws, derive=True)
            anchor_rate = max(anchor_rate, plain)
            rate = max(rate, ingest_rate(Path(root) / f"home{turn}", raws, derive=True))
            underived = max(underived, ingest_rate(Path(root) / f"bare{turn}", raws, derive=False))
        print(
            f"ingest: {rate:,.0f} events/s with the economy's events, {anchor_rate:,.0f} "
            f"for the workload alone; {underived:,.0f} with credit not derived "
            f"(deriving it costs {1 - rate / underived:.0%})",
            flush=True,
        )
        service = Service(Home(Path(root) / "home1"))
        try:
            commons = work.genesis_id.hex()
            found = service.credit(commons)
            top = found["people"][0]["did"]
            print(f"{len(found['people']):,} people with credit, {found['total']:,} points")
            client = TestClient(create_app(service))
            anchor = timed(client, "/api/node", args.runs)
            pages = {
                "credit page": f"/c/{commons}/credit",
                "credit JSON": f"/api/commons/{commons}/credit",
                "one person's credit": f"/c/{commons}/credit/{top}",
                "treasury page": f"/c/{commons}/treasury",
                "treasury JSON": f"/api/commons/{commons}/treasury",
            }
            results = {name: timed(client, url, args.runs) for name, url in pages.items()}
            results["bank statement matched"] = statement_times(service, commons, args.runs)
        finally:
            service.close()
    print(f"\n== server time, {len(raws):,} events, {args.runs} runs each ==")
    print(
        f"  anchor GET /api/node     p50 {statistics.median(anchor):6.1f} ms  "
        f"p95 {p95(anchor):6.1f} ms"
    )
    rows: list[tuple[str, str, str, bool | None]] = []
    for name, times in results.items():
        print(
            f"  {name:<24} p50 {statistics.median(times):6.1f} ms  p95 {p95(times):6.1f} ms "
            f"({p95(times) / p95(anchor):4.1f}x anchor)"
        )
        slowest = p95(times)
        rows.append((name, f"p95 {slowest:.0f} ms", f"<= {GOAL_MS:.0f} ms", slowest <= GOAL_MS))
    ratio = rate / anchor_rate
    goal = f">= {GOAL_RATIO}"
    rows.append(("ingest with economy / workload", f"{ratio:.2f}", goal, ratio >= GOAL_RATIO))
    return print_summary("the economy", rows)


if __name__ == "__main__":
    sys.exit(main())
