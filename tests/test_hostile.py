"""Hostile peers and floods: a node never takes a bad event, keeps its state, and keeps
answering its own users, whatever a peer sends or however fast it asks.

A ``HostilePeer`` (tests/hostile_peer.py) plays the server side of the sync protocol, so the
victim is attacked as a client (``service.sync``); the victim's own server side is attacked
by pushing to ``/sync/{commons}/events`` and by floods.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cbor2
import httpx
import pytest

from communs.api.app import create_app
from communs.api.server import bind
from communs.core import canonical
from communs.core.events import MAX_EVENT_SIZE, event_id, sign_event
from communs.core.identity import Identity
from communs.node.home.folder import Actor, Home
from communs.node.http import transport
from communs.node.peers import replication
from communs.node.peers.replication import MAX_BODY, MAX_RECEIVED
from communs.node.service import Service
from communs.store import local
from eventkit import identity, raw_event
from hostile_peer import HostilePeer, Reply, cbor_seq, hostile_peer, json_reply, serve_app
from hostile_peer import missing_reply as missing

MALLORY = identity(7)  # a stranger: neither maintainer nor followed
TRUDY = identity(9)  # blocked on the victim
BOB = identity(11)  # followed by the victim (trusted under the "maintainers" policy)


@dataclass
class Victim:
    service: Service
    commons: bytes

    @property
    def ref(self) -> str:
        return self.commons.hex()

    @property
    def alice(self) -> Identity:
        """The maintainer, an identity of the victim's home."""
        return self.service.home.identity("alice")

    def show(self, ref: str | None = None) -> dict:
        return self.service.commons_show(ref or self.ref)

    def digest(self, ref: str | None = None) -> str:
        return self.show(ref)["state_digest"]

    def tip(self, commons: bytes | None = None) -> tuple[list[bytes], int]:
        """The victim's heads of a commons and the clock of an event on top of them."""
        store = self.service.home.store
        heads = store.heads(store.commons_cid(commons or self.commons))
        return heads, 1 + max(clock for _, clock in store.clocks(heads).values())

    def event(
        self, signer: Identity, name: str = "x", commons: bytes | None = None, **fields
    ) -> bytes:
        """A valid profile.set on top of the victim's heads (``fields`` override)."""
        heads, clock = self.tip(commons)
        args = {
            "commons": commons or self.commons,
            "type": "profile.set",
            "parents": heads,
            "clock": clock,
            "time": 1,
            "body": {"name": name},
            **fields,
        }
        return sign_event(signer, **args)

    def stored(self, raw: bytes) -> bool:
        return self.service.home.store.event(event_id(raw)) is not None

    def refusals(self) -> dict[str, str]:
        """event id (hex) -> reason, for the events refused so far."""
        return {r["event"]: r["reason"] for r in self.service.local.refusals(1000) if r["event"]}


@pytest.fixture
def victim(tmp_path) -> Iterator[Victim]:
    service = Service(Home(tmp_path / "victim"))
    try:
        service.identity_new("alice")
        made = service.commons_create(Actor("alice"), name="Community garden")
        service.block(TRUDY.did, "spam")
        yield Victim(service, bytes.fromhex(made["id"]))
    finally:
        service.close()


@pytest.fixture
def node(victim) -> Iterator[str]:
    """The victim's HTTP face, in-process (uvicorn in a thread)."""
    with serve_app(create_app(victim.service, rate=50, burst=100)) as url:
        yield url


@pytest.fixture
def peer() -> Iterator[HostilePeer]:
    with hostile_peer() as hostile:
        yield hostile


def sync(victim: Victim, peer: HostilePeer) -> dict:
    [result] = victim.service.sync(peer.url, victim.ref)
    return result


# -- 1. a hostile peer, as seen by a node pulling from it ------------------------------------


