"""The files of a commons on the web: a file's page, its history, its bytes, its thumbnail."""

import io
import os
import time
import warnings
from pathlib import Path

import pytest
from PIL import Image

from communs.api.app import create_app
from communs.node.home.folder import Actor, Home
from communs.node.service import Service
from communs.web import media
from communs.web.files import served_type

with warnings.catch_warnings():
    # Starlette asks for httpx2 but works with the httpx the project depends on.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

HOSTILE_MARKDOWN = """# Field notes

Some *birds* seen at dawn.

<script>alert("owned")</script>

[click me](javascript:alert(1)) and <img src=x onerror="alert(2)">
"""


class Node:
    def __init__(self, tmp_path: Path):
        self.service = Service(Home(tmp_path / "home"))
        self.service.identity_new("anna")
        self.anna = Actor("anna")
        self.ref = self.service.commons_create(self.anna, name="Atlas")["id"]
        self.client = TestClient(create_app(self.service))

    def add(self, path: str, data: bytes, ref: str | None = None) -> tuple[str, str]:
        """Contribute ``data`` at ``path`` and accept it: (blob hash, contribution id)."""
        ref = ref or self.ref
        blob = self.service.blob_add(io.BytesIO(data), name=path)["hash"]
        cid = self.service.propose(self.anna, ref, f"add {path}", files={path: blob})["id"]
        self.service.decide(self.anna, ref, cid, "accept")
        return blob, cid

    def get(self, path: str, **kwargs):
        return self.client.get(f"/c/{self.ref}{path}", **kwargs)


@pytest.fixture
def node(tmp_path):
    made = Node(tmp_path)
    yield made
    made.client.close()
    made.service.close()


def png(width: int = 1200, height: int = 800, mode: str = "RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), "teal" if mode != "1" else 0).save(out, "PNG", **save)
    return out.getvalue()


def test_markdown_renders_and_never_runs_script(node):
    blob, cid = node.add("notes/field.md", HOSTILE_MARKDOWN.encode())
    page = node.get("/files/notes/field.md")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Field notes</h1>" in html
    assert "<em>birds</em>" in html
    assert "<script>alert" not in html
    assert 'href="javascript:' not in html
    prose = html[html.index('<div class="prose file-content">') :]
    assert "<img" not in prose and "&lt;img src=x onerror" in prose  # shown as text at most
    assert "&lt;script&gt;" in prose
    assert f"/c/{node.ref}/contributions/{cid}" in html
    assert f"/c/{node.ref}/history/notes/field.md" in html
    assert "/propose?path=notes%2Ffield.md" in html
    assert f"/c/{node.ref}/blob/{blob}?download=1" in html


def test_plain_text_is_escaped_and_capped(node):
    node.add("code/page.html", b"<b>bold</b><script>alert(1)</script>")
    html = node.get("/files/code/page.html").text
    assert "<pre" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    node.add("big.txt", b"a" * (1024 * 1024 + 10))
    big = node.get("/files/big.txt")
    assert big.status_code == 200 and "file-note" in big.text


def test_file_page_json_twin_and_json_named_files(node):
    blob, _ = node.add("data.json", b'{"a": 1}')
    node.add("data", b"plain")
    twin = node.get("/files/data.json").json()  # the JSON twin of "data"
    assert twin["file_path"] == "data" and twin["kind"] == "text"
    assert node.get("/files/data.json.json").json()["artifact"]["blob"] == blob
    node.add("only.json", b"[]")
    page = node.get("/files/only.json")  # no "only": the page of "only.json"
    assert page.status_code == 200 and "<h1" in page.text


def test_media_elements(node):
    audio, _ = node.add("songs/wren.ogg", b"OggS" + bytes(200))
    video, _ = node.add("clips/dawn.mp4", bytes(300))
    other, _ = node.add("data/table.bin", bytes(range(256)))
    html = node.get("/files/songs/wren.ogg").text
    assert (
        f'<audio class="file-media" controls preload="none" src="/c/{node.ref}/blob/{audio}"'
        in html
    )
    html = node.get("/files/clips/dawn.mp4").text
    assert 'controls preload="metadata"' in html and f"/blob/{video}" in html
    html = node.get("/files/data/table.bin").text
    assert f"/blob/{other}?download=1" in html and "<pre" not in html


def test_thumbnail_is_made_once_and_cached(node):
    blob, _ = node.add("photos/heron.png", png())
    html = node.get("/files/photos/heron.png").text
    assert f'src="/c/{node.ref}/thumb/{blob}"' in html
    first = node.get(f"/thumb/{blob}")
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/jpeg"
    assert first.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(first.content)) as thumb:
        assert thumb.size == (480, 320)
    cached = media.cached_thumb(node.service.home.path / "thumbs", blob)
    assert cached is not None and cached.parent.name == blob[:2]
    before = cached.stat().st_mtime_ns
    os.utime(cached, ns=(before - 10**9, before - 10**9))  # older, so a rewrite would show
    time.sleep(0.01)
    second = node.get(f"/thumb/{blob}")
    assert second.status_code == 200 and second.content == first.content
    assert cached.stat().st_mtime_ns == before - 10**9


