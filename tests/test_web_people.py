"""People by name, not by key. Mentions: ``@bao`` in a message reaches bao (the log holds
bao's DID), shows as bao's name linked to their page with the DID on hover, reads ``@bao``
again when edited; a name nobody bears, or two people share, is refused with what to do. The
directories of the node and of a commons, and forks named by their origin's name."""

import re
from collections.abc import Iterator

import pytest

from communs.node.home.folder import Actor
from communs.node.reads.mentions import by_name
from webkit import TrailGuide, csrf, trail_guide

ANNA, BAO, CAMILLE = "did:key:z6MkA", "did:key:z6MkB", "did:key:z6MkC"


@pytest.fixture
def node(tmp_path) -> Iterator[TrailGuide]:
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        # bao takes part (and so signs a display name in the commons)
        made.service.thread_post(Actor("bao"), made.commons, "commons", "", "Hello all")
        yield made


def post(node: TrailGuide, who: str, text: str):
    client = node.browser(who)
    page = f"/c/{node.commons}"
    return client.post(
        f"/c/{node.commons}/discussion/post",
        data={"csrf": csrf(client, page), "kind": "commons", "ref": "", "text": text,
              "next": page},
    )  # fmt: skip


def test_by_name_takes_the_longest_name_whatever_its_case_and_accents():
    known = {ANNA: "anna", BAO: "Anna Smith", CAMILLE: "Camille"}
    assert by_name("@anna smith and @ANNA, @camille!", known) == (
        f"@{BAO} and @{ANNA}, @{CAMILLE}!"
    )
    assert by_name("mail me at a@b.org, @ 5pm", known) == "mail me at a@b.org, @ 5pm"
    assert by_name(f"@{ANNA} stays", known) == f"@{ANNA} stays"
    accented = {ANNA: "Zoé"}
    assert by_name("@Zoe\u0301 là", accented) == f"@{ANNA} là"  # a combining accent


def test_an_unknown_or_shared_name_is_refused_with_what_to_do():
    with pytest.raises(Exception, match="nobody named 'bob'.*people here: anna"):
        by_name("hey @bob", {ANNA: "anna"})
    with pytest.raises(Exception, match="2 people are named .anna.*did:key"):
        by_name("hey @anna", {ANNA: "anna", BAO: "Anna"})


def test_a_mention_by_name_reaches_the_person_and_shows_their_name(node):
    response = post(node, "anna", "Thanks @bao, the map is clear.")
    assert response.status_code == 303, response.text
    thread = node.service.thread(node.commons)
    [message] = [m for m in thread["messages"] if "map is clear" in m["text"]]
    assert message["text"] == f"Thanks @{node.bao}, the map is clear."
    assert message["mentions"] == [node.bao]
    page = node.browser("anna").get(f"/c/{node.commons}").text
    link = re.search(r'<a class="mention" href="/people/([^"]+)" title="([^"]+)">@bao</a>', page)
    assert link and link.groups() == (node.bao, node.bao), page
    notes = node.browser("bao").get(f"/people/{node.bao}.json").json()["notifications"]
    assert [n["why"] for n in notes] == ["mention"]
    # Editing shows the name again, and saving keeps the DID in the log.
    client = node.browser("anna")
    edit = client.get(f"/c/{node.commons}").text
    assert "Thanks @bao, the map is clear.</textarea>" in edit


def test_a_mention_of_nobody_comes_back_with_the_names_that_exist(node):
    response = post(node, "anna", "Ask @bobby about it")
    assert response.status_code == 400
    assert "nobody named" in response.text and "bobby" in response.text
    assert not [m for m in node.service.thread(node.commons)["messages"] if "bobby" in m["text"]]


def test_the_refusal_is_said_in_the_readers_language(node):
    client = node.browser("anna")
    client.cookies.set("lang", "fr")
    page = f"/c/{node.commons}"
    response = client.post(
        f"/c/{node.commons}/discussion/post",
        data={"csrf": csrf(client, page), "kind": "commons", "ref": "", "text": "@bobby ?",
              "next": page},
    )  # fmt: skip
    assert response.status_code == 400
    assert "personne du nom de" in response.text and "bobby" in response.text


def test_a_newcomer_who_has_not_acted_is_mentioned_by_their_account_name(node):
    chloe = node.service.identity_new("chloe")["id"]  # an account of this node, no profile
    assert post(node, "anna", "Welcome @chloe!").status_code == 303
    [message] = [m for m in node.service.thread(node.commons)["messages"] if "Welcome" in m["text"]]
    assert message["mentions"] == [chloe]


def test_the_people_directories_list_names_and_maintainers(node):
    client = node.browser("bao")
    everyone = client.get("/people.json").json()
    names = {p["did"]: p["names"] for p in everyone["people"]}
    assert names[node.anna] == ["anna"] and names[node.bao] == ["bao"]
    of_commons = client.get(f"/c/{node.commons}/people").text
    assert f'href="/people/{node.anna}"' in of_commons and "maintainer" in of_commons
    found = client.get("/people.json?q=BA").json()["people"]
    assert [p["did"] for p in found] == [node.bao]
    header = client.get("/").text
    assert '<a href="/people">' in header  # "People" opens the directory, not one's own page
    assert f'<a href="/people/{node.bao}"><strong>bao</strong></a>' in header


def test_a_fork_is_named_by_the_name_of_its_origin(node):
    fork = node.service.fork(Actor("bao"), node.commons, name="Guide de la vallée")["id"]
    client = node.browser("bao")
    home = client.get("/").text
    assert re.search(rf'Forked from <a href="/c/{node.commons}"[^>]*>Trail guide</a>', home)
    charter = client.get(f"/c/{fork}/charter").text
    assert re.search(rf'<a href="/c/{node.commons}"[^>]*>Trail guide</a>', charter)
