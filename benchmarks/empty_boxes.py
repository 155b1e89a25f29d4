"""Boxes with nothing written in them: a form's field left blank, a row of boxes not yet filled in.

    python benchmarks/empty_boxes.py [--n 50] [--data NPZ] [--json]

Each kind of empty box is drawn --n times (seeds 0..n-1) and opened as the app opens a picture: as one digit
(`numbers.digit.normalize_image`, then the model) and as a whole number (`numbers.read_number`). It prints, per
kind and mode, the share refused with a message (right), the share read but marked (a digit flagged as unlike any
digit, or the number with a digit marked unsure) and the share read as a digit or number unmarked (wrong, and
silent). An empty box read as a sure 0 or "12" was what this counts.

Then the other way round: MNIST's 10,000 test digits (from keras.datasets.mnist, cached, or --data), each drawn
120 pixels tall with a fine, a medium and a bold pen, and the share of them that `rings.empty_boxes` takes for a
box (a 0 is a closed loop with nothing inside too); with --numbers N, also N numbers of test digits under each of
benchmarks/numbergen.py's conditions, and how many of them have a box taken out by the number reader's first steps.
"""

import argparse
import io
import json

import numpy as np
from PIL import Image, ImageDraw

import numbergen


def _photo(frame: np.ndarray, rng) -> bytes:
    """Print or pen (1 = ink) on paper under a lamp, photographed: JPEG, a turn of up to 3 degrees."""
    turned = np.asarray(Image.fromarray(frame).rotate(rng.uniform(-3, 3), resample=Image.Resampling.BILINEAR,
                                                      fillcolor=0.0))
    return numbergen._jpeg(numbergen._paper(turned, rng, lamp=0.3, level=0.84, contrast=0.8, noise=0.02))


def printed_comb(rng) -> bytes:
    """A scanned form's comb of 1-8 printed boxes, all left blank (benchmarks/numbergen.py's form boxes)."""
    return numbergen.form_boxes(np.zeros((int(rng.integers(1, 9)), 28, 28), np.float32), rng)


