"""Convergence: every peer holding the same events computes the same state, whatever the
order and the batches in which the events arrived, and that state is the reference fold.

Hypothesis draws a small community (3 to 5 identities, the first two maintainers, threshold
1 or 2) and a history in which each writer acts on its own view of the heads and only learns
the others' events now and then: proposals, revisions, concurrent accepts, rejections,
reverts, withdrawals, patrols, charter changes, accepts by non-maintainers and a fork.
"""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventkit import Peer, World, Writer, blob, change, charter, reference_digest

MAX_EVENTS = 40
PATHS = ("README.md", "docs/guide.md", "src/main.c")
KINDS = (
    "sync",
    "sync",
    "sync",
    "propose",
    "propose",
    "revise",
    "accept",
    "accept",
    "accept",
    "reject",
    "withdraw",
    "revert",
    "patrol",
    "charter",
    "fork",
)

Op = tuple[str, int, int, bool]
ops = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 4), st.integers(0, 2**16), st.booleans()),
    min_size=20,
    max_size=MAX_EVENTS + 10,
)


class History:
    """Interprets drawn operations as the actions of writers who each see part of the DAG."""

    def __init__(self, people: int, threshold: int, mode: str):
        self.world = World()
        self.writers = [self.world.writer(n) for n in range(1, people + 1)]
        self.outsider = self.writers[-1]  # never a maintainer, anywhere
        genesis = self.writers[0].create(
            charter("Main", [w.me for w in self.writers[:2]], threshold=threshold, mode=mode)
        )
        self.main = genesis.id
        self.commons = [genesis.id]
        for writer in self.writers:
            writer.learn(genesis)
        self.blobs = 0
        self.outsider_accepts: dict[bytes, list[bytes]] = {}

    def fresh_blob(self) -> bytes:
        self.blobs += 1
        return blob(self.blobs)

    def full(self) -> bool:
        # Room for the outsider's final accept in each commons (a fork makes two).
        return len(self.world.order) >= MAX_EVENTS - 3

    def run(self, drawn: list[Op]) -> None:
        for kind, who, pick, flag in drawn:
            if self.full():
                break
            writer = self.writers[who % len(self.writers)]
            known = [c for c in self.commons if c in writer.known]
            commons = known[pick % len(known)]
            getattr(self, kind)(writer, commons, pick, flag)
        # At least one accept by someone who is never a maintainer, in every commons.
        for commons in self.commons:
            self.outsider.learn(commons)
            targets = self.contributions(self.outsider, commons) or [(bytes(32), {})]
            self.accept(self.outsider, commons, len(self.world.order), False, targets)

    # -- what a writer sees --------------------------------------------------------------

    def contributions(self, writer: Writer, commons: bytes) -> list[tuple[bytes, dict]]:
        records = writer.state(commons).records
        return [
            (bytes.fromhex(key.split("/")[1]), value)
            for key, value in sorted(records.items())
            if key.startswith("contribution/")
        ]

    def canonical(self, writer: Writer, commons: bytes, path: str) -> bytes | None:
        record = writer.state(commons).records.get("artifact/" + path)
        return record["blob"] if record else None

    def changes(self, writer: Writer, commons: bytes, pick: int) -> list[dict]:
        paths = [PATHS[pick % 3]] if pick % 4 else [PATHS[pick % 3], PATHS[(pick + 1) % 3]]
        return [
            change(p, self.fresh_blob(), base=self.canonical(writer, commons, p)) for p in paths
        ]

    def chosen(self, writer: Writer, commons: bytes, pick: int, want=None):
        found = self.contributions(writer, commons)
        preferred = [c for c in found if want is None or want(c[1])] or found
        return preferred[pick % len(preferred)] if preferred else None

    # -- actions ---------------------------------------------------------------------------

    def sync(self, writer: Writer, commons: bytes, pick: int, everything: bool) -> None:
        other = self.writers[pick % len(self.writers)]
        if everything:
            writer.learn(*other.known)
        else:  # one event (and its past) of what the other knows
            writer.learn(sorted(other.known)[pick % len(other.known)])

    def propose(self, writer: Writer, commons: bytes, pick: int, flag: bool) -> None:
        writer.propose(commons, self.changes(writer, commons, pick), title=f"p{pick}")

    def revise(self, writer: Writer, commons: bytes, pick: int, flag: bool) -> None:
        mine = self.chosen(
            writer,
            commons,
            pick,
            lambda r: r["author"] == writer.did and r["state"] in ("open", "conflict"),
        )
        if mine:
            writer.revise(commons, mine[0], self.changes(writer, commons, pick))

    def accept(self, writer: Writer, commons: bytes, pick: int, merge: bool, targets=None) -> None:
        found = targets or [self.chosen(writer, commons, pick, lambda r: r["state"] == "open")]
        if found[0] is None:
            return
        cid, record = found[pick % len(found)]
        revision = len(record.get("revisions", [None])) - 1
        merged = None
        if merge and record:
            merged = []
            for item in record["revisions"][-1]["changes"]:
                current = self.canonical(writer, commons, item["path"])
                if current != item["base"]:
                    merged.append(
                        {
                            "path": item["path"],
                            "onto": current,
                            "blob": self.fresh_blob(),
                            "size": 2,
                        }
                    )
        event = writer.accept(commons, cid, revision, merged)
        if writer is self.outsider:
            self.outsider_accepts.setdefault(commons, []).append(event.id)

    def reject(self, writer: Writer, commons: bytes, pick: int, flag: bool) -> None:
        found = self.chosen(writer, commons, pick, lambda r: r["state"] in ("open", "conflict"))
        if found:
            writer.reject(commons, found[0], reason=f"r{pick}")

    def withdraw(self, writer: Writer, commons: bytes, pick: int, flag: bool) -> None:
        found = self.chosen(writer, commons, pick, lambda r: r["author"] == writer.did or flag)
        if found:
            writer.withdraw(commons, found[0])

    def revert(self, writer: Writer, commons: bytes, pick: int, merge: bool) -> None:
        found = self.chosen(
            writer, commons, pick, lambda r: r["state"] in ("accepted", "published")
        )
        if not found:
            return
        merged = None
        if merge and found[1]["applied"]:
            merged = [
                {
                    "path": a["path"],
                    "onto": self.canonical(writer, commons, a["path"]),
                    "blob": self.fresh_blob(),
                    "size": 3,
                }
                for a in found[1]["applied"]
            ]
        writer.revert(commons, found[0], reason="no", merged=merged)

    def patrol(self, writer: Writer, commons: bytes, pick: int, flag: bool) -> None:
        found = self.chosen(writer, commons, pick, lambda r: r["state"] == "published")
        if found:
            writer.patrol(commons, found[0])

    def charter(self, writer: Writer, commons: bytes, pick: int, add: bool) -> None:
        target = self.writers[pick % (len(self.writers) - 1)]  # never the outsider
        op = "add_maintainer" if add else "remove_maintainer"
        writer.change_charter(commons, {"op": op, "did": target.did})

    def fork(self, writer: Writer, commons: bytes, pick: int, older: bool) -> None:
        if len(self.commons) > 1 or writer is self.outsider:
            return
        heads = None
        if older:  # at an event that is (probably) no longer a head
            mine = sorted(e.id for e in writer.known.values() if e.commons == commons)
            heads = [mine[pick % len(mine)]]
        others = [w.me for w in self.writers[:-1] if w is not writer][: pick % 2]
        fork = writer.fork(commons, charter("Fork", [writer.me, *others]), heads=heads)
        self.commons.append(fork.id)


