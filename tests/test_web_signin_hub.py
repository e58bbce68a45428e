"""Signing in, registering and recovering on a hub, in process: many addresses (which one
machine cannot take for real) and a clock the tests move. No refusal tells which names have
accounts, nor answers sooner for some; the wait said is the real one; failures hold back the
pair (name, address), the address and the name each by its own rule; passphrases are chosen
by rules the form shows, and typed twice."""

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nacl.pwhash
import pytest

from communs.i18n import translator
from communs.node.home.folder import Home
from communs.node.home.keyring import _NAME, new_recovery_code
from communs.node.service import Service
from communs.web import sessions
from communs.web.app import create_web_app
from communs.web.sessions import NO_MATCH, NOT_THE_SAME, Throttle, sign_in_keys
from webkit import TestClient

PASSPHRASE = "correct horse battery"
FAST = {  # sealed keys that open quickly: these tests time nothing but the refusal floor
    "opslimit": nacl.pwhash.argon2id.OPSLIMIT_MIN,
    "memlimit": nacl.pwhash.argon2id.MEMLIMIT_MIN,
}


@dataclass
class Hub:
    service: Service
    app: object
    now: list[float]  # the throttle's clock, in seconds
    code: str  # ada's recovery code

    def browser(self, address: str = "198.51.100.7") -> TestClient:
        return TestClient(self.app, client=(address, 40000), follow_redirects=False)

    def later(self, seconds: float) -> None:
        self.now[0] += seconds


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    """ada and bob have hub accounts; owner is a key kept in clear, made on the hub's machine
    with the command line. Refusals are answered at once unless a test says otherwise."""
    monkeypatch.setattr(sessions, "REFUSAL_FLOOR", 0.0)
    service = Service(Home(tmp_path / "home"))
    code = new_recovery_code()
    service.home.keyring.create("ada", PASSPHRASE, **FAST, recovery=code)
    service.home.keyring.create("bob", PASSPHRASE, **FAST, recovery=new_recovery_code())
    service.home.keyring.create("owner")
    app = create_web_app(service, hub=True)
    now = [1000.0]
    app.app.state.web.throttle = Throttle(clock=lambda: now[0])  # type: ignore[attr-defined]
    try:
        yield Hub(service, app, now, code)
    finally:
        service.close()


def sign_in(browser: TestClient, name: str, passphrase: str):  # noqa: ANN201
    return browser.post("/login", data={"name": name, "passphrase": passphrase, "next": "/"})


def refusal(page) -> str:  # noqa: ANN001
    """The sentence of the page's refusal, above the form or beside a field."""
    found = re.search(r'class="error"[^>]*role="alert">([^<]*)<', page.text)
    assert found, page.text
    return found.group(1).replace("&#39;", "'")


def main_text(page) -> str:  # noqa: ANN001
    """The page's main part without its fields (where a typed name is given back)."""
    main = page.text.split("<main>", 1)[1].split("</main>", 1)[0]
    return re.sub(r"<input[^>]*>", "", main)


# -- no refusal tells which names exist --------------------------------------------------------


def test_no_refusal_on_a_hub_tells_which_names_exist(hub: Hub):
    did = hub.service.home.keyring.info("ada").did
    # carl's file is damaged: bob's sealed key under ada's DID.
    identities = hub.service.home.path / "identities"
    damaged = json.loads((identities / "bob.json").read_text()) | {"name": "carl", "did": did}
    (identities / "carl.json").write_text(json.dumps(damaged))
    tries = {
        "a damaged key file": ("carl", PASSPHRASE),
        "an unknown name": ("zed", "not the passphrase"),
        "a wrong passphrase": ("ada", "not the passphrase"),
        "a key kept in clear": ("owner", "anything at all"),
        "a DID prefix, with the right passphrase": (did.removeprefix("did:key:")[:14], PASSPHRASE),
        "a whole DID, with the right passphrase": (did, PASSPHRASE),
        "a path": ("../ada", PASSPHRASE),
    }
    for number, (what, (name, passphrase)) in enumerate(tries.items()):
        # Each from its own address, so that no wait comes between.
        page = sign_in(hub.browser(f"203.0.113.{number}"), name, passphrase)
        assert page.status_code == 401, what
        assert refusal(page) == NO_MATCH, what
        shown = main_text(page)
        assert not any(account in shown for account in ("ada", "bob", "carl", "owner")), what
        assert "communs_session" not in page.cookies, what


