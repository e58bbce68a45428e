"""The HTTP twins of the Service's library steps (``library_ops.py``), for ``HttpService``."""

from typing import Any

from .home.folder import Actor


class HttpLibraryOps:
    _get: Any
    _post: Any

    def items(
        self, ref: str, category: str | None = None, status: str | None = None
    ) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/items", category=category, status=status)

    def item(self, ref: str, item: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/items/{item}")

    def item_add(self, actor: Actor, ref: str, **fields: Any) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/items", _sent(fields), actor)

    def item_edit(self, actor: Actor, ref: str, item: str, **fields: Any) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/items/{item}", _sent(fields), actor)

    def item_status(
        self, actor: Actor, ref: str, item: str, status: str, note: str = ""
    ) -> dict[str, Any]:
        body = {"status": status, "note": note}
        return self._post(f"/api/commons/{ref}/items/{item}/status", body, actor)

    def library_join(self, actor: Actor, ref: str) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/members", {}, actor)

    def library_members(self, actor: Actor | None, ref: str) -> dict[str, Any]:
        if actor is None:  # anyone: the members by name
            return self._get(f"/api/commons/{ref}/members")
        return self._post(f"/api/commons/{ref}/members/read", {}, actor)

    def library_membership(self, ref: str, person: str | None) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/members/count", person=person)


def _sent(fields: dict[str, Any]) -> dict[str, Any]:
    """Amounts as written travel as text, as the API takes them."""
    return {k: (str(v) if k in ("value", "deposit") else v) for k, v in fields.items()}
