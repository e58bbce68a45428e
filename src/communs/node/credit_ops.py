"""The Service's door to credit (``domain/credit.py``): who earned what in a commons, over its
life or in a month, the reasons for one person's points, and a size assessed.

Credit lives in the fold's records, so each read is a scan of one prefix: everyone's totals
(``credit/``, which holds each person's months too), or one person's entries."""

import re
from typing import Any

from ..core.errors import BadInput
from ..domain.contributions import contribution_key
from ..domain.credit import credit_key, entry_key, size_key
from ..domain.distribution import paid_key
from ..domain.refusals import code, fault
from ..domain.tasks import task_key
from ..domain.treasury import balance_key, payable
from .home.folder import Actor
from .reads import queries
from .reads.mentions import account_did, person_named

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
NOT_A_MONTH = code("not_a_month", "'{month}' is not a month: write it as YYYY-MM, e.g. 2026-03")
SHOWN_ENTRIES = 200  # a person's latest reasons shown at once


ROUNDS_SHOWN = 20  # the latest rounds a person's page looks for their shares in


def _money_of(store: Any, cid: int, did: str) -> dict[str, Any]:
    """What credit brought a person: their shares of the latest rounds, and by currency what
    rounds gave them in all and what the treasury owes them now (shares and expenses)."""
    rounds = list(store.scan_records(cid, "distribution/", newest=ROUNDS_SHOWN))
    shares = []
    for key, r in rounds:
        share = r["shares"].get(did)
        if share:
            given = (r.get("given") or {}).get(did)
            fate = "given" if given else "waived" if did in r["waived"] else r["state"]
            shares.append({"round": key.split("/", 1)[1], "title": r["title"], "amount": share,
                           "currency": r["currency"], "month": r["month"], "state": fate,
                           "given_to": given.hex() if given else None})  # fmt: skip
    currencies = sorted({r["currency"] for _, r in rounds})
    keys = [k for c in currencies for k in (paid_key(c, did), balance_key(c, payable(did)))]
    found = store.get_records(cid, keys)
    totals = {
        c: {
            "shared": found.get(paid_key(c, did)) or 0,
            "owed": -(found.get(balance_key(c, payable(did))) or 0),
        }
        for c in currencies
    }
    shares.sort(key=lambda s: s["month"], reverse=True)
    return {"shares": shares, "money": {c: t for c, t in totals.items() if any(t.values())}}


class CreditOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``_commons``, ``_me`` and
    ``_contribution``)."""

    home: Any
    lock: Any
    _commons: Any
    _me: Any
    _contribution: Any

    def credit(self, ref: str, month: str | None = None) -> dict[str, Any]:
        """Everyone's credit in a commons, most first: over its whole life, or earned in
        ``month`` (``YYYY-MM``); with the months that have credit."""
        if month and not MONTH.match(month):
            raise fault(BadInput, NOT_A_MONTH, month=month)
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            cid = home.cid(commons)
            known = queries.names(home, cid)
            totals = {
                key.split("/", 1)[1]: value
                for key, value in home.store.scan_records(cid, "credit/")
            }
            months = sorted({m for total in totals.values() for m in total["months"]}, reverse=True)
            if month:
                points = {did: total["months"].get(month, 0) for did, total in totals.items()}
            else:
                points = {did: total["points"] for did, total in totals.items()}
            name = (home.state(commons).get("charter") or {}).get("name")
        people = [
            {
                "did": did,
                "name": known.get(did),
                "points": value,
                "entries": totals.get(did, {}).get("entries", 0),
            }
            for did, value in points.items()
            if value or not month
        ]
        people.sort(key=lambda p: (-p["points"], (p["name"] or p["did"]).casefold()))
        return {
            "commons": {"id": commons.hex(), "name": name},
            "month": month,
            "months": months,
            "people": people,
            "total": sum(p["points"] for p in people),
        }

    def credit_of(self, ref: str, person: str) -> dict[str, Any]:
        """One person's credit in a commons (``person``: a name, an account or a DID), each
        entry with its reason — the work it was earned for, by its title — newest first."""
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            cid = home.cid(commons)
            known = queries.names(home, cid)
            did = person_named(person, known, lambda n: account_did(home, n))
            total = home.store.get_records(cid, [credit_key(did)]).get(credit_key(did))
            prefix = entry_key(did, "", b"").rsplit("/", 2)[0] + "/"
            found = [value for _, value in home.store.scan_records(cid, prefix)]
            found.sort(key=lambda e: (-e["at"], e["ref"]))
            shown = found[:SHOWN_ENTRIES]
            # the work: a contribution, or a task (a review credit may be either)
            wanted = [k(e["ref"]) for e in shown for k in (contribution_key, task_key)]
            records = home.store.get_records(cid, wanted)
            money = _money_of(home.store, cid, did)
        entries = []
        for entry in shown:
            work = records.get(contribution_key(entry["ref"]))
            on = "contribution" if work is not None else "task"
            work = work or records.get(task_key(entry["ref"])) or {}
            entries.append({**queries.hexed(entry), "on": on, "title": work.get("title")})
        return {
            "commons": {"id": commons.hex()},
            "did": did,
            "name": known.get(did),
            "points": (total or {}).get("points", 0),
            "count": (total or {}).get("entries", 0),
            "entries": entries,
            "more": max(0, len(found) - len(shown)),
            **money,
        }

    def contribution_credit(self, ref: str, contribution: str) -> dict[str, Any]:
        """What an accepted contribution earned its author, its size and who assessed it."""
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            cid = self._contribution(commons, contribution)
            record = home.store.get_records(home.cid(commons), [contribution_key(cid)])
            author = (record.get(contribution_key(cid)) or {}).get("author")
            keys = [size_key(cid), *([entry_key(author, "contribution", cid)] if author else [])]
            found = home.store.get_records(home.cid(commons), keys)
        entry = found.get(entry_key(author, "contribution", cid)) if author else None
        return {
            "points": entry["points"] if entry else 0,
            "status": entry["status"] if entry else None,
            "size": entry["size"] if entry else None,
            "assessments": found.get(size_key(cid)) or {},
        }

    def assess(self, actor: Actor, ref: str, contribution: str, size: int) -> dict[str, Any]:
        """Assess the size of an accepted contribution (1 to 100): the median counts."""
        with self.lock:
            commons = self._commons(ref)
            target = self._contribution(commons, contribution)
            event = self.home.emit(
                self._me(actor), commons, "credit.assess", {"contribution": target, "size": size}
            )
        return {"id": event.hex()}
