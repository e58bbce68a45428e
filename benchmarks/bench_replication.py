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
import hashlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cbor2  # noqa: E402
import httpx  # noqa: E402
import psutil  # noqa: E402

from nodes import (  # noqa: E402
    CountingProxy,
    Node,
    communs,
    print_summary,
    proc_status_kb,
    wait_for,
)

GOAL_CLONE_RATIO = 1.0  # communs clone time / git clone time
GOAL_RSS_RATIO = 1.0  # B's node peak RSS / git clone peak RSS
GOAL_WIRE_RATIO = 1.3  # bytes on the wire / bytes of the events
GOAL_PROPAGATION_MS = 50.0  # median


def mb(kib: float | None) -> str:
    return "?" if kib is None else f"{kib / 1024:.0f} MB"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# -- measuring a child process -------------------------------------------------------------------


class TreeSampler(threading.Thread):
    """Samples the RSS of processes (and their children) every ``interval`` seconds: the peak
    of each process by name, and the peak of their sum."""

    def __init__(self, pids: list[int], interval: float = 0.02):
        super().__init__(daemon=True)
        self.pids, self.interval = pids, interval
        self.by_name: dict[str, int] = {}
        self.peak_sum = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            total = 0
            for pid in self.pids:
                try:
                    root = psutil.Process(pid)
                    procs = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for p in procs:
                    try:
                        rss = p.memory_info().rss
                        cmd = p.cmdline()
                    except psutil.Error:
                        continue
                    name = " ".join(cmd[:3]) if cmd and cmd[0].endswith("git") else p.name()
                    self.by_name[name] = max(self.by_name.get(name, 0), rss)
                    total += rss
            self.peak_sum = max(self.peak_sum, total)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


GNU_TIME = "/usr/bin/time"


def run_measured(cmd: list[str], timeout: float, out: Path, also: list[int] = ()) -> dict:
    """Run ``cmd`` to completion (killed after ``timeout``): wall time, exit code, and the peak
    RSS of the largest process of its tree (KiB), with the RSS of the tree sampled meanwhile.

    The peak comes from GNU time when installed (``/usr/bin/time -f %M``): the ru_maxrss of a
    child forked straight from this process would include this process's own RSS at the fork
    (Linux carries the pre-exec high-water mark over), and this process holds the workload.
    """
    timed = Path(GNU_TIME).exists()
    peak_file = out.with_suffix(".maxrss")
    if timed:
        cmd = [GNU_TIME, "-f", "%M", "-o", str(peak_file), *cmd]
    with open(out.with_suffix(".out"), "wb") as o, open(out.with_suffix(".err"), "wb") as e:
        start = time.perf_counter()
        # Its own process group: on a timeout, the whole tree is killed (git's children too).
        proc = subprocess.Popen(
            cmd, stdout=o, stderr=e, stdin=subprocess.DEVNULL, start_new_session=True
        )
    sampler = TreeSampler([proc.pid, *also])
    sampler.start()
    timed_out = False

    def kill_group() -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)

    try:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group()
        seconds = time.perf_counter() - start
    finally:
        sampler.stop()
        if proc.poll() is None:
            kill_group()
    peak = None
    if timed and peak_file.exists():
        lines = peak_file.read_text().split()
        peak = int(lines[-1]) if lines and lines[-1].isdigit() else None
    if peak is None:  # no GNU time: the sampled peak of the tree's largest process
        peak = max((v for k, v in sampler.by_name.items() if k != "time"), default=0) // 1024
    return {
        "seconds": seconds,
        "code": proc.returncode,
        "timed_out": timed_out,
        "maxrss_kb": peak,
        "sampled": sampler,
        "stdout": out.with_suffix(".out").read_text(errors="replace"),
        "stderr": out.with_suffix(".err").read_text(errors="replace"),
    }


# -- the git anchor ------------------------------------------------------------------------------


