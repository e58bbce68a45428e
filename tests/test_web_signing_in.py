"""Signing in with a passphrase costs half a second of Argon2id: it must never stall the node.
The key is unlocked outside the node's lock (so writers and readers go on) and off the event
loop (so every other request goes on), one at a time, and people are asked to come back
when too many sign in at once."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import nacl.pwhash
import pytest

from communs.api.app import create_app
from communs.node.home.folder import Actor, Home
from communs.node.service import Service
from communs.web import sessions
from communs.web.app import create_web_app
from communs.web.base import UNLOCKS_WAITING
from nodes import Node
from webkit import TestClient

FAST = {  # a sealed key that opens quickly, for the tests that do not time anything
    "opslimit": nacl.pwhash.argon2id.OPSLIMIT_MIN,
    "memlimit": nacl.pwhash.argon2id.MEMLIMIT_MIN,
}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    made = Service(Home(tmp_path / "home"))
    made.home.keyring.create("ada", "correct horse", **FAST)
    yield made
    made.close()


def while_locked(service: Service, call: Callable[[], Any]) -> Any:
    """``call()`` on another thread while this one holds the node's lock; its result, or a
    failure if it waited for the lock."""
    with ThreadPoolExecutor(1) as pool, service.lock:
        return pool.submit(call).result(timeout=20)


def test_a_key_is_unlocked_while_someone_else_holds_the_node_lock(service: Service):
    name, identity = while_locked(service, lambda: service.sign_in("ada", "correct horse"))
    assert (name, identity.did) == ("ada", service.home.keyring.info("ada").did)
    unlocked = while_locked(service, lambda: service.unlocked(Actor("ada", "correct horse")))
    assert unlocked.identity is not None and unlocked.identity.did == identity.did
    made, code = while_locked(service, lambda: service.register("bea", "a long passphrase"))
    assert service.home.keyring.load("bea", "a long passphrase").did == made.did
    name, again, _ = while_locked(service, lambda: service.recover("bea", code, "another one"))
    assert (name, again.did) == ("bea", made.did)
    assert service.home.keyring.load("bea", "another one").did == made.did


def test_an_api_call_with_a_passphrase_unlocks_its_key_before_taking_the_lock(
    service: Service,
):
    """A wrong passphrase is told at once, even while a long write holds the lock."""
    client = TestClient(create_app(service))
    token = (service.home.path / "api-token").read_text().strip()
    response = while_locked(
        service,
        lambda: client.post(
            "/api/commons",
            json={"name": "Trail", "as": "ada", "passphrase": "wrong"},
            headers={"Authorization": f"Bearer {token}"},
        ),
    )
    assert response.status_code == 409
    assert "wrong passphrase for identity 'ada'" in response.json()["error"]
    made = client.post(
        "/api/commons",
        json={"name": "Trail", "as": "ada", "passphrase": "correct horse"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 200, made.text
    assert service.commons_show(made.json()["id"])["maintainers"][0]["name"]


def test_a_hub_asks_people_to_come_back_when_many_sign_in_at_once(service: Service):
    app = create_web_app(service, hub=True)
    web = app.app.state.web  # type: ignore[attr-defined]
    client = TestClient(app, follow_redirects=False)
    form = {"name": "ada", "passphrase": "correct horse", "next": "/"}
    web.unlocking = UNLOCKS_WAITING  # that many sign-ins already under way
    busy = client.post("/login", data=form)
    assert busy.status_code == 503
    assert "try again in a few seconds" in busy.text
    web.unlocking = 0
    signed = client.post("/login", data=form)
    assert signed.status_code == 303 and "communs_session" in signed.cookies
    assert web.unlocking == 0  # counted back when done


def test_a_hub_signs_in_only_identities_sealed_with_a_passphrase(
    service: Service, monkeypatch: pytest.MonkeyPatch
):
    """A key kept in clear would open with any passphrase: on a hub, nobody signs in as it,
    and the refusal is the one an unknown name gets, so it tells nobody the name is there."""
    monkeypatch.setattr(sessions, "REFUSAL_FLOOR", 0.0)
    service.home.keyring.create("owner")
    client = TestClient(create_web_app(service, hub=True), follow_redirects=False)
    refused = client.post("/login", data={"name": "owner", "passphrase": "anything", "next": "/"})
    unknown = client.post("/login", data={"name": "nobody", "passphrase": "anything", "next": "/"})
    assert refused.status_code == unknown.status_code == 401
    assert sessions.NO_MATCH in refused.text and sessions.NO_MATCH in unknown.text
    assert "no passphrase" not in refused.text
    assert "communs_session" not in refused.cookies
    form = {"name": "ada", "passphrase": "correct horse", "next": "/"}
    assert client.post("/login", data=form).status_code == 303


class HubNode(Node):
    serve_options = ("--hub",)


def test_a_hub_serves_pages_while_people_sign_in(tmp_path: Path):
    """Three sign-ins with a real passphrase (as the hub registers people) at once, and
    pages asked for meanwhile: each page comes back long before the sign-ins are done."""
    hub = HubNode(tmp_path / "hub").start()
    try:
        url = hub.url
        with httpx.Client(base_url=url, timeout=60, trust_env=False) as first:
            registered = first.post("/register", data={"name": "ada", "passphrase": "a b c d e"})
            assert registered.status_code == 303, registered.text

        ended: list[float] = []

        def sign_in() -> None:
            with httpx.Client(base_url=url, timeout=60, trust_env=False) as browser:
                form = {"name": "ada", "passphrase": "a b c d e", "next": "/"}
                assert browser.post("/login", data=form).status_code == 303
            ended.append(time.perf_counter())

        signing = [threading.Thread(target=sign_in) for _ in range(3)]
        started = time.perf_counter()
        for thread in signing:
            thread.start()
        pages = []
        with httpx.Client(base_url=url, timeout=60, trust_env=False) as reader:
            time.sleep(0.05)  # the sign-ins have reached the node
            for path in ("/", "/login", "/node", "/api/node") * 2:
                asked = time.perf_counter()
                assert reader.get(path).status_code == 200, path
                pages.append((time.perf_counter() - asked, path))
        for thread in signing:
            thread.join(60)
        assert len(ended) == 3
        # Unlocked one at a time: the last sign-in ends after three key derivations.
        shortest_derivation = (max(ended) - started) / 3
        slowest, path = max(pages)
        assert slowest < shortest_derivation, (slowest, path, shortest_derivation)
        assert started + sum(t for t, _ in pages) < max(ended), "pages waited on sign-ins"
    finally:
        hub.stop()


def test_a_hub_account_is_sealed_at_the_cost_of_online_sign_ins(tmp_path):
    """Registered in a hub's browser: Argon2id's interactive cost, so that several people can
    sign in each second on two cores; a key made with the CLI keeps the moderate cost."""
    from communs.node.home.keyring import MODERATE, ONLINE

    service = Service(Home(tmp_path / "home"))
    try:
        service.register("dara", "a long passphrase")
        service.identity_new("anna", "another long passphrase")
        keys = {
            name: json.loads((tmp_path / "home" / "identities" / f"{name}.json").read_text())["key"]
            for name in ("dara", "anna")
        }
        assert (keys["dara"]["opslimit"], keys["dara"]["memlimit"]) == ONLINE
        assert (keys["anna"]["opslimit"], keys["anna"]["memlimit"]) == MODERATE
        assert ONLINE[1] < MODERATE[1]
    finally:
        service.close()