def deliveries(events: list, rng: random.Random) -> list[list[list]]:
    """Several ways the same events may reach a peer: in order, children first, and shuffled
    into random batches."""
    ways = [[list(events)], [list(reversed(events))]]
    for _ in range(2):
        shuffled = list(events)
        rng.shuffle(shuffled)
        cuts = sorted(
            rng.sample(range(1, len(shuffled)), k=min(len(shuffled) - 1, rng.randint(0, 6)))
        )
        bounds = [0, *cuts, len(shuffled)]
        ways.append([shuffled[a:b] for a, b in zip(bounds, bounds[1:], strict=False)])
    return ways


# Histories are slow to draw and big: no deadline, no health check against that.
HISTORIES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@HISTORIES
@given(
    people=st.integers(3, 5),
    threshold=st.integers(1, 2),
    mode=st.sampled_from(["review", "review", "publish"]),
    drawn=ops,
    rng=st.randoms(use_true_random=False),
)
def test_every_peer_converges_on_the_reference_fold(people, threshold, mode, drawn, rng):
    history = History(people, threshold, mode)
    history.run(drawn)
    world = history.world
    assert len(world.order) <= MAX_EVENTS
    expected = {commons: reference_digest(world, commons) for commons in history.commons}

    for batches in deliveries(world.order, rng):
        peer = Peer()
        try:
            for batch in batches:
                report = peer.ingest(*batch)
                assert not report.refused, report.refused
            assert peer.store.pending_count() == 0
            for commons in history.commons:
                assert peer.digest(commons) == expected[commons]
                ineffective = peer.ineffective(commons)
                accepts = history.outsider_accepts[commons]
                assert accepts and all(eid in ineffective for eid in accepts)
                assert all(
                    ineffective[eid].startswith("only maintainers can accept") for eid in accepts
                )
        finally:
            peer.close()


def test_the_generator_makes_interesting_histories():
    """Guard against a generator that silently stops exercising the rules."""
    rng = random.Random(7)
    seen_types, seen_states, reasons, forks = set(), set(), set(), 0
    for _ in range(40):
        history = History(rng.randint(3, 5), rng.randint(1, 2), rng.choice(["review", "publish"]))
        history.run(
            [
                (rng.choice(KINDS), rng.randrange(5), rng.randrange(2**16), rng.random() < 0.5)
                for _ in range(35)
            ]
        )
        forks += len(history.commons) - 1
        for commons in history.commons:
            events = history.world.of(commons)
            seen_types.update(e.type for e in events)
            reader = history.writers[0]
            reader.learn(*(e.id for e in events))
            folded = reader.state(commons)
            reasons.update(r.code for r in folded.ineffective.values())
            seen_states.update(
                v["state"] for k, v in folded.records.items() if k.startswith("contribution/")
            )
            accepts = [e for e in events if e.type == "contribution.accept"]
            if len({e.clock for e in accepts}) < len(accepts):
                seen_types.add("concurrent accepts")
    assert forks >= 5
    assert {
        "contribution.propose",
        "contribution.revise",
        "contribution.accept",
        "contribution.reject",
        "contribution.withdraw",
        "contribution.revert",
        "contribution.patrol",
        "charter.change",
        "concurrent accepts",
    } <= seen_types
    assert {
        "open",
        "accepted",
        "rejected",
        "withdrawn",
        "reverted",
        "published",
        "conflict",
    } <= seen_states
    assert {"not_maintainer", "base_moved"} <= reasons
