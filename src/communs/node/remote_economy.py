"""The economy's operations of ``HttpService``: the same methods as ``CreditOps``,
``TreasuryOps``, ``DistributionOps``, ``EnterpriseOps`` and ``PersonalOps`` on the
``Service``, over a running node's HTTP API."""

import base64
import json
from typing import Any
from urllib.parse import quote

from .home.folder import Actor


class HttpEconomyOps:
    """Mixed into ``HttpService`` (which provides ``_get`` and ``_post``)."""

    _get: Any
    _post: Any

    # credit
    def credit(self, ref: str, month: str | None = None) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/credit", month=month)

    def credit_of(self, ref: str, person: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/credit/{quote(person, safe='')}")

    def assess(self, actor: Actor, ref: str, contribution: str, size: int) -> dict[str, Any]:
        body = {"contribution": contribution, "size": size}
        return self._post(f"/api/commons/{ref}/credit/assess", body, actor)

    # treasury
    def treasury(self, ref: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/treasury")

    def ledger_export(self, ref: str, format: str = "beancount") -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/ledger/export", format=format)

    def expense(self, ref: str, expense: str) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/expenses/{expense}")

    def ledger_record(
        self,
        actor: Actor,
        ref: str,
        kind: str,
        amount: str | int,
        currency: str,
        date: str,
        source: str = "",
        reference: str = "",
        enterprise: str | None = None,
        account: str = "assets:bank",
    ) -> dict[str, Any]:
        body = {
            "kind": kind,
            "amount": str(amount),
            "currency": currency,
            "date": date,
            "source": source,
            "reference": reference,
            "enterprise": enterprise,
            "account": account,
        }
        return self._post(f"/api/commons/{ref}/ledger", body, actor)

    def expense_file(
        self,
        actor: Actor,
        ref: str,
        title: str,
        amount: str | int,
        currency: str,
        category: str,
        date: str,
        description: str = "",
        receipt: str | None = None,
    ) -> dict[str, Any]:
        body = {
            "title": title,
            "amount": str(amount),
            "currency": currency,
            "category": category,
            "date": date,
            "description": description,
            "receipt": receipt,
        }
        return self._post(f"/api/commons/{ref}/expenses", body, actor)

    def expense_act(
        self, actor: Actor, ref: str, expense: str, action: str, **fields: Any
    ) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/expenses/{expense}/{action}", fields, actor)

    # distribution rounds
    def distributions(self, ref: str) -> list[dict[str, Any]]:
        return self._get(f"/api/commons/{ref}/distributions")

    def distribution_preview(
        self,
        ref: str,
        budget: str | int,
        currency: str,
        policy: dict[str, Any] | str = "proportional",
        month: str | None = None,
    ) -> dict[str, Any]:
        shown = policy if isinstance(policy, str) else json.dumps(policy)
        return self._get(
            f"/api/commons/{ref}/distributions/preview",
            budget=str(budget),
            currency=currency,
            policy=shown,
            month=month,
        )

    def distribution_propose(
        self,
        actor: Actor,
        ref: str,
        title: str,
        budget: str | int,
        currency: str,
        policy: dict[str, Any] | str = "proportional",
        month: str | None = None,
    ) -> dict[str, Any]:
        body = {
            "title": title,
            "budget": str(budget),
            "currency": currency,
            "policy": policy,
            "month": month,
        }
        return self._post(f"/api/commons/{ref}/distributions", body, actor)

    def distribution_waive(
        self, actor: Actor, ref: str, round: str, to: str | None = None
    ) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/distributions/{round}/waive", {"to": to}, actor)

    def ledger_payout(
        self,
        actor: Actor,
        ref: str,
        person: str,
        amount: str | int,
        currency: str,
        date: str,
        reference: str = "",
    ) -> dict[str, Any]:
        body = {
            "person": person,
            "amount": str(amount),
            "currency": currency,
            "date": date,
            "reference": reference,
        }
        return self._post(f"/api/commons/{ref}/payouts", body, actor)

    def distribution_settle(
        self, actor: Actor, ref: str, round: str, date: str, reference: str = ""
    ) -> dict[str, Any]:
        body = {"date": date, "reference": reference}
        return self._post(f"/api/commons/{ref}/distributions/{round}/settle", body, actor)

    def enterprise_pledge(self, actor: Actor, ref: str, pledge: str | int) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/enterprises/pledge", {"pledge": str(pledge)}, actor)

    # enterprises
    def enterprises(self, ref: str, month: str | None = None) -> dict[str, Any]:
        return self._get(f"/api/commons/{ref}/enterprises", month=month)

    def enterprise_register(
        self,
        actor: Actor,
        ref: str,
        name: str,
        legal_form: str,
        builds: str = "",
        pledge: str | int = 0,
    ) -> dict[str, Any]:
        body = {"name": name, "legal_form": legal_form, "builds": builds, "pledge": str(pledge)}
        return self._post(f"/api/commons/{ref}/enterprises", body, actor)

    # personal data (never public: even reads are POSTs with the token)
    def personal(self, actor: Actor, ref: str, person: str | None = None) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/personal/read", {"person": person}, actor)

    def personal_set(self, actor: Actor, ref: str, fields: dict[str, str]) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/personal", {"fields": fields}, actor)

    def personal_erase(self, actor: Actor, ref: str) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/personal/erase", {}, actor)

    def personal_export(self, actor: Actor) -> dict[str, Any]:
        return self._post("/api/personal/export", {}, actor)

    def payees(self, actor: Actor, ref: str) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/payees/read", {}, actor)

    # bank statements
    def statement_read(
        self,
        actor: Actor,
        ref: str,
        data: bytes,
        format: str = "ofx",
        mapping: dict[str, str] | None = None,
        currency: str = "EUR",
    ) -> dict[str, Any]:
        body = {
            "data": base64.b64encode(data).decode(),
            "format": format,
            "mapping": mapping or {},
            "currency": currency,
        }
        return self._post(f"/api/commons/{ref}/statements/read", body, actor)

    def statement_confirm(
        self, actor: Actor, ref: str, actions: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return self._post(f"/api/commons/{ref}/statements/confirm", {"actions": actions}, actor)