def test_thumbnail_keeps_transparency_and_turns_by_exif(node, tmp_path):
    blob, _ = node.add("logo.png", png(100, 60, "RGBA"))
    reply = node.get(f"/thumb/{blob}")
    assert reply.headers["content-type"] == "image/png"
    photo = Image.new("RGB", (600, 300), "red")
    exif = photo.getexif()
    exif[0x0112] = 6  # orientation: turned 90°, as phones record it
    out = io.BytesIO()
    photo.save(out, "JPEG", exif=exif)
    blob, _ = node.add("photos/upright.jpg", out.getvalue())
    reply = node.get(f"/thumb/{blob}")
    with Image.open(io.BytesIO(reply.content)) as thumb:
        assert thumb.size == (240, 480)


def test_thumbnail_refuses_non_images_and_bombs(node, monkeypatch):
    text, _ = node.add("readme.txt", b"hello")
    refused = node.get(f"/thumb/{text}")
    assert refused.status_code == 415
    svg, _ = node.add("map.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    assert node.get(f"/thumb/{svg}").status_code == 415
    big, _ = node.add("photos/big.png", png(400, 400))
    monkeypatch.setattr(media, "MAX_PIXELS", 1000)
    bomb = node.get(f"/thumb/{big}")
    assert bomb.status_code == 422
    assert "too many pixels" in bomb.text or "megapixels" in bomb.text
    assert media.cached_thumb(node.service.home.path / "thumbs", big) is None


def test_thumbnail_refuses_a_real_decompression_bomb(tmp_path):
    source = tmp_path / "bomb.png"
    Image.new("1", (12000, 12000)).save(source, "PNG")  # 144 megapixels, a few kB
    with pytest.raises(media.TooManyPixels):
        media.thumbnail(source, tmp_path / "thumbs", "ab" * 32)
    assert not (tmp_path / "thumbs" / "ab").exists()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("evil.html", b"<html><script>alert(document.cookie)</script></html>"),
        ("evil.xhtml", b'<html xmlns="http://www.w3.org/1999/xhtml"><script>1</script></html>'),
        ("evil.js", b"alert(1)"),
    ],
)
def test_executable_blobs_are_downloads(node, path, data):
    blob, _ = node.add(path, data)
    reply = node.get(f"/blob/{blob}")
    assert reply.status_code == 200
    assert reply.content == data
    assert reply.headers["content-type"] == "application/octet-stream"
    assert reply.headers["content-disposition"].startswith("attachment")
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["content-security-policy"] == "sandbox"


