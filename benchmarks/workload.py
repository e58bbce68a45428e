"""A realistic commons, generated: signed events in a causal order, for benchmarks and tests.

One genesis (3 maintainers, threshold 2, review-first), then events from ``authors``
identities (the maintainers are among them): each author first sets a profile, then the mix
is proposals (1–3 changes over ~2000 paths, based on the canonical blob the generator
tracks), reviews, accepts by maintainers (two make a contribution canonical), some rejects
and revisions, occasional accepts by non-maintainers (ineffective), and a few concurrent
branches (events whose parents are not the current heads), so the DAG has concurrency and
some events land before the tip of the fold.

Every event is valid: parents are stored earlier in the list, clock = 1 + max(parent
clocks). Whether an event is *effective* is the fold's business: the generator tracks the
state along the generation order, which is close to, but not exactly, the fold order.

Usage::

    from workload import generate          # with benchmarks/ on sys.path
    w = generate(100_000, seed=1)
    w.raws, w.ids, w.clocks, w.genesis_id, w.maintainers, w.identities
"""

from __future__ import annotations

import random
import struct
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path

from nacl.bindings import crypto_sign, crypto_sign_seed_keypair

from communs.core.canonical import encode
from communs.core.events import FORMAT_VERSION, SIGNING_CONTEXT, sign_event
from communs.core.identity import Identity

N_PATHS = 2000
MAINTAINERS = 3
THRESHOLD = 2
EPOCH = 1_700_000_000_000  # event times in milliseconds

_DIRS = [
    "src",
    "src/core",
    "src/ui",
    "docs",
    "docs/guide",
    "assets",
    "data",
    "tests",
    "lib",
    "tools",
    "examples",
    "i18n",
]
_EXTS = ["py", "md", "txt", "json", "svg", "csv", "toml", "rs"]
_WORDS = [
    "fix",
    "add",
    "update",
    "improve",
    "translate",
    "document",
    "refactor",
    "clarify",
    "remove",
    "rename",
    "draft",
    "polish",
    "typo",
    "layout",
    "example",
    "section",
]
_COMMENTS = [
    "",
    "looks good",
    "nice",
    "please split this",
    "tested locally, works",
    "see my remark on the second file",
    "+1",
    "could use an example",
]
_NAMES = [
    "Ada",
    "Bea",
    "Cy",
    "Dan",
    "Eli",
    "Fay",
    "Gus",
    "Hana",
    "Ivo",
    "Jun",
    "Kai",
    "Lea",
    "Mo",
    "Nia",
    "Oto",
    "Pia",
    "Quy",
    "Rui",
    "Sam",
    "Tea",
    "Ume",
    "Vik",
    "Wen",
    "Xo",
    "Yas",
    "Zoe",
]


@dataclass
class Workload:
    raws: list[bytes]  # wire bytes, in a causal order (parents first)
    ids: list[bytes]  # ids[i] = sha256(raws[i])
    clocks: list[int]
    genesis_id: bytes  # = commons id
    identities: list[Identity]  # every author; the first MAINTAINERS are maintainers
    counts: dict[str, int] = field(default_factory=dict)  # events per kind, for the record

    @property
    def maintainers(self) -> list[Identity]:
        return self.identities[:MAINTAINERS]

    @property
    def heads(self) -> list[bytes]:
        """The heads after every event (the events that no other event names as parent)."""
        return heads_of(self.raws_parents())

    def raws_parents(self) -> Iterator[tuple[bytes, list[bytes]]]:
        from communs.core import canonical

        for eid, raw in zip(self.ids, self.raws, strict=True):
            payload = canonical.decode(canonical.decode(raw)[0])
            yield eid, payload["parents"]


def heads_of(pairs: Iterable[tuple[bytes, list[bytes]]]) -> list[bytes]:
    seen: set[bytes] = set()
    parents: set[bytes] = set()
    for eid, ps in pairs:
        seen.add(eid)
        parents.update(ps)
    return sorted(seen - parents)


