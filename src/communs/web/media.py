"""What a file is, for showing it (``kind``), and thumbnails of pictures (``thumbnail``).

Thumbnails are made with Pillow from a blob's file into a file of their own, once: a blob
never changes (it is named by its hash), so neither does its thumbnail. Only common raster
formats are opened (never EPS, which would run Ghostscript), pictures above ``MAX_PIXELS``
are refused before their pixels are decoded, and the EXIF orientation is applied so that
phone photos stand the right way up.
"""

import mimetypes
import os
import tempfile
import threading
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from ..core.errors import CommunsError
from ..domain.refusals import code, fault

THUMB_SIZE = 480  # pixels, the longest side
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is fine; a decompression bomb is not
# Pillow's own bomb check (it refuses outright above twice this), for every image it opens.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF")
# Media types a browser shows in <img> and Pillow reads: "image" kind on a file's page.
RASTER = {
    "image/png",
    "image/jpeg",
    "image/pjpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/x-ms-bmp",
    "image/tiff",
}
MARKDOWN_SUFFIXES = (".md", ".markdown")
# Text that is not text/*: still shown as text.
TEXT_TYPES = {
    "application/json",
    "application/xml",
    "application/x-yaml",
    "application/yaml",
    "application/toml",
    "application/x-sh",
    "application/sql",
    "application/x-tex",
    "application/javascript",
    "application/x-python-code",
    "application/geo+json",
    "application/ld+json",
    "application/x-subrip",
}

# Decoding a picture takes memory (up to 4 bytes a pixel, twice) and a core: one at a time,
# so that many requests for thumbnails keep the node's memory to that of one picture.
_working = threading.BoundedSemaphore(1)


TOO_MANY_PIXELS = code(
    "too_many_pixels",
    "this picture is {width}×{height} pixels ({megapixels} megapixels), more than the {limit} "
    "megapixels this node makes thumbnails of: download it instead",
)
PIXEL_BOMB = code(
    "pixel_bomb",
    "this picture has too many pixels to make a thumbnail of it safely ({detail})",
)
NOT_A_PICTURE = code(
    "not_a_picture",
    "this file is not a picture this node can show (it reads {formats}): download it instead",
)
DAMAGED_PICTURE = code(
    "damaged_picture", "this picture is damaged or truncated and cannot be shown ({detail})"
)


class NotAnImage(CommunsError):
    status = 415


class TooManyPixels(CommunsError):
    status = 422


class DamagedImage(CommunsError):
    status = 422


def media_type(media: str | None) -> str:
    """``text/plain; charset=utf-8`` → ``text/plain``."""
    return (media or "").split(";")[0].strip().lower()


def kind(media: str | None, path: str = "") -> str:
    """How a file is shown: markdown, text, image, audio, video or binary."""
    main = media_type(media)
    lower = path.lower()
    if main in ("text/markdown", "text/x-markdown") or lower.endswith(MARKDOWN_SUFFIXES):
        return "markdown"
    if main in RASTER:
        return "image"
    if main.startswith("audio/"):
        return "audio"
    if main.startswith("video/"):
        return "video"
    if main.startswith("text/") or main in TEXT_TYPES:
        return "text"
    if not main or main == "application/octet-stream":
        guessed, encoding = mimetypes.guess_type(lower, strict=False)
        if guessed and not encoding and guessed != main:
            return kind(guessed)
    return "binary"


def too_large_to_preview(about: dict) -> tuple[int, int] | None:
    """(megapixels, limit in megapixels) when a picture, as ``metadata.read`` describes it,
    has more pixels than thumbnails are made of; None otherwise."""
    pixels = about.get("pixels") or (about.get("width") or 0) * (about.get("height") or 0)
    if pixels > MAX_PIXELS:
        return round(pixels / 1e6), round(MAX_PIXELS / 1e6)
    return None


def thumb_paths(root: Path, blob_hex: str) -> tuple[Path, Path]:
    """Where the thumbnail of a blob is cached: ``root/ab/cdef….jpg`` (or ``.png``)."""
    folder = Path(root) / blob_hex[:2]
    return folder / f"{blob_hex[2:]}.jpg", folder / f"{blob_hex[2:]}.png"


def cached_thumb(root: Path, blob_hex: str) -> Path | None:
    for path in thumb_paths(root, blob_hex):
        if path.is_file():
            return path
    return None


def thumbnail(
    source: Path,
    root: Path,
    blob_hex: str,
    *,
    size: int = THUMB_SIZE,
    max_pixels: int | None = None,
) -> Path:
    """The cached thumbnail of the picture ``source`` (blob ``blob_hex``), made if missing.

    JPEG, or PNG when the picture has transparency. Written to a temporary file and renamed,
    so a reader never sees half a thumbnail. NotAnImage (415), TooManyPixels or DamagedImage (422).
    """
    found = cached_thumb(root, blob_hex)
    if found:
        return found
    with _working:
        found = cached_thumb(root, blob_hex)  # made by another request while we waited
        if found:
            return found
        picture, transparent = _shrunk(source, size, max_pixels or MAX_PIXELS)
        jpg, png = thumb_paths(root, blob_hex)
        target = png if transparent else jpg
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as out:
                if transparent:
                    picture.save(out, "PNG", optimize=True)
                else:
                    picture.save(out, "JPEG", quality=82, optimize=True, progressive=True)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return target


def _shrunk(source: Path, size: int, max_pixels: int) -> tuple[Image.Image, bool]:
    try:
        with Image.open(source, formats=FORMATS) as opened:
            width, height = opened.size
            if width * height > max_pixels:
                raise _too_many(width, height, max_pixels)
            if opened.mode.startswith("I;16") or opened.mode in ("I", "F"):
                # 16-bit greys (scans, microscopes): scale down to 8 bits, do not clip
                opened = opened.convert("I").point(lambda value: value / 256).convert("L")
            elif opened.mode in ("P", "1"):  # a palette is resized pixel by pixel: not that
                has_alpha = "transparency" in opened.info
                opened = opened.convert("RGBA" if has_alpha else "RGB")
            # In place, and the only full-size copy of the pixels: a JPEG is decoded at 1/2,
            # 1/4 or 1/8 scale (draft), any other first reduced by a whole factor (reduce).
            orientation = opened.getexif().get(0x0112, 1)  # EXIF Orientation
            opened.thumbnail((size, size))
            picture = opened
            if orientation != 1:
                picture.getexif()[0x0112] = orientation
                picture = ImageOps.exif_transpose(picture)
            transparent = picture.mode in ("RGBA", "LA", "PA") or (
                picture.mode == "P" and "transparency" in picture.info
            )
            wanted = "RGBA" if transparent else "RGB"
            if picture.mode != wanted:
                picture = picture.convert(wanted)
            picture.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise fault(TooManyPixels, PIXEL_BOMB, detail=str(error)) from None
    except UnidentifiedImageError:
        raise fault(NotAnImage, NOT_A_PICTURE, formats=list(FORMATS)) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise fault(DamagedImage, DAMAGED_PICTURE, detail=str(error)) from None
    return picture, transparent


def _too_many(width: int, height: int, limit: int) -> TooManyPixels:
    return fault(
        TooManyPixels,
        TOO_MANY_PIXELS,
        width=width,
        height=height,
        megapixels=f"{width * height / 1e6:.0f}",
        limit=f"{limit / 1e6:.0f}",
    )
