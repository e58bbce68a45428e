"""The treasury: a public double-entry journal in minor units. Income recorded by treasurers,
expenses filed by anyone and taken through approval (one treasurer below the charter's
threshold, a proposal of kind expense above it), payment and acknowledgement; every balance
is public and, per currency, they always sum to zero — whatever happens, in any order."""

from hypothesis import given, settings
from hypothesis import strategies as st

from communs.domain.treasury import money
from eventkit import Peer, World, charter
from test_credit import Scene

DAY = "2026-11-30"


def balances(records: dict) -> dict[str, int]:
    return {k[len("balance/") :]: v for k, v in records.items() if k.startswith("balance/")}


def code_of(state, event) -> str | None:
    found = state.ineffective.get(event.id)
    return found.code if found else None


def donation(scene, who, amount=5000, **fields):
    body = {"kind": "donation", "amount": amount, "currency": "EUR", "date": DAY, **fields}
    return scene.act(who, "ledger.record", body)


def expense(scene, who, amount=3000, receipt=True, **fields):
    body = {
        "title": "Server",
        "amount": amount,
        "currency": "EUR",
        "category": "hosting",
        "date": DAY,
        **({"receipt": bytes(32)} if receipt else {}),
        **fields,
    }
    return scene.act(who, "expense.file", body)


def test_income_is_recorded_by_a_treasurer_with_both_sides_of_the_entry():
    scene = Scene()
    donation(scene, scene.anna, 5000, source="Café du port", reference="VIR 1182")
    refused = donation(scene, scene.bao, 100)
    state = scene.state()
    assert balances(state.records) == {"EUR/assets:bank": 5000, "EUR/income:donations": -5000}
    assert code_of(state, refused) == "not_treasurer"
    [entry] = [v for k, v in state.records.items() if k.startswith("journal/")]
    assert entry["postings"] == [["assets:bank", 5000], ["income:donations", -5000]]
    assert entry["source"] == "Café du port" and entry["reference"] == "VIR 1182"


def test_an_expense_goes_from_filed_to_acknowledged():
    scene = Scene()
    donation(scene, scene.anna, 5000)
    filed = expense(scene, scene.bao, 3000, receipt=False)
    assert scene.state().records[f"expense/{filed.id.hex()}"]["state"] == "incomplete"
    early = scene.act(scene.anna, "expense.approve", {"expense": filed.id})
    scene.act(scene.bao, "expense.attach", {"expense": filed.id, "receipt": bytes(32)})
    unapproved = scene.act(scene.anna, "expense.pay", {"expense": filed.id, "date": DAY})
    scene.act(scene.anna, "expense.approve", {"expense": filed.id})
    owed = balances(scene.state().records)
    assert owed[f"EUR/liabilities:payable:{scene.bao.did}"] == -3000
    assert owed["EUR/expenses:hosting"] == 3000
    stranger = scene.act(scene.chloe, "expense.pay", {"expense": filed.id, "date": DAY})
    scene.act(scene.anna, "expense.pay", {"expense": filed.id, "date": DAY, "reference": "T-9"})
    not_theirs = scene.act(scene.chloe, "expense.acknowledge", {"expense": filed.id})
    scene.act(scene.bao, "expense.acknowledge", {"expense": filed.id})
    state = scene.state()
    record = state.records[f"expense/{filed.id.hex()}"]
    assert record["state"] == "acknowledged"
    assert [h["action"] for h in record["history"]] == [
        "file",
        "attach",
        "approve",
        "pay",
        "acknowledge",
    ]
    assert balances(state.records) == {
        "EUR/assets:bank": 2000,
        "EUR/income:donations": -5000,
        "EUR/expenses:hosting": 3000,
        f"EUR/liabilities:payable:{scene.bao.did}": 0,
    }
    assert code_of(state, early) == "expense_state"
    assert code_of(state, unapproved) == "expense_state"
    assert code_of(state, stranger) == "not_treasurer"
    assert code_of(state, not_theirs) == "not_filer"


def test_a_treasurer_does_not_approve_their_own_expense():
    scene = Scene()
    mine = expense(scene, scene.anna)
    refused = scene.act(scene.anna, "expense.approve", {"expense": mine.id})
    assert code_of(scene.state(), refused) == "own_expense"


def test_above_the_threshold_a_proposal_of_kind_expense_decides():
    scene = Scene()
    big = expense(scene, scene.bao, 25_000)
    alone = scene.act(scene.anna, "expense.approve", {"expense": big.id})
    state = scene.state()
    assert code_of(state, alone) == "needs_decision"
    assert "250.00 EUR" in str(state.ineffective[alone.id].params)
    proposal = scene.act(
        scene.bao,
        "proposal.open",
        {"title": "New server", "kind": "expense", "about": big.id, "closes_at": 0},
    )
    scene.act(scene.chloe, "proposal.vote", {"proposal": proposal.id, "ballot": "yes"})
    scene.act(scene.bao, "proposal.close", {"proposal": proposal.id})
    records = scene.state().records
    assert records[f"proposal/{proposal.id.hex()}"]["state"] == "passed"
    assert records[f"expense/{big.id.hex()}"]["state"] == "approved"
    assert balances(records)["EUR/expenses:hosting"] == 25_000


