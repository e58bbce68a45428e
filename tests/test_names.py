"""Commons are found by the names people type: spaces, case and the encoding of accents do not
matter, a blank or taken name is refused when a commons is made, and a name two commons
share (one came from a peer) lists both."""

import unicodedata

import pytest
from click.testing import CliRunner

from communs.cli.main import cli
from communs.core.errors import Ambiguous, BadInput, Refused
from communs.node.home.folder import Actor, Home
from communs.node.service import Service


@pytest.fixture
def service(tmp_path):
    made = Service(Home(tmp_path / "home"))
    made.identity_new("anna")
    yield made
    made.close()


def test_a_name_is_found_whatever_its_spaces_case_and_accents(service):
    made = service.commons_create(Actor("anna"), name="  Jardin   du  Café ")
    assert service.commons_show(made["id"])["name"] == "Jardin du Café"
    decomposed = unicodedata.normalize("NFD", "jardin du café")
    assert decomposed != "jardin du café"
    for typed in ("Jardin du Café", " jardin  du café", decomposed, "JARDIN DU CAFÉ"):
        assert service.commons_show(typed)["id"] == made["id"], typed


def test_a_blank_long_or_taken_name_is_refused_and_says_what_to_do(service):
    with pytest.raises(BadInput, match="needs a name"):
        service.commons_create(Actor("anna"), name="   ")
    with pytest.raises(BadInput, match="at most 200 characters; this one has 201"):
        service.commons_create(Actor("anna"), name="x" * 201)
    first = service.commons_create(Actor("anna"), name="Trail guide")
    with pytest.raises(Refused, match=rf"already in this home \({first['id'][:12]}\).*fork it"):
        service.commons_create(Actor("anna"), name="trail  GUIDE")
    with pytest.raises(Refused, match="already in this home"):
        service.fork(Actor("anna"), first["id"], name="Trail guide")
    assert [c["name"] for c in service.commons_list()] == ["Trail guide"]


def test_a_name_two_commons_share_lists_both(service, tmp_path):
    mine = service.commons_create(Actor("anna"), name="Trail guide")
    other = Service(Home(tmp_path / "elsewhere"))
    try:
        other.identity_new("bao")
        theirs = other.commons_create(Actor("bao"), name="Trail Guide")
        raws = [r.raw for r in other.home.store.events(other.home.cid(bytes.fromhex(theirs["id"])))]
    finally:
        other.close()
    service.home.ingest(raws)  # as a follow brings it
    with pytest.raises(Ambiguous) as refused:
        service.commons_show("trail guide")
    message = str(refused.value)
    assert mine["id"][:12] in message and theirs["id"][:12] in message
    assert "name one by its id" in message
    assert service.commons_show(theirs["id"][:8])["name"] == "Trail Guide"


def test_the_command_line_refuses_a_second_commons_of_the_same_name(tmp_path):
    runner = CliRunner()
    home = ["--home", str(tmp_path / "home")]
    assert runner.invoke(cli, [*home, "id", "new", "--name", "anna"]).exit_code == 0
    made = runner.invoke(cli, [*home, "commons", "create", "--name", " Trail guide "])
    assert made.exit_code == 0
    again = runner.invoke(cli, [*home, "commons", "create", "--name", "Trail guide"])
    assert again.exit_code == 1
    assert "already in this home" in again.output and "choose another name" in again.output
    shown = runner.invoke(cli, [*home, "commons", "show", "trail guide"])
    assert shown.exit_code == 0 and shown.output.startswith("Trail guide  (")


def test_a_fork_without_a_name_is_named_after_its_parent(service):
    guide = service.commons_create(Actor("anna"), name="Trail guide")
    first = service.fork(Actor("anna"), guide["id"], name="  ")
    second = service.fork(Actor("anna"), guide["id"], name="")
    assert (first["name"], second["name"]) == ("Trail guide (fork)", "Trail guide (fork 2)")
    assert service.commons_show("trail guide (fork 2)")["id"] == second["id"]
