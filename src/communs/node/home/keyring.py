"""The identities of a home: one JSON file each in ``identities/``, readable by its owner only.

A file holds the Ed25519 seed either in clear (``"type": "plain"``) or sealed with a key
derived from a passphrase (``"type": "argon2id-secretbox"``: Argon2id, then XSalsa20-Poly1305).
A hub account's file also holds, under ``"recovery"``, the same seed sealed the same way with
its recovery code, so that a citizen who forgot the passphrase can still open it.
"""

import functools
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils

from ...core.errors import Ambiguous, BadInput, CommunsError, NotFound, Refused
from ...core.identity import Identity, is_did
from ...domain.refusals import Code, code, fault

_NAME = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,39}")
_PLAIN = "plain"
_SEALED = "argon2id-secretbox"
# Argon2id's costs (operations, memory), recorded in each sealed key. A key made on one's own
# machine takes libsodium's moderate cost (256 MiB, ~0.5 s here); an account registered on a
# hub, where many people sign in at once, the interactive cost libsodium sets for online
# logins (64 MiB, ~0.1 s), so that a hub on two cores can take several sign-ins a second.
MODERATE = (nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE)
ONLINE = (nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE)
_DEFAULT_FILE = "default"
log = logging.getLogger("communs.keyring")


def valid_name(name: object) -> bool:
    """Whether ``name`` can name an identity: 1 to 40 letters, digits, '-', '_' or '.', not
    starting with '.'."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class KeyInfo:
    name: str
    did: str
    encrypted: bool
    created: int  # milliseconds since the epoch, like event times


IDENTITY_ENCRYPTED = code(
    "identity_encrypted",
    "identity '{name}' is encrypted: give its passphrase with --passphrase-file or "
    "COMMUNS_PASSPHRASE",
)
IDENTITY_FILE_DAMAGED = code(
    "identity_file_damaged",
    "the identity file for '{name}' is damaged: its key does not match its DID {did}",
)
NO_RECOVERY_CODE = code("no_recovery_code", "identity '{name}' has no recovery code")
WRONG_RECOVERY_CODE = code("wrong_recovery_code", "wrong recovery code for identity '{name}'")
RECOVERY_COPY_DAMAGED = code(
    "recovery_copy_damaged", "the recovery copy of the key of '{name}' does not match its DID"
)


@dataclass(frozen=True)
class StoredKey:
    """An identity's key read from its file, not yet unlocked."""

    info: KeyInfo
    key: dict[str, Any]
    recovery: dict[str, Any] | None = None  # the seed sealed with the recovery code, if any

    def unlock(self, passphrase: str | None = None) -> Identity:
        """The identity; for a sealed key, Argon2id runs here (no file is read), so a caller
        can do it outside any lock it holds."""
        name, key = self.info.name, self.key
        if key["type"] == _PLAIN:
            seed = bytes.fromhex(key["seed"])
        elif passphrase is None:
            raise fault(Refused, IDENTITY_ENCRYPTED, name=name)
        else:
            seed = _open(key, passphrase, name)
        identity = Identity(seed)
        if identity.did != self.info.did:
            raise fault(BadInput, IDENTITY_FILE_DAMAGED, name=name, did=self.info.did)
        return identity

    def recover(self, code: str) -> Identity:
        """The identity opened with its recovery code (Argon2id runs here, as in ``unlock``);
        Refused for a wrong code or a key that has no recovery copy."""
        name = self.info.name
        if self.recovery is None:
            raise fault(Refused, NO_RECOVERY_CODE, name=name)
        try:
            seed = _open(self.recovery, normal_code(code), name)
        except Refused:
            raise fault(Refused, WRONG_RECOVERY_CODE, name=name) from None
        identity = Identity(seed)
        if identity.did != self.info.did:
            raise fault(BadInput, RECOVERY_COPY_DAMAGED, name=name)
        return identity


