"""Signing in on a hub against a hostile visitor: one answer, in the same time, for an
unknown name and a wrong passphrase; no account listed in a refusal; failures slow the
address that makes them without locking the citizen out; registrations are limited per
address; a redirect after signing in never leaves the site."""

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import nacl.pwhash
import pytest

from browser import HubNode
from communs.core.errors import Refused
from communs.node.home.keyring import Keyring, new_recovery_code
from communs.web import sessions
from communs.web.base import safe_next
from communs.web.sessions import Registrations, Throttle, say_wait, sign_in_keys

PASSPHRASE = "a b c d e"
NO_MATCH = "That name and passphrase do not match."
FAST = {
    "opslimit": nacl.pwhash.argon2id.OPSLIMIT_MIN,
    "memlimit": nacl.pwhash.argon2id.MEMLIMIT_MIN,
}


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubNode]:
    node = HubNode(tmp_path / "hub").start()
    try:
        yield node
    finally:
        node.stop()


def client(hub: HubNode) -> httpx.Client:
    return httpx.Client(base_url=hub.url, timeout=60, trust_env=False)


def register(hub: HubNode, name: str) -> None:
    with client(hub) as browser:
        made = browser.post("/register", data=registration(name))
        assert made.status_code == 303, made.text


def registration(name: str, passphrase: str = PASSPHRASE) -> dict[str, str]:
    """The register form filled in as a person does: the passphrase typed twice."""
    return {"name": name, "passphrase": passphrase, "again": passphrase}


def sign_in(browser: httpx.Client, name: str, passphrase: str, **extra: str) -> httpx.Response:
    return browser.post("/login", data={"name": name, "passphrase": passphrase, **extra})


def timed(browser: httpx.Client, name: str, passphrase: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    answer = sign_in(browser, name, passphrase)
    return time.perf_counter() - started, answer


def test_unknown_names_and_wrong_passphrases_get_one_answer_in_the_same_time(hub: HubNode):
    register(hub, "ada")
    register(hub, "bob")
    with client(hub) as browser:
        sign_in(browser, "nobody", "warm up")  # the first unknown name builds the dummy key
        wrong_time, wrong = timed(browser, "ada", "not the passphrase")
        unknown_time, unknown = timed(browser, "zed", "not the passphrase")
    assert wrong.status_code == unknown.status_code == 401
    assert NO_MATCH in wrong.text and NO_MATCH in unknown.text
    for refusal in (wrong.text, unknown.text):
        shown = re.sub(r"<input[^>]*>", "", refusal)  # the name typed is given back in its field
        assert "bob" not in shown and "ada" not in shown
    ratio = unknown_time / wrong_time
    print(f"wrong passphrase {wrong_time * 1000:.0f} ms, unknown name {unknown_time * 1000:.0f} ms")
    assert 0.5 < ratio < 2, (wrong_time, unknown_time)


def test_a_throttled_citizen_is_told_a_real_wait_then_gets_in(hub: HubNode):
    register(hub, "ada")
    with client(hub) as browser:
        for _ in range(Throttle.FREE):
            assert sign_in(browser, "ada", "wrong one").status_code == 401
        refused = sign_in(browser, "ada", PASSPHRASE)
        assert refused.status_code == 429
        # the wait left, said rounded up: 2 seconds, or 1 if the tries themselves were slow
        said = re.search(r"wait (\d+) seconds?", refused.text)
        assert said and 1 <= int(said.group(1)) <= 2, refused.text
        time.sleep(int(said.group(1)) + 0.1)
        assert sign_in(browser, "ada", PASSPHRASE).status_code == 303


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "/\\evil.example", "https://evil.example/", "/\t/evil.example", ""],
)
def test_signing_in_never_redirects_off_the_site(hub: HubNode, target: str):
    register(hub, "ada")
    with client(hub) as browser:
        answer = sign_in(browser, "ada", PASSPHRASE, next=target)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"
        page = browser.get("/login", params={"next": target})
        assert 'name="next" value="/"' in page.text


def test_registrations_are_limited_per_address(hub: HubNode):
    for number in range(Registrations.PER_HOUR):
        register(hub, f"citizen{number}")
    with client(hub) as browser:
        refused = browser.post("/register", data=registration("onemore"))
    assert refused.status_code == 429
    assert "try again in 60 minutes" in refused.text
    assert refused.headers["retry-after"] == "3600"
    assert 'value="onemore"' in refused.text  # the name stays in its field


# -- the pieces, with addresses a test cannot take on one machine ----------------------------


def test_a_strangers_failures_from_another_address_do_not_lock_the_citizen_out():
    throttle = Throttle()
    throttle.succeeded(*sign_in_keys("ada", "198.51.100.7"))  # ada's usual place
    for _ in range(20):
        throttle.failed(*sign_in_keys("ada", "203.0.113.9"))
    assert throttle.wait(*sign_in_keys("ada", "203.0.113.9")) > 0
    assert throttle.wait(*sign_in_keys("ada", "198.51.100.7")) == 0
    # From a place she never signed in from, she waits a minute at most.
    assert 0 < throttle.wait(*sign_in_keys("ada", "192.0.2.1")) <= Throttle.NAME.ceiling
    assert throttle.wait(*sign_in_keys("bob", "203.0.113.9")) == 0  # one name: counted once


def test_waits_are_rounded_up_and_said_in_minutes_when_long():
    assert say_wait(0.01) == "1 second"
    assert say_wait(1.2) == "2 seconds"
    assert say_wait(299.5) == "5 minutes"