def bad_events(v: Victim) -> dict[str, tuple[bytes, str]]:
    """name -> (wire bytes, a word of the reason it must be refused with)."""
    heads, clock = v.tip()
    envelope = {
        "commons": v.commons,
        "type": "profile.set",
        "parents": heads,
        "clock": clock,
        "time": 1,
    }
    good = v.event(MALLORY, "mallory")
    at = good.index(b"mallory")
    tampered = good[:at] + b"M" + good[at + 1 :]  # same length: still canonical CBOR
    payload, signature = cbor2.loads(good)
    long_head = b"\x82\x5a" + len(payload).to_bytes(4, "big") + payload + cbor2.dumps(signature)
    return {
        "forged signature": (
            raw_event(MALLORY, {**envelope, "author": v.alice.did, "body": {"name": "alice"}}),
            "signature",
        ),
        "altered after signing": (tampered, "signature"),
        "signature bytes altered": (
            canonical.encode([payload, bytes(64)]),
            "signature",
        ),
        "oversize": (
            raw_event(MALLORY, {**envelope, "body": {"name": "x" * MAX_EVENT_SIZE}}),
            "limit",
        ),
        "non-canonical payload": (
            raw_event(MALLORY, {**envelope, "body": {"name": "m"}}, encode=cbor2.dumps),
            "canonical",
        ),
        "non-canonical outer array": (long_head, "canonical"),
        "garbage": (b"\xfe\xed\xfa\xce garbage \x00\xff", "CBOR"),
        "not an array": (canonical.encode({"payload": payload}), "array"),
        "wrong clock": (v.event(MALLORY, "late", clock=clock + 5), "clock"),
        "blocked author": (v.event(TRUDY, "trudy"), "blocked"),
    }


def test_bad_events_from_a_peer_are_refused_with_their_reason(victim, peer):
    before, count = victim.digest(), victim.show()["events"]
    events = bad_events(victim)
    orphan = victim.event(MALLORY, "orphan", parents=[bytes(range(32))], clock=9)
    raws = [raw for raw, _ in events.values()]
    peer.replies["missing"] = missing([*raws, 12, {"not": "an event"}, orphan])

    result = sync(victim, peer)

    assert "error" not in result, result
    assert result["pulled"] == 0
    refused = victim.refusals()
    for name, (raw, word) in events.items():
        reason = refused.get(event_id(raw).hex())
        assert reason is not None, f"{name}: not refused"
        assert word.lower() in reason.lower(), f"{name}: refused for {reason!r}"
        assert not victim.stored(raw), name
    # An event whose parents are unknown waits, and changes nothing.
    assert victim.service.status()["pending_events"] == 1
    assert not victim.stored(orphan)
    counts = victim.service.status()["refused"]
    assert sum(counts.values()) == len(events)
    assert any("blocked" in reason for reason in counts)
    # The node's state is untouched, and it still answers its own users.
    assert victim.digest() == before
    assert victim.show()["events"] == count
    assert victim.service.commons_list()[0]["id"] == victim.ref
    # The same peer serving the same junk again changes nothing either.
    assert "error" not in sync(victim, peer)
    assert victim.digest() == before


def test_a_valid_event_still_gets_through_beside_bad_ones(victim, peer):
    """The victim is not merely refusing everything: among junk, a good event is taken."""
    before = victim.digest()
    good = victim.event(MALLORY, "mallory")
    junk = [raw for raw, _ in bad_events(victim).values()]
    peer.replies["missing"] = missing([*junk, good])
    result = sync(victim, peer)
    assert result["pulled"] == 1, result
    assert victim.stored(good)
    assert victim.digest() != before


def _info(body: bytes, status: int = 200, kind: str = "text/plain") -> Callable:
    return lambda v: {"info": Reply(status, body, kind)}


def _missing(body: bytes | list, status: int = 200) -> Callable:
    data = body if isinstance(body, bytes) else cbor_seq(*body)
    return lambda v: {"missing": Reply(status, data)}


def _knowing_genesis_then(reply: Reply) -> Callable:
    """The peer claims to hold our genesis, so we push to it, and it answers ``reply``."""
    return lambda v: {"missing": missing([], heads=[v.commons]), "events": reply}


