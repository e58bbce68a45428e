"""What the in-process web tests share: Starlette's test client, and a visitor signed in."""

import re
import warnings

with warnings.catch_warnings():
    # Starlette asks for httpx2 but works with the httpx the project depends on.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def visitor(app: object, name: str | None = None) -> TestClient:
    """A browser on the node's own machine (a personal node lets loopback sign in), signed in
    as ``name`` when given; redirects are not followed, so tests see them."""
    client = TestClient(app, client=("127.0.0.1", 50000), follow_redirects=False)
    if name:
        response = client.post("/login", data={"name": name, "next": "/"})
        assert response.status_code == 303, response.text
    return client


def csrf(client: TestClient, url: str) -> str:
    """The CSRF token of the forms of the page at ``url``."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


__all__ = ["TestClient", "csrf", "visitor"]
