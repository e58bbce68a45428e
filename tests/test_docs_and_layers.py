"""Docs that cannot drift, and layers that point one way."""

import ast
import subprocess
import sys
from pathlib import Path

from communs import domain
from communs.cli.main import cli
from communs.cli.reference import commands, reference

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "communs"
# Each layer may import only the layers before it: core ← domain ← store ← node ← web ← api ← cli.
LAYERS = ["core", "domain", "store", "node", "web", "api", "cli"]


def test_cli_reference_is_current():
    assert (ROOT / "docs" / "cli.md").read_text() == reference(), (
        "docs/cli.md is stale: run python3 -m communs.cli.reference > docs/cli.md"
    )


def test_every_command_has_help_with_a_sentence():
    for name, command in commands(cli):
        assert command.help and len(command.help.strip()) > 10, f"communs {name} needs a docstring"


def test_every_event_type_is_documented():
    text = (ROOT / "docs" / "events.md").read_text()
    missing = [t for t in domain.TYPES if f"`{t}`" not in text]
    assert not missing, f"document these event types in docs/events.md: {missing}"


def imported_layers(path: Path) -> set[str]:
    """The communs layers a module imports, resolving relative imports."""
    module = path.relative_to(PACKAGE.parent).with_suffix("").parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module[: len(module) - node.level]
                target = [*base, *(node.module.split(".") if node.module else [])]
                names = [target] if node.module else [[*base, a.name] for a in node.names]
            else:
                names = [node.module.split(".")] if node.module else []
        elif isinstance(node, ast.Import):
            names = [a.name.split(".") for a in node.names]
        else:
            continue
        for parts in names:
            if len(parts) > 1 and parts[0] == "communs" and parts[1] in LAYERS:
                found.add(parts[1])
    return found


def test_layers_point_one_way():
    for index, layer in enumerate(LAYERS):
        allowed = set(LAYERS[: index + 1])
        for path in (PACKAGE / layer).rglob("*.py"):
            wrong = imported_layers(path) - allowed
            assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}: {layer} may use {allowed}"


def test_core_does_no_io():
    forbidden = {"os", "socket", "sqlite3", "pathlib", "subprocess", "asyncio", "open"}
    for path in (PACKAGE / "core").rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {
            a.name.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Import)
            for a in n.names
        }
        names |= {
            n.module.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module and not n.level
        }
        calls = {
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert not (names | calls) & forbidden, f"{path.name} does I/O"


def test_core_and_store_pass_mypy_strict():
    """The files and the strictness are pyproject.toml's ``[tool.mypy]``."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# What the web, the API and the CLI may not touch: the node's parts behind the Service.
NODE_PARTS = {"home", "lock", "local", "replicator", "store"}
SERVICE_NAMES = {"service", "s"}  # how the modules name the Service they were given


def is_service(node: ast.expr) -> bool:
    """``service``, ``s``, or anything's ``.service`` (``web.service``, ``ctx.service``)."""
    if isinstance(node, ast.Name):
        return node.id in SERVICE_NAMES
    return isinstance(node, ast.Attribute) and node.attr == "service"


def reaches(source: str) -> list[str]:
    """``service.home``-like reaches into the node's parts, and any ``.store``, in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr == "store" or (node.attr in NODE_PARTS and is_service(node.value)):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_the_reach_check_sees_reaches_not_only_imports():
    assert reaches("with service.lock:\n    x = service.home.store.scan_records(1, 'a/')") == [
        "line 1: service.lock",
        "line 2: service.home.store",
        "line 2: service.home",
    ]
    assert reaches("web.service.replicator.listeners.add(f)") == ["line 1: web.service.replicator"]
    assert reaches("s.local.follows()\nanything.store.get(1)") == [
        "line 1: s.local",
        "line 2: anything.store",
    ]
    assert reaches("service.commons_show(ref)\nweb.home_page()\nrequest.state") == []


def test_web_api_and_cli_go_through_the_service():
    """The web, the API and the CLI call the Service's operations; they never hold its home,
    store, lock, local state or replicator (so nothing of theirs can block the node)."""
    wrong = {}
    for layer in ("web", "api", "cli"):
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            name = path.relative_to(PACKAGE).as_posix()
            found = reaches(path.read_text())
            if found:
                wrong[name] = found
    assert wrong == {}, "call a Service method instead of reaching into the node"


def imported_modules(path: Path) -> set[str]:
    """The communs modules (or packages) a module imports, as dotted names."""
    module = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = module[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            target = [*base, *(node.module.split(".") if node.module else [])]
            found.add(".".join(target))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {name for name in found if name.startswith("communs")}


def test_the_faces_import_the_node_by_its_face_only():
    """web/, api/ and cli/ import ``communs.node`` (its curated __init__), never its parts."""
    wrong = {}
    for layer in ("web", "api", "cli"):
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            parts = sorted(m for m in imported_modules(path) if m.startswith("communs.node."))
            if parts:
                wrong[path.relative_to(PACKAGE).as_posix()] = parts
    assert wrong == {}, "import these from communs.node (add them to its face if need be)"


# What each part of the node may import of the others (each subpackage's docstring says so).
NODE_PARTS_MAY_IMPORT = {
    "writing": set(),
    "home": {"writing", "files", "http"},
    "files": {"writing", "home", "http"},
    "peers": {"writing", "home", "files", "http"},
    "reads": {"writing", "home", "files"},
    "actions": {"writing", "home", "files", "reads"},
}


def test_the_parts_of_the_node_import_what_their_docstring_says():
    node = PACKAGE / "node"
    for part, allowed in NODE_PARTS_MAY_IMPORT.items():
        doc = ast.get_docstring(ast.parse((node / part / "__init__.py").read_text()))
        assert doc and "May import" in doc, f"node/{part}/__init__.py says what it may import"
        for path in sorted((node / part).glob("*.py")):
            used = {
                m.split(".")[2]
                for m in imported_modules(path)
                if m.startswith("communs.node.") and len(m.split(".")) > 2
            }
            wrong = used - allowed - {part}
            assert not wrong, f"node/{part}/{path.name} imports node's {sorted(wrong)}"


def test_the_web_has_no_import_circle():
    """Page modules share ``web.base``; only ``web.app`` imports them, never the reverse."""
    for path in sorted((PACKAGE / "web").glob("*.py")):
        if path.name != "app.py":
            assert "communs.web.app" not in imported_modules(path), f"web/{path.name}"


def test_http_statuses_live_at_the_http_edges():
    """The core's errors carry no HTTP status; the web and the API give each kind its own."""
    from communs.core import errors
    from communs.web.statuses import status_of

    for kind in (errors.InvalidEvent, errors.Refused, errors.NotFound, errors.Unreachable):
        assert "status" not in vars(kind)
    assert [status_of(k("x")) for k in (errors.InvalidEvent, errors.Refused)] == [422, 409]
    assert [status_of(k("x")) for k in (errors.NotFound, errors.Unreachable)] == [404, 502]

    class TooLarge(errors.BadInput):  # an edge's own error says its status
        status = 413

    assert status_of(TooLarge("x")) == 413 and status_of(errors.Ambiguous("x")) == 400