KEY_NOT_OF_IDENTITY = code(
    "key_not_of_identity", "the key given does not match the identity '{name}'"
)
RECOVERY_CODE_USED = code("recovery_code_used", "the recovery code of '{name}' was used meanwhile")
IDENTITY_ALREADY_HERE = code(
    "identity_already_here", "identity {did} is already here, named '{name}'"
)
IDENTITY_AMBIGUOUS = code(
    "identity_ambiguous", "'{ref}' matches several identities ({names}); give more characters"
)
NO_IDENTITY_MATCHES = code(
    "no_identity_matches",
    "no identity is named '{ref}' or has a DID starting with it; known: {identities}",
)
NO_IDENTITY_MATCHES_YET = code(
    "no_identity_matches_yet",
    "no identity is named '{ref}' or has a DID starting with it; this home has no identity yet",
)
DEFAULT_IDENTITY_MISSING = code(
    "default_identity_missing",
    "the default identity '{name}' is missing from {root}; choose another default "
    "(known: {identities})",
)
DEFAULT_IDENTITY_MISSING_YET = code(
    "default_identity_missing_yet",
    "the default identity '{name}' is missing from {root}; choose another default "
    "(this home has no identity yet)",
)
# The codes let a face say these in its reader's language (a hub's register page).
IDENTITY_NAME_INVALID = code(
    "identity_name_invalid",
    "'{name}' cannot name an identity: use 1 to 40 letters, digits, '-', '_' or '.', not "
    "starting with '.'",
)
IDENTITY_NAME_TAKEN = code(
    "identity_name_taken", "an identity named '{name}' already exists; choose another name"
)
NO_IDENTITY_NAMED = code("no_identity_named", "no identity named '{name}'; known: {identities}")
NO_IDENTITY_NAMED_YET = code(
    "no_identity_named_yet", "no identity named '{name}'; this home has no identity yet"
)
IDENTITY_FILE_MISNAMED = code(
    "identity_file_misnamed",
    "{file} holds the identity '{name}': rename the file {name}.json",
)
IDENTITY_FILE_NOT_JSON = code(
    "identity_file_not_json", "{file} is not a readable identity file (invalid JSON)"
)
IDENTITY_FILE_NOT_OBJECT = code(
    "identity_file_not_object", "{file} is not an identity file (expected a JSON object)"
)


