"""The health of a commons in figures: who takes part over time, how long review takes and
how much is accepted, where contributors went when the commons was forked, and the objections
still standing. Read in pages along the fold order, never more than ``CAP`` events a count."""

import statistics
from datetime import UTC, datetime
from typing import Any

from ...domain import parse_checked
from ...domain.contributions import contribution_key
from ..home.folder import Home
from . import queries

HOUR = 3_600_000
DAY = 24 * HOUR

MONTHS = 12  # the health page looks this far back
PAGE = 500  # events read at a time for the health page
CAP = 50_000  # events read at most for one count of the health page
LATENCY_BUCKETS = (
    ("under an hour", HOUR),
    ("under a day", DAY),
    ("under a week", 7 * DAY),
    ("under a month", 30 * DAY),
    ("longer", None),
)


def month_starts(now: int, months: int = MONTHS) -> list[tuple[str, int]]:
    """``(YYYY-MM, start in ms)`` of the last ``months`` calendar months (UTC), oldest first."""
    moment = datetime.fromtimestamp(now / 1000, UTC)
    year, month = moment.year, moment.month
    found = []
    for _ in range(months):
        start = datetime(year, month, 1, tzinfo=UTC)
        found.append((f"{year:04d}-{month:02d}", int(start.timestamp() * 1000)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


def recent_events(home: Home, cid: int, since: int, type: str | None = None) -> list[Any]:
    """Events (of one type) signed at or after ``since``, newest first, read a page at a time
    along the fold order (which follows time closely) and never more than ``CAP``."""
    found: list[Any] = []
    before = None
    while len(found) < CAP:
        page = home.store.events_page(cid, before=before, limit=PAGE, type=type)
        found += [row for row in page if row.time >= since]
        if len(page) < PAGE or page[-1].time < since:
            break
        before = (page[-1].clock, page[-1].id)
    return found[:CAP]


def health(home: Home, commons_id: bytes, now: int) -> dict[str, Any]:
    cid = home.cid(commons_id)
    store = home.store
    charter = home.state(commons_id).get("charter")
    names = queries.names(home, cid)
    months = month_starts(now)
    since = months[0][1]

    # Active contributors: distinct authors of proposals, per month.
    proposed = recent_events(home, cid, since, "contribution.propose")
    authors: dict[str, set[str]] = {m: set() for m, _ in months}
    proposals: dict[str, int] = dict.fromkeys(authors, 0)
    for row in proposed:
        month = next((m for m, start in reversed(months) if row.time >= start), None)
        if month is not None:
            authors[month].add(row.author)
            proposals[month] += 1
    contributors = set().union(*authors.values())
    active = {m: len(people) for m, people in authors.items()}

    # Review: from the proposal (the record's time) to the decision that settled it.
    review = charter["mode"] == "review"
    kinds = (
        {"contribution.accept": "accepted", "contribution.reject": "rejected"}
        if review
        else {"contribution.patrol": "accepted", "contribution.revert": "rejected"}
    )
    decisions: dict[bytes, tuple[int, str]] = {}
    for kind, verdict in kinds.items():
        for row in recent_events(home, cid, since, kind):
            if row.refusal is not None:
                continue  # ineffective: it decided nothing
            target = parse_checked(row.raw).body.contribution
            known = decisions.get(target)
            # An accepted contribution was settled by its last accept (the threshold's);
            # a publish-first one was first patrolled or reverted.
            later = review and verdict == "accepted"
            if known is None or (row.time > known[0] if later else row.time < known[0]):
                decisions[target] = (row.time, verdict)
    records = store.get_records(cid, [contribution_key(c) for c in decisions])
    latencies: list[int] = []
    verdicts = {"accepted": 0, "rejected": 0}
    for target, (moment, verdict) in decisions.items():
        record = records.get(contribution_key(target))
        if record is None:
            continue
        if review and verdict == "accepted" and record["state"] not in ("accepted", "reverted"):
            continue  # accepted by fewer maintainers than the threshold: still open
        if not review and verdict == "accepted" and record["state"] == "reverted":
            verdict = "rejected"
        verdicts[verdict] += 1
        latencies.append(max(0, moment - record["time"]))
    decided = sum(verdicts.values())
    buckets = dict.fromkeys((name for name, _ in LATENCY_BUCKETS), 0)
    for latency in latencies:
        name = next(n for n, limit in LATENCY_BUCKETS if limit is None or latency < limit)
        buckets[name] += 1

    # Forks, and who of this commons' contributors took part in each.
    lineage = queries.lineage(home, commons_id)
    forks = []

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for fork in nodes:
            fork_id = bytes.fromhex(fork["id"])
            there = {row.author for row in recent_events(home, home.cid(fork_id), since)}
            forks.append(
                {
                    "id": fork["id"],
                    "name": fork["name"],
                    "depth": depth,
                    "authors": len(there),
                    "contributors": len(there & contributors),
                }
            )
            walk(fork["forks"], depth + 1)

    walk(lineage["forks"], 0)
    most = max(len(contributors), 1)
    for fork in forks:
        fork["width"] = round(100 * fork["contributors"] / most)

    # Objections that stand on open proposals.
    objections = []
    for key, record in store.scan_records(cid, "proposal/", ("open",)):
        for did, objection in sorted(record["objections"].items()):
            if not objection["withdrawn"]:
                objections.append(
                    {
                        "proposal": key.split("/", 1)[1],
                        "title": record["title"],
                        "by": did,
                        "by_name": names.get(did),
                        "reason": objection["reason"],
                        "time": objection["time"],
                    }
                )
    top = max(active.values(), default=0) or 1
    return {
        "since": since,
        "months": [
            {
                "month": m,
                "contributors": active[m],
                "contributions": proposals[m],
                "height": round(100 * active[m] / top),
            }
            for m, _ in months
        ],
        "contributors": len(contributors),
        "review": {
            "mode": charter["mode"],
            "decided": decided,
            "accepted": verdicts["accepted"],
            "rejected": verdicts["rejected"],
            "acceptance_rate": round(verdicts["accepted"] / decided, 3) if decided else None,
            "median_latency_ms": int(statistics.median(latencies)) if latencies else None,
            "latency_buckets": buckets,  # drawn as bars by the page
        },
        "forks": forks,
        "objections": objections,
        "capped": len(proposed) >= CAP,
    }
