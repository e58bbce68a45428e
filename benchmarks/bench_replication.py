"""Replication benchmark: two real nodes on loopback, one commons of N events (default 100k)
from 50 authors.

    python benchmarks/bench_replication.py [--events N] [--authors 50] [--seed 1]
                                           [--propagation 30] [--keep DIR] [--profile FILE]

Node A holds the commons (loaded into its home before it starts); node B is fresh. Measured:

1. a fresh clone: ``python -m communs --home B follow LINK`` end to end, until B holds every
   event and its ``commons show`` digest equals A's; against ``git clone --no-local`` of a git
   repository holding the same payloads, one commit per event, each adding the event's bytes
   as a file of its own (built with ``git fast-import`` and repacked in this run; that is the
   clone the goal was calibrated on: about 10 s and 290 MB on this machine). Shown beside it:
   a repository where each commit rewrites one file, far cheaper for git (deltas).
   Peak RSS of B's node process (VmHWM) against the largest process of the git clone (GNU
   time's %M over git clone, upload-pack, pack-objects, index-pack). Also shown: the time
   Ed25519 verification alone needs for N events (a floor under any clone: git checks only
   hashes) and B's rate against A's in-process ingest;
2. bytes on the wire for that clone, both ways, counted by a TCP proxy the follow link points
   at, against the total size of the events (sum of len(raw)), with the requests seen;
3. propagation: with B following A (live stream up), one new event is signed here and POSTed
   to A's ``/sync/{commons}/events`` (an ingest at A), and B's ``GET /api/commons`` (event
   counts, no digest) is polled until its count includes it; median and p90 over
   ``--propagation`` events, against an HTTP round trip (``GET /api/node`` on A) and a raw
   TCP loopback round trip measured in this run. B's own live stream also stamps each event
   when B commits it (no polling granularity).

Every process started here is stopped in ``finally`` blocks; every wait is bounded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import psutil  # noqa: E402
from git_anchor import git_anchor, run_measured  # noqa: E402
from propagation import http_rtt, measure_propagation, pct, tcp_rtt  # noqa: E402
from spy import start_profile, stop_profile  # noqa: E402

from nodes import (  # noqa: E402
    CountingProxy,
    Node,
    communs,
    events_of,
    mb,
    print_summary,
    proc_status_kb,
    show,
    wait_for,
)

GOAL_CLONE_RATIO = 1.0  # communs clone time / git clone time
GOAL_RSS_RATIO = 1.0  # B's node peak RSS / git clone peak RSS
GOAL_WIRE_RATIO = 1.3  # bytes on the wire / bytes of the events
GOAL_PROPAGATION_MS = 50.0  # median
# Where a profile of node B during the clone says the time goes.
HOT = (
    "Home.ingest",
    "Ingestor.ingest",
    "_verify_chunk",
    "iter_cbor_seq",
    "Replicator._pusher",
    "missing_ids",
)


# -- communs helpers ---------------------------------------------------------------------------


def cli_startup(home: Path, count: int = 3) -> float:
    """Seconds for ``python -m communs --home HOME --help``: the CLI's fixed cost."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        communs(home, "--help", timeout=60)
        times.append(time.perf_counter() - start)
    return min(times)