CRASHES = "Replicator.sync catches only httpx.HTTPError and CommunsError"
MALFORMED = {
    "info: server error page": _info(b"<html>502 Bad Gateway</html>", 502, "text/html"),
    "info: error JSON": lambda v: {"info": json_reply({"ok": False, "error": "no"}, 409)},
    "missing: not CBOR": _missing(b"\xff\xff\xff\xff not cbor"),
    "missing: an HTML page": _missing(b"<!DOCTYPE html><html><body>hello</body></html>"),
    "missing: header not a map": _missing([[1, 2, 3], b"event"]),
    "missing: empty body": _missing(b""),
    "missing: truncated item": _missing(cbor_seq({"heads": [], "unknown": []}) + b"\x59\xff"),
    "missing: server error": _missing(b"oops", 500),
    "events: push refused": _knowing_genesis_then(json_reply({"ok": False, "error": "no"}, 400)),
    "info: not JSON": pytest.param(
        _info(b"this is not JSON"),
    ),
    "info: JSON without ancestors": pytest.param(
        lambda v: {"info": json_reply({"id": v.ref, "heads": []})},
    ),
    "info: ancestors not hex": pytest.param(
        lambda v: {"info": json_reply({"id": v.ref, "heads": [], "ancestors": ["zz"]})},
    ),
    "missing: header without heads": pytest.param(
        _missing([{"unknown": []}]),
    ),
    "missing: heads not a list": pytest.param(
        _missing([{"heads": 5, "unknown": []}]),
    ),
    "events: answer not JSON": pytest.param(
        _knowing_genesis_then(Reply(200, b"thanks!", "text/plain")),
    ),
}


