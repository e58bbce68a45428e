"""A newcomer's first days, in French, in Chromium: she registers on a hub, proposes an edit,
is mentioned by name and told so, is told her contribution was accepted, and reads all of
it in French — the pages, the activity, the notifications."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from browser import (
    ANNA,
    GUIDE,
    PASSPHRASE,
    WAIT_MS,
    Hub,
    Shots,
    french,
    hub_for_module,
    register,
    sign_in,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]


hub = hub_for_module("hub-fr")


def test_a_newcomer_reads_her_first_days_in_french(
    hub: Hub, pages: Callable[..., Page], shots: Shots
) -> None:
    zoe = french(pages(locale="fr-FR"), hub)
    register(zoe, hub, "zoe", "la riviere en hiver")
    expect(zoe.locator("html")).to_have_attribute("lang", "fr")

    # She proposes an edit of the guide, from the page of the file.
    zoe.goto(hub.at(hub.commons_path("/files/guide.md")))
    zoe.get_by_role("link", name="Modifier dans le navigateur").click()
    zoe.locator("textarea[name=content]").fill(GUIDE + "\nTraversez au gué.\n")
    zoe.locator("input[name=title]").fill("Le gué")
    zoe.get_by_role("button", name="Proposer", exact=True).click()
    expect(zoe).to_have_url(re.compile(rf"/c/{hub.commons}/contributions/[0-9a-f]{{64}}$"))
    contribution = zoe.url

    # anna mentions her by name, and accepts her contribution.
    anna = pages()
    sign_in(anna, hub, ANNA, PASSPHRASE)
    anna.goto(contribution)
    thread = anna.locator("form.thread-new textarea[name=text]")
    thread.fill("Merci @zo")
    expect(anna.locator(".mention-list li", has_text="@zoe")).to_be_visible()  # completion
    anna.locator(".mention-list li", has_text="@zoe").click()
    thread.press("End")
    thread.type("c’est parfait.")
    anna.locator("form.thread-new").get_by_role("button").click()
    expect(anna.locator(".thread-messages a.mention", has_text="@zoe")).to_be_visible()
    anna.get_by_role("button", name="Accept", exact=True).click()
    expect(anna.locator("h1.contrib-heading .state-accepted")).to_be_visible()

    # zoe is told, in French: a badge, then her notifications.
    zoe.goto(hub.at("/"))
    expect(zoe.locator("header .badge")).to_have_text("2", timeout=WAIT_MS)
    notes = zoe.locator("#notifications")
    expect(notes).to_contain_text("vous a mentionné")
    expect(notes).to_contain_text("anna a accepté «\u00a0Le gué\u00a0»")
    expect(notes.locator("a.mention", has_text="@zoe")).to_be_visible()  # a name, not a key
    shots(zoe, "1-home")
    zoe.locator("header").get_by_role("link", name=re.compile("^Notifications")).click()
    expect(zoe.locator("h1")).to_contain_text("Notifications")
    expect(zoe.locator(".notes li.unread")).to_have_count(2)
    zoe.get_by_role("button", name="Tout marquer comme lu").click()
    expect(zoe.locator(".notes li.unread")).to_have_count(0)
    expect(zoe.locator("header .badge")).to_have_count(0)
    shots(zoe, "2-notifications")

    # The activity of the commons reads in French, filters included.
    zoe.goto(hub.at(hub.commons_path("/activity")))
    expect(zoe.locator(".events")).to_contain_text("anna a accepté «\u00a0Le gué\u00a0»")
    expect(zoe.locator(".events")).to_contain_text("zoe a proposé «\u00a0Le gué\u00a0»")
    options = zoe.locator("select[name=type] option").all_inner_texts()
    assert "contributions acceptées" in options and "task.claim" not in options
    shots(zoe, "3-activity")
