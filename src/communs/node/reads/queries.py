"""Reads for people and programs: plain JSON-ready dicts (ids in hex), one function a view."""

from typing import Any

from ... import domain
from ...core.errors import NotFound
from ...domain.artifacts import artifact_key, history_prefix
from ...domain.content import content_key
from ...domain.contributions import STATES, contribution_key
from ...domain.refusals import code, fault
from ..files import content
from ..home.folder import Home
from ..home.refusing import no_file_here
from .describe import Known, describe

NOT_A_CONTRIBUTION_HERE = code(
    "not_a_contribution_here", "{contribution} is not a contribution of this commons"
)
NO_HISTORY = code("no_history", "{path} has no history in this commons")


def hexed(value: Any) -> Any:
    """Records hold raw bytes; JSON wants hex."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: hexed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [hexed(v) for v in value]
    return value


def refusal_fields(data: bytes | None) -> dict[str, Any]:
    """Why an event is ineffective: its ``refusal`` (code and parameters, for programs and
    translations) and the English ``reason`` made from it."""
    found = domain.decode_refusal(data)
    if found is None:
        return {"reason": None, "refusal": None}
    return {"reason": domain.sentence(found), "refusal": hexed(found.record())}


def state_digest(home: Home, cid: int) -> str:
    digest = home.store.cached_digest(cid)
    if digest is None:
        digest = domain.state_digest(home.store.raw_records(cid), home.store.ineffective(cid))
        with home.store.transaction():
            home.store.set_cached_digest(cid, digest)
    return digest


def names(home: Home, cid: int) -> dict[str, str]:
    """Display names of the people who signed a profile in this commons (a detached name
    that was erased, or that this node does not hold, is left out)."""
    prefix = "profile/"
    found, detached = {}, {}
    for key, record in home.store.scan_records(cid, prefix):
        if record.get("content") is None:
            found[key[len(prefix) :]] = record["name"]
        else:
            detached[key[len(prefix) :]] = record["content"]
    if detached:
        records = home.store.get_records(cid, [content_key(c) for c in detached.values()])
        for did, hash in detached.items():
            if not (records.get(content_key(hash)) or {}).get("erased"):
                if name := content.read(home, hash):
                    found[did] = name
    return found


def person(did: str, known: dict[str, str]) -> dict[str, str]:
    return {"did": did, "name": known.get(did, did[:16] + "…")}


def commons_list(home: Home) -> list[dict[str, Any]]:
    """Every commons held, with the name of the one it was forked from (when held)."""
    rows = home.store.commons_rows()
    names = {row["id"]: row["name"] for row in rows}
    return [
        {
            "id": row["id"].hex(),
            "name": row["name"],
            "events": row["events"],
            "forked_from": row["parent"].hex() if row["parent"] else None,
            "forked_from_name": names.get(row["parent"]) if row["parent"] else None,
        }
        for row in rows
    ]


def commons_show(home: Home, commons_id: bytes, digest: bool = True) -> dict[str, Any]:
    """The commons at a glance; ``digest=False`` skips the state digest, which costs a pass
    over every record once new events have come in."""
    store = home.store
    cid = home.cid(commons_id)
    charter = home.state(commons_id).get("charter")
    known = names(home, cid)
    counts = dict.fromkeys(STATES, 0)
    for state, count in store.count_states(cid, "contribution/").items():
        if state in counts:
            counts[state] = count
    return {
        "id": commons_id.hex(),
        "name": charter["name"],
        "description": charter["description"],
        "kind": charter["kind"],
        "licence": charter["licence"],
        "mode": charter["mode"],
        "maintainers": [person(d, known) for d in charter["maintainers"]],
        "threshold": charter["threshold"],
        "forked_from": hexed(charter["forked_from"]),
        "forked_from_name": _origin_name(home, charter),
        "forks": [f.hex() for f in store.forks_of(commons_id)],
        "heads": [h.hex() for h in store.heads(cid)],
        "events": store.events_count(cid),
        "artifacts": store.count_records(cid, "artifact/"),
        "contributions": counts,
        "state_digest": state_digest(home, cid) if digest else None,
    }


def commons_names(home: Home, ids: set[bytes]) -> dict[bytes, str]:
    """The names of these commons, those held here (a fork's origin may not be)."""
    if not ids:
        return {}
    return {r["id"]: r["name"] for r in home.store.commons_rows() if r["id"] in ids}


def lineage(home: Home, commons_id: bytes) -> dict[str, Any]:
    """Ancestors (from the nearest up) and descendants (a tree) known to this home."""
    store = home.store
    ancestors = []
    charter = home.state(commons_id).get("charter")
    while charter.get("forked_from"):
        parent = charter["forked_from"]["commons"]
        if store.commons_cid(parent) is None:
            ancestors.append({"id": parent.hex(), "name": None})
            break
        charter = home.state(parent).get("charter")
        ancestors.append({"id": parent.hex(), "name": charter["name"]})

    def tree(cid: bytes) -> list[dict[str, Any]]:
        return [
            {"id": f.hex(), "name": home.state(f).get("charter")["name"], "forks": tree(f)}
            for f in store.forks_of(cid)
        ]

    name = home.state(commons_id).get("charter")["name"]
    return {"id": commons_id.hex(), "name": name, "ancestors": ancestors, "forks": tree(commons_id)}


def contributions(
    home: Home,
    commons_id: bytes,
    state: str | None = None,
    *,
    oldest: int | None = None,
    newest: int | None = None,
) -> list[dict[str, Any]]:
    """Contributions in fold order (in one ``state``); with ``oldest`` or ``newest``, only
    that many, chosen by time in SQL — pages stay fast when thousands wait."""
    cid = home.cid(commons_id)
    known = names(home, cid)
    states = (state,) if state else None
    scanned = home.store.scan_records(cid, "contribution/", states, oldest=oldest, newest=newest)
    items = [
        {
            "id": key.split("/", 1)[1],
            "title": record["title"],
            "author": record["author"],
            "author_name": known.get(record["author"]),
            "state": record["state"],
            "revision": len(record["revisions"]) - 1,
            "accepted_by": record["accepted_by"],
            "patrolled_by": record.get("patrolled_by"),
            "order": record["order"],
            "time": record["time"],
        }
        for key, record in scanned
    ]
    items.sort(key=lambda c: c["order"])
    return items


def contribution_show(home: Home, commons_id: bytes, contribution_id: bytes) -> dict[str, Any]:
    cid = home.cid(commons_id)
    state = home.state(commons_id)
    record = state.get(contribution_key(contribution_id))
    if record is None:
        raise fault(NotFound, NOT_A_CONTRIBUTION_HERE, contribution=contribution_id)
    known = names(home, cid)
    reviews = [
        {**hexed(r), "by_name": known.get(r["by"])}
        for _, r in home.store.scan_records(cid, f"review/{contribution_id.hex()}/")
    ]
    changes = record["revisions"][-1]["changes"]
    moved = [
        c["path"]
        for c in changes
        if (state.get(artifact_key(c["path"])) or {}).get("blob") != c["base"]
    ]
    return {
        "id": contribution_id.hex(),
        **hexed({k: v for k, v in record.items() if k != "revisions"}),
        "author_name": known.get(record["author"]),
        "revision": len(record["revisions"]) - 1,
        "changes": [{**hexed(c), "here": _here(home, c["blob"])} for c in changes],
        # What a maintainer would accept without anyone here having seen it.
        "missing_files": [
            {"path": c["path"], "hash": c["blob"].hex(), "size": c["size"]}
            for c in changes
            if not _here(home, c["blob"])
        ],
        "base_moved": moved if record["state"] in ("open", "conflict") else [],
        "reviews": reviews,
    }


def _here(home: Home, blob: bytes | None) -> bool:
    """Whether a change's file is on this node (a deletion has none to lack)."""
    return blob is None or home.blobs.has(blob)


def artifacts(home: Home, commons_id: bytes) -> list[dict[str, Any]]:
    prefix = "artifact/"
    return [
        {"path": key[len(prefix) :], **hexed(record)}
        for key, record in home.store.scan_records(home.cid(commons_id), prefix)
    ]


def artifact(home: Home, commons_id: bytes, path: str) -> dict[str, Any]:
    record = home.state(commons_id).get(artifact_key(path))
    if record is None:
        raise no_file_here(path)
    return {"path": path, **record}


def artifact_history(home: Home, commons_id: bytes, path: str) -> list[dict[str, Any]]:
    cid = home.cid(commons_id)
    known = names(home, cid)
    entries = [
        {**hexed(entry), "by_name": known.get(entry["by"])}
        for _, entry in home.store.scan_records(cid, history_prefix(path))
    ]
    if not entries:
        raise fault(NotFound, NO_HISTORY, path=path)
    return entries


def log(
    home: Home,
    commons_id: bytes,
    limit: int | None = None,
    *,
    before: tuple[int, bytes] | None = None,
    author: str | None = None,
    type: str | None = None,
) -> list[dict[str, Any]]:
    """Events, newest first, each with a readable line and its effect; with ``limit``, one
    page (``before`` a position, by an ``author``, of a ``type``)."""
    cid = home.cid(commons_id)
    store = home.store
    if limit is None and before is None and author is None and type is None:
        rows = list(store.events(cid, newest_first=True))
    else:
        rows = store.events_page(cid, before=before, limit=limit or 100, author=author, type=type)
    events = [domain.parse_checked(row.raw) for row in rows]
    known = names(home, cid)
    words = Known(known, titles(home, cid, events), _origins(home, events))
    return [
        {
            "id": row.id.hex(),
            "commons": commons_id.hex(),
            "type": row.type,
            "author": row.author,
            "author_name": known.get(row.author),
            "clock": row.clock,
            "time": row.time,
            "parents": [p.hex() for p in event.parents],
            "effective": row.refusal is None,
            **refusal_fields(row.refusal),
            **describe(event, words),
        }
        for row, event in zip(rows, events, strict=True)
    ]


def _origins(home: Home, events: list[Any]) -> dict[bytes, str]:
    """Names of the commons these events fork from (a fork's genesis names its origin)."""
    forked = (getattr(e.body, "forked_from", None) for e in events)
    return commons_names(home, {origin.commons for origin in forked if origin})


def _origin_name(home: Home, charter: dict[str, Any]) -> str | None:
    origin = (charter.get("forked_from") or {}).get("commons")
    return commons_names(home, {origin}).get(origin) if origin else None


TITLED = (
    "contribution",
    "task",
    "proposal",
    "expense",
    "distribution",
)  # records with a title, by id


def titles(home: Home, cid: int, events: list[Any]) -> dict[str, str]:
    """Titles of the contributions, tasks, proposals and expenses these events name, read by
    key."""
    wanted = set()
    for event in events:
        body = event.body
        for ref in (
            getattr(body, "contribution", None),
            getattr(body, "task", None),
            getattr(body, "proposal", None),
            getattr(body, "expense", None),
            getattr(body, "round", None),
            getattr(getattr(body, "target", None), "id", None),
        ):
            if isinstance(ref, bytes):
                wanted |= {f"{kind}/{ref.hex()}" for kind in TITLED}
        subject = getattr(body, "subject", None)
        if subject is not None and subject.kind in ("contribution", "task", "proposal"):
            wanted.add(f"{subject.kind}/{subject.ref}")
    records = home.store.get_records(cid, wanted) if wanted else {}
    return {key.split("/", 1)[1]: record["title"] for key, record in records.items()}
