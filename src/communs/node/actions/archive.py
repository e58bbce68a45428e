"""Export and import a whole commons as one file: the "open recipe" anyone can copy.

The file is a plain tar archive:
  MANIFEST.json            format, commons id, ancestors, counts
  events/<commons>.cbor    the raw signed events, each as a CBOR byte string, in fold order
  blobs/<sha256>           every file the history references that this home holds
A fork carries the events of its ancestors up to the heads it was forked from. Import checks
everything — signatures, ids, parents, blob hashes — before anything is kept: a file with a
single bad byte is refused whole.
"""

import hashlib
import io
import json
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import cbor2

from ... import domain
from ...core.errors import BadInput, InvalidEvent, Refused
from ...core.events import Event
from ...domain.refusals import code, fault, plural_code
from ..home.folder import Home
from ..writing.folding import past

FORMAT = "communs-export"
VERSION = 1


def _chain(home: Home, commons_id: bytes) -> list[tuple[bytes, list[Event]]]:
    """The commons' events, then each ancestor's events up to where the fork was made."""
    store = home.store
    chain = []
    cid = home.cid(commons_id)
    events = [domain.parse_checked(r.raw) for r in store.events(cid)]
    chain.append((commons_id, events))
    origin = events[0].body.forked_from
    while origin and store.commons_cid(origin.commons) is not None:
        ancestor = sorted(past(store, origin.heads), key=lambda e: e.position)
        chain.append((origin.commons, ancestor))
        origin = ancestor[0].body.forked_from
    return chain


def _referenced_blobs(events: list[Event]) -> dict[bytes, str]:
    """Every file the events name, with a path it was at."""
    blobs: dict[bytes, str] = {}
    for event in events:
        body = event.body
        for item in [*getattr(body, "changes", []), *getattr(body, "merged", [])]:
            for blob in (getattr(item, "base", None), item.blob):
                if blob:
                    blobs.setdefault(blob, item.path)
        if getattr(body, "content", None):  # a detached text: left out once erased
            blobs.setdefault(body.content, "")
    return blobs


def export(
    home: Home, commons_id: bytes, target: Path, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    chain = _chain(home, commons_id)
    paths: dict[bytes, str] = {}
    for _, events in chain:
        paths = _referenced_blobs(events) | paths
    blobs = sorted(b for b in paths if not home.blobs.is_erased(b))  # erased: never shared
    present = [b for b in blobs if home.blobs.has(b)]
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "commons": commons_id.hex(),
        "ancestors": [c.hex() for c, _ in chain[1:]],
        "events": sum(len(events) for _, events in chain),
        "blobs": len(present),
        "missing_blobs": [b.hex() for b in blobs if b not in present],
        # The same, named: what to fetch ('communs blob get HASH') before exporting again.
        "missing_files": [{"hash": b.hex(), "path": paths[b]} for b in blobs if b not in present],
    }
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w") as tar:
        _add_bytes(tar, "MANIFEST.json", json.dumps(manifest, indent=2).encode())
        for commons, events in reversed(chain):  # ancestors first: an importer folds in order
            data = b"".join(cbor2.dumps(e.raw) for e in events)
            _add_bytes(tar, f"events/{commons.hex()}.cbor", data)
            if progress:
                progress(len(events))
        for blob in present:
            tar.add(home.blobs.path(blob), arcname=f"blobs/{blob.hex()}")
            if progress:
                progress(1)
    partial.replace(target)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


# The refusals of an import; {error} is what the archive or CBOR library found wrong.
NOT_EVENT_BYTES = code("archive_not_cbor", "{name}: not a sequence of CBOR byte strings ({error})")
NOT_AN_EVENT = code("archive_not_an_event", "{name}: every item must be an event's bytes")
NOT_AN_EXPORT = code("archive_not_an_export", "{source}: not a Communs export ({error})")
UNEXPECTED_ENTRY = code("archive_unexpected_entry", "{source}: unexpected entry '{entry}'")
ARCHIVE_DAMAGED = code(
    "archive_damaged",
    "{source} is damaged or incomplete ({error}); nothing was imported: copy or export it again",
)
NO_MANIFEST = code("archive_no_manifest", "{source}: no MANIFEST.json; is this a Communs export?")
ARCHIVE_INCOMPLETE = code(
    "archive_incomplete",
    "{source} is incomplete: it holds {events} events and {files} files of the {named_events} "
    "and {named_files} its manifest names; nothing was imported: copy or export it again",
)
PARENTS_NOT_IN_ARCHIVE = plural_code(
    "archive_parents_missing",
    "{source} was refused whole, nothing was imported: {count} event whose parents are not "
    "in the file",
    "{source} was refused whole, nothing was imported: {count} events whose parents are not "
    "in the file",
    "count",
)
COMMONS_NOT_IN_ARCHIVE = code(
    "archive_commons_missing",
    "{source} was refused whole: it does not hold the commons {commons} its manifest names",
)
MANIFEST_NOT_JSON = code("archive_manifest_not_json", "{source}: MANIFEST.json is not JSON")
WRONG_VERSION = code("archive_wrong_version", "{source}: not a Communs export of version {version}")
BLOB_ALTERED = code(
    "archive_blob_altered",
    "{name} does not match its hash: the file was altered; nothing imported",
)


