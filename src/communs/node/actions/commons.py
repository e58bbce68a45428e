"""What people do to a commons. Each action prepares a body (adding files to the blob store,
computing three-way merges) and goes through ``Home.emit``, the one write path."""

from collections.abc import Iterable
from typing import Any

from ...core.errors import BadInput, Refused
from ...core.events import MAX_FORK_HEADS
from ...core.identity import Identity, is_did
from ...domain.artifacts import artifact_key
from ...domain.charter import KINDS, MODES  # noqa: F401  (re-exported for the faces)
from ...domain.contributions import (
    STATES,  # noqa: F401
    contribution_key,
)
from ...domain.schema import MAX_TITLE as MAX_NAME
from ...domain.schema import check_path, clean_name
from ..files.blobs import TORRENT_FROM
from ..home.folder import Home
from ..writing.folding import StoredState, fork_base
from .merge import merge_text

MERGE_LIMIT = 16 * 1024 * 1024  # text files larger than this are not merged in memory


def create_commons(
    home: Home,
    identity: Identity,
    *,
    name: str,
    description: str = "",
    kind: str = "other",
    licence: str = "CC-BY-SA-4.0",
    maintainers: Iterable[str] = (),
    threshold: int = 1,
    mode: str = "review",
) -> bytes:
    name = _new_name(home, name)
    chosen = list(dict.fromkeys(maintainers)) or [identity.did]
    for did in chosen:
        if not is_did(did):
            raise BadInput(f"maintainer {did!r} is not a did:key; 'communs id list' shows yours")
    charter = {
        "name": name,
        "description": description,
        "kind": kind,
        "licence": licence,
        "maintainers": sorted(chosen),
        "threshold": threshold,
        "mode": mode,
    }
    commons_id = home.emit(identity, None, "commons.create", {"charter": charter})
    home.emit(identity, commons_id, "profile.set", {"name": _local_name(home, identity)})
    return commons_id


def _new_name(home: Home, name: str) -> str:
    """The name of a commons made here, as people will type it: cleaned (``clean_name``),
    not blank, and not the name of another commons of this home, so that the name finds it."""
    cleaned = clean_name(name)
    if not cleaned:
        raise BadInput("a commons needs a name: a few words people will recognise it by")
    if len(cleaned) > MAX_NAME:
        raise BadInput(
            f"a commons' name has at most {MAX_NAME} characters; this one has {len(cleaned)}"
        )
    taken = home.commons_named(cleaned)
    if taken:
        raise Refused(
            f"a commons named '{cleaned}' is already in this home ({taken[0].hex()[:12]}); "
            "choose another name, or fork it to make your own version"
        )
    return cleaned


def _fork_name(home: Home, parent: str) -> str:
    """A fork's name when its maker gives none: the parent's, marked and numbered."""
    for n in range(1, 1000):
        name = clean_name(f"{parent[: MAX_NAME - 12]} (fork{f' {n}' if n > 1 else ''})")
        if not home.commons_named(name):
            return name
    raise Refused("this home holds a thousand forks of that name; give the fork a name")


def _local_name(home: Home, identity: Identity) -> str:
    return next((k.name for k in home.keyring.list() if k.did == identity.did), "anonymous")


def fork(
    home: Home, identity: Identity, commons_id: bytes, *, name: str, description: str | None = None
) -> bytes:
    """A new commons starting from this one's canonical state, with its history and lineage
    (named after it when ``name`` is blank)."""
    charter = dict(home.state(commons_id).get("charter"))
    new_charter = {
        "name": _new_name(home, name) if clean_name(name) else _fork_name(home, charter["name"]),
        "description": description
        if description is not None
        else f"Fork of {charter['name']}. {charter['description']}".strip(),
        "kind": charter["kind"],
        "licence": charter["licence"],
        "maintainers": [identity.did],
        "threshold": 1,
        "mode": charter["mode"],
    }
    heads, _ = home.heads(commons_id, MAX_FORK_HEADS)
    fork_id = home.emit(
        identity,
        None,
        "commons.create",
        {"charter": new_charter, "forked_from": {"commons": commons_id, "heads": heads}},
    )
    home.emit(identity, fork_id, "profile.set", {"name": _local_name(home, identity)})
    return fork_id


