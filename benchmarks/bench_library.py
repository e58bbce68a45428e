"""A lending library's catalogue at the size of a city's tool library.

    python3 benchmarks/bench_library.py [--items 2000] [--runs 40]

Builds a library of ``--items`` items (each with a photo, spread over the categories, a tenth
in maintenance), then measures on the server (in process) the catalogue page, a category of
it, an item's page and the catalogue's JSON, against the smallest JSON endpoint (GET
/api/node) of the same run. Goal: p95 <= 150 ms each. (Loans, members and the desk page come
with their steps.)
"""

import argparse
import io
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_web import p95, timed  # noqa: E402  (one way of timing pages)

from communs.api.app import create_app  # noqa: E402
from communs.domain.library import CATEGORIES  # noqa: E402
from communs.node.home.folder import Actor, Home  # noqa: E402
from communs.node.service import Service  # noqa: E402
from nodes import print_summary  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

GOAL_MS = 150.0


def build(service: Service, items: int) -> tuple[str, str]:
    """The library's id and one item's."""
    steward = Actor("steward")
    service.identity_new("steward")
    library = service.commons_create(steward, name="Outils", kind="library")["id"]
    photo = service.blob_add(io.BytesIO(b"\xff\xd8 a photo"), "item.jpg")["hash"]
    one = ""
    for n in range(items):
        made = service.item_add(
            steward, library, title=f"Item {n}", category=CATEGORIES[n % len(CATEGORIES)],
            value=str(20 + n % 300), deposit="10", care="Gloves.", photos=[photo],
        )  # fmt: skip
        if n % 10 == 0:
            service.item_status(steward, library, made["id"], "maintenance", "check")
        one = one or made["id"]
    return library, one


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        service = Service(Home(Path(root) / "home"))
        try:
            started = time.perf_counter()
            library, item = build(service, args.items)
            print(f"{args.items:,} items added in {time.perf_counter() - started:.1f} s")
            client = TestClient(create_app(service))
            anchor = timed(client, "/api/node", args.runs)
            pages = {
                "catalogue page": f"/c/{library}/library",
                "its last page": f"/c/{library}/library?page=34",
                "one category": f"/c/{library}/library?category=garden",
                "an item's page": f"/c/{library}/library/{item}",
                "catalogue JSON": f"/api/commons/{library}/items",
            }
            results = {name: timed(client, url, args.runs) for name, url in pages.items()}
        finally:
            service.close()
    print(f"\n== server time, {args.items:,} items, {args.runs} runs each ==")
    print(f"  anchor GET /api/node   p50 {statistics.median(anchor):6.1f} ms  "
          f"p95 {p95(anchor):6.1f} ms")  # fmt: skip
    rows: list[tuple[str, str, str, bool | None]] = []
    for name, times in results.items():
        print(f"  {name:<22} p50 {statistics.median(times):6.1f} ms  p95 {p95(times):6.1f} ms "
              f"({p95(times) / p95(anchor):4.1f}x anchor)")  # fmt: skip
        rows.append(
            (name, f"p95 {p95(times):.0f} ms", f"<= {GOAL_MS:.0f} ms", p95(times) <= GOAL_MS)
        )
    return print_summary("the library's catalogue", rows)


if __name__ == "__main__":
    sys.exit(main())
