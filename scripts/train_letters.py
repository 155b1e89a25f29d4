"""Train the letter judge the number reader uses to tell a letter from a digit (desktop_cvae/letters.py).

    apt-get install $(python scripts/train_letters.py --packages)   # Debian's fonts it learns from
    python scripts/train_letters.py --data ../shared/data/mnist.npz [--out resources/letters.npz] [--seed 0]

The CVAE takes a printed "H" for a sure 4 and an "e" for an 8: it was only ever shown digits, and its bound
tells letters from digits too weakly (a word read as "48110" at 98 %). This judge is a small convolutional net
on the same 28x28 input, trained to tell letters from digits:
- letters and signs that no one would take for a digit (LETTERS: a plus was a sure 4, an equals sign a 2, a
  euro sign a 6), from the fonts matplotlib ships
  and handwriting and print fonts of Debian's (font_paths), each drawn many times turned, slanted, squeezed,
  warped and with other pens, then normalised as the app normalises a digit;
- drawings that are no digit (desktop_cvae.doodles' TRAINED kinds: stars, hearts, faces, arrows, a tangle of
  loops, a blot; the model read a tangle as a sure 8), each drawn per_kind times, one in three with another pen;
- digits: MNIST's training digits as they are, a third of them again with another pen (desktop_cvae.pens), the
  national styles (desktop_cvae.styles), and the same fonts' digits drawn exactly as their letters are, so that
  print itself says nothing; and pairs of training digits touching or overlapping, read as one input (a number's
  touching digits are one piece before they are cut: taught nothing of them, the judge took such blobs for
  drawings, and the reader then left them uncut, as it leaves a word's letters). Pairs, not runs of three: three
  digits squeezed into one input make a flat band, and the judge then took a minus sign for digits.
  And training digits with a frame the normalisation may leave round them (a form's box, a ring, a line under
  them): taught nothing of them, the judge took most boxed or ringed digits for drawings.
Letters that look like digits (o, O, D, Q as 0; l, I, i, j, J as 1; s, S as 5; z, Z as 2; b, G as 6; g, q
as 9; T, t as 7 or +; c, C as an open 0; L) are not taught as letters: they are read as the digits they look
like. Some fonts are kept out (DEBIAN_FONTS says which), so that benchmarks/words.py measures words in fonts the
judge never saw.

The weights are saved (atomically) as a NumPy archive, which desktop_cvae/letters.py runs with NumPy
alone, with the figures printed here.
"""

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np

LETTERS = "adefhkmnpruvwxyABEFHKMNPRUVWXY#@&%?$+=-<>~^*€"  # and signs, which the model read as sure digits
DIGITS = "0123456789"
# Fonts matplotlib ships: DejaVu's sans, mono and serif faces and Computer Modern.
MATPLOTLIB_FONTS = ["DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique",
                    "DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique", "DejaVuSansMono-BoldOblique",
                    "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic", "cmr10",
                    "cmss10", "cmtt10", "cmb10", "cmti10"]
# Debian's fonts (FONT_PACKAGES): handwriting (Rufscript, Purisa, Seto, Klee, Kiloji), four of the Because We Had
# To project's handwritten capitals, Humor Sans (a hand's capitals), Comic Neue and Andika (print handwriting, a
# school's letters), and Liberation, Lato, Open Sans and Roboto (the print of labels and signs). Other fonts
# (BWHT Mentor and Organize, Breip, DKG Handwriting, FreeSans, Carlito) and matplotlib's STIX are what
# benchmarks/words.py draws its words in.
FONT_PACKAGES = ("fonts-rufscript fonts-tlwg-purisa fonts-seto fonts-klee fonts-kiloji fonts-bwht fonts-humor-sans "
                 "fonts-comic-neue fonts-sil-andika fonts-liberation fonts-lato fonts-open-sans fonts-roboto-fontface")
