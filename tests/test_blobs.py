import hashlib
import io
import os
import time
from pathlib import Path

import pytest

from communs.core.errors import BadInput, NotFound
from communs.node.files import blobs as blobs_module
from communs.node.files.blobs import BlobInfo, BlobStore


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def test_add_bytes_is_content_addressed(store: BlobStore, tmp_path: Path) -> None:
    info = store.add_bytes(b"hello\n")
    digest = hashlib.sha256(b"hello\n").digest()
    assert info == BlobInfo(digest, 6, "text/plain; charset=utf-8")
    hex = digest.hex()
    assert store.path(digest) == tmp_path / "blobs" / "sha256" / hex[:2] / hex[2:]
    assert store.has(digest)
    assert store.size(digest) == 6
    assert store.read_bytes(digest, 100) == b"hello\n"
    with store.open(digest) as file:
        assert file.read() == b"hello\n"


def test_adding_twice_keeps_one_file_and_no_temp(store: BlobStore, tmp_path: Path) -> None:
    first = store.add_bytes(b"same")
    second = store.add_stream(io.BytesIO(b"same"))
    assert first == second
    assert list(store.iter_hashes()) == [first.hash]
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_add_file_streams_in_chunks_and_guesses_media(
    store: BlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blobs_module, "CHUNK", 1000)  # many chunks for a small file
    data = os.urandom(10_500)
    source = tmp_path / "picture.png"
    source.write_bytes(data)
    info = store.add_file(source)
    assert info.hash == hashlib.sha256(data).digest()
    assert info.size == len(data)
    assert info.media == "image/png"
    assert store.read_bytes(info.hash, len(data)) == data


def test_stream_is_read_in_bounded_chunks(store: BlobStore) -> None:
    class Counting(io.BytesIO):
        largest = 0

        def read(self, size: int | None = -1) -> bytes:
            assert size is not None and size > 0, "the store must never read a stream whole"
            chunk = super().read(size)
            Counting.largest = max(Counting.largest, len(chunk))
            return chunk

    store.add_stream(Counting(b"x" * (3 * blobs_module.CHUNK + 5)))
    assert Counting.largest == blobs_module.CHUNK


@pytest.mark.parametrize(
    ("data", "name", "media"),
    [
        (b"plain words", None, "text/plain; charset=utf-8"),
        ("d\u00e9j\u00e0 vu".encode(), None, "text/plain; charset=utf-8"),
        (b"nul\x00inside", None, "application/octet-stream"),
        (b"\xff\xfe not utf-8", None, "application/octet-stream"),
        (b"\x89PNG\r\n", "logo.png", "image/png"),
        (b"anything", "notes.txt", "text/plain"),
        (b"\x1f\x8b...", "backup.tar.gz", "application/gzip"),
        (b"some text", "no-extension", "text/plain; charset=utf-8"),
    ],
)
def test_media(store: BlobStore, data: bytes, name: str | None, media: str) -> None:
    assert store.add_bytes(data, name=name).media == media


def test_text_cut_inside_a_character_is_still_text(store: BlobStore) -> None:
    # "é" is two bytes: put its first byte at the very end of the sniffed head.
    data = b"a" * (blobs_module.SNIFF - 1) + "é".encode() + b" and more"
    assert store.add_bytes(data).media == "text/plain; charset=utf-8"


def test_missing_blob_says_which_and_what_to_do(store: BlobStore) -> None:
    missing = hashlib.sha256(b"never added").digest()
    assert not store.has(missing)
    with pytest.raises(NotFound, match=missing.hex()[:12]) as caught:
        store.path(missing)
    assert "peer" in str(caught.value) and "import" in str(caught.value)
    with pytest.raises(NotFound):
        store.open(missing)
    with pytest.raises(NotFound):
        store.verify(missing)


def test_bad_hash_is_refused(store: BlobStore) -> None:
    with pytest.raises(BadInput):
        store.has(b"short")


def test_read_bytes_limit(store: BlobStore) -> None:
    info = store.add_bytes(b"0123456789")
    assert store.read_bytes(info.hash, 10) == b"0123456789"
    with pytest.raises(BadInput, match="10 bytes"):
        store.read_bytes(info.hash, 9)


def test_verify_detects_corruption(store: BlobStore) -> None:
    info = store.add_bytes(b"original")
    assert store.verify(info.hash)
    store.path(info.hash).write_bytes(b"tampered")
    assert not store.verify(info.hash)


def test_failed_write_leaves_nothing_behind(store: BlobStore, tmp_path: Path) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() > 0:
                raise OSError("disk vanished")
            return super().read(4)

    with pytest.raises(OSError, match="disk vanished"):
        store.add_stream(Broken(b"partial content"))
    assert list(store.iter_hashes()) == []
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_stale_temp_files_are_removed_on_open(tmp_path: Path) -> None:
    BlobStore(tmp_path / "blobs")
    tmp = tmp_path / "blobs" / "tmp"
    old, young = tmp / "blob-old", tmp / "blob-young"
    old.write_bytes(b"left by a crash")
    young.write_bytes(b"being written right now")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(old, (two_hours_ago, two_hours_ago))
    BlobStore(tmp_path / "blobs")
    assert not old.exists()
    assert young.exists()


def test_iter_hashes_ignores_foreign_files(store: BlobStore, tmp_path: Path) -> None:
    a = store.add_bytes(b"a").hash
    b = store.add_bytes(b"b").hash
    (tmp_path / "blobs" / "sha256" / "README").write_text("not a blob")
    (tmp_path / "blobs" / "sha256" / "zz").mkdir()
    (tmp_path / "blobs" / "sha256" / "zz" / "nothex").write_text("not a blob")
    assert sorted(store.iter_hashes()) == sorted([a, b])


def test_empty_blob(store: BlobStore) -> None:
    info = store.add_bytes(b"")
    assert info.size == 0
    assert info.hash == hashlib.sha256(b"").digest()
    assert store.read_bytes(info.hash, 0) == b""
