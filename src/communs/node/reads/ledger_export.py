"""The treasury's journal as files an accountant opens: Beancount text (checked with
``bean-check`` in the tests; Communs never imports Beancount, which is GPL-2.0) and CSV, one
row per posting. Both come from the same journal records, in fold order."""

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from ...domain.treasury import digits

KINDS = {
    "assets": "Assets",
    "liabilities": "Liabilities",
    "income": "Income",
    "expenses": "Expenses",
    "equity": "Equity",
}


def account_name(account: str) -> str:
    """``liabilities:payable:did:key:z6Mk…`` as Beancount names accounts:
    ``Liabilities:Payable:Z6Mk…`` (each part a capital, then letters, digits or dashes)."""
    kind, _, rest = account.partition(":")
    if rest.startswith("payable:did:key:"):
        rest = "payable:" + rest.removeprefix("payable:did:key:")
    parts = [KINDS.get(kind, "Equity")]
    for part in rest.split(":"):
        cleaned = re.sub(r"[^A-Za-z0-9-]", "-", part) or "X"
        parts.append(cleaned[0].upper() + cleaned[1:])
    return ":".join(parts)


def decimal(amount: int, currency: str) -> str:
    places = digits(currency)
    sign, whole = ("-" if amount < 0 else ""), abs(amount)
    if not places:
        return f"{sign}{whole}"
    return f"{sign}{whole // 10**places}.{whole % 10**places:0{places}d}"


def _quoted(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def beancount(title: str, entries: list[dict[str, Any]], names: dict[str, str]) -> str:
    """The journal as a Beancount file: every account opened on the first entry's date."""
    out = io.StringIO()
    out.write(f'option "title" {_quoted(title)}\n')
    currencies = sorted({e["currency"] for e in entries})
    for currency in currencies:
        out.write(f'option "operating_currency" {_quoted(currency)}\n')
    accounts = sorted({account_name(a) for e in entries for a, _ in e["postings"]})
    first = min((e["date"] for e in entries), default="2000-01-01")
    out.write("\n")
    for account in accounts:
        out.write(f"{first} open {account}\n")
    for entry in entries:
        who = entry.get("source") or names.get(entry.get("person") or "", "")
        what = entry.get("title") or entry.get("reference") or entry["kind"]
        out.write(f"\n{entry['date']} * {_quoted(who)} {_quoted(what)}\n")
        out.write(f"  communs-kind: {_quoted(entry['kind'])}\n")
        if entry.get("reference"):
            out.write(f"  reference: {_quoted(entry['reference'])}\n")
        for account, amount in entry["postings"]:
            value = decimal(amount, entry["currency"])
            out.write(f"  {account_name(account):<48} {value:>14} {entry['currency']}\n")
    return out.getvalue()


def csv_text(entries: Iterable[dict[str, Any]]) -> str:
    """One row per posting: date, kind, account, amount, currency, source, reference,
    title, and the event that made it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["date", "kind", "account", "amount", "currency", "source", "reference", "title", "event"]
    )
    for entry in entries:
        for account, amount in entry["postings"]:
            writer.writerow(
                [
                    entry["date"],
                    entry["kind"],
                    account,
                    decimal(amount, entry["currency"]),
                    entry["currency"],
                    entry.get("source") or "",
                    entry.get("reference") or "",
                    entry.get("title") or "",
                    entry["event"],
                ]
            )
    return out.getvalue()


VALUEFLOWS_CONTEXT = {
    "vf": "https://w3id.org/valueflows#",
    "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def _moment(ms: int) -> str:
    from datetime import UTC, datetime, timedelta

    try:
        return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)).isoformat()
    except OverflowError:
        return "9999-12-31T00:00:00+00:00"


def valueflows(
    commons: str, credit: Iterable[tuple[str, dict[str, Any]]], entries: Iterable[dict[str, Any]]
) -> dict[str, Any]:
    """The economy as Valueflows economic events (JSON-LD): accepted work as ``work`` (its
    credit points as the effort), money that came in, went out or was paid out as
    ``transfer``."""
    us = f"urn:communs:commons:{commons}"
    graph: list[dict[str, Any]] = []
    for did, entry in credit:
        if entry["status"] != "earned":
            continue
        on = "task" if entry["kind"] == "task" else "contribution"
        graph.append(
            {
                "@id": f"urn:communs:credit:{did}:{entry['kind']}:{entry['ref']}",
                "@type": "vf:EconomicEvent",
                "vf:action": {"@id": "vf:work"},
                "vf:provider": {"@id": did},
                "vf:receiver": {"@id": us},
                "vf:resourceInventoriedAs": {"@id": f"urn:communs:{on}:{entry['ref']}"},
                "vf:effortQuantity": {
                    "om2:hasNumericalValue": entry["points"],
                    "om2:hasUnit": "credit point",
                },
                "vf:note": entry["kind"],
                "vf:hasPointInTime": {"@value": _moment(entry["at"]), "@type": "xsd:dateTime"},
            }
        )
    for entry in entries:
        moved = sum(amount for account, amount in entry["postings"] if amount > 0)
        outside = entry.get("source") or "anonymous"
        person = entry.get("person")
        coming_in = entry["kind"] in ("donation", "reciprocity", "grant", "other")
        provider = {"foaf:name": outside} if coming_in else {"@id": us}
        receiver: dict[str, Any] = {"@id": us} if coming_in else {"@id": person or us}
        graph.append(
            {
                "@id": f"urn:communs:event:{entry['event']}",
                "@type": "vf:EconomicEvent",
                "vf:action": {"@id": "vf:transfer"},
                "vf:provider": provider,
                "vf:receiver": receiver,
                "vf:resourceQuantity": {
                    "om2:hasNumericalValue": decimal(moved, entry["currency"]),
                    "om2:hasUnit": entry["currency"],
                },
                "vf:note": entry["kind"] + (f": {entry['title']}" if entry.get("title") else ""),
                "vf:hasPointInTime": {"@value": entry["date"], "@type": "xsd:date"},
            }
        )
    return {"@context": VALUEFLOWS_CONTEXT, "@graph": graph}
