"""What a live stream still has to send a subscriber, in two lanes.

Events people wait for (their own actions, live events, small pushes) and file notices go in
the fast lane; what a pull or a big push added goes in the bulk lane, sent in pages between
them. A flood relayed to a peer thus never queues a person's event behind it. A lane that
overflows drops what comes next: the subscriber gets it by its next sync round.
"""

from collections import deque

import cbor2

MAX_FAST = 10_000  # items waiting in the fast lane
MAX_BULK = 20_000  # events waiting in the bulk lane
PAGE = 128  # bulk events sent as one item (a CBOR array), between fast items


class Lanes:
    def __init__(self) -> None:
        self._fast: deque[object] = deque()
        self._bulk: deque[bytes] = deque()
        self.dropped = 0

    def __bool__(self) -> bool:
        return bool(self._fast or self._bulk)

    def put(self, items: list, bulk: bool) -> None:
        lane, bound = (self._bulk, MAX_BULK) if bulk else (self._fast, MAX_FAST)
        room = max(0, bound - len(lane))
        lane.extend(items[:room])
        self.dropped += len(items) - min(room, len(items))

    def take(self) -> bytes:
        """The next chunk of the stream: every fast item, then at most a page of bulk."""
        chunk = b"".join(cbor2.dumps(self._fast.popleft()) for _ in range(len(self._fast)))
        if self._bulk:
            page = [self._bulk.popleft() for _ in range(min(PAGE, len(self._bulk)))]
            chunk += cbor2.dumps(page)
        return chunk
