"""How long the command line takes to answer, over the interpreter's own start-up.

    python benchmarks/bench_cli.py [--runs 9]

Builds the demo home once, then times ``communs --version``, ``--help`` and three read
commands on it (``commons list``, ``contribution list``, ``commons log``), each ``--runs``
times, against ``python3 -c pass`` measured in the same run (the anchor). No node runs: the
reads open the home directly, as a person's first command of the day does.

Goal: a read command answers within 0.15 s of the interpreter's start-up.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nodes import communs, print_summary  # noqa: E402

GOAL = 0.15  # seconds over the interpreter's start-up, for a read command


def timed(argv: list[str], runs: int) -> float:
    """The median wall time of ``argv`` over ``runs`` runs (each must succeed)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, timeout=60)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
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