def test_every_refusal_takes_the_same_time(hub: Hub, monkeypatch: pytest.MonkeyPatch):
    """An unknown name costs a dummy derivation, a key in clear none, a key sealed at a low
    cost very little: each refusal still comes after the same floor."""
    monkeypatch.setattr(sessions, "REFUSAL_FLOOR", 0.4)
    for number, name in enumerate(("zed", "ada", "owner")):
        browser = hub.browser(f"203.0.113.{number}")
        started = time.monotonic()
        assert sign_in(browser, name, "not the passphrase").status_code == 401
        took = time.monotonic() - started
        assert 0.4 <= took < 1.5, (name, took)
    started = time.monotonic()
    assert sign_in(hub.browser(), "ada", PASSPHRASE).status_code == 303
    assert time.monotonic() - started < 0.4  # the right passphrase is not slowed down


def test_a_refusal_is_said_in_the_readers_language(hub: Hub):
    browser = hub.browser()
    browser.cookies.set("lang", "fr")
    page = sign_in(browser, "zed", "not the passphrase")
    assert refusal(page) == translator("fr")(NO_MATCH)


# -- the wait said is the real one -------------------------------------------------------------


def test_a_throttled_citizen_is_told_the_real_wait_and_gets_in_once_it_passed(hub: Hub):
    browser = hub.browser()
    for _ in range(Throttle.FREE):
        assert sign_in(browser, "ada", "not the passphrase").status_code == 401
    held = sign_in(browser, "ada", PASSPHRASE)
    assert held.status_code == 429 and held.headers["retry-after"] == "2"
    assert "wait 2 seconds before trying again" in held.text
    hub.later(1.5)
    held = sign_in(browser, "ada", PASSPHRASE)  # half a second left: said as one, never 0
    assert held.status_code == 429 and "wait 1 second before" in held.text
    assert held.headers["retry-after"] == "1"
    hub.later(0.5)
    assert sign_in(browser, "ada", PASSPHRASE).status_code == 303


def test_an_old_mistake_costs_nothing_today():
    now = [0.0]
    throttle = Throttle(clock=lambda: now[0])
    keys = sign_in_keys("ada", "198.51.100.7")
    for _ in range(12):
        throttle.failed(*keys)
    assert throttle.wait(*keys) == Throttle.PAIR.ceiling
    now[0] += Throttle.FORGET
    throttle.failed(*keys)  # one typo, an hour later
    assert throttle.wait(*keys) == 0


def test_the_wait_said_is_that_of_the_key_that_blocks():
    now = [0.0]
    throttle = Throttle(clock=lambda: now[0])
    for number in range(Throttle.NAME.free):  # ada tried from ten places
        throttle.failed(*sign_in_keys("ada", f"203.0.113.{number}"))
    for _ in range(Throttle.FREE):  # and from the library, three times
        throttle.failed(*sign_in_keys("ada", "192.0.2.50"))
    wait, key = throttle.blocking(*sign_in_keys("ada", "192.0.2.50"))
    # The name waits 2 ** (13 - 10 + 1) = 16 s, the pair 2 s: the name's wait is said.
    assert (wait, key) == (16.0, "name:ada")
    assert sessions.held_elsewhere(key)
    assert throttle.blocking(*sign_in_keys("bob", "192.0.2.50")) == (0.0, None)


# -- who is held back ----------------------------------------------------------------------------