class Keyring:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)  # mkdir's mode is filtered by the umask; chmod is not
        # Creating checks the name is free, then writes: one creation at a time. Reading needs
        # no lock, since every file is replaced whole.
        self._writing = threading.Lock()

    # -- creating ------------------------------------------------------------------------

    def create(
        self,
        name: str,
        passphrase: str | None = None,
        *,
        opslimit: int = MODERATE[0],
        memlimit: int = MODERATE[1],
        recovery: str | None = None,
    ) -> Identity:
        """A new identity saved as ``name``; sealed with ``passphrase`` when one is given, at
        Argon2id's cost ``opslimit`` and ``memlimit`` (see ``MODERATE`` and ``ONLINE``), and
        sealed a second time with the code ``recovery`` when one is given."""
        self._check_new_name(name)  # before sealing: a taken name fails at once
        identity = Identity.generate()
        if passphrase is None:
            key = {"type": _PLAIN, "seed": identity.seed.hex()}
        else:
            key = _seal(identity.seed, passphrase, opslimit, memlimit)
        data = {"name": name, "did": identity.did, "created": int(time.time() * 1000), "key": key}
        if recovery is not None:
            data["recovery"] = _seal(identity.seed, normal_code(recovery), opslimit, memlimit)
        with self._writing:
            self._check_new_name(name)  # again: someone may have taken it while we sealed
            self._write(self._file(name), json.dumps(data, indent=2) + "\n")
        return identity

    def reseal(self, stored: StoredKey, identity: Identity, passphrase: str, recovery: str) -> None:
        """Seal the key ``stored`` again, with a new ``passphrase`` and a new recovery code,
        at the costs its sealed key already has; the old passphrase and code stop opening it.
        ``identity`` is the key, already opened with the old code. Refused when the file
        changed since ``stored`` was read: someone used the same code in the meantime."""
        name = stored.info.name
        if identity.did != stored.info.did:
            raise fault(BadInput, KEY_NOT_OF_IDENTITY, name=name)
        old = stored.key
        sealed = old["type"] == _SEALED
        opslimit, memlimit = (old["opslimit"], old["memlimit"]) if sealed else ONLINE
        key = _seal(identity.seed, passphrase, opslimit, memlimit)
        copy = _seal(identity.seed, normal_code(recovery), opslimit, memlimit)
        with self._writing:
            file = self._existing(name)
            data = self._read(file)
            if data.get("did") != identity.did or data.get("recovery") != stored.recovery:
                raise fault(Refused, RECOVERY_CODE_USED, name=name)
            data["key"], data["recovery"] = key, copy
            self._write(file, json.dumps(data, indent=2) + "\n")

    def import_(self, data: dict[str, Any]) -> KeyInfo:
        """Add an identity exported from another node (the dict ``export`` returns)."""
        info = _check_exported(data)
        with self._writing:
            self._check_new_name(info.name)
            for known in self.list():
                if known.did == info.did:
                    raise fault(Refused, IDENTITY_ALREADY_HERE, did=info.did, name=known.name)
            self._write(self._file(info.name), json.dumps(data, indent=2) + "\n")
        return info

    # -- finding -------------------------------------------------------------------------

    def list(self) -> list[KeyInfo]:
        """Every identity, oldest first."""
        infos = [
            self._info(file) for file in self.root.glob("*.json") if not file.name.startswith(".")
        ]
        return sorted(infos, key=lambda info: (info.created, info.name))

    def info(self, name_or_did_prefix: str) -> KeyInfo:
        """An identity by exact name, else by a unique prefix of its DID."""
        ref = name_or_did_prefix.strip()
        infos = self.list()
        for info in infos:
            if info.name == ref:
                return info
        found = [info for info in infos if ref and _did_starts_with(info.did, ref)]
        if len(found) == 1:
            return found[0]
        if found:
            names = [info.name for info in found]
            raise fault(Ambiguous, IDENTITY_AMBIGUOUS, ref=ref, names=names)
        raise self._unknown(NO_IDENTITY_MATCHES, NO_IDENTITY_MATCHES_YET, ref=ref)

    def account(self, name: str) -> StoredKey | None:
        """The key of the identity named exactly ``name``, else None. A hub looks a visitor's
        name up this way: never by a DID prefix (one account would answer to many names, each
        throttled apart) and never with a message naming the identities there are. A damaged
        file answers None too, and is logged for the steward."""
        if not valid_name(name) or not self._file(name).exists():
            return None  # before ``key``, whose refusal lists every identity (a hub has many)
        try:
            return self.key(name)
        except NotFound:
            return None
        except (BadInput, OSError, KeyError) as error:
            log.warning("identity file of %r unusable: %s", name, error)
            return None

    def default(self) -> KeyInfo | None:
        """The identity named in the ``default`` file, else the oldest, else None."""
        chosen = self.root / _DEFAULT_FILE
        if chosen.exists():
            name = chosen.read_text(encoding="utf-8").strip()
            if not _NAME.fullmatch(name) or not self._file(name).exists():
                # Falling back to another identity would sign as someone else without asking.
                raise self._unknown(
                    DEFAULT_IDENTITY_MISSING,
                    DEFAULT_IDENTITY_MISSING_YET,
                    name=name,
                    root=str(self.root),
                )
            return self._info(self._file(name))
        infos = self.list()
        return infos[0] if infos else None

    def set_default(self, name: str) -> None:
        self._existing(name)
        self._write(self.root / _DEFAULT_FILE, name + "\n")

    # -- using ---------------------------------------------------------------------------

    def load(self, name: str, passphrase: str | None = None) -> Identity:
        return self.key(name).unlock(passphrase)

    def key(self, name: str) -> StoredKey:
        """The identity's key as its file holds it: reading is quick, unlocking it with a
        passphrase (``StoredKey.unlock``) takes a core for half a second."""
        file = self._existing(name)
        data = self._read(file)
        recovery = data.get("recovery")
        return StoredKey(self._info(file), data["key"], recovery if _is_sealed(recovery) else None)

    def export(self, name: str) -> dict[str, Any]:
        """The file's content, to move the identity to another node (still sealed if it was).
        The copy sealed with a hub's recovery code stays on the hub."""
        data = self._read(self._existing(name))
        data.pop("recovery", None)
        return data

    # -- files ---------------------------------------------------------------------------

    def _file(self, name: str) -> Path:
        return self.root / f"{name}.json"

    def _check_new_name(self, name: str) -> None:
        if not valid_name(name):
            raise fault(BadInput, IDENTITY_NAME_INVALID, name=str(name))
        if self._file(name).exists():
            raise fault(Refused, IDENTITY_NAME_TAKEN, name=name)

    def _existing(self, name: str) -> Path:
        file = self._file(name)
        if not _NAME.fullmatch(name) or not file.exists():
            raise self._unknown(NO_IDENTITY_NAMED, NO_IDENTITY_NAMED_YET, name=name)
        return file

    def _unknown(self, known: Code, none_yet: Code, **params: str) -> NotFound:
        """NotFound saying ``known`` with the identities there are, or ``none_yet``."""
        names = [info.name for info in self.list()]
        if names:
            return fault(NotFound, known, identities=names, **params)
        return fault(NotFound, none_yet, **params)

    def _info(self, file: Path) -> KeyInfo:
        info = _check_exported(self._read(file))
        if info.name != file.stem:
            # load() finds an identity by its file name: the two must agree.
            raise fault(BadInput, IDENTITY_FILE_MISNAMED, file=str(file), name=info.name)
        return info

    def _read(self, file: Path) -> dict[str, Any]:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise fault(BadInput, IDENTITY_FILE_NOT_JSON, file=str(file)) from None
        if not isinstance(data, dict):
            raise fault(BadInput, IDENTITY_FILE_NOT_OBJECT, file=str(file))
        return data

    def _write(self, file: Path, text: str) -> None:
        """Write through a temporary file created 0600, so no other user can ever read it and
        a crash never leaves half a file under the final name."""
        # mkstemp opens with O_EXCL and mode 0600 (documented), before anything is written.
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{file.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


@functools.cache
def dummy_key(opslimit: int, memlimit: int) -> dict[str, Any]:
    """A key sealed with a random passphrase at these costs: trying a passphrase against it
    costs what trying one against a real account does, so an unknown name answers as slowly
    as a wrong passphrase."""
    return _seal(secrets.token_bytes(32), secrets.token_urlsafe(32), opslimit, memlimit)


def wrong_passphrase_work(passphrase: str, opslimit: int, memlimit: int) -> None:
    """The key derivation a wrong passphrase costs, for a name that has no account."""
    try:
        _open(dummy_key(opslimit, memlimit), passphrase, "?")
    except CommunsError:
        pass


def wrong_code_work(code: str, opslimit: int, memlimit: int) -> None:
    """The key derivation a wrong recovery code costs, for a name that has no recovery copy."""
    wrong_passphrase_work(normal_code(code), opslimit, memlimit)


# -- recovery codes ----------------------------------------------------------------------------

_CODE_GROUPS, _CODE_GROUP = 4, 5
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648's: no 0, 1 or 8 to take for O, I or B


def new_recovery_code() -> str:
    """Four groups of five base32 characters from ``secrets``: 100 random bits, such as
    ``K7QPM-2XDRA-W4ZJN-HB6TE``. The code seals a copy of the key exactly as a passphrase does
    (Argon2id at the account's cost): with 100 bits nobody guesses it even offline, and the
    sealed copy is its own check, so no separate hash of it is kept."""
    return "-".join(
        "".join(secrets.choice(_BASE32) for _ in range(_CODE_GROUP)) for _ in range(_CODE_GROUPS)
    )


def normal_code(code: str) -> str:
    """A recovery code as typed → as it was made: in capitals, in groups of five joined by
    '-', whatever spaces or dashes were typed between them."""
    letters = "".join(ch for ch in unicodedata.normalize("NFKC", code).upper() if ch.isalnum())
    return "-".join(letters[i : i + _CODE_GROUP] for i in range(0, len(letters), _CODE_GROUP))


def _is_sealed(value: object) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == _SEALED
        and _is_hex(value.get("salt"), nacl.pwhash.argon2id.SALTBYTES)
        and _is_hex(value.get("box"), None)
        and all(isinstance(value.get(k), int) and value[k] > 0 for k in ("opslimit", "memlimit"))
    )


