"""A demo home: people, two commons, contributions in every state, an ineffective event
and a fork — enough to feel how peer production works before inviting anyone."""

import io
import math
import wave
from typing import Any

from PIL import Image, ImageDraw

from ...core.events import sign_event
from ..home.folder import Home, now_ms
from ..reads import queries
from .commons import (
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
from .threadops import written

DAY_MS = 86_400_000

PEOPLE = ("anna", "bao", "chloe", "dara")

GUIDE = """# The Aber valley trail

A 9 km loop from the old mill to the estuary and back along the ridge.

## Start

Park at the old mill. The trail leaves from the bridge.

## Birds

Listen for the curlew on the mudflats at low tide.
"""


# The guide's bank, as a French bank exports it: the waymarks' paint and dara's share paid,
# the company's reciprocity and a donation in, and a fee nothing expected.
STATEMENT = """Date opération;Libellé;Montant;Référence
03/12/2026;VIR CHLOE LE GALL PEINTURE;-42,50;B-102
04/12/2026;VELO TOURS SARL;30,00;B-103
04/12/2026;FRAIS BANCAIRES;-3,20;B-104
04/12/2026;VIR DARA PART AUTOMNE;-50,00;B-105
05/12/2026;ASSOCIATION DES RANDONNEURS;120,00;B-106
"""
STATEMENT_FILE = "bank-statement.csv"  # in the home, for a treasurer to read in


def build_demo(home: Home, local: Any = None) -> dict[str, Any]:
    """The demo, once (later: what is there); ``local``: the node's private store, where
    people's details go (``store/personal``; none: they are left out)."""
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
    _board_and_discussion(home, people, guide, map_)
    _media(home, chloe, dara, songs)
    _treasury(home, people, guide)
    from .demo_library import build_library

    library = build_library(home, people)
    # Details people gave, kept on this node only, as a person's details always are: chloe's
    # bank account (the guide owes her for the paint), bao's phone for the library.
    if local is not None:
        chloe = {"legal_name": "Chloé Le Gall", "iban": "FR76 3000 6000 0112 3456 7890 189"}
        local.personal_set(guide, people["chloe"].did, chloe)
        bao = {"legal_name": "Bao Tran", "phone": "+33 6 12 34 56 78"}
        local.personal_set(library, people["bao"].did, bao)
    (home.path / STATEMENT_FILE).write_text(STATEMENT, encoding="utf-8")
    return summary(home)


def _treasury(home: Home, people: dict[str, Any], guide: bytes) -> None:
    """The guide's treasury in every state: donations (one anonymous), a grant from the
    city, and expenses incomplete, pending, rejected, approved, paid and acknowledged, with a
    big one waiting for a decision (its proposal open)."""
    anna, bao, chloe, dara = (people[n] for n in PEOPLE)

    def income(kind: str, amount: int, date: str, source: str, reference: str = "") -> None:
        body = {
            "kind": kind,
            "amount": amount,
            "currency": "EUR",
            "date": date,
            "source": source,
            "reference": reference,
        }
        home.emit(anna, guide, "ledger.record", body)

    income("grant", 150_000, "2026-09-15", "City of Brest", "Subvention 2026-114")
    income("donation", 2_500, "2026-10-02", "Café du port", "VIR 1182")
    income("donation", 1_000, "2026-10-20", "")
    income("donation", 4_000, "2026-11-05", "Association des randonneurs")

    def expense(
        who: Any, title: str, amount: int, category: str, date: str, receipt: bool
    ) -> bytes:
        body: dict[str, Any] = {
            "title": title,
            "amount": amount,
            "currency": "EUR",
            "category": category,
            "date": date,
        }
        if receipt:
            body["receipt"] = home.blobs.add_bytes(
                f"Receipt: {title}\n".encode(), name="receipt.txt"
            ).hash
        return home.emit(who, guide, "expense.file", body)

    def step(who: Any, action: str, eid: bytes, **fields: Any) -> None:
        home.emit(who, guide, f"expense.{action}", {"expense": eid, **fields})

    hosting = expense(bao, "Web hosting, autumn", 3_600, "hosting", "2026-10-01", True)
    step(anna, "approve", hosting)
    step(anna, "pay", hosting, date="2026-10-08", reference="VIR 2201")
    step(bao, "acknowledge", hosting)
    printing = expense(dara, "Printing 200 trail maps", 8_900, "materials", "2026-11-12", True)
    step(chloe, "approve", printing)
    step(chloe, "pay", printing, date="2026-11-20")
    signs = expense(chloe, "Paint for the waymarks", 4_250, "materials", "2026-11-25", True)
    step(anna, "approve", signs)
    expense(dara, "Train to the estuary", 1_870, "travel", "2026-11-28", False)
    lunch = expense(bao, "Lunch after the walk", 6_400, "events", "2026-11-29", True)
    step(anna, "reject", lunch, reason="Meals are not covered: see the charter.")
    expense(bao, "Ink for the signs", 990, "materials", "2026-11-30", True)
    camera = expense(dara, "A camera for the trail photos", 42_000, "equipment", "2026-12-01", True)
    proposal = {
        "title": "Buy a camera for the trail photos",
        "kind": "expense",
        "about": camera,
        "text": "For the photos of every stile and viewpoint.",
        "options": [],
        "closes_at": now_ms() + 5 * 24 * 3_600_000,
        "hidden": False,
    }
    home.emit(dara, guide, "proposal.open", proposal)
    _distributions(home, people, guide)
    _enterprises(home, people[PEOPLE[0]], guide)


def _enterprises(home: Home, treasurer: Any, guide: bytes) -> None:
    """Two enterprises build on the guide: a company with a pledge, registered two months
    ago and behind on it (a signal on the board); a worker co-operative that uses it
    freely."""
    tours = home.keyring.create("velo-tours")
    coop = home.keyring.create("rando-coop")
    home.emit(
        tours,
        guide,
        "enterprise.register",
        {
            "name": "Vélo Tours",
            "builds": "Guided rides along the valley, with the guide's maps.",
            "legal_form": "company",
            "pledge": 3_000,
        },
        time=now_ms() - 62 * DAY_MS,
    )
    home.emit(
        coop,
        guide,
        "enterprise.register",
        {
            "name": "Rando Coop",
            "builds": "Printed booklets of the trail.",
            "legal_form": "cooperative",
            "pledge": 0,
        },
    )
    home.emit(
        treasurer,
        guide,
        "ledger.record",
        {
            "kind": "reciprocity",
            "amount": 3_000,
            "currency": "EUR",
            "date": "2026-12-02",
            "source": "Vélo Tours",
            "enterprise": tours.did,
            "reference": "VIR 4521",
        },
    )


def _distributions(home: Home, people: dict[str, Any], guide: bytes) -> None:
    """A round decided (its shares owed, one paid out, one waived) and one in preview."""
    anna, bao, chloe, _ = (people[n] for n in PEOPLE)
    autumn = home.emit(
        anna,
        guide,
        "distribution.propose",
        {
            "title": "Autumn round",
            "budget": 20_000,
            "currency": "EUR",
            "policy": {"name": "proportional"},
            "month": "2026-11",
        },
    )
    vote = home.emit(
        anna,
        guide,
        "proposal.open",
        {
            "title": "Pay the autumn round",
            "kind": "distribution",
            "about": autumn,
            "text": "200 € shared by everyone's credit.",
            "options": [],
            "hidden": False,
            "closes_at": now_ms() - 1,
        },
    )
    home.emit(chloe, guide, "proposal.vote", {"proposal": vote, "ballot": "yes"})
    home.emit(bao, guide, "proposal.vote", {"proposal": vote, "ballot": "yes"})
    home.emit(anna, guide, "proposal.close", {"proposal": vote})
    shares = home.state(guide).get("distribution/" + autumn.hex())["shares"]
    home.emit(
        anna,
        guide,
        "ledger.payout",
        {
            "person": bao.did,
            "amount": shares[bao.did],
            "currency": "EUR",
            "date": "2026-12-01",
            "reference": "VIR 3410",
        },
    )
    home.emit(anna, guide, "distribution.waive", {"round": autumn})
    home.emit(
        chloe,
        guide,
        "distribution.propose",
        {
            "title": "Winter round",
            "budget": 30_000,
            "currency": "EUR",
            "policy": {"name": "balanced"},
            "month": "2026-12",
        },
    )


def _board_and_discussion(home: Home, people: dict[str, Any], guide: bytes, map_: bytes) -> None:
    """Tasks in every state, signals, a flagged file and a conversation with a mention."""
    anna, bao, chloe, dara = (people[n] for n in PEOPLE)
    photo = home.emit(
        anna,
        guide,
        "task.open",
        {"title": "Photograph the old mill", "description": "From the bridge, morning light."},
    )
    home.emit(dara, guide, "task.claim", {"task": photo})
    home.emit(dara, guide, "task.done", {"task": photo, "comment": "Three photos uploaded."})
    home.emit(chloe, guide, "task.validate", {"task": photo, "comment": "Beautiful, thanks!"})
    loop_map = home.emit(
        anna,
        guide,
        "task.open",
        {"title": "Draw a map of the loop", "description": "GPX or a sketch is fine."},
    )
    for who, kind in ((bao, "needed"), (dara, "urgent")):
        home.emit(
            who, guide, "task.signal", {"target": {"on": "task", "id": loop_map}, "kind": kind}
        )
    home.emit(bao, guide, "task.claim", {"task": loop_map})
    breton = home.emit(chloe, guide, "task.open", {"title": "Translate the guide into Breton"})
    home.emit(
        anna,
        guide,
        "task.signal",
        {"target": {"on": "task", "id": breton}, "kind": "good_first_task"},
    )
    home.emit(
        chloe,
        guide,
        "task.flag",
        {"path": "guide.md", "note": "The ridge section needs walking times."},
    )
    welcome = home.emit(
        anna,
        guide,
        "thread.post",
        {
            "subject": {"kind": "commons", "ref": ""},
            **written(
                home, f"Welcome to the guide! @{bao.did} could you check the parking section?"
            ),
        },
    )
    home.emit(
        bao,
        guide,
        "thread.post",
        {
            "subject": {"kind": "commons", "ref": ""},
            **written(home, "On it this weekend."),
            "reply_to": welcome,
        },
    )
    home.emit(
        dara,
        guide,
        "thread.post",
        {
            "subject": {"kind": "contribution", "ref": map_.hex()},
            **written(home, "The stiles are **slippery** in winter: worth a warning?"),
        },
    )


def _media(home: Home, chloe: Any, dara: Any, songs: bytes) -> None:
    """A photo and a recording, made here so the demo needs no download."""
    image = io.BytesIO()
    picture = Image.new("RGB", (640, 400), (196, 222, 235))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 280, 640, 400), fill=(120, 160, 110))
    draw.ellipse((470, 40, 560, 130), fill=(250, 220, 120))
    draw.polygon([(180, 280), (260, 170), (340, 280)], fill=(150, 110, 90))
    picture.save(image, format="PNG")
    recording = io.BytesIO()
    with wave.open(recording, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        frames = bytearray()
        for n in range(16000):  # a one-second rising whistle, like a curlew's call
            pitch = 1800 + 1400 * n / 16000
            value = int(
                9000 * math.sin(2 * math.pi * pitch * n / 16000) * math.sin(math.pi * n / 16000)
            )
            frames += value.to_bytes(2, "little", signed=True)
        out.writeframes(bytes(frames))
    files = {
        "photos/estuary.png": home.blobs.add_bytes(image.getvalue(), name="estuary.png").hash,
        "recordings/curlew.wav": home.blobs.add_bytes(recording.getvalue(), name="curlew.wav").hash,
    }
    propose(home, dara, songs, title="A photo and a curlew recording", files=files)


def _ineffective_accept(home: Home, who: Any, commons: bytes, contribution: bytes) -> None:
    """A non-maintainer's accept, signed by hand as a peer might send it: the log keeps it,
    marked ineffective, and it changes nothing."""
    parents, clock = home.next_position(commons)
    raw = sign_event(
        who,
        commons=commons,
        type="contribution.accept",
        parents=parents,
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
    statement = home.path / STATEMENT_FILE
    return {
        "home": str(home.path),
        "identities": {k.name: k.did for k in home.keyring.list()},
        "commons": commons,
        "statement": str(statement) if statement.exists() else None,
    }
