"""Fuzz the number reader and the one-digit clean-up: random scenes of boxes, lines, rings and blots.

    python benchmarks/fuzz_numbers.py --cases 1000 [--seed 0] [--json]

`fuzz_images.py` mutates image files, which tests decoding; the pictures it decodes are small and mostly refused.
The number reader's own steps (rings and boxes, lines, pieces, cut paths) see what a picture holds, and a crash
there came from big shapes: a cut path's column overflowed once its window passed 127 columns. Each case here is
a picture from 20 to 900 pixels either way, with up to a dozen rectangles, lines, ellipses and solid blocks of
any size, grey level and stroke, and noise; it goes through `numbers.read_number` and through opening it as one
digit (`numbers.digit.normalize_image`, which runs the ring, box and line steps). Expected outcomes are a reading
or NoInkError (a message for the person); anything else is counted as unexpected and printed.
"""

import argparse
import json
import sys
import time
import traceback

import numpy as np
from PIL import Image, ImageDraw


def scene(rng: np.random.Generator) -> Image.Image:
    w, h = int(rng.integers(20, 900)), int(rng.integers(20, 900))
    img = Image.new("L", (w, h), 240)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(0, 12))):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(-w, w)), y0 + int(rng.integers(-h, h))
        box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        grey, width = int(rng.integers(0, 200)), int(rng.integers(1, 20))
        shape = int(rng.integers(0, 4))
        if shape == 0:
            draw.rectangle(box, outline=grey, width=width)
        elif shape == 1:
            draw.line(box, fill=grey, width=width)
        elif shape == 2:
            draw.ellipse(box, outline=grey, width=width)
        else:
            draw.rectangle(box, fill=grey)
    noisy = np.asarray(img, np.float32) + rng.normal(0, rng.uniform(0, 20), (h, w))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cases", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.engine import Engine
    from desktop_cvae.numbers import read_number
    from desktop_cvae.numbers.digit import normalize_image
    from desktop_cvae.vision.preprocess import NoInkError

    engine = Engine.load(default_model_path())

    def as_number(img):
        return read_number(np.asarray(img, np.float32) / 255, engine)

    rng = np.random.default_rng(a.seed)
    stats = {"cases": 0, "read": 0, "no_ink": 0, "unexpected": 0, "slowest_ms": 0.0}
    failures = []
    start = time.perf_counter()
    for _ in range(a.cases):
        img = scene(rng)
        stats["cases"] += 1
        for read in (as_number, normalize_image):
            t = time.perf_counter()
            try:
                read(img)
                stats["read"] += 1
            except NoInkError:
                stats["no_ink"] += 1
            except Exception:  # noqa: BLE001 -- the point of the fuzzer: nothing else may escape
                stats["unexpected"] += 1
                failures.append(traceback.format_exc())
            stats["slowest_ms"] = max(stats["slowest_ms"], round((time.perf_counter() - t) * 1000, 1))
    stats["seconds"] = round(time.perf_counter() - start, 1)
    print(*failures[:20], sep="\n", file=sys.stderr)
    summary = (f"{stats['cases']} scenes in {stats['seconds']} s, each read as a number and as one digit: "
               f"{stats['read']} read, {stats['no_ink']} refused with a message, {stats['unexpected']} unexpected "
               f"exceptions; slowest {stats['slowest_ms']} ms")
    print(json.dumps(stats) if a.json else summary)
    return int(stats["unexpected"] > 0)


if __name__ == "__main__":
    sys.exit(main())
