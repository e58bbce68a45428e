"""The guard in front of a real node's HTTP face: a page under a foreign host name (DNS
rebinding) is refused, a form from another site is refused, every answer carries the
security headers, a blob is served as a sandboxed download, and nothing tells a stranger
the node's paths or a hub's citizens."""

import io
from pathlib import Path

import httpx
import pytest

from browser import HubNode
from communs.node.home.folder import Home
from communs.node.service import Service
from nodes import Node

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture(scope="module")
def personal(tmp_path_factory: pytest.TempPathFactory):
    """A personal node with identity ada and an uploaded SVG: ``(node, svg hash)``."""
    home = tmp_path_factory.mktemp("guard") / "home"
    service = Service(Home(home))
    try:
        service.identity_new("ada", None)
        svg = service.blob_add(io.BytesIO(SVG), "x.svg")["hash"]
    finally:
        service.close()
    node = Node(home).start()
    try:
        yield node, svg
    finally:
        node.stop()


def client(node: Node) -> httpx.Client:
    assert node.url
    return httpx.Client(base_url=node.url, timeout=30, trust_env=False, follow_redirects=False)


def foreign(node: Node) -> dict[str, str]:
    assert node.url
    return {"Host": f"evil.example:{node.url.rsplit(':', 1)[1]}"}


def test_a_foreign_host_is_refused(personal):
    node, _ = personal
    with client(node) as http:
        for path in ("/", "/login", "/api/identities", "/api/node"):
            answer = http.get(path, headers=foreign(node))
            assert answer.status_code == 421, (path, answer.text)
            assert "--hostname" in answer.json()["detail"]
        signing = http.post("/login", data={"name": "ada", "next": "/"}, headers=foreign(node))
        assert signing.status_code == 421
        assert "set-cookie" not in signing.headers
        # Its own names still work: loopback address and localhost.
        assert http.get("/").status_code == 200
        port = node.url.rsplit(":", 1)[1]
        assert http.get("/", headers={"Host": f"localhost:{port}"}).status_code == 200


def test_a_hub_answers_to_the_names_it_is_given(tmp_path: Path):
    class Named(HubNode):
        serve_options = ("--hub", "--hostname", "communs.example.org")

    hub = Named(tmp_path / "hub").start()
    try:
        with client(hub) as http:
            assert http.get("/", headers={"Host": "communs.example.org"}).status_code == 200
            assert http.get("/", headers={"Host": "evil.example"}).status_code == 421
    finally:
        hub.stop()


def test_a_sign_in_from_another_site_is_refused(personal):
    node, _ = personal
    with client(node) as http:
        crossed = http.post(
            "/login",
            data={"name": "ada", "next": "/"},
            headers={"Origin": "http://evil.example"},
        )
        assert crossed.status_code == 403, crossed.text
        assert "another site" in crossed.json()["detail"]
        assert "set-cookie" not in crossed.headers
        referred = http.post(
            "/login",
            data={"name": "ada", "next": "/"},
            headers={"Referer": "http://evil.example/page"},
        )
        assert referred.status_code == 403
        own = http.post(
            "/login", data={"name": "ada", "next": "/"}, headers={"Origin": node.url or ""}
        )
        assert own.status_code == 303, own.text
        assert "set-cookie" in own.headers


def assert_hardened(answer: httpx.Response) -> None:
    csp = answer.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, answer.headers
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[-1].split(";")[0]
    assert answer.headers.get("x-frame-options") == "DENY"
    assert answer.headers.get("x-content-type-options") == "nosniff"
    assert answer.headers.get("referrer-policy") == "same-origin"


def test_every_answer_carries_the_security_headers(personal):
    node, svg = personal
    with client(node) as http:
        page = http.get("/")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert_hardened(page)
        missing = http.get("/c/nothing-here")
        assert missing.status_code == 404
        assert_hardened(missing)
        api = http.get("/api/commons")
        assert api.status_code == 200
        assert_hardened(api)
        assert_hardened(http.get("/static/live.js"))
        assert_hardened(http.get(f"/api/blobs/{svg}"))


def test_an_api_blob_is_a_sandboxed_download(personal):
    node, svg = personal
    with client(node) as http:
        answer = http.get(f"/api/blobs/{svg}")
        assert answer.status_code == 200
        assert answer.content == SVG
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"].startswith("sandbox")
        assert answer.headers["content-disposition"].startswith("attachment")
        assert answer.headers["content-type"] == "application/octet-stream"


def test_the_node_status_tells_no_stranger_its_home_folder(personal):
    node, _ = personal
    token = (node.home / "api-token").read_text().strip()
    with client(node) as http:
        stranger = http.get("/api/node")
        assert stranger.status_code == 200
        assert str(node.home) not in stranger.text
        assert "home" not in stranger.json()
        assert stranger.json()["url"] == node.url  # what peers need stays
        owner = http.get("/api/node", headers={"Authorization": f"Bearer {token}"})
        assert owner.json()["home"] == str(node.home)


def test_a_hub_lists_its_citizens_only_to_its_owner(tmp_path: Path):
    hub = HubNode(tmp_path / "hub").start()
    try:
        hub.cli("id", "new", "--name", "ada")
        token = (hub.home / "api-token").read_text().strip()
        with client(hub) as http:
            assert http.get("/api/identities").status_code == 401
            listed = http.get("/api/identities", headers={"Authorization": f"Bearer {token}"})
            assert [i["name"] for i in listed.json()] == ["ada"]
    finally:
        hub.stop()
