"""The reads behind the web's pages, and signing in: the Service's door for the web.

Each page's data is read in one call, under the node's lock, so a page sees one state and the
web holds no store, lock or home of its own. Unlocking a key with a passphrase (Argon2id,
half a second of a core) happens outside the lock: a sign-in never stalls other requests.
"""

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.errors import NotFound, Refused
from ..core.identity import Identity, is_did
from ..domain import governance, parse_checked
from ..domain.contributions import STATES, contribution_key
from ..domain.refusals import code, fault
from .actions import governing
from .files import metadata
from .files.blobs import blob_hash
from .files.references import References
from .home.folder import Actor
from .home.keyring import ONLINE, new_recovery_code, wrong_code_work, wrong_passphrase_work
from .peers.wire import link_to
from .reads import queries
from .reads.health import health
from .reads.people import people_activity, people_directory

NO_MATCH = code(
    "no_match",
    "That name and passphrase do not match. Check both and try again; if you forgot your "
    "passphrase, use the recovery code you were given when you registered.",
)
NO_RECOVERY = code(
    "no_recovery",
    "That name and recovery code do not match. Check both and try again. Accounts "
    "registered before this hub gave recovery codes have none: their passphrase is the only "
    "way in.",
)
PROPOSAL_NOT_HERE = code("proposal_not_here", "no proposal '{ref}' in this commons")
NOT_A_PERSON = code(
    "not_a_person", "'{did}' is not a person: people are named by a did:key identity"
)
BLOB_NOT_HERE = code("blob_not_here", "blob {blob} is not part of this commons")
BLOB_NOT_YET = code(
    "blob_not_yet",
    "blob {blob} is not on this node yet: it comes with the next sync from a peer that has it",
)


