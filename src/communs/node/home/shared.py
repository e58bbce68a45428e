"""What every part of a running node shares, as one small object instead of three loose ones."""

from dataclasses import dataclass

from ...store.local import LocalState
from .fairlock import FairLock
from .folder import Home


@dataclass(frozen=True)
class Shared:
    """A node's home, the lock its writers take (one writer at a time on the home, whatever
    thread a request runs on), and its local state (peers, follows, policies)."""

    home: Home
    lock: FairLock
    local: LocalState
