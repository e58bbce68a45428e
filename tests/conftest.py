import pytest

from eventkit import Peer, World

# The browser fixtures (chromium, pages, shots) live with the browser helpers.
pytest_plugins = ["browser"]


def pytest_configure(config):
    # Reporting a failing Hypothesis example imports libcst, which warns on import; with the
    # project's "filterwarnings = error" that would hide the example behind an INTERNALERROR.
    config.addinivalue_line(
        "filterwarnings", "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning"
    )


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def peer():
    node = Peer()
    yield node
    node.close()