class PageQueries:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``local``, ``replicator``)."""

    # -- signing in --------------------------------------------------------------------------

    def sign_in(
        self, name: str, passphrase: str | None, *, sealed_only: bool = False
    ) -> tuple[str, Identity]:
        """The identity ``name`` (a name or DID prefix) unlocked with ``passphrase``. The key
        file is read without the node's lock (the keyring replaces files whole).
        ``sealed_only`` (a hub): the exact name only, and a key kept without a passphrase,
        which would open for any, does not sign in."""
        if not sealed_only:
            stored = self.home.keyring.key(self.home.keyring.info(name).name)
            return stored.info.name, stored.unlock(passphrase)
        # A hub answers an unknown name, a key without a passphrase and a wrong passphrase
        # alike, after the same work, so the answer never tells which names have accounts.
        found = self.home.keyring.account(name)
        if found is None or not found.info.encrypted:
            wrong_passphrase_work(passphrase or "?", *ONLINE)
            raise fault(Refused, NO_MATCH)
        try:
            return found.info.name, found.unlock(passphrase)
        except Refused:
            raise fault(Refused, NO_MATCH) from None

    def register(self, name: str, passphrase: str) -> tuple[Identity, str]:
        """A new hub account and its recovery code: an identity sealed with ``passphrase``,
        and sealed again with the code, at the cost of online sign-ins (``keyring.ONLINE``);
        the keyring guards its own files."""
        opslimit, memlimit = ONLINE
        code = new_recovery_code()
        identity = self.home.keyring.create(
            name, passphrase, opslimit=opslimit, memlimit=memlimit, recovery=code
        )
        return identity, code

    def recover(self, name: str, code: str, passphrase: str) -> tuple[str, Identity, str]:
        """A hub account opened with its recovery code, then sealed with the new
        ``passphrase`` and a new code (the old ones stop working): ``(name, identity, new
        code)``. An unknown name, an account without a recovery code and a wrong code get
        one answer, after the same key derivation."""
        stored = self.home.keyring.account(name)
        if stored is None or stored.recovery is None:
            wrong_code_work(code, *ONLINE)
            raise fault(Refused, NO_RECOVERY)
        new_code = new_recovery_code()
        try:
            identity = stored.recover(code)
            # Refused too when the same code was used meanwhile: it no longer works.
            self.home.keyring.reseal(stored, identity, passphrase, new_code)
        except Refused:
            raise fault(Refused, NO_RECOVERY) from None
        return stored.info.name, identity, new_code

    def identity_export(self, name: str) -> dict[str, Any]:
        return self.home.keyring.export(name)

    def unlocked(self, actor: Actor) -> Actor:
        """``actor`` with its identity unlocked: a caller does it before an operation, so the
        key is not derived inside the operation's lock."""
        if actor.identity is not None or actor.passphrase is None:
            return actor
        name = actor.name
        if name is None:
            default = self.home.keyring.default()
            if default is None:
                return actor  # the operation says that this home has no identity yet
            name = default.name
        name, identity = self.sign_in(name, actor.passphrase)
        return Actor(name, identity=identity)

    # -- live updates -------------------------------------------------------------------------

    def listen(self, deliver: Callable[[bytes, bytes], None]) -> None:
        """Call ``deliver(commons, raw event)`` (from any thread) for each new event."""
        self.replicator.listeners.add(deliver)

    def unlisten(self, deliver: Callable[[bytes, bytes], None]) -> None:
        self.replicator.listeners.discard(deliver)

    def commons_ref(self, ref: str) -> bytes:
        with self.lock:
            return self.home.commons_id(ref)

    # -- pages -------------------------------------------------------------------------------

    def home_page(self, did: str | None, since: int | None, now: int) -> dict[str, Any]:
        """The commons followed (all, when none is), what changed in them since ``since``,
        and for a person signed in: the proposals awaiting them."""
        followed = {c.hex() for c in self.local.follows()}
        changes, due = [], []
        with self.lock:
            home = self.home
            listed = queries.commons_list(home)
            items = [c for c in listed if c["id"] in followed or not followed]
            for c in items:
                commons = bytes.fromhex(c["id"])
                cid = home.cid(commons)
                where = {"commons": c["id"], "commons_name": c["name"]}
                c["open"] = home.store.count_states(cid, "contribution/").get("open", 0)
                for entry in queries.log(home, commons, limit=20):
                    if since is None or entry["time"] > since:
                        changes.append({**entry, **where})
                if did is not None:
                    for reminder in governing.reminders(home, commons, did, now):
                        due.append({**reminder, **where})
        changes.sort(key=lambda e: e["time"], reverse=True)
        # The person's notifications come from their inbox (``notifications``).
        return {"commons": items, "changes": changes, "reminders": due}

    def commons_page(self, ref: str, activity: int) -> dict[str, Any]:
        """The commons at a glance, its lineage, its latest events, its files, its link."""
        with self.lock:
            home = self.home
            commons = home.commons_id(ref)
            return {
                # No state digest: after each new event it costs a pass over every record,
                # and no page shows it (GET /api/commons/{id} gives it).
                "commons": queries.commons_show(home, commons, digest=False),
                "lineage": queries.lineage(home, commons),
                "activity": queries.log(home, commons, activity),
                "artifacts": queries.artifacts(home, commons),
                "link": link_to(commons, self.replicator.own_url),
            }

    def activity_page(
        self,
        ref: str,
        size: int,
        before: tuple[int, bytes] | None,
        person: str | None,
        kind: str | None,
        target: str,
    ) -> dict[str, Any]:
        """A page of events, newest first; filters by person and type run in SQL, the
        object filter reads the page's lines (and at most twenty pages)."""
        with self.lock:
            home = self.home
            commons = home.commons_id(ref)
            cid = home.cid(commons)
            entries: list[dict[str, Any]] = []
            for _ in range(20 if target else 1):
                batch = queries.log(home, commons, size, before=before, author=person, type=kind)
                entries += [
                    e
                    for e in batch
                    if not target or target in e["summary"] or e["id"].startswith(target)
                ]
                if len(batch) < size or len(entries) >= size:
                    break
                before = (batch[-1]["clock"], bytes.fromhex(batch[-1]["id"]))
            return {
                "commons": queries.commons_show(home, commons, digest=False),
                "lineage": queries.lineage(home, commons),
                "entries": entries[:size],
                "names": queries.names(home, cid),  # the people who signed a profile
            }

    def contribution_queue(self, ref: str, size: int, latest: int) -> dict[str, Any]:
        """The contributions waiting (``size`` of the longest-waiting of each waiting state),
        the ``latest`` of every other state, their records and the artifacts they change."""
        with self.lock:
            home = self.home
            commons_id = home.commons_id(ref)
            commons = queries.commons_show(home, commons_id, digest=False)
            cid = home.cid(commons_id)
            waiting = queries.contributions(home, commons_id, "open", oldest=size)
            waiting += queries.contributions(home, commons_id, "conflict", oldest=size)
            if commons["mode"] == "publish":
                published = queries.contributions(home, commons_id, "published", oldest=size)
                waiting += [c for c in published if not c["patrolled_by"]]
            others = {
                state: queries.contributions(home, commons_id, state, newest=latest)
                for state in STATES
                if state not in ("open", "conflict")
            }
            shown = [*waiting, *(c for items in others.values() for c in items)]
            records = home.store.get_records(
                cid, [contribution_key(bytes.fromhex(c["id"])) for c in shown]
            )
            paths = {
                change["path"]
                for record in records.values()
                for change in record["revisions"][-1]["changes"]
            }
            prefix = "artifact/"
            found = home.store.get_records(cid, [prefix + path for path in paths])
        return {
            "commons": commons,
            "waiting": waiting,
            "latest": others,
            "records": records,
            "artifacts": {key[len(prefix) :]: record for key, record in found.items()},
        }

    def contribution_page(self, ref: str, contribution: str) -> dict[str, Any]:
        """The commons and one contribution, with the time and size of each revision."""
        with self.lock:
            commons = self.commons_show(ref)
            shown = self.contribution(commons["id"], contribution)
            record = self.home.state(bytes.fromhex(commons["id"])).get(
                contribution_key(bytes.fromhex(shown["id"]))
            )
            revisions = []
            for number, revision in enumerate(record["revisions"]):
                row = self.home.store.event(revision["event"])
                revisions.append(
                    {
                        "number": number,
                        "event": revision["event"].hex(),
                        "time": row.time if row else None,
                        "changes": len(revision["changes"]),
                    }
                )
        shown["revisions"] = revisions
        return {"commons": commons, "contribution": shown}

    def charter_page(self, ref: str) -> dict[str, Any]:
        """The charter, its history (each entry with the proposal behind it) and the records
        of those proposals."""
        with self.lock:
            home = self.home
            commons_id = home.commons_id(ref)
            cid = home.cid(commons_id)
            history = governing.charter_history(home, commons_id)
            wanted = set()
            for entry in history:
                if entry["type"] in ("proposal.close", "proposal.settle"):
                    row = home.store.event(bytes.fromhex(entry["id"]))
                    if row is not None:
                        entry["proposal"] = parse_checked(row.raw).body.proposal.hex()
                elif entry["type"] == "proposal.open":
                    entry["proposal"] = entry["id"]
                if entry.get("proposal"):
                    wanted.add(governance.proposal_key(bytes.fromhex(entry["proposal"])))
            return {
                "commons": queries.commons_show(home, commons_id, digest=False),
                "names": queries.names(home, cid),
                "charter": home.state(commons_id).get("charter"),
                "history": history,
                "proposals": home.store.get_records(cid, wanted),
            }

    def health_page(self, ref: str, now: int) -> dict[str, Any]:
        with self.lock:
            commons_id = self.home.commons_id(ref)
            data = health(self.home, commons_id, now)
            data["commons"] = queries.commons_show(self.home, commons_id, digest=False)
        return data

    def proposals_page(self, ref: str) -> dict[str, Any]:
        """The commons, the names of its people and every proposal record (id, record)."""
        with self.lock:
            home = self.home
            commons_id = home.commons_id(ref)
            cid = home.cid(commons_id)
            return {
                "commons": queries.commons_show(home, commons_id, digest=False),
                "names": queries.names(home, cid),
                "proposals": [
                    (key.split("/", 1)[1], record)
                    for key, record in home.store.scan_records(cid, "proposal/")
                ],
            }

    def proposal_page(self, ref: str, proposal: str, me: str | None) -> dict[str, Any]:
        """One proposal's record, its standing tally while it is open and public, and
        whether ``me`` keeps a secret ballot for it on this node."""
        with self.lock:
            home = self.home
            commons_id = home.commons_id(ref)
            pid = governing.proposal_id(home, commons_id, proposal)
            state = home.state(commons_id)
            record = state.get(governance.proposal_key(pid))
            if record is None:
                raise fault(NotFound, PROPOSAL_NOT_HERE, ref=proposal)
            public_open = record["state"] == "open" and not record["hidden"]
            return {
                "commons": queries.commons_show(home, commons_id, digest=False),
                "names": queries.names(home, home.cid(commons_id)),
                "id": pid,
                "record": record,
                "standing": governance.current(state, record).record() if public_open else None,
                "kept": me is not None
                and record["hidden"]
                and self.local.kept_ballot(pid, me) is not None,
            }

    def person_page(self, did: str) -> dict[str, Any]:
        """What ``did`` did in every commons held here."""
        if not is_did(did):
            raise fault(NotFound, NOT_A_PERSON, did=did)
        with self.lock:
            return people_activity(self.home, did)

    def people_page(self, ref: str | None, query: str, limit: int) -> dict[str, Any]:
        """The people who took part in one commons (``ref``) or in any held here, by name."""
        with self.lock:
            return people_directory(self.home, ref, query, limit)

    def node_page(self) -> dict[str, Any]:
        """This node: the commons it holds (followed or not), its address, its peers, the
        pulls under way and the events it refused."""
        followed = {c.hex() for c in self.local.follows()}
        with self.lock:
            pending = self.home.store.pending_count()
            dropped = self.home.store.pending_dropped()
        return {
            "url": self.replicator.own_url,
            "commons": [{**c, "followed": c["id"] in followed} for c in self.commons_list()],
            "peers": self.local.peers(),
            "pulls": self.replicator.pulls.under_way(),
            "refused": self.local.refusal_counts(),
            "refusals": self.local.refusals(20),
            "pending": pending,
            "pending_dropped": dropped,
            "blocked": sorted(self.local.authors("blocked")),
        }

    # -- files -------------------------------------------------------------------------------

    @functools.cached_property
    def _references(self) -> References:
        return References(self.home)

    def history_details(self, ref: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """History entries of a file with the time of their event and the contribution's
        title and author."""
        with self.lock:
            home = self.home
            cid = home.cid(home.commons_id(ref))
            keys = {contribution_key(bytes.fromhex(e["contribution"])) for e in entries}
            records = home.store.get_records(cid, keys)
            detailed = []
            for entry in entries:
                row = home.store.event(bytes.fromhex(entry["event"]))
                record = records.get(contribution_key(bytes.fromhex(entry["contribution"]))) or {}
                detailed.append(
                    {
                        **entry,
                        "time": row.time if row else None,
                        "title": record.get("title"),
                        "author": record.get("author"),
                    }
                )
        return detailed

    def blob_referenced(self, ref: str, blob: bytes) -> tuple[Path, dict[str, str]]:
        """The file of a blob the commons ``ref`` refers to, with its path and media type;
        NotFound for a blob it does not refer to, or one not on this node yet."""
        with self.lock:
            found = self._references.find(self.home.commons_id(ref), blob)
        if found is None:
            raise fault(NotFound, BLOB_NOT_HERE, blob=blob)
        if not self.home.blobs.has(blob):
            raise fault(NotFound, BLOB_NOT_YET, blob=blob)
        return self.home.blobs.path(blob), found

    def blob_present(self, blob: str) -> bool:
        return self.home.blobs.has(blob_hash(blob))

    def blob_about(self, blob: str, media: str) -> dict[str, Any]:
        """What a file says of itself (a picture's size, a song's length…)."""
        return metadata.read(self.home.blobs.path(blob_hash(blob)), media)

    @property
    def thumbnails(self) -> Path:
        """Where pictures made smaller for pages are kept."""
        return self.home.path / "thumbs"