def verify_rate(raws: list[bytes], sample: int = 20_000) -> float:
    """Ed25519 signature checks per second (PyNaCl, one thread) over a sample of the events:
    every node verifies every event it receives, so ``N / (rate × threads)`` is a floor
    under any clone; git checks only hashes."""
    import nacl.signing

    from communs.core import canonical
    from communs.core.events import SIGNING_CONTEXT
    from communs.core.identity import public_key_from_did

    keys: dict[str, nacl.signing.VerifyKey] = {}
    work = []
    for raw in raws[:sample]:
        payload, signature = canonical.decode(raw)
        author = canonical.decode(payload)["author"]
        if author not in keys:
            keys[author] = nacl.signing.VerifyKey(public_key_from_did(author))
        work.append((keys[author], SIGNING_CONTEXT + payload, signature))
    start = time.perf_counter()
    for key, message, signature in work:
        key.verify(message, signature)
    return len(work) / (time.perf_counter() - start)


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live children (a node's helper process)."""
    process = psutil.Process(pid)
    total = sum(process.cpu_times()[:2])
    for child in process.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total


# -- the run ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--propagation", type=int, default=30, help="events to propagate")
    parser.add_argument(
        "--git-runs",
        type=int,
        default=3,
        help="git clones; the fastest is the anchor (the stricter ratio)",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="bound on the clone, seconds")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="record node B with py-spy during the clone (raw collapsed stacks "
        "in FILE) and print where its time goes",
    )
    args = parser.parse_args()

    from workload import generate

    from communs.node.home.folder import Home
    from communs.store.local import LocalState

    start = time.perf_counter()
    w = generate(args.events, authors=args.authors, seed=args.seed)
    generation = time.perf_counter() - start
    total_bytes = sum(len(r) for r in w.raws)
    commons_hex = w.genesis_id.hex()
    print(
        f"generated {len(w.raws):,} events ({total_bytes / 1e6:.1f} MB) from {args.authors} "
        f"authors in {generation:.2f} s; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}"
    )

    if args.keep and Path(args.keep).exists() and any(Path(args.keep).iterdir()):
        parser.error(f"--keep {args.keep}: the folder is not empty")
    tmp = tempfile.mkdtemp(prefix="communs-bench-repl-") if not args.keep else None
    folder = Path(args.keep) if args.keep else Path(tmp)  # type: ignore[arg-type]
    folder.mkdir(parents=True, exist_ok=True)
    nodes: list[Node] = []
    proxy: CountingProxy | None = None
    spy: subprocess.Popen | None = None
    try:
        # -- 1a. the git anchors -------------------------------------------------------------
        # The goal's anchor holds every payload as a file at its head (the calibration:
        # about 10 s and 290 MB here); one file rewritten 100k times is shown beside it.
        git = git_anchor(w.raws, folder, "files", args.git_runs, args.timeout)
        git_history = git_anchor(w.raws, folder, "history", args.git_runs, args.timeout)
        git_rss = git["rss_kb"]

        # -- 1b. node A holds the commons -----------------------------------------------------
        home_a, home_b = folder / "A", folder / "B"
        start = time.perf_counter()
        home = Home(home_a)
        try:
            report = home.ingest(w.raws)
        finally:
            home.close()
        local_ingest = time.perf_counter() - start
        assert len(report.added) == len(w.raws), report.summary()
        local = LocalState(home_a / "local.db")
        local.follow(w.genesis_id)
        local.close()
        local_rate = len(w.raws) / local_ingest
        print(
            f"home A: in-process ingest {local_ingest:.1f} s = {local_rate:,.0f} events/s "
            "(the anchor for B's ingest rate)"
        )
        verify = verify_rate(w.raws)
        threads = min(2, os.cpu_count() or 1)  # the Ingestor's verifying threads
        verify_floor = len(w.raws) / verify / threads
        print(
            f"signature checks: {verify:,.0f}/s on one thread: {len(w.raws):,} events need "
            f"{verify_floor:.1f} s on {threads} threads, whatever the protocol"
        )

        a = Node(home_a, "A")
        nodes.append(a)
        a.start()
        b = Node(home_b, "B")
        nodes.append(b)
        b.start()
        shown_a = show(a, commons_hex)
        b_rest = proc_status_kb(b.pid, "VmRSS")
        print(
            f"node A {a.url} (pid {a.pid}): {shown_a['events']:,} events, digest "
            f"{shown_a['state_digest'][:16]}…; node B {b.url} (pid {b.pid}), RSS at rest "
            f"{mb(b_rest)}"
        )

        rtts = http_rtt(a)
        rtt = statistics.median(rtts)
        tcp = statistics.median(tcp_rtt())
        startup = cli_startup(home_b)
        print(
            f"anchors: GET /api/node on A median {rtt * 1000:.2f} ms (p90 "
            f"{pct(rtts, 0.9) * 1000:.2f} ms); raw TCP loopback round trip "
            f"{tcp * 1e6:.0f} µs; CLI start-up (--help) {startup:.2f} s"
        )

        linked = communs(home_a, "commons", "link", commons_hex, timeout=60)
        assert linked.returncode == 0 and "?peer=" in linked.stdout, linked.stderr
        proxy = CountingProxy(("127.0.0.1", a.port))
        link = linked.stdout.strip().split("?peer=")[0] + f"?peer=127.0.0.1:{proxy.port}"

        # -- 1c. the clone ---------------------------------------------------------------------
        cmd = [sys.executable, "-m", "communs", "--home", str(home_b), "follow", link]
        spy = start_profile(b.pid, args.profile) if args.profile else None
        cpu_before = {"A": cpu_seconds(a.pid), "B": cpu_seconds(b.pid)}
        start = time.perf_counter()
        follow = run_measured(cmd, args.timeout, folder / "follow")
        follow_done = time.perf_counter()
        wire_at_follow = proxy.counts()
        print(
            f"follow: exit {follow['code']} after {follow['seconds']:.2f} s"
            + (f" ({follow['stderr'].strip()[-300:]})" if follow["code"] else "")
            + f"; CLI process peak {mb(follow['maxrss_kb'])}"
        )
        left = max(1.0, args.timeout - (follow_done - start))
        wait_for(
            lambda: (events_of(b, commons_hex) or 0) >= len(w.raws),
            left,
            0.05,
            "B holds every event",
        )
        holds_all = time.perf_counter()
        cpu = {who: cpu_seconds(node.pid) - cpu_before[who] for who, node in (("A", a), ("B", b))}
        print(
            f"CPU during the clone: A (serving) {cpu['A']:.1f} s, B with its helper process "
            f"(checking, storing, folding) {cpu['B']:.1f} s; {holds_all - start:.1f} s of "
            f"{os.cpu_count()} cores = {(holds_all - start) * (os.cpu_count() or 1):.1f} s"
        )
        if spy is not None:
            stop_profile(spy, args.profile, HOT)
            spy = None
        shown_b = show(b, commons_hex)
        clone_seconds = time.perf_counter() - start
        same = (
            shown_b["state_digest"] == shown_a["state_digest"]
            and shown_b["events"] == len(w.raws)
            and sorted(shown_b["heads"]) == sorted(shown_a["heads"])
        )
        b_node_peak, b_helper_peak = b.peak_rss_kb() or 0, b.helper_peak_rss_kb()
        b_peak = b_node_peak + b_helper_peak  # an upper bound: the two peaks may not coincide
        b_anon, b_file = proc_status_kb(b.pid, "RssAnon"), proc_status_kb(b.pid, "RssFile")
        wire = proxy.counts()
        print(
            f"clone: {clone_seconds:.2f} s end to end = follow {follow['seconds']:.2f} s + "
            f"waiting for the last events {holds_all - follow_done:.2f} s + commons show "
            f"(digest) {start + clone_seconds - holds_all:.2f} s; "
            f"{len(w.raws) / clone_seconds:,.0f} events/s; digest "
            f"{'equal' if same else 'DIFFERENT'}"
        )
        print(
            f"node B peak RSS {mb(b_peak)} = node {mb(b_node_peak)} + helper process "
            f"{mb(b_helper_peak)} (VmHWM; node at rest before the clone {mb(b_rest)}; "
            f"now {mb(b_anon)} anonymous + {mb(b_file)} file-backed)"
        )
        print(
            f"wire: {wire[1]:,} bytes A→B, {wire[0]:,} bytes B→A ({wire_at_follow[0]:,} when "
            f"follow returned); events {total_bytes:,} bytes; through {proxy.connections} "
            f"connection(s); proxy CPU {proxy.cpu:.2f} s"
        )
        seen = proxy.requests_since(start)
        kinds: dict[str, list[float]] = {}
        for at, request in seen:
            kinds.setdefault(request, []).append(at)
        print(
            "requests B→A during the clone: "
            + "; ".join(
                f"{r} ×{len(ts)}"
                + (
                    f" (at {', '.join(f'{t:.1f}' for t in ts[:6])} s)"
                    if "missing" in r or len(ts) <= 3
                    else ""
                )
                for r, ts in sorted(kinds.items(), key=lambda kv: kv[1][0])
            )
        )

        # -- 3. propagation -------------------------------------------------------------------
        prop = measure_propagation(a, b, w, shown_a["heads"], commons_hex, args.propagation)
        print(
            f"node A peak RSS {mb(a.peak_rss_kb())}, node B peak RSS {mb(b.peak_rss_kb())} "
            "at the end"
        )
    finally:
        if spy is not None:
            spy.kill()
            spy.wait(10)
        if proxy is not None:
            proxy.close()
        for node in nodes:
            node.stop()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    clone_ratio = clone_seconds / git["seconds"]
    rss_ratio = b_peak / git_rss if b_peak else float("inf")
    wire_total = wire[0] + wire[1]
    wire_ratio = wire_total / total_bytes
    rows = [
        ("git clone --no-local (files)", f"{git['seconds']:.2f} s", "", None),
        ("communs clone (follow)", f"{clone_seconds:.2f} s", "", None),
        (
            "ratio clone / git",
            f"{clone_ratio:.2f}",
            f"<= {GOAL_CLONE_RATIO}",
            clone_ratio <= GOAL_CLONE_RATIO,
        ),
        ("B ingest rate / local", f"{len(w.raws) / clone_seconds / local_rate:.2f}", "", None),
        ("signature floor / git", f"{verify_floor / git['seconds']:.2f}", "", None),
        ("git clone, one file's history", f"{git_history['seconds']:.2f} s", "", None),
        (
            "ratio clone / that git",
            f"{clone_seconds / git_history['seconds']:.2f}",
            "",
            None,
        ),
        ("peak RSS that git clone", mb(git_history["rss_kb"]), "", None),
        ("follow command exit code", str(follow["code"]), "0", follow["code"] == 0),
        ("peak RSS git clone", mb(git_rss), "", None),
        ("peak RSS node B (+ helper)", mb(b_peak), "", None),
        (
            "ratio RSS B / git",
            f"{rss_ratio:.2f}",
            f"<= {GOAL_RSS_RATIO}",
            rss_ratio <= GOAL_RSS_RATIO,
        ),
        ("bytes on the wire", f"{wire_total / 1e6:.1f} MB", "", None),
        (
            "ratio wire / events",
            f"{wire_ratio:.2f}",
            f"<= {GOAL_WIRE_RATIO}",
            wire_ratio <= GOAL_WIRE_RATIO,
        ),
        ("  of which A→B / events", f"{wire[1] / total_bytes:.2f}", "", None),
        ("HTTP round trip (GET A)", f"{rtt * 1000:.2f} ms", "", None),
        ("TCP loopback round trip", f"{tcp * 1000:.3f} ms", "", None),
        (
            "propagation median (poll)",
            f"{prop['median'] * 1000:.1f} ms",
            f"<= {GOAL_PROPAGATION_MS:.0f} ms",
            prop["median"] * 1000 <= GOAL_PROPAGATION_MS,
        ),
        ("propagation p90 (poll)", f"{prop['p90'] * 1000:.1f} ms", "", None),
        ("propagation median (live)", f"{prop['live_median'] * 1000:.1f} ms", "", None),
        ("ratio propagation / HTTP RTT", f"{prop['median'] / rtt:.1f}", "", None),
        ("ratio propagation / TCP RTT", f"{prop['median'] / tcp:.0f}", "", None),
        ("clone complete, same digest", "yes" if same else "no", "yes", same),
        (
            "propagated, same digest",
            f"{prop['seen']}/{args.propagation}",
            f"= {args.propagation}",
            prop["converged"] and not prop["lost"],
        ),
    ]
    return print_summary(
        f"{len(w.raws):,} events, {args.authors} authors, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}",
        rows,
    )


if __name__ == "__main__":
    sys.exit(main())
