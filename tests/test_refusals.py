"""Refusals are codes and parameters: documented, declared, and never part of the wording."""

import ast
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from communs import domain
from communs.domain import refusals
from communs.domain.refusals import CODES, Refusal, sentence
from communs.node.home.folder import Home
from communs.node.reads import queries
from eventkit import Peer, World, blob, change, charter, reference_digest
from test_convergence import History, ops

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ROOT / "src" / "communs" / "domain"


def test_every_code_has_an_english_sentence_and_is_documented():
    text = (ROOT / "docs" / "events.md").read_text()
    assert len(CODES) > 50
    for name, code in CODES.items():
        assert code.english.strip(), f"refusal code {name} has no English sentence"
        assert f"`{name}`" in text, f"document the refusal code {name} in docs/events.md"


def raised_codes(path: Path) -> list[tuple[int, ast.expr]]:
    """The first argument of every ``Ineffective(...)`` and ``refusal(...)`` in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("Ineffective", "refusal") and node.args:
                found.append((node.lineno, node.args[0]))
    return found


def test_reducers_raise_declared_codes_only():
    """A reducer refuses with a code declared with its sentence, never with text."""
    modules = {
        path.stem: __import__(f"communs.domain.{path.stem}", fromlist=["_"])
        for path in DOMAIN.glob("*.py")
        if path.stem not in ("__init__", "fold", "refusals")
    }
    seen = 0
    for stem, module in modules.items():
        for line, argument in raised_codes(DOMAIN / f"{stem}.py"):
            where = f"domain/{stem}.py:{line}"
            assert isinstance(argument, ast.Name), f"{where} refuses without a declared code"
            declared = getattr(module, argument.id, None)
            assert isinstance(declared, refusals.Code), f"{where}: {argument.id} is not a code"
            assert CODES.get(declared.name) is declared, f"{where}: {declared.name} not declared"
            seen += 1
    assert seen > 80


def test_a_refusal_needs_the_parameters_its_sentence_names():
    with pytest.raises(TypeError, match="needs"):
        refusals.refusal(CODES["unknown_task"])
    shown = sentence(Refusal("unknown_task", {"task": bytes(range(32))}))
    assert shown == "no task 000102030405 is known in this commons at this point"


def test_an_unknown_code_from_a_newer_peer_is_shown_not_hidden():
    assert sentence({"code": "brand_new", "params": {"n": 3}}) == "brand_new n=3"


def reword(patch: pytest.MonkeyPatch) -> None:
    """Every sentence said otherwise, as a new release (or another language) would."""
    for name, code in list(CODES.items()):
        patch.setitem(CODES, name, refusals.Code(name, f"reworded: {code.english}!"))
    for table in (refusals.VERBS, refusals.WORK):
        for key in list(table):
            patch.setitem(table, key, table[key].upper())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=st.integers(3, 4),
    threshold=st.integers(1, 2),
    mode=st.sampled_from(["review", "publish"]),
    drawn=ops,
)
def test_changing_the_wording_changes_no_digest(people, threshold, mode, drawn):
    history = History(people, threshold, mode)
    history.run(drawn)
    before = {c: reference_digest(history.world, c) for c in history.commons}
    said = {}
    for commons in history.commons:
        folded = domain.fold(history.world.of(commons))
        said.update({eid: sentence(r) for eid, r in folded.ineffective.items()})
    assert said, "every history holds an outsider's ineffective accept"
    with pytest.MonkeyPatch.context() as patch:
        reword(patch)
        peer = Peer()
        try:
            peer.ingest(*history.world.order)
            for commons in history.commons:
                assert reference_digest(history.world, commons) == before[commons]
                assert peer.digest(commons) == before[commons]
                for eid, now in peer.ineffective(commons).items():
                    assert now.startswith("reworded: ") and now != said[eid]
        finally:
            peer.close()


def test_a_home_of_the_previous_release_migrates_to_codes(tmp_path):
    """A home whose events hold English reasons is folded again, with codes, on opening:
    same events, same state, same digest, nothing lost."""
    world = World()
    anna, bao = world.writer(1), world.writer(2)
    genesis = anna.create(charter("Guide", [anna.me]))
    bao.learn(genesis)
    proposal = bao.propose(genesis.id, [change("guide.md", blob(1))], title="Draft")
    anna.learn(proposal)
    outsider_accept = bao.accept(genesis.id, proposal.id)  # not a maintainer: ineffective
    anna.learn(outsider_accept)
    accept = anna.accept(genesis.id, proposal.id)
    fork = bao.fork(genesis.id, charter("Guide (fork)", [bao.me]))
    events = [e.raw for e in world.order]
    assert fork.raw in events

    with Home(tmp_path / "home", workers=1) as home:
        home.ingest(events)
        digests = {c: queries.state_digest(home, home.cid(c)) for c in (genesis.id, fork.id)}
        count = home.store.events_count(home.cid(genesis.id))

    db = sqlite3.connect(tmp_path / "home" / "communs.db")
    with db:  # as the previous release left it: sentences, three migrations
        db.execute("ALTER TABLE events RENAME COLUMN refusal TO reason")
        db.execute(
            "UPDATE events SET reason = 'only maintainers can accept contributions; the author "
            "is not a maintainer of this commons' WHERE reason IS NOT NULL"
        )
        db.execute("UPDATE commons SET digest = NULL")
        db.execute("DROP TABLE refold")
        db.execute("DELETE FROM migrations WHERE version = 4")
    db.close()

    with Home(tmp_path / "home", workers=1) as home:
        assert home.store.refold_count() == 0
        for commons, digest in digests.items():
            assert queries.state_digest(home, home.cid(commons)) == digest
        assert home.store.events_count(home.cid(genesis.id)) == count
        ineffective = dict(home.store.ineffective(home.cid(genesis.id)))
        assert list(ineffective) == [outsider_accept.id]
        assert domain.decode_refusal(ineffective[outsider_accept.id]) == Refusal(
            "not_maintainer", {"action": "contribution.accept"}
        )
        log = {e["id"]: e for e in queries.log(home, genesis.id, None)}
        assert log[accept.id.hex()]["effective"]
        assert log[outsider_accept.id.hex()]["refusal"]["code"] == "not_maintainer"
        assert log[outsider_accept.id.hex()]["reason"] == (
            "only maintainers can accept contributions; the author is not a maintainer of "
            "this commons"
        )


def test_a_refused_local_action_stores_nothing_and_says_its_code(tmp_path):
    from communs.core.errors import Refused
    from communs.node.actions import commons as actions

    with Home(tmp_path / "home", workers=1) as home:
        anna = home.keyring.create("anna")
        bao = home.keyring.create("bao")
        commons = actions.create_commons(home, anna, name="Guide", maintainers=[anna.did])
        cid = home.cid(commons)
        before = (home.store.events_count(cid), home.store.heads(cid))
        with pytest.raises(Refused) as refused:
            home.emit(
                bao,
                commons,
                "charter.change",
                {"change": {"op": "set", "field": "name", "value": "Mine"}},
            )
        assert refused.value.code == "not_maintainer"
        assert str(refused.value) == (
            "only maintainers can change the charter; the author is not a maintainer of this "
            "commons"
        )
        # Not even the display name a first action in a commons signs before it.
        assert (home.store.events_count(cid), home.store.heads(cid)) == before
        assert domain.profiles.display_name(home.state(commons), bao.did) is None
