"""Governance in the web app: the decision log, a proposal and its forms, the charter and its
history, and the health page — a maintainer welcomed from the form, hidden ballots kept
hidden until the result is settled, late votes refused with the fold's reason, objections
to a lazy-consensus decision, and forms without their CSRF token refused."""

import html as htmllib
import io
import re
from collections.abc import Iterator

import pytest

from communs.api.app import create_app
from communs.node.home.folder import Actor, Home
from communs.node.service import Service
from webkit import TestClient, TrailGuide, csrf, trail_guide


class Node(TrailGuide):
    def at(self, rest: str = "") -> str:
        return f"/c/{self.commons}{rest}"

    def proposal(self, pid: str, action: str = "") -> str:
        return self.at(f"/proposals/{pid}") + (f"/{action}" if action else "")


@pytest.fixture
def node(tmp_path) -> Iterator[Node]:
    """anna maintains "Trail guide" alone (threshold 1); bao takes part."""
    with trail_guide(tmp_path / "home", Node) as made:
        yield made


def text(response) -> str:
    return htmllib.unescape(response.text)


def open_proposal(node: Node, client: TestClient, **fields: str) -> str:
    token = csrf(client, node.at("/proposals"))
    response = client.post(node.at("/proposals"), data={"csrf": token, **fields})
    assert response.status_code == 303, text(response)
    found = re.fullmatch(
        rf"/c/{node.commons}/proposals/([0-9a-f]{{64}})", response.headers["location"]
    )
    assert found, response.headers["location"]
    return found.group(1)


def act(node: Node, client: TestClient, pid: str, action: str, **fields: str):
    token = csrf(client, node.proposal(pid))
    return client.post(node.proposal(pid, action), data={"csrf": token, **fields})


def acted(node: Node, client: TestClient, pid: str, action: str, **fields: str) -> None:
    response = act(node, client, pid, action, **fields)
    assert response.status_code == 303, text(response)
    assert response.headers["location"] == node.proposal(pid)


def test_the_pages_answer_once_wired(node):
    visitor = node.browser()
    for page in ("/proposals", "/charter", "/health"):
        assert visitor.get(node.at(page)).status_code == 200, page
    listing = text(visitor.get(node.at("/proposals")))
    assert "No open proposal." in listing and "Sign in" in listing
    assert 'action="/c/' not in listing  # no form for a visitor who has not signed in


def test_a_maintainer_proposal_from_the_form_passes_and_the_commons_shows_the_new_maintainer(
    node,
):
    anna = node.browser("anna")
    pid = open_proposal(
        node,
        anna,
        title="Welcome bao",
        text="bao **walked** every trail twice.",
        kind="maintainer",
        effect="add_maintainer",
        effect_value=node.bao,
        closes_in="72",
    )
    page = text(anna.get(node.proposal(pid)))
    assert "Welcome bao" in page and "<strong>walked</strong>" in page
    assert f"add {node.bao[:24]}… as a maintainer" in page
    assert "1 of 1 maintainers approve" in page and 'name="ballot" value="yes"' in page
    assert "Can be closed from" in page  # before its closing time, not yet k approvals
    listing = anna.get(node.at("/proposals.json")).json()
    assert [p["id"] for p in listing["open"]] == [pid]
    assert listing["open"][0]["effect"] == {"op": "add_maintainer", "did": node.bao}

    acted(node, anna, pid, "vote", ballot="yes", reason="She knows the way")
    page = text(anna.get(node.proposal(pid)))
    assert "She knows the way" in page and "gov-ballot-yes" in page
    assert "1 approval, 1 needed" in page  # the standing tally, before the close
    assert f'action="{node.proposal(pid, "close")}"' in page  # k approved: may close early

    acted(node, anna, pid, "close", outcome="bao joins the maintainers")
    data = anna.get(node.proposal(pid) + ".json").json()
    assert data["proposal"]["state"] == "passed"
    assert data["result"]["outcome"] == "passed"
    assert data["proposal"]["effect_status"] == {"applied": True, "reason": None}
    page = text(anna.get(node.proposal(pid)))
    assert "state-passed" in page and "bao joins the maintainers" in page and "applied" in page
    assert f'action="{node.proposal(pid, "vote")}"' not in page  # closed: no more ballots

    commons = anna.get(node.at()).text
    assert f'href="/people/{node.bao}"' in commons
    assert node.bao in [m["did"] for m in node.service.commons_show(node.commons)["maintainers"]]
    listing = anna.get(node.at("/proposals.json")).json()
    assert listing["open"] == [] and listing["decided"][0]["result"] == "passed"


