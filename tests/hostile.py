"""Crafted hostile and odd image files: what a person or an attacker can hand the app.

`make_all(folder)` writes them and returns {name: (path, expectation)}; expectation is "error" (refused
with a message), "image" (a valid image that must be recognised or say "no ink"), or "either".
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from desktop_cvae.vision import imageio  # noqa: F401  (registers HEIC, which the files below are saved as)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with_header(width: int, height: int, bit_depth=8, colour=0, body: bytes | None = None) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    idat = zlib.compress(body if body is not None else b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def digit_image(size=(120, 120)) -> Image.Image:
    """A plain dark "1"-like stroke on white paper."""
    a = np.full((size[1], size[0]), 245, np.uint8)
    h, w = a.shape
    a[h // 6: h - h // 6, w // 2 - max(w // 20, 1): w // 2 + max(w // 20, 1)] = 20
    return Image.fromarray(a)


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def make_all(folder: str | os.PathLike) -> dict[str, tuple[Path, str]]:
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[Path, str]] = {}

    def put(name: str, data: bytes, expect: str) -> None:
        p = d / name
        p.write_bytes(data)
        files[name] = (p, expect)

    good_png = encode(digit_image(), "PNG")
    good_jpg = encode(digit_image().convert("RGB"), "JPEG")
    put("empty.png", b"", "error")
    put("one-byte.png", b"\x89", "error")
    put("random.png", np.random.default_rng(0).bytes(4096), "error")
    put("signature-only.png", b"\x89PNG\r\n\x1a\n", "error")
    put("truncated.png", good_png[: len(good_png) // 2], "error")
    put("truncated.jpg", good_jpg[: len(good_jpg) // 3], "either")  # Pillow may decode a partial JPEG... or not
    put("jpeg-header-garbage.jpg", b"\xff\xd8\xff\xe0" + np.random.default_rng(1).bytes(2000), "error")
    put("png-bomb-100k.png", png_with_header(100_000, 100_000), "error")
    put("png-zero-width.png", png_with_header(0, 10), "error")
    put("png-bad-crc.png", good_png[:30] + bytes([good_png[30] ^ 0xFF]) + good_png[31:], "error")
    gif = encode(digit_image(), "GIF")
    put("gif-bomb.gif", gif[:6] + struct.pack("<HH", 65535, 65535) + gif[10:], "error")
    bmp = bytearray(encode(digit_image(), "BMP"))
    bmp[18:26] = struct.pack("<ii", 50_000, 50_000)
    put("bmp-bomb.bmp", bytes(bmp), "error")
    tif = encode(Image.new("L", (30_000, 30_000 // 30_000)), "TIFF")
    put("tiff-wide.tif", tif, "error")
    put("tiff-bomb.tif", encode(Image.new("1", (8, 8)), "TIFF").replace(struct.pack("<H", 8) * 1, struct.pack("<H", 8)),
        "either")
    put("tiny-1x1.png", encode(Image.new("L", (1, 1), 0), "PNG"), "either")
    put("tall-1x20000.png", encode(Image.new("L", (1, 20000), 255), "PNG"), "either")
    # Noisy pictures too narrow for a measure of grain across pixels two apart (it once crashed on them).
    noise = np.random.default_rng(7).integers(0, 256, (60, 2), dtype=np.uint8)
    put("noisy-strip-2x60.png", encode(Image.fromarray(noise), "PNG"), "either")
    put("noisy-2x2.png", encode(Image.fromarray(noise[:2]), "PNG"), "either")
    put("wide-20001x1.png", encode(Image.new("L", (20001, 1), 255), "PNG"), "error")
    put("extreme-aspect-digit.png", encode(digit_image((2000, 40)), "PNG"), "either")
    put("postscript.eps", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n(x) show\n", "error")
    put("document.pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n", "error")
    put("layers.psd", b"8BPS\x00\x01" + b"\0" * 200, "error")
    put("telescope.fits", b"SIMPLE  =                    T" + b" " * 2850, "error")
    put("vector.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><text>7</text></svg>', "error")
    put("archive.png", b"PK\x03\x04" + b"\0" * 100, "error")
    frames = [digit_image(), Image.new("L", (120, 120), 255)]
    put("animated.gif", encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100), "image")
    put("multipage.tif", encode(frames[0], "TIFF", save_all=True, append_images=frames[1:]), "image")
    sixteen = Image.fromarray((np.asarray(digit_image(), np.uint16) * 257))
    put("sixteen-bit.png", encode(sixteen, "PNG"), "image")
    put("cmyk.jpg", encode(digit_image().convert("CMYK"), "JPEG"), "image")
    put("cmyk.tif", encode(digit_image().convert("CMYK"), "TIFF"), "image")
    pal = digit_image().convert("P")
    put("palette-transparent.png", encode(pal, "PNG", transparency=0), "either")
    la = Image.merge("LA", [digit_image(), Image.new("L", (120, 120), 255)])
    put("gray-alpha.png", encode(la, "PNG"), "image")
    put("webp.webp", encode(digit_image(), "WEBP"), "image")
    put("truncated.webp", encode(digit_image(), "WEBP")[:40], "error")
    # HEIC (an iPhone's photos) and AVIF: ISO media files, decoded by libheif and libavif.
    heic, avif = encode(digit_image().convert("RGB"), "HEIF"), encode(digit_image().convert("RGB"), "AVIF")
    put("iphone.heic", heic, "image")
    put("photo.avif", avif, "image")
    put("truncated.heic", heic[: len(heic) // 2], "error")
    put("truncated.avif", avif[: len(avif) // 2], "error")
    ispe = heic.index(b"ispe")  # the image's declared size: 4 bytes of version and flags, then width and height
    put("heic-bomb.heic", heic[: ispe + 8] + struct.pack(">II", 100_000, 100_000) + heic[ispe + 16:], "error")
    put("portable.pgm", encode(digit_image(), "PPM"), "image")
    put("ppm-huge-dims.ppm", b"P5\n99999 99999\n255\n" + b"\0" * 100, "error")
    exif = Image.Exif()
    exif[0x0112] = 99  # not a valid orientation
    put("exif-bad-orientation.jpg", encode(digit_image().convert("RGB"), "JPEG", exif=exif), "image")
    put("цифра-７ №1.png", good_png, "image")
    put("bmp-negative-height.bmp", bytes(bmp[:18]) + struct.pack("<ii", 120, -120) + bytes(bmp[26:]), "either")
    # A 60 MB file (sparse: no real disk use) is refused by its size, unread.
    big = d / "huge-file.png"
    with open(big, "wb") as f:
        f.write(good_png[:16])
        f.truncate(60 * 1024 * 1024)
    files[big.name] = (big, "error")
    # Paths that are not readable files.
    (d / "a-folder.png").mkdir(exist_ok=True)
    files["a-folder.png"] = (d / "a-folder.png", "error")
    files["missing.png"] = (d / "missing.png", "error")
    loop = d / "loop.png"
    if not loop.is_symlink():
        os.symlink(loop, loop)
    files["loop.png"] = (loop, "error")
    fifo = d / "pipe.png"
    if not fifo.exists():
        os.mkfifo(fifo)
    files["pipe.png"] = (fifo, "error")
    return files
