"""The treasury on the node's HTTP face: balances, journal and expenses of a commons; income
recorded; an expense filed and taken through attach, approve, reject, pay and acknowledge.
Amounts are sent as people write them ("50.00") with their currency."""

import base64
import binascii
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import Field

from ..core.errors import BadInput
from ..domain.refusals import code, fault
from ..node import Service
from .bodies import Signed

NOT_BASE64 = code("not_base64", "the statement's data is not base64: encode the file's bytes")


class Income(Signed):
    kind: Literal["donation", "reciprocity", "grant", "other"]
    amount: str = Field(description='as written, e.g. "50.00"')
    currency: str = Field(description="ISO 4217, e.g. EUR")
    date: str = Field(description="YYYY-MM-DD: when the money came")
    source: str = Field("", description="the donor or funder; empty: anonymous")
    reference: str = ""
    enterprise: str | None = Field(None, description="an enterprise paying its reciprocity")
    account: Literal["assets:bank", "assets:cash"] = "assets:bank"


class NewExpense(Signed):
    title: str
    amount: str = Field(description='as written, e.g. "30.50"')
    currency: str
    category: str = Field(description="hosting, equipment, materials, travel, services, …")
    date: str = Field(description="YYYY-MM-DD: when it was spent")
    description: str = ""
    receipt: str | None = Field(None, description="the hash of the receipt's file")


class ExpenseStep(Signed):
    receipt: str | None = Field(None, description="attach: the receipt's file hash")
    reason: str | None = Field(None, description="reject: why")
    date: str | None = Field(None, description="pay: YYYY-MM-DD")
    reference: str | None = Field(None, description="pay: the bank's reference")


ExpenseVerb = Literal["attach", "approve", "reject", "pay", "acknowledge"]


class RoundBody(Signed):
    title: str
    budget: str = Field(description='as written, e.g. "500.00"')
    currency: str = "EUR"
    policy: dict[str, Any] | str = Field(
        "proportional", description="proportional, recent, balanced, or {name: buckets, …}"
    )
    month: str | None = Field(None, description="YYYY-MM; default: this month")


class Statement(Signed):
    data: str = Field(description="the bank statement's file, in base64")
    format: Literal["ofx", "csv"] = "ofx"
    mapping: dict[str, str] = Field(
        default_factory=dict,
        description="csv: the column of each role (date, amount or debit and credit, name, "
        "memo, reference, currency); roles not given are guessed from the header",
    )
    currency: str = Field("EUR", description="csv: the currency when no column says it")


class Confirmed(Signed):
    actions: list[dict[str, Any]] = Field(
        max_length=20_000, description="the proposed actions of a statement's lines to record"
    )


class Settle(Signed):
    date: str = Field(description="YYYY-MM-DD: when the transfers were made")
    reference: str = ""


class Pledge(Signed):
    pledge: str = Field(description='each month, as written, e.g. "30"')


class PayoutBody(Signed):
    person: str = Field(description="a name or a DID; or commons: and a commons' name or id")
    amount: str
    currency: str = "EUR"
    date: str
    reference: str = ""


class Waiver(Signed):
    to: str | None = Field(None, description="a commons to give the share to; none: back")


class Enterprise(Signed):
    name: str
    legal_form: Literal["company", "cooperative", "nonprofit", "sole_trader", "public", "other"]
    builds: str = Field("", description="what it builds on the commons")
    pledge: str = Field("0", description="each month, as written, in the charter's currency")