def test_a_hidden_poll_shows_no_ballot_until_it_is_settled(node):
    anna, bao = node.browser("anna"), node.browser("bao")
    pid = open_proposal(
        node,
        anna,
        title="Picnic day",
        method="single_choice",
        options="Saturday at the lake\nSunday on the ridge\n",
        hidden="1",
        closes_in="0",
    )
    page = text(bao.get(node.proposal(pid)))
    assert "hidden until the close" in page and "Commit my hidden ballot" in page
    assert 'name="reason"' not in page  # a hidden ballot is revealed without its reason
    acted(node, bao, pid, "vote", ballot="1")
    acted(node, anna, pid, "vote", ballot="1")

    def nothing_shows(client: TestClient) -> None:
        page = text(client.get(node.proposal(pid)))
        assert "gov-ballots" not in page and "Sunday on the ridge</td>" not in page
        data = client.get(node.proposal(pid) + ".json").json()
        assert data["ballots"] == [] and data["proposal"]["ballots"] == {}
        assert data["result"] is None and data["standing"] is None
        assert "'ballot'" not in str(data["proposal"])

    page = text(bao.get(node.proposal(pid)))
    assert "2 commitments" in page and "You committed a ballot" in page
    nothing_shows(bao)
    nothing_shows(node.browser())

    acted(node, anna, pid, "close")
    page = text(bao.get(node.proposal(pid)))
    assert "state-closed" in page and "Reveal my ballot" in page
    acted(node, bao, pid, "reveal")
    acted(node, anna, pid, "reveal")
    page = text(anna.get(node.proposal(pid)))
    assert "2 revealed" in page and "Count the revealed ballots" in page
    nothing_shows(anna)  # revealed, yet shown only once the result is settled

    acted(node, anna, pid, "settle", outcome="Sunday it is")
    page = text(bao.get(node.proposal(pid)))
    assert "state-settled" in page and "Sunday it is" in page
    assert "gov-ballots" in page and "Sunday on the ridge</td>" in page
    data = bao.get(node.proposal(pid) + ".json").json()
    assert data["result"]["winners"] == ["Sunday on the ridge"]
    assert {b["shown"] for b in data["ballots"]} == {"Sunday on the ridge"}
    assert {bar["label"]: bar["value"] for bar in data["result"]["bars"]} == {
        "Saturday at the lake": 0,
        "Sunday on the ridge": 2,
    }


def test_a_vote_after_the_close_comes_back_to_the_proposal_with_the_reason(node):
    anna, bao = node.browser("anna"), node.browser("bao")
    pid = open_proposal(node, anna, title="Mark the ford with a cairn", closes_in="0")
    page = text(bao.get(node.proposal(pid)))
    assert "more yes than no" in page  # any other kind: a majority of anyone
    token = csrf(bao, node.proposal(pid))
    acted(node, anna, pid, "vote", ballot="yes")
    acted(node, anna, pid, "close")
    late = bao.post(node.proposal(pid, "vote"), data={"csrf": token, "ballot": "no"})
    assert late.status_code == 409
    # the vote form is gone (the proposal closed): the reason shows above the page
    shown = text(late)
    assert "too late" in shown and "Mark the ford with a cairn" in shown
    assert shown.index("too late") < shown.index("<h1")
    data = bao.get(node.proposal(pid) + ".json").json()
    assert data["proposal"]["state"] == "passed" and list(data["proposal"]["ballots"]) == [
        node.anna
    ]

    wrong = act(node, bao, pid, "dance")
    assert wrong.status_code == 404


