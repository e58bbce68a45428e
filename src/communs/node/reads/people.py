"""What a person did in the commons a home holds: the names they signed, their contributions
and reviews, the tasks they opened, claimed and did, and the messages that concern them."""

from typing import Any

from ...domain.schema import name_key
from ..home.folder import Home
from . import queries


def people_activity(home: Home, did: str) -> dict[str, Any]:
    """The names ``did`` signed, what they contributed, reviewed and did on the boards in each
    commons of ``home`` (their notifications are their inbox's: ``reads/inbox``)."""
    found: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("contributions", "reviews", "opened", "claimed", "done")
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
    for listing in found.values():
        listing.sort(key=lambda item: item["time"], reverse=True)
    return {"names": names, "present": present, "every": every, **found}


def people_directory(home: Home, ref: str | None, query: str, limit: int) -> dict[str, Any]:
    """Everyone with a display name in one commons (``ref``) or in any commons of ``home``,
    with the commons they take part in and maintain, sorted by name; ``query`` keeps the
    names that contain it (whatever their case or accents), ``limit`` the first ones."""
    rows = queries.commons_list(home)
    commons = None
    if ref is not None:
        chosen = home.commons_id(ref).hex()
        rows = [row for row in rows if row["id"] == chosen]
        commons = rows[0]
    wanted = name_key(query)
    people: dict[str, dict[str, Any]] = {}
    for row in rows:
        commons_id = bytes.fromhex(row["id"])
        cid = home.cid(commons_id)
        maintainers = set((home.state(commons_id).get("charter") or {}).get("maintainers", []))
        where = {"commons": row["id"], "commons_name": row["name"]}
        known = queries.names(home, cid)
        for did in sorted(set(known) | maintainers):
            name = known.get(did)
            if wanted and wanted not in name_key(name or did):
                continue
            person = people.setdefault(
                did, {"did": did, "names": [], "commons": [], "maintains": []}
            )
            if name and name not in person["names"]:
                person["names"].append(name)
            person["commons"].append(where)
            if did in maintainers:
                person["maintains"].append(where)
    found = sorted(
        people.values(), key=lambda p: (not p["names"], name_key((p["names"] or [p["did"]])[0]))
    )
    return {"commons": commons, "people": found[:limit], "total": len(found), "query": query}
