"""The SQLite store's bulk queries: lists of ids and rows of any length, in few statement forms."""

from hypothesis import given
from hypothesis import strategies as st

from communs.store import EventRow, SQLiteStore
from communs.store.statements import IDS, ROWS, in_lists, row_groups


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


@given(st.lists(st.integers(), max_size=3 * IDS + 7))
def test_in_lists_cover_every_item_in_a_few_sizes(items):
    lists = list(in_lists(items))
    assert [x for _, chunk in lists for x in dict.fromkeys(chunk)] == [
        x for start in range(0, len(items), IDS) for x in dict.fromkeys(items[start : start + IDS])
    ]
    for marks, chunk in lists:
        assert marks.count("?") == len(chunk) <= IDS and _is_power_of_two(len(chunk))
        assert set(chunk) <= set(items)


@given(st.lists(st.tuples(st.integers(), st.integers()), max_size=3 * ROWS + 5))
def test_row_groups_keep_every_row_once_in_order(rows):
    groups = list(row_groups(rows))
    assert [row for group in groups for row in group] == rows
    assert all(len(g) <= ROWS and _is_power_of_two(len(g)) for g in groups)


def test_known_and_clocks_across_many_lists(tmp_path):
    """More ids than one IN list holds, half of them stored: exactly the stored ones come back,
    each with its clock."""
    store = SQLiteStore(tmp_path / "communs.db")
    try:
        with store.transaction():
            cid = store.add_commons(b"c" * 32, None, 0)
            stored = [n.to_bytes(32, "big") for n in range(0, 2 * IDS + 300, 2)]
            store.insert_events(
                [
                    EventRow(eid, cid, n, "t", "a", 0, b"raw", None, None)
                    for n, eid in enumerate(stored)
                ]
            )
        asked = [n.to_bytes(32, "big") for n in range(2 * IDS + 300)]
        assert store.known(asked) == set(stored)
        assert store.clocks(asked) == {eid: (cid, n) for n, eid in enumerate(stored)}
        assert store.known([]) == set() and store.clocks([]) == {}
    finally:
        store.close()
