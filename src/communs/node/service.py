"""Everything a person can do with a node, JSON in and JSON out.

The CLI calls a ``Service`` directly when no node runs on its home, and the HTTP API (which
the CLI uses when a node runs) calls the same methods: one set of operations, two faces.
Ids go in as unique hex prefixes (or names, for commons) and come out as full hex.
"""

import dataclasses
import itertools
import threading
from pathlib import Path
from typing import Any

from ..core.errors import Ambiguous, BadInput, NotFound, Refused
from ..core.identity import Identity, is_did
from ..domain.refusals import code, fault, plural_code
from ..store.local import LocalState
from .actions import commons as actions
from .actions import governing
from .actions.taskops import TaskOps, record_id
from .actions.threadops import ThreadOps
from .credit_ops import CreditOps
from .distribution_ops import DistributionOps
from .enterprise_ops import EnterpriseOps
from .files.blobs import blob_hash
from .files.content import ContentOps
from .files.fileops import FileOps
from .home.fairlock import FairLock
from .home.folder import Actor, Home
from .home.refusing import not_an_id
from .home.shared import Shared
from .inbox_ops import InboxOps
from .library_ops import LibraryOps
from .page_queries import PageQueries
from .peers.probe import probe_peer
from .personal_ops import PersonalOps
from .reads import mentions, queries
from .running import Running
from .statement_ops import StatementOps
from .treasury_ops import TreasuryOps

CONTRIBUTION_NOT_FOUND = code(
    "contribution_not_found", "no contribution '{ref}' in commons {commons}"
)
CONTRIBUTION_PREFIX_SHARED = code(
    "contribution_prefix_shared", "'{ref}' matches several contributions; give more characters"
)
MAINTAINER_OP = code("maintainer_op", "op must be 'add' or 'remove'")
UNKNOWN_DECISION = code("unknown_decision", "unknown decision '{action}'")
NOT_A_DID = code("not_a_did", "'{did}' is not a did:key identity")
UNKNOWN_PROPOSAL_ACTION = code("unknown_proposal_action", "unknown proposal action '{action}'")
FILES_UNSEEN = plural_code(
    "files_unseen",
    "not accepted: {count} file of this contribution is not on this node yet: {files}. Fetch "
    "it with 'communs blob get {hash}' (add --from URL for a peer that has it), read it, then "
    "accept",
    "not accepted: {count} files of this contribution are not on this node yet: {files}. "
    "Fetch them with 'communs blob get --missing' (add --from URL for a peer that has them), "
    "read them, then accept",
    "count",
)


