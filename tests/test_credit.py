"""Credit, derived in the fold: accepted work earns the charter's weights, with the reason for
every point; reviews that led to a decision earn review credit; a revert or a reopened task
takes credit back, its entry kept; sizes are assessed by the median; nothing is earned by
work nobody the commons named accepted. On random histories, the totals always add up and
every peer, whatever order the events came in, holds the same credit."""

import random

from hypothesis import given
from hypothesis import strategies as st

from communs.domain.credit import month_of
from eventkit import Peer, World, blob, change, charter, fold_at
from test_convergence import HISTORIES, KINDS, MAX_EVENTS, History, deliveries

POINTS = {"contribution": 10, "task": 5, "review": 1}


def credit(records: dict) -> dict[str, int]:
    return {k.split("/", 1)[1]: v["points"] for k, v in records.items() if k.startswith("credit/")}


def entries(records: dict, did: str) -> dict[str, dict]:
    prefix = f"credit-entry/{did}/"
    return {k[len(prefix) :]: v for k, v in records.items() if k.startswith(prefix)}


def ineffective_code(state, event) -> str | None:
    found = state.ineffective.get(event.id)
    return found.code if found else None


class Scene:
    """anna maintains "Guide" (review-first, threshold 1); bao, chloe and dara take part."""

    def __init__(self, **fields):
        self.world = World()
        self.anna, self.bao, self.chloe, self.dara = (self.world.writer(n) for n in (1, 2, 3, 4))
        self.commons = self.anna.create(charter("Guide", [self.anna.me], **fields)).id
        self.blobs = 0

    def everyone_knows(self) -> None:
        people = (self.anna, self.bao, self.chloe, self.dara)
        for writer in people:
            for other in people:
                writer.learn(*other.known)

    def propose(self, writer, title="change"):
        self.blobs += 1
        self.everyone_knows()
        return writer.propose(self.commons, [change(f"f{self.blobs}.md", blob(self.blobs))], title)

    def act(self, writer, type_, body):
        self.everyone_knows()
        return writer.emit(self.commons, type_, body)

    def state(self):
        self.everyone_knows()
        return self.anna.state(self.commons)


def test_an_accepted_contribution_credits_its_author_and_the_reviews_that_decided_it():
    scene = Scene()
    work = scene.propose(scene.bao, "Map the ford")
    scene.act(scene.chloe, "contribution.review", {"contribution": work.id, "verdict": "approve"})
    scene.act(scene.bao, "contribution.review", {"contribution": work.id, "verdict": "approve"})
    scene.act(scene.dara, "contribution.review", {"contribution": work.id, "verdict": "comment"})
    accepted = scene.act(
        scene.anna, "contribution.accept", {"contribution": work.id, "revision": 0}
    )
    records = scene.state().records
    assert credit(records) == {scene.bao.did: 10, scene.chloe.did: 1, scene.anna.did: 1}
    [(reason, entry)] = entries(records, scene.bao.did).items()
    assert reason == f"contribution/{work.id.hex()}"
    assert entry["points"] == 10 and entry["status"] == "earned" and entry["event"] == accepted.id
    assert entry["month"] == month_of(accepted.time)
    assert records[f"credit/{scene.bao.did}"]["months"] == {entry["month"]: 10}


def test_an_open_or_rejected_contribution_earns_its_author_nothing():
    scene = Scene(threshold=1)
    waiting = scene.propose(scene.bao)
    refused = scene.propose(scene.bao)
    scene.act(
        scene.chloe,
        "contribution.review",
        {"contribution": refused.id, "verdict": "request_changes"},
    )
    scene.act(scene.anna, "contribution.reject", {"contribution": refused.id, "reason": "no"})
    scene.act(
        scene.chloe, "contribution.review", {"contribution": waiting.id, "verdict": "approve"}
    )
    records = scene.state().records
    assert credit(records) == {scene.chloe.did: 1, scene.anna.did: 1}  # the rejection's reviews


def test_a_revert_takes_the_credit_back_and_keeps_the_reason():
    scene = Scene()
    work = scene.propose(scene.bao)
    scene.act(scene.anna, "contribution.accept", {"contribution": work.id, "revision": 0})
    scene.act(scene.anna, "contribution.revert", {"contribution": work.id, "reason": "broke it"})
    records = scene.state().records
    assert credit(records)[scene.bao.did] == 0
    [entry] = entries(records, scene.bao.did).values()
    assert entry["status"] == "reverted" and entry["points"] == 0
    assert records[f"credit/{scene.bao.did}"]["entries"] == 1


def test_publish_first_credit_comes_when_a_maintainer_patrols():
    scene = Scene(mode="publish")
    work = scene.propose(scene.bao)
    assert credit(scene.state().records) == {}
    scene.act(scene.anna, "contribution.patrol", {"contribution": work.id})
    assert credit(scene.state().records) == {scene.bao.did: 10, scene.anna.did: 1}