def test_registrations_count_per_address(monkeypatch: pytest.MonkeyPatch):
    now = [1000.0]
    monkeypatch.setattr(sessions.time, "monotonic", lambda: now[0])
    made = Registrations()
    for _ in range(Registrations.PER_HOUR):
        assert made.wait("203.0.113.9") == 0
        made.made("203.0.113.9")
    assert made.wait("203.0.113.9") == 3600
    assert made.wait("198.51.100.7") == 0
    now[0] += 3601
    assert made.wait("203.0.113.9") == 0


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/", "/"),
        ("/c/abc?x=1", "/c/abc?x=1"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/a\r\nSet-Cookie: x", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_safe_next_keeps_only_paths_of_the_node(target: object, kept: str):
    assert safe_next(target) == kept


# -- recovery codes --------------------------------------------------------------------------

NO_RECOVERY = "That name and recovery code do not match."
CODE = re.compile(
    r"(?:Your recovery code|Votre code de récupération)\s?: "
    r"<strong><code>([A-Z2-7]{5}(?:-[A-Z2-7]{5}){3})</code>"
)


def shown_code(page: httpx.Response) -> str:
    found = CODE.search(page.text)
    assert found, page.text
    return found.group(1)


def recover(browser: httpx.Client, name: str, code: str, passphrase: str) -> httpx.Response:
    form = {"name": name, "code": code, "passphrase": passphrase, "again": passphrase}
    return browser.post("/recover", data=form)


def test_a_recovery_code_is_shown_once_and_replaces_a_forgotten_passphrase(hub: HubNode):
    with client(hub) as browser:
        made = browser.post("/register", data=registration("ada"))
        assert made.status_code == 303 and made.headers["location"] == "/"
        landing = browser.get("/")
        code = shown_code(landing)
        assert 'id="notifications"' in landing.text  # the landing page is the home page still
        assert "Write it down" in landing.text
        assert code not in browser.get("/").text  # once only
    with client(hub) as stranger:
        assert 'href="/recover"' in stranger.get("/login").text

    with client(hub) as stranger:
        wrong = recover(stranger, "ada", "AAAAA-BBBBB-CCCCC-DDDDD", "a new passphrase")
        unknown = recover(stranger, "zed", code, "a new passphrase")
        for refusal in (wrong, unknown):
            assert refusal.status_code == 401
            shown = re.sub(r"<input[^>]*>", "", refusal.text.split("<main>")[1])
            assert NO_RECOVERY in refusal.text and "ada" not in shown
            assert 'name="code" value=""' in refusal.text  # a code that failed is not kept
        assert recover(stranger, "ada", code, "short").status_code == 400

    with client(hub) as browser:
        # Typed in small letters without dashes, the code still opens the key.
        answer = recover(browser, "ada", code.lower().replace("-", " "), "a new passphrase")
        assert answer.status_code == 303, answer.text
        page = browser.get("/")
        assert re.search(r"signed in as (<a [^>]*>)?<strong>ada</strong>", page.text)
        new_code = shown_code(page)
        assert new_code != code
        assert new_code not in browser.get("/").text

    with client(hub) as browser:
        assert NO_MATCH in sign_in(browser, "ada", PASSPHRASE).text
        assert sign_in(browser, "ada", "a new passphrase").status_code == 303
    with client(hub) as browser:
        assert NO_RECOVERY in recover(browser, "ada", code, "yet another one").text
        assert recover(browser, "ada", new_code, "yet another one").status_code == 303


def test_the_recovery_code_is_said_in_french_and_not_in_the_json_twin(hub: HubNode):
    with client(hub) as browser:
        browser.cookies.set("lang", "fr")
        browser.post("/register", data=registration("ada"))
        twin = browser.get("/.json")  # a program's page neither shows nor spends the code
        page = browser.get("/")
        assert "Votre code de récupération" in page.text and "Notez-le" in page.text
        assert shown_code(page) not in twin.text
        assert "Phrase secrète oubliée\u202f?" in browser.get("/login").text


def test_recovery_codes_are_throttled_like_passphrases(hub: HubNode):
    register(hub, "ada")
    with client(hub) as browser:
        for _ in range(Throttle.FREE):
            assert recover(browser, "ada", "AAAAA-BBBBB-CCCCC-DDDDD", PASSPHRASE).status_code == 401
        assert recover(browser, "ada", "AAAAA-BBBBB-CCCCC-DDDDD", PASSPHRASE).status_code == 429
        assert sign_in(browser, "ada", PASSPHRASE).status_code == 429


def test_the_copy_sealed_with_the_recovery_code_stays_on_the_hub(tmp_path: Path):
    keyring = Keyring(tmp_path / "identities")
    code = new_recovery_code()
    made = keyring.create("ada", "correct horse", **FAST, recovery=code)
    assert keyring.key("ada").recover(code).did == made.did
    assert "recovery" in json.loads((tmp_path / "identities" / "ada.json").read_text())
    assert "recovery" not in keyring.export("ada")
    with pytest.raises(Refused):
        keyring.key("ada").recover(new_recovery_code())
    old = keyring.create("bob", "correct horse", **FAST)  # registered before recovery codes
    assert keyring.key("bob").recovery is None
    with pytest.raises(Refused):
        keyring.key("bob").recover(code)
    assert old.did != made.did


def test_a_recovery_code_opens_the_key_once_even_when_two_use_it_at_once(tmp_path: Path):
    keyring = Keyring(tmp_path / "identities")
    code = new_recovery_code()
    made = keyring.create("ada", "correct horse", **FAST, recovery=code)
    first, second = keyring.key("ada"), keyring.key("ada")  # both read before either writes
    keyring.reseal(first, first.recover(code), "first new one", new_recovery_code())
    with pytest.raises(Refused):
        keyring.reseal(second, second.recover(code), "second new one", new_recovery_code())
    assert keyring.load("ada", "first new one").did == made.did
    with pytest.raises(Refused):
        keyring.load("ada", "second new one")