@pytest.mark.parametrize("answers", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_answer_is_an_error_for_that_peer(victim, peer, answers):
    before, count = victim.digest(), victim.show()["events"]
    peer.replies.update(answers(victim))
    results = victim.service.sync(peer.url, victim.ref)
    assert len(results) == 1 and results[0]["peer"] == peer.url
    assert results[0].get("error"), results
    assert victim.digest() == before
    assert victim.show()["events"] == count


@pytest.mark.parametrize("way", ["push", "pull"])
def test_an_event_holding_a_huge_integer_is_refused(victim, peer, node, way):
    before = victim.digest()
    huge = b"\xc2\x59\x08\x00" + b"\xff" * 2048  # tag 2: a 4933-digit bignum
    if way == "push":
        pushed = httpx.post(f"{node}/sync/{victim.ref}/events", content=cbor2.dumps(huge))
        assert pushed.status_code == 200, pushed.text
    else:
        peer.replies["missing"] = missing([huge])
        assert "error" not in sync(victim, peer)
    assert event_id(huge).hex() in victim.refusals()
    assert not victim.stored(huge)
    assert victim.digest() == before


@pytest.mark.slow
def test_a_slow_peer_does_not_stop_the_node_answering_its_users(victim, peer):
    """A peer trickling an item that never ends: the pull waits on the network, not on
    the node's lock, so local reads go on; when the peer hangs up, sync reports an error."""

    def trickle() -> Iterator[bytes]:
        yield cbor_seq({"heads": [], "unknown": []}) + b"\x5a\x00\x00\xff\xff"
        for _ in range(30):
            time.sleep(0.05)
            yield b"\x00"

    peer.replies["missing"] = lambda body: Reply(body=trickle())
    results: list = []
    syncing = threading.Thread(target=lambda: results.extend(victim.service.sync(peer.url)))
    syncing.start()
    try:
        time.sleep(0.3)
        assert syncing.is_alive()
        started = time.monotonic()
        assert victim.show()["name"] == "Community garden"
        assert time.monotonic() - started < 1.0
    finally:
        syncing.join(timeout=10)
    assert not syncing.is_alive()
    assert "in the middle" in results[0]["error"]


@pytest.mark.slow
def test_a_peer_streaming_an_endless_item_is_cut_off(victim, peer):
    total = 8 * 2**20
    chunk = bytes(64 * 1024)
    head = cbor_seq({"heads": [], "unknown": []}) + b"\x5a\xff\xff\xff\xff"
    peer.replies["missing"] = lambda body: Reply(
        body=iter([head, *[chunk] * (total // len(chunk))])
    )
    result = sync(victim, peer)
    assert result.get("error")
    assert peer.streamed < len(head) + total, "the victim read all of an 8 MiB 'event'"


def listen(victim: Victim, peer: HostilePeer, answers: list[Reply], until: Callable) -> None:
    """Let the victim's background jobs subscribe to the peer's live stream, which gives
    ``answers`` one per request (then heartbeats), until ``until()`` or the subscriber is
    gone; then stop them."""
    released = threading.Event()

    def heartbeats() -> Iterator[bytes]:
        yield cbor2.dumps({"live": True})
        while not released.wait(0.05):
            yield cbor2.dumps({})

    queue = iter(answers)
    peer.replies["live"] = lambda body: next(queue, None) or Reply(body=heartbeats())
    replicator = victim.service.replicator
    victim.service.local.add_peer(peer.url)  # not peer_add: no extra round to wake
    replicator.start()
    try:
        deadline = time.monotonic() + 10.0
        while not until() and time.monotonic() < deadline:
            time.sleep(0.05)
            live = replicator._live.get(peer.url)
            if live is not None and not live.is_alive():
                break
    finally:
        victim.service.peer_remove(peer.url)
        released.set()
        replicator.stop()
        if peer.url in replicator._live:
            replicator._live[peer.url].join(timeout=10)


def stream(*items) -> Reply:
    return Reply(body=iter([cbor2.dumps(item) for item in items]))


@pytest.mark.slow
def test_bad_events_on_a_live_stream_are_refused(victim, peer):
    before = victim.digest()
    events = bad_events(victim)
    chosen = ["forged signature", "altered after signing", "oversize", "blocked author"]
    items = [{"live": True}, {}, 42, b"garbage", *(events[name][0] for name in chosen), {}]
    wanted = {event_id(events[name][0]).hex() for name in chosen}
    listen(victim, peer, [stream(*items)], until=lambda: wanted <= victim.refusals().keys())
    refused = victim.refusals()
    for name in chosen:
        raw, word = events[name]
        assert word.lower() in refused[event_id(raw).hex()].lower(), name
        assert not victim.stored(raw)
    assert victim.digest() == before


@pytest.mark.slow
def test_a_live_event_with_a_malformed_commons_does_not_kill_the_subscriber(victim, peer):
    heads, clock = victim.tip()
    odd = raw_event(
        MALLORY,
        {
            "commons": [1],
            "type": "profile.set",
            "parents": heads,
            "clock": clock,
            "body": {"name": "odd"},
        },
    )
    forged = bad_events(victim)["forged signature"][0]
    wanted = event_id(forged).hex()
    listen(victim, peer, [stream({"live": True}, odd, forged)], lambda: wanted in victim.refusals())
    assert wanted in victim.refusals()


@pytest.mark.slow
def test_a_live_stream_answering_an_error_is_retried(victim, peer):
    busy = json_reply({"ok": False, "error": "too many sync requests", "status": 429}, 429)

    def lives() -> int:
        return sum(path.startswith("/sync/live") for _, path, _ in peer.requests)

    listen(victim, peer, [busy], until=lambda: lives() >= 2)
    assert lives() >= 2


# -- 2. floods and oversize pushes, against the victim's server -----------------------------


@pytest.mark.slow
def test_a_flood_of_sync_requests_is_throttled_and_the_node_keeps_serving(victim, node):
    before = victim.digest()
    statuses: list[int] = []
    bodies: list[httpx.Response] = []
    api: list[tuple[int, float]] = []
    done = threading.Event()

    def use_the_api() -> None:
        with httpx.Client(base_url=node, timeout=5.0) as client:
            while not done.is_set():
                started = time.monotonic()
                response = client.get(f"/api/commons/{victim.ref}")
                api.append((response.status_code, time.monotonic() - started))
                if response.status_code == 200:
                    assert response.json()["state_digest"] == before
                time.sleep(0.02)

    user = threading.Thread(target=use_the_api)
    user.start()
    started = time.monotonic()
    try:
        with httpx.Client(base_url=node, timeout=5.0) as flood:
            while len(statuses) < 1000 and time.monotonic() - started < 10.0:
                response = flood.get(f"/sync/{victim.ref}/info")
                statuses.append(response.status_code)
                if response.status_code == 429 and len(bodies) < 5:
                    bodies.append(response)
    finally:
        elapsed = time.monotonic() - started
        done.set()
        user.join(timeout=10)
    assert set(statuses) <= {200, 429}
    allowed = statuses.count(200)
    assert allowed <= 100 + 50 * elapsed + 2  # the token bucket: burst, then the rate
    assert statuses.count(429) >= len(statuses) - (100 + 50 * elapsed) - 2
    assert statuses.count(429) > 0
    for response in bodies:
        body = response.json()
        assert body["ok"] is False and body["status"] == 429
        assert "too many" in body["error"]
    # The node's own API answered all along, quickly, and afterwards.
    assert api and all(status == 200 for status, _ in api)
    assert max(seconds for _, seconds in api) < 2.0
    response = httpx.get(f"{node}/api/commons/{victim.ref}")
    assert response.status_code == 200
    assert response.json()["state_digest"] == before
    limited = httpx.get(f"{node}/api/node").json()["rate_limited"]
    assert sum(limited.values()) == statuses.count(429)  # counted, not written to disk
    assert "too many requests" not in victim.service.status()["refused"]


@pytest.mark.slow
def test_a_flood_does_not_erase_the_record_of_refused_events(victim, monkeypatch):
    monkeypatch.setattr(local, "KEEP_REFUSALS", 50)  # 10,000 in production: same flood, longer
    forged = bad_events(victim)["forged signature"][0]
    with serve_app(create_app(victim.service, rate=1, burst=5)) as node:
        assert push(node, victim.ref, forged)["refused"]
        throttled = 0
        started = time.monotonic()
        with httpx.Client(base_url=node, timeout=5.0) as flood:
            while throttled < 100 and time.monotonic() - started < 10.0:
                throttled += flood.get(f"/sync/{victim.ref}/info").status_code == 429
    assert throttled == 100
    assert event_id(forged).hex() in victim.refusals()


def test_a_node_answers_without_waiting_for_delayed_acks(victim):
    with serve_app(create_app(victim.service), sock=bind("127.0.0.1", 0)) as url:
        with httpx.Client(base_url=url, transport=transport()) as client:
            client.get("/api/node")
            times = []
            for _ in range(9):
                started = time.monotonic()
                assert client.get(f"/api/commons/{victim.ref}").status_code == 200
                times.append(time.monotonic() - started)
    assert sorted(times)[4] < 0.02, times


def test_a_push_over_the_event_count_limit_is_refused_whole(victim, node):
    before = victim.digest()
    good = victim.event(MALLORY, "mallory")
    body = cbor2.dumps(good) * (MAX_RECEIVED + 1)
    response = httpx.post(f"{node}/sync/{victim.ref}/events", content=body, timeout=30)
    assert response.status_code == 400
    error = response.json()
    assert error["ok"] is False and error["status"] == 400
    assert f"at most {MAX_RECEIVED} events" in error["error"]
    assert not victim.stored(good)
    assert victim.digest() == before


@pytest.mark.slow
def test_a_push_over_the_body_limit_is_refused(victim, node):
    before, count = victim.digest(), victim.show()["events"]
    block = bytes(2**20)

    def body() -> Iterator[bytes]:  # one byte string just over MAX_BODY, streamed
        yield b"\x5a" + MAX_BODY.to_bytes(4, "big")
        for _ in range(MAX_BODY // len(block)):
            yield block

    response = httpx.post(f"{node}/sync/{victim.ref}/events", content=body(), timeout=30)
    assert response.status_code == 413
    assert "MiB" in response.json()["error"]
    assert victim.show()["events"] == count
    assert victim.digest() == before


def test_a_push_is_counted_while_it_is_decoded(victim, monkeypatch):
    decoded = 0
    real = replication.iter_cbor_seq

    def counting(chunks):
        nonlocal decoded
        for item in real(chunks):
            decoded += 1
            yield item

    monkeypatch.setattr(replication, "iter_cbor_seq", counting)
    with pytest.raises(replication.BadInput, match="events per request"):
        victim.service.replicator.receive(victim.ref, [b"\x40" * (5 * MAX_RECEIVED)], "flood")
    assert decoded <= MAX_RECEIVED + 1


@pytest.mark.slow
def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(victim, node):
    host, port = node.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            f"POST /sync/{victim.ref}/events HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Length: {8 * MAX_BODY}\r\n\r\n".encode()
            + bytes(65536)
        )
        sock.settimeout(1.0)
        try:
            answer = sock.recv(4096)
        except TimeoutError:
            answer = b""
    assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 413")), answer[:100]


BAD_REQUESTS = {
    "missing: body not CBOR": ("POST", "/sync/{c}/missing", b"\xff\xfe not cbor"),
    "missing: empty body": ("POST", "/sync/{c}/missing", b""),
    "live: commons not hex": ("GET", "/sync/live?commons=zz", None),
}


@pytest.mark.parametrize("method, path, body", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_malformed_sync_request_gets_a_client_error(victim, node, method, path, body):
    url = node + path.format(c=victim.ref)
    response = httpx.request(method, url, content=body, timeout=5)
    assert response.status_code == 400, response.text
    assert response.json()["ok"] is False


@pytest.mark.slow
def test_a_cyclic_event_does_not_hang_the_node(tmp_path):
    home = tmp_path / "node"
    service = Service(Home(home))
    try:
        service.identity_new("alice")
        commons = service.commons_create(Actor("alice"), name="garden")["id"]
    finally:
        service.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "communs", "--home", str(home), "serve", "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    answered = False
    try:
        url = _started(process)
        cyclic = bytes.fromhex("d81c81d81d00")  # shareable([sharedref(0)]): a list in itself
        with httpx.Client(base_url=url, timeout=2.0) as client:
            pushed = client.post(f"/sync/{commons}/events", content=cbor2.dumps(cyclic))
            assert pushed.status_code in (200, 422)
            assert client.get(f"/api/commons/{commons}").status_code == 200
        answered = True
    finally:
        if answered:  # a hung node would not finish its open request: no use waiting
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5 if answered else 0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        process.stdout.close()


def _started(process: subprocess.Popen, timeout: float = 20.0) -> str:
    """The URL a ``communs serve`` prints once it listens."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline().strip()))
    reader.daemon = True
    reader.start()
    reader.join(timeout)
    if not found or not found[0].startswith("http://"):
        raise AssertionError(f"the node did not start: {found}")
    return found[0]


# -- 3. acceptance policies ----------------------------------------------------------------

POLICY = "accepts events for this commons only from its maintainers"


def push(node: str, commons: str, *raws: bytes) -> dict:
    response = httpx.post(f"{node}/sync/{commons}/events", content=cbor_seq(*raws))
    assert response.status_code == 200, response.text
    return response.json()


def test_maintainers_policy_on_pushed_events(victim, node):
    victim.service.policy(victim.ref, "maintainers")
    victim.service.follow(BOB.did)
    before = victim.digest()
    stranger = victim.event(MALLORY, "mallory")
    report = push(node, victim.ref, stranger)
    assert report["added"] == 0
    [[eid, reason]] = report["refused"]
    assert eid == event_id(stranger).hex() and POLICY in reason
    assert victim.refusals()[eid] == reason
    assert not victim.stored(stranger)
    assert victim.digest() == before
    # A maintainer's event and a followed author's are taken.
    maintainer = victim.event(victim.alice, "Alice")
    assert push(node, victim.ref, maintainer)["added"] == 1
    followed = victim.event(BOB, "Bob")
    assert push(node, victim.ref, followed)["added"] == 1
    assert victim.stored(maintainer) and victim.stored(followed)
    # Open to anyone again: the stranger's event is taken.
    victim.service.policy(victim.ref, "anyone")
    assert push(node, victim.ref, victim.event(MALLORY, "mallory"))["added"] == 1


def test_maintainers_policy_on_pulled_events(victim, peer):
    victim.service.policy(victim.ref, "maintainers")
    stranger = victim.event(MALLORY, "mallory")
    maintainer = victim.event(victim.alice, "Alice")
    peer.replies["missing"] = missing([stranger, maintainer])
    result = sync(victim, peer)
    assert result["pulled"] == 1, result
    assert victim.stored(maintainer) and not victim.stored(stranger)
    assert POLICY in victim.refusals()[event_id(stranger).hex()]


@pytest.mark.parametrize("way", ["push", "pull"])
def test_a_policy_cannot_be_bypassed_through_another_commons(victim, node, peer, way):
    victim.service.policy(victim.ref, "maintainers")
    open_ref = victim.service.commons_create(Actor("alice"), name="Open commons")["id"]
    before = victim.digest()
    stranger = victim.event(MALLORY, "mallory")  # for the restricted commons
    if way == "push":
        push(node, open_ref, stranger)
    else:
        peer.replies["missing"] = missing([stranger])
        victim.service.sync(peer.url, open_ref)
    assert not victim.stored(stranger)
    assert victim.digest() == before