def test_a_validated_task_credits_its_doer_and_a_reopen_takes_it_back():
    scene = Scene(validators="anyone")
    task = scene.act(scene.anna, "task.open", {"title": "Walk the ridge"})
    scene.act(scene.bao, "task.done", {"task": task.id})
    scene.act(scene.chloe, "task.validate", {"task": task.id})
    assert credit(scene.state().records) == {scene.bao.did: 5, scene.chloe.did: 1}
    scene.act(scene.anna, "task.reopen", {"task": task.id})
    records = scene.state().records
    assert credit(records) == {scene.bao.did: 0, scene.chloe.did: 1}
    assert entries(records, scene.bao.did)[f"task/{task.id.hex()}"]["status"] == "reopened"


def test_the_charter_sets_the_weights():
    scene = Scene(credit_contribution=3, credit_review=0)
    work = scene.propose(scene.bao)
    scene.act(scene.anna, "contribution.accept", {"contribution": work.id, "revision": 0})
    assert credit(scene.state().records) == {scene.bao.did: 3, scene.anna.did: 0}


def test_a_size_counts_by_the_median_of_those_with_standing():
    scene = Scene()
    first = scene.propose(scene.chloe)  # chloe earns standing first
    scene.act(scene.anna, "contribution.accept", {"contribution": first.id, "revision": 0})
    work = scene.propose(scene.bao)
    scene.act(scene.anna, "contribution.accept", {"contribution": work.id, "revision": 0})

    def size(writer, n):
        return scene.act(writer, "credit.assess", {"contribution": work.id, "size": n})

    size(scene.anna, 3)
    assert credit(scene.state().records)[scene.bao.did] == 30
    size(scene.chloe, 5)  # contested: the lower median of 3 and 5
    assert credit(scene.state().records)[scene.bao.did] == 30
    size(scene.anna, 5)  # anna changes her mind: her later size replaces her earlier one
    assert credit(scene.state().records)[scene.bao.did] == 50
    stranger, own = size(scene.dara, 100), size(scene.bao, 100)
    state = scene.state()
    assert credit(state.records)[scene.bao.did] == 50
    assert ineffective_code(state, stranger) == "no_standing"
    assert ineffective_code(state, own) == "own_size"
    waiting = scene.propose(scene.bao)
    early = scene.act(scene.anna, "credit.assess", {"contribution": waiting.id, "size": 2})
    assert ineffective_code(scene.state(), early) == "not_accepted"


def test_a_fork_keeps_the_credit_earned_before_its_fork_point():
    scene = Scene()
    work = scene.propose(scene.bao)
    scene.act(scene.anna, "contribution.accept", {"contribution": work.id, "revision": 0})
    scene.everyone_knows()
    fork = scene.chloe.fork(scene.commons, charter("Guide, forked", [scene.chloe.me]))
    later = scene.propose(scene.dara)
    scene.act(scene.anna, "contribution.accept", {"contribution": later.id, "revision": 0})
    forked = fold_at(scene.world, fork.id, [fork.id]).records
    assert credit(forked) == {scene.bao.did: 10, scene.anna.did: 1}


# -- on random histories -----------------------------------------------------------------------

CREDIT_KINDS = (
    *KINDS,
    "review",
    "review",
    "accept",
    "accept",
    "patrol",
    "assess",
    "assess",
    "assess",
)


class CreditHistory(History):
    """The convergence histories, with reviews and size assessments among the actions."""

    def review(self, writer, commons, pick, approve):
        found = self.chosen(writer, commons, pick, lambda r: r["state"] in ("open", "conflict"))
        if found:
            verdict = "approve" if approve else ("request_changes", "comment")[pick % 2]
            writer.emit(
                commons, "contribution.review", {"contribution": found[0], "verdict": verdict}
            )

    def assess(self, writer, commons, pick, flag):
        found = self.chosen(
            writer, commons, pick, lambda r: r["state"] in ("accepted", "published")
        )
        if found:
            body = {"contribution": found[0], "size": 1 + pick % 7}
            writer.emit(commons, "credit.assess", body)


credit_ops = st.lists(
    st.tuples(
        st.sampled_from(CREDIT_KINDS), st.integers(0, 4), st.integers(0, 2**16), st.booleans()
    ),
    min_size=20,
    max_size=MAX_EVENTS + 10,
)


def check_totals(records: dict) -> None:
    """Each person's total is the sum of their entries, and of their months; only accepted
    (or patrolled) contributions hold contribution points."""
    months = {
        k.split("/", 1)[1]: sum(v["months"].values())
        for k, v in records.items()
        if k.startswith("credit/")
    }
    for did, total in credit(records).items():
        mine = entries(records, did)
        assert total == sum(e["points"] for e in mine.values()) == months[did]
        assert records[f"credit/{did}"]["entries"] == len(mine)
        for reason, entry in mine.items():
            kind, ref = reason.split("/")
            if kind == "contribution" and entry["status"] == "earned":
                work = records[f"contribution/{ref}"]
                assert work["state"] in ("accepted", "published") and work["author"] == did
                assert work["state"] == "accepted" or work["patrolled_by"]
            if entry["status"] != "earned":
                assert entry["points"] == 0


