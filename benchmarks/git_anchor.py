"""The git anchor of the replication benchmark: a repository holding the same payloads as a
commons, one commit per event, built with ``git fast-import``, and ``git clone --no-local``
measured for time and for the peak RSS of its largest process.

Every process started here is waited for with a bound, and killed with its group past it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import psutil

from nodes import mb


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
