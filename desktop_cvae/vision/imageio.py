"""Opening image files people (or attackers) hand us: an allow-list of formats, limits checked before
decoding, the first frame only (a HEIF photo's primary image), EXIF orientation applied. Returns a Pillow image
or raises ImageError.
"""

from __future__ import annotations

import os
import stat
import struct
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC: what an iPhone saves a photo as. Decoded by libheif; the full image only, not its extras.
    from pillow_heif import register_heif_opener

    register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    HEIF_READABLE = True
except ImportError:  # a dependency of the package: missing only from an environment put together by hand
    HEIF_READABLE = False

# Formats whose decoders are common, well fuzzed and useful for photos, scans and screenshots.
# Deliberately absent: EPS (runs Ghostscript), PDF, PSD, FITS, and other rarely-used decoders.
ALLOWED_FORMATS = {"PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM", "AVIF"} | ({"HEIF"} if HEIF_READABLE else set())
EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm", ".pnm",
              ".avif") + ((".heic", ".heif") if HEIF_READABLE else ())
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo downscaled is fine; decompression bombs are not
MAX_SIDE = 20_000


class ImageError(Exception):
    """The file is not an image we can use; the message is fit to show a person."""


def file_dialog_filter() -> str:
    return "Images (" + " ".join(f"*{e}" for e in EXTENSIONS) + ")"


def open_image(path: str | os.PathLike) -> Image.Image:
    """Decode the first frame of an image file into memory, safely. Raises ImageError."""
    p = Path(path)
    name = p.name or str(p)
    try:
        if p.is_dir():
            raise ImageError(f"{name} is a folder, not an image file")
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise ImageError(f"{name} is not a regular file")
        size = st.st_size
    except ImageError:
        raise
    except FileNotFoundError:
        raise ImageError(f"{name}: file not found") from None
    except PermissionError:
        raise ImageError(f"{name}: permission denied") from None
    except OSError as e:  # symlink loops, name too long, I/O errors
        raise ImageError(f"{name}: cannot read the file ({e.strerror or e})") from None
    if size == 0:
        raise ImageError(f"{name} is empty")
    if size > MAX_FILE_BYTES:
        raise ImageError(f"{name} is {size / 1e6:.0f} MB; images up to {MAX_FILE_BYTES // 1_000_000} MB are accepted")
    try:
        with open(p, "rb") as f:
            return decode_image(f, name)
    except ImageError:
        raise
    except PermissionError:
        raise ImageError(f"{name}: permission denied") from None
    except OSError as e:
        raise ImageError(f"{name}: cannot read the file ({e.strerror or e})") from None


def decode_image(fp, name: str = "image") -> Image.Image:
    """Decode from an open binary file object. Raises ImageError for anything but a usable image."""
    with warnings.catch_warnings():
        # A decompression-bomb warning is an error here, not a hint.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(fp, formats=sorted(ALLOWED_FORMATS)) as im:
                w, h = im.size
                if w < 1 or h < 1 or w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
                    raise ImageError(f"{name} is {w}x{h} pixels; up to {MAX_PIXELS // 1_000_000} megapixels and "
                                     f"{MAX_SIDE} pixels a side are accepted")
                if im.format != "HEIF":  # a HEIF photo opens on its primary image, not always the first
                    im.seek(0)  # animated or multi-page: the first frame
                if im.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
                    im = im.convert("I")  # so numpy sees values, not raw bytes
                im.load()
                frame = im.copy()
                exif_frame = ImageOps.exif_transpose(frame)
                return exif_frame if exif_frame is not None else frame
        except ImageError:
            raise
        except UnidentifiedImageError:
            if _looks_like_allowed_format(fp):
                raise ImageError(f"{name} is damaged or truncated and cannot be decoded") from None
            if _is_heif(fp):
                raise ImageError(f"{name} is a HEIC photo, and this installation cannot read HEIC (pillow-heif is "
                                 "missing): save it as JPEG or PNG, or reinstall desktop-cvae") from None
            raise ImageError(f"{name} is not an image in a supported format "
                             f"({', '.join(sorted(ALLOWED_FORMATS))})") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageError(f"{name} declares too many pixels to open safely") from None
        except (OSError, SyntaxError, ValueError, RuntimeError, OverflowError, EOFError,
                IndexError, KeyError, TypeError, ZeroDivisionError, struct.error) as e:
            # RuntimeError: libheif's and libavif's word for a damaged file (NotImplementedError is one too),
            # and libheif's for a size past its own limits, which it checks before Pillow sees the size
            if isinstance(e, RuntimeError) and "security limit" in str(e).lower():
                raise ImageError(f"{name} declares too many pixels to open safely") from None
            raise ImageError(f"{name} is damaged or truncated and cannot be decoded ({type(e).__name__})") from None
        except MemoryError:
            raise ImageError(f"{name} needs too much memory to decode") from None


_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"P1", b"P2", b"P3", b"P4",
          b"P5", b"P6")


# The brands an ISO media file names in its first box for a still image: HEIC (HEVC-coded) and AVIF (AV1).
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
_AVIF_BRANDS = (b"avif", b"avis")


def _head(fp) -> bytes:
    try:
        fp.seek(0)
        return fp.read(12)
    except (OSError, ValueError):
        return b""


def _is_heif(fp) -> bool:
    head = _head(fp)
    return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


def _looks_like_allowed_format(fp) -> bool:
    """Whether the file starts like one of the allowed formats (to tell 'damaged' from 'unsupported')."""
    head = _head(fp)
    if head[4:8] == b"ftyp":
        return head[8:12] in _AVIF_BRANDS or (HEIF_READABLE and head[8:12] in _HEIF_BRANDS)
    return head.startswith(_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
