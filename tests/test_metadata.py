"""What files say about themselves, shown on their page: a photo's size, date and place, a
recording's length."""

import math
import wave

from PIL import Image

from communs.node.files import metadata


def test_a_photo_tells_its_size_date_and_place(tmp_path):
    image = Image.new("RGB", (64, 48), (10, 20, 30))
    exif = Image.Exif()
    exif[306] = "2026:03:12 06:41:00"
    gps = {1: "N", 2: (48.0, 23.0, 24.0), 3: "W", 4: (4.0, 29.0, 6.0)}  # Brest
    exif[metadata.GPS_IFD] = gps
    path = tmp_path / "photo.jpg"
    image.save(path, exif=exif)
    found = metadata.read(path, "image/jpeg")
    assert (found["width"], found["height"]) == (64, 48)
    assert found["taken"] == "2026:03:12 06:41:00"
    assert (found["latitude"], found["longitude"]) == (48.39, -4.485)


def test_a_recording_tells_its_length(tmp_path):
    path = tmp_path / "curlew.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        frames = b"".join(
            int(8000 * math.sin(n / 5)).to_bytes(2, "little", signed=True) for n in range(12000)
        )
        out.writeframes(frames)
    assert metadata.read(path, "audio/x-wav")["duration"] == 1.5


def test_a_damaged_file_says_nothing(tmp_path):
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG not really")
    assert metadata.read(path, "image/png") == {}
    assert metadata.read(path, "text/plain") == {}