def test_an_objection_to_a_lazy_consensus_decision_shows_until_withdrawn(node):
    anna, bao = node.browser("anna"), node.browser("bao")
    # First, the charter changes how custom decisions are taken: by lazy consensus.
    rule = open_proposal(
        node,
        anna,
        title="Small things by lazy consensus",
        kind="charter",
        effect="set_rule",
        effect_value="custom=lazy_consensus",
    )
    assert "decide custom decisions by lazy consensus" in text(anna.get(node.proposal(rule)))
    acted(node, anna, rule, "vote", ballot="yes")
    acted(node, anna, rule, "close")
    charter = text(anna.get(node.at("/charter")))
    assert "passes unless an objection stands" in charter
    # the economy's terms are the charter's too, said as people read them
    facts = dict(re.findall(r"<dt>([^<]+)</dt>\s*<dd>([^<]*)</dd>", charter))
    assert facts["The most one treasurer approves alone"] == "€100.00"
    assert facts["Credit of a validated task (points)"] == "5"
    assert facts["Treasurers"] == "the maintainers"

    pid = open_proposal(node, anna, title="Paint the hut green", closes_in="0")
    page = text(bao.get(node.proposal(pid)))
    assert "lazy consensus" in page and "Object" in page
    assert f'action="{node.proposal(pid, "vote")}"' not in page
    acted(node, bao, pid, "object", reason="Green fades in the sun")
    page = text(anna.get(node.proposal(pid)))
    assert "Green fades in the sun" in page and "standing" in page
    health = anna.get(node.at("/health.json")).json()
    assert [o["reason"] for o in health["objections"]] == ["Green fades in the sun"]
    page = text(bao.get(node.proposal(pid)))
    assert "Withdraw my objection" in page
    assert f'action="{node.proposal(pid, "object")}"' not in page

    acted(node, bao, pid, "withdraw_objection", note="Ochre, then")
    page = text(anna.get(node.proposal(pid)))
    assert "withdrawn" in page and "Ochre, then" in page
    acted(node, bao, pid, "close")  # anyone closes a lazy consensus
    assert bao.get(node.proposal(pid) + ".json").json()["proposal"]["state"] == "passed"
    assert anna.get(node.at("/health.json")).json()["objections"] == []


def test_the_charter_page_shows_the_rules_and_the_history(node):
    anna = node.browser("anna")
    pid = open_proposal(
        node,
        anna,
        title="Two sign off",
        kind="custom",  # becomes a charter decision: it carries a charter change
        effect="set",
        effect_value="licence=CC-BY-4.0",
    )
    acted(node, anna, pid, "vote", ballot="yes")
    acted(node, anna, pid, "close", outcome="A more open licence")
    page = text(anna.get(node.at("/charter")))
    assert "CC-BY-4.0" in page and f'href="/people/{node.anna}"' in page
    assert "k of n" in page and "(default)" in page and "any other kind" in page
    assert "anna created 'Trail guide'" in page
    assert f"'<a href=\"/c/{node.commons}/proposals/{pid}\">Two sign off</a>'" in page
    assert 'set the charter\'s licence to "CC-BY-4.0"' in page
    assert "A more open licence" in page
    data = anna.get(node.at("/charter.json")).json()
    assert data["charter"]["licence"] == "CC-BY-4.0"
    history = data["history"]
    assert [e["type"] for e in history] == ["proposal.close", "proposal.open", "commons.create"]
    assert history[0]["outcome"] == "passed" and history[0]["applied"] is True


def test_the_health_page_counts_contributors_reviews_and_forks(node):
    service, ref = node.service, node.commons
    anna, bao = Actor("anna"), Actor("bao")

    def propose(actor: Actor, title: str) -> str:
        blob = service.blob_add(io.BytesIO(title.encode()), "notes.md")["hash"]
        return service.propose(actor, ref, title, files={f"{title}.md": blob})["id"]

    kept = propose(bao, "river")
    dropped = propose(bao, "ridge")
    propose(anna, "mill")
    service.decide(anna, ref, kept, "accept")
    service.decide(anna, ref, dropped, "reject", reason="Off the map")
    fork = service.fork(bao, ref, "Trail guide (bao's)")["id"]
    service.propose(
        bao, fork, "lake", files={"lake.md": service.blob_add(io.BytesIO(b"x"))["hash"]}
    )

    data = node.browser().get(node.at("/health.json")).json()
    assert len(data["months"]) == 12
    assert data["months"][-1]["contributors"] == 2 and data["months"][-1]["contributions"] == 3
    assert data["contributors"] == 2
    review = data["review"]
    assert (review["decided"], review["accepted"], review["rejected"]) == (2, 1, 1)
    assert review["acceptance_rate"] == 0.5 and review["median_latency_ms"] >= 0
    assert sum(b["value"] for b in review["latency_buckets"]) == 2
    assert [(f["name"], f["contributors"]) for f in data["forks"]] == [("Trail guide (bao's)", 1)]

    page = text(node.browser().get(node.at("/health")))
    assert 'id="stat-contributors">2<' in page and "50 %" in page
    assert "1 of this commons' 2 contributors took part" in page
    assert "Active contributors per month" in page and "gov-column-bar" in page


