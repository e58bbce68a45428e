"""Bank statements read for the treasury: an OFX file (parsed by ``ofxtools``) or a CSV file
with a column mapping, as plain lines; then each line matched to what the treasury expects —
an approved expense to pay, a person owed, an enterprise's reciprocity, a donation — or found
already recorded. Nothing here writes: the treasurer confirms what to record
(``statement_ops``).

A line's bank reference (OFX's FITID, or the CSV's reference column) becomes the entry's
reference, so a statement imported twice proposes nothing the second time."""

import csv
import io
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date as Date
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ofxtools.Parser import OFXTree

from ..core.errors import BadInput
from ..domain.refusals import code, fault
from ..domain.treasury import digits
from ..i18n import N_

FORMATS = ("ofx", "csv")
STATUSES = ("recorded", "proposed", "unknown")
BIGGEST = 5 * 1024 * 1024  # a year of a small association's statements is a few hundred kB
MOST_LINES = 20_000
NEAR_DAYS = 10  # income recorded by hand this close to a bank line is taken for it
COLUMNS = ("date", "amount", "debit", "credit", "name", "memo", "reference", "currency")
# a CSV's header words each column is known by, in the banks' languages (lower case, no accents)
GUESSES = {
    "date": ("date", "date operation", "booking date", "date de l'operation", "date valeur"),
    "amount": ("amount", "montant", "montant (eur)", "betrag"),
    "debit": ("debit", "debit (eur)", "withdrawal"),
    "credit": ("credit", "credit (eur)", "deposit"),
    "name": ("name", "payee", "counterparty", "beneficiaire", "libelle", "description"),
    "memo": ("memo", "details", "detail", "communication", "motif"),
    "reference": ("reference", "ref", "id", "transaction id", "numero"),
    "currency": ("currency", "devise"),
}

NOT_A_STATEMENT = code(
    "not_a_statement",
    "this file is not a bank statement in {format} ({problem}): export one from your bank "
    "as OFX, or as CSV with a header row",
)
STATEMENT_TOO_BIG = code(
    "statement_too_big", "this statement is too big: at most {most} lines, 5 MiB; split it"
)
NO_COLUMN = code(
    "no_statement_column",
    "no column '{column}' as {role} in this CSV: its columns are {columns}; "
    "map it, e.g. {role}={first}",
)
BAD_CELL = code(
    "bad_statement_line", "line {line} of the statement: {what:word} cannot be '{value}': {hint}"
)
N_("the date"), N_("the amount")  # what a cell should have been
NOT_A_FORMAT = code("not_a_statement_format", "no statement format '{format}': one of {formats}")


@dataclass
class Line:
    """One movement of the bank account: ``amount`` in minor units, negative when money went
    out."""

    date: str
    amount: int
    currency: str
    name: str = ""
    memo: str = ""
    reference: str = ""


def read(data: bytes, format: str, mapping: dict[str, str] | None = None, currency: str = "EUR"):  # noqa: ANN201
    """The statement's lines (a list of ``Line``), or a refusal that says what was wrong."""
    if format not in FORMATS:
        raise fault(BadInput, NOT_A_FORMAT, format=format, formats=", ".join(FORMATS))
    if len(data) > BIGGEST:
        raise fault(BadInput, STATEMENT_TOO_BIG, most=MOST_LINES)
    lines = read_ofx(data) if format == "ofx" else read_csv(data, mapping or {}, currency)
    if len(lines) > MOST_LINES:
        raise fault(BadInput, STATEMENT_TOO_BIG, most=MOST_LINES)
    return lines


def read_ofx(data: bytes) -> list[Line]:
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
        found = []
        for statement in ofx.statements:
            currency = str(statement.curdef)
            for t in statement.transactions:
                found.append(
                    Line(
                        date=t.dtposted.date().isoformat(),
                        amount=_minor(Decimal(t.trnamt), currency),
                        currency=currency,
                        name=str(t.name or t.payee or ""),
                        memo=str(t.memo or ""),
                        reference=str(t.fitid or t.refnum or t.checknum or ""),
                    )
                )
    except Exception as error:  # noqa: BLE001  (ofxtools raises many kinds: all mean "not OFX")
        problem = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise fault(BadInput, NOT_A_STATEMENT, format="OFX", problem=problem) from None
    return found


def _minor(amount: Decimal, currency: str) -> int:
    return int((amount * 10 ** digits(currency)).to_integral_value())