class Service(
    FileOps,
    TaskOps,
    ThreadOps,
    ContentOps,
    InboxOps,
    CreditOps,
    TreasuryOps,
    DistributionOps,
    EnterpriseOps,
    PersonalOps,
    StatementOps,
    LibraryOps,
    PageQueries,
    Running,
):
    def __init__(self, home: Home):
        self.home = home
        # One writer at a time on the home, whatever thread a request runs on, in turn.
        self.lock = FairLock()
        self.local = LocalState(home.path / "local.db")
        self.shared = Shared(home, self.lock, self.local)
        self._replicator: Any = None
        self._making_replicator = threading.Lock()

    @property
    def replicator(self) -> Any:
        """What talks to peers, made when first needed: a command that only reads the home
        never loads HTTP and replication."""
        with self._making_replicator:
            if self._replicator is None:
                from .peers.replication import Replicator

                self._replicator = Replicator(self.shared)
            return self._replicator

    def close(self) -> None:
        self.stop_swarm()
        if self._replicator is not None:
            self._replicator.stop()
        self.local.close()
        self.home.close()

    def _me(self, actor: Actor) -> Identity:
        if actor.identity is not None:
            return actor.identity
        return self.home.identity(actor.name, actor.passphrase)

    def _commons(self, ref: str) -> bytes:
        return self.home.commons_id(ref)

    def _contribution(self, commons: bytes, ref: str) -> bytes:
        """By its records rather than its events: a fork holds contributions proposed to
        its parent before the fork, whose events live in the parent."""
        ref = ref.strip().lower()
        if not ref or len(ref) > 64 or any(c not in "0123456789abcdef" for c in ref):
            raise not_an_id(ref)
        found = [
            key.split("/", 1)[1]
            for key, _ in itertools.islice(
                self.home.store.scan_records(self.home.cid(commons), "contribution/" + ref), 2
            )
        ]
        if not found:
            raise fault(NotFound, CONTRIBUTION_NOT_FOUND, ref=ref, commons=commons)
        if len(found) > 1:
            raise fault(Ambiguous, CONTRIBUTION_PREFIX_SHARED, ref=ref)
        return bytes.fromhex(found[0])

    # -- identities ----------------------------------------------------------------------

    def identities(self) -> list[dict[str, Any]]:
        keyring = self.home.keyring
        default = keyring.default()
        return [
            {
                "name": k.name,
                "did": k.did,
                "encrypted": k.encrypted,
                "default": default is not None and k.name == default.name,
            }
            for k in keyring.list()
        ]

    def identity_new(self, name: str, passphrase: str | None = None) -> dict[str, Any]:
        # Not under the lock: sealing takes half a second, and the keyring guards its files.
        identity = self.home.keyring.create(name, passphrase)
        return {"id": identity.did, "name": name}

    def identity_use(self, name: str) -> dict[str, Any]:
        with self.lock:
            info = self.home.keyring.info(name)
            self.home.keyring.set_default(info.name)
        return {"id": info.did, "name": info.name}

    # -- commons ---------------------------------------------------------------------------

    def commons_list(self) -> list[dict[str, Any]]:
        with self.lock:
            return queries.commons_list(self.home)

    def commons_show(self, ref: str) -> dict[str, Any]:
        with self.lock:
            return queries.commons_show(self.home, self._commons(ref))

    def commons_log(self, ref: str, limit: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return queries.log(self.home, self._commons(ref), limit)

    def commons_lineage(self, ref: str) -> dict[str, Any]:
        with self.lock:
            return queries.lineage(self.home, self._commons(ref))

    def commons_create(self, actor: Actor, **charter: Any) -> dict[str, Any]:
        with self.lock:
            new = actions.create_commons(self.home, self._me(actor), **charter)
        self.local.follow(new)
        return {"id": new.hex(), "name": charter["name"]}

    def fork(
        self, actor: Actor, ref: str, name: str, description: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            new = actions.fork(
                self.home, self._me(actor), self._commons(ref), name=name, description=description
            )
        self.local.follow(new)
        return {"id": new.hex(), "name": self.home.state(new).get("charter")["name"]}

    def maintainer(self, actor: Actor, ref: str, op: str, did: str) -> dict[str, Any]:
        if op not in ("add", "remove"):
            raise fault(BadInput, MAINTAINER_OP)
        with self.lock:
            commons = self._commons(ref)
            change = mentions.named_effect(
                self.home, commons, {"op": f"{op}_maintainer", "did": did}
            )
            event = actions.change_charter(self.home, self._me(actor), commons, change)
        return {"id": event.hex()}

    # Archives and the demo load when used: a command line that only reads starts quicker.
    def export(self, ref: str, target: Path, progress: Any = None) -> dict[str, Any]:
        from .actions import archive

        with self.lock:
            return archive.export(self.home, self._commons(ref), target, progress)

    def import_(self, source: Path, progress: Any = None) -> dict[str, Any]:
        from .actions import archive

        with self.lock:
            result = archive.import_(self.home, source, progress)
        self.local.follow(bytes.fromhex(result["commons"]))
        self.replicator.fetch_missing_later(bytes.fromhex(result["commons"]))
        return {"id": result["commons"], **result}

    def demo(self) -> dict[str, Any]:
        from .actions.demo import build_demo

        with self.lock:
            made = build_demo(self.home, self.local)
        for commons in made["commons"]:
            self.local.follow(bytes.fromhex(commons["id"]))
        return made

    # -- contributions ---------------------------------------------------------------------

    def contributions(self, ref: str, state: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return queries.contributions(self.home, self._commons(ref), state)

    def recent_contributions(self, ref: str, count: int) -> list[dict[str, Any]]:
        """The ``count`` latest contributions in any state, newest first: what a picker by
        title offers (chosen in SQL, whatever the size of the commons)."""
        with self.lock:
            found = queries.contributions(self.home, self._commons(ref), newest=count)
        return sorted(found, key=lambda c: -c["time"])

    def contribution(self, ref: str, contribution: str) -> dict[str, Any]:
        with self.lock:
            commons = self._commons(ref)
            return queries.contribution_show(
                self.home, commons, self._contribution(commons, contribution)
            )

    def propose(
        self,
        actor: Actor,
        ref: str,
        title: str,
        description: str = "",
        files: dict[str, str] | None = None,
        deletes: list[str] | None = None,
    ) -> dict[str, Any]:
        """``files`` maps a path to the hash of a blob already added (``blob_add``)."""
        blobs = {path: blob_hash(h) for path, h in (files or {}).items()}
        with self.lock:
            commons = self._commons(ref)
            new = actions.propose(
                self.home,
                self._me(actor),
                commons,
                title=title,
                description=description,
                files=blobs,
                deletes=deletes or [],
            )
        return {"id": new.hex(), "commons": commons.hex()}

    def propose_to_parent(
        self, actor: Actor, ref: str, title: str, description: str = ""
    ) -> dict[str, Any]:
        with self.lock:
            parent, new = actions.propose_from_fork(
                self.home, self._me(actor), self._commons(ref), title=title, description=description
            )
        return {"id": new.hex(), "commons": parent.hex()}

    def revise(
        self,
        actor: Actor,
        ref: str,
        contribution: str,
        title: str | None = None,
        description: str | None = None,
        files: dict[str, str] | None = None,
        deletes: list[str] | None = None,
    ) -> dict[str, Any]:
        blobs = {path: blob_hash(h) for path, h in (files or {}).items()}
        with self.lock:
            commons = self._commons(ref)
            event = actions.revise(
                self.home,
                self._me(actor),
                commons,
                self._contribution(commons, contribution),
                files=blobs,
                deletes=deletes or [],
                title=title,
                description=description,
            )
        return {"id": event.hex()}

    def review(
        self, actor: Actor, ref: str, contribution: str, verdict: str, comment: str = ""
    ) -> dict[str, Any]:
        with self.lock:
            commons = self._commons(ref)
            event = actions.review(
                self.home,
                self._me(actor),
                commons,
                self._contribution(commons, contribution),
                verdict=verdict,
                comment=comment,
            )
        return {"id": event.hex()}

    def decide(
        self, actor: Actor, ref: str, contribution: str, action: str, reason: str | None = None
    ) -> dict[str, Any]:
        """accept, reject (reason), revert (reason), withdraw or patrol."""
        with self.lock:
            home, me = self.home, self._me(actor)
            commons = self._commons(ref)
            target = self._contribution(commons, contribution)
            if action == "accept":
                _refuse_unseen(queries.contribution_show(home, commons, target)["missing_files"])
                event = actions.accept(home, me, commons, target)
            elif action == "revert":
                event = actions.revert(home, me, commons, target, reason=reason or "")
            elif action == "reject":
                event = actions.decide(home, me, commons, target, "reject", reason=reason)
            elif action in ("withdraw", "patrol"):
                event = actions.decide(home, me, commons, target, action)
            else:
                raise fault(BadInput, UNKNOWN_DECISION, action=action)
            state = queries.contribution_show(home, commons, target)["state"]
        return {"id": event.hex(), "state": state}

    # -- artifacts and blobs ---------------------------------------------------------------

    def artifacts(self, ref: str) -> list[dict[str, Any]]:
        with self.lock:
            return queries.artifacts(self.home, self._commons(ref))

    def artifact(self, ref: str, path: str) -> dict[str, Any]:
        with self.lock:
            return queries.hexed(queries.artifact(self.home, self._commons(ref), path))

    def artifact_history(self, ref: str, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return queries.artifact_history(self.home, self._commons(ref), path)

    # -- peers and replication ---------------------------------------------------------------

    def peers(self) -> list[dict[str, Any]]:
        return self.local.peers()

    def peer_add(self, url: str) -> dict[str, Any]:
        """Add a peer once it is known to be another Communs node (or is only off now)."""
        url, warning = probe_peer(self.replicator.http, url, self.replicator.own_url)
        added = self.local.add_peer(url)
        self.replicator.wake()
        return {"id": added, **({"warning": warning} if warning else {})}

    def peer_remove(self, url: str) -> dict[str, Any]:
        self.local.remove_peer(url)
        return {"id": url}

    def follow(self, target: str) -> dict[str, Any]:
        """Follow a commons (id, name, or communs:// link to fetch it) or an author (DID)."""
        if is_did(target):
            self.local.set_author(target, "followed")
            return {"id": target}
        return self.replicator.follow(target)

    def unfollow(self, target: str) -> dict[str, Any]:
        if is_did(target):
            self.local.set_author(target, None)
            return {"id": target}
        try:  # by its full id, even when nothing of it is held here
            commons = bytes.fromhex(target) if len(target) == 64 else None
        except ValueError:
            commons = None
        if commons is None:
            with self.lock:
                commons = self._commons(target)
        self.local.unfollow(commons)
        return {"id": commons.hex()}

    def follows(self) -> dict[str, Any]:
        return {
            "commons": [c.hex() for c in self.local.follows()],
            "authors": sorted(self.local.authors("followed")),
        }

    def sync(self, peer: str | None = None, ref: str | None = None) -> list[dict[str, Any]]:
        commons = None
        if ref:
            with self.lock:
                commons = self._commons(ref)
        return self.replicator.sync(peer, commons)

    def pulls(self) -> list[dict[str, Any]]:
        return self.replicator.pulls.under_way()

    def block(self, did: str, reason: str = "") -> dict[str, Any]:
        if not is_did(did):
            raise fault(BadInput, NOT_A_DID, did=did)
        self.local.set_author(did, "blocked", reason)
        return {"id": did}

    def unblock(self, did: str) -> dict[str, Any]:
        self.local.set_author(did, None)
        return {"id": did}

    def policy(self, ref: str, accept: str | None = None, **quotas: int | None) -> dict[str, Any]:
        """Which events this node accepts from peers for a commons, and how many an hour
        from each author without accepted work there; ``accept`` and ``stranger_events``,
        ``stranger_bytes`` (None: the node's default) set them."""
        with self.lock:
            commons = self._commons(ref)
        if accept is not None or quotas:
            self.local.set_policy(commons, accept, **quotas)
        events, size = self.local.stranger_quota(commons)
        return {
            "id": commons.hex(),
            "accept": self.local.policy(commons),
            "stranger_events": events,
            "stranger_bytes": size,
        }

    def link(self, ref: str) -> dict[str, Any]:
        return {"id": self.replicator.link(ref)}

    def status(self) -> dict[str, Any]:
        with self.lock:
            pending = self.home.store.pending_count()
            dropped = self.home.store.pending_dropped()
        missing = self.files_missing()
        return {
            "home": str(self.home.path),
            "url": self.replicator.own_url,
            "pending_events": pending,
            "pending_dropped": dropped,  # by reason: a pull brings them again
            "pending_limits": dataclasses.asdict(self.home.ingestor.pending_limits),
            "pulls": self.replicator.pulls.under_way(),
            "peers": len(self.local.peers()),
            "follows": len(self.local.follows()),
            "blocked": sorted(self.local.authors("blocked")),
            "refused": self.local.refusal_counts(),
            "recent_refusals": self.local.refusals(10),
            "files": {
                "stored_bytes": self.replicator.fetcher.used(),
                "policy": self.local.file_policy(None),
                "missing": len(missing),
                "missing_commons": sorted({m["commons"] for m in missing}),
                "bittorrent": self.swarm_status(),
            },
        }

    # -- governance ------------------------------------------------------------------------

    def _proposal(self, commons: bytes, ref: str) -> bytes:
        return governing.proposal_id(self.home, commons, ref)

    def proposals(self, ref: str) -> list[dict[str, Any]]:
        with self.lock:
            return governing.proposals(self.home, self._commons(ref))

    def proposal(self, ref: str, proposal: str) -> dict[str, Any]:
        with self.lock:
            commons = self._commons(ref)
            return governing.show(self.home, commons, self._proposal(commons, proposal))

    def _about(self, commons: bytes, ref: str) -> bytes:
        """What a decision is about: an expense, or else a distribution round."""
        try:
            return self._expense(commons, ref)
        except NotFound:
            return record_id(self.home, commons, "distribution/", ref, "distribution")

    def proposal_open(self, actor: Actor, ref: str, title: str, **fields: Any) -> dict[str, Any]:
        """``about``: what the decision is about (an expense's id, or a unique prefix)."""
        with self.lock:
            commons = self._commons(ref)
            if fields.get("about"):
                fields["about"] = self._about(commons, str(fields["about"]))
            new = governing.open_(self.home, self._me(actor), commons, title=title, **fields)
        return {"id": new.hex()}

    def proposal_act(
        self, actor: Actor, ref: str, proposal: str, action: str, **fields: Any
    ) -> dict[str, Any]:
        """vote (ballot, reason), reveal, object (reason), withdraw_objection (note), close
        and settle (outcome)."""
        with self.lock:
            home, me = self.home, self._me(actor)
            commons = self._commons(ref)
            pid = self._proposal(commons, proposal)
            if action == "vote":
                event = governing.vote(
                    home, self.local, me, commons, pid, fields["ballot"], fields.get("reason") or ""
                )
            elif action == "reveal":
                event = governing.reveal(home, self.local, me, commons, pid)
            elif action in ("object", "withdraw_objection", "close", "settle"):
                body = {k: v for k, v in fields.items() if v is not None}
                event = home.emit(me, commons, f"proposal.{action}", {"proposal": pid, **body})
            else:
                raise fault(BadInput, UNKNOWN_PROPOSAL_ACTION, action=action)
            state = governing.show(home, commons, pid)["state"]
        return {"id": event.hex(), "state": state}

    def proposal_fork(self, actor: Actor, ref: str, proposal: str, name: str) -> dict[str, Any]:
        with self.lock:
            commons = self._commons(ref)
            forked = governing.fork_with(
                self.home, self._me(actor), commons, self._proposal(commons, proposal), name
            )
        self.local.follow(forked)
        return {"id": forked.hex(), "name": self.home.state(forked).get("charter")["name"]}

    def charter(self, ref: str) -> dict[str, Any]:
        with self.lock:
            return queries.hexed(self.home.state(self._commons(ref)).get("charter"))

    def charter_history(self, ref: str) -> list[dict[str, Any]]:
        with self.lock:
            return governing.charter_history(self.home, self._commons(ref))


def _refuse_unseen(missing: list[dict[str, Any]]) -> None:
    """Accepting a file nobody on this node has seen would make the maintainer vouch for
    bytes they could not read: refused until the files are here."""
    if not missing:
        return
    named = [f"{m['path']} ({m['hash'][:12]})" for m in missing]
    raise fault(Refused, FILES_UNSEEN, count=len(missing), files=named, hash=missing[0]["hash"])
