"""The web app in a real browser (Debian's Chromium, driven by Playwright) against a real
``communs serve --hub`` process: a newcomer registers, proposes an edit that a maintainer
sees arrive live and accepts; a task goes from the board to validated, never by its doer;
a mention reaches the person mentioned; the pages speak French; and what must never
happen does not (a script in a message, a form without its CSRF token, guessing
passphrases).

Each test saves screenshots of its key steps in test-artifacts/browser/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from browser import (
    ANNA,
    GUIDE,
    PASSPHRASE,
    WAIT_MS,
    Hub,
    Shots,
    csrf_of,
    register,
    sign_in,
    start_hub,
    wait_live,
)

NEWCOMER_PASSPHRASE = "river crossing 42"


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """One hub for the module: anna maintains "Trail guide" (guide.md accepted). Each test
    registers its own newcomer, so the tests do not depend on one another."""
    served = start_hub(tmp_path_factory.mktemp("hub") / "home")
    try:
        yield served
    finally:
        served.node.stop()


def no_reload_marker(page: Page) -> None:
    """Mark the document: the mark survives live updates but not a reload."""
    page.evaluate("window.__sameDocument = true")


def same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


# -- 1. a newcomer's edit, reviewed live --------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_a_newcomer_proposes_an_edit_that_a_maintainer_sees_live_and_accepts(
    hub: Hub, pages: Callable[..., Page], shots: Shots
) -> None:
    newcomer, anna = pages(), pages()
    register(newcomer, hub, "bao", NEWCOMER_PASSPHRASE)
    shots(newcomer, "1-registered")

    # anna waits on the review queue, its live updates connected.
    sign_in(anna, hub, ANNA, PASSPHRASE, hub.commons_path("/contributions"))
    expect(anna).to_have_url(hub.at(hub.commons_path("/contributions")))
    expect(anna.get_by_text("Nothing waits for review.")).to_be_visible()
    wait_live(anna)
    no_reload_marker(anna)
    shots(anna, "2-queue-empty")

    # The newcomer opens the commons, then guide.md, and edits it in the page.
    newcomer.goto(hub.at("/"))
    newcomer.locator(".cards").get_by_role("link", name="Trail guide").click()
    newcomer.get_by_role("link", name="guide.md").click()
    expect(newcomer.locator(".file-content")).to_contain_text("Start at the old mill")
    newcomer.get_by_role("link", name="Edit in the browser").click()
    expect(newcomer).to_have_url(re.compile(r"/propose\?path=guide\.md$"))
    content = newcomer.locator("textarea[name=content]")
    assert content.input_value() == GUIDE
    edited = GUIDE + "\nCross the river at the ford below the waterfall.\n"
    content.fill(edited)
    newcomer.locator("input[name=title]").fill("Add the river crossing")
    newcomer.locator("textarea[name=description]").fill("From our walk last *Sunday*.")
    shots(newcomer, "3-editing")
    newcomer.get_by_role("button", name="Propose", exact=True).click()

    # …and lands on the page of the contribution.
    expect(newcomer).to_have_url(re.compile(rf"/c/{hub.commons}/contributions/[0-9a-f]{{64}}$"))
    contribution = newcomer.url
    expect(newcomer.locator("h1.contrib-heading")).to_contain_text("Add the river crossing")
    expect(newcomer.locator("h1.contrib-heading .state-open")).to_be_visible()
    expect(newcomer.locator(".diff .add", has_text="Cross the river at the ford")).to_be_visible()
    wait_live(newcomer)
    shots(newcomer, "4-proposed")

    # anna sees it arrive without reloading.
    arrived = anna.locator("[data-refresh] .contrib-list").get_by_role(
        "link", name="Add the river crossing"
    )
    expect(arrived).to_be_visible(timeout=WAIT_MS)
    assert same_document(anna), "the queue reloaded instead of updating in place"
    expect(anna.locator("#waiting")).to_contain_text("(1)")
    shots(anna, "5-queue-live")

    arrived.click()
    expect(anna).to_have_url(contribution)
    anna.get_by_role("button", name="Accept", exact=True).click()
    expect(anna.locator("h1.contrib-heading .state-accepted")).to_be_visible()
    expect(anna.get_by_role("button", name="Accept", exact=True)).to_have_count(0)
    shots(anna, "6-accepted")

    # The newcomer's page follows live, too.
    expect(newcomer.locator("h1.contrib-heading .state-accepted")).to_be_visible(timeout=WAIT_MS)
    shots(newcomer, "7-accepted-live")

    # The file is now the newcomer's version.
    anna.goto(hub.at(hub.commons_path("/files/guide.md")))
    expect(anna.locator(".file-content")).to_contain_text(
        "Cross the river at the ford below the waterfall."
    )
    expect(anna.locator(".file-content")).to_contain_text("Start at the old mill")
    shots(anna, "8-file")


@pytest.mark.browser
@pytest.mark.slow
def test_a_live_update_also_refreshes_the_actions_offered(
    hub: Hub, pages: Callable[..., Page], shots: Shots
) -> None:
    newcomer, anna = pages(), pages()
    register(newcomer, hub, "gael", NEWCOMER_PASSPHRASE)
    sign_in(anna, hub, ANNA, PASSPHRASE)
    newcomer.goto(hub.at(hub.commons_path("/propose?path=guide.md")))
    content = newcomer.locator("textarea[name=content]")
    content.fill(content.input_value() + "\nMind the nettles after the ford.\n")
    newcomer.locator("input[name=title]").fill("Mind the nettles")
    newcomer.get_by_role("button", name="Propose", exact=True).click()
    expect(newcomer.locator("h1.contrib-heading .state-open")).to_be_visible()
    expect(newcomer.get_by_role("button", name="Withdraw")).to_be_visible()
    wait_live(newcomer)
    no_reload_marker(newcomer)

    anna.goto(newcomer.url)
    anna.get_by_role("button", name="Accept", exact=True).click()
    expect(anna.locator("h1.contrib-heading .state-accepted")).to_be_visible()
    expect(newcomer.locator("h1.contrib-heading .state-accepted")).to_be_visible(timeout=WAIT_MS)
    assert same_document(newcomer)
    shots(newcomer, "1-accepted-live")

    # What the page offers follows the state, as it does after a reload.
    expect(newcomer.get_by_role("button", name="Withdraw")).to_have_count(0, timeout=1000)
    expect(newcomer.get_by_role("link", name="Revise")).to_have_count(0, timeout=1000)


# -- 2. a task, never validated by its doer ----------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_a_task_is_claimed_done_and_validated_by_someone_else(
    hub: Hub, pages: Callable[..., Page], shots: Shots
) -> None:
    anna, newcomer = pages(), pages()
    sign_in(anna, hub, ANNA, PASSPHRASE)
    register(newcomer, hub, "chloe", NEWCOMER_PASSPHRASE)

    # anna opens a task with the board's form.
    anna.goto(hub.at(hub.commons_path("/board")))
    form = anna.locator(f"form[action='{hub.commons_path('/tasks')}']")
    form.locator("input[name=title]").fill("Photograph the waterfall")
    form.locator("textarea[name=description]").fill("For the *river* section.")
    shots(anna, "1-board")
    form.get_by_role("button", name="Open a task").click()
    expect(anna).to_have_url(re.compile(rf"/c/{hub.commons}/tasks/[0-9a-f]{{64}}$"))
    task = anna.url
    expect(anna.locator("h1.task-heading .state-open")).to_be_visible()

    # The newcomer finds it on the board, claims it and marks it done.
    newcomer.goto(hub.at(hub.commons_path("/board")))
    newcomer.get_by_role("link", name="Photograph the waterfall").click()
    expect(newcomer).to_have_url(task)
    newcomer.get_by_role("button", name="Claim", exact=True).click()
    expect(newcomer.locator("h1.task-heading .state-claimed")).to_be_visible()
    shots(newcomer, "2-claimed")
    done = newcomer.locator("form[action$='/done']")
    newcomer.locator("details", has=done).locator("summary").click()
    done.locator("textarea[name=comment]").fill("Three photos, from the footbridge.")
    done.get_by_role("button", name="Mark as done").click()
    expect(newcomer.locator("h1.task-heading .state-done")).to_be_visible()

    # Nobody validates their own work: the page does not offer it, and the node refuses it.
    expect(newcomer.locator("form[action$='/validate']")).to_have_count(0)
    expect(newcomer.get_by_text("You did this work: someone else validates it.")).to_be_visible()
    shots(newcomer, "3-done-own-work")
    refused = newcomer.request.post(
        task + "/validate",
        form={"csrf": csrf_of(newcomer), "comment": "looks good to me"},
        max_redirects=0,
    )
    assert refused.status == 409, (refused.status, refused.text()[:500])
    assert "you cannot validate your own work" in refused.text()
    newcomer.reload()
    expect(newcomer.locator("h1.task-heading .state-done")).to_be_visible()
    wait_live(newcomer)

    # anna validates it.
    anna.reload()
    validate = anna.locator("form[action$='/validate']")
    anna.locator("details", has=validate).locator("summary").click()
    validate.locator("textarea[name=comment]").fill("Lovely, thank you!")
    validate.get_by_role("button", name="Validate").click()
    expect(anna.locator("h1.task-heading .state-validated")).to_be_visible()
    expect(anna.locator(".task-history")).to_contain_text("validated the work")
    shots(anna, "4-validated")

    # The newcomer's page follows live.
    expect(newcomer.locator("h1.task-heading .state-validated")).to_be_visible(timeout=WAIT_MS)
    shots(newcomer, "5-validated-live")


# -- 3. a mention reaches the person ------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_a_mention_reaches_the_person_mentioned(
    hub: Hub, pages: Callable[..., Page], shots: Shots
) -> None:
    newcomer, anna = pages(), pages()
    did = register(newcomer, hub, "dara", NEWCOMER_PASSPHRASE)
    expect(newcomer.locator("#notifications")).to_contain_text("No notification.")

    # anna finds the newcomer's did on their person page (as a maintainer would from a link).
    sign_in(anna, hub, ANNA, PASSPHRASE)
    anna.goto(hub.at(f"/people/{did}"))
    assert anna.locator(".person-did code").inner_text() == did

    anna.goto(hub.at(hub.commons_path()))
    post = anna.locator("form.thread-new")
    post.locator("textarea[name=text]").fill("Welcome! @dara could you check the ford?")
    post.get_by_role("button", name="Post").click()
    expect(anna.locator(".thread-messages")).to_contain_text("could you check the ford?")
    shots(anna, "1-posted")

    newcomer.goto(hub.at("/"))
    notes = newcomer.locator("#notifications")
    expect(notes).to_contain_text("could you check the ford?")
    expect(notes).to_contain_text("mention")
    expect(notes.get_by_role("link", name="Trail guide")).to_be_visible()
    shots(newcomer, "2-home-notification")

    newcomer.locator("header .account").get_by_role("link", name="dara").click()
    expect(newcomer).to_have_url(hub.at(f"/people/{did}"))
    note = newcomer.locator("#notifications .person-notes li")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("mentioned you")
    expect(note).to_contain_text("could you check the ford?")
    expect(note.get_by_role("link", name="anna wrote on the commons")).to_be_visible()
    shots(newcomer, "3-person-notification")


# -- 4. French -----------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_the_pages_speak_french_and_switch_language(
    hub: Hub, pages: Callable[..., Page], shots: Shots
) -> None:
    visitor = pages(locale="fr-FR")
    visitor.goto(hub.at(hub.commons_path()))
    header = visitor.locator("header.top")
    expect(visitor.locator("html")).to_have_attribute("lang", "fr")
    expect(header.get_by_role("link", name="Accueil")).to_be_visible()
    expect(header.get_by_role("link", name="Se connecter")).to_be_visible()
    expect(visitor.get_by_role("link", name="Proposer une contribution")).to_be_visible()
    shots(visitor, "1-french")

    header.get_by_role("link", name="EN", exact=True).click()
    expect(visitor).to_have_url(hub.at(hub.commons_path()))
    expect(visitor.locator("html")).to_have_attribute("lang", "en")
    expect(header.get_by_role("link", name="Home")).to_be_visible()
    expect(header.get_by_role("link", name="Sign in")).to_be_visible()
    expect(header.get_by_role("link", name="Accueil")).to_have_count(0)
    shots(visitor, "2-english")

    # The choice sticks (a cookie) from page to page, and switches back.
    visitor.goto(hub.at("/"))
    expect(header.get_by_role("link", name="Home")).to_be_visible()
    header.get_by_role("link", name="FR", exact=True).click()
    expect(header.get_by_role("link", name="Accueil")).to_be_visible()
    expect(visitor.get_by_role("heading", name="Les communs que suit ce nœud")).to_be_visible()
    shots(visitor, "3-french-again")


# -- 5. what must never happen -------------------------------------------------------------------


HOSTILE = (
    "Nice guide <script>window.pwned=1</script> "
    '<img src="x" onerror="window.pwned=3"> '
    "[x](javascript:window.pwned=2)"
)


@pytest.mark.browser
@pytest.mark.slow
def test_a_message_cannot_run_a_script(hub: Hub, pages: Callable[..., Page], shots: Shots) -> None:
    author, anna = pages(), pages()
    register(author, hub, "emile", NEWCOMER_PASSPHRASE)
    author.goto(hub.at(hub.commons_path()))
    post = author.locator("form.thread-new")
    post.locator("textarea[name=text]").fill(HOSTILE)
    post.get_by_role("button", name="Post").click()
    expect(author.locator(".thread-messages")).to_contain_text("Nice guide")

    # A maintainer reads it.
    dialogs: list[str] = []
    anna.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(anna, hub, ANNA, PASSPHRASE, hub.commons_path())
    message = anna.locator(".thread-messages li.message", has_text="Nice guide")
    expect(message).to_have_count(1)
    prose = message.locator(".prose")
    # Shown as text, never as markup.
    expect(prose).to_contain_text("<script>window.pwned=1</script>")
    assert anna.evaluate("typeof window.pwned") == "undefined"
    assert message.locator("script, img, iframe, object, embed").count() == 0
    assert anna.evaluate("document.querySelectorAll('.thread script').length") == 0
    assert (
        anna.evaluate(
            "[...document.querySelectorAll('.thread [onerror], .thread [onclick]')].length"
        )
        == 0
    )
    shots(anna, "1-hostile-message")

    # The javascript: link is no link (or a harmless one): clicking it does nothing.
    links = prose.locator("a", has_text="x")
    for href in [links.nth(i).get_attribute("href") for i in range(links.count())]:
        assert not (href or "").strip().lower().startswith("javascript:"), href
    before = anna.url
    target = links.first if links.count() else prose.get_by_text("javascript:window.pwned=2")
    target.click()
    anna.wait_for_timeout(300)
    assert anna.url == before
    assert anna.evaluate("typeof window.pwned") == "undefined"
    assert dialogs == []


@pytest.mark.browser
@pytest.mark.slow
def test_a_form_posted_without_its_csrf_token_is_refused(
    hub: Hub, pages: Callable[..., Page], shots: Shots
) -> None:
    page = pages()
    register(page, hub, "farah", NEWCOMER_PASSPHRASE)
    page.goto(hub.at(hub.commons_path()))
    url = hub.at(hub.commons_path("/discussion/post"))
    fields = {"kind": "commons", "ref": "", "next": hub.commons_path()}

    missing = page.request.post(url, form={**fields, "text": "posted without a token"})
    assert missing.status == 403, (missing.status, missing.text()[:500])
    assert "did not come from this site" in missing.text()
    forged = page.request.post(url, form={**fields, "csrf": "forged", "text": "a forged token"})
    assert forged.status == 403, (forged.status, forged.text()[:500])

    # The same request with the page's token goes through: the token made the difference.
    token = csrf_of(page)
    accepted = page.request.post(url, form={**fields, "csrf": token, "text": "with the token"})
    assert accepted.ok, (accepted.status, accepted.text()[:500])

    page.reload()
    thread = page.locator(".thread-messages")
    expect(thread).to_contain_text("with the token")
    expect(thread).not_to_contain_text("posted without a token")
    expect(thread).not_to_contain_text("a forged token")
    shots(page, "1-thread")


@pytest.mark.browser
@pytest.mark.slow
def test_guessing_a_passphrase_is_slowed_down(
    tmp_path, pages: Callable[..., Page], shots: Shots
) -> None:
    # A hub of its own: the node slows down the whole address (127.0.0.1 here), which would
    # slow down the other tests' sign-ins.
    hub = start_hub(tmp_path / "home", commons=False)
    try:
        page = pages()

        def sign_in_form(passphrase: str) -> None:
            page.goto(hub.at("/login"))
            form = page.locator("form[action='/login']")
            form.locator("input[name=name]").fill(ANNA)
            form.locator("input[name=passphrase]").fill(passphrase)

        def submit() -> int:
            with page.expect_response(
                lambda r: r.url == hub.at("/login") and r.request.method == "POST"
            ) as answer:
                page.locator("form[action='/login']").get_by_role("button").click()
            return answer.value.status

        sign_in_form("wrong passphrase 0")
        statuses = [submit()]
        # Four more guesses, quickly (as a script would), from the same browser.
        for n in range(1, 5):
            guess = page.request.post(
                hub.at("/login"),
                form={"name": ANNA, "passphrase": f"wrong passphrase {n}", "next": "/"},
                max_redirects=0,
            )
            statuses.append(guess.status)
        assert statuses[0] == 401, statuses
        assert set(statuses) <= {401, 429}, statuses
        assert statuses[-1] == 429, statuses
        shots(page, "1-wrong")

        # Even the right passphrase must wait now.
        sign_in_form(PASSPHRASE)
        assert submit() == 429
        error = page.get_by_role("alert")
        expect(error).to_contain_text("wait")
        found = re.search(r"wait (\d+) seconds", error.inner_text())
        assert found, error.inner_text()
        assert page.locator("header .account span[title^='did:key:']").count() == 0
        shots(page, "2-throttled")

        # Slowed down, not locked out: after the wait, the right passphrase signs in.
        seconds = int(found.group(1))
        assert seconds <= 10, seconds
        time.sleep(seconds + 0.6)
        sign_in_form(PASSPHRASE)
        assert submit() == 303
        expect(page.locator("header .account")).to_contain_text(f"signed in as {ANNA}")
        shots(page, "3-signed-in")
    finally:
        hub.node.stop()
