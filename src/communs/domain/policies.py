"""Redistribution policies: how a budget is split over people by their credit, exactly.

Pure arithmetic on whole minor units, the same on every peer: no floating point, no
expression ever evaluated (a policy is data, checked by its schema). Every split conserves
its amount to the unit by the largest remainder, ties broken by the people's DIDs.

- ``proportional``: by lifetime credit.
- ``recent``: by credit that halves every ``half_life_months`` months of age (in whole
  steps, so that it stays exact).
- ``balanced`` (SourceCred's BALANCED): toward each person's share of everything ever
  distributed plus this budget, by lifetime credit, minus what they were already paid;
  those already paid their share get nothing this round.
- ``buckets`` (Sensorica's value equation): an ordered list of buckets, each a percentage of
  the budget or of what remains, paid to one person (infrastructure, a steward) or split by
  lifetime credit; what no bucket takes stays in the treasury.
"""

from collections.abc import Mapping
from typing import Annotated, Literal

import msgspec

from .schema import Body, check_did

Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]
Months = Annotated[int, msgspec.Meta(ge=1, le=1200)]
SHIFT = 40  # fixed-point bits of the halving weights


class Proportional(Body, kw_only=True, tag="proportional", tag_field="name"):
    pass


class Recent(Body, kw_only=True, tag="recent", tag_field="name"):
    half_life_months: Months = 6


class Balanced(Body, kw_only=True, tag="balanced", tag_field="name"):
    pass


class Bucket(Body, kw_only=True):
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    percent: Percent
    of: Literal["budget", "remaining"] = "budget"
    to: str | None = None  # a DID; none: split by lifetime credit

    def __post_init__(self) -> None:
        if self.to is not None:
            check_did(self.to, "to")


class Buckets(Body, kw_only=True, tag="buckets", tag_field="name"):
    buckets: Annotated[list[Bucket], msgspec.Meta(min_length=1, max_length=20)]


Policy = Proportional | Recent | Balanced | Buckets
POLICIES = ("proportional", "recent", "balanced", "buckets")


def as_given(name: str, half_life: int | str | None = None) -> dict[str, int | str] | str:
    """A policy as a form or an option gives it: its name (or its data as JSON), with the
    half-life of ``recent`` beside it."""
    months = str(half_life or "").strip()
    if name == "recent" and months.isdigit():
        return {"name": "recent", "half_life_months": int(months)}
    return name


def allocate(amount: int, weights: Mapping[str, int]) -> dict[str, int]:
    """``amount`` split in proportion to ``weights``, in whole units that sum to ``amount``
    exactly (largest remainder; ties to the smaller DID). No weight: nothing is split."""
    total = sum(w for w in weights.values() if w > 0)
    if amount <= 0 or total <= 0:
        return {}
    shares, remainders = {}, []
    for did, weight in weights.items():
        if weight <= 0:
            continue
        whole, rest = divmod(amount * weight, total)
        shares[did] = whole
        remainders.append((-rest, did))
    left = amount - sum(shares.values())
    for _, did in sorted(remainders)[:left]:
        shares[did] += 1
    return {did: share for did, share in shares.items() if share}


def month_number(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def split(
    policy: Policy,
    budget: int,
    credit: Mapping[str, Mapping[str, int]],
    paid: Mapping[str, int],
    now_month: str,
) -> dict[str, int]:
    """The shares of ``budget`` by ``policy``; ``credit``: each person's points by month
    (``YYYY-MM``), ``paid``: what each was paid by earlier rounds, in this currency."""
    lifetime = {did: sum(months.values()) for did, months in credit.items()}
    if isinstance(policy, Proportional):
        return allocate(budget, lifetime)
    if isinstance(policy, Recent):
        now = month_number(now_month)
        weights = {
            did: sum(
                (points << SHIFT) >> (max(0, now - month_number(m)) // policy.half_life_months)
                for m, points in months.items()
                if points > 0
            )
            for did, months in credit.items()
        }
        return allocate(budget, weights)
    if isinstance(policy, Balanced):
        total_credit = sum(p for p in lifetime.values() if p > 0)
        if total_credit <= 0:
            return {}
        ever = sum(paid.values()) + budget
        owed = {
            did: max(0, ever * points - paid.get(did, 0) * total_credit)
            for did, points in lifetime.items()
            if points > 0
        }
        return allocate(budget, owed) or allocate(budget, lifetime)
    shares: dict[str, int] = {}
    remaining = budget
    for bucket in policy.buckets:
        base = budget if bucket.of == "budget" else remaining
        amount = min(remaining, base * bucket.percent // 100)
        parts = {bucket.to: amount} if bucket.to else allocate(amount, lifetime)
        for did, share in parts.items():
            shares[did] = shares.get(did, 0) + share
        remaining -= sum(parts.values())
    return {did: share for did, share in shares.items() if share}