def _changes(
    home: Home, state: StoredState, files: dict[str, bytes], deletes: Iterable[str]
) -> list[dict[str, Any]]:
    """Changes putting stored blobs (``files``: path -> blob hash) and deleting paths."""
    changes = []
    for path, blob in sorted(files.items()):
        _check_path(path)
        info = home.blobs.info(blob, name=path)
        current = state.get(artifact_key(path))
        if current and current["blob"] == info.hash:
            continue
        change = {
            "path": path,
            "base": current["blob"] if current else None,
            "blob": info.hash,
            "size": info.size,
            "media": info.media,
        }
        if info.size >= TORRENT_FROM:
            change["torrent"] = _torrent_hash(home, info.hash)
        changes.append(change)
    for path in sorted(set(deletes)):
        _check_path(path)
        current = state.get(artifact_key(path))
        if current is None:
            raise Refused(f"cannot delete {path}: there is no such artifact in this commons")
        changes.append(
            {"path": path, "base": current["blob"], "blob": None, "size": 0, "media": ""}
        )
    if not changes:
        raise Refused("nothing to contribute: the files are identical to the canonical versions")
    return changes


def _torrent_hash(home: Home, blob: bytes) -> bytes:
    """The v2 info hash of a large blob's canonical torrent (made once, then kept)."""
    from ..files import torrents  # libtorrent loads only when a large file is contributed

    return torrents.info_hash_v2(torrents.torrent_for(home, blob, web_seed=None, tracker=None))


def _check_path(path: str) -> None:
    try:
        check_path(path)
    except ValueError as error:
        raise BadInput(str(error)) from None


def propose(
    home: Home,
    identity: Identity,
    commons_id: bytes,
    *,
    title: str,
    description: str = "",
    files: dict[str, bytes] | None = None,
    deletes: Iterable[str] = (),
) -> bytes:
    changes = _changes(home, home.state(commons_id), files or {}, deletes)
    return home.emit(
        identity,
        commons_id,
        "contribution.propose",
        {"title": title, "description": description, "changes": changes},
    )


def propose_from_fork(
    home: Home, identity: Identity, fork_id: bytes, *, title: str, description: str = ""
) -> tuple[bytes, bytes]:
    """Propose to a fork's parent what the fork changed since it forked. Each change is based
    on the blob at the fork point, so the parent's maintainers merge if the parent moved."""
    store = home.store
    charter = home.state(fork_id).get("charter")
    origin = charter.get("forked_from")
    if not origin:
        raise Refused("this commons is not a fork: there is no parent to propose to")
    parent_id = origin["commons"]
    if store.commons_cid(parent_id) is None:
        raise Refused(f"the parent commons {parent_id.hex()[:12]} is not in this home")
    at_fork = _artifacts(fork_base(store, parent_id, origin["heads"]))
    now = _artifacts(dict(store.scan_records(home.cid(fork_id), "artifact/")))
    changes = []
    for path in sorted(at_fork.keys() | now.keys()):
        before, after = at_fork.get(path), now.get(path)
        if (before or {}).get("blob") != (after or {}).get("blob"):
            changes.append(
                {
                    "path": path,
                    "base": before["blob"] if before else None,
                    "blob": after["blob"] if after else None,
                    "size": after["size"] if after else 0,
                    "media": after["media"] if after else "",
                    **({"torrent": after["torrent"]} if (after or {}).get("torrent") else {}),
                }
            )
    if not changes:
        raise Refused("the fork has changed nothing since it was made")
    body = {
        "title": title,
        "description": description,
        "changes": changes,
        "origin": {"commons": fork_id, "heads": home.heads(fork_id, MAX_FORK_HEADS)[0]},
    }
    return parent_id, home.emit(identity, parent_id, "contribution.propose", body)


def _artifacts(records: dict[str, Any]) -> dict[str, Any]:
    prefix = "artifact/"
    return {k[len(prefix) :]: v for k, v in records.items() if k.startswith(prefix)}