def _did_starts_with(did: str, prefix: str) -> bool:
    # A DID may be given whole, or from its "z6Mk..." part as it is often shown.
    return did.startswith(prefix) or did.removeprefix("did:key:").startswith(prefix)


# -- sealing with a passphrase ---------------------------------------------------------------


def _passphrase_key(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    # NFC, so the same passphrase typed on systems that compose accents differently still
    # opens the file on another node.
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, secret, salt, opslimit=opslimit, memlimit=memlimit
    )


EMPTY_PASSPHRASE = code(
    "empty_passphrase", "an empty passphrase protects nothing: give a real one, or none"
)
WRONG_PASSPHRASE = code("wrong_passphrase", "wrong passphrase for identity '{name}'")


def _seal(seed: bytes, passphrase: str, opslimit: int, memlimit: int) -> dict[str, Any]:
    if not passphrase:
        raise fault(BadInput, EMPTY_PASSPHRASE)
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(_passphrase_key(passphrase, salt, opslimit, memlimit))
    return {
        "type": _SEALED,
        "salt": salt.hex(),
        "opslimit": opslimit,
        "memlimit": memlimit,
        "box": box.encrypt(seed).hex(),
    }


def _open(key: dict[str, Any], passphrase: str, name: str) -> bytes:
    salt = bytes.fromhex(key["salt"])
    box = nacl.secret.SecretBox(_passphrase_key(passphrase, salt, key["opslimit"], key["memlimit"]))
    try:
        return box.decrypt(bytes.fromhex(key["box"]))
    except nacl.exceptions.CryptoError:
        raise fault(Refused, WRONG_PASSPHRASE, name=name) from None