DEBIAN_FONTS = ["truetype/rufscript/Rufscript010.ttf", "truetype/tlwg/Purisa.ttf", "truetype/tlwg/Purisa-Bold.ttf",
                "truetype/tlwg/Purisa-Oblique.ttf", "truetype/seto/setofont.ttf", "truetype/klee/KleeOne-Regular.ttf",
                "truetype/klee/KleeOne-SemiBold.ttf", "truetype/kiloji/kiloji.ttf", "truetype/kiloji/kiloji_b.ttf",
                "opentype/bwht/BecauseWeBuild-Regular.otf", "opentype/bwht/BecauseWeConnect-Regular.otf",
                "opentype/bwht/BecauseWeCreate-Regular.otf", "opentype/bwht/BecauseWeLearn-Regular.otf",
                "truetype/humor-sans/Humor-Sans.ttf", "opentype/comic-neue/ComicNeue-Regular.otf",
                "opentype/comic-neue/ComicNeue-Bold.otf", "opentype/comic-neue/ComicNeue-Italic.otf",
                "truetype/liberation/LiberationSans-Regular.ttf", "truetype/liberation/LiberationSans-Bold.ttf",
                "truetype/liberation/LiberationSerif-Regular.ttf", "truetype/lato/Lato-Regular.ttf",
                "truetype/lato/Lato-Bold.ttf", "truetype/andika/Andika-Regular.ttf", "truetype/andika/Andika-Bold.ttf",
                "truetype/open-sans/OpenSans-Regular.ttf", "truetype/roboto-fontface/roboto/Roboto-Regular.ttf"]


def font_paths() -> list[Path]:
    import matplotlib

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    paths = [ttf / f"{name}.ttf" for name in MATPLOTLIB_FONTS]
    paths += [Path("/usr/share/fonts") / name for name in DEBIAN_FONTS]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"missing fonts ({', '.join(missing)}): apt-get install {FONT_PACKAGES}")
    return paths


def glyph_ink(ch: str, font_path, rng: np.random.Generator) -> np.ndarray:
    """One character as an ink map (1 = ink), drawn as a hand might: turned, slanted, squeezed and warped."""
    from PIL import Image, ImageDraw, ImageFont

    size = int(rng.integers(40, 121))
    font = ImageFont.truetype(str(font_path), size)
    left, top, right, bottom = font.getbbox(ch)
    pad = size // 2
    img = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(img).text((pad - left, pad - top), ch, font=font, fill=255)
    w, h = img.size
    # A random quadrilateral mapped onto the picture: a turn, a slant, a squeeze and a perspective-like warp.
    angle = np.radians(rng.uniform(-12, 12))
    shear = rng.uniform(-0.35, 0.35)
    squeeze = rng.uniform(0.75, 1.3)
    cx, cy = w / 2, h / 2
    corners = []
    for x, y in ((0, 0), (0, h), (w, h), (w, 0)):  # PIL's QUAD order: upper left, lower left, lower right, upper right
        dx, dy = (x - cx) * squeeze + shear * (y - cy), y - cy
        rx = dx * np.cos(angle) - dy * np.sin(angle)
        ry = dx * np.sin(angle) + dy * np.cos(angle)
        corners += [cx + rx + rng.normal(0, 0.04 * size), cy + ry + rng.normal(0, 0.04 * size)]
    img = img.transform((w, h), Image.Transform.QUAD, corners, Image.Resampling.BICUBIC)
    return np.asarray(img, np.float32) / 255


def drawable(ch: str, font_path: Path) -> bool:
    """The font draws ch as itself: not the empty box a font draws for a character it lacks (a square, which
    would teach the judge that a square 0 is a letter), nor, in Computer Modern's TeX encoding, the ¡ and ¿ it
    draws for < and >."""
    from fontTools.ttLib import TTFont  # matplotlib's own dependency

    if font_path.stem.startswith("cm") and ch in "<>":
        return False
    return ord(ch) in TTFont(str(font_path), lazy=True).getBestCmap()


