"""Distribution rounds: every policy splits its budget exactly, to the minor unit; known data
gives hand-computed shares; a round's preview is its record, a proposal of kind
distribution approves it, shares are booked as owed, waived or paid out, and the books
still balance."""

from hypothesis import given, settings
from hypothesis import strategies as st

from communs.domain.policies import (
    Balanced,
    Bucket,
    Buckets,
    Proportional,
    Recent,
    allocate,
    split,
)
from eventkit import identity
from test_credit import Scene, credit
from test_treasury import DAY, balances, code_of, donation

DIDS = sorted(identity(n).did for n in range(20, 28))  # real did:keys, in DID order
months = st.dictionaries(
    st.sampled_from(["2025-11", "2026-01", "2026-02", "2026-03"]), st.integers(0, 500), max_size=3
)
people = st.dictionaries(st.sampled_from(DIDS), months, max_size=6)
paid = st.dictionaries(st.sampled_from(DIDS), st.integers(0, 10_000), max_size=6)
bucket = st.builds(
    Bucket,
    label=st.just("b"),
    percent=st.integers(0, 100),
    of=st.sampled_from(["budget", "remaining"]),
    to=st.one_of(st.none(), st.sampled_from(DIDS)),
)
policies = st.one_of(
    st.just(Proportional()),
    st.builds(Recent, half_life_months=st.integers(1, 24)),
    st.just(Balanced()),
    st.builds(Buckets, buckets=st.lists(bucket, min_size=1, max_size=4)),
)


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(0, 10**9),
    weights=st.dictionaries(st.sampled_from(DIDS), st.integers(0, 10**6)),
)
def test_a_split_conserves_its_amount_and_stays_within_a_unit_of_fair(amount, weights):
    shares = allocate(amount, weights)
    total = sum(w for w in weights.values() if w > 0)
    assert sum(shares.values()) == (amount if total and amount else 0)
    for did, share in shares.items():
        assert share > 0 and abs(share - amount * weights[did] / total) < 1
    assert allocate(amount, dict(reversed(list(weights.items())))) == shares  # any order


@settings(max_examples=300, deadline=None)
@given(policy=policies, budget=st.integers(1, 10**8), credit=people, paid=paid)
def test_every_policy_gives_out_at_most_its_budget_and_keeps_the_rest(policy, budget, credit, paid):
    shares = split(policy, budget, credit, paid, "2026-03")
    assert all(share > 0 for share in shares.values())
    assert sum(shares.values()) <= budget
    has_credit = any(sum(m.values()) > 0 for m in credit.values())
    if has_credit and not isinstance(policy, Buckets):
        assert sum(shares.values()) == budget  # no bucket: everything goes out, exactly


A, B, C, D = DIDS[:4]


def test_the_policies_on_known_data():
    lifetime = {A: {"2026-01": 10}, B: {"2026-01": 5}, C: {"2026-01": 1}}
    # 1000 × 10/16 = 625; 312.5 and 62.5 share the last unit: the smaller DID takes it
    assert split(Proportional(), 1000, lifetime, {}, "2026-03") == {A: 625, B: 313, C: 62}
    ages = {A: {"2026-01": 8}, B: {"2026-03": 8}}  # A's credit is two half-lives old
    assert split(Recent(half_life_months=1), 100, ages, {}, "2026-03") == {A: 20, B: 80}
    even = {A: {"2026-01": 1}, B: {"2026-01": 1}}
    assert split(Balanced(), 100, {A: {"2026-01": 3}, B: {"2026-01": 1}}, {}, "2026-03") == {
        A: 75,
        B: 25,
    }
    assert split(Balanced(), 100, even, {A: 100}, "2026-03") == {B: 100}  # A has had theirs
    value_equation = Buckets(
        buckets=[
            Bucket(label="infrastructure", percent=20, to=D),
            Bucket(label="contributors", percent=100, of="remaining"),
        ]
    )
    assert split(value_equation, 1000, even, {}, "2026-03") == {D: 200, A: 400, B: 400}
    half = Buckets(buckets=[Bucket(label="contributors", percent=50)])
    assert split(half, 999, even, {}, "2026-03") == {A: 250, B: 249}  # 499 out, 500 kept


