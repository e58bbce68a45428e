"""English and French from gettext catalogues: every message a person can read is in the
catalogue, translated, with the fields its English fills and French typography; the pages
of the demo, read in French, show no sentence of the English catalogue."""

import html
import re
import runpy
from pathlib import Path
from urllib.parse import urldefrag

import pytest
from babel.messages.pofile import read_po

from communs import domain
from communs.api.app import create_app
from communs.domain import contributions, governance, tally, tasks
from communs.domain.lines import Line, say
from communs.domain.refusals import CODES, sentence
from communs.i18n import LOCALE, negotiate, translator
from communs.node.actions.demo import build_demo
from communs.node.home.folder import Home
from communs.node.reads.describe import Known
from communs.node.service import Service
from communs.web import words
from eventkit import World, blob, change, charter
from webkit import visitor

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = runpy.run_path(str(ROOT / "scripts" / "messages.py"))


def test_every_message_is_translated_with_its_fields_and_french_typography():
    assert MESSAGES["problems"]() == []


def test_the_catalogue_holds_the_pages_the_domain_and_the_refusals():
    with (LOCALE / "fr" / "LC_MESSAGES" / "communs.po").open("rb") as f:
        held = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert len(held) > 600, "extraction no longer finds the messages"
    assert "Review queue" in held  # a template
    assert "{who} accepted '{what}'" in held  # an activity line, marked in the domain
    assert CODES["already_erased"].english in held  # a refusal code's sentence
    assert "{count} objection stands: {reasons:lines}" in held  # a plural code


def test_each_value_the_domain_holds_as_a_name_has_its_words():
    marked = {*words.STATES, *words.METHODS, *words.BALLOTS, *words.DECISION_KINDS}
    for state in (*contributions.STATES, *governance.STATES, *tasks.STATES):
        assert words.label(state) in marked, state
    for value in (*tally.BINDING, *tally.ADVISORY, *tally.YES_NO, *tally.CONSENSUS):
        assert words.label(value) in marked, value
    assert sorted(words.EVENT_TYPES) == sorted(domain.TYPES)


def test_activity_lines_read_in_french_with_plurals():
    world = World()
    anna, bao = world.writer(1), world.writer(2)
    genesis = anna.create(charter("Guide", [anna.me]))
    bao.learn(genesis)
    one = bao.propose(genesis.id, [change("a.md", blob(1))], title="Carte")
    two = bao.propose(genesis.id, [change("a.md", blob(1)), change("b.md", blob(2))], title="Deux")
    anna.learn(one)
    accept = anna.accept(genesis.id, one.id)
    known = Known({anna.did: "anna", bao.did: "bao"}, {one.id.hex(): "Carte"})
    fr = translator("fr")
    said = [say(domain.summary(e, known), fr) for e in (genesis, one, two, accept)]
    assert said == [
        "anna a créé «\u00a0Guide\u00a0»",
        "bao a proposé «\u00a0Carte\u00a0» (1\u00a0modification)",
        "bao a proposé «\u00a0Deux\u00a0» (2\u00a0modifications)",
        "anna a accepté «\u00a0Carte\u00a0»",
    ]
    # A line's record (what pages receive) says the same.
    assert say(domain.summary(accept, known).record(), fr) == said[-1]


def test_refusals_read_in_french_with_their_plural_and_words():
    fr = translator("fr")
    stands = CODES["objections_stand"]
    one = {"code": stands.name, "params": {"count": 1, "reasons": ["trop cher"]}}
    two = {"code": stands.name, "params": {"count": 2, "reasons": ["trop cher", "trop tôt"]}}
    assert sentence(one) == "1 objection stands: trop cher"
    assert sentence(two) == "2 objections stand: trop cher; trop tôt"
    assert sentence(one, fr).startswith("1\u00a0objection maintenue\u00a0:")
    assert sentence(two, fr).startswith("2\u00a0objections maintenues\u00a0:")
    state = {"code": "contribution_state", "params": {"action": "contribution.accept",
                                                      "state": "rejected"}}  # fmt: skip
    assert sentence(state) == "cannot accept a contribution that is rejected"
    french = sentence(state, fr)
    assert "accepter" in french and "rejetée" in french, french


