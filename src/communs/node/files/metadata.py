"""What a file says about itself: image size, when and where a photo was taken (EXIF), how
long a recording lasts and its tags — read from the file's headers (Pillow, mutagen), never
from the whole file."""

import re
from pathlib import Path
from typing import Any

DATE_TAKEN = 36867  # EXIF DateTimeOriginal
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
_BOMB = re.compile(r"Image size \((\d+) pixels\)")


def read(path: Path, media: str) -> dict[str, Any]:
    """Metadata worth showing, by media type; empty when the file says nothing readable."""
    # Pillow and mutagen load when a file is read: commands that read none start quicker.
    import mutagen
    from PIL import Image, UnidentifiedImageError

    kind = (media or "").split("/")[0]
    try:
        if kind == "image":
            return _image(path)
        if kind in ("audio", "video"):
            return _recording(path)
    except Image.DecompressionBombError as error:  # far too many pixels: say how many
        found = _BOMB.search(str(error))
        return {"pixels": int(found.group(1))} if found else {}
    except (OSError, ValueError, UnidentifiedImageError, mutagen.MutagenError):
        pass  # a damaged or unknown file simply has nothing to show
    return {}


def _image(path: Path) -> dict[str, Any]:
    from PIL import Image

    with Image.open(path) as image:
        found: dict[str, Any] = {"width": image.width, "height": image.height}
        found["pixels"] = image.width * image.height
        exif = image.getexif()
        taken = exif.get_ifd(EXIF_IFD).get(DATE_TAKEN) or exif.get(306)  # 306: DateTime
        if taken:
            found["taken"] = str(taken)
        gps = exif.get_ifd(GPS_IFD)
        if gps.get(2) and gps.get(4):
            found["latitude"] = _degrees(gps[2], gps.get(1, "N"))
            found["longitude"] = _degrees(gps[4], gps.get(3, "E"))
    return found


def _degrees(parts: Any, ref: str) -> float:
    degrees, minutes, seconds = (float(p) for p in parts)
    value = degrees + minutes / 60 + seconds / 3600
    return round(-value if ref in ("S", "W") else value, 6)


def _recording(path: Path) -> dict[str, Any]:
    import mutagen

    audio = mutagen.File(path, easy=True)
    if audio is None:
        return {}
    found: dict[str, Any] = {}
    if getattr(audio, "info", None) and getattr(audio.info, "length", None):
        found["duration"] = round(float(audio.info.length), 1)
    for tag in ("title", "artist", "album", "date"):
        values = (audio.tags or {}).get(tag) if audio.tags else None
        if values:
            found[tag] = str(values[0])
    return found
