"""How a contribution's changes are shown: blobs read as text within a size limit, text
compared side by side, images before and after, anything else by its sizes and type.
"""

import difflib
import mimetypes
import os
from typing import Any

from ..core.errors import NotFound
from ..node import Service

DIFF_LIMIT = 1024 * 1024  # bytes of each side compared (or put in the editor) in a page
CONTEXT = 3  # unchanged lines shown around each change
# Media types worth reading as text (the bytes decide in the end: UTF-8 without NUL).
TEXTUAL = {
    "",
    "application/octet-stream",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/x-sh",
    "application/x-python",
    "application/x-python-code",
    "application/toml",
    "application/yaml",
    "application/x-yaml",
    "application/x-tex",
    "application/x-latex",
    "application/sql",
    "application/geo+json",
    "application/x-httpd-php",
}


# -- reading blobs ---------------------------------------------------------------------------


def media_of(media: str | None, path: str) -> str:
    guessed = mimetypes.guess_type(path, strict=False)[0] or ""
    return (media or guessed).split(";")[0].strip().lower()


def looks_textual(media: str) -> bool:
    return media.startswith("text/") or media in TEXTUAL or media.endswith(("+json", "+xml"))


def decode(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read(service: Service, blob: str | None, limit: int = DIFF_LIMIT) -> tuple[bytes | None, int]:
    """``(content, size)`` of a blob (empty for None); content None past ``limit``."""
    if blob is None:
        return b"", 0
    with service.blob_open(blob) as file:
        size = os.fstat(file.fileno()).st_size
        if size > limit:
            return None, size
        data = file.read(limit + 1)
    return (None if len(data) > limit else data), max(size, len(data))


def size_of(service: Service, blob: str | None) -> int | None:
    if blob is None:
        return None
    try:
        with service.blob_open(blob) as file:
            return os.fstat(file.fileno()).st_size
    except NotFound:
        return None


# -- showing changes -------------------------------------------------------------------------


def side_by_side(before: str, after: str) -> list[dict[str, Any]]:
    """Rows of a two-column diff: a ``head`` row per hunk, then ``same`` rows (context) and
    ``change`` rows pairing deleted lines (left) with added lines (right)."""
    old, new = before.splitlines(), after.splitlines()
    rows: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(None, old, new)
    for group in matcher.get_grouped_opcodes(CONTEXT):
        i1, j1 = group[0][1], group[0][3]
        i2, j2 = group[-1][2], group[-1][4]
        rows.append(
            {
                "kind": "head",
                "old": i1 + 1,
                "old_end": i2,
                "new": j1 + 1,
                "new_end": j2,
                "left": None,
                "right": None,
            }
        )
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                for k in range(a2 - a1):
                    rows.append(
                        {
                            "kind": "same",
                            "old": a1 + k + 1,
                            "left": old[a1 + k],
                            "new": b1 + k + 1,
                            "right": new[b1 + k],
                        }
                    )
                continue
            left, right = old[a1:a2], new[b1:b2]
            for k in range(max(len(left), len(right))):
                rows.append(
                    {
                        "kind": "change",
                        "old": a1 + k + 1 if k < len(left) else None,
                        "left": left[k] if k < len(left) else None,
                        "new": b1 + k + 1 if k < len(right) else None,
                        "right": right[k] if k < len(right) else None,
                    }
                )
    return rows


def change_view(service: Service, change: dict[str, Any]) -> dict[str, Any]:
    """A change as the page shows it: a diff for text, before/after for images, else
    sizes and type."""
    path, base, blob = change["path"], change["base"], change["blob"]
    media = media_of(change["media"], path)
    view = {
        **change,
        "media": media,
        "status": "added" if base is None else "deleted" if blob is None else "modified",
        "kind": "other",
        "before_size": size_of(service, base),
        "rows": None,
        "added": 0,
        "deleted": 0,
        "note": None,
    }
    if media.startswith("image/"):
        view["kind"] = "image"
        return view
    if not looks_textual(media):
        return view
    try:
        before, before_size = read(service, base)
        after, after_size = read(service, blob)
    except NotFound:
        view["note"] = "missing"
        return view
    if before is None or after is None:
        view.update(kind="text", note="too large")
        return view
    old, new = decode(before), decode(after)
    if old is None or new is None:
        return view  # binary after all: sizes and type
    rows = side_by_side(old, new)
    view.update(
        kind="text",
        rows=rows,
        added=sum(1 for r in rows if r["kind"] == "change" and r["right"] is not None),
        deleted=sum(1 for r in rows if r["kind"] == "change" and r["left"] is not None),
        note="line endings" if not rows and old != new else None,
    )
    return view