def _read_events(stream: IO[bytes], name: str) -> Iterator[bytes]:
    data = stream.read()  # events are small (64 KiB at most each); blobs are streamed
    buffer = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(buffer)
    while buffer.tell() < len(data):
        try:
            raw = decoder.decode()
        except (cbor2.CBORDecodeError, ValueError) as error:
            raise fault(InvalidEvent, NOT_EVENT_BYTES, name=name, error=str(error)) from None
        if not isinstance(raw, bytes):
            raise fault(InvalidEvent, NOT_AN_EVENT, name=name)
        yield raw


def import_(
    home: Home, source: Path, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Verify the whole file, then keep it: events in one transaction, blobs after."""
    try:
        tar = tarfile.open(source, "r")
    except (tarfile.TarError, OSError) as error:
        raise fault(BadInput, NOT_AN_EXPORT, source=str(source), error=str(error)) from None
    with tar, tempfile.TemporaryDirectory(dir=home.blobs.root / "tmp") as scratch:
        manifest: dict[str, Any] | None = None
        raws: list[bytes] = []
        staged: list[tuple[bytes, Path]] = []
        try:
            for member in tar:
                if not member.isfile():
                    raise fault(BadInput, UNEXPECTED_ENTRY, source=str(source), entry=member.name)
                stream = tar.extractfile(member)
                assert stream is not None
                if member.name == "MANIFEST.json":
                    manifest = _check_manifest(stream.read(), source)
                elif member.name.startswith("events/"):
                    raws.extend(_read_events(stream, member.name))
                elif member.name.startswith("blobs/"):
                    staged.append(_stage_blob(home, stream, member.name, Path(scratch)))
                else:
                    raise fault(BadInput, UNEXPECTED_ENTRY, source=str(source), entry=member.name)
                if progress:
                    progress(1)
        except (tarfile.TarError, EOFError, zlib.error) as error:  # cut short or damaged
            raise fault(BadInput, ARCHIVE_DAMAGED, source=str(source), error=str(error)) from None
        if manifest is None:
            raise fault(BadInput, NO_MANIFEST, source=str(source))
        if (len(raws), len(staged)) != (manifest.get("events"), manifest.get("blobs")):
            raise fault(
                BadInput,
                ARCHIVE_INCOMPLETE,
                source=str(source),
                events=len(raws),
                files=len(staged),
                named_events=str(manifest.get("events")),
                named_files=str(manifest.get("blobs")),
            )
        commons_id = bytes.fromhex(manifest["commons"])
        with home.store.transaction():  # the ingest batches join this one transaction
            report = home.ingest(raws, keep_ids=False)
            if report.refused:  # the reason the events' check gave, in English only
                problem = report.refused[0][1]
                raise Refused(f"{source} was refused whole, nothing was imported: {problem}")
            if report.pending:
                count = len(report.pending)
                raise fault(Refused, PARENTS_NOT_IN_ARCHIVE, source=str(source), count=count)
            if home.store.commons_cid(commons_id) is None:
                raise fault(
                    Refused,
                    COMMONS_NOT_IN_ARCHIVE,
                    source=str(source),
                    commons=commons_id.hex()[:12],
                )
        for blob, path in staged:
            if not home.blobs.is_erased(blob):  # its erase came with the events, or before
                home.blobs.add_file(path)
        return {
            "commons": commons_id.hex(),
            "events": len(raws),
            "added": report.added_count,
            "already_known": report.duplicates,
            "blobs": len(staged),
        }


def _check_manifest(data: bytes, source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError:
        raise fault(BadInput, MANIFEST_NOT_JSON, source=str(source)) from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise fault(BadInput, WRONG_VERSION, source=str(source), version=VERSION)
    return manifest


def _stage_blob(home: Home, stream: IO[bytes], name: str, scratch: Path) -> tuple[bytes, Path]:
    """Copy a blob aside while hashing it; refuse the whole file if its hash is wrong."""
    expected = name.split("/", 1)[1]
    digest = hashlib.sha256()
    target = scratch / expected
    with open(target, "wb") as out:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected:
        raise fault(Refused, BLOB_ALTERED, name=name)
    return bytes.fromhex(expected), target
