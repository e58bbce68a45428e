"""The Service's door to bank statements (``statements.py``): a treasurer reads one — nothing
is written — and sees each line matched; then confirms the lines to record, each through the
treasury's own steps (an expense paid, a share paid out, income recorded), with the bank's
reference kept, so a line is never recorded twice."""

from typing import Any

from ..core.errors import BadInput, CommunsError, Refused
from ..domain.distribution import COMMONS_PAYEE
from ..domain.refusals import code, fault
from ..domain.treasury import NOT_TREASURER, digits, treasurers
from . import statements
from .home.folder import Actor
from .reads import queries
from .treasury_ops import owed_by_payee, payee_name

ACTIONS = ("pay", "payout", "record")
UNKNOWN_ACTION = code(
    "unknown_statement_action", "unknown statement action '{action}': one of {actions}"
)


def decimal_text(minor: int, currency: str) -> str:
    """Minor units as people write the amount ("12.50"), for the treasury's own steps."""
    places = digits(currency)
    return f"{minor / 10**places:.{places}f}" if places else str(minor)


class StatementOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``local``, ``_commons``,
    ``_me`` and the treasury's steps)."""

    home: Any
    lock: Any
    local: Any
    _commons: Any
    _me: Any
    expense_act: Any
    ledger_payout: Any
    ledger_record: Any

    def _treasurer(self, actor: Actor, commons: bytes) -> str:
        me = self._me(actor).did
        with self.lock:
            if me not in treasurers(self.home.state(commons)):
                raise fault(Refused, NOT_TREASURER, action="ledger.import")
        return me

    def _expected(self, commons: bytes) -> dict[str, Any]:
        """What the treasury expects, for ``statements.match``: one scan of its journal,
        expenses, balances and enterprises."""
        with self.lock:
            home = self.home
            cid = home.cid(commons)
            entries = [v for _, v in home.store.scan_records(cid, "journal/")]
            expenses = [
                {"id": key.split("/", 1)[1], **queries.hexed(v)}
                for key, v in home.store.scan_records(cid, "expense/")
                if v["state"] == "approved"
            ]
            owed = owed_by_payee(home.store, cid)
            known = queries.names(home, cid)
            enterprises = [
                {"did": key.split("/", 1)[1], "name": v["name"]}
                for key, v in home.store.scan_records(cid, "enterprise/")
            ]
            shown = {p: payee_name(home, known, p) for p in owed}
        people = [p for p in owed if not p.startswith(COMMONS_PAYEE)]
        legal = self.local.personal_get(commons, people)  # matched against, never shown
        names = {
            p: [n for n in (shown[p], legal.get(p, {}).get("fields", {}).get("legal_name")) if n]
            for p in owed
        }
        for x in expenses:
            names.setdefault(x["by"], [n for n in [known.get(x["by"])] if n])
        return {
            "entries": [queries.hexed(e) for e in entries],
            "expenses": expenses,
            "owed": owed,
            "names": names,
            "shown": {**known, **shown},
            "enterprises": enterprises,
        }

    def statement_read(
        self,
        actor: Actor,
        ref: str,
        data: bytes,
        format: str = "ofx",
        mapping: dict[str, str] | None = None,
        currency: str = "EUR",
    ) -> dict[str, Any]:
        """A treasurer's bank statement, each line with what it is taken for (nothing is
        written): ``recorded`` already, ``proposed`` (an ``action`` to confirm) or
        ``unknown``."""
        commons = self._commons(ref)
        self._treasurer(actor, commons)
        lines = statements.read(data, format, mapping, currency.strip().upper() or "EUR")
        expected = self._expected(commons)
        matched = statements.match(lines, expected)
        names = expected["shown"]
        for found in matched:
            action = found.get("action") or {}
            if "person" in action:
                action["name"] = names.get(action["person"])
        counts = {s: sum(m["status"] == s for m in matched) for s in statements.STATUSES}
        return {"commons": commons.hex(), "lines": matched, "counts": counts}

    def statement_confirm(
        self, actor: Actor, ref: str, actions: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Record the confirmed lines, each on its own: one refused (or recorded since) says
        why and leaves the others done."""
        commons = self._commons(ref)
        self._treasurer(actor, commons)
        with self.lock:
            journal = self.home.store.scan_records(self.home.cid(commons), "journal/")
            recorded = {(e["currency"], e["reference"]) for _, e in journal if e.get("reference")}
        results = []
        for action in actions:
            try:
                results.append(self._confirm_one(actor, ref, action, recorded))
            except CommunsError as error:
                results.append({"status": "refused", "code": error.code, "error": str(error)})
        done = sum(r["status"] == "done" for r in results)
        return {"commons": commons.hex(), "done": done, "results": results}

    def _confirm_one(
        self, actor: Actor, ref: str, action: dict[str, Any], recorded: set[tuple[str, str]]
    ) -> dict[str, Any]:
        kind = action.get("action")
        if kind not in ACTIONS:
            raise fault(BadInput, UNKNOWN_ACTION, action=kind, actions=", ".join(ACTIONS))
        reference = str(action.get("reference") or "")
        currency = str(action.get("currency") or "EUR")
        if reference and (currency, reference) in recorded:
            return {"status": "recorded", "reference": reference}
        date = str(action.get("date") or "")
        if kind == "pay":
            made = self.expense_act(
                actor, ref, str(action.get("expense")), "pay", date=date, reference=reference
            )
        elif kind == "payout":
            amount = decimal_text(int(action.get("amount") or 0), currency)
            made = self.ledger_payout(
                actor, ref, str(action.get("person")), amount, currency, date, reference
            )
        else:
            made = self.ledger_record(
                actor,
                ref,
                str(action.get("kind") or "donation"),
                decimal_text(int(action.get("amount") or 0), currency),
                currency,
                date,
                str(action.get("source") or ""),
                reference,
                action.get("enterprise") or None,
            )
        recorded.add((currency, reference))
        return {"status": "done", "id": made["id"], "reference": reference}
