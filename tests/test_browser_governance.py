"""Governance in a real browser (Debian's Chromium, driven by Playwright) against a real
``communs serve --hub`` process: two maintainers, anna and chloe, must both approve a
maintainer decision (threshold 2). A newcomer registers; anna proposes to welcome her and
votes; chloe votes from her own account while anna's page follows live; anna closes, and
the charter lists the new maintainer.

Screenshots of each step go to test-artifacts/browser/.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser import (
    ANNA,
    PASSPHRASE,
    WAIT_MS,
    Hub,
    HubNode,
    Shots,
    register,
    sign_in,
    wait_live,
)
from communs.node.home.folder import Actor, Home
from communs.node.service import Service

CHLOE = "chloe"
CHLOE_PASSPHRASE = "ridge at dawn 7"
NEWCOMER_PASSPHRASE = "the ford below the falls"


def prepare(home: Path) -> tuple[str, str]:
    """anna and chloe (with passphrases, as hub accounts have) maintain "Trail guide"
    together, threshold 2: ``(anna's did, commons id)``. Built before the node starts."""
    service = Service(Home(home))
    try:
        anna = service.identity_new(ANNA, PASSPHRASE)["id"]
        chloe = service.identity_new(CHLOE, CHLOE_PASSPHRASE)["id"]
        signer = Actor(ANNA, identity=service.home.keyring.load(ANNA, PASSPHRASE))
        made = service.commons_create(
            signer, name="Trail guide", kind="text", maintainers=[anna, chloe], threshold=2
        )["id"]
        return anna, made
    finally:
        service.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    home = tmp_path_factory.mktemp("governance") / "home"
    anna, commons = prepare(home)
    served = Hub(HubNode(home).start(), commons, anna)
    try:
        yield served
    finally:
        served.node.stop()


@pytest.mark.browser
@pytest.mark.slow
def test_two_maintainers_welcome_a_third_and_the_charter_changes(
    hub: Hub, pages: Callable[..., Page], shots: Shots
) -> None:
    newcomer, anna, chloe = pages(), pages(), pages()
    dara = register(newcomer, hub, "dara", NEWCOMER_PASSPHRASE)

    # anna opens the proposal from the decision log's form.
    proposals = hub.commons_path("/proposals")
    sign_in(anna, hub, ANNA, PASSPHRASE, proposals)
    expect(anna).to_have_url(hub.at(proposals))
    expect(anna.get_by_text("No open proposal.")).to_be_visible()
    form = anna.locator(f"form[action='{proposals}']")
    form.locator("input[name=title]").fill("Welcome dara")
    form.locator("textarea[name=text]").fill("dara mapped **every** ford this spring.")
    form.locator("select[name=kind]").select_option("maintainer")
    form.locator("select[name=effect]").select_option("add_maintainer")
    form.locator("input[name=effect_value]").fill(dara)
    shots(anna, "1-opening")
    form.get_by_role("button", name="Open the proposal").click()
    expect(anna).to_have_url(re.compile(rf"/c/{hub.commons}/proposals/[0-9a-f]{{64}}$"))
    proposal = anna.url
    expect(anna.locator("h1.gov-heading")).to_contain_text("Welcome dara")
    expect(anna.locator("h1.gov-heading .state-open")).to_be_visible()
    expect(anna.get_by_text("2 of 2 maintainers approve")).to_be_visible()
    expect(anna.locator(".gov-description strong")).to_have_text("every")

    # anna votes yes: one approval of the two needed, and no closing yet.
    anna.get_by_label("yes", exact=True).check()
    anna.get_by_role("button", name="Vote", exact=True).click()
    expect(anna.get_by_text("1 approval, 2 needed")).to_be_visible()
    expect(anna.locator("td.gov-ballot-yes")).to_have_count(1)
    expect(anna.get_by_text(re.compile(r"Can be closed from"))).to_be_visible()
    expect(anna.get_by_role("button", name="Close the proposal")).to_have_count(0)
    wait_live(anna)
    shots(anna, "2-anna-voted")

    # chloe votes from her own account; anna's page follows without a reload.
    sign_in(chloe, hub, CHLOE, CHLOE_PASSPHRASE, proposal.removeprefix(hub.url))
    expect(chloe).to_have_url(proposal)
    chloe.get_by_label("yes", exact=True).check()
    chloe.locator("textarea[name=reason]").fill("She knows the river better than we do")
    shots(chloe, "3-chloe-voting")
    chloe.get_by_role("button", name="Vote", exact=True).click()
    expect(chloe.get_by_text("2 approvals, 2 needed")).to_be_visible()
    expect(chloe.locator("td.gov-ballot-yes")).to_have_count(2)
    expect(anna.get_by_text("2 approvals, 2 needed")).to_be_visible(timeout=WAIT_MS)
    expect(anna.get_by_text("She knows the river better than we do")).to_be_visible()
    shots(anna, "4-live")

    # Enough approvals: anna may close before the closing time, with an outcome.
    anna.locator("details.gov-decide summary", has_text="Close").click()
    anna.locator("form[action$='/close'] textarea[name=outcome]").fill("Welcome aboard, dara!")
    anna.get_by_role("button", name="Close the proposal").click()
    expect(anna.locator("h1.gov-heading .state-passed")).to_be_visible()
    expect(anna.locator(".gov-result-box")).to_contain_text("Welcome aboard, dara!")
    expect(anna.locator(".gov-effect .state-passed")).to_have_text("applied")
    expect(anna.locator("form[action$='/vote']")).to_have_count(0)
    shots(anna, "5-passed")

    # The charter now lists dara, and its history tells how.
    anna.get_by_role("link", name="← Proposals").click()
    expect(anna.locator("#decided + ol")).to_contain_text("Welcome dara")
    anna.locator(".gov-nav").get_by_role("link", name="Charter").click()
    expect(anna.locator(f".gov-maintainers a[href='/people/{dara}']")).to_be_visible()
    expect(anna.locator(".gov-maintainers li")).to_have_count(3)
    history = anna.locator(".gov-history")
    expect(history).to_contain_text("closed 'Welcome dara': passed")
    expect(history.get_by_role("link", name="Welcome dara").first).to_be_visible()
    shots(anna, "6-charter")

    # dara sees it too, on the commons' page.
    newcomer.goto(hub.at(hub.commons_path()))
    expect(newcomer.locator(f".charter a[href='/people/{dara}']")).to_be_visible()
    shots(newcomer, "7-commons")
