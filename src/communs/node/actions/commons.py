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
from ...domain.refusals import Refusal, code, fault, plural_code, refusal
from ...domain.schema import MAX_PATH, check_path, clean_name
from ...domain.schema import MAX_TITLE as MAX_NAME
from ..files.blobs import TORRENT_FROM
from ..home.folder import Home
from ..reads.queries import NOT_A_CONTRIBUTION_HERE
from ..writing.folding import StoredState, fork_base
from .merge import merge_text

MERGE_LIMIT = 16 * 1024 * 1024  # text files larger than this are not merged in memory

MAINTAINER_NOT_A_DID = code(
    "maintainer_not_a_did", "maintainer '{did}' is not a did:key; 'communs id list' shows yours"
)
COMMONS_NEEDS_NAME = code(
    "commons_needs_name", "a commons needs a name: a few words people will recognise it by"
)
COMMONS_NAME_TOO_LONG = code(
    "commons_name_too_long",
    "a commons' name has at most {most} characters; this one has {length}",
)
COMMONS_NAME_TAKEN = code(
    "commons_name_taken",
    "a commons named '{name}' is already in this home ({commons}); choose another name, or "
    "fork it to make your own version",
)
TOO_MANY_FORKS = code(
    "too_many_forks", "this home holds a thousand forks of that name; give the fork a name"
)
NO_SUCH_ARTIFACT = code(
    "no_such_artifact", "cannot delete {path}: there is no such artifact in this commons"
)
NOTHING_CHANGED = code(
    "nothing_changed", "nothing to contribute: the files are identical to the canonical versions"
)
NOT_A_FORK = code("not_a_fork", "this commons is not a fork: there is no parent to propose to")
PARENT_NOT_HERE = code("parent_not_here", "the parent commons {commons} is not in this home")
FORK_UNCHANGED = code("fork_unchanged", "the fork has changed nothing since it was made")
MERGE_CONFLICT = code(
    "merge_conflict",
    "conflict on {paths}: the canonical version changed and the changes do not merge cleanly; "
    "a new revision is needed",
)
MERGE_CONFLICT_DELETED = plural_code(
    "merge_conflict_deleted",
    "conflict on {deleted} (deleted on one side): the canonical version changed and the "
    "changes do not merge cleanly; a new revision is needed",
    "conflict on {deleted} (deleted on one side): the canonical version changed and the "
    "changes do not merge cleanly; a new revision is needed",
    "count",
)
MERGE_CONFLICT_BOTH = code(
    "merge_conflict_both",
    "conflict on {paths}, and on {deleted} (deleted on one side): the canonical version "
    "changed and the changes do not merge cleanly; a new revision is needed",
)
PATH_LENGTH = code("path_length", "path must be 1 to {most} characters")
PATH_CONTROL = code("path_control", "path '{path}' has a control character or a backslash")
PATH_NOT_RELATIVE = code(
    "path_not_relative", "path '{path}' must be relative, without empty, '.' or '..' parts"
)


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
            raise fault(BadInput, MAINTAINER_NOT_A_DID, did=did)
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
        raise fault(BadInput, COMMONS_NEEDS_NAME)
    if len(cleaned) > MAX_NAME:
        raise fault(BadInput, COMMONS_NAME_TOO_LONG, most=MAX_NAME, length=len(cleaned))
    taken = home.commons_named(cleaned)
    if taken:
        raise fault(Refused, COMMONS_NAME_TAKEN, name=cleaned, commons=taken[0])
    return cleaned


def _fork_name(home: Home, parent: str) -> str:
    """A fork's name when its maker gives none: the parent's, marked and numbered."""
    for n in range(1, 1000):
        name = clean_name(f"{parent[: MAX_NAME - 12]} (fork{f' {n}' if n > 1 else ''})")
        if not home.commons_named(name):
            return name
    raise fault(Refused, TOO_MANY_FORKS)


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
            raise fault(Refused, NO_SUCH_ARTIFACT, path=path)
        changes.append(
            {"path": path, "base": current["blob"], "blob": None, "size": 0, "media": ""}
        )
    if not changes:
        raise fault(Refused, NOTHING_CHANGED)
    return changes