_ARRAY_2 = b"\x82"
_SIG_HEADER = b"\x58\x40"  # a 64-byte string


def _bytes_header(size: int) -> bytes:
    """The canonical CBOR head of a byte string of ``size`` bytes."""
    if size < 24:
        return bytes((0x40 + size,))
    if size < 256:
        return bytes((0x58, size))
    if size < 65536:
        return b"\x59" + size.to_bytes(2, "big")
    return b"\x5a" + size.to_bytes(4, "big")


class _Contribution:
    __slots__ = ("id", "author", "clock", "revision", "changes", "accepted_by", "state")

    def __init__(self, cid: bytes, author: int, clock: int, changes: list[dict]):
        self.id, self.author, self.clock, self.changes = cid, author, clock, changes
        self.revision = 0
        self.accepted_by: set[int] = set()
        self.state = "open"


class _Generator:
    def __init__(self, n: int, authors: int, seed: int, concurrency: float):
        self.n, self.concurrency = n, concurrency
        self.rng = random.Random(seed)
        seeds = [self.rng.randbytes(32) for _ in range(authors)]
        self.identities = [Identity(seed) for seed in seeds]
        self.secrets = [crypto_sign_seed_keypair(seed)[1] for seed in seeds]
        self.raws: list[bytes] = []
        self.ids: list[bytes] = []
        self.clocks: list[int] = []
        self.counts: dict[str, int] = {}
        self.main_heads: dict[bytes, int] = {}  # id -> clock
        self.branch: tuple[bytes, int] | None = None  # tip of the active side branch
        self.branch_left = 0
        self.branch_proposals: list[_Contribution] = []
        self.profiled: set[int] = set()
        paths = set()
        while len(paths) < N_PATHS:
            paths.add(
                f"{self.rng.choice(_DIRS)}/{self.rng.choice(_WORDS)}_"
                f"{self.rng.randrange(10_000)}.{self.rng.choice(_EXTS)}"
            )
        self.paths = sorted(paths)
        self.canonical: dict[str, bytes] = {}
        self.contributions: list[_Contribution] = []  # every known one (main line)
        self.open: list[_Contribution] = []
        self.commons: bytes | None = None

    # -- emitting -------------------------------------------------------------------------

    def emit(self, author: int, kind: str, body: dict, parents: dict[bytes, int]) -> bytes:
        clock = 1 + max(parents.values()) if parents else 0
        # What sign_event does, minus its per-call overhead (checked by the tests).
        payload = encode(
            {
                "v": FORMAT_VERSION,
                "commons": self.commons,
                "type": kind,
                "author": self.identities[author].did,
                "parents": sorted(parents),
                "clock": clock,
                "time": EPOCH + len(self.raws) * 1000,
                "body": body,
            }
        )
        signature = crypto_sign(SIGNING_CONTEXT + payload, self.secrets[author])[:64]
        raw = _ARRAY_2 + _bytes_header(len(payload)) + payload + _SIG_HEADER + signature
        eid = sha256(raw).digest()
        self.raws.append(raw)
        self.ids.append(eid)
        self.clocks.append(clock)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return eid

    def emit_main(self, author: int, kind: str, body: dict) -> bytes:
        """On the main line: parents are every main head (and the side branch, if it ended)."""
        parents = dict(self.main_heads)
        if self.branch is not None and self.branch_left == 0:
            parents[self.branch[0]] = self.branch[1]  # merge the side branch
            self.branch = None
            self.open += self.branch_proposals
            self.contributions += self.branch_proposals
            self.branch_proposals = []
        eid = self.emit(author, kind, body, parents)
        self.main_heads = {eid: self.clocks[-1]}
        return eid

    def emit_branch(self, author: int, kind: str, body: dict) -> bytes:
        assert self.branch is not None
        eid = self.emit(author, kind, body, {self.branch[0]: self.branch[1]})
        self.branch = (eid, self.clocks[-1])
        self.branch_left -= 1
        return eid

    # -- content --------------------------------------------------------------------------

    def changes(self) -> list[dict]:
        rng = self.rng
        out = []
        for path in rng.sample(self.paths, rng.choice((1, 1, 1, 2, 2, 3))):
            out.append(
                {
                    "path": path,
                    "base": self.canonical.get(path),
                    "blob": rng.randbytes(32),
                    "size": rng.randrange(1, 200_000),
                    "media": "",
                }
            )
        return out

    def title(self) -> str:
        rng = self.rng
        return f"{rng.choice(_WORDS).capitalize()} {rng.choice(_WORDS)} {rng.randrange(1000)}"

    # -- actions --------------------------------------------------------------------------

    def genesis(self) -> None:
        charter = {
            "name": "Benchmark commons",
            "description": "generated",
            "kind": "software",
            "maintainers": sorted(i.did for i in self.identities[:MAINTAINERS]),
            "threshold": THRESHOLD,
            "mode": "review",
        }
        eid = self.emit(0, "commons.create", {"charter": charter}, {})
        self.commons = eid
        self.main_heads = {eid: 0}

    def step(self) -> None:
        rng = self.rng
        if self.branch is None and len(self.raws) > 200 and rng.random() < self.concurrency:
            self.start_branch()
        if self.branch is not None and self.branch_left > 0 and rng.random() < 0.5:
            self.branch_step()
            return
        self.main_step()

    def start_branch(self) -> None:
        back = self.rng.randint(2, 25)
        index = len(self.ids) - back
        self.branch = (self.ids[index], self.clocks[index])
        self.branch_left = self.rng.randint(1, 6)

    def branch_step(self) -> None:
        """Side-branch events only touch what they alone write: reviews of old contributions,
        new proposals (known to the main line once the branch is merged), profiles."""
        rng = self.rng
        author = rng.randrange(len(self.identities))
        assert self.branch is not None
        if author not in self.profiled:
            self.profiled.add(author)
            self.emit_branch(author, "profile.set", {"name": rng.choice(_NAMES)})
            return
        roll = rng.random()
        old = [c for c in self.contributions[-200:] if c.clock < self.branch[1]]
        if roll < 0.5 and old:
            c = rng.choice(old)
            self.emit_branch(
                author,
                "contribution.review",
                {
                    "contribution": c.id,
                    "verdict": rng.choice(("comment", "approve")),
                    "comment": rng.choice(_COMMENTS),
                },
            )
        else:
            changes = self.changes()
            eid = self.emit_branch(
                author, "contribution.propose", {"title": self.title(), "changes": changes}
            )
            self.branch_proposals.append(_Contribution(eid, author, self.clocks[-1], changes))

    def main_step(self) -> None:
        rng = self.rng
        if len(self.open) > 400:  # stale contributions stay open, out of everyone's sight
            del self.open[:200]
        if len(self.contributions) > 2000:
            del self.contributions[:1000]
        roll = rng.random()
        maintainers = range(MAINTAINERS)
        if roll < 0.28 or not self.open:
            author = rng.randrange(len(self.identities))
            if self.profile_first(author):
                return
            changes = self.changes()
            eid = self.emit_main(
                author,
                "contribution.propose",
                {"title": self.title(), "description": "", "changes": changes},
            )
            c = _Contribution(eid, author, self.clocks[-1], changes)
            self.open.append(c)
            self.contributions.append(c)
        elif roll < 0.52:
            author = rng.randrange(len(self.identities))
            if self.profile_first(author):
                return
            c = rng.choice(self.contributions[-300:])
            self.emit_main(
                author,
                "contribution.review",
                {
                    "contribution": c.id,
                    "verdict": rng.choice(("comment", "approve")),
                    "comment": rng.choice(_COMMENTS),
                },
            )
        elif roll < 0.80:
            c = self.open[-rng.randint(1, min(len(self.open), 40))]
            candidates = [m for m in maintainers if m not in c.accepted_by]
            author = rng.choice(candidates)
            if self.profile_first(author):
                return
            self.emit_main(
                author, "contribution.accept", {"contribution": c.id, "revision": c.revision}
            )
            if len(c.accepted_by) + 1 < THRESHOLD:
                c.accepted_by.add(author)
            elif all(self.canonical.get(ch["path"]) == ch["base"] for ch in c.changes):
                for ch in c.changes:
                    self.canonical[ch["path"]] = ch["blob"]
                c.state = "accepted"
                self.open.remove(c)
            # else: a conflict; the accept is ineffective and the contribution stays open
        elif roll < 0.85:
            c = rng.choice(self.open[-40:])
            author = rng.choice(maintainers)
            if self.profile_first(author):
                return
            self.emit_main(
                author,
                "contribution.reject",
                {"contribution": c.id, "reason": "out of scope for this commons"},
            )
            c.state = "rejected"
            self.open.remove(c)
        elif roll < 0.93:
            c = rng.choice(self.open[-40:])
            if self.profile_first(c.author):
                return
            # Rebase every change on the current canonical blob.
            changes = [
                {**ch, "base": self.canonical.get(ch["path"]), "blob": rng.randbytes(32)}
                for ch in c.changes
            ]
            self.emit_main(
                c.author,
                "contribution.revise",
                {"contribution": c.id, "changes": changes, "title": self.title()},
            )
            c.changes, c.revision, c.accepted_by = changes, c.revision + 1, set()
        elif roll < 0.96:
            c = rng.choice(self.open[-40:])
            author = rng.randrange(MAINTAINERS, len(self.identities))
            if self.profile_first(author):
                return
            self.emit_main(
                author,
                "contribution.accept",  # ineffective: not a maintainer
                {"contribution": c.id, "revision": c.revision},
            )
        else:
            author = rng.randrange(len(self.identities))
            self.profiled.add(author)
            self.emit_main(
                author, "profile.set", {"name": rng.choice(_NAMES) + " " + rng.choice(_NAMES)}
            )

    def profile_first(self, author: int) -> bool:
        if author in self.profiled:
            return False
        self.profiled.add(author)
        self.emit_main(author, "profile.set", {"name": self.rng.choice(_NAMES)})
        return True


