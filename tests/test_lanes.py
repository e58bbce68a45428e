"""A live stream's lanes: people's events and file notices go before a relayed flood, bulk
goes in pages between them, and an overflowing lane drops (a sync round brings it back)."""

from hypothesis import given
from hypothesis import strategies as st

from communs.node.peers import lanes
from communs.node.peers.lanes import Lanes
from communs.node.peers.wire import iter_cbor_seq


def items(chunk: bytes) -> list:
    return list(iter_cbor_seq([chunk]))


def test_fast_items_go_before_the_bulk_waiting_and_bulk_goes_in_pages():
    waiting = Lanes()
    waiting.put([b"bulk %d" % n for n in range(300)], bulk=True)
    waiting.put([b"honest", {"file": b"h" * 32}], bulk=False)
    first = items(waiting.take())
    assert first[:2] == [b"honest", {"file": b"h" * 32}]
    assert first[2] == [b"bulk %d" % n for n in range(lanes.PAGE)]
    waiting.put([b"honest 2"], bulk=False)
    second = items(waiting.take())
    assert second[0] == b"honest 2" and len(second[1]) == lanes.PAGE
    assert items(waiting.take()) == [[b"bulk %d" % n for n in range(2 * lanes.PAGE, 300)]]
    assert not waiting


def test_an_overflowing_lane_drops_and_counts(monkeypatch):
    monkeypatch.setattr(lanes, "MAX_BULK", 10)
    waiting = Lanes()
    waiting.put([b"x"] * 8, bulk=True)
    waiting.put([b"y"] * 5, bulk=True)
    assert waiting.dropped == 3
    waiting.put([b"honest"], bulk=False)  # the fast lane has room of its own
    chunk = items(waiting.take())
    assert chunk == [b"honest", [b"x"] * 8 + [b"y"] * 2]


@given(st.lists(st.tuples(st.booleans(), st.lists(st.binary(max_size=8), max_size=300))))
def test_every_item_is_sent_once_in_its_lanes_order(puts):
    waiting = Lanes()
    for bulk, batch in puts:
        waiting.put(batch, bulk)
    fast, bulk = [], []
    while waiting:
        for item in items(waiting.take()):
            (bulk.extend if isinstance(item, list) else fast.append)(item)
    assert fast == [raw for is_bulk, batch in puts if not is_bulk for raw in batch]
    assert bulk == [raw for is_bulk, batch in puts if is_bulk for raw in batch]
