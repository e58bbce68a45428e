"""Uploads and pictures against a real node: sizes and sessions are checked before a body is
read, and big pictures neither break a page nor swell the node's memory."""

import io
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from communs.node.home.folder import Actor, Home
from communs.node.service import Service
from communs.web.uploads import UPLOAD_LIMIT
from nodes import Node, Nodes, parallel

ANNA, PASSPHRASE = "anna", "correct horse battery"
BIG = 256 * 1024 * 1024
# The start of a well-formed upload: a node that reads it waits for the rest.
PART = (
    b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n'
    b"Content-Type: application/octet-stream\r\n\r\n" + b"x" * 4096
)


class Hub(Node):
    serve_options = ("--hub",)


def hub(nodes: Nodes, home: Path) -> Node:
    """The hub node serving ``home``, started (and stopped with ``nodes``)."""
    node = Hub(home)
    nodes.made.append(node)
    return nodes.run(node)[0]


def prepare(home: Path, pictures: int = 0, side: int = 7000) -> tuple[str, list[str]]:
    """anna and her commons "Atlas" holding ``pictures`` solid side×side PNGs (7000: 49
    megapixels, a few hundred kB each): the commons id and the pictures' hashes."""
    service = Service(Home(home))
    try:
        service.identity_new(ANNA, PASSPHRASE)
        anna = Actor(ANNA, identity=service.home.keyring.load(ANNA, PASSPHRASE))
        made = service.commons_create(anna, name="Atlas", kind="text")["id"]
        files, hashes = {}, []
        for number in range(pictures):
            out = io.BytesIO()
            Image.new("RGB", (side, side), (number * 40, 120, 200)).save(out, "PNG")
            out.seek(0)
            blob = service.blob_add(out, f"map-{number}.png")["hash"]
            files[f"map-{number}.png"], hashes = blob, [*hashes, blob]
        if files:
            first = service.propose(anna, made, "Maps", files=files)["id"]
            service.decide(anna, made, first, "accept")
        return made, hashes
    finally:
        service.close()


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def signed_in(node: Node) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=node.url, trust_env=False, timeout=30)
    answer = client.post("/login", data={"name": ANNA, "passphrase": PASSPHRASE, "next": "/"})
    assert answer.status_code in (200, 303), answer.text
    page = client.get("/").text
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    return client, csrf


def raw_post(url: str, path: str, headers: dict[str, str], body: bytes) -> tuple[bytes, float]:
    """Send headers announcing a body and only ``body`` of it; the start of the answer and
    how long it took to come."""
    place = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((place.hostname, place.port), timeout=10) as sock:
        lines = [f"POST {path} HTTP/1.1", f"Host: {place.netloc}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        answer = b""
        try:
            while part := sock.recv(65536):
                answer += part
        except TimeoutError:
            answer += b"(no answer in 10 s)"
    return answer, time.monotonic() - started


@pytest.fixture
def nodes(tmp_path):
    with Nodes(tmp_path) as made:
        yield made


def test_an_anonymous_big_upload_is_refused_before_its_body_is_read(nodes, tmp_path):
    commons, _ = prepare(tmp_path / "a")
    node = hub(nodes, tmp_path / "a")
    before = size_of(node.home)
    headers = {
        "Content-Type": "multipart/form-data; boundary=xyz",
        "Content-Length": str(BIG),
    }
    answer, took = raw_post(node.url, f"/c/{commons}/propose", headers, PART)
    assert answer.startswith(b"HTTP/1.1 303"), answer[:200]
    assert b"location: /login" in answer.lower(), answer[:300]
    assert took < 2, f"the answer took {took:.1f} s: the body was waited for"
    assert size_of(node.home) - before < 1024 * 1024


def test_an_upload_above_the_limit_gets_413_and_nothing_is_stored(nodes, tmp_path, request):
    commons, _ = prepare(tmp_path / "a")
    node = hub(nodes, tmp_path / "a")
    client, csrf = signed_in(node)
    request.addfinalizer(client.close)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    before = size_of(node.home)
    headers = {
        "Content-Type": "multipart/form-data; boundary=xyz",
        "Content-Length": str(UPLOAD_LIMIT + 1),
        "Cookie": cookie,
    }
    answer, took = raw_post(node.url, f"/c/{commons}/propose", headers, PART)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"MiB" in answer and b"BitTorrent" in answer, answer[-2000:]
    assert took < 2

    # Chunked, with no Content-Length: cut off once past the limit, nothing kept.
    def chunks():
        yield (
            f'--xyz\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
            '--xyz\r\nContent-Disposition: form-data; name="title"\r\n\r\nBig\r\n'
            '--xyz\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        block = os.urandom(1024 * 1024)
        for _ in range(UPLOAD_LIMIT // len(block) + 20):
            yield block

    try:
        answer = client.post(
            f"/c/{commons}/propose",
            content=chunks(),
            headers={"Content-Type": "multipart/form-data; boundary=xyz"},
        )
        status = answer.status_code
    except httpx.HTTPError:  # the node may close the connection while we still send
        status = 413
    assert status == 413
    assert size_of(node.home) - before < 1024 * 1024, "a refused upload left bytes behind"
    assert not list((node.home).rglob("big.bin"))


def test_the_page_of_a_picture_too_large_to_preview_still_shows(nodes, tmp_path, request):
    commons, (blob,) = prepare(tmp_path / "a", pictures=1)
    node = hub(nodes, tmp_path / "a")
    client = httpx.Client(base_url=node.url, trust_env=False, timeout=30)
    request.addfinalizer(client.close)
    page = client.get(f"/c/{commons}/files/map-0.png")
    assert page.status_code == 200, page.text[-2000:]
    assert "This image is too large to preview (49 megapixels, the limit is 40)" in page.text
    assert "download it instead" in page.text
    french = client.get(f"/c/{commons}/files/map-0.png", headers={"Accept-Language": "fr"})
    assert french.status_code == 200
    assert "Cette image est trop grande pour un aperçu (49 mégapixels" in french.text
    assert client.get(f"/c/{commons}/thumb/{blob}").status_code == 422


@pytest.mark.parametrize("side", [7000, 6300])  # 49 megapixels: refused; 39.7: made
def test_many_thumbnails_of_big_pictures_keep_memory_bounded(nodes, tmp_path, side):
    commons, hashes = prepare(tmp_path / "a", pictures=4, side=side)
    node = hub(nodes, tmp_path / "a")

    def peak() -> int:
        for line in Path(f"/proc/{node.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmHWM")

    before = peak()
    url = node.url

    def ask(blob: str):
        return lambda: httpx.get(f"{url}/c/{commons}/thumb/{blob}", timeout=120).status_code

    codes = parallel(*(ask(blob) for blob in hashes))
    after = peak()
    print(f"peak RSS {before / 2**20:.0f} MiB before, {after / 2**20:.0f} MiB after: {codes}")
    assert codes == [422 if side == 7000 else 200] * 4
    assert after < 600 * 2**20