def test_treasurers_are_named_in_the_charter_and_changed_by_its_rule():
    scene = Scene()
    scene.act(
        scene.anna, "charter.change", {"change": {"op": "add_treasurer", "did": scene.chloe.did}}
    )
    assert scene.state().records["charter"]["treasurers"] == [scene.chloe.did]
    maintainer = donation(scene, scene.anna, 100)  # once named, only they keep the treasury
    donation(scene, scene.chloe, 700)
    state = scene.state()
    assert code_of(state, maintainer) == "not_treasurer"
    assert balances(state.records)["EUR/assets:bank"] == 700


def test_money_is_written_with_the_minor_units_of_its_currency():
    assert money(5000, "EUR") == "50.00 EUR"
    assert money(-5, "EUR") == "-0.05 EUR"
    assert money(5000, "JPY") == "5000 JPY"
    assert money(1234, "KWD") == "1.234 KWD"


# -- on random histories -----------------------------------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "income",
                "file",
                "file",
                "attach",
                "approve",
                "approve",
                "reject",
                "pay",
                "pay",
                "ack",
                "ack",
                "sync",
                "sync",
            ]
        ),
        st.integers(0, 3),  # who acts
        st.integers(0, 3),  # which expense
        st.integers(1, 12_000),  # an amount (the threshold is 10,000)
        st.sampled_from(["EUR", "USD", "JPY"]),
    ),
    min_size=10,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(steps=STEPS)
def test_balances_always_sum_to_zero_and_every_peer_agrees(steps):
    """Four people (anna and bao treasurers) act on their own views of the log and learn
    each other's events now and then; every currency's balances sum to zero at every peer,
    which all hold the same journal whatever order the events reached them in."""
    world = World()
    people = [world.writer(n) for n in range(1, 5)]
    genesis = people[0].create(
        charter("Fund", [people[0].me], treasurers=[people[0].did, people[1].did])
    )
    for writer in people:
        writer.learn(genesis)
    commons = genesis.id
    filed: list[bytes] = []
    for kind, who, pick, amount, currency in steps:
        writer = people[who]
        if kind == "sync":
            writer.learn(*people[(who + 1) % 4].known)
            continue
        if kind == "income":
            body = {"kind": "grant", "amount": amount, "currency": currency, "date": DAY}
            writer.emit(commons, "ledger.record", body)
            continue
        if kind == "file":
            body = {
                "title": "t",
                "amount": amount,
                "currency": currency,
                "category": "travel",
                "date": DAY,
                **({"receipt": bytes(32)} if pick % 2 else {}),
            }
            filed.append(writer.emit(commons, "expense.file", body).id)
            continue
        known = [e for e in filed if e in writer.known]
        if not known:
            continue
        target = known[pick % len(known)]
        bodies = {
            "attach": ("expense.attach", {"receipt": bytes(32)}),
            "approve": ("expense.approve", {}),
            "reject": ("expense.reject", {"reason": "no"}),
            "pay": ("expense.pay", {"date": DAY}),
            "ack": ("expense.acknowledge", {}),
        }
        type_, extra = bodies[kind]
        writer.emit(commons, type_, {"expense": target, **extra})
    # In the end the treasurers, who learned everything, approve what waits and pay what was
    # approved (and its filer, learning that, acknowledges it): histories reach every step.
    payer = people[0]
    for writer in people:
        payer.learn(*writer.known)
    people[1].learn(*payer.known)
    for eid in filed:
        record = people[1].state(commons).records[f"expense/{eid.hex()}"]
        if record["state"] == "pending" and record["by"] != people[1].did:
            people[1].emit(commons, "expense.approve", {"expense": eid})
    payer.learn(*people[1].known)
    state = payer.state(commons)
    for eid in filed:
        record = state.records[f"expense/{eid.hex()}"]
        if record["state"] == "approved":
            payer.emit(commons, "expense.pay", {"expense": eid, "date": DAY})
            filer = next(w for w in people if w.did == record["by"])
            filer.learn(*payer.known)
            filer.emit(commons, "expense.acknowledge", {"expense": eid})
    reference = None
    for order in (world.order, list(reversed(world.order))):
        peer = Peer()
        try:
            peer.ingest(*order)
            records = peer.records(commons)
            held = {k: v for k, v in records.items() if k.startswith(("balance/", "journal/"))}
            totals: dict[str, int] = {}
            for key, value in balances(records).items():
                currency = key.split("/")[0]
                totals[currency] = totals.get(currency, 0) + value
            assert all(total == 0 for total in totals.values()), totals
            assert reference is None or held == reference
            reference = held
        finally:
            peer.close()
