"""Every page of the demo fits a 390 px phone, in English and in French: Chromium visits
each page reachable by links from the home page, signed in, and measures it."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from browser import WAIT_MS, Shots, chromium  # noqa: F401  (a fixture)
from communs.node.actions.demo import build_demo
from communs.node.home.folder import Home
from nodes import Node

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
SKIPPED = ("/static/", "/api/", "/openapi", ".json", "/blob/", "/raw/", "/live", "/logout",
           ".ics", ".atom", "/key")  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    home = tmp_path_factory.mktemp("phone") / "home"
    made = Home(home)
    build_demo(made)
    made.close()
    node = Node(home).start()
    try:
        yield node
    finally:
        node.stop()


def signed_in(chromium: Browser, node: Node, lang: str) -> Page:  # noqa: F811
    context = chromium.new_context(viewport=PHONE, locale=f"{lang}-{lang.upper()}")
    context.set_default_timeout(WAIT_MS)
    context.add_cookies([{"name": "lang", "value": lang, "url": node.url}])
    page = context.new_page()
    page.goto(f"{node.url}/login")
    page.locator("form[action='/login'] button", has_text="dara").click()
    page.wait_for_url(f"{node.url}/")
    return page


def too_wide(page: Page, node: Node, limit: int = 300) -> tuple[dict[str, int], int]:
    """The pages reachable from the home page wider than the viewport, and how many pages
    were measured."""
    queue, seen, wide, measured = ["/"], set(), {}, 0
    while queue and measured < limit:
        path = queue.pop(0)
        if path in seen or any(s in path for s in SKIPPED):
            continue
        seen.add(path)
        response = page.goto(node.url + path)
        if response is None or response.status != 200:
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        measured += 1
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
        links = page.eval_on_selector_all(
            # a link to a file to download (a journal export) is not a page
            "a[href^='/']:not([download])",
            "links => links.map(a => a.getAttribute('href').split('#')[0])",
        )
        queue += [link for link in links if link not in seen and "lang" not in link]
    return wide, measured


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_demo_page_fits_a_phone(chromium, demo, lang, request):  # noqa: F811
    page = signed_in(chromium, demo, lang)
    try:
        wide, measured = too_wide(page, demo)
        assert measured > 30
        if wide:  # a picture of the first, to see what sticks out
            page.goto(demo.url + next(iter(wide)))
            Shots(request.node.name)(page, "too-wide")
        assert wide == {}, f"wider than {PHONE['width']} px"
    finally:
        page.context.close()