def test_a_wrong_field_in_a_translation_shows_english_instead_of_breaking():
    class Broken:
        def __call__(self, text, **fields):
            return "{nope}".format(**fields) if fields else "{nope}"

        def ngettext(self, one, many, n, **fields):
            return "{nope}"

    assert say(Line("{who} wrote", {"who": "anna"}), Broken()) == "anna wrote"


def test_the_language_comes_from_the_cookie_then_the_browser():
    assert negotiate("fr", "en-GB,en") == "fr"
    assert negotiate(None, "de-CH, fr;q=0.8") == "fr"
    assert negotiate("xx", None) == "en"


# -- the demo, read in French -------------------------------------------------------------------

SKIPPED = re.compile(
    r"^/(static|api|openapi|docs|key)|\.json$|\.atom$|/raw/|/live$|/logout|\.ics$|/export"
)


def english_sentences() -> list[str]:
    """Sentences of the English catalogue a French page must not show: those whose French
    differs, cut at their fields, of at least two words."""
    with (LOCALE / "fr" / "LC_MESSAGES" / "communs.po").open("rb") as f:
        catalogue = list(read_po(f))
    found = set()
    for message in catalogue:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        french = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in english:
            for piece in re.split(r"\{[^}]*\}", text):
                piece = piece.strip(" .,:;'()…—-")
                if len(piece.split()) >= 2 and not any(piece in f for f in french):
                    found.add(piece)
    return sorted(found, key=len, reverse=True)


def visible_text(page: str) -> str:
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    # What a person reads: text, and the words of titles, placeholders, labels and buttons.
    shown = re.findall(r'(?:title|placeholder|aria-label|alt|value)="([^"]*)"', page)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page + " " + " ".join(shown)))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("demo"))
    build_demo(home)
    service = Service(home)
    yield create_app(service)
    service.close()


def crawl(client, start: str, limit: int = 400) -> dict[str, str]:
    """Every page reachable by links from ``start``, within the site."""
    seen, queue, pages = set(), [start], {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        if url in seen or SKIPPED.search(url.split("?")[0]):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.headers["content-type"]:
            continue
        pages[url] = response.text
        for link in re.findall(r'href="(/[^"]*)"', response.text):
            link = urldefrag(html.unescape(link))[0]
            if link not in seen and "?lang=" not in link and "/lang" not in link:
                queue.append(link)
    return pages


def test_no_english_sentence_reaches_a_french_page_of_the_demo(demo):
    client = visitor(demo, "dara")
    client.cookies.set("lang", "fr")
    pages = crawl(client, "/")
    assert len(pages) > 30, sorted(pages)
    sentences = english_sentences()
    leaks = {}
    for url, page in pages.items():
        text = visible_text(page)
        found = [s for s in sentences if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)]
        if found:
            leaks[url] = found[:5]
    assert leaks == {}


# Names and notations that read the same in every language.
SAME_EVERYWHERE = {"Communs", "EN", "FR", "JSON", "API", "UTC", "px", "BitTorrent", "Markdown"}


def test_templates_show_no_text_outside_the_catalogue():
    """Text written straight into a template would never be translated: every word a person
    reads there goes through ``_()``, except names and notations (file names, syntax)."""
    found = {}
    for path in sorted((ROOT / "src" / "communs" / "web" / "templates").glob("*.html")):
        template = re.sub(r"(?s)\{#.*?#\}|<(script|style)\b.*?</\1>", " ", path.read_text())
        shown = re.findall(r'(?:placeholder|title|alt|aria-label)="([^"]*)"', template)
        text = re.sub(r"<[^>]+>", " ", template) + " " + " ".join(shown)
        text = html.unescape(re.sub(r"(?s)\{\{.*?\}\}|\{%.*?%\}", " ", text))
        words = [
            word
            for token in text.split()
            if not set(token) & set(".=:/_") and token.strip("()[],;…·") not in SAME_EVERYWHERE
            for word in re.findall(r"[^\W\d_]{2,}", token)
        ]
        if words:
            found[path.name] = words
    assert found == {}
