"""Media benchmark: one file of random bytes (default 200 MiB) moved between processes on
loopback (it stays in the page cache), and the peak memory of a node fetching a large file.

    python benchmarks/bench_media.py [--size-mib 200] [--rss-gib 2] [--runs 3] [--seed-cap 40]
                                     [--keep DIR] [--only {http,bare,node,rss}]...

Each figure is the fastest of ``--runs``, with a fresh downloader every run:

1. ``http`` (anchor): httpx streams the file to disk from ``python -m http.server``.
2. ``bare`` (anchor): bare libtorrent sessions in child processes (127.0.0.1, TCP only, else
   libtorrent's defaults), a hybrid torrent, seeders in seed mode; timed in the downloader from
   ``add_torrent`` to finished (every piece written and checked). 1→1 and 3→1.
3. ``node`` (judged): Communs nodes (``communs serve``); seeders get the file by ``communs blob
   add`` and are waited for until their ``/api/swarm`` counts it seeded. Timed here, from
   ``POST /api/blobs/{hash}/fetch`` on a fresh node to its ``/api/blobs/{hash}/transfer``
   long-poll answering "done": the node's whole job (metadata, swarm, SHA-256 check, store),
   with no interpreter start-up, like the bare anchor. 1→1, then 3→1. One ``communs blob get``
   is timed end to end too, for information only.
4. ``rss``: a fresh node fetches a ``--rss-gib`` GiB file; its peak RSS (VmHWM) is read; the
   big copies are removed afterwards, even with ``--keep``.

The bare sessions get the node's own tuning (a 100 ms tick, 8 MiB of blocks queued for the
disk), so the anchor is libtorrent at its best. On loopback a transfer is bound by CPU (the
downloader checks every block; seeders and downloader share the cores), so three seeders
cannot beat one there: the swarm goal is judged again with each seeder's upload capped
(``--seed-cap``, default 40 MiB/s), as the upload links of peers are on real networks.

Goals: node 1→1 ≥ 0.9 × bare 1→1; node 3→1 ≥ 1.3 × node 1→1 (capped seeders); peak RSS
≤ 200 MB. Every wait is
bounded, every process started here is stopped in ``finally``; the work folder is removed
unless ``--keep``. Nodes and CLI commands run this checkout's ``src/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402

from nodes import (  # noqa: E402
    Node,
    communs,
    mb,
    print_summary,
    proc_status_kb,
    terminate,
    wait_for,
)

GOAL_NODE_BARE = 0.9  # node 1→1 rate / bare libtorrent 1→1 rate, at least
GOAL_SWARM = 1.3  # node 3→1 rate / node 1→1 rate, at least
GOAL_RSS_MB = 200  # peak RSS of the fetching node, at most
MIB = 1024 * 1024


def rate(size: int, seconds: float | None) -> float:
    """MiB/s (0 when not measured)."""
    return size / MIB / seconds if seconds else 0.0


def bound(size: int) -> float:
    """Seconds one transfer of ``size`` bytes may take: generous (4 MiB/s plus a minute)."""
    return 60.0 + size / MIB / 4


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


def write_file(path: Path, size: int, random: bool) -> None:
    """``size`` bytes: from os.urandom, or (fast, for the RSS part) one random MiB repeated
    with a counter at the start of every 16 KiB block, so that no two pieces are alike."""
    block, counter = bytearray(os.urandom(MIB)), 0
    with open(path, "wb") as out:
        for left in range(size, 0, -MIB):
            if random:
                block[:] = os.urandom(MIB)
            else:
                for offset in range(0, MIB, 16384):
                    block[offset : offset + 8] = counter.to_bytes(8, "little")
                    counter += 1
            out.write(memoryview(block)[: min(MIB, left)])


# -- child modes: bare libtorrent sessions, each in its own process ----------------------------


def bare(torrent: str, folder: str, seed: bool):
    """A libtorrent session on 127.0.0.1, TCP only to the peers it is told about, and the
    torrent's parameters (started at once, not queued; seed mode for a seeder)."""
    import libtorrent as lt

    off = ("dht", "lsd", "upnp", "natpmp", "outgoing_utp", "incoming_utp")
    session = lt.session(
        {f"enable_{name}": False for name in off}
        | {
            "listen_interfaces": "127.0.0.1:0",
            "allow_multiple_connections_per_ip": True,
            "alert_mask": lt.alert_category.error | lt.alert_category.status,
            # the node's own tuning (node/swarm.py): the anchor is libtorrent at its best
            "tick_interval": 100,
            "max_queued_disk_bytes": 8 * MIB,
        }
    )
    wait_for(lambda: session.is_listening() and session.listen_port(), 30, 0.01, "listening")
    params = lt.add_torrent_params()
    params.ti, params.save_path = lt.torrent_info(torrent), folder
    flags = params.flags & ~lt.torrent_flags.paused & ~lt.torrent_flags.auto_managed
    params.flags = flags | lt.torrent_flags.seed_mode if seed else flags
    return session, params