# What can be wrong with an identity file's content; {name} is the name it gives, as Python
# writes it ('alice', or None).
UNUSABLE_NAME = code(
    "identity_unusable_name", "not a usable identity ({name}): missing or invalid name"
)
UNUSABLE_DID = code(
    "identity_unusable_did", "not a usable identity ({name}): missing or invalid did"
)
UNUSABLE_CREATED = code(
    "identity_unusable_created",
    "not a usable identity ({name}): 'created' must be an integer (milliseconds)",
)
UNUSABLE_KEY_TYPE = code(
    "identity_unusable_key_type",
    "not a usable identity ({name}): unknown key type; expected 'plain' or 'argon2id-secretbox'",
)
UNUSABLE_HEX = code(
    "identity_unusable_hex", "not a usable identity ({name}): key field '{field}' is not valid hex"
)
UNUSABLE_LIMIT = code(
    "identity_unusable_limit",
    "not a usable identity ({name}): key field '{field}' must be a positive integer",
)
UNUSABLE_SEED = code(
    "identity_unusable_seed", "not a usable identity ({name}): its seed does not match its did"
)


def _check_exported(data: dict[str, Any]) -> KeyInfo:
    """The KeyInfo of an identity file's content; BadInput naming what is wrong with it."""

    def bad(why: Code, **params: str) -> BadInput:
        return fault(BadInput, why, name=repr(data.get("name")), **params)

    name, did, created, key = (data.get(k) for k in ("name", "did", "created", "key"))
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise bad(UNUSABLE_NAME)
    if not isinstance(did, str) or not is_did(did):
        raise bad(UNUSABLE_DID)
    if not isinstance(created, int) or isinstance(created, bool):
        raise bad(UNUSABLE_CREATED)
    if not isinstance(key, dict) or key.get("type") not in (_PLAIN, _SEALED):
        raise bad(UNUSABLE_KEY_TYPE)
    if key["type"] == _PLAIN:
        hex_fields = {"seed": 32}
    else:
        hex_fields = {"salt": nacl.pwhash.argon2id.SALTBYTES, "box": None}
    for field, length in hex_fields.items():
        if not _is_hex(key.get(field), length):
            raise bad(UNUSABLE_HEX, field=field)
    if key["type"] == _SEALED:
        for limit in ("opslimit", "memlimit"):
            if not isinstance(key.get(limit), int) or key[limit] <= 0:
                raise bad(UNUSABLE_LIMIT, field=limit)
    elif Identity(bytes.fromhex(key["seed"])).did != did:
        raise bad(UNUSABLE_SEED)
    return KeyInfo(name, did, key["type"] == _SEALED, created)


def _is_hex(value: object, length: int | None) -> bool:
    if not isinstance(value, str):
        return False
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return False
    return length is None or len(raw) == length
