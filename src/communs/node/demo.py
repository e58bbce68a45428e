"""A demo home: people, two commons, contributions in every state, an ineffective event
and a fork — enough to feel how peer production works before inviting anyone."""

from typing import Any

from ..core.events import sign_event
from . import queries
from .actions import (
    accept,
    change_charter,
    create_commons,
    decide,
    fork,
    propose,
    propose_from_fork,
    revert,
    review,
    revise,
)
from .home import Home, now_ms

PEOPLE = ("anna", "bao", "chloe", "dara")

GUIDE = """# The Aber valley trail

A 9 km loop from the old mill to the estuary and back along the ridge.

## Start

Park at the old mill. The trail leaves from the bridge.

## Birds

Listen for the curlew on the mudflats at low tide.
"""


def build_demo(home: Home) -> dict[str, Any]:
    if home.store.commons_rows():
        return summary(home)
    people = {name: home.keyring.create(name) for name in PEOPLE}
    anna, bao, chloe, dara = (people[n] for n in PEOPLE)

    def file(name: str, text: str) -> bytes:
        return home.blobs.add_bytes(text.encode(), name=name).hash

    guide = create_commons(
        home,
        anna,
        name="Aber valley trail guide",
        kind="text",
        licence="CC-BY-SA-4.0",
        description="A walking guide to the Aber valley, written by its walkers.",
        maintainers=[anna.did, chloe.did],
        threshold=1,
        mode="review",
    )
    first = propose(
        home,
        bao,
        guide,
        title="First draft of the guide",
        files={"guide.md": file("guide.md", GUIDE)},
    )
    review(home, chloe, guide, first, verdict="approve", comment="Lovely start.")
    accept(home, anna, guide, first)
    tides = propose(
        home,
        dara,
        guide,
        title="Add tide times",
        files={"tides.md": file("tides.md", "Low tide: check the harbour office.\n")},
    )
    accept(home, chloe, guide, tides)
    revert(
        home,
        anna,
        guide,
        tides,
        reason="Tide times change daily; link the official tables instead.",
    )
    map_ = propose(
        home,
        chloe,
        guide,
        title="Describe the ridge path",
        files={
            "guide.md": file(
                "g2.md",
                GUIDE.replace(
                    "## Birds", "## Ridge\n\nThe ridge path is steep after rain.\n\n## Birds"
                ),
            )
        },
    )
    revise(
        home,
        chloe,
        guide,
        map_,
        title="Describe the ridge path (and the stiles)",
        files={
            "guide.md": file(
                "g3.md",
                GUIDE.replace(
                    "## Birds", "## Ridge\n\nSteep after rain; three stiles.\n\n## Birds"
                ),
            )
        },
    )
    review(
        home,
        bao,
        guide,
        map_,
        verdict="request_changes",
        comment="Could you say how long the ridge takes?",
    )
    spam = propose(
        home,
        dara,
        guide,
        title="Buy cheap boots",
        files={"ads.md": file("ads.md", "Visit our shop!\n")},
    )
    decide(home, chloe, guide, spam, "reject", reason="Advertising is not part of the guide.")
    draft = propose(
        home,
        bao,
        guide,
        title="Parking fees",
        files={"parking.md": file("p.md", "Parking is free.\n")},
    )
    decide(home, bao, guide, draft, "withdraw")
    _ineffective_accept(home, dara, guide, map_)

    songs = create_commons(
        home,
        chloe,
        name="Bird songs of the estuary",
        kind="media",
        licence="CC-BY-4.0",
        description="Recordings and notes, published at once and patrolled.",
        mode="publish",
    )
    curlew = propose(
        home,
        dara,
        songs,
        title="Curlew notes",
        files={"curlew.md": file("curlew.md", "Heard at dawn, 12 March.\n")},
    )
    decide(home, chloe, songs, curlew, "patrol")
    propose(
        home,
        bao,
        songs,
        title="Oystercatcher notes",
        files={"oystercatcher.md": file("o.md", "Loud piping along the shore.\n")},
    )

    breton = fork(
        home,
        bao,
        guide,
        name="Aber valley trail guide (Breton edition)",
        description="The guide, in Breton and French.",
    )
    translated = propose(
        home,
        bao,
        breton,
        title="Breton title",
        files={
            "guide.md": file(
                "br.md", GUIDE.replace("# The Aber valley trail", "# Hent traoñienn an Aber")
            )
        },
    )
    accept(home, bao, breton, translated)
    propose_from_fork(
        home, bao, breton, title="Add the Breton title", description="From the Breton edition."
    )
    change_charter(home, anna, guide, {"op": "add_maintainer", "did": bao.did})
    return summary(home)


def _ineffective_accept(home: Home, who: Any, commons: bytes, contribution: bytes) -> None:
    """A non-maintainer's accept, signed by hand as a peer might send it: the log keeps it,
    marked ineffective, and it changes nothing."""
    cid = home.cid(commons)
    heads = home.store.heads(cid)
    clock = 1 + max(c for _, c in home.store.clocks(heads).values())
    raw = sign_event(
        who,
        commons=commons,
        type="contribution.accept",
        parents=heads,
        clock=clock,
        time=now_ms(),
        body={"contribution": contribution, "revision": 1},
    )
    home.ingest([raw])


def summary(home: Home) -> dict[str, Any]:
    commons = []
    for row in queries.commons_list(home):
        items = queries.contributions(home, bytes.fromhex(row["id"]))
        states: dict[str, int] = {}
        for c in items:
            states[c["state"]] = states.get(c["state"], 0) + 1
        text = ", ".join(f"{n} {s}" for s, n in states.items()) or "no contribution"
        if row["forked_from"]:
            text += f"; fork of {row['forked_from'][:12]}"
        commons.append(
            {"id": row["id"], "name": row["name"], "summary": text, "contributions": states}
        )
    return {
        "home": str(home.path),
        "identities": {k.name: k.did for k in home.keyring.list()},
        "commons": commons,
    }
