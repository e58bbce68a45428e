"""The Service's door to distribution rounds (``domain/distribution.py``): a preview of any
budget and policy on the credit as it stands (no event), the rounds proposed and decided,
a round proposed, a share waived, and what is owed paid out."""

import json
from datetime import UTC, datetime
from typing import Any

import msgspec

from ..core.errors import BadInput, Refused
from ..domain.credit import credit_key, everyone
from ..domain.distribution import COMMONS_PAYEE, ROUND_STATE, commons_payee, paid_key, round_key
from ..domain.policies import POLICIES, Policy, split
from ..domain.refusals import code, fault
from ..domain.treasury import balance_key, payable
from .actions.taskops import record_id
from .home.folder import Actor
from .reads import queries
from .reads.mentions import account_did, person_named
from .treasury_ops import minor_units

NOT_A_POLICY = code(
    "not_a_policy", "this is not a distribution policy ({problem}): one of {policies}"
)
GIVEN_TO_ITSELF = code(
    "given_to_itself", "a share given to its own commons is a waiver: leave 'to' empty"
)
LATEST = 20  # rounds a page lists


def policy_of(given: dict[str, Any] | str) -> Policy:
    """A policy as people give it: its name, its data (buckets), or that data as JSON."""
    if isinstance(given, str) and given.strip().startswith("{"):
        try:
            given = json.loads(given)
        except ValueError as error:
            raise fault(BadInput, NOT_A_POLICY, problem=str(error), policies=POLICIES) from None
    value = {"name": given.strip()} if isinstance(given, str) else given
    try:
        return msgspec.convert(value, Policy)  # type: ignore[arg-type]
    except msgspec.ValidationError as error:
        raise fault(BadInput, NOT_A_POLICY, problem=str(error), policies=POLICIES) from None


def named(given: dict[str, Any] | str, home: Any, known: dict[str, str]) -> dict[str, Any] | str:
    """A bucket policy names its fixed recipients as people do: by name, or DID."""
    if isinstance(given, str) and given.strip().startswith("{"):
        try:
            given = json.loads(given)
        except ValueError:
            return given  # policy_of says what is wrong
    if not isinstance(given, dict) or not isinstance(given.get("buckets"), list):
        return given
    buckets = [
        {**b, "to": person_named(b["to"], known, lambda n: account_did(home, n))}
        if isinstance(b, dict) and isinstance(b.get("to"), str)
        else b
        for b in given["buckets"]
    ]
    return {**given, "buckets": buckets}


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


class DistributionOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``_commons`` and ``_me``)."""

    home: Any
    lock: Any
    _commons: Any
    _me: Any

    def distribution_preview(
        self,
        ref: str,
        budget: str | int,
        currency: str,
        policy: dict[str, Any] | str = "proportional",
        month: str | None = None,
    ) -> dict[str, Any]:
        """The shares ``budget`` would give by ``policy`` on today's credit (nothing is
        signed): what people read before a round is proposed."""
        minor = minor_units(budget, currency)
        currency = currency.strip().upper()
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            cid = home.cid(commons)
            chosen = policy_of(named(policy, home, queries.names(home, cid)))
            state = home.state(commons)
            people = everyone(state)
            wanted = [credit_key(d) for d in people] + [paid_key(currency, d) for d in people]
            records = home.store.get_records(cid, wanted)
            known = queries.names(home, cid)
        credit = {d: (records.get(credit_key(d)) or {}).get("months") or {} for d in people}
        paid = {d: records.get(paid_key(currency, d)) or 0 for d in people}
        shares = split(chosen, minor, credit, paid, month or this_month())
        return {
            "budget": minor,
            "currency": currency,
            "policy": msgspec.to_builtins(chosen),
            "shares": _listed(shares, known),
            "kept": minor - sum(shares.values()),
        }

    def distributions(self, ref: str) -> list[dict[str, Any]]:
        """The latest rounds, newest first, each with its shares by name."""
        with self.lock:
            home = self.home
            cid = home.cid(self._commons(ref))
            found = list(home.store.scan_records(cid, "distribution/", newest=LATEST))
            known = queries.names(home, cid)
        rounds = [
            {"id": key.split("/", 1)[1], **queries.hexed(r), "shares": _listed(r["shares"], known)}
            for key, r in found
        ]
        return sorted(rounds, key=lambda r: -r["time"])

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
        minor = minor_units(budget, currency)
        with self.lock:
            commons = self._commons(ref)
            known = queries.names(self.home, self.home.cid(commons))
            body = {
                "title": title,
                "budget": minor,
                "currency": currency.strip().upper(),
                "policy": msgspec.to_builtins(policy_of(named(policy, self.home, known))),
                "month": month or this_month(),
            }
            event = self.home.emit(self._me(actor), commons, "distribution.propose", body)
        return {"id": event.hex()}

    def distribution_waive(
        self, actor: Actor, ref: str, round: str, to: str | None = None
    ) -> dict[str, Any]:
        """Give one's share of an approved round back to the treasury, or ``to`` another
        commons this node knows (by its name or id), which the treasury then owes it."""
        with self.lock:
            commons = self._commons(ref)
            rid = record_id(self.home, commons, "distribution/", round, "distribution")
            body: dict[str, Any] = {"round": rid}
            if to:
                body["to"] = self._commons(to)
                if body["to"] == commons:
                    raise fault(BadInput, GIVEN_TO_ITSELF)
            event = self.home.emit(self._me(actor), commons, "distribution.waive", body)
        return {"id": event.hex()}

    def distribution_settle(
        self, actor: Actor, ref: str, round: str, date: str, reference: str = ""
    ) -> dict[str, Any]:
        """Record every share of an approved round as paid (a treasurer, once the transfers
        are made): each person still owed their share — or the commons it was given to —
        is paid out what remains of it; waived shares and shares paid already are left."""
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            rid = record_id(home, commons, "distribution/", round, "distribution")
            state = home.state(commons)
            record = state.get(round_key(rid))
            if record["state"] != "approved":
                state_now = record["state"]
                raise fault(Refused, ROUND_STATE, action="distribution.settle", state=state_now)
            currency, given = record["currency"], record.get("given") or {}
            due: dict[str, int] = {}
            for did, share in sorted(record["shares"].items()):
                if did in given:
                    payee = commons_payee(given[did])
                elif did in record["waived"]:
                    continue
                else:
                    payee = did
                due[payee] = due.get(payee, 0) + share
            me = self._me(actor)
            paid = []
            for payee, share in due.items():
                owed = -(state.get(balance_key(currency, payable(payee))) or 0)
                amount = min(share, owed)
                if amount <= 0:
                    continue
                if payee.startswith(COMMONS_PAYEE):
                    body: dict[str, Any] = {"commons": bytes.fromhex(payee[len(COMMONS_PAYEE) :])}
                else:
                    body = {"person": payee}
                body |= {"amount": amount, "currency": currency, "date": date,
                         "reference": reference}  # fmt: skip
                event = home.emit(me, commons, "ledger.payout", body)
                paid.append({"payee": payee, "amount": amount, "id": event.hex()})
        return {"round": rid.hex(), "currency": currency, "paid": paid}

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
        """Pay a person what the treasury owes them (a treasurer), or a commons the shares
        given to it (``person``: ``commons:`` and its name or id)."""
        minor = minor_units(amount, currency)
        with self.lock:
            home = self.home
            commons = self._commons(ref)
            body: dict[str, Any]
            if person.startswith(COMMONS_PAYEE):
                body = {"commons": self._commons(person.removeprefix(COMMONS_PAYEE))}
            else:
                known = queries.names(home, home.cid(commons))
                body = {"person": person_named(person, known, lambda n: account_did(home, n))}
            body |= {
                "amount": minor,
                "currency": currency.strip().upper(),
                "date": date,
                "reference": reference,
            }
            event = home.emit(self._me(actor), commons, "ledger.payout", body)
        return {"id": event.hex()}


def _listed(shares: dict[str, int], known: dict[str, str]) -> list[dict[str, Any]]:
    """Shares, the largest first, each with the person's name."""
    ordered = sorted(shares.items(), key=lambda s: (-s[1], s[0]))
    return [{"did": did, "name": known.get(did), "amount": amount} for did, amount in ordered]