def child_bare_seed(torrent: str, folder: str) -> None:
    """Seed ``torrent`` from ``folder`` until SIGTERM (or two hours)."""
    session, params = bare(torrent, folder, seed=True)
    session.add_torrent(params)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"ready {session.listen_port()}", flush=True)
    deadline = time.monotonic() + 7200
    while not stop.wait(0.2) and time.monotonic() < deadline:
        session.pop_alerts()


def child_bare_get(torrent: str, folder: str, timeout: str, *ports: str) -> None:
    """Download ``torrent`` into ``folder`` from seeders on 127.0.0.1:PORT...; prints a JSON
    line: seconds from add_torrent to finished, first byte, payload bytes, bytes per seeder."""
    session, params = bare(torrent, folder, seed=False)
    start = time.perf_counter()
    handle = session.add_torrent(params)
    for port in ports:
        handle.connect_peer(("127.0.0.1", int(port)))
    peers: dict[str, int] = {}
    errors: list[str] = []
    first_byte = None
    while not (status := handle.status()).is_seeding:
        if first_byte is None and status.total_payload_download:
            first_byte = time.perf_counter() - start
        if time.perf_counter() - start > float(timeout):
            sys.exit(f"not finished in {timeout} s; errors {errors[-5:]}")
        for peer in handle.get_peer_info():
            port = str(peer.ip[1])
            peers[port] = max(peers.get(port, 0), peer.total_download)
        session.wait_for_alert(20)
        errors += [a.message() for a in session.pop_alerts() if "error" in type(a).__name__]
    seconds, payload = time.perf_counter() - start, status.total_payload_download
    result = dict(seconds=seconds, first_byte=first_byte, payload=payload, errors=errors[-5:])
    print(json.dumps(result | {"from": peers}), flush=True)


CHILDREN = {"--_bare-seed": child_bare_seed, "--_bare-get": child_bare_get}


class Child:
    """``python ARGS`` in its own process (``--_MODE ...``: a mode of this script), output to
    files. Servers print ``ready PORT`` or ``... port PORT ...`` first; results are a last
    JSON line."""

    def __init__(self, folder: Path, name: str, *args: str):
        self.name = name
        self.out, self.err = folder / f"{name}.stdout", folder / f"{name}.stderr"
        mode = [str(Path(__file__).resolve())] if args[0] in CHILDREN else []
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            command = [sys.executable, "-u", *mode, *args]
            self.proc = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL)

    def failed(self, what: str) -> RuntimeError:
        return RuntimeError(
            f"{self.name}: {what} (exit {self.proc.returncode}): "
            f"{self.out.read_text()[-500:]} {self.err.read_text()[-1500:]}"
        )

    def ready(self, timeout: float = 30.0) -> int:
        def port() -> int | None:
            if self.proc.poll() is not None:
                raise self.failed("exited before it was ready")
            found = re.search(r"(?:ready|port) (\d+)", self.out.read_text())
            return int(found[1]) if found else None

        return wait_for(port, timeout, 0.01, f"{self.name} ready")

    def result(self, timeout: float) -> dict:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise self.failed(f"still running after {timeout:.0f} s") from None
        lines = self.out.read_text().strip().splitlines()
        if self.proc.returncode != 0 or not lines:
            raise self.failed("failed")
        return json.loads(lines[-1])

    def stop(self, timeout: float = 10.0) -> None:
        terminate(self.proc, timeout)


# -- 1. HTTP anchor ------------------------------------------------------------------------------