def printed_box(rng) -> bytes:
    """One printed box, square to twice as wide as tall, thin to bold, pale or dark, photographed."""
    h = int(rng.integers(60, 200))
    w = int(h * rng.uniform(0.7, 2.0))
    frame = Image.new("F", (w + h, 2 * h), 0.0)
    ImageDraw.Draw(frame).rectangle([h // 2, h // 2, h // 2 + w, h // 2 + h], outline=float(rng.uniform(0.4, 0.9)),
                                    width=max(int(h * rng.uniform(0.01, 0.06)), 1))
    return _photo(np.asarray(frame), rng)


def rounded_box(rng) -> bytes:
    """One printed box with rounded corners (a radius up to a tenth of its height), photographed."""
    h = int(rng.integers(60, 200))
    w = int(h * rng.uniform(0.7, 2.0))
    frame = Image.new("F", (w + h, 2 * h), 0.0)
    ImageDraw.Draw(frame).rounded_rectangle([h // 2, h // 2, h // 2 + w, h // 2 + h], radius=int(h * rng.uniform(0, 0.1)),
                                            outline=0.9, width=max(int(h * rng.uniform(0.01, 0.05)), 1))
    return _photo(np.asarray(frame), rng)


def drawn_box(rng) -> bytes:
    """A box drawn by hand in four strokes, wobbling a little, its corners overshooting (numbergen's ringed box)."""
    h = 140
    w = int(h * rng.uniform(0.7, 2.0))
    frame = Image.new("F", (w + 2 * h, 3 * h), 0.0)
    pen = max(int(h * rng.uniform(0.03, 0.06)), 2)
    numbergen.hand_drawn_box(ImageDraw.Draw(frame), (h, h, h + w, 2 * h), rng, h, pen)
    return _photo(np.asarray(frame), rng)


KINDS = {"printed comb": printed_comb, "printed box": printed_box, "rounded box": rounded_box,
         "drawn box": drawn_box}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=50, help="pictures of each kind")
    p.add_argument("--data", help="MNIST-format .npz (default: keras.datasets.mnist, cached)")
    p.add_argument("--numbers", type=int, default=0, help="numbers per condition of numbergen.py to look in")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.engine import Engine
    from desktop_cvae.numbers import read_number
    from desktop_cvae.numbers.digit import normalize_image
    from desktop_cvae.vision.imageio import decode_image
    from desktop_cvae.vision.preprocess import NoInkError, image_to_gray

    engine = Engine.load(default_model_path())
    result = {"n": a.n, "kinds": {}}
    for kind, make in KINDS.items():
        counts = {mode: {"refused": 0, "marked": 0, "silent": 0} for mode in ("one digit", "number")}
        for seed in range(a.n):
            img = decode_image(io.BytesIO(make(np.random.default_rng(seed))))
            try:
                looks = engine.analyze(normalize_image(img).pixels).looks_like_digit
                counts["one digit"]["silent" if looks else "marked"] += 1
            except NoInkError:
                counts["one digit"]["refused"] += 1
            try:
                reading = read_number(image_to_gray(img), engine)
                counts["number"]["marked" if any(d.unsure for d in reading.digits) else "silent"] += 1
            except NoInkError:
                counts["number"]["refused"] += 1
        result["kinds"][kind] = {mode: {k: round(v / a.n, 4) for k, v in c.items()} for mode, c in counts.items()}
        if not a.json:
            print(f"{kind:13s} " + "   ".join(f"{mode}: refused {c['refused'] / a.n:5.0%} marked {c['marked'] / a.n:5.0%} "
                                            f"silent {c['silent'] / a.n:5.0%}" for mode, c in counts.items()), flush=True)
    from desktop_cvae.data import load_mnist
    from desktop_cvae.numbers import rings
    from desktop_cvae.numbers.segment import strong_pieces

    if not hasattr(rings, "empty_boxes"):  # an earlier revision's package on PYTHONPATH: the boxes' figures only
        print(json.dumps(result) if a.json else "this package does not look for empty boxes")
        return
    empty_boxes = rings.empty_boxes
    data = load_mnist(a.data)
    x = data.x_test.astype(np.float32) / 255.0
    taken = {}
    for pen in (0.3, 1.0, 2.0):  # imagegen's stroke widths: a ballpoint, as drawn, a felt marker
        taken[pen] = [int(data.y_test[i]) for i in range(len(x))
                      if empty_boxes(*strong_pieces(numbergen.digit_ink(x[i], 120, pen)))]
    result["digits_taken_for_boxes"] = {"of": 3 * len(x), "n": sum(len(t) for t in taken.values()),
                                        "labels": sorted(label for t in taken.values() for label in t)}
    if a.numbers:
        result["numbers_with_a_box_taken_out"] = numbers_with_boxes(rings, x, data.y_test, a.numbers, a.json)
    if a.json:
        print(json.dumps(result))
    else:
        t = result["digits_taken_for_boxes"]
        print(f"test digits taken for an empty box: {t['n']} of {t['of']} (three pens each)")


def numbers_with_boxes(rings, x, y, n: int, quiet: bool) -> dict:
    """Per condition, how many of n numbers of test digits have a box taken out, as the number reader finds its
    writing (`segment.find_writing` on the reader's ink map)."""
    from desktop_cvae.numbers import segment
    from desktop_cvae.numbers.reader import NUMBER_SIDE
    from desktop_cvae.vision.imageio import decode_image
    from desktop_cvae.vision.preprocess import image_to_gray, ink_map

    found = []
    look = rings.empty_boxes

    def counting(labels, pieces):
        boxes = look(labels, pieces)
        found.extend(boxes)
        return boxes

    rings.empty_boxes = counting
    counts = {}
    try:
        for condition in numbergen.CONDITIONS:
            before = len(found)
            for picture, _ in numbergen.numbers(condition, x, y, n, 0):
                m = ink_map(image_to_gray(decode_image(io.BytesIO(picture))), max_side=NUMBER_SIDE, ruled_lines=False)
                segment.find_writing(m.ink)
            counts[condition] = len(found) - before
            if not quiet:
                print(f"{condition:22s} boxes taken out of {n} numbers: {counts[condition]}", flush=True)
    finally:
        rings.empty_boxes = look
    return counts


if __name__ == "__main__":
    main()
