"""The demo's lending library: a neighbourhood's tool library, its catalogue drawn here (each
item's photo a simple picture of its own colour and shape, so the demo needs no download),
kept by anna and dara; one item in maintenance, one missing; bao and chloe its members."""

import io
from typing import Any

from PIL import Image, ImageDraw

from ...domain.library import agreement_hash
from ..home.folder import Home
from .commons import change_charter, create_commons

AGREEMENT = """Bring back what you borrow clean, on time, and as you found it.
Tell a steward at once if something breaks: repairing is the library's work, not a fault.
Use the safety gear the notes ask for."""
ITEMS = (  # title, category, brand, value, deposit, days, risk, colour, care
    ("Cordless drill", "tools", "Bosch", 12000, 2000, 3, "training", (200, 80, 40),
     "Wear the goggles. Charge the battery before returning it."),
    ("Hedge trimmer", "garden", "Stihl", 18000, 3000, 3, "approval", (90, 140, 40),
     "Gloves and goggles. Never above shoulder height."),
    ("Four-person tent", "camping", "Quechua", 15000, 2000, 7, "none", (40, 120, 80),
     "Dry it before returning it."),
    ("Jigsaw", "tools", "Makita", 9000, 1500, 3, "training", (30, 110, 160),
     "Clamp the piece. Unplug to change the blade."),
    ("Pressure washer", "garden", "Kärcher", 16000, 2500, 2, "none", (230, 190, 40), ""),
    ("Ladder, 3 m", "tools", "", 8000, 1000, 2, "none", (150, 150, 150),
     "Two people to set it up."),
    ("Sewing machine", "kitchen", "Singer", 14000, 2000, 14, "none", (170, 60, 120), ""),
    ("Projector", "electronics", "Epson", 30000, 5000, 3, "approval", (60, 60, 70),
     "Let it cool before packing it."),
    ("Camping stove", "camping", "Campingaz", 4000, 500, 7, "none", (210, 120, 30),
     "Outdoors only."),
    ("Pétanque set", "sport", "", 3000, 0, 14, "none", (120, 120, 90), ""),
    ("Jam pan", "kitchen", "", 3500, 0, 7, "none", (180, 40, 50), ""),
    ("Party tent, 3 × 6 m", "events", "", 25000, 4000, 3, "approval", (240, 240, 240),
     "Four people to put it up; never in strong wind."),
)  # fmt: skip


def photo(colour: tuple[int, int, int], index: int) -> bytes:
    """A 480×360 picture: the item's colour, a shape of its own."""
    image = Image.new("RGB", (480, 360), (236, 240, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 270, 480, 360), fill=(200, 205, 200))
    shapes = (draw.ellipse, draw.rectangle, draw.rounded_rectangle)
    box = (140 - 10 * (index % 3), 70 + 8 * (index % 4), 340 + 10 * (index % 3), 290)
    shapes[index % 3](box, fill=colour)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def build_library(home: Home, people: dict[str, Any]) -> bytes:
    anna, dara = people["anna"], people["dara"]
    library = create_commons(
        home,
        anna,
        name="Neighbourhood tool library",
        kind="library",
        licence="CC0-1.0",
        description="Borrow what you need once a year instead of buying it.",
        maintainers=[anna.did, dara.did],
    )
    made = []
    for n, (title, category, brand, value, deposit, days, risk, colour, care) in enumerate(ITEMS):
        picture = home.blobs.add_bytes(photo(colour, n), name=f"item-{n}.jpg").hash
        body = {"title": title, "category": category, "brand": brand, "value": value,
                "deposit": deposit, "loan_days": days, "risk": risk, "care": care,
                "location": f"Workshop, shelf {1 + n % 4}", "photos": [picture]}  # fmt: skip
        made.append(home.emit(anna if n % 2 == 0 else dara, library, "library.item", body))
    home.emit(dara, library, "library.status",
              {"item": made[1], "status": "maintenance", "note": "Blade to sharpen."})  # fmt: skip
    lost = {"item": made[10], "status": "missing", "note": "Not back since the fête."}
    home.emit(anna, library, "library.status", lost)
    change_charter(home, anna, library, {"op": "set", "field": "member_agreement",
                                         "value": AGREEMENT})  # fmt: skip
    signed = {"agreement": agreement_hash({"member_agreement": AGREEMENT})}
    for name in ("bao", "chloe"):
        home.emit(people[name], library, "library.join", signed)
    return library