def build_git(raws: list[bytes], src: Path, layout: str) -> tuple[float, float]:
    """A bare repository with one commit per event, through ``git fast-import``; then ``git
    repack -a -d``, as a served repository would be. Returns (fast-import seconds, repack
    seconds). Layouts: ``files``, each commit adds the event as a file of its own
    (``events/ab/cdef…``, sharded like git's objects), so the repository holds every payload
    at its head; ``history``, each commit rewrites one file ``event`` with the event (linear
    history of one file, which deltas make very cheap to clone)."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(src)], check=True, timeout=60)
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["git", "--git-dir", str(src), "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE
    )
    try:
        pipe = proc.stdin
        assert pipe is not None
        for i, raw in enumerate(raws):
            message = b"event %d" % i
            if layout == "files":
                name = hashlib.sha256(raw).hexdigest().encode()
                path = b"events/%s/%s" % (name[:2], name[2:])
            else:
                path = b"event"
            pipe.write(
                b"commit refs/heads/main\ncommitter Bench <bench@communs.invalid> %d +0000"
                b"\ndata %d\n%s\nM 100644 inline %s\ndata %d\n"
                % (1_700_000_000 + i, len(message), message, path, len(raw))
            )
            pipe.write(raw)
            pipe.write(b"\n")
        pipe.write(b"done\n")
        pipe.close()
        if proc.wait(900) != 0:
            raise RuntimeError("git fast-import failed")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    imported = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run(
        ["git", "--git-dir", str(src), "repack", "-a", "-d", "-q"], check=True, timeout=900
    )
    return imported, time.perf_counter() - start


def git_anchor(raws: list[bytes], folder: Path, layout: str, runs: int, timeout: float) -> dict:
    """Build the repository in ``layout`` and clone it ``runs`` times: the best time, the
    smallest peak RSS of its largest process (the stricter ratios)."""
    src = folder / f"git-src-{layout}.git"
    imported, repacked = build_git(raws, src, layout)
    clones = []
    for i in range(runs):
        clones.append(git_clone(src, folder / f"git-dst-{i}", timeout))
        shutil.rmtree(folder / f"git-dst-{i}")
    shutil.rmtree(src)
    git = min(clones, key=lambda c: c["seconds"])
    assert git["commits"] == len(raws), f"the git clone holds {git['commits']} commits"
    rss = min(c["maxrss_kb"] for c in clones)
    top = sorted(git["sampled"].by_name.items(), key=lambda kv: -kv[1])[:4]
    runs_text = ", ".join(f"{c['seconds']:.2f}" for c in clones)
    print(
        f"git ({layout}): fast-import {imported:.1f} s, repack {repacked:.1f} s (not counted); "
        f"clone --no-local {runs_text} s (best "
        f"{git['seconds']:.2f} s); pack {git['pack_bytes'] / 1e6:.1f} MB; largest process "
        f"{mb(rss)} (sampled: "
        + ", ".join(f"{n} {mb(r / 1024)}" for n, r in top)
        + f"; whole tree at once {mb(git['sampled'].peak_sum / 1024)})"
    )
    return {"seconds": git["seconds"], "rss_kb": rss}


def git_clone(src: Path, dst: Path, timeout: float) -> dict:
    result = run_measured(
        ["git", "clone", "-q", "--no-local", str(src), str(dst)],
        timeout,
        dst.parent / f"{dst.name}-log",
    )
    if result["code"] != 0:
        raise RuntimeError(f"git clone failed: {result['stderr'][-1000:]}")
    count = subprocess.run(
        ["git", "-C", str(dst), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result["commits"] = int(count.stdout.strip())
    result["pack_bytes"] = sum(p.stat().st_size for p in (dst / ".git/objects/pack").glob("*.pack"))
    return result


# -- communs helpers ---------------------------------------------------------------------------


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


def last_proposal(raws: list[bytes]) -> bytes:
    from communs.core import canonical
    from communs.core.events import event_id

    for raw in reversed(raws):
        if canonical.decode(canonical.decode(raw)[0])["type"] == "contribution.propose":
            return event_id(raw)
    raise RuntimeError("the workload has no proposal")


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
        from communs.node.wire import iter_cbor_seq

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


def start_profile(pid: int, path: str) -> subprocess.Popen | None:
    if shutil.which("py-spy") is None:
        print("(py-spy is not installed: no profile; pip install py-spy)")
        return None
    return subprocess.Popen(
        [
            "py-spy",
            "record",
            "--pid",
            str(pid),
            "--rate",
            "100",
            "--nonblocking",
            "--threads",
            "--format",
            "raw",
            "--output",
            path,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_profile(spy: subprocess.Popen, path: str, top: int = 14) -> None:
    """Stop py-spy (SIGINT: it writes its file then) and print the hottest functions."""
    spy.send_signal(signal.SIGINT)
    try:
        spy.wait(60)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait(10)
    if not Path(path).exists():
        print("(py-spy wrote no profile)")
        return
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    threads: dict[str, int] = {}
    total = 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n, frames = int(count), stack.split(";")
        total += n
        thread = frames[0].split(": ", 1)[-1] if ": " in frames[0] else frames[0]
        threads[thread] = threads.get(thread, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames[1:]):
            inclusive[frame] = inclusive.get(frame, 0) + n
    if not total:
        return
    print(
        f"profile of node B during the clone ({total} samples at 100 Hz, busy threads only; "
        f"{path}):"
    )
    print(
        "  threads: "
        + ", ".join(
            f"{t} {n / total:.0%}" for t, n in sorted(threads.items(), key=lambda kv: -kv[1])[:5]
        )
    )
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  self {n / total:5.1%}  {frame}")
    for needle in (
        "Home.ingest",
        "Ingestor.ingest",
        "_verify_chunk",
        "Home._commons_of",
        "iter_cbor_seq",
        "Replicator._pusher",
        "missing_ids",
    ):
        found = [(f, n) for f, n in inclusive.items() if f.startswith(needle + " ")]
        if found:
            print(f"  incl {sum(n for _, n in found) / total:5.1%}  {needle}")


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

    from communs.core.events import sign_event
    from communs.node.home import Home
    from communs.node.local import LocalState

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
            stop_profile(spy, args.profile)
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
        from communs.core.events import event_id

        assert a.http is not None and b.http is not None and b.url is not None
        heads = [bytes.fromhex(h) for h in shown_a["heads"]]
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
            for i in range(args.propagation):
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
            f"propagation over {args.propagation} events ({warm} warm-up), polling B's "
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
            f"{median * 1000:.1f} ms",
            f"<= {GOAL_PROPAGATION_MS:.0f} ms",
            median * 1000 <= GOAL_PROPAGATION_MS,
        ),
        ("propagation p90 (poll)", f"{p90 * 1000:.1f} ms", "", None),
        ("propagation median (live)", f"{live_median * 1000:.1f} ms", "", None),
        ("ratio propagation / HTTP RTT", f"{median / rtt:.1f}", "", None),
        ("ratio propagation / TCP RTT", f"{median / tcp:.0f}", "", None),
        ("clone complete, same digest", "yes" if same else "no", "yes", same),
        (
            "propagated, same digest",
            f"{len(polled)}/{args.propagation}",
            f"= {args.propagation}",
            converged and not lost,
        ),
    ]
    return print_summary(
        f"{len(w.raws):,} events, {args.authors} authors, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}",
        rows,
    )


if __name__ == "__main__":
    sys.exit(main())
