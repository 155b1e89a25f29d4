"""Fuzz the image loader and normaliser: mutated files of every allowed format (HEIC and AVIF too), plus raw bytes.

    python benchmarks/fuzz_images.py --cases 10000 [--json]

Expected outcomes are a normalised image, ImageError or NoInkError; anything else is counted as an
unexpected exception and printed. Pillow's DecompressionBombWarning is an error here (imageio does that).
"""

import argparse
import io
import json
import sys
import time
import traceback
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

# Importing imageio registers the HEIF decoder (and its encoder, which seeds() uses).
from desktop_cvae.vision.imageio import ImageError, decode_image
from desktop_cvae.vision.preprocess import NoInkError, normalize_image


def seeds() -> list[bytes]:
    a = np.full((48, 40), 240, np.uint8)
    a[8:40, 18:23] = 10
    img = Image.fromarray(a)
    out = []
    for fmt, im, kw in [("PNG", img, {}), ("JPEG", img, {}), ("GIF", img, {}), ("BMP", img, {}),
                        ("TIFF", img, {}), ("WEBP", img, {}), ("PPM", img, {}), ("PNG", img.convert("RGBA"), {}),
                        ("PNG", img.convert("P"), {"transparency": 0}), ("TIFF", img.convert("CMYK"), {}),
                        ("GIF", img, {"save_all": True, "append_images": [img.rotate(90)]}),
                        ("HEIF", img.convert("RGB"), {}), ("AVIF", img.convert("RGB"), {})]:
        buf = io.BytesIO()
        im.save(buf, format=fmt, **kw)
        out.append(buf.getvalue())
    return out


SEEDS = seeds()
stats = {"cases": 0, "image": 0, "refused": 0, "no_ink": 0, "unexpected": 0, "slowest_ms": 0.0}
failures: list[str] = []


def check(data: bytes) -> None:
    stats["cases"] += 1
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Pillow's notes on corrupt tags, by the thousand
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            normalize_image(decode_image(io.BytesIO(data)))
        stats["image"] += 1
    except ImageError:
        stats["refused"] += 1
    except NoInkError:
        stats["no_ink"] += 1
    except Exception:  # the point of the fuzzer: nothing else may escape
        stats["unexpected"] += 1
        if len(failures) < 20:
            failures.append(traceback.format_exc())
    stats["slowest_ms"] = max(stats["slowest_ms"], (time.perf_counter() - start) * 1000)


mutation = st.tuples(st.integers(0, 3), st.integers(0, 1 << 20), st.binary(min_size=1, max_size=16))


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for kind, pos, blob in draw(st.lists(mutation, min_size=1, max_size=6)):
        pos %= max(len(data), 1)
        if kind == 0:  # overwrite
            data[pos: pos + len(blob)] = blob
        elif kind == 1:  # insert
            data[pos:pos] = blob
        elif kind == 2:  # delete
            del data[pos: pos + len(blob) * 8]
        else:  # truncate
            del data[pos:]
    return bytes(data)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cases", type=int, default=10_000)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    @settings(max_examples=a.cases, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(mutated(), mutated(), mutated(), st.binary(max_size=512)))
    def fuzz(data):
        check(data)

    start = time.perf_counter()
    fuzz()
    stats["seconds"] = round(time.perf_counter() - start, 1)
    stats["slowest_ms"] = round(stats["slowest_ms"], 1)
    for f in failures:
        print(f, file=sys.stderr)
    print(json.dumps(stats) if a.json else
          f"{stats['cases']} cases in {stats['seconds']} s: {stats['image']} images, {stats['refused']} refused, "
          f"{stats['no_ink']} without ink, {stats['unexpected']} unexpected exceptions; "
          f"slowest {stats['slowest_ms']} ms")
    return 1 if stats["unexpected"] else 0


if __name__ == "__main__":
    sys.exit(main())