def _folded(text: str) -> str:
    """Lower case, accents off: how header words and names are compared."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().split())


def read_csv(data: bytes, mapping: dict[str, str], currency: str) -> list[Line]:
    """A CSV with a header row: ``mapping`` names the column of each role (``date``,
    ``amount`` — or ``debit`` and ``credit`` —, ``name``, ``memo``, ``reference``,
    ``currency``); roles not mapped are guessed from the header's words."""
    text = _decoded(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows or not any(rows[0]):
        raise fault(BadInput, NOT_A_STATEMENT, format="CSV", problem="it is empty")
    header = [cell.strip() for cell in rows[0]]
    columns = _columns(header, mapping)
    if "date" not in columns or not ({"amount"} <= columns.keys() or "debit" in columns):
        role = "date" if "date" not in columns else "amount"
        raise fault(
            BadInput,
            NO_COLUMN,
            column=mapping.get(role, role),
            role=role,
            columns=", ".join(header),
            first=header[0] if header else "…",
        )
    found = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {role: (row[i].strip() if i < len(row) else "") for role, i in columns.items()}
        money = (cell.get("currency") or currency).upper()
        if "amount" in columns:
            amount = _amount(cell["amount"], money, number)
        else:
            amount = _amount(cell.get("credit") or "0", money, number) - abs(
                _amount(cell.get("debit") or "0", money, number)
            )
        found.append(
            Line(
                date=_date(cell["date"], number),
                amount=amount,
                currency=money,
                name=cell.get("name", ""),
                memo=cell.get("memo", ""),
                reference=cell.get("reference", ""),
            )
        )
    return found


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # what French banks export


def _columns(header: list[str], mapping: dict[str, str]) -> dict[str, int]:
    folded = [_folded(h) for h in header]
    columns: dict[str, int] = {}
    for role, column in mapping.items():
        if role not in COLUMNS:
            continue
        if _folded(column) not in folded:
            raise fault(
                BadInput,
                NO_COLUMN,
                column=column,
                role=role,
                columns=", ".join(header),
                first=header[0],
            )
        columns[role] = folded.index(_folded(column))
    for role, words in GUESSES.items():
        if role not in columns:
            index = next((i for i, h in enumerate(folded) if h in words), None)
            if index is not None and index not in columns.values():
                columns[role] = index
    return columns


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%d/%m/%y")


def _date(text: str, line: int) -> str:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date().isoformat()  # noqa: DTZ007
        except ValueError:
            continue
    raise fault(BadInput, BAD_CELL, line=line, value=text, what="the date", hint="e.g. 2026-11-30")


def _amount(text: str, currency: str, line: int) -> int:
    """ "-1 234,56", "1,234.56", "12.50": the last separator followed by 1–3 digits at the end
    is the decimal one."""
    cleaned = re.sub(r"[\s\u00a0\u202f€$£]|EUR", "", text)
    last = max(cleaned.rfind(","), cleaned.rfind("."))
    if last >= 0 and len(cleaned) - last - 1 <= digits(currency):
        whole, fraction = cleaned[:last], cleaned[last + 1 :]
        cleaned = re.sub(r"[.,']", "", whole) + "." + fraction
    else:
        cleaned = re.sub(r"[.,']", "", cleaned)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        hint = "e.g. -12,50 or 1234.56"
        raise fault(BadInput, BAD_CELL, line=line, value=text, what="the amount", hint=hint)
    return _minor(value, currency)


# -- matching -------------------------------------------------------------------------------


def words(text: str) -> frozenset[str]:
    """The words of a text as bank lines and names are compared: lower case, no accents."""
    return frozenset(w for w in re.split(r"\W+", _folded(text)) if w)


def _mentions(said: frozenset[str], names: list[frozenset[str]]) -> bool:
    """Whether the bank's words name someone: every word of one of their names is there."""
    return any(name and name <= said for name in names)


def _days(one: str, other: str) -> int:
    return abs((Date.fromisoformat(one) - Date.fromisoformat(other)).days)


def match(lines: list[Line], treasury: dict[str, Any]) -> list[dict[str, Any]]:
    """Each line with what it is taken for: ``recorded`` (an entry has its reference, or is
    income recorded by hand near its date), or a proposed ``action`` — ``pay`` an approved
    expense, ``payout`` to someone owed, ``record`` income (reciprocity from an enterprise
    it names, else a donation) — or ``unknown`` (money out the treasury did not expect).

    ``treasury``: ``entries`` (the journal), ``expenses`` (approved ones: id, amount,
    currency, by, title), ``owed`` ({payee: {currency: minor}}), ``names`` ({payee: [names
    they are known by]}), ``enterprises`` ([{did, name}])."""
    references = {(e["currency"], e.get("reference")) for e in treasury["entries"]}
    # entries recorded by hand (no bank reference), by direction, currency and amount
    by_hand: dict[tuple[bool, str, int], list[tuple[int, dict[str, Any]]]] = {}
    for i, e in enumerate(treasury["entries"]):
        incoming = e["kind"] in INCOME_KINDS
        if not e.get("reference") and (incoming or e["kind"] in OUTGOING_KINDS):
            by_hand.setdefault((incoming, e["currency"], size(e)), []).append((i, e))
    expenses = list(treasury["expenses"])
    owed = {p: dict(amounts) for p, amounts in treasury["owed"].items()}
    named = {p: [words(n) for n in names] for p, names in treasury["names"].items()}
    taken: set[int] = set()  # entries recorded by hand already taken for a line
    proposed = []
    for line in lines:
        text = words(f"{line.name} {line.memo}")
        found: dict[str, Any] = {"line": asdict(line), "status": "unknown"}
        candidates = by_hand.get((line.amount > 0, line.currency, abs(line.amount)), ())
        near = next(
            (
                i
                for i, e in candidates
                if i not in taken and _days(e["date"], line.date) <= NEAR_DAYS
            ),
            None,
        )
        if line.reference and (line.currency, line.reference) in references:
            found["status"] = "recorded"
        elif near is not None:
            taken.add(near)
            found.update(status="recorded", entry=treasury["entries"][near])
        elif line.amount > 0:
            found.update(status="proposed", action=_income_action(line, treasury, text))
        elif line.amount < 0:
            action = _outgoing(line, expenses, owed, named, text)
            if action:
                found.update(status="proposed", action=action)
        proposed.append(found)
    return proposed


INCOME_KINDS = ("donation", "reciprocity", "grant", "other")
OUTGOING_KINDS = ("payment", "payout")


def size(entry: dict[str, Any]) -> int:
    """How much an entry moved: the sum of its positive postings."""
    return sum(amount for _, amount in entry["postings"] if amount > 0)


def _income_action(line: Line, treasury: dict[str, Any], text: frozenset[str]) -> dict[str, Any]:
    action = {
        "action": "record",
        "kind": "donation",
        "amount": line.amount,
        "currency": line.currency,
        "date": line.date,
        "source": line.name,
        "reference": line.reference,
    }
    for enterprise in treasury["enterprises"]:
        if _mentions(text, [words(enterprise["name"])]):
            action.update(kind="reciprocity", enterprise=enterprise["did"])
            action["source"] = enterprise["name"]
            break
    return action


def _outgoing(
    line: Line,
    expenses: list[dict[str, Any]],
    owed: dict[str, dict[str, int]],
    names: dict[str, list[frozenset[str]]],
    text: frozenset[str],
) -> dict[str, Any] | None:
    """An approved expense of this amount (its filer named, or the only one), else someone
    owed at least this much whom the line names (or the only one owed exactly this)."""
    paid = -line.amount
    same = [x for x in expenses if x["amount"] == paid and x["currency"] == line.currency]
    named = [x for x in same if _mentions(text, names.get(x["by"], []))]
    chosen = (named or (same if len(same) == 1 else []))[:1]
    if chosen:
        expense = chosen[0]
        expenses.remove(expense)
        owed.get(expense["by"], {})[line.currency] = (
            owed.get(expense["by"], {}).get(line.currency, 0) - paid
        )
        when = {"date": line.date, "reference": line.reference}
        return {"action": "pay", "expense": expense["id"], "title": expense["title"], **when}
    enough = [p for p, amounts in owed.items() if amounts.get(line.currency, 0) >= paid]
    named_payees = [p for p in enough if _mentions(text, names.get(p, []))]
    exact = [p for p in enough if owed[p][line.currency] == paid]
    payee = (named_payees or (exact if len(exact) == 1 else []))[:1]
    if not payee:
        return None
    owed[payee[0]][line.currency] -= paid
    return {
        "action": "payout",
        "person": payee[0],
        "amount": paid,
        "currency": line.currency,
        "date": line.date,
        "reference": line.reference,
    }
