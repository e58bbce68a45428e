"""One node per home: an exclusive lock, and a note saying where the running node listens."""

import fcntl
import json
import os
import secrets
from pathlib import Path
from typing import Any

from ...core.errors import Refused


class NodeLock:
    def __init__(self, home: Path):
        self.path = home / "node.lock"
        self.note = home / "node.json"
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            running = running_node(self.path.parent) or {}
            raise Refused(
                f"a node is already running on this home (pid {running.get('pid', '?')}, "
                f"{running.get('url', 'address unknown')}); stop it first, or use another --home"
            ) from None
        self._fd = fd

    def announce(self, url: str) -> None:
        partial = self.note.with_name("node.json.partial")
        partial.write_text(json.dumps({"url": url, "pid": os.getpid()}))
        partial.replace(self.note)

    def release(self) -> None:
        self.note.unlink(missing_ok=True)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def running_node(home: Path) -> dict[str, Any] | None:
    """Where the node running on this home listens, or None when none runs."""
    lock, note = home / "node.lock", home / "node.json"
    if not lock.exists() or not note.exists():
        return None
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            return json.loads(note.read_text())
        except (OSError, ValueError):
            return None
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None  # a note left by a node that died: nobody holds the lock
    finally:
        os.close(fd)


def token_path(home: Path) -> Path:
    return home / "api-token"


def ensure_token(home: Path) -> str:
    """The home's API token, made on first use, readable by its owner only."""
    path = token_path(home)
    if not path.exists():
        partial = path.with_name(f".{path.name}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
        partial.replace(path)
    return path.read_text().strip()
