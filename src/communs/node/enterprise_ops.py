"""The Service's door to enterprises (``domain/enterprises.py``): who builds on a commons,
what they pledged, what they gave (reciprocity payments and credited work) and whether they
are behind, and an enterprise registered."""

from datetime import UTC, datetime
from typing import Any

from ..core.errors import NotFound
from ..domain.credit import credit_key
from ..domain.enterprises import balance, enterprise_key, reciprocity_terms
from ..domain.refusals import code, fault
from .home.folder import Actor
from .treasury_ops import minor_units

NOT_AN_ENTERPRISE = code(
    "not_an_enterprise",
    "this identity has not registered as an enterprise of this commons: "
    "communs enterprise register COMMONS --name NAME --legal-form FORM",
)


class EnterpriseOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``_commons`` and ``_me``)."""

    home: Any
    lock: Any
    _commons: Any
    _me: Any

    def enterprises(self, ref: str, month: str | None = None) -> dict[str, Any]:
        """The enterprises of a commons, each with its pledge, what it gave, its balance at
        ``month`` (default: this month) and the credit its own work earned."""
        now = month or datetime.now(UTC).strftime("%Y-%m")
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            cid = home.cid(commons)
            found = list(home.store.scan_records(cid, "enterprise/"))
            dids = [key.split("/", 1)[1] for key, _ in found]
            credit = home.store.get_records(cid, [credit_key(did) for did in dids])
            charter = home.state(commons).get("charter") or {}
        free, asked, per_point = reciprocity_terms(charter)
        points = {did: (credit.get(credit_key(did)) or {}).get("points", 0) for did in dids}
        listed = [
            {
                "did": did,
                **record,
                **balance(record, free, asked, now, points[did] * per_point),
                "credit": points[did],
            }
            for did, (_, record) in zip(dids, found, strict=True)
        ]
        listed.sort(key=lambda e: (-e["behind"], e["name"].casefold()))
        return {
            "enterprises": listed,
            "free": free,
            "asked": asked,
            "per_point": per_point,
            "currency": charter.get("reciprocity_currency", "EUR"),
            "month": now,
        }

    def enterprise_register(
        self,
        actor: Actor,
        ref: str,
        name: str,
        legal_form: str,
        builds: str = "",
        pledge: str | int = 0,
    ) -> dict[str, Any]:
        """Register the acting identity as an enterprise building on the commons, with its
        monthly pledge (as written, in the charter's reciprocity currency)."""
        with self.lock:
            commons = self._commons(ref)
            currency = (self.home.state(commons).get("charter") or {}).get(
                "reciprocity_currency", "EUR"
            )
            amount = minor_units(pledge, currency) if str(pledge).strip() not in ("", "0") else 0
            body = {"name": name, "builds": builds, "legal_form": legal_form, "pledge": amount}
            event = self.home.emit(self._me(actor), commons, "enterprise.register", body)
        return {"id": event.hex()}

    def enterprise_pledge(self, actor: Actor, ref: str, pledge: str | int) -> dict[str, Any]:
        """Change the acting enterprise's monthly pledge (registered again, as itself)."""
        with self.lock:
            commons = self._commons(ref)
            me = self._me(actor).did
            record = self.home.state(commons).get(enterprise_key(me))
        if record is None:
            raise fault(NotFound, NOT_AN_ENTERPRISE)
        return self.enterprise_register(
            actor, ref, record["name"], record["legal_form"], record["builds"], pledge
        )
