"""What the in-process web tests share: Starlette's test client, a visitor signed in, and a
node where anna maintains a trail guide and bao takes part."""

import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from communs.api.app import create_app
from communs.node.home.folder import Actor, Home
from communs.node.service import Service

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


@dataclass
class TrailGuide:
    """A node with its web app, in process: ``anna`` maintains the commons "Trail guide"
    alone (threshold 1), ``bao`` takes part (both DIDs)."""

    service: Service
    commons: str
    app: object
    anna: str
    bao: str

    def browser(self, name: str | None = None) -> TestClient:
        return visitor(self.app, name)


Made = TypeVar("Made", bound=TrailGuide)


def ink_owed_to_bao(made: TrailGuide) -> str:
    """anna (treasurer) records a 50.00 EUR donation on 2026-11-30, by hand, and approves
    bao's 12.50 EUR expense for ink, unpaid: the treasury owes bao. Its id."""
    s, anna, bao = made.service, Actor("anna"), Actor("bao")
    s.ledger_record(anna, made.commons, "donation", "50", "EUR", "2026-11-30", "Café")
    receipt = s.blob_add(io.BytesIO(b"ticket"), "ticket.txt")["hash"]
    filed = s.expense_file(
        bao, made.commons, "Ink", "12.50", "EUR", "materials", "2026-12-01", "", receipt
    )
    s.expense_act(anna, made.commons, filed["id"], "approve")
    return filed["id"]


@contextmanager
def trail_guide(home: Path, kind: type[Made]) -> Iterator[Made]:
    """A ``kind`` of TrailGuide on a new home; the service is closed at the end."""
    service = Service(Home(home))
    try:
        anna = service.identity_new("anna")["id"]
        bao = service.identity_new("bao")["id"]
        commons = service.commons_create(Actor("anna"), name="Trail guide")["id"]
        yield kind(service, commons, create_app(service), anna, bao)
    finally:
        service.close()


__all__ = ["TestClient", "TrailGuide", "csrf", "ink_owed_to_bao", "trail_guide", "visitor"]
