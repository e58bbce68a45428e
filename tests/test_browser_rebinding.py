"""DNS rebinding and login CSRF, in Chromium: a page served under a name that resolves to
the node's own address (``evil.example`` → 127.0.0.1) must not be able to sign in as the
owner or sign events, and a form on another site must not sign the visitor in."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from browser import launch_chromium, prepare_home
from nodes import Node

REBIND = "--host-resolver-rules=MAP evil.example 127.0.0.1"


@pytest.fixture(scope="module")
def rebinding() -> Iterator[Browser]:
    playwright = sync_playwright().start()
    try:
        launched = launch_chromium(playwright, REBIND)
        try:
            yield launched
        finally:
            launched.close()
    finally:
        playwright.stop()


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[Node, str]]:
    """A personal node whose owner anna maintains "Trail guide": ``(node, commons id)``."""
    _, commons = prepare_home(tmp_path / "home")
    started = Node(tmp_path / "home").start()
    try:
        yield started, commons
    finally:
        started.stop()


def events(node: Node, commons: str) -> int:
    assert node.url
    answer = httpx.get(f"{node.url}/api/commons/{commons}/log", trust_env=False, timeout=30)
    answer.raise_for_status()
    return len(answer.json())


def test_a_rebound_page_cannot_act_on_the_node(rebinding: Browser, node: tuple[Node, str]):
    served, commons = node
    assert served.url
    port = served.url.rsplit(":", 1)[1]
    evil = f"http://evil.example:{port}"
    before = events(served, commons)
    context = rebinding.new_context()
    try:
        page = context.new_page()
        # The attacker's page would be the node's own page, same-origin with it.
        answer = page.goto(f"{evil}/login")
        assert answer is not None and answer.status == 421
        assert "--hostname" in page.content()
        assert page.locator("form").count() == 0
        # Its scripts try anyway: sign in as the owner, then sign a fork.
        statuses = page.evaluate(
            """async (commons) => {
                const form = (fields) => new URLSearchParams(fields);
                const login = await fetch('/login', {method: 'POST',
                    body: form({name: 'anna', next: '/'}), redirect: 'manual'});
                const fork = await fetch(`/c/${commons}/fork`, {method: 'POST',
                    body: form({name: 'Stolen', csrf: ''}), redirect: 'manual'});
                const home = await fetch('/');
                return [login.status, fork.status, home.status];
            }""",
            commons,
        )
        assert statuses == [421, 421, 421], statuses
        assert not [c for c in context.cookies() if c["name"] != "lang"]
    finally:
        context.close()
    assert events(served, commons) == before


def test_a_form_on_another_site_does_not_sign_the_visitor_in(
    rebinding: Browser, node: tuple[Node, str]
):
    served, commons = node
    assert served.url
    context = rebinding.new_context()
    try:
        page = context.new_page()
        # A page of another site with a sign-in form aimed at the node, submitted at once.
        page.route(
            "http://attacker.example/",
            lambda route: route.fulfill(
                content_type="text/html",
                body=f"""<form id=f method=post action="{served.url}/login">
                <input name=name value=anna><input name=next value="/"></form>""",
            ),
        )
        page.goto("http://attacker.example/")
        with page.expect_navigation():
            page.evaluate("document.getElementById('f').submit()")
        assert "another site" in page.content()
        assert not [c for c in context.cookies(served.url) if c["name"] != "lang"]
    finally:
        context.close()
    assert events(served, commons) >= 1
