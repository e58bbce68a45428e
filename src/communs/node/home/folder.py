"""A home: one node's keys, event database and blobs, in one folder (COMMUNS_HOME)."""

import os
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from ... import domain
from ...core.errors import Ambiguous, NotFound, Refused
from ...core.events import MAX_PARENTS, bounded_heads, sign_event
from ...core.identity import Identity
from ...domain.refusals import Code, code, fault, plural_code
from ...store import SQLiteStore
from ..files import content
from ..files.blobs import BlobStore
from ..writing.folding import StoredState
from ..writing.ingest import BATCH, Ingestor, IngestReport
from .keyring import Keyring
from .refusing import not_an_id

REFOLD_FAILED = plural_code(
    "refold_failed",
    "{count} stored event could not be folded again ({reason}); it is kept: upgrade Communs "
    "and open this home again",
    "{count} stored events could not be folded again ({reason}); they are kept: upgrade "
    "Communs and open this home again",
    "count",
)
NO_IDENTITY_YET = code(
    "no_identity_yet",
    "this home has no identity yet: create one with 'communs id new --name NAME'",
)
COMMONS_PREFIX_SHARED = code(
    "commons_prefix_shared",
    "'{ref}' matches several commons ({candidates}); give more characters",
)
COMMONS_PREFIX_SHARED_MORE = plural_code(
    "commons_prefix_shared_more",
    "'{ref}' matches several commons ({candidates} and {more} more); give more characters",
    "'{ref}' matches several commons ({candidates} and {more} more); give more characters",
    "more",
)
COMMONS_NAME_SHARED = code(
    "commons_name_shared",
    "several commons are named '{ref}' ({candidates}); name one by its id",
)
COMMONS_NAME_SHARED_MORE = plural_code(
    "commons_name_shared_more",
    "several commons are named '{ref}' ({candidates} and {more} more); name one by its id",
    "several commons are named '{ref}' ({candidates} and {more} more); name one by its id",
    "more",
)
NO_COMMONS_MATCHES = code(
    "no_commons_matches",
    "no commons matches '{ref}' in this home; 'communs commons list' shows them",
)
COMMONS_NOT_HERE = code("commons_not_here", "commons {commons} is not in this home")
NO_EVENT = code("no_event", "no event '{ref}' in commons {commons}")
NO_SUCH_RECORD = code("no_such_record", "no {what:word} '{ref}' in commons {commons}")
EVENT_PREFIX_SHARED = code(
    "event_prefix_shared", "'{ref}' matches several events; give more characters"
)


@dataclass(frozen=True)
class Actor:
    """Who signs: an identity of the home (None: the default) and its passphrase if any."""

    name: str | None = None
    passphrase: str | None = None
    identity: Identity | None = None  # already unlocked (a signed-in web session)


def default_home() -> Path:
    return Path(os.environ.get("COMMUNS_HOME") or platformdirs.user_data_dir("communs"))


def now_ms() -> int:
    return int(time.time() * 1000)


