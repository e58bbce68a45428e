"""A node that pushes events sends the files they name, even when the receiver cannot open a
connection to it; the receiver takes only files its commons show, of the signed length,
matching their hash, within its quotas. A file a node lacks is said so wherever it matters:
a contribution, its acceptance, the node's status, an export."""

import contextlib
import hashlib
import io
import json
import tarfile

import httpx
import pytest
from click.testing import CliRunner

from communs.api.app import create_app
from communs.cli.main import cli
from communs.core.errors import Refused
from communs.node.home.folder import Actor, Home
from communs.node.peers.sync import encode_stream
from communs.node.service import Service
from hostile_peer import serve_app

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens there: the pusher is behind a NAT


def make_node(path, name=None):
    service = Service(Home(path))
    if name:
        service.identity_new(name)
    return service


def propose(service, commons, path, data, who):
    blob = service.blob_add(io.BytesIO(data), name=path)["hash"]
    return blob, service.propose(Actor(who), commons, path, files={path: blob})["id"]


@pytest.fixture
def served(tmp_path):
    """A (anna, maintainer of Songs) served over HTTP; C (chloe) following Songs from it."""
    a, c = make_node(tmp_path / "a", "anna"), make_node(tmp_path / "c", "chloe")
    songs = a.commons_create(Actor("anna"), name="Songs")["id"]
    with contextlib.ExitStack() as stack:
        stack.callback(a.close)
        stack.callback(c.close)
        url = stack.enter_context(serve_app(create_app(a)))
        c.follow(f"communs://{songs}?peer={url.removeprefix('http://')}")
        yield a, c, songs, url


def test_a_node_nobody_can_reach_sends_its_files_with_its_events(served):
    a, c, songs, url = served
    c.replicator.own_url = UNREACHABLE
    blob, proposal = propose(c, songs, "curlew.md", b"Heard at dawn.\n", "chloe")
    [result] = c.sync(url, songs)
    # A profile (its name a detached text, sent too) and the proposal (with its file).
    assert result["pushed"] == 2 and result["files_sent"] == 2
    with a.blob_open(blob) as stream:
        assert stream.read() == b"Heard at dawn.\n"
    assert a.contribution(songs, proposal)["missing_files"] == []
    assert a.decide(Actor("anna"), songs, proposal, "accept")["state"] == "accepted"
    [again] = c.sync(url, songs)
    assert again["files_sent"] == 0 and "error" not in again  # nothing asked twice


def test_a_sync_says_which_files_the_peer_refused_and_the_peer_counts_them(served):
    a, c, songs, url = served
    a.file_policy(songs, quota="4")
    blob, proposal = propose(c, songs, "curlew.md", b"Heard at dawn.\n", "chloe")
    [result] = c.sync(url, songs)
    assert result["pushed"] == 2 and result["files_sent"] == 0
    refusals = result["files_refused"]  # the file, and chloe's name (a detached text)
    assert len(refusals) == 2
    assert all("quota for commons" in r and "communs blob policy" in r for r in refusals)
    status = a.status()
    assert status["files"]["missing"] == 2 and status["files"]["missing_commons"] == [songs]
    assert any("quota for commons" in reason for reason in status["refused"])
    a.file_policy(songs, quota="none")
    [again] = c.sync(url, songs)
    assert again["files_sent"] == 2 and a.status()["files"]["missing"] == 0


def put(url, songs, blob, data, **headers):
    return httpx.put(f"{url}/sync/{songs}/files/{blob}", content=data, headers=headers)