def test_strangers_keep_a_citizen_waiting_a_minute_at_most_and_never_where_she_signs_in(
    hub: Hub,
):
    at_home = hub.browser("198.51.100.7")
    assert sign_in(at_home, "ada", PASSPHRASE).status_code == 303  # her usual place
    for number in range(Throttle.NAME.free):
        guess = sign_in(hub.browser(f"203.0.113.{number}"), "ada", "a guess")
        assert guess.status_code == 401
    at_a_cafe = sign_in(hub.browser("192.0.2.1"), "ada", PASSPHRASE)
    assert at_a_cafe.status_code == 429
    assert "Many wrong passphrases were tried for this name lately" in at_a_cafe.text
    assert sign_in(hub.browser("198.51.100.7"), "ada", PASSPHRASE).status_code == 303
    # However long strangers go on, each waits a minute at most before trying.
    throttle = hub.app.app.state.web.throttle  # type: ignore[attr-defined]
    for number in range(40):
        wait = throttle.wait(*sign_in_keys("ada", "192.0.2.1"))
        assert wait <= Throttle.NAME.ceiling
        hub.later(wait)
        assert sign_in(hub.browser(f"203.0.114.{number}"), "ada", "a guess").status_code == 401
    assert throttle.wait(*sign_in_keys("ada", "192.0.2.1")) == Throttle.NAME.ceiling
    hub.later(Throttle.NAME.ceiling)
    assert sign_in(hub.browser("192.0.2.1"), "ada", PASSPHRASE).status_code == 303


def test_one_persons_failures_do_not_lock_out_their_neighbours(hub: Hub):
    library = "192.0.2.50"
    for _ in range(15):  # bob forgot his passphrase and keeps trying, as his waits allow
        hub.later(Throttle.PAIR.ceiling)
        assert sign_in(hub.browser(library), "bob", "is it this one").status_code == 401
    assert sign_in(hub.browser(library), "bob", PASSPHRASE).status_code == 429
    # ada, at the next table, never signed in from the library before.
    assert sign_in(hub.browser(library), "ada", PASSPHRASE).status_code == 303


def test_many_names_tried_from_one_address_hold_it_back_but_not_its_citizens(hub: Hub):
    library = "192.0.2.50"
    for citizen in ("ada", "bob"):  # both signed in from the library before
        assert sign_in(hub.browser(library), citizen, PASSPHRASE).status_code == 303
    for number in range(Throttle.ADDRESS.free):
        assert sign_in(hub.browser(library), f"name{number}", "a guess").status_code == 401
    held = sign_in(hub.browser(library), "name99", "a guess")
    assert held.status_code == 429 and "Too many failed attempts" in held.text
    # Signing in to an account of one's own (bob's, say) does not wipe the address's count.
    assert sign_in(hub.browser(library), "bob", PASSPHRASE).status_code == 303
    assert sign_in(hub.browser(library), "name100", "a guess").status_code == 429
    assert sign_in(hub.browser(library), "ada", PASSPHRASE).status_code == 303
    # A newcomer at the library waits too, a minute at most; elsewhere nobody does.
    newcomer = sign_in(hub.browser(library), "carl", "his passphrase")
    assert newcomer.status_code == 429
    assert int(newcomer.headers["retry-after"]) <= Throttle.ADDRESS.ceiling
    assert sign_in(hub.browser("203.0.113.1"), "name100", "a guess").status_code == 401


def test_recovery_codes_count_as_sign_ins_do(hub: Hub):
    browser = hub.browser()
    form = {"name": "ada", "code": "AAAAA-BBBBB-CCCCC-DDDDD"}
    form |= {"passphrase": "a new passphrase", "again": "a new passphrase"}
    for _ in range(Throttle.FREE):
        assert browser.post("/recover", data=form).status_code == 401
    held = browser.post("/recover", data=form)
    assert held.status_code == 429 and held.headers["retry-after"] == "2"
    assert sign_in(browser, "ada", PASSPHRASE).status_code == 429


