"""The Service's door to the treasury (``domain/treasury.py``): the balances and the journal
of a commons, its expenses, and the steps that record income and take an expense from filed
to acknowledged. Amounts come in as people write them ("50.00") and are kept in minor units.

Each read is a scan of one prefix of the fold's records: the balances (one per account and
currency), the latest journal entries and expenses, chosen by key or by time in SQL."""

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ..core.errors import BadInput, NotFound
from ..domain.distribution import COMMONS_PAYEE
from ..domain.refusals import code, fault
from ..domain.treasury import PAYABLE, digits, expense_key, treasurers
from .actions.taskops import record_id
from .home.folder import Actor
from .reads import ledger_export, queries
from .reads.mentions import account_did, person_named

NOT_AN_AMOUNT = code(
    "not_an_amount",
    "'{amount}' is not an amount of {currency}: write it with at most {places} decimals, "
    "e.g. 12.50",
)
NOT_A_CURRENCY = code(
    "not_a_currency", "'{currency}' is not a currency code: three capital letters, e.g. EUR"
)
UNKNOWN_EXPENSE_ACTION = code(
    "unknown_expense_action", "unknown expense action '{action}': one of {actions}"
)
CHOOSE_RECEIPT = code("choose_receipt", "choose the receipt's file: a photo or a PDF")
EXPORTS = ("beancount", "csv", "valueflows")
NOT_AN_EXPORT = code("not_an_export", "no export '{format}': one of {formats}")
LATEST = 50  # journal entries and expenses a page shows
CURRENCY = re.compile(r"^[A-Z]{3}$")
EXPENSE_ACTIONS = ("attach", "approve", "reject", "pay", "acknowledge")


def minor_units(amount: str | int, currency: str) -> int:
    """An amount as people write it ("50", "50.00", "1 250,5") in whole minor units."""
    currency = currency.strip().upper()
    if not CURRENCY.match(currency):
        raise fault(BadInput, NOT_A_CURRENCY, currency=currency)
    places = digits(currency)
    text = str(amount).strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    scaled = value * (10**places) if value.is_finite() else value
    if not value.is_finite() or scaled != scaled.to_integral_value() or value <= 0:
        raise fault(BadInput, NOT_AN_AMOUNT, amount=str(amount), currency=currency, places=places)
    return int(scaled)


def owed_by_payee(store: Any, cid: int) -> dict[str, dict[str, int]]:
    """Everyone the treasury owes (people, and commons given shares), by currency: one scan
    of the balances."""
    owed: dict[str, dict[str, int]] = {}
    for key, value in store.scan_records(cid, "balance/"):
        _, currency, account = key.split("/", 2)
        if account.startswith(PAYABLE) and value < 0:
            owed.setdefault(account[len(PAYABLE) :], {})[currency] = -value
    return owed


def payee_name(home: Any, known: dict[str, str], payee: str) -> str | None:
    """Who the treasury owes, by name: a person's, or a commons' (a share given to it) when
    this node holds it."""
    if not payee.startswith(COMMONS_PAYEE):
        return known.get(payee)
    try:
        cid = bytes.fromhex(payee.removeprefix(COMMONS_PAYEE))
        return (home.state(cid).get("charter") or {}).get("name")
    except (ValueError, NotFound):
        return None


class TreasuryOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``_commons`` and ``_me``)."""

    home: Any
    lock: Any
    _commons: Any
    _me: Any

    def treasury(self, ref: str) -> dict[str, Any]:
        """The balances of a commons by currency and account, its latest journal entries
        (by date, newest first), its latest expenses, and who keeps it."""
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            cid = home.cid(commons)
            known = queries.names(home, cid)
            balances: dict[str, dict[str, int]] = {}
            for key, value in home.store.scan_records(cid, "balance/"):
                _, currency, account = key.split("/", 2)
                balances.setdefault(currency, {})[account] = value
            entries = list(home.store.scan_records(cid, "journal/", last=LATEST))
            expenses = home.store.scan_records(cid, "expense/", newest=LATEST)
            listed = [
                {"id": key.split("/", 1)[1], **queries.hexed(record)} for key, record in expenses
            ]
            keepers = treasurers(home.state(commons))
            owed = {
                account[len(PAYABLE) :]
                for accounts in balances.values()
                for account in accounts
                if account.startswith(PAYABLE)
            }
            names = {payee: payee_name(home, known, payee) for payee in owed}
            months: dict[str, dict[str, dict[str, int]]] = {}
            for key, value in home.store.scan_records(cid, "treasury-month/"):
                _, month, currency = key.split("/")
                months.setdefault(currency, {})[month] = value
        listed.sort(key=lambda e: -e["time"])
        journal = [{"key": key, **queries.hexed(value)} for key, value in entries]
        # the latest entries recorded, read by their dates (an entry may be recorded late)
        journal.sort(key=lambda e: (e["date"], e["key"]), reverse=True)
        for entry in journal:
            entry["by_name"] = known.get(entry["by"])
        for expense in listed:
            expense["by_name"] = known.get(expense["by"])
        return {
            "commons": {"id": commons.hex()},
            "names": names,
            "balances": balances,
            "journal": journal,
            "months": months,
            "expenses": listed,
            "treasurers": [{"did": did, "name": known.get(did)} for did in keepers],
        }

    def ledger_export(self, ref: str, format: str = "beancount") -> dict[str, Any]:
        """The whole journal as a file: ``beancount`` (for ``bean-check`` and Fava), ``csv``
        (one row per posting) or ``valueflows`` (JSON-LD economic events, credit included)."""
        if format not in EXPORTS:
            raise fault(BadInput, NOT_AN_EXPORT, format=format, formats=EXPORTS)
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            cid = home.cid(commons)
            entries = [queries.hexed(v) for _, v in home.store.scan_records(cid, "journal/")]
            known = queries.names(home, cid)
            title = (home.state(commons).get("charter") or {}).get("name") or commons.hex()
            credit = []
            if format == "valueflows":
                credit = [
                    (key.split("/")[1], queries.hexed(v))
                    for key, v in home.store.scan_records(cid, "credit-entry/")
                ]
        if format == "valueflows":
            document = ledger_export.valueflows(commons.hex(), credit, entries)
            return {"format": format, "text": json.dumps(document, ensure_ascii=False, indent=1)}
        if format == "csv":
            return {"format": format, "text": ledger_export.csv_text(entries)}
        return {"format": format, "text": ledger_export.beancount(title, entries, known)}

    def expense(self, ref: str, expense: str) -> dict[str, Any]:
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            eid = self._expense(commons, expense)
            cid = home.cid(commons)
            record = home.store.get_records(cid, [expense_key(eid)])[expense_key(eid)]
            known = queries.names(home, cid)
            keepers = treasurers(home.state(commons))
        people = {
            did: known.get(did) for did in {record["by"], *(h["by"] for h in record["history"])}
        }
        return {
            "id": eid.hex(),
            **queries.hexed(record),
            "people": people,
            "treasurers": keepers,
        }

    def _expense(self, commons: bytes, ref: str) -> bytes:
        return record_id(self.home, commons, "expense/", ref, "expense")

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
        """Record income (a treasurer): ``amount`` as people write it, in ``currency``."""
        minor = minor_units(amount, currency)
        with self.lock:
            commons = self._commons(ref)
            body: dict[str, Any] = {
                "kind": kind,
                "amount": minor,
                "currency": currency.strip().upper(),
                "date": date,
                "account": account,
                "source": source,
                "reference": reference,
            }
            if enterprise:  # the enterprise's own name, or the name of who acts for it
                cid = self.home.cid(commons)
                named = {
                    record["name"].casefold(): key.split("/", 1)[1]
                    for key, record in self.home.store.scan_records(cid, "enterprise/")
                }
                known = queries.names(self.home, cid)
                body["enterprise"] = named.get(enterprise.strip().casefold()) or person_named(
                    enterprise, known, lambda n: account_did(self.home, n)
                )
            event = self.home.emit(self._me(actor), commons, "ledger.record", body)
        return {"id": event.hex()}

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
        """File an expense (anyone); ``receipt``: the hash of a file added to this node."""
        minor = minor_units(amount, currency)
        body: dict[str, Any] = {
            "title": title,
            "description": description,
            "amount": minor,
            "currency": currency.strip().upper(),
            "category": category,
            "date": date,
        }
        if receipt:
            body["receipt"] = self._receipt(receipt)
        with self.lock:
            event = self.home.emit(self._me(actor), self._commons(ref), "expense.file", body)
        return {"id": event.hex()}

    def expense_act(
        self, actor: Actor, ref: str, expense: str, action: str, **fields: Any
    ) -> dict[str, Any]:
        """attach (receipt), approve, reject (reason), pay (date, reference, account) and
        acknowledge an expense."""
        if action not in EXPENSE_ACTIONS:
            raise fault(BadInput, UNKNOWN_EXPENSE_ACTION, action=action, actions=EXPENSE_ACTIONS)
        body = {k: v for k, v in fields.items() if v not in (None, "")}
        if action == "attach":
            if not body.get("receipt"):
                raise fault(BadInput, CHOOSE_RECEIPT)
            body["receipt"] = self._receipt(str(body["receipt"]))
        with self.lock:
            commons = self._commons(ref)
            eid = self._expense(commons, expense)
            event = self.home.emit(
                self._me(actor), commons, f"expense.{action}", {"expense": eid, **body}
            )
            state = self.home.state(commons).get(expense_key(eid))["state"]
        return {"id": event.hex(), "expense": eid.hex(), "state": state}

    def _receipt(self, blob: str) -> bytes:
        from .files.blobs import blob_hash

        return blob_hash(blob)