def add_treasury_routes(app: FastAPI, service: Service, writes: list[Any]) -> None:
    """Mount the treasury's routes; ``writes``: the dependencies of routes that write."""
    s, W = service, writes  # noqa: N806  (W, as in app.py)

    @app.get("/api/commons/{ref}/treasury")
    def treasury(ref: str) -> dict[str, Any]:
        """Balances by currency and account, the latest journal entries and expenses."""
        return s.treasury(ref)

    @app.post("/api/commons/{ref}/ledger", dependencies=W)
    def ledger_record(ref: str, body: Income) -> dict[str, Any]:
        return s.ledger_record(
            body.actor(),
            ref,
            body.kind,
            body.amount,
            body.currency,
            body.date,
            body.source,
            body.reference,
            body.enterprise,
            body.account,
        )

    @app.get("/api/commons/{ref}/distributions")
    def distributions(ref: str) -> list[dict[str, Any]]:
        """The latest distribution rounds, each with its shares (the preview of a vote)."""
        return s.distributions(ref)

    @app.get("/api/commons/{ref}/distributions/preview")
    def distribution_preview(
        ref: str,
        budget: str,
        currency: str = "EUR",
        policy: str = "proportional",
        month: str | None = None,
    ) -> dict[str, Any]:
        """What a budget would give each person by a policy, on today's credit."""
        return s.distribution_preview(ref, budget, currency, policy, month)

    @app.post("/api/commons/{ref}/distributions", dependencies=W)
    def distribution_propose(ref: str, body: RoundBody) -> dict[str, Any]:
        return s.distribution_propose(
            body.actor(), ref, body.title, body.budget, body.currency, body.policy, body.month
        )

    @app.post("/api/commons/{ref}/distributions/{round}/waive", dependencies=W)
    def distribution_waive(ref: str, round: str, body: Waiver) -> dict[str, Any]:
        return s.distribution_waive(body.actor(), ref, round, body.to)

    @app.post("/api/commons/{ref}/distributions/{round}/settle", dependencies=W)
    def distribution_settle(ref: str, round: str, body: Settle) -> dict[str, Any]:
        """Record every share of an approved round still owed as paid (a treasurer)."""
        return s.distribution_settle(body.actor(), ref, round, body.date, body.reference)

    @app.post("/api/commons/{ref}/enterprises/pledge", dependencies=W)
    def enterprise_pledge(ref: str, body: Pledge) -> dict[str, Any]:
        """Change the asking enterprise's monthly pledge."""
        return s.enterprise_pledge(body.actor(), ref, body.pledge)

    @app.post("/api/commons/{ref}/payouts", dependencies=W)
    def ledger_payout(ref: str, body: PayoutBody) -> dict[str, Any]:
        return s.ledger_payout(
            body.actor(), ref, body.person, body.amount, body.currency, body.date, body.reference
        )

    @app.post("/api/commons/{ref}/statements/read", dependencies=W)
    def statement_read(ref: str, body: Statement) -> dict[str, Any]:
        """A treasurer's bank statement, each line matched to what the treasury expects;
        nothing is written."""
        try:
            data = base64.b64decode(body.data, validate=True)
        except binascii.Error:
            raise fault(BadInput, NOT_BASE64) from None
        return s.statement_read(body.actor(), ref, data, body.format, body.mapping, body.currency)

    @app.post("/api/commons/{ref}/statements/confirm", dependencies=W)
    def statement_confirm(ref: str, body: Confirmed) -> dict[str, Any]:
        """Record the confirmed lines of a statement, each on its own."""
        return s.statement_confirm(body.actor(), ref, body.actions)

    @app.get("/api/commons/{ref}/enterprises")
    def enterprises(ref: str, month: str | None = None) -> dict[str, Any]:
        """Enterprises with their pledge, what they gave and whether they are behind."""
        return s.enterprises(ref, month)

    @app.post("/api/commons/{ref}/enterprises", dependencies=W)
    def enterprise_register(ref: str, body: Enterprise) -> dict[str, Any]:
        return s.enterprise_register(
            body.actor(), ref, body.name, body.legal_form, body.builds, body.pledge
        )

    @app.get("/api/commons/{ref}/ledger/export")
    def ledger_export(ref: str, format: str = "beancount") -> dict[str, Any]:
        """The whole journal as Beancount text or CSV (``text``)."""
        return s.ledger_export(ref, format)

    @app.get("/api/commons/{ref}/expenses/{expense}")
    def expense(ref: str, expense: str) -> dict[str, Any]:
        return s.expense(ref, expense)

    @app.post("/api/commons/{ref}/expenses", dependencies=W)
    def expense_file(ref: str, body: NewExpense) -> dict[str, Any]:
        return s.expense_file(
            body.actor(),
            ref,
            body.title,
            body.amount,
            body.currency,
            body.category,
            body.date,
            body.description,
            body.receipt,
        )

    @app.post("/api/commons/{ref}/expenses/{expense}/{action}", dependencies=W)
    def expense_act(
        ref: str, expense: str, action: ExpenseVerb, body: ExpenseStep
    ) -> dict[str, Any]:
        fields = body.model_dump(include={"receipt", "reason", "date", "reference"})
        return s.expense_act(body.actor(), ref, expense, action, **fields)
