"""Which blobs a commons refers to, so that a node serves a blob only through a commons that
names it (a commons cannot be used to reach the blobs of another one held here)."""

import threading
from collections import OrderedDict
from typing import Any

from ..home.folder import Home


class References:
    """Blobs a commons refers to (artifacts, their history, contributions, receipts, photos of
    items), with a media type and a path for each: made by one scan of the records, kept while
    the heads stay."""

    def __init__(self, home: Home, size: int = 16):
        self.home = home
        self.size = size
        self._cache: OrderedDict[bytes, tuple[tuple[bytes, ...], dict]] = OrderedDict()
        self._guard = threading.Lock()  # the cache, shared by the threads serving pages

    def find(self, commons: bytes, blob: bytes) -> dict[str, str] | None:
        """Called under the node's lock (the store is read)."""
        home = self.home
        cid = home.cid(commons)
        heads = tuple(home.store.heads(cid))
        with self._guard:
            cached = self._cache.get(commons)
        if cached is None or cached[0] != heads:
            cached = (heads, self._index(cid))
        with self._guard:
            self._cache[commons] = cached
            self._cache.move_to_end(commons)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        found = cached[1].get(blob)
        if found is None:
            return None
        if not found["media"] and home.blobs.has(blob):
            found["media"] = home.blobs.info(blob, name=found["path"]).media
        return found

    def _index(self, cid: int) -> dict[bytes, dict]:
        index: dict[bytes, dict] = {}

        def note(blob: Any, path: str, recorded: str = "") -> None:
            if not isinstance(blob, bytes):
                return
            known = index.get(blob)
            if known is None:
                index[blob] = {"path": path, "media": recorded or ""}
            elif recorded and not known["media"]:
                known["media"] = recorded

        store = self.home.store
        for key, record in store.scan_records(cid, "artifact/"):
            note(record.get("blob"), key[len("artifact/") :], record.get("media", ""))
        for _, record in store.scan_records(cid, "contribution/"):
            for revision in record.get("revisions") or []:
                for change in revision.get("changes") or []:
                    note(change.get("blob"), change.get("path", ""), change.get("media", ""))
                    note(change.get("base"), change.get("path", ""))
            for applied in record.get("applied") or []:
                note(applied.get("before"), applied.get("path", ""), applied.get("before_media"))
                note(applied.get("after"), applied.get("path", ""))
        for key, entry in store.scan_records(cid, "history/"):
            path = key[len("history/") :].rsplit("//", 1)[0]
            note(entry.get("before"), path)
            note(entry.get("after"), path)
        for _, record in store.scan_records(cid, "expense/"):
            note(record.get("receipt"), "receipt")
        for _, record in store.scan_records(cid, "item/"):  # a library's photos
            for photo in record.get("photos") or ():
                note(photo, "photo")
        return index