def test_forms_without_their_csrf_token_are_refused(node):
    anna = node.browser("anna")
    refused = anna.post(node.at("/proposals"), data={"title": "Sneaky"})
    assert refused.status_code == 403
    assert node.service.proposals(node.commons) == []
    pid = open_proposal(node, anna, title="Honest")
    refused = anna.post(node.proposal(pid, "vote"), data={"ballot": "yes", "csrf": "forged"})
    assert refused.status_code == 403
    assert node.service.proposal(node.commons, pid)["ballots"] == {}


def test_the_governance_pages_speak_french(node):
    anna = node.browser("anna")
    anna.cookies.set("lang", "fr")
    pid = open_proposal(node, anna, title="Un gué balisé", closes_in="1")
    page = text(anna.get(node.at("/proposals")))
    assert "Ouvrir une proposition" in page and "Décisions" in page
    page = text(anna.get(node.proposal(pid)))
    assert "Voter" in page and "plus de oui que de non" in page
    assert "Charte" in text(anna.get(node.at("/charter")))
    assert "Contributeurs actifs par mois" in text(anna.get(node.at("/health")))


def test_a_voter_is_reminded_of_a_proposal_closing_soon(tmp_path):
    service = Service(Home(tmp_path / "home"))
    try:
        service.identity_new("anna")
        commons = service.commons_create(Actor("anna"), name="Choir")["id"]
        soon = service.proposal_open(Actor("anna"), commons, "Robes or not", closes_in_hours=2)
        service.proposal_open(Actor("anna"), commons, "Next season", closes_in_hours=24 * 30)
        client = TestClient(create_app(service), client=("127.0.0.1", 50000))
        assert client.post("/login", data={"name": "anna"}).status_code in (200, 303)
        page = client.get("/").text
        assert "Robes or not" in page and "you have not answered yet" in page
        assert "Next season" not in page.split("What changed")[0]  # not due yet
        service.proposal_act(Actor("anna"), commons, soon["id"], "vote", ballot="yes")
        assert "you have not answered yet" not in client.get("/").text
    finally:
        service.close()


def test_a_lost_decision_forks_in_one_click(tmp_path):
    service = Service(Home(tmp_path / "home"))
    try:
        service.identity_new("anna")
        dara = service.identity_new("dara")["id"]
        commons = service.commons_create(Actor("anna"), name="Choir")["id"]
        lost = service.proposal_open(
            Actor("dara"),
            commons,
            "Dara maintains too",
            kind="maintainer",
            effect={"op": "add_maintainer", "did": dara},
            closes_in_hours=0,
        )["id"]
        service.proposal_act(Actor("anna"), commons, lost, "vote", ballot="no")
        service.proposal_act(Actor("anna"), commons, lost, "close")
        client = TestClient(
            create_app(service), client=("127.0.0.1", 50000), follow_redirects=False
        )
        client.post("/login", data={"name": "dara"})
        page = client.get(f"/c/{commons}/proposals/{lost}").text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        assert f"/proposals/{lost}/fork" in page
        answer = client.post(
            f"/c/{commons}/proposals/{lost}/fork", data={"csrf": token, "name": "Choir (with Dara)"}
        )
        assert answer.status_code == 303
        fork = answer.headers["location"].rsplit("/", 1)[1]
        assert dara in [m["did"] for m in service.commons_show(fork)["maintainers"]]
    finally:
        service.close()