def measure_http(folder: Path, source: Path, size: int, digest: str, runs: int) -> float:
    """Fastest of ``runs`` streamed downloads of ``source`` over loopback HTTP, in seconds."""
    serve = ("-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(source.parent))
    server = Child(folder, "http-server", *serve)
    target, times = folder / "http-download.bin", []
    try:
        url = f"http://127.0.0.1:{server.ready()}/{source.name}"
        for _ in range(runs):
            start = time.perf_counter()
            with (
                httpx.Client(timeout=httpx.Timeout(bound(size), connect=5.0)) as http,
                http.stream("GET", url) as response,
                open(target, "wb") as out,
            ):
                response.raise_for_status()
                for chunk in response.iter_raw(MIB):
                    out.write(chunk)
            times.append(time.perf_counter() - start)
            if sha256_file(target) != digest:
                raise RuntimeError("HTTP download: the file differs from the source")
    finally:
        server.stop()
        target.unlink(missing_ok=True)
    shown = ", ".join(f"{t:.2f}" for t in times)
    print(f"http: {shown} s → best {rate(size, min(times)):.0f} MiB/s")
    return min(times)


# -- 2. bare libtorrent anchor ------------------------------------------------------------------


def make_torrent(source: Path) -> Path:
    """A hybrid (v1 + v2) torrent of ``source``, libtorrent's default piece size."""
    import libtorrent as lt

    creator = lt.create_torrent([lt.create_file_entry(source.name, source.stat().st_size)])
    lt.set_piece_hashes(creator, str(source.parent))
    path = source.parent.parent / "media.torrent"
    path.write_bytes(lt.bencode(creator.generate()))
    print(f"torrent: hybrid, pieces of {creator.piece_length() // 1024} KiB")
    return path


def measure_bare(folder: Path, torrent: Path, source: Path, digest: str, seeders: int, runs: int):
    """The fastest of ``runs`` bare transfers, ``seeders`` → 1, fresh processes every run."""
    size, results, src = source.stat().st_size, [], str(source.parent)
    for run in range(runs):
        seeds: list[Child] = []
        into = folder / f"bare-{seeders}-{run}"
        into.mkdir()
        try:
            for i in range(seeders):
                seeds.append(Child(folder, f"bare-seed{i}", "--_bare-seed", str(torrent), src))
            ports = [str(seed.ready()) for seed in seeds]
            args = ("--_bare-get", str(torrent), str(into), str(bound(size)), *ports)
            seeds.append(getter := Child(folder, f"bare-get-{seeders}-{run}", *args))
            result = getter.result(bound(size) + 30)
            result["shares"] = [result["from"].get(port, 0) / size for port in ports]
            if sha256_file(into / source.name) != digest:
                raise RuntimeError("bare libtorrent: the downloaded file differs from the source")
            results.append(result)
        finally:
            for child in seeds:
                child.stop()
            shutil.rmtree(into, ignore_errors=True)
    best = min(results, key=lambda r: r["seconds"])
    times = ", ".join(f"{r['seconds']:.2f}" for r in results)
    shares = " / ".join(f"{s:.0%}" for s in best["shares"])
    print(
        f"bare {seeders}→1: {times} s → best {rate(size, best['seconds']):.0f} MiB/s; first byte "
        f"after {best['first_byte'] or 0:.2f} s; payload {best['payload'] / size:.3f} × the file"
        + (f", shares {shares}" if seeders > 1 else "")
        + (f"; errors {best['errors']}" if best["errors"] else "")
    )
    return best


# -- 3. nodes -----------------------------------------------------------------------------------


def blob_add(node: Node, path: Path) -> str:
    """``communs blob add FILE`` through the running node, then wait until its ``/api/swarm``
    counts a seeded file (each seeder here holds only this one)."""
    size, start = path.stat().st_size, time.perf_counter()
    added = communs(node.home, "blob", "add", str(path), timeout=bound(size))
    if added.returncode != 0:
        raise RuntimeError(f"blob add on {node.name}: {added.stderr.strip()[-500:]}")
    added_s = time.perf_counter() - start
    swarm = node.http.get  # type: ignore[union-attr]
    wait_for(lambda: swarm("/api/swarm").json()["seeding"] >= 1, bound(size), what="seeding")
    waited = time.perf_counter() - start
    print(f"{node.name}: blob add {added_s:.2f} s, seeding per /api/swarm after {waited:.2f} s")
    return added.stdout.split()[0]


def log_tail(node: Node, lines: int = 8) -> str:
    """The node's stderr lines that look like trouble (else its last ones)."""
    text = node.err_path.read_text(errors="replace").splitlines()
    bad = [ln for ln in text if any(w in ln.lower() for w in ("error", "warn", "fail", "match"))]
    return "\n    ".join((bad or text)[-lines:])


def node_fetch(node: Node, seeders: list[Node], blob: str, size: int) -> dict:
    """POST fetch on ``node``, then long-poll its transfer until it ends; timed here from the
    POST to "done". Returns ok, seconds, the last transfer JSON, peak RSS; prints them."""
    label = f"{node.name} ({len(seeders)}→1)"
    token = (node.home / "api-token").read_text().strip()
    peaks = {"peers": 0, "seeds": 0, "rate": 0, "RssAnon": 0, "RssFile": 0}
    http = node.http
    assert http is not None
    start = time.perf_counter()
    response = http.post(
        f"/api/blobs/{blob}/fetch",
        json={"peers": [s.url for s in seeders]},
        headers={"Authorization": f"Bearer {token}"},
    )
    if response.status_code != 200:
        raise RuntimeError(f"POST fetch: HTTP {response.status_code} {response.text[:500]}")
    transfer = response.json()
    while transfer["state"] in ("fetching", "verifying"):
        if time.perf_counter() - start > bound(size):
            break
        now = transfer | {k: proc_status_kb(node.pid, k) for k in ("RssAnon", "RssFile")}
        peaks = {key: max(peaks[key], now[key] or 0) for key in peaks}
        response = http.get(f"/api/blobs/{blob}/transfer", params={"wait": 0.5})
        response.raise_for_status()
        transfer = response.json()
    seconds = time.perf_counter() - start
    stored = node.home / "blobs" / "sha256" / blob[:2] / blob[2:]
    ok = transfer["state"] == "done" and stored.is_file() and stored.stat().st_size == size
    if ok and size <= 1024 * MIB:  # the node checked it; larger ones are not hashed again
        ok = sha256_file(stored) == blob
    got = {"ok": ok, "seconds": seconds, "transfer": transfer, "peak_kb": node.peak_rss_kb()}
    if not ok:
        print(
            f"node {label}: FAILED: state {transfer['state']} after {seconds:.1f} s, error "
            f"{transfer.get('error')!r}, stored {stored.is_file()}; transfer JSON {transfer}; "
            f"{node.name} stderr ({node.err_path}):\n    {log_tail(node)}"
        )
        return got
    print(
        f"node {label}: {seconds:.2f} s POST → done = {rate(size, seconds):.0f} MiB/s (node's "
        f"clock {transfer['seconds']:.2f} s); via {transfer['via']}; seen while polling: "
        f"{peaks['peers']} peers, {peaks['seeds']} seeds, {peaks['rate'] / MIB:.0f} MiB/s; "
        f"hash failures {transfer['hash_failures']}, banned {transfer['banned_peers']}; peak RSS "
        f"{mb(got['peak_kb'])} (VmHWM; polled: anonymous {mb(peaks['RssAnon'])}, file-backed "
        f"{mb(peaks['RssFile'])})"
    )
    return got


def fresh_node(folder: Path, name: str, job, *args):
    """``job(node, *args)`` on a fresh node, which is then stopped and its blobs removed."""
    node = Node(folder / f"home-{name}", name)
    try:
        return job(node.start(), *args)
    finally:
        node.stop()
        shutil.rmtree(node.home / "blobs", ignore_errors=True)


def cli_get(node: Node, seeder: Node, blob: str, size: int) -> float | None:
    """One ``communs blob get HASH --from URL --json`` on ``node``, end to end (information)."""
    start = time.perf_counter()
    args = ("blob", "get", blob, "--from", str(seeder.url), "--json")
    got = communs(node.home, *args, timeout=bound(size))
    seconds = time.perf_counter() - start
    if got.returncode != 0:
        print(f"cli: blob get FAILED (exit {got.returncode}): {got.stderr.strip()[-500:]}")
        print(f"    {node.name} stderr ({node.err_path}):\n    {log_tail(node)}")
        return None
    inside = json.loads(got.stdout)["seconds"]
    print(
        f"cli: communs blob get {seconds:.2f} s end to end = {rate(size, seconds):.0f} MiB/s "
        f"(node's clock {inside:.2f} s; the rest is CLI start-up and polling)"
    )
    return seconds


def measure_nodes(folder: Path, source: Path, size: int, runs: int, cap: int = 0) -> dict:
    """Node 1→1 and 3→1 (fastest of ``runs``, a fresh downloader every run), one CLI fetch;
    ``cap``: each seeder's upload limit in MiB/s (0: none)."""
    tag = f"c{cap}-" if cap else ""
    seeders = [Node(folder / f"home-{tag}s{i}", f"{tag}s{i}") for i in range(1, 4)]
    for seeder in seeders:
        seeder.serve_args = ("--upload-limit", f"{cap}MiB") if cap else ()

    def best(label: str, sources: list[Node]) -> dict:
        results = [
            fresh_node(folder, f"{tag}d{len(sources)}-{run}", node_fetch, sources, blob, size)
            for run in range(runs)
        ]
        done = [r for r in results if r["ok"]]
        return min(done, key=lambda r: r["seconds"]) if done else results[-1]

    try:
        for seeder in seeders:
            seeder.start()
        blob = blob_add(seeders[0], source)  # only s1 holds it: nothing else can serve it
        one = best("1→1", seeders[:1])
        cli = None if cap else fresh_node(folder, "cli", cli_get, seeders[0], blob, size)
        for seeder in seeders[1:]:
            blob_add(seeder, source)
        return {"one": one, "three": best("3→1", seeders), "cli": cli}
    finally:
        for seeder in seeders:
            seeder.stop()


# -- 4. peak RSS of a node fetching a large file -------------------------------------------------


def measure_rss(folder: Path, gib: float) -> dict:
    size, work = int(gib * 1024) * MIB, folder / "rss"
    work.mkdir()
    big = work / "big.bin"
    seeder, fetcher = Node(work / "home-s", "rss-s"), Node(work / "home-d", "rss-d")
    try:
        start = time.perf_counter()
        write_file(big, size, random=False)
        print(f"rss: wrote {gib:g} GiB in {time.perf_counter() - start:.1f} s")
        seeder.start()
        fetcher.start()
        blob = blob_add(seeder, big)
        big.unlink()
        rest = proc_status_kb(fetcher.pid, "VmRSS")
        got = node_fetch(fetcher, [seeder], blob, size)
        print(f"rss: fetching node {mb(rest)} at rest before the fetch, peak {mb(got['peak_kb'])}")
        return got
    finally:
        fetcher.stop()
        seeder.stop()
        for home in (seeder.home, fetcher.home):
            used = sum(p.lstat().st_blocks * 512 for p in home.rglob("*") if p.is_file())
            print(f"rss: {home.name} uses {used / MIB / 1024:.2f} GiB of disk; removing its blobs")
            shutil.rmtree(home / "blobs", ignore_errors=True)
            shutil.rmtree(home / "torrents", ignore_errors=True)
        big.unlink(missing_ok=True)


# -- the run ------------------------------------------------------------------------------------


def attempt(part: str, run, *args):
    """A part's result; when it breaks, what broke is printed and the other parts still run."""
    try:
        return run(*args)
    except Exception as error:  # noqa: BLE001 - reported, and the summary shows it missing
        print(f"{part}: BROKE: {type(error).__name__}: {error}")
        return None


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] in CHILDREN:
        return CHILDREN[sys.argv[1]](*sys.argv[2:]) or 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=200, help="size of the file moved")
    parser.add_argument("--rss-gib", type=float, default=2.0, help="RSS part's file (0: skip)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each; the fastest counts")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR (empty) and keep it")
    parser.add_argument(
        "--seed-cap", type=int, default=40, help="MiB/s per seeder for the capped swarm (0: skip)"
    )
    every = ["http", "bare", "node", "rss"]
    parser.add_argument("--only", action="append", choices=every, help="this part (repeatable)")
    args = parser.parse_args()
    parts = set(args.only or every) - ({"rss"} if args.rss_gib <= 0 else set())
    if args.keep and Path(args.keep).exists() and any(Path(args.keep).iterdir()):
        parser.error(f"--keep {args.keep}: the folder is not empty")
    # Nodes and CLI commands run this checkout's code, whatever is installed.
    path = [str(HERE.parent / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    os.environ["PYTHONPATH"] = os.pathsep.join(path)
    cores, load = len(os.sched_getaffinity(0)), " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{cores} cores for this run ({os.cpu_count()} CPUs), load average {load}")

    folder = Path(args.keep or tempfile.mkdtemp(prefix="communs-bench-media-"))
    folder.mkdir(parents=True, exist_ok=True)
    size, runs = args.size_mib * MIB, args.runs
    http_s = bare1 = bare3 = nodes = capped = rss = None
    try:
        source = folder / "src" / "media.bin"
        source.parent.mkdir()
        if parts & {"http", "bare", "node"}:
            write_file(source, size, random=True)
            digest = sha256_file(source)
            print(f"file: {args.size_mib} MiB of random bytes ({folder})")
        if "http" in parts:
            http_s = attempt("http", measure_http, folder, source, size, digest, runs)
        if "bare" in parts:
            torrent = make_torrent(source)
            bare1 = attempt("bare", measure_bare, folder, torrent, source, digest, 1, runs)
            bare3 = attempt("bare", measure_bare, folder, torrent, source, digest, 3, runs)
        if "node" in parts:
            nodes = attempt("node", measure_nodes, folder, source, size, runs)
            if args.seed_cap:
                capped = attempt("node", measure_nodes, folder, source, size, runs, args.seed_cap)
        if "rss" in parts:
            rss = attempt("rss", measure_rss, folder, args.rss_gib)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    def fmt(value: float | None, unit: str = "") -> str:
        return "-" if not value else f"{value:.0f}{unit}" if unit else f"{value:.2f}"

    def over(a: float, b: float) -> float | None:
        return a / b if a and b else None

    one, three = (nodes or {}).get("one"), (nodes or {}).get("three")
    r_http = rate(size, http_s)
    r_bare1, r_bare3 = (rate(size, b and b["seconds"]) for b in (bare1, bare3))
    r_one, r_three = (rate(size, got and got["ok"] and got["seconds"]) for got in (one, three))
    first = bare1 and bare1["seconds"] - (bare1["first_byte"] or 0)
    rows: list[tuple[str, str, str, bool | None]] = []
    if "http" in parts:
        rows.append(("raw HTTP (anchor)", fmt(r_http, " MiB/s"), "", None))
    if "bare" in parts:
        rows.append(("bare libtorrent 1→1", fmt(r_bare1, " MiB/s"), "", None))
        rows.append(("  from its first byte", fmt(rate(size, first), " MiB/s"), "", None))
        rows.append(("bare libtorrent 3→1", fmt(r_bare3, " MiB/s"), "", None))
        rows.append(("  bare 3→1 / bare 1→1", fmt(over(r_bare3, r_bare1)), "", None))
    if "node" in parts:
        node_bare, swarm = over(r_one, r_bare1), over(r_three, r_one)
        judged = None if not r_bare1 else (node_bare or 0) >= GOAL_NODE_BARE
        cli = rate(size, (nodes or {}).get("cli"))
        rows.append(("node 1→1 (POST → done)", fmt(r_one, " MiB/s"), "", bool(r_one)))
        rows.append(("node 3→1 (POST → done)", fmt(r_three, " MiB/s"), "", bool(r_three)))
        rows.append(("ratio node 1→1 / bare 1→1", fmt(node_bare), f">= {GOAL_NODE_BARE}", judged))
        rows.append(("  node 3→1 / node 1→1", fmt(swarm), "", None))
        if capped:
            c_one, c_three = (
                rate(size, got and got["ok"] and got["seconds"])
                for got in (capped["one"], capped["three"])
            )
            c_swarm = over(c_three, c_one)
            cap = f"{args.seed_cap} MiB/s"
            rows.append((f"node 1→1, seeders at {cap}", fmt(c_one, " MiB/s"), "", None))
            rows.append((f"node 3→1, seeders at {cap}", fmt(c_three, " MiB/s"), "", None))
            ok = (c_swarm or 0) >= GOAL_SWARM
            rows.append(("ratio 3→1 / 1→1 (capped)", fmt(c_swarm), f">= {GOAL_SWARM}", ok))
        rows.append(("  node 1→1 / HTTP", fmt(over(r_one, r_http)), "", None))
        rows.append(("  CLI blob get, end to end", fmt(cli, " MiB/s"), "info", None))
    if "rss" in parts:
        peak = rss["peak_kb"] if rss and rss["ok"] else None
        ok = peak is not None and peak / 1024 <= GOAL_RSS_MB
        label = f"peak RSS fetching {args.rss_gib:g} GiB"
        rows.append((label, mb(peak), f"<= {GOAL_RSS_MB} MB", ok))
    with_rss = f", RSS with {args.rss_gib:g} GiB" if "rss" in parts else ""
    load = f"load average {os.getloadavg()[0]:.2f}"
    title = f"{args.size_mib} MiB, best of {runs}{with_rss}, {cores} cores, {load}"
    return print_summary(title, rows)


if __name__ == "__main__":
    sys.exit(main())