def as_input(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """An ink map as the app's 28x28 input, one time in three written again with another pen; None where nothing is
    left of it."""
    from desktop_cvae.pens import redraw
    from desktop_cvae.vision.preprocess import NoInkError, ink_to_mnist

    try:
        x = ink_to_mnist(ink).pixels
        return redraw(x, rng) if rng.random() < 1 / 3 else x
    except NoInkError:
        return None


def glyphs(chars: str, fonts: list[Path], per_glyph: int, rng: np.random.Generator) -> np.ndarray:
    """Each character of each font drawn per_glyph times, as the app's 28x28 input; one in three with another
    pen on top."""
    out = []
    for path in fonts:
        for ch in chars:
            if not drawable(ch, path):
                continue
            out += [x for _ in range(per_glyph) if (x := as_input(glyph_ink(ch, path, rng), rng)) is not None]
    return np.asarray(out, np.float32)


def drawn_doodles(kinds, per_kind: int, rng: np.random.Generator) -> np.ndarray:
    """Each kind of drawing per_kind times, as the app's 28x28 input; one in three with another pen on top."""
    from desktop_cvae.doodles import doodle_ink

    out = [x for kind in kinds for _ in range(per_kind) if (x := as_input(doodle_ink(kind, rng), rng)) is not None]
    return np.asarray(out, np.float32)


def joined_digits(x_train: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` pairs of training digits side by side, touching or overlapping by up to 4 pixels of 28, each pair
    as the app's 28x28 input."""
    from desktop_cvae.vision.preprocess import NoInkError, ink_to_mnist

    out = []
    for i, j in rng.integers(0, len(x_train), (count, 2)):
        a, b = (x.astype(np.float32) / 255 for x in (x_train[i], x_train[j]))
        a, b = (d[:, np.flatnonzero(d.max(axis=0) > 0.2)] for d in (a, b))
        shared = min(int(rng.integers(0, 5)), a.shape[1] - 1, b.shape[1] - 1)
        pair = np.zeros((28, a.shape[1] + b.shape[1] - shared), np.float32)
        pair[:, : a.shape[1]] = a
        pair[:, a.shape[1] - shared:] = np.maximum(pair[:, a.shape[1] - shared:], b)
        try:
            out.append(ink_to_mnist(pair).pixels)
        except NoInkError:
            continue
    return np.asarray(out, np.float32)


def framed_digits(x_train: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` training digits with what a page leaves round a digit when it is not taken out: a form's box, a ring
    drawn round it, a line under it, or two or three sides of a box; each as the app's 28x28 input. Taught nothing of
    them, the judge took a boxed or ringed digit for a drawing (a box crossed is one)."""
    from PIL import Image, ImageDraw

    scale = 3  # drawn at three times MNIST's size, so that a frame's stroke can be thinner than the digit's
    out = []
    for i in rng.integers(0, len(x_train), count):
        digit = Image.fromarray(x_train[i]).resize((28 * scale, 28 * scale), Image.Resampling.BILINEAR)
        margin = 40
        img = Image.new("L", (28 * scale + 2 * margin, 28 * scale + 2 * margin), 0)
        img.paste(digit, (margin, margin))
        rows, cols = np.nonzero(np.asarray(img) > 64)
        if not len(rows):
            continue
        top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
        width = max(1, round(rng.uniform(0.3, 1.1) * 2.5 * scale))  # MNIST's strokes are about 2.5 pixels wide
        pad = rng.uniform(2, 14, 4).round().astype(int)  # above, below, left, right
        box = (left - pad[2], top - pad[0], right + pad[3], bottom + pad[1])
        draw = ImageDraw.Draw(img)
        kind = rng.integers(4)
        if kind == 0:  # a form's box
            draw.rectangle(box, outline=255, width=width)
        elif kind == 1:  # a ring drawn round it, open or overlapping its start
            start = rng.uniform(0, 360)
            draw.arc(box, start, start + rng.uniform(300, 380), fill=255, width=width)
        elif kind == 2:  # a line under it, sloping a little
            y0, y1 = bottom + pad[1], bottom + pad[1] + rng.integers(-4, 5)
            draw.line((left - rng.integers(-4, 20), y0, right + rng.integers(-4, 20), y1), fill=255, width=width)
        else:  # two or three sides of a box
            sides = [(box[0], box[1], box[2], box[1]), (box[0], box[3], box[2], box[3]),
                     (box[0], box[1], box[0], box[3]), (box[2], box[1], box[2], box[3])]
            for k in rng.choice(4, int(rng.integers(2, 4)), replace=False):
                draw.line(sides[k], fill=255, width=width)
        if (x := as_input(np.asarray(img, np.float32) / 255, rng)) is not None:
            out.append(x)
    return np.asarray(out, np.float32)


def mnist_digits(x_train: np.ndarray, y_train: np.ndarray, rng: np.random.Generator, seed: int) -> np.ndarray:
    from desktop_cvae import pens, styles

    x = x_train.astype(np.float32) / 255
    redrawn, _ = pens.redrawn(x_train, share=1 / 3, seed=seed)
    made = styles.variants_of(x_train, y_train, share=0.3, seed=seed)
    return np.concatenate([x, redrawn, *[images for images, _ in made.values()]])


def build(seed: int, filters: tuple[int, int] = (16, 32), units: int = 64):
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((28, 28)),
        keras.layers.Reshape((28, 28, 1)),
        keras.layers.Conv2D(filters[0], 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2D(filters[1], 3, strides=2, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(units, activation="relu"),
        keras.layers.Dense(1),  # the log odds of a letter
    ])


def weights_of(model) -> dict[str, np.ndarray]:
    conv1, conv2, dense1, dense2 = [layer for layer in model.layers if layer.weights]
    names = ("conv1", "conv2", "dense1", "dense2")
    out = {}
    for name, layer in zip(names, (conv1, conv2, dense1, dense2)):
        kernel, bias = layer.get_weights()
        out[f"{name}_kernel"], out[f"{name}_bias"] = kernel.astype(np.float32), bias.astype(np.float32)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="MNIST .npz (default: the Keras cache)")
    p.add_argument("--out", default="resources/letters.npz")
    p.add_argument("--per-glyph", type=int, default=40, help="drawings of each letter of each font")
    p.add_argument("--per-kind", type=int, default=1500, help="drawings of each kind of doodle")
    p.add_argument("--joined", type=int, default=10000, help="pairs of touching digits")
    p.add_argument("--framed", type=int, default=6000, help="digits in a box, a ring, or over a line")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--filters", type=int, nargs=2, default=(16, 32), help="the two convolutions' filters")
    p.add_argument("--units", type=int, default=64, help="the hidden dense layer's units")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--packages", action="store_true", help="print the Debian font packages it needs, and stop")
    a = p.parse_args()
    if a.packages:
        print(FONT_PACKAGES)
        return 0
    import keras

    from desktop_cvae import doodles
    from desktop_cvae.data import load_mnist
    from desktop_cvae.letters import LetterJudge
    from desktop_cvae.storage import write_bytes_atomic

    start = time.perf_counter()
    rng = np.random.default_rng(a.seed)
    data = load_mnist(a.data)
    fonts = font_paths()
    glyph_letters = glyphs(LETTERS, fonts, a.per_glyph, rng)
    drawn = drawn_doodles(doodles.TRAINED, a.per_kind, rng)
    letters = np.concatenate([glyph_letters, drawn])  # all that is no digit
    printed = glyphs(DIGITS, fonts, a.per_glyph, rng)
    written = np.concatenate([mnist_digits(data.x_train, data.y_train, rng, a.seed),
                              joined_digits(data.x_train, a.joined, rng),
                              framed_digits(data.x_train, a.framed, rng)])
    print(f"{len(glyph_letters)} letters, {len(drawn)} drawings, {len(printed)} printed digits, {len(written)} "
          f"handwritten digits ({time.perf_counter() - start:.0f} s)", flush=True)
    x = np.concatenate([letters, printed, written])
    y = np.r_[np.ones(len(letters)), np.zeros(len(printed) + len(written))].astype(np.float32)
    # Letters and drawings count half, printed and handwritten digits a quarter each, however many of each.
    weight = np.r_[np.full(len(letters), 0.5 / len(letters)), np.full(len(printed), 0.25 / len(printed)),
                   np.full(len(written), 0.25 / len(written))] * len(y)
    model = build(a.seed, tuple(a.filters), a.units)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    model.fit(x, y, sample_weight=weight, epochs=a.epochs, batch_size=128, shuffle=True, verbose=2)
    weights = weights_of(model)

    judge = LetterJudge(weights)
    keras_odds = model.predict(x[:500], verbose=0)[:, 0]
    if not np.allclose(judge.log_odds(x[:500]), keras_odds, atol=1e-3):
        print("the NumPy judge disagrees with the Keras model", file=sys.stderr)
        return 1
    test = data.x_test.astype(np.float32) / 255
    unseen = drawn_doodles(doodles.HELD_OUT, 200, np.random.default_rng(a.seed + 1))
    figures = {
        "letters_taken_for_letters": float(np.mean(judge.is_letter(glyph_letters))),
        "drawings_taken_for_letters": float(np.mean(judge.is_letter(drawn))),
        "unseen_drawings_taken_for_letters": float(np.mean(judge.is_letter(unseen))),
        "printed_digits_taken_for_letters": float(np.mean(judge.is_letter(printed))),
        "training_digits_taken_for_letters": float(np.mean(judge.is_letter(written))),
        "mnist_test_digits_taken_for_letters": float(np.mean(judge.is_letter(test))),
    }
    meta = {"command": "python scripts/train_letters.py " + " ".join(sys.argv[1:]), "letters": LETTERS,
            "fonts": [p.stem for p in fonts], "drawings": list(doodles.TRAINED), "seed": a.seed, "epochs": a.epochs,
            "filters": list(a.filters), "units": a.units,
            "per_glyph": a.per_glyph, "per_kind": a.per_kind, "joined": a.joined,
            "framed": a.framed,
            "train_seconds": round(time.perf_counter() - start), "figures": figures}
    archive = io.BytesIO()
    np.savez(archive, meta=np.array(json.dumps(meta)), **weights)
    write_bytes_atomic(a.out, archive.getvalue())
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
