"""The Service's door to a lending library's catalogue (``domain/library.py``): its items,
filtered by category and status, one item, and a steward's steps — an item added, edited,
its status changed. Amounts come as people write them ("120.00"), in the charter's currency;
photos are files added to this node (their hashes)."""

from typing import Any

from ..core.errors import BadInput
from ..domain.library import FIELDS, agreement_hash, item_key, member_key
from ..domain.refusals import code, fault
from ..domain.treasury import treasurers
from .actions.taskops import record_id
from .home.folder import Actor
from .reads import queries
from .treasury_ops import minor_units

CONTACT = ("legal_name", "phone", "email", "address")  # what stewards see of a member
NO_SUCH_ITEM_FIELD = code("no_item_field", "an item has no field '{field}': one of {fields}")
MONEY = ("value", "deposit")


class LibraryOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``_commons`` and ``_me``)."""

    home: Any
    lock: Any
    local: Any
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

    def library_join(self, actor: Actor, ref: str) -> dict[str, Any]:
        """Join the library, agreeing to its member agreement as it stands now."""
        with self.lock:
            commons = self._commons(ref)
            signed = agreement_hash(self.home.state(commons).get("charter") or {})
            event = self.home.emit(self._me(actor), commons, "library.join", {"agreement": signed})
        return {"id": event.hex()}

    def library_members(self, actor: Actor | None, ref: str) -> dict[str, Any]:
        """The members, by name, since when and whether they agreed to the agreement as it
        stands; with ``contact`` — their details from this node's private store, each read
        noted for them — when ``actor`` is a steward (who keeps the personal data)."""
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            cid = home.cid(commons)
            state = home.state(commons)
            current = agreement_hash(state.get("charter") or {})
            stewards = treasurers(state)  # the keepers of personal data (none named: maintainers)
            found = list(home.store.scan_records(cid, "member/"))
            known = queries.names(home, cid)
        me = self._me(actor).did if actor is not None else None
        people = [key.split("/", 1)[1] for key, _ in found]
        held: dict[str, Any] = {}
        if me is not None and me in stewards:
            held = self.local.personal_get(commons, people)
            for person in held.keys() - {me}:
                self.local.personal_read(commons, person, me)
        members = [
            {
                "did": did,
                "name": known.get(did),
                "since": record["since"],
                "agreed": record["agreed"] == current,
                "contact": {
                    k: v for k, v in (held.get(did) or {}).get("fields", {}).items() if k in CONTACT
                },
            }
            for did, (_, record) in zip(people, found, strict=True)
        ]
        members.sort(key=lambda m: (m["name"] or m["did"]).casefold())
        return {
            "commons": commons.hex(),
            "members": members,
            "steward": me is not None and me in stewards,
            "yours": next((m for m in members if m["did"] == me), None),
        }

    def library_membership(self, ref: str, person: str | None) -> dict[str, Any]:
        """How many members the library has, and ``person``'s membership (None: not one):
        one count and one read, whatever the number of members."""
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            cid = home.cid(commons)
            count = home.store.count_records(cid, "member/")
            state = home.state(commons)
            record = state.get(member_key(person)) if person else None
            current = agreement_hash(state.get("charter") or {})
        mine = None
        if record is not None:
            mine = {"since": record["since"], "agreed": record["agreed"] == current}
        return {"count": count, "yours": mine}
