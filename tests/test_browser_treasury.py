"""The treasury in Chromium, in French: zoe files an expense with the photo of her receipt,
anna (a treasurer) approves and pays it, zoe acknowledges the payment, and the journal, the
balances and the chart of the month show it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser import ANNA, PASSPHRASE, Hub, Shots, french, hub_for_module, register, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]


hub = hub_for_module("hub-treasury")


def test_an_expense_is_filed_approved_paid_and_shown_in_french(
    hub: Hub, pages: Callable[..., Page], shots: Shots, tmp_path: Path
) -> None:
    receipt = tmp_path / "ticket.png"
    receipt.write_bytes(bytes.fromhex("89504e470d0a1a0a") + b"\0" * 64)
    treasury = hub.at(hub.commons_path("/treasury"))

    zoe = french(pages(locale="fr-FR"), hub)
    register(zoe, hub, "zoe", "la riviere en hiver")
    zoe.goto(treasury)
    form = zoe.locator("form[action$='/expenses']")
    form.locator("input[name=title]").fill("Peinture des balises")
    form.locator("input[name=amount]").fill("42,50")
    form.locator("select[name=category]").select_option("materials")
    form.locator("input[name=receipt]").set_input_files(str(receipt))
    form.get_by_role("button", name="Déclarer la dépense").click()
    expect(zoe).to_have_url(re.compile(rf"/c/{hub.commons}/expenses/[0-9a-f]{{64}}$"))
    expense = zoe.url
    expect(zoe.locator("h1")).to_contain_text("en attente d’approbation")
    expect(zoe.locator("dl")).to_contain_text("42,50\u00a0€")
    shots(zoe, "filed")

    anna = french(pages(), hub)
    sign_in(anna, hub, ANNA, PASSPHRASE)
    anna.goto(expense)
    anna.get_by_role("button", name="Approuver").click()
    expect(anna.locator("h1")).to_contain_text("approuvée, à payer")
    anna.locator("input[name=reference]").fill("VIR 3307")
    anna.get_by_role("button", name="Enregistrer le paiement").click()
    expect(anna.locator("h1")).to_contain_text("payée")

    zoe.goto(expense)
    zoe.get_by_role("button", name="J’ai reçu le paiement").click()
    expect(zoe.locator("h1")).to_contain_text("payée et reçue")
    expect(zoe.locator(".treasury-steps li")).to_have_count(4)

    anna.goto(treasury)
    journal = anna.locator("table.credit-table")
    expect(journal).to_contain_text("Peinture des balises")
    expect(journal).to_contain_text("VIR 3307")
    balances = anna.locator("dl.treasury-balances").first
    expect(balances).to_contain_text("dépenses\u00a0: matériaux")
    expect(balances).to_contain_text("42,50\u00a0€")
    chart = anna.locator("figure.treasury-chart svg")
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("Entrées et sorties par mois (EUR)")
    width = anna.evaluate("document.documentElement.scrollWidth")
    assert width <= anna.viewport_size["width"]
    shots(anna, "journal")