@HISTORIES
@given(
    people=st.integers(3, 5),
    threshold=st.integers(1, 2),
    mode=st.sampled_from(["review", "review", "publish"]),
    drawn=credit_ops,
    rng=st.randoms(use_true_random=False),
)
def test_credit_adds_up_and_every_peer_holds_the_same(people, threshold, mode, drawn, rng):
    history = CreditHistory(people, threshold, mode)
    history.run(drawn)
    world = history.world
    expected = {}
    for commons in history.commons:
        parents = {p for e in world.of(commons) for p in e.parents}
        heads = [e.id for e in world.of(commons) if e.id not in parents]
        reference = fold_at(world, commons, heads).records
        check_totals(reference)
        expected[commons] = {k: v for k, v in reference.items() if k.startswith("credit")}
    for batches in deliveries(world.order, random.Random(rng.random()))[1:]:
        peer = Peer()
        try:
            for batch in batches:
                peer.ingest(*batch)
            for commons in history.commons:
                held = {k: v for k, v in peer.records(commons).items() if k.startswith("credit")}
                assert held == expected[commons]
        finally:
            peer.close()


def test_a_home_from_before_credit_earns_it_when_it_opens(tmp_path):
    """Migration 7 folds the stored events again: credit appears for work accepted before
    credit existed, and the digest is the reference fold's."""
    import sqlite3

    from communs.node.home.folder import Home
    from communs.node.reads import queries
    from eventkit import reference_digest

    scene = Scene()
    work = scene.propose(scene.bao)
    scene.act(scene.anna, "contribution.accept", {"contribution": work.id, "revision": 0})
    with Home(tmp_path / "home", workers=1) as home:
        home.ingest([e.raw for e in scene.world.order])
    db = sqlite3.connect(tmp_path / "home" / "communs.db")
    with db:  # as a release without credit left it
        db.execute("DELETE FROM records WHERE key LIKE 'credit%'")
        db.execute("UPDATE commons SET digest = NULL")
        db.execute("DELETE FROM migrations WHERE version = 7")
    db.close()
    with Home(tmp_path / "home", workers=1) as home:
        cid = home.cid(scene.commons)
        assert home.store.refold_count() == 0
        held = dict(home.store.scan_records(cid, "credit/"))
        assert held[f"credit/{scene.bao.did}"]["points"] == 10
        assert queries.state_digest(home, cid) == reference_digest(scene.world, scene.commons)


def test_the_charter_amends_its_weights_for_work_accepted_after():
    scene = Scene()
    early = scene.propose(scene.bao)
    scene.act(scene.anna, "contribution.accept", {"contribution": early.id, "revision": 0})
    change = {"op": "set", "field": "credit_contribution", "value": 25}
    scene.act(scene.anna, "charter.change", {"change": change})
    late = scene.propose(scene.bao)
    scene.act(scene.anna, "contribution.accept", {"contribution": late.id, "revision": 0})
    records = scene.state().records
    assert records["charter"]["credit_contribution"] == 25
    assert credit(records)[scene.bao.did] == 10 + 25  # earned at the weight of its time
    size = {"contribution": early.id, "size": 2}
    scene.act(scene.anna, "credit.assess", size)  # priced at the weight it was earned at
    assert credit(scene.state().records)[scene.bao.did] == 20 + 25


def test_work_brought_back_from_a_fork_credits_those_who_did_it_there(tmp_path):
    """dara's work, accepted in chloe's fork, comes back to the parent in chloe's
    contribution: once anna accepts it, the parent credits dara (by her credit in the fork),
    not chloe who carried it; bao's work, inherited by the fork, is not counted twice."""
    import io

    from communs.node.home.folder import Actor
    from webkit import TrailGuide, trail_guide

    with trail_guide(tmp_path / "home", TrailGuide) as node:
        s = node.service
        chloe, dara = (s.identity_new(name)["id"] for name in ("chloe", "dara"))

        def put(commons: str, who: str, title: str) -> str:
            blob = s.blob_add(io.BytesIO(title.encode()), f"{title}.md")["hash"]
            return s.propose(Actor(who), commons, title, files={f"{title}.md": blob})["id"]

        s.decide(Actor("anna"), node.commons, put(node.commons, "bao", "ford"), "accept")
        fork = s.fork(Actor("chloe"), node.commons, "Trail guide, chloe's")["id"]
        s.decide(Actor("chloe"), fork, put(fork, "dara", "stiles"), "accept")
        s.decide(Actor("chloe"), fork, put(fork, "dara", "birds"), "accept")
        back = s.propose_to_parent(Actor("chloe"), fork, "From the fork")["id"]
        record = s.contribution(node.commons, back)
        s.decide(Actor("anna"), node.commons, back, "accept")
        parent = {p["did"]: p["points"] for p in s.credit(node.commons)["people"]}
        assert parent == {node.bao: 10, dara: 10, node.anna: 2}, (parent, record)
        assert chloe not in parent  # she carried the work back: it is not hers
        [entry] = s.credit_of(node.commons, dara)["entries"]
        assert entry["ref"] == back and entry["title"] == "From the fork"
        s.assess(Actor("anna"), node.commons, back, 3)
        assert s.credit_of(node.commons, dara)["points"] == 30
