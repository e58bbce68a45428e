"""Helpers for the browser tests (tests/test_browser.py): a hub node serving a prepared home,
Debian's Chromium driven by Playwright, screenshots of each step, and signing in or
registering through the pages themselves.

The tests drive the real thing: a ``communs serve --hub`` process (as tests/nodes.py starts
nodes), reached over loopback by a real browser that runs the pages' JavaScript.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from communs.node.home.folder import Actor, Home
from communs.node.service import Service
from nodes import Node

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"
WAIT_MS = 10_000  # a page, a live update or a redirect on a loaded 2-core machine

ANNA = "anna"
PASSPHRASE = "correct horse battery"
GUIDE = "# Trail guide\n\nStart at the old mill and follow the river north.\n"


def launch_chromium(playwright: Playwright, *extra_args: str) -> Browser:
    """Debian's Chromium (never a browser Playwright downloads); fails, with what to do,
    when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. "
            "Run `bash scripts/test.sh`, which installs it (apt-get install chromium) "
            "and then runs the tests."
        )
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args]
    )


class HubNode(Node):
    """A node run as ``communs serve --hub``: citizens register and sign in with a
    passphrase. Started, awaited and stopped as tests/nodes.py's ``Node``."""

    serve_options = ("--hub",)


@dataclass
class Hub:
    node: HubNode
    commons: str  # hex id of "Trail guide" ("" when the home has none)
    anna: str  # anna's did

    @property
    def url(self) -> str:
        assert self.node.url, f"{self.node} is not running"
        return self.node.url

    def at(self, path: str) -> str:
        return self.url + path

    def commons_path(self, rest: str = "") -> str:
        return f"/c/{self.commons}{rest}"


def prepare_home(home: Path, *, commons: bool = True) -> tuple[str, str]:
    """anna (with a passphrase, as hub accounts have), maintainer of a review-first text
    commons "Trail guide" whose first accepted file is guide.md: ``(anna's did, commons id)``.
    Built in-process before the node starts on the home."""
    service = Service(Home(home))
    try:
        did = service.identity_new(ANNA, PASSPHRASE)["id"]
        if not commons:
            return did, ""
        # One key derivation, not one per action: the signing key, already unlocked.
        anna = Actor(ANNA, identity=service.home.keyring.load(ANNA, PASSPHRASE))
        made = service.commons_create(anna, name="Trail guide", kind="text")["id"]
        blob = service.blob_add(io.BytesIO(GUIDE.encode()), "guide.md")["hash"]
        first = service.propose(anna, made, "First draft", files={"guide.md": blob})["id"]
        service.decide(anna, made, first, "accept")
        return did, made
    finally:
        service.close()


def start_hub(home: Path, *, commons: bool = True) -> Hub:
    """A hub whose newcomers all register from this machine: more than the three an hour
    one address may register by default."""
    did, made = prepare_home(home, commons=commons)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMMUNS_REGISTRATIONS_PER_HOUR", "100")
        return Hub(HubNode(home).start(), made, did)


def hub_for_module(name: str) -> Any:
    """A module-scoped fixture: a hub (see ``start_hub``) on a home of its own, stopped at
    the end of the module."""

    @pytest.fixture(scope="module")
    def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
        served = start_hub(tmp_path_factory.mktemp(name) / "home")
        try:
            yield served
        finally:
            served.node.stop()

    return hub


def french(page: Page, hub: Hub) -> Page:
    """``page`` reading the hub in French (the language switch's cookie)."""
    page.context.add_cookies([{"name": "lang", "value": "fr", "url": hub.url}])
    return page


class Shots:
    """``shots(page, "step")`` saves test-artifacts/browser/<test>-<step>.png."""

    def __init__(self, test: str):
        self.test = re.sub(r"[^A-Za-z0-9_.-]+", "-", test)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob(f"{self.test}-*.png"):  # no stale step from an earlier run
            old.unlink()

    def __call__(self, page: Page, step: str) -> Path:
        path = ARTIFACTS / f"{self.test}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


# -- through the pages ------------------------------------------------------------------------


def register(page: Page, hub: Hub, name: str, passphrase: str) -> str:
    """Register ``name`` on the hub with the page's form; the new did (from the header)."""
    page.goto(hub.at("/register"))
    form = page.locator("form[action='/register']")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=passphrase]").fill(passphrase)
    form.locator("input[name=again]").fill(passphrase)
    form.get_by_role("button").click()
    return signed_in_as(page, name)


def sign_in(page: Page, hub: Hub, name: str, passphrase: str, next_path: str = "/") -> str:
    """Sign in with the hub's form (``/login?next=…``); the did (from the header)."""
    page.goto(hub.at(f"/login?next={next_path}"))
    form = page.locator("form[action='/login']")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=passphrase]").fill(passphrase)
    form.get_by_role("button").click()
    return signed_in_as(page, name)


def signed_in_as(page: Page, name: str) -> str:
    """Wait for the header to say ``name`` is signed in; their did (its title)."""
    account = page.locator("header .account span[title^='did:key:']")
    expect(account).to_contain_text(name, timeout=WAIT_MS)
    did = account.get_attribute("title")
    assert did and did.startswith("did:key:z"), did
    return did


def csrf_of(page: Page) -> str:
    """The CSRF token in the forms of the page (the session's)."""
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    assert token, "the page has no form with a CSRF token"
    return token


def wait_live(page: Page) -> None:
    """Wait until the page's live updates (server-sent events) are connected."""
    expect(page.locator("[data-live].on")).to_be_visible(timeout=WAIT_MS)


# -- fixtures the browser test modules import -------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    # Not named "browser": pytest-playwright, when installed, owns that name.
    playwright = sync_playwright().start()
    try:
        launched = launch_chromium(playwright)
        try:
            yield launched
        finally:
            launched.close()
    finally:
        playwright.stop()


@pytest.fixture
def pages(chromium: Browser) -> Iterator[Callable[..., Page]]:
    """``pages(**context_options)``: a page in a new browser context (its own cookies: one
    person); every context is closed at the end of the test."""
    contexts = []

    def new(**options: Any) -> Page:
        context = chromium.new_context(**options)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context.new_page()

    try:
        yield new
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.originalname)
