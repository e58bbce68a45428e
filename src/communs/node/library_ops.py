"""The Service's door to a lending library's catalogue (``domain/library.py``): its items,
filtered by category and status, one item, and a steward's steps — an item added, edited,
its status changed. Amounts come as people write them ("120.00"), in the charter's currency;
photos are files added to this node (their hashes)."""

from typing import Any

from ..core.errors import BadInput
from ..domain.library import FIELDS, item_key
from ..domain.refusals import code, fault
from .actions.taskops import record_id
from .home.folder import Actor
from .reads import queries
from .treasury_ops import minor_units

NO_SUCH_ITEM_FIELD = code("no_item_field", "an item has no field '{field}': one of {fields}")
MONEY = ("value", "deposit")


class LibraryOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``_commons`` and ``_me``)."""

    home: Any
    lock: Any
    _commons: Any
    _me: Any

    def items(
        self, ref: str, category: str | None = None, status: str | None = None
    ) -> dict[str, Any]:
        """The catalogue: every item (newest first), or those of a category or status."""
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            cid = home.cid(commons)
            found = home.store.scan_records(cid, "item/")
            currency = (home.state(commons).get("charter") or {}).get("reciprocity_currency")
        listed = [
            {"id": key.split("/", 1)[1], **queries.hexed(record)}
            for key, record in found
            if (category is None or record["category"] == category)
            and (status is None or record["status"] == status)
        ]
        listed.sort(key=lambda item: item["order"], reverse=True)
        return {"commons": commons.hex(), "currency": currency or "EUR", "items": listed}

    def item(self, ref: str, item: str) -> dict[str, Any]:
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            iid = record_id(home, commons, "item/", item, "item")
            cid = home.cid(commons)
            record = home.store.get_records(cid, [item_key(iid)])[item_key(iid)]
            known = queries.names(home, cid)
            currency = (home.state(commons).get("charter") or {}).get("reciprocity_currency")
        return {
            "id": iid.hex(),
            **queries.hexed(record),
            "by_name": known.get(record["by"]),
            "currency": currency or "EUR",
        }

    def _item_body(self, commons: bytes, fields: dict[str, Any]) -> dict[str, Any]:
        currency = (self.home.state(commons).get("charter") or {}).get(
            "reciprocity_currency", "EUR"
        )
        body: dict[str, Any] = {}
        for field, value in fields.items():
            if field not in FIELDS:
                raise fault(BadInput, NO_SUCH_ITEM_FIELD, field=field, fields=", ".join(FIELDS))
            if value is None:
                continue
            if field in MONEY:
                text = str(value).strip()
                value = minor_units(text, currency) if text not in ("", "0") else 0
            elif field == "photos":
                from .files.blobs import blob_hash

                value = [blob_hash(str(photo)) for photo in value]
            elif field == "loan_days":
                value = int(value)
            body[field] = value
        return body

    def item_add(self, actor: Actor, ref: str, **fields: Any) -> dict[str, Any]:
        """Add an item to the catalogue (a steward: a maintainer of the library)."""
        with self.lock:
            commons = self._commons(ref)
            body = self._item_body(commons, fields)
            event = self.home.emit(self._me(actor), commons, "library.item", body)
        return {"id": event.hex()}

    def item_edit(self, actor: Actor, ref: str, item: str, **fields: Any) -> dict[str, Any]:
        """Change some fields of an item (the others stay as they are)."""
        with self.lock:
            commons = self._commons(ref)
            iid = record_id(self.home, commons, "item/", item, "item")
            record = self.home.state(commons).get(item_key(iid))
            kept = {f: record[f] for f in FIELDS}
            body = {**kept, **self._item_body(commons, fields), "item": iid}
            event = self.home.emit(self._me(actor), commons, "library.edit", body)
        return {"id": event.hex(), "item": iid.hex()}

    def item_status(
        self, actor: Actor, ref: str, item: str, status: str, note: str = ""
    ) -> dict[str, Any]:
        with self.lock:
            commons = self._commons(ref)
            iid = record_id(self.home, commons, "item/", item, "item")
            body = {"item": iid, "status": status, "note": note}
            event = self.home.emit(self._me(actor), commons, "library.status", body)
        return {"id": event.hex(), "item": iid.hex()}