def generate(n: int, *, authors: int = 50, seed: int = 1, concurrency: float = 0.02) -> Workload:
    """``n`` events (the genesis included) of one commons, in a causal order."""
    if authors < MAINTAINERS:
        raise ValueError(f"at least {MAINTAINERS} authors")
    g = _Generator(n, authors, seed, concurrency)
    g.genesis()
    while len(g.raws) < n:
        g.step()
    return Workload(g.raws, g.ids, g.clocks, g.commons, g.identities, g.counts)  # type: ignore[arg-type]


def late_event(w: Workload, back: int = 20, *, author: int = 7) -> bytes:
    """A valid event concurrent with the last ``back`` events: its only parent is the event
    ``back`` places from the end, so it lands before the tip of the fold (a rewind)."""
    index = len(w.ids) - back
    return sign_event(
        w.identities[author],
        commons=w.genesis_id,
        type="profile.set",
        parents=[w.ids[index]],
        clock=w.clocks[index] + 1,
        time=EPOCH + len(w.raws) * 1000,
        body={"name": "Late"},
    )


# -- a simple file format for handing events to another process ------------------------------


def write_events(path: str | Path, raws: Iterable[bytes]) -> None:
    with open(path, "wb") as out:
        for raw in raws:
            out.write(struct.pack(">I", len(raw)))
            out.write(raw)


def read_events(path: str | Path) -> list[bytes]:
    data = Path(path).read_bytes()
    raws, pos = [], 0
    while pos < len(data):
        (size,) = struct.unpack_from(">I", data, pos)
        raws.append(data[pos + 4 : pos + 4 + size])
        pos += 4 + size
    return raws


if __name__ == "__main__":
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    start = time.perf_counter()
    workload = generate(count)
    elapsed = time.perf_counter() - start
    print(f"{count} events in {elapsed:.2f} s ({count / elapsed:,.0f}/s); {workload.counts}")
