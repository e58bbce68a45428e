"""Three-way merge of text files, line by line, with ``merge3``.

``ours`` is the canonical version as it stands now, ``theirs`` the version someone proposed
on top of ``base``. Changes to different lines merge; changes to the same lines conflict.
Binary files are never merged.
"""

from dataclasses import dataclass

import merge3


@dataclass(frozen=True)
class MergeResult:
    clean: bool
    merged: bytes | None  # the merged file when clean, else None
    conflicts: int  # number of conflicting regions (0 when clean or when the input is binary)


def is_text(data: bytes) -> bool:
    """Valid UTF-8 without NUL bytes: what we are willing to merge line by line."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def merge_text(base: bytes, ours: bytes, theirs: bytes) -> MergeResult:
    if not (is_text(base) and is_text(ours) and is_text(theirs)):
        return MergeResult(clean=False, merged=None, conflicts=0)
    texts = [side.decode("utf-8") for side in (base, ours, theirs)]
    base_lines, our_lines, their_lines = (_lines(text) for text in texts)

    merged: list[str] = []
    conflicts = 0
    for group in merge3.Merge3(base_lines, our_lines, their_lines).merge_groups():
        kind = group[0]
        if kind == "conflict":
            conflicts += 1
        elif kind in ("unchanged", "a", "b", "same"):
            merged.extend(group[1])
        else:  # pragma: no cover - merge3 documents only the kinds above
            raise ValueError(f"unexpected merge group {kind!r}")
    if conflicts:
        return MergeResult(clean=False, merged=None, conflicts=conflicts)

    result = "".join(merged)
    # Drop the newline _lines added, unless the line really ended with a CRLF of its own.
    without_newline = _merged_flag(*(_lacks_final_newline(text) for text in texts))
    if without_newline and result.endswith("\n") and not result.endswith("\r\n"):
        result = result[:-1]
    return MergeResult(clean=True, merged=result.encode("utf-8"), conflicts=0)


def _lines(text: str) -> list[str]:
    """The lines of ``text``, each ending with its line break.

    A missing final newline is added here and restored after the merge (see
    ``_merged_flag``): otherwise the last line of a file without one would differ from the
    same line once something is appended after it, and appending on one side while editing
    the line above on the other would conflict for no reason.
    """
    lines = text.splitlines(keepends=True)
    if lines and _lacks_final_newline(text):
        lines[-1] += "\n"
    return lines


def _lacks_final_newline(text: str) -> bool:
    # Whatever splitlines() counts as a line break (\n, \r, \u2028...) ends the last line;
    # splitlines() drops a line break, so a last character it keeps is not one.
    return bool(text) and text[-1].splitlines() == [text[-1]]


def _merged_flag(base: bool, ours: bool, theirs: bool) -> bool:
    """Three-way merge of a yes/no property: a side that changed it wins. It cannot conflict:
    with two values, if both sides changed it they changed it the same way."""
    return theirs if ours == base else ours