def autumn_round(scene):
    """bao (20 points), chloe (10) and anna (3) share 66.00 EUR, proposed and decided."""
    for writer in (scene.bao, scene.bao, scene.chloe):
        work = scene.propose(writer)
        scene.act(scene.anna, "contribution.accept", {"contribution": work.id, "revision": 0})
    donation(scene, scene.anna, 10_000)
    assert credit(scene.state().records) == {
        scene.bao.did: 20,
        scene.chloe.did: 10,
        scene.anna.did: 3,
    }
    body = {
        "title": "Autumn round",
        "budget": 6_600,
        "currency": "EUR",
        "policy": {"name": "proportional"},
        "month": "2026-11",
    }
    stranger = scene.act(scene.bao, "distribution.propose", body)
    made = scene.act(scene.anna, "distribution.propose", body)
    state = scene.state()
    assert code_of(state, stranger) == "not_treasurer"
    preview = state.records[f"distribution/{made.id.hex()}"]
    assert preview["state"] == "proposed" and preview["kept"] == 0
    assert preview["shares"] == {scene.bao.did: 4000, scene.chloe.did: 2000, scene.anna.did: 600}
    assert "EUR/liabilities:payable:" + scene.bao.did not in balances(state.records)

    vote = scene.act(
        scene.anna,
        "proposal.open",
        {"title": "Pay the autumn round", "kind": "distribution", "about": made.id, "closes_at": 0},
    )
    scene.act(scene.chloe, "proposal.vote", {"proposal": vote.id, "ballot": "yes"})
    scene.act(scene.anna, "proposal.close", {"proposal": vote.id})
    return made


def test_a_round_is_previewed_approved_waived_and_paid_out():
    scene = Scene()
    made = autumn_round(scene)
    state = scene.state()
    assert state.records[f"distribution/{made.id.hex()}"]["state"] == "approved"
    owed = balances(state.records)
    assert owed[f"EUR/liabilities:payable:{scene.bao.did}"] == -4000
    assert owed["EUR/expenses:distributions"] == 6600

    scene.act(scene.chloe, "distribution.waive", {"round": made.id})
    again = scene.act(scene.chloe, "distribution.waive", {"round": made.id})
    too_much = scene.act(
        scene.anna,
        "ledger.payout",
        {"person": scene.bao.did, "amount": 4001, "currency": "EUR", "date": DAY},
    )
    scene.act(
        scene.anna,
        "ledger.payout",
        {
            "person": scene.bao.did,
            "amount": 4000,
            "currency": "EUR",
            "date": DAY,
            "reference": "VIR 9",
        },
    )
    state = scene.state()
    assert code_of(state, again) == "no_share" and code_of(state, too_much) == "overpaid"
    final = balances(state.records)
    assert final[f"EUR/liabilities:payable:{scene.bao.did}"] == 0
    assert final[f"EUR/liabilities:payable:{scene.chloe.did}"] == 0
    assert final["EUR/expenses:distributions"] == 4600  # chloe's 2000 came back
    assert final["EUR/assets:bank"] == 10_000 - 4000
    assert sum(final.values()) == 0
    paid = state.records[f"distribution-paid/EUR/{scene.chloe.did}"]
    assert paid == 0  # a waived share is not counted as paid: balanced rounds owe it again


def test_a_share_given_to_another_commons_is_owed_to_it_and_paid_to_it():
    scene = Scene()
    made = autumn_round(scene)
    songs = bytes(range(32))  # another commons: the fold only keeps its id
    given = scene.act(scene.bao, "distribution.waive", {"round": made.id, "to": songs})
    payee = "commons:" + songs.hex()
    state = scene.state()
    owed = balances(state.records)
    assert code_of(state, given) is None
    assert owed[f"EUR/liabilities:payable:{scene.bao.did}"] == 0
    assert owed[f"EUR/liabilities:payable:{payee}"] == -4000
    assert owed["EUR/expenses:distributions"] == 6600  # still given out: to the other commons
    record = state.records[f"distribution/{made.id.hex()}"]
    assert record["given"] == {scene.bao.did: songs} and record["waived"] == [scene.bao.did]
    # Still bao's for the balanced policy: bao chose where it went.
    assert state.records[f"distribution-paid/EUR/{scene.bao.did}"] == 4000
    pay = {"commons": songs, "amount": 4000, "currency": "EUR", "date": DAY}
    again = scene.act(scene.bao, "distribution.waive", {"round": made.id, "to": songs})
    to_bao = {**pay, "commons": None, "person": scene.bao.did}
    to_bao = scene.act(scene.anna, "ledger.payout", to_bao)
    scene.act(scene.anna, "ledger.payout", pay)
    state = scene.state()
    assert code_of(state, again) == "no_share" and code_of(state, to_bao) == "overpaid"
    final = balances(state.records)
    assert final[f"EUR/liabilities:payable:{payee}"] == 0
    assert final["EUR/assets:bank"] == 10_000 - 4000 and sum(final.values()) == 0
