"""A lending library's catalogue: items added by its stewards with their photos and what a
borrower and a steward need to know, edited, their status changed; refused to anyone else
with its code; read in the browser (in French too), on the command line and over the API."""

import html as htmllib
import io
import json
import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from communs.api.app import create_app
from communs.cli.main import cli
from communs.core.errors import BadInput, NotFound, Refused
from communs.node.home.folder import Actor, Home
from communs.node.home.lock import ensure_token
from communs.node.service import Service
from webkit import TestClient, csrf, visitor

PNG = (  # a real 1×1 image, so that the thumbnail is drawn
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


class Library:
    def __init__(self, service: Service, commons: str):
        self.service, self.commons = service, commons
        self.app = create_app(service)


@pytest.fixture
def library(tmp_path) -> Iterator[Library]:
    """anna keeps the library "Outils du quartier" (a maintainer: a steward); bao borrows."""
    service = Service(Home(tmp_path / "home"))
    try:
        service.identity_new("anna")
        service.identity_new("bao")
        made = service.commons_create(Actor("anna"), name="Outils du quartier", kind="library")
        yield Library(service, made["id"])
    finally:
        service.close()


def drill(library: Library) -> str:
    photo = library.service.blob_add(io.BytesIO(PNG), "perceuse.png")["hash"]
    made = library.service.item_add(
        Actor("anna"), library.commons, title="Perceuse à percussion", category="tools",
        brand="Bosch", value="120", deposit="20", risk="training", loan_days=3,
        care="Lunettes de protection.", location="Atelier, étagère 2", photos=[photo],
    )  # fmt: skip
    return made["id"]


def test_a_steward_adds_edits_and_marks_an_item(library):
    s, anna = library.service, Actor("anna")
    iid = drill(library)
    item = s.item(library.commons, iid[:8])
    assert (item["title"], item["value"], item["deposit"], item["status"]) == (
        "Perceuse à percussion", 12000, 2000, "available",
    )  # fmt: skip
    assert (item["risk"], item["loan_days"], item["by_name"]) == ("training", 3, "anna")
    s.item_edit(anna, library.commons, iid[:8], condition="worn", deposit="25")
    edited = s.item(library.commons, iid)
    assert (edited["condition"], edited["deposit"], edited["brand"]) == ("worn", 2500, "Bosch")
    s.item_status(anna, library.commons, iid, "maintenance", "the chuck is loose")
    assert s.items(library.commons, status="maintenance")["items"][0]["status_note"] == (
        "the chuck is loose"
    )
    assert s.items(library.commons, category="garden")["items"] == []


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises((BadInput, NotFound, Refused)) as caught:
        call(*args, **kwargs)
    return caught.value.code


def test_only_stewards_change_the_catalogue_and_bad_input_is_said(library):
    s = library.service
    iid = drill(library)
    bao = Actor("bao")
    assert code_of(s.item_add, bao, library.commons, title="Scie") == "not_maintainer"
    assert code_of(s.item_status, bao, library.commons, iid, "missing") == "not_maintainer"
    anna = Actor("anna")
    assert code_of(s.item_status, anna, library.commons, iid, "available") == "same_status"
    assert code_of(s.item_add, anna, library.commons, title="Scie", value="12,345") == (
        "not_an_amount"
    )
    assert code_of(s.item_add, anna, library.commons, title="Scie", colour="red") == (
        "no_item_field"
    )
    assert code_of(s.item, library.commons, "abcdef") == "item_not_found"
    assert len(s.items(library.commons)["items"]) == 1  # nothing refused was kept


def test_the_catalogue_in_the_browser_with_photos_in_french(library):
    anna = visitor(library.app, "anna")
    page = f"/c/{library.commons}/library"
    made = anna.post(
        page,
        data={"csrf": csrf(anna, page), "title": "Taille-haie", "category": "garden",
              "value": "80", "risk": "approval", "care": "Gants."},
        files={"photo": ("haie.png", io.BytesIO(PNG), "image/png")},
    )  # fmt: skip
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    shown = htmllib.unescape(anna.get(url).text)
    assert "Taille-haie" in shown and "€80.00" in shown and "a steward approves each loan" in shown
    photo = re.search(r'src="(/c/[0-9a-f]+/thumb/[0-9a-f]{64})"', shown)
    assert photo and anna.get(photo.group(1)).status_code == 200
    bao = visitor(library.app, "bao")
    refused = bao.post(f"{url}/status", data={"csrf": csrf(bao, url), "status": "missing"})
    assert refused.status_code == 409
    assert "only maintainers can change the status of items" in htmllib.unescape(refused.text)
    marked = anna.post(f"{url}/status", data={"csrf": csrf(anna, url), "status": "maintenance",
                                             "note": "lame émoussée"})  # fmt: skip
    assert marked.status_code == 303
    french = visitor(library.app)
    french.cookies.set("lang", "fr")
    catalogue = htmllib.unescape(french.get(page).text)
    assert "Taille-haie" in catalogue and "en maintenance" in catalogue and "jardin" in catalogue
    assert "Ajouter un objet" not in catalogue  # a visitor is no steward
    assert "Catalogue" in htmllib.unescape(french.get(f"/c/{library.commons}").text)


def test_the_command_line_and_the_api(library, tmp_path):
    drill(library)
    client = TestClient(library.app, client=("127.0.0.1", 50000))
    listed = client.get(f"/api/commons/{library.commons}/items").json()
    assert [i["title"] for i in listed["items"]] == ["Perceuse à percussion"]
    client.headers["Authorization"] = f"Bearer {ensure_token(library.service.home.path)}"
    added = client.post(f"/api/commons/{library.commons}/items",
                        json={"as": "anna", "title": "Tente", "category": "camping",
                              "deposit": "15"})  # fmt: skip
    assert added.status_code == 200, added.text
    refused = client.post(f"/api/commons/{library.commons}/items",
                          json={"as": "bao", "title": "Mine"})  # fmt: skip
    assert (refused.status_code, refused.json()["code"]) == (409, "not_maintainer")
    library.service.close()
    home = ["--home", str(tmp_path / "home")]
    run = CliRunner()
    photo = tmp_path / "scie.png"
    photo.write_bytes(PNG)
    made = run.invoke(cli, [*home, "--as", "anna", "library", "add", "Outils du quartier",
                            "--title", "Scie sauteuse", "--category", "tools", "--value", "60",
                            "--photo", str(photo)])  # fmt: skip
    assert made.exit_code == 0, made.output
    iid = made.output.strip()
    shown = run.invoke(cli, [*home, "library", "show", "Outils du quartier", iid[:8]])
    assert "Scie sauteuse" in shown.output and "60.00 EUR" in shown.output
    marked = run.invoke(cli, [*home, "--as", "anna", "library", "status", "Outils du quartier",
                              iid[:8], "retired", "--note", "cassée"])  # fmt: skip
    assert marked.exit_code == 0, marked.output
    found = json.loads(run.invoke(cli, [*home, "library", "list", "Outils du quartier",
                                        "--json"]).output)  # fmt: skip
    assert {i["title"]: i["status"] for i in found["items"]} == {
        "Scie sauteuse": "retired", "Tente": "available", "Perceuse à percussion": "available",
    }  # fmt: skip


def test_a_big_catalogue_is_shown_a_page_at_a_time(library):
    for n in range(61):
        library.service.item_add(Actor("anna"), library.commons, title=f"Outil {n}")
    client = visitor(library.app)
    first = client.get(f"/c/{library.commons}/library").text
    second = client.get(f"/c/{library.commons}/library?page=2").text
    assert first.count('class="catalogue-item"') == 60 and "Outil 60" in first
    assert second.count('class="catalogue-item"') == 1 and "Outil 0<" in second
    assert f'href="/c/{library.commons}/library?page=2"' in first


def amend(s: Service, change: dict) -> None:
    """anna changes the charter herself (a maintainer, threshold 1)."""
    from communs.node.actions.commons import change_charter

    with s.lock:
        commons = next(iter(s.home.store.find_commons("")))
        change_charter(s.home, s._me(Actor("anna")), commons, change)


def test_members_join_by_the_agreement_and_only_stewards_see_their_contact(library):
    s, anna, bao = library.service, Actor("anna"), Actor("bao")
    change = {"op": "set", "field": "member_agreement", "value": "Bring it back clean."}
    amend(s, change)
    s.library_join(bao, library.commons)
    s.personal_set(bao, library.commons, {"phone": "+33 6 12 34 56 78", "iban": ""})
    public = s.library_members(None, library.commons)["members"]
    assert [(m["name"], m["agreed"], m["contact"]) for m in public] == [("bao", True, {})]
    assert s.library_members(bao, library.commons)["members"][0]["contact"] == {}
    steward = s.library_members(anna, library.commons)
    assert steward["steward"] and steward["members"][0]["contact"] == {"phone": "+33 6 12 34 56 78"}
    assert [r["name"] for r in s.personal(bao, library.commons)["reads"]] == ["anna"]
    amend(s, {**change, "value": "Bring it back clean and dry."})
    assert s.library_members(None, library.commons)["members"][0]["agreed"] is False
    s.library_join(bao, library.commons)  # signed again: the same member since the first day
    again = s.library_members(None, library.commons)["members"][0]
    assert again["agreed"] and again["since"] == public[0]["since"]
    bao_did = again["did"]
    assert s.library_membership(library.commons, bao_did) == {
        "count": 1, "yours": {"since": again["since"], "agreed": True},
    }  # fmt: skip
    assert s.library_membership(library.commons, None) == {"count": 1, "yours": None}


def test_joining_from_the_browser_and_the_command_line(library, tmp_path):
    bao = visitor(library.app, "bao")
    page = f"/c/{library.commons}/library"
    joined = bao.post(f"{page}/join", data={"csrf": csrf(bao, page)})
    assert joined.status_code == 303
    shown = htmllib.unescape(bao.get(page).text)
    assert "You are a member since" in shown and "1 member" in shown
    listing = bao.get(f"{page}/members")
    assert listing.status_code == 200 and "bao" in listing.text
    assert listing.headers["cache-control"] == "no-store"
    library.service.close()
    run = CliRunner()
    home = ["--home", str(tmp_path / "home")]
    made = run.invoke(cli, [*home, "--as", "anna", "library", "join", "Outils du quartier"])
    assert made.exit_code == 0 and "You are a member" in made.output, made.output
    listed = run.invoke(cli, [*home, "--as", "anna", "library", "members", "Outils du quartier"])
    assert "anna" in listed.output and "bao" in listed.output