class Home:
    def __init__(self, path: str | Path | None = None, *, workers: int = 2):
        self.path = Path(path) if path else default_home()
        self.path.mkdir(parents=True, exist_ok=True)
        self.store = SQLiteStore(self.path / "communs.db")
        self.blobs = BlobStore(self.path / "blobs")
        self.keyring = Keyring(self.path / "identities")
        self.ingestor = Ingestor(self.store, workers=workers)
        # Called with [(commons id, raw event)] after events are added, and the peer that sent
        # them (None: this node), e.g. to push them to the other peers at once. Listeners
        # must be quick: they run inside the writer's call.
        self.listeners: list[Callable[[list[tuple[bytes, bytes]], str | None], None]] = []
        # Erased content is deleted as soon as its erase is folded, whoever sent it.
        self.listeners.append(lambda added, sender: content.honour(self, added))
        self._refold()

    def _refold(self) -> None:
        """Fold again, through the one write path, the events a migration set aside (it
        changed what the folded state holds); they stay set aside until all are back in, so
        an interrupted refold starts over on the next open and loses nothing."""
        if not self.store.refold_count():
            return
        report = self.ingest(self.store.refold_events(), keep_ids=False)
        if report.refused:
            # An event this version refuses (none should be): keep it aside for a newer one.
            raise fault(
                Refused, REFOLD_FAILED, count=len(report.refused), reason=report.refused[0][1]
            )
        with self.store.transaction():
            self.store.refold_done()

    def ingest(
        self,
        raws: Iterable[bytes],
        progress: Callable[[int], None] | None = None,
        guard: AbstractContextManager | None = None,
        commons: bytes | None = None,
        keep_ids: bool = True,
        source: str | None = None,
        batch: int = BATCH,
    ) -> IngestReport:
        """The one write path, telling listeners what each transaction added and ``source``,
        the peer that sent it (see ``Ingestor.ingest`` for ``guard``, ``commons`` and
        ``keep_ids``)."""

        def tell(added: list[tuple[bytes, bytes]]) -> None:
            self._tell(added, source)

        return self.ingestor.ingest(
            raws,
            progress,
            committed=tell,
            guard=guard,
            commons=commons,
            keep_ids=keep_ids,
            source=source,
            batch=batch,
        )

    def _tell(self, added: list[tuple[bytes, bytes]], source: str | None = None) -> None:
        for listener in self.listeners:
            listener(added, source)

    def close(self) -> None:
        self.ingestor.close()
        self.store.close()

    def __enter__(self) -> "Home":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- who acts ------------------------------------------------------------------------

    def identity(self, name: str | None = None, passphrase: str | None = None) -> Identity:
        """The identity to act as: ``name`` (a name or DID prefix), else the home's default."""
        if name is None:
            default = self.keyring.default()
            if default is None:
                raise fault(Refused, NO_IDENTITY_YET)
            name = default.name
        info = self.keyring.info(name)
        return self.keyring.load(info.name, passphrase)

    # -- resolving abbreviated ids ---------------------------------------------------------

    def commons_id(self, ref: str) -> bytes:
        """A commons by unique hex prefix of its id (as git allows), or by exact name."""
        ref = ref.strip()
        if ref.lower().startswith("communs://"):
            ref = ref[len("communs://") :].split("?")[0].strip("/")
        hexed = ref.lower()
        if hexed and len(hexed) <= 64 and all(c in "0123456789abcdef" for c in hexed):
            found = self.store.find_commons(hexed)
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise self._several(found, ref, COMMONS_PREFIX_SHARED, COMMONS_PREFIX_SHARED_MORE)
        named = self.commons_named(ref)
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise self._several(named, ref, COMMONS_NAME_SHARED, COMMONS_NAME_SHARED_MORE)
        raise fault(NotFound, NO_COMMONS_MATCHES, ref=ref)

    def _several(
        self,
        ids: list[bytes],
        ref: str,
        few: Code,
        many: Code,
        shown: int = 5,
    ) -> Ambiguous:
        """``ref`` names several commons: the candidates as a person tells them apart (short
        id and name), the first ``shown`` of them and how many more."""
        names = {r["id"]: r["name"] for r in self.store.commons_rows()}
        listed = [f"{c.hex()[:12]} {names.get(c, '')}".strip() for c in ids[:shown]]
        if len(ids) > shown:
            return fault(Ambiguous, many, ref=ref, candidates=listed, more=len(ids) - shown)
        return fault(Ambiguous, few, ref=ref, candidates=listed)

    def commons_named(self, name: str) -> list[bytes]:
        """The commons of this home with this name, whatever its case, accents' encoding
        or spacing."""
        key = domain.schema.name_key(name)
        return [
            r["id"] for r in self.store.commons_rows() if domain.schema.name_key(r["name"]) == key
        ]

    def cid(self, commons_id: bytes) -> int:
        cid = self.store.commons_cid(commons_id)
        if cid is None:
            raise fault(NotFound, COMMONS_NOT_HERE, commons=commons_id)
        return cid

    def event_id(self, commons_id: bytes, ref: str, what: str = "event") -> bytes:
        ref = ref.strip().lower()
        if not ref or len(ref) > 64 or any(c not in "0123456789abcdef" for c in ref):
            raise not_an_id(ref)
        found = self.store.find_events(self.cid(commons_id), ref)
        if not found:
            if what == "event":
                raise fault(NotFound, NO_EVENT, ref=ref, commons=commons_id)
            raise fault(NotFound, NO_SUCH_RECORD, what=what, ref=ref, commons=commons_id)
        if len(found) > 1:
            raise fault(Ambiguous, EVENT_PREFIX_SHARED, ref=ref)
        return found[0]

    # -- the one write path for local actions ------------------------------------------------

    def state(self, commons_id: bytes) -> StoredState:
        return StoredState(self.store, self.cid(commons_id))

    def heads(self, commons_id: bytes, bound: int = MAX_PARENTS) -> tuple[list[bytes], int]:
        """At most ``bound`` of the commons' heads (see ``bounded_heads``), and the highest
        clock among all of them."""
        clocks = {
            h: c for h, (_, c) in self.store.clocks(self.store.heads(self.cid(commons_id))).items()
        }
        return bounded_heads(clocks, bound), max(clocks.values())

    def next_position(self, commons_id: bytes) -> tuple[list[bytes], int]:
        """The parents and clock of a new event here: the event merges up to MAX_PARENTS
        heads and keeps the clock it would have naming all of them."""
        parents, clock = self.heads(commons_id)
        return parents, clock + 1

    def emit(
        self,
        identity: Identity,
        commons_id: bytes | None,
        type: str,
        body: Any,
        time: int | None = None,
    ) -> bytes:
        """Sign an event on top of the heads this node knows and ingest it like any other;
        ``time``: the author's wall time to sign, now unless told (the demo's past).

        Verified once and folded once, in one transaction with the display name a person's
        first action in a commons signs before it: a refused action leaves nothing stored,
        not even that name, and fails with the fold's own reason (and its code).
        """
        added: list[tuple[bytes, bytes]] = []
        with self.store.transaction():
            if commons_id is not None and type != "profile.set":
                name = self._name_to_sign(identity, commons_id)
                if name is not None:  # detached, so that its holder can erase it
                    named = content.detach(self, name)
                    self._sign_and_fold(identity, commons_id, "profile.set", named, added, time)
            eid = self._sign_and_fold(identity, commons_id, type, body, added, time)
        self._tell(added)  # once committed: listeners push to peers
        return eid

    def _sign_and_fold(
        self,
        identity: Identity,
        commons_id: bytes | None,
        type: str,
        body: Any,
        added: list[tuple[bytes, bytes]],
        time: int | None = None,
    ) -> bytes:
        if commons_id is None:
            parents: list[bytes] = []
            clock = 0
        else:
            parents, clock = self.next_position(commons_id)
        raw = sign_event(
            identity,
            commons=commons_id,
            type=type,
            parents=parents,
            clock=clock,
            time=now_ms() if time is None else time,
            body=body,
        )
        event = domain.parse(raw)
        self.ingestor.ingest_own(event, committed=added.extend)
        return event.id

    def _name_to_sign(self, identity: Identity, commons_id: bytes) -> str | None:
        """The identity's display name, if the commons does not hold it yet: it is signed the
        first time the identity acts there."""
        info = next((k for k in self.keyring.list() if k.did == identity.did), None)
        if info is None:
            return None
        state = self.state(commons_id)
        signed = domain.profiles.profile(state, identity.did)
        if signed is None:
            return info.name
        if signed.get("content") is not None:
            if domain.content.erased(state, signed["content"]):
                return None  # taken back: never signed again behind its holder's back
            current = content.read(self, signed["content"])
        else:
            current = signed["name"]
        return info.name if current != info.name else None
