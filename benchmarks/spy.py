"""Profiling a running node with py-spy (when installed): raw collapsed stacks in a file, and
the hottest functions printed."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path


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


def stop_profile(
    spy: subprocess.Popen, path: str, needles: tuple[str, ...] = (), top: int = 14
) -> None:
    """Stop py-spy (SIGINT: it writes its file then) and print the hottest functions, and the
    share of the samples under each function named in ``needles``."""
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
    print(f"profile ({total} samples at 100 Hz, busy threads only; {path}):")
    print(
        "  threads: "
        + ", ".join(
            f"{t} {n / total:.0%}" for t, n in sorted(threads.items(), key=lambda kv: -kv[1])[:5]
        )
    )
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  self {n / total:5.1%}  {frame}")
    for needle in needles:
        found = [(f, n) for f, n in inclusive.items() if f.startswith(needle + " ")]
        if found:
            print(f"  incl {sum(n for _, n in found) / total:5.1%}  {needle}")
