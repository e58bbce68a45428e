"""Files follow the events: a node that syncs a commons fetches the files it names from the
peer over HTTP, checks each against its hash, and keeps nothing a lying peer sends."""

import contextlib
import io

from communs.api.app import create_app
from communs.node.home.folder import Actor, Home
from communs.node.service import Service
from hostile_peer import serve_app


def make_node(path, name=None):
    service = Service(Home(path))
    if name:
        service.identity_new(name)
    return service


def add_file(service, commons, path, text, who="anna"):
    blob = service.blob_add(io.BytesIO(text), name=path)["hash"]
    made = service.propose(Actor(who), commons, path, files={path: blob})
    return blob, made["id"]


def test_a_follower_fetches_the_files_and_refuses_corrupt_ones(tmp_path):
    a = make_node(tmp_path / "a", "anna")
    b = make_node(tmp_path / "b")
    try:
        commons = a.commons_create(Actor("anna"), name="Songs")["id"]
        published, proposal = add_file(a, commons, "curlew.md", b"Heard at dawn.\n")
        a.decide(Actor("anna"), commons, proposal, "accept")
        waiting, _ = add_file(a, commons, "draft.md", b"Not yet.\n")  # open: to review it
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(serve_app(create_app(a)))
            result = b.follow(f"communs://{commons}?peer={url.removeprefix('http://')}")
            assert result["pulled"] > 0 and result["files"] == 2  # canonical and proposed
            with b.blob_open(published) as stream:
                assert stream.read() == b"Heard at dawn.\n"
            assert b.home.blobs.has(bytes.fromhex(waiting))
            assert (
                b.commons_show(commons)["state_digest"] == a.commons_show(commons)["state_digest"]
            )

            # A peer that sends wrong bytes for a blob: nothing is kept, the sync goes on.
            lying, _ = add_file(a, commons, "lie.md", b"The truth.\n")  # open as well
            stored = a.home.blobs.path(bytes.fromhex(lying))
            stored.chmod(0o644)
            stored.write_bytes(b"Something else.\n")
            results = b.sync(url, commons)
            assert "error" not in results[0] and results[0]["files"] == 0
            assert not b.home.blobs.has(bytes.fromhex(lying))
    finally:
        a.close()
        b.close()


def test_a_follower_asks_only_for_the_files_the_peer_holds(tmp_path):
    a = make_node(tmp_path / "a", "anna")
    b = make_node(tmp_path / "b")
    try:
        commons = a.commons_create(Actor("anna"), name="Songs")["id"]
        held = [add_file(a, commons, f"held{i}.md", b"kept %d\n" % i)[0] for i in range(3)]
        gone = [add_file(a, commons, f"gone{i}.md", b"lost %d\n" % i)[0] for i in range(5)]
        for blob in gone:  # named by open contributions, but no longer on disk at A
            a.home.blobs.path(bytes.fromhex(blob)).unlink()
        asked: list[str] = []
        app = create_app(a)

        @app.middleware("http")
        async def count(request, call_next):
            asked.append(f"{request.method} {request.url.path}")
            return await call_next(request)

        with serve_app(app) as url:
            assert sorted(a.blobs_held(held + gone)) == sorted(held)
            result = b.follow(f"communs://{commons}?peer={url.removeprefix('http://')}")
            assert result["files"] == 3
            assert all(b.home.blobs.has(bytes.fromhex(h)) for h in held)
            assert not any(b.home.blobs.has(bytes.fromhex(h)) for h in gone)
        files_asked = [line for line in asked if line.startswith(("GET /api/blobs/", "HEAD"))]
        assert sorted(files_asked) == sorted(f"GET /api/blobs/{h}" for h in held)
        assert asked.count("POST /api/blobs/have") == 1
    finally:
        a.close()
        b.close()
