"""How long the command line takes to answer, over the interpreter's own start-up.

    python benchmarks/bench_cli.py [--runs 9]

Builds the demo home once, then times ``communs --version``, ``--help`` and three read
commands on it (``commons list``, ``contribution list``, ``commons log``), each ``--runs``
times, against ``python3 -c pass`` measured in the same run (the anchor). No node runs: the
reads open the home directly, as a person's first command of the day does.

Python runs as installed, with its bytecode cache (an install compiles the package, and
Python keeps ``__pycache__``): the commands run once before they are timed, and without
``PYTHONDONTWRITEBYTECODE``, which some sandboxes set. ``--cold`` also times them without
the cache, every module compiled from source at each start.

Goal: a read command answers within 0.15 s of the interpreter's start-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nodes import communs, print_summary  # noqa: E402

GOAL = 0.15  # seconds over the interpreter's start-up, for a read command


CACHED = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
COLD = {**CACHED, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/nonexistent/none"}


def timed(argv: list[str], runs: int, env: dict[str, str] = CACHED) -> float:
    """The median wall time of ``argv`` over ``runs`` runs (each must succeed), after one
    run that fills the bytecode cache."""
    subprocess.run(argv, check=True, capture_output=True, timeout=60, env=env)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, timeout=60, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--cold", action="store_true", help="also time without bytecode cache")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as root:
        home = Path(root) / "home"
        built = communs(home, "demo")
        if built.returncode:
            print(built.stdout, built.stderr)
            return 1
        guide = "Aber valley trail guide"
        cli = [sys.executable, "-m", "communs", "--home", str(home)]
        anchor = timed([sys.executable, "-c", "pass"], args.runs)
        print(f"python3 -c pass: {anchor * 1000:.0f} ms (median of {args.runs})")
        commands = {
            "--version": ["--version"],
            "--help": ["--help"],
            "commons list": ["commons", "list"],
            "contribution list": ["contribution", "list", guide],
            "commons log": ["commons", "log", guide],
        }
        figures = {}
        for name, rest in commands.items():
            figures[name] = timed(cli + rest, args.runs) - anchor
            print(f"communs {name}: {figures[name] * 1000:.0f} ms over python3 -c pass", flush=True)
            if args.cold:
                cold = timed(cli + rest, args.runs, COLD) - timed([sys.executable, "-c", "pass"],
                                                                 args.runs, COLD)  # fmt: skip
                print(f"  without bytecode cache: {cold * 1000:.0f} ms over python3 -c pass")
    rows: list[tuple[str, str, str, bool | None]] = [
        ("python3 -c pass", f"{anchor * 1000:.0f} ms", "", None)
    ]
    for name, over in figures.items():
        read = name not in ("--version", "--help")
        rows.append(
            (
                f"communs {name}",
                f"+{over * 1000:.0f} ms",
                f"<= +{GOAL * 1000:.0f} ms" if read else "",
                over <= GOAL if read else None,
            )
        )
    return print_summary("command-line start-up", rows)


if __name__ == "__main__":
    sys.exit(main())