def contribution(home: Home, commons_id: bytes, contribution_id: bytes) -> dict[str, Any]:
    record = home.state(commons_id).get(contribution_key(contribution_id))
    if record is None:
        raise Refused(f"{contribution_id.hex()[:12]} is not a contribution of this commons")
    return record


def revise(
    home: Home,
    identity: Identity,
    commons_id: bytes,
    contribution_id: bytes,
    *,
    files: dict[str, bytes] | None = None,
    deletes: Iterable[str] = (),
    title: str | None = None,
    description: str | None = None,
) -> bytes:
    contribution(home, commons_id, contribution_id)
    changes = _changes(home, home.state(commons_id), files or {}, deletes)
    return home.emit(
        identity,
        commons_id,
        "contribution.revise",
        {
            "contribution": contribution_id,
            "changes": changes,
            "title": title,
            "description": description,
        },
    )


def review(
    home: Home,
    identity: Identity,
    commons_id: bytes,
    contribution_id: bytes,
    *,
    verdict: str,
    comment: str = "",
) -> bytes:
    contribution(home, commons_id, contribution_id)
    return home.emit(
        identity,
        commons_id,
        "contribution.review",
        {"contribution": contribution_id, "verdict": verdict, "comment": comment},
    )


def merges_needed(
    home: Home, state: StoredState, targets: list[tuple[str, Any, Any]]
) -> list[dict[str, Any]]:
    """Three-way merges for the targets ``(path, base blob, wanted blob)`` whose canonical
    blob moved; Refused naming the paths that do not merge cleanly."""
    merged, conflicts = [], []
    for path, base, wanted in targets:
        current = state.get(artifact_key(path))
        onto = current["blob"] if current else None
        if onto == base:
            continue
        if wanted is None or onto is None:
            conflicts.append(f"{path} (deleted on one side)")
            continue
        result = merge_text(_content(home, base), _content(home, onto), _content(home, wanted))
        if not result.clean or result.merged is None:
            conflicts.append(path)
            continue
        info = home.blobs.add_bytes(result.merged, name=path)
        merged.append(
            {
                "path": path,
                "onto": onto,
                "blob": info.hash,
                "size": info.size,
                "media": current["media"] or info.media,
            }
        )
    if conflicts:
        raise Refused(
            "conflict on " + ", ".join(conflicts) + ": the canonical version changed "
            "and the changes do not merge cleanly; a new revision is needed"
        )
    return merged


def _content(home: Home, blob: bytes | None) -> bytes:
    return b"" if blob is None else home.blobs.read_bytes(blob, MERGE_LIMIT)


def accept(home: Home, identity: Identity, commons_id: bytes, contribution_id: bytes) -> bytes:
    record = contribution(home, commons_id, contribution_id)
    revision = len(record["revisions"]) - 1
    targets = [(c["path"], c["base"], c["blob"]) for c in record["revisions"][-1]["changes"]]
    merged = (
        merges_needed(home, home.state(commons_id), targets) if record["state"] == "open" else []
    )
    return home.emit(
        identity,
        commons_id,
        "contribution.accept",
        {"contribution": contribution_id, "revision": revision, "merged": merged},
    )


def revert(
    home: Home, identity: Identity, commons_id: bytes, contribution_id: bytes, *, reason: str
) -> bytes:
    record = contribution(home, commons_id, contribution_id)
    targets = [(a["path"], a["after"], a["before"]) for a in record.get("applied") or []]
    merged = merges_needed(home, home.state(commons_id), targets)
    return home.emit(
        identity,
        commons_id,
        "contribution.revert",
        {"contribution": contribution_id, "reason": reason, "merged": merged},
    )


def decide(
    home: Home,
    identity: Identity,
    commons_id: bytes,
    contribution_id: bytes,
    action: str,
    **body: Any,
) -> bytes:
    """reject (with ``reason``), withdraw or patrol."""
    contribution(home, commons_id, contribution_id)
    return home.emit(
        identity, commons_id, f"contribution.{action}", {"contribution": contribution_id, **body}
    )


def change_charter(
    home: Home, identity: Identity, commons_id: bytes, change: dict[str, Any]
) -> bytes:
    return home.emit(identity, commons_id, "charter.change", {"change": change})