def test_blob_inline_with_its_type_and_ranges(node):
    data = bytes(range(256)) * 40
    blob, _ = node.add("songs/robin.mp3", data)
    whole = node.get(f"/blob/{blob}")
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "audio/mpeg"
    assert whole.headers["content-disposition"].startswith("inline")
    assert whole.headers["accept-ranges"] == "bytes"
    part = node.get(f"/blob/{blob}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert part.headers["content-security-policy"] == "sandbox"
    assert part.headers["x-content-type-options"] == "nosniff"
    download = node.get(f"/blob/{blob}?download=1")
    assert download.headers["content-disposition"] == 'attachment; filename="robin.mp3"'


def test_blob_of_another_commons_is_not_served(node):
    other = node.service.commons_create(node.anna, name="Other")["id"]
    secret, _ = node.add("secret.txt", b"not yours", ref=other)
    assert node.client.get(f"/c/{other}/blob/{secret}").status_code == 200
    refused = node.get(f"/blob/{secret}")
    assert refused.status_code == 404
    assert refused.headers["content-security-policy"] == "sandbox"
    assert b"not yours" not in refused.content
    assert node.get(f"/thumb/{secret}").status_code == 404
    loose = node.service.blob_add(io.BytesIO(b"loose"), name="loose.txt")["hash"]
    assert node.get(f"/blob/{loose}").status_code == 404
    assert node.get("/blob/not-a-hash").status_code == 404
    assert node.get("/files/nowhere.md").status_code == 404


def test_history_lists_changes_newest_first(node):
    first, cid1 = node.add("notes/field.md", b"one")
    second, cid2 = node.add("notes/field.md", b"two, longer")
    node.service.decide(node.anna, node.ref, cid2, "revert", reason="too early")
    page = node.get("/history/notes/field.md")
    assert page.status_code == 200
    html = page.text
    assert html.count('class="change change-accept"') == 2
    assert html.count('class="change change-revert"') == 1
    assert html.index("change-revert") < html.index("change-accept")  # newest first
    assert f"/c/{node.ref}/contributions/{cid1}" in html
    assert f"/c/{node.ref}/contributions/{cid2}" in html
    assert f"/blob/{first}" in html and f"/blob/{second}" in html
    assert "add notes/field.md" in html
    data = node.get("/history/notes/field.md.json").json()
    assert [e["action"] for e in data["history"]] == ["revert", "accept", "accept"]
    assert data["history"][1]["size"] == len(b"two, longer")
    # a blob that only the history still names is served: the commons refers to it
    assert node.get(f"/blob/{second}").content == b"two, longer"


def test_kind_and_served_type():
    assert media.kind("text/markdown", "a") == "markdown"
    assert media.kind("text/plain", "README.md") == "markdown"
    assert media.kind("text/plain; charset=utf-8", "a.txt") == "text"
    assert media.kind("image/png", "a.png") == "image"
    assert media.kind("image/svg+xml", "a.svg") == "binary"
    assert media.kind("audio/ogg", "a.ogg") == "audio"
    assert media.kind("video/mp4", "a.mp4") == "video"
    assert media.kind("application/octet-stream", "a.bin") == "binary"
    assert media.kind("application/octet-stream", "a.png") == "image"
    assert served_type("image/png") == ("image/png", False)
    assert served_type("text/plain; charset=utf-8") == ("text/plain; charset=utf-8", False)
    for hostile in (
        "text/html",
        "TEXT/HTML; charset=utf-8",
        "image/svg+xml",
        "application/xhtml+xml",
        "text/javascript",
        "application/x-javascript",
        "text/plain\r\nSet-Cookie: a=b",
        "text/plain; x=<script>",
        "",
    ):
        assert served_type(hostile) == ("application/octet-stream", True), hostile


def test_blob_of_an_open_contribution_is_served(node):
    blob = node.service.blob_add(io.BytesIO(b"draft"), name="draft.txt")["hash"]
    assert node.get(f"/blob/{blob}").status_code == 404  # not part of the commons yet
    node.service.propose(node.anna, node.ref, "a draft", files={"draft.txt": blob})
    reply = node.get(f"/blob/{blob}")  # the heads moved: the references are read again
    assert reply.status_code == 200 and reply.content == b"draft"
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