def test_the_throttle_keeps_a_bounded_number_of_keys(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(Throttle, "MOST", 50)
    throttle = Throttle()
    for number in range(500):
        keys = sign_in_keys(f"name{number}", f"203.0.{number // 250}.{number % 250}")
        throttle.failed(*keys)
        throttle.succeeded(*keys)
        throttle.failed(*keys)
    assert len(throttle._failures) <= 50 and len(throttle._known) <= 50


# -- registering and recovering ----------------------------------------------------------------


def register(browser: TestClient, name: str, passphrase: str, again: str | None = None):  # noqa: ANN201
    form = {"name": name, "passphrase": passphrase}
    form["again"] = passphrase if again is None else again
    return browser.post("/register", data=form)


def test_the_register_form_shows_its_rules_and_asks_the_passphrase_twice(hub: Hub):
    page = hub.browser().get("/register").text
    assert page.count('type="password"') == 2 and 'name="again"' in page
    assert "At least 8 characters, and not your name." in page
    assert "1 to 40 letters without accents, digits" in page
    assert f'pattern="{_NAME.pattern}"' in page  # the browser checks the keyring's rule
    assert 'aria-describedby="passphrase-rules"' in page


def test_two_different_passphrases_are_refused_beside_the_form_the_name_kept(hub: Hub):
    browser = hub.browser()
    refused = register(browser, "carla", "a long passphrase", "a long passfrase")
    assert refused.status_code == 400
    assert refusal(refused) == NOT_THE_SAME
    assert 'id="again-error"' in refused.text and 'aria-invalid="true"' in refused.text
    assert 'value="carla"' in refused.text
    assert "a long pass" not in refused.text  # passphrases are never sent back
    assert "carla" not in {i["name"] for i in hub.service.identities()}
    assert register(browser, "carla", "a long passphrase").status_code == 303


@pytest.mark.parametrize(
    ("passphrase", "said", "beside"),
    [
        ("short", "at least 8 characters", "passphrase"),
        ("  seven  ", "at least 8 characters", "passphrase"),  # spaces at the ends: not counted
        ("carlacarla", "must not be your name", "passphrase"),
        ("CarlaCarla ", "must not be your name", "passphrase"),
    ],
)
def test_passphrase_rules(hub: Hub, passphrase: str, said: str, beside: str):
    answer = register(hub.browser(), "carlacarla", passphrase)
    assert answer.status_code == 400 and said in refusal(answer)
    assert f'id="{beside}-error"' in answer.text


def test_a_bad_or_taken_name_is_said_beside_its_field(hub: Hub):
    browser = hub.browser()
    bad = register(browser, ".hidden", "a long passphrase")
    assert bad.status_code == 400 and 'id="name-error"' in bad.text
    assert "1 to 40 letters without accents" in refusal(bad)
    taken = register(browser, "ada", "a long passphrase")
    assert taken.status_code == 400 and 'id="name-error"' in taken.text
    assert refusal(taken) == "The name ada is taken: choose another."


def test_a_program_that_sends_the_passphrase_once_still_registers(hub: Hub):
    """The hub's benchmark and scripts post the name and passphrase only: no typo to catch."""
    made = hub.browser().post("/register", data={"name": "dara", "passphrase": "a long one!"})
    assert made.status_code == 303
    # A form sends the second field even when it is left empty: that is a typo.
    empty = register(hub.browser(), "emile", "a long passphrase", "")
    assert empty.status_code == 400 and refusal(empty) == NOT_THE_SAME


def test_recovering_asks_the_new_passphrase_twice(hub: Hub):
    browser = hub.browser()
    page = browser.get("/recover").text
    assert page.count('type="password"') == 2 and "At least 8 characters" in page
    form = {"name": "ada", "code": hub.code, "passphrase": "a new passphrase"}
    refused = browser.post("/recover", data={**form, "again": "a new passphrase?"})
    assert refused.status_code == 400 and refusal(refused) == NOT_THE_SAME
    assert f'value="{hub.code}"' in refused.text and 'value="ada"' in refused.text
    assert hub.service.home.keyring.load("ada", PASSPHRASE)  # nothing changed
    done = browser.post("/recover", data={**form, "again": "a new passphrase"})
    assert done.status_code == 303
    assert hub.service.home.keyring.load("ada", "a new passphrase")
