"""Artifacts: the canonical files of a commons, by path, and the history of each path.

Content lives in blobs addressed by SHA-256; records hold only hashes, so the fold never
reads a file. A change names the blob it was based on: it applies only if the canonical
blob is still that one, or if the event carries a merge made onto the current blob.
"""

from typing import Annotated, Any

import msgspec

from ..core.events import Event
from .charter import sequence
from .fold import Ineffective, View, Writes
from .refusals import code
from .schema import Body, Id, check_path, to_builtins

Media = Annotated[str, msgspec.Meta(max_length=200)]


class Change(Body, kw_only=True):
    """Put ``blob`` at ``path`` (or delete it when ``blob`` is None), based on ``base``."""

    path: str
    base: Id | None = None
    blob: Id | None = None
    size: Annotated[int, msgspec.Meta(ge=0)] = 0
    media: Media = ""
    # The v2 info hash of the blob's canonical torrent (large files): the data's identity
    # on BitTorrent, signed with the rest.
    torrent: Id | None = None

    def __post_init__(self) -> None:
        check_path(self.path)
        if self.blob is None and (self.size or self.torrent):
            raise ValueError(f"{self.path}: a deletion has no size and no torrent")


class Merged(Body, kw_only=True):
    """A three-way merge made by the signer's node, valid only onto the blob ``onto``."""

    path: str
    onto: Id | None = None
    blob: Id | None = None
    size: Annotated[int, msgspec.Meta(ge=0)] = 0
    media: Media = ""

    def __post_init__(self) -> None:
        check_path(self.path)


def change_records(changes: list[Change]) -> list[dict[str, Any]]:
    """Changes as kept in records; ``torrent`` only where there is one."""
    records = to_builtins(changes)
    for record in records:
        if record["torrent"] is None:
            del record["torrent"]
    return records


def artifact_key(path: str) -> str:
    return "artifact/" + path


def history_prefix(path: str) -> str:
    return f"history/{path}//"


def history_key(path: str, view: View, event: Event) -> str:
    return history_prefix(path) + sequence(view, event)


def check_unique_paths(items: list[Any]) -> None:
    paths = [item.path for item in items]
    if len(paths) != len(set(paths)):
        raise ValueError("each path may appear only once")


BASE_MOVED = code(
    "base_moved",
    "conflict: the canonical version of {paths} changed since this was based on it; a new "
    "revision (or a merge) is needed",
)


def write_changes(
    view: View,
    event: Event,
    contribution: bytes,
    action: str,
    targets: list[tuple[str, bytes | None, bytes | None, int, str, bytes | None]],
    merged: list[Merged],
) -> tuple[Writes, list[dict[str, Any]]]:
    """Apply ``(path, expected, new_blob, size, media, torrent)`` targets to the canonical
    artifacts.

    Returns the writes and the applied list ``[{path, before, after}]`` used to revert, or
    raises Ineffective naming the paths whose canonical blob moved with no merge onto it.
    """
    merges = {m.path: m for m in merged}
    writes: Writes = {}
    applied = []
    conflicts = []
    for path, expected, blob, size, media, torrent in targets:
        previous = view.get(artifact_key(path))
        before = previous["blob"] if previous else None
        if before != expected:
            merge = merges.get(path)
            if merge is None or merge.onto != before:
                conflicts.append(path)
                continue
            blob, size, media, torrent = merge.blob, merge.size, merge.media, None
        undo = {
            "path": path,
            "before": before,
            "after": blob,
            "before_size": previous["size"] if previous else 0,
            "before_media": previous["media"] if previous else "",
        }
        if previous and previous.get("torrent"):
            undo["before_torrent"] = previous["torrent"]
        applied.append(undo)
        artifact = None
        if blob is not None:
            artifact = {
                "blob": blob,
                "size": size,
                "media": media,
                "contribution": contribution,
                "event": event.id,
            }
            if torrent:
                artifact["torrent"] = torrent
        writes[artifact_key(path)] = artifact
        writes[history_key(path, view, event)] = {
            "event": event.id,
            "contribution": contribution,
            "action": action,
            "by": event.author,
            "before": before,
            "after": blob,
            "size": size,
        }
    if conflicts:
        raise Ineffective(BASE_MOVED, paths=conflicts)
    return writes, applied
