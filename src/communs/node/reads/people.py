"""What a person did in the commons a home holds: the names they signed, their contributions
and reviews, the tasks they opened, claimed and did, and the messages that concern them."""

from typing import Any

from ...domain import threads
from ..files import content
from ..home.folder import Home
from . import queries


def people_activity(home: Home, did: str, me: str | None) -> dict[str, Any]:
    """The names ``did`` signed, what they contributed, reviewed and did on the boards in each
    commons of ``home``, and (for themselves) the messages that concern them."""
    found: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("contributions", "reviews", "opened", "claimed", "done", "notifications")
    }
    names: list[str] = []
    present: list[dict[str, Any]] = []
    every = queries.commons_list(home)
    for row in every:
        commons_id = bytes.fromhex(row["id"])
        cid = home.cid(commons_id)
        where = {"commons": row["id"], "commons_name": row["name"]}
        profile = home.state(commons_id).get(f"profile/{did}")
        if profile:
            present.append(where)
            name = queries.names(home, cid).get(did)  # a detached name read back, unless erased
            if name and name not in names:
                names.append(name)
        titles = {}
        for key, record in home.store.scan_records(cid, "contribution/"):
            hexid = key.split("/", 1)[1]
            titles[hexid] = (record["title"], record["state"])
            if record["author"] == did:
                found["contributions"].append(
                    {
                        **where,
                        "id": hexid,
                        "title": record["title"],
                        "state": record["state"],
                        "time": record["time"],
                    }
                )
        for key, record in home.store.scan_records(cid, "review/"):
            if record["by"] != did:
                continue
            hexid = key.split("/")[1]
            title, current = titles.get(hexid, (hexid[:12], None))
            found["reviews"].append(
                {
                    **where,
                    "contribution": hexid,
                    "title": title,
                    "state": current,
                    "verdict": record["verdict"],
                    "comment": record["comment"],
                    "time": record["time"],
                }
            )
        for key, record in home.store.scan_records(cid, "task/"):
            item = {
                **where,
                "id": key.split("/", 1)[1],
                "title": record["title"],
                "state": record["state"],
                "time": record["time"],
            }
            if record["author"] == did:
                found["opened"].append(item)
            if record["state"] == "claimed" and record["claim"]["by"] == did:
                found["claimed"].append({**item, "until": record["claim"]["until"]})
            if record["doer"] == did:
                found["done"].append(item)
        if me == did:
            known = queries.names(home, cid)
            state = home.state(commons_id)
            for note in threads.notifications(home.store.scan_records(cid, "message/"), did):
                note = content.with_text(home, state, note)
                found["notifications"].append(
                    {**where, **queries.hexed(note), "author_name": known.get(note["author"])}
                )
    for listing in found.values():
        listing.sort(key=lambda item: item["time"], reverse=True)
    return {"names": names, "present": present, "every": every, **found}
