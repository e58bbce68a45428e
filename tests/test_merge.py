import pytest

from communs.node.actions.merge import MergeResult, is_text, merge_text

BASE = b"""# Garden rules
Water the beds on Monday.
Compost goes in the left bin.
Tools are kept in the shed.
Close the gate when you leave.
"""


def test_edits_in_different_places_merge() -> None:
    ours = BASE.replace(b"Monday", b"Monday and Thursday")
    theirs = BASE.replace(b"the gate", b"the blue gate")
    assert merge_text(BASE, ours, theirs) == MergeResult(
        clean=True,
        merged=b"""# Garden rules
Water the beds on Monday and Thursday.
Compost goes in the left bin.
Tools are kept in the shed.
Close the blue gate when you leave.
""",
        conflicts=0,
    )


def test_edits_to_the_same_line_conflict() -> None:
    ours = BASE.replace(b"left bin", b"right bin")
    theirs = BASE.replace(b"left bin", b"green bin")
    assert merge_text(BASE, ours, theirs) == MergeResult(clean=False, merged=None, conflicts=1)


def test_each_conflicting_region_is_counted() -> None:
    ours = BASE.replace(b"Monday", b"Tuesday").replace(b"the gate", b"both gates")
    theirs = BASE.replace(b"Monday", b"Friday").replace(b"the gate", b"no gate")
    assert merge_text(BASE, ours, theirs).conflicts == 2


def test_the_same_edit_on_both_sides_is_clean() -> None:
    both = BASE.replace(b"shed", b"garage")
    assert merge_text(BASE, both, both) == MergeResult(clean=True, merged=both, conflicts=0)


def test_unchanged_side_takes_the_other() -> None:
    theirs = BASE + b"Be kind.\n"
    assert merge_text(BASE, BASE, theirs).merged == theirs
    assert merge_text(BASE, theirs, BASE).merged == theirs


def test_deletion_on_one_side_and_edit_elsewhere_on_the_other() -> None:
    ours = BASE.replace(b"Tools are kept in the shed.\n", b"")
    theirs = BASE.replace(b"# Garden rules", b"# Community garden rules")
    result = merge_text(BASE, ours, theirs)
    assert result.clean
    assert (
        result.merged
        == b"""# Community garden rules
Water the beds on Monday.
Compost goes in the left bin.
Close the gate when you leave.
"""
    )


def test_deleting_a_line_the_other_side_edited_conflicts() -> None:
    ours = BASE.replace(b"Tools are kept in the shed.\n", b"")
    theirs = BASE.replace(b"the shed", b"the new shed")
    assert not merge_text(BASE, ours, theirs).clean


def test_new_file_on_both_sides_from_empty_base() -> None:
    assert merge_text(b"", b"", b"hello\n").merged == b"hello\n"
    assert merge_text(b"", b"same\n", b"same\n").clean
    assert not merge_text(b"", b"mine\n", b"yours\n").clean


def test_files_without_trailing_newline() -> None:
    base = b"first\nlast"
    ours = b"FIRST\nlast"  # edits the first line, still no final newline
    theirs = b"first\nlast\nafter"  # appends a line, still no final newline
    assert merge_text(base, ours, theirs) == MergeResult(
        clean=True, merged=b"FIRST\nlast\nafter", conflicts=0
    )


def test_adding_or_removing_the_final_newline_merges_with_other_edits() -> None:
    assert merge_text(b"a\nb\nc\n", b"a\nb\nc", b"A\nb\nc\n").merged == b"A\nb\nc"
    assert merge_text(b"a\nb\nc", b"A\nb\nc", b"a\nb\nc\n").merged == b"A\nb\nc\n"


def test_crlf_lines_are_kept() -> None:
    base = b"one\r\ntwo\r\nthree\r\n"
    ours = b"ONE\r\ntwo\r\nthree\r\n"
    theirs = b"one\r\ntwo\r\nTHREE\r\n"
    assert merge_text(base, ours, theirs).merged == b"ONE\r\ntwo\r\nTHREE\r\n"


def test_unicode_text() -> None:
    base = "café\npain\nthé\n".encode()
    ours = "café crème\npain\nthé\n".encode()
    theirs = "café\npain\nthé vert\n".encode()
    assert merge_text(base, ours, theirs).merged == "café crème\npain\nthé vert\n".encode()


def test_edits_to_adjacent_lines_conflict() -> None:
    # As with git and diff3, changed regions need an unchanged line between them.
    ours = BASE.replace(b"left bin", b"right bin")
    theirs = BASE.replace(b"the shed", b"the barn")
    assert not merge_text(BASE, ours, theirs).clean


@pytest.mark.parametrize("side", [0, 1, 2])
def test_binary_is_never_merged(side: int) -> None:
    texts = [BASE, BASE + b"x\n", BASE]
    texts[side] = b"\x89PNG\r\n\x1a\n\x00\x00"
    assert merge_text(*texts) == MergeResult(clean=False, merged=None, conflicts=0)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", True),
        (b"plain\n", True),
        ("d\u00e9j\u00e0".encode(), True),
        (b"nul\x00byte", False),
        (b"\xff\xfe", False),
        ("é".encode()[:1], False),
    ],
)
def test_is_text(data: bytes, expected: bool) -> None:
    assert is_text(data) is expected