def _torrent_hash(home: Home, blob: bytes) -> bytes:
    """The v2 info hash of a large blob's canonical torrent (made once, then kept)."""
    from ..files import torrents  # libtorrent loads only when a large file is contributed

    return torrents.info_hash_v2(torrents.torrent_for(home, blob, web_seed=None, tracker=None))


def _check_path(path: str) -> None:
    problem = path_refusal(path)
    if problem is not None:
        raise fault(BadInput, CODES_OF_PATHS[problem.code], **problem.params)


CODES_OF_PATHS = {known.name: known for known in (PATH_LENGTH, PATH_CONTROL, PATH_NOT_RELATIVE)}


def path_refusal(path: str) -> Refusal | None:
    """Why ``path`` is not a path of an artifact (``domain.schema.check_path``), as a
    refusal a face says in its reader's language; None for a good path."""
    try:
        check_path(path)
    except ValueError:
        pass
    else:
        return None
    if not path or len(path) > MAX_PATH:
        return refusal(PATH_LENGTH, most=MAX_PATH)
    if any(ch in path for ch in "\\\x00\n\r") or any(ord(ch) < 32 for ch in path):
        return refusal(PATH_CONTROL, path=repr(path)[1:-1])
    return refusal(PATH_NOT_RELATIVE, path=path)


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
        raise fault(Refused, NOT_A_FORK)
    parent_id = origin["commons"]
    if store.commons_cid(parent_id) is None:
        raise fault(Refused, PARENT_NOT_HERE, commons=parent_id)
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
        raise fault(Refused, FORK_UNCHANGED)
    body = {
        "title": title,
        "description": description,
        "changes": changes,
        "origin": {"commons": fork_id, "heads": home.heads(fork_id, MAX_FORK_HEADS)[0]},
    }
    authors = fork_authors(home, fork_id)
    if authors:
        body["authors"] = [{"did": did, "weight": w} for did, w in sorted(authors.items())]
    return parent_id, home.emit(identity, parent_id, "contribution.propose", body)


def fork_authors(home: Home, fork_id: bytes, most: int = 255) -> dict[str, int]:
    """The people whose contributions the fork itself accepted (not those it inherited),
    weighted by the credit they earned for them there: who a contribution proposed back to
    the parent brings credit to."""
    store, cid = home.store, home.cid(fork_id)
    authors: dict[str, int] = {}
    for key, entry in store.scan_records(cid, "credit-entry/"):
        if entry.get("kind") != "contribution" or entry.get("status") != "earned":
            continue
        row = store.event(entry["event"])
        if row is None or row.cid != cid or entry["points"] <= 0:
            continue  # earned in the parent before the fork: the parent credited it already
        did = key.split("/")[1]
        authors[did] = authors.get(did, 0) + entry["points"]
    top = sorted(authors.items(), key=lambda a: (-a[1], a[0]))[:most]
    return dict(top)


def _artifacts(records: dict[str, Any]) -> dict[str, Any]:
    prefix = "artifact/"
    return {k[len(prefix) :]: v for k, v in records.items() if k.startswith(prefix)}


def contribution(home: Home, commons_id: bytes, contribution_id: bytes) -> dict[str, Any]:
    record = home.state(commons_id).get(contribution_key(contribution_id))
    if record is None:
        raise fault(Refused, NOT_A_CONTRIBUTION_HERE, contribution=contribution_id)
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
    merged, conflicts, deleted = [], [], []
    for path, base, wanted in targets:
        current = state.get(artifact_key(path))
        onto = current["blob"] if current else None
        if onto == base:
            continue
        if wanted is None or onto is None:
            deleted.append(path)
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
    if conflicts and deleted:
        raise fault(Refused, MERGE_CONFLICT_BOTH, paths=conflicts, deleted=deleted)
    if deleted:
        raise fault(Refused, MERGE_CONFLICT_DELETED, deleted=deleted, count=len(deleted))
    if conflicts:
        raise fault(Refused, MERGE_CONFLICT, paths=conflicts)
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