def test_the_upload_of_a_file_no_event_names_or_that_lies_is_refused(served):
    a, c, songs, url = served
    data = b"The truth.\n"
    blob, proposal = propose(a, songs, "truth.md", data, "anna")
    a.home.blobs.path(bytes.fromhex(blob)).unlink()  # named here, but not held
    wanted = httpx.post(f"{url}/sync/{songs}/files/wanted", json={}).json()["wanted"]
    assert wanted == [blob]

    stranger = hashlib.sha256(b"spam").hexdigest()
    refused = put(url, songs, stranger, b"spam")
    assert refused.status_code == 409
    assert "is not named by commons" in refused.json()["error"]
    assert "push the events first" in refused.json()["error"]

    lie = put(url, songs, blob, b"The lie!!!\n")  # the same length, other bytes
    assert lie.status_code == 400 and "does not match its hash" in lie.json()["error"]
    longer = put(url, songs, blob, data + b"more")
    assert longer.status_code == 400 and "is 11 bytes by the events" in longer.json()["error"]
    unknown = httpx.put(f"{url}/sync/{'0' * 64}/files/{blob}", content=data)
    assert unknown.status_code == 404
    assert not a.home.blobs.has(bytes.fromhex(blob))
    assert not list((a.home.blobs.root / "tmp").iterdir())  # nothing left half-written
    assert any("does not match its hash" in r for r in a.status()["refused"])

    a.file_policy(songs, quota="4")
    over = put(url, songs, blob, data)
    assert over.status_code == 409 and "quota for commons" in over.json()["error"]
    a.file_policy(songs, quota="none")
    taken = put(url, songs, blob, data)
    assert taken.status_code == 200 and taken.json()["via"] == "upload"
    with a.blob_open(blob) as stream:
        assert stream.read() == data
    assert httpx.post(f"{url}/sync/{songs}/files/wanted", json={}).json()["wanted"] == []

    a.file_policy(songs, fetch="lazy")  # a lazy node wants files only when asked for them
    other, _ = propose(a, songs, "other.md", b"other\n", "anna")
    a.home.blobs.path(bytes.fromhex(other)).unlink()
    asked = httpx.post(f"{url}/sync/{songs}/files/wanted", json={"hashes": [other]})
    assert asked.json()["wanted"] == []


def a_blobs(home):
    with Home(home) as opened:
        return opened.blobs


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(home, *args, code=0):
        result = runner.invoke(cli, ["--home", str(home), *args])
        assert result.exit_code == code, (args, result.output, result.exception)
        return result

    return invoke


def test_a_missing_file_is_shown_and_blocks_its_acceptance_until_fetched(served, run, tmp_path):
    a, c, songs, url = served
    data = b"Heard at dawn.\n"
    blob, proposal = propose(c, songs, "curlew.md", data, "chloe")
    # The events reach A, and the file does not (as from a node of the past).
    cid = c.home.cid(bytes.fromhex(songs))
    raws = [row.raw for row in c.home.store.events(cid)]
    pushed = httpx.post(f"{url}/sync/{songs}/events", content=b"".join(encode_stream(raws)))
    assert pushed.json()["added"] == 2
    kept = c.home.blobs.path(bytes.fromhex(blob))
    missing = [{"path": "curlew.md", "hash": blob, "size": len(data)}]

    shown = a.contribution(songs, proposal)
    assert shown["missing_files"] == missing and shown["changes"][0]["here"] is False
    with pytest.raises(Refused, match="not on this node yet: curlew.md") as refusal:
        a.decide(Actor("anna"), songs, proposal, "accept")
    assert f"communs blob get {blob}" in str(refusal.value)
    assert a.contribution(songs, proposal)["state"] == "open"  # nothing was signed
    # Missing too: chloe's display name, a detached text with no path.
    assert a.status()["files"]["missing"] == 2
    assert [m for m in a.files_missing() if m["path"]] == [{"commons": songs, **missing[0]}]
    manifest = a.export(songs, tmp_path / "songs.communs")
    named = [m for m in manifest["missing_files"] if m["path"]]
    assert named == [{"hash": blob, "path": "curlew.md"}] and len(manifest["missing_files"]) == 2
    with tarfile.open(tmp_path / "songs.communs") as tar:
        written = json.load(tar.extractfile("MANIFEST.json"))["missing_files"]
        assert [m for m in written if m["path"]] == [{"hash": blob, "path": "curlew.md"}]

    # The same, as people see it on the command line (the home, no node running).
    a.close()
    home = tmp_path / "a"
    out = run(home, "contribution", "show", songs, proposal).output
    assert (
        f"curlew.md: 15 bytes, not on this node yet; fetch it with 'communs blob get {blob}'" in out
    )
    assert "1 file not on this node yet: accepting waits for it" in out
    refused = run(home, "contribution", "accept", songs, proposal, code=1).output
    assert "not on this node yet" in refused and f"communs blob get {blob}" in refused
    assert "2 files the followed commons show are not here" in run(home, "status").output
    assert blob[:12] in run(home, "blob", "missing").output
    exported = run(home, "commons", "export", songs, str(tmp_path / "again.communs"))
    assert f"{blob}  curlew.md" in exported.stderr

    # C holds it: one command fetches what is missing, and the accept goes through.
    with serve_app(create_app(c)) as c_url:
        fetched = run(home, "blob", "get", "--missing", "--from", c_url).output
    assert f"{blob[:12]}  curlew.md  http" in fetched
    assert kept.read_bytes() == data == a_blobs(home).read_bytes(bytes.fromhex(blob), 100)
    assert "the followed commons show" not in run(home, "status").output
    run(home, "contribution", "accept", songs, proposal)
    assert run(home, "artifact", "show", songs, "curlew.md").output == data.decode()
