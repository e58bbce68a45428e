"""The node page: the commons this node holds with the links that share them, its peers and
how syncing goes, the pulls under way as progress bars, and the events it refused — and the
share link on each commons page."""

from collections.abc import Iterator

import pytest

from webkit import TrailGuide, trail_guide


@pytest.fixture
def node(tmp_path) -> Iterator[TrailGuide]:
    with trail_guide(tmp_path / "home", TrailGuide) as made:
        yield made


def test_the_node_page_shows_commons_links_peers_and_refusals(node):
    service = node.service
    service.peer_add("http://127.0.0.1:9")
    service.local.peer_failed("http://127.0.0.1:9", "connection refused", 0.0)
    service.local.refused("http://127.0.0.1:9", bytes.fromhex(node.commons), b"\x01" * 32, "bad")
    service.block("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    page = node.browser().get("/node")
    assert page.status_code == 200
    assert "Trail guide" in page.text and f"communs://{node.commons}" in page.text
    assert "http://127.0.0.1:9" in page.text and "unreachable: connection refused" in page.text
    assert "1 × bad" in page.text and "Blocked authors" in page.text
    assert 'http-equiv="refresh"' not in page.text  # nothing under way: no reloading

    twin = node.browser().get("/node.json").json()
    assert [c["link"] for c in twin["commons"]] == [f"communs://{node.commons}"]
    assert [(p["url"], p["failures"]) for p in twin["peers"]] == [("http://127.0.0.1:9", 1)]
    assert twin["refused"] == {"bad": 1}


def test_a_pull_under_way_is_a_progress_bar_that_refreshes(node, monkeypatch):
    pull = {"peer": "http://127.0.0.1:9", "commons": node.commons, "done": 2500, "total": 10000}
    monkeypatch.setattr(node.service.replicator.pulls, "under_way", lambda: [pull])
    page = node.browser().get("/node")
    assert 'aria-valuenow="25"' in page.text and "2,500 / 10,000 events" in page.text
    assert 'http-equiv="refresh"' in page.text


def test_the_node_page_speaks_french(node):
    browser = node.browser()
    browser.cookies.set("lang", "fr")
    page = browser.get("/node")
    assert "Ce nœud" in page.text and "Aucun pair" in page.text


def test_a_commons_page_gives_the_link_to_follow_it(node):
    page = node.browser().get(f"/c/{node.commons}")
    assert f"communs://{node.commons}" in page.text and "communs follow" in page.text
