"""Words given as a number: a label, a name, a word on a sign, read in Number mode.

    python benchmarks/words.py [--n 200] [--json]

The model was only shown digits and reads a letter as the digit it looks most like, so a word came out as a sure
number ("Hello" as 48110 at 98 %). Each condition draws --n words (seeds 0..n-1) from WORDS, in lower case,
capitalised or upper case, and reads the picture as the app reads a number (`numbers.read_number_image`). It
prints the share refused as letters (right), read but marked (some digit flagged or unsure: the person is told
to check) and read as a number with nothing marked (wrong, and silent), and the median confidence of the numbers
read.

The words are set in fonts the letter judge never saw (scripts/train_letters.py says what it learnt from), from
Debian's packages (PACKAGES) and matplotlib's STIX:
- hand: handwriting fonts with lower case (Breip, DKG Handwriting), each letter turned, sized and lifted a
  little on its own, as a hand places letters, on paper under a lamp, turned up to 3 degrees, saved as JPEG;
- hand, capitals: two of the Because We Had To project's handwritten capitals, the same way;
- print, sans and print, serif: typeset (FreeSans, Carlito; STIX, Times-like), on a clean scan.
Words whose every letter looks like a digit ("solo", "ZOO") are left out of WORDS: they are read as the digits
they look like, and no judge can tell. Whether numbers are taken for words is measured by benchmarks/numbers.py
(numbers refused, and digits flagged).
"""

import argparse
import io
import json
from pathlib import Path

import matplotlib
import numbergen
import numpy as np
from PIL import Image, ImageDraw, ImageFont

WORDS = [
    "Hello", "Total", "Name", "Date", "Street", "house", "cat", "Phone", "Amount", "Signature", "Address", "City",
    "Email", "Monday", "Paris", "Maria", "kitchen", "exit", "Open", "Sale", "Welcome", "Price", "Room", "Office",
    "Station", "Market", "Green", "river", "apple", "bread", "coffee", "Tea", "Invoice", "Order", "Number",
    "Account", "Bank", "Card", "Month", "Year", "Week", "today", "tomorrow", "North", "South", "East", "West",
    "Andrew", "Helen", "Peter", "Sarah", "James", "Anna", "Berlin", "Madrid", "London", "Rome", "garden",
    "window", "water", "Paper", "Black", "Red", "Blue", "yellow", "Monkey", "happy", "family", "school",
    "teacher", "friend", "mother", "father", "Merci", "Danke", "Gracias", "Hola", "Bonjour", "Straße",
]
STIX = [str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / f"{face}.ttf")
        for face in ("STIXGeneral", "STIXGeneralBol", "STIXGeneralItalic", "STIXGeneralBolIta")]
DEBIAN = "/usr/share/fonts/"
FACES = {
    "hand": [DEBIAN + "truetype/breip/Breip.ttf", DEBIAN + "truetype/fifthhorseman/dkg.ttf",
             DEBIAN + "truetype/fifthhorseman/dkgIt.ttf"],
    "hand, capitals": [DEBIAN + "opentype/bwht/BecauseWeMentor-Regular.otf",
                       DEBIAN + "opentype/bwht/BecauseWeOrganize-Regular.otf"],
    "print, sans": [DEBIAN + "truetype/freefont/FreeSans.ttf", DEBIAN + "truetype/freefont/FreeSansBold.ttf",
                    DEBIAN + "truetype/crosextra/Carlito-Regular.ttf", DEBIAN + "truetype/crosextra/Carlito-Bold.ttf"],
    "print, serif": STIX,
}
PACKAGES = "fonts-breip fonts-dkg-handwriting fonts-bwht fonts-freefont-ttf fonts-crosextra-carlito"


def _font(rng, faces: list[str], size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(rng.choice(faces)), size)


def _word(rng, word: str | None = None) -> str:
    word = word or str(rng.choice(WORDS))
    case = rng.integers(3)
    return word.lower() if case == 0 else word.upper() if case == 1 else word


def printed(rng, faces: list[str], word: str | None = None) -> tuple[bytes, str]:
    """Typeset, on a clean scan."""
    word, size = _word(rng, word), int(rng.integers(40, 140))
    font = _font(rng, faces, size)
    left, top, right, bottom = font.getbbox(word)
    pad = size
    page = Image.new("F", (right - left + 2 * pad, bottom - top + 2 * pad), 0.0)
    ImageDraw.Draw(page).text((pad - left, pad - top), word, font=font, fill=1.0)
    ink = np.asarray(page)
    return numbergen._png(0.95 * (1 - 0.9 * ink) + np.random.default_rng(0).normal(0, 0.01, ink.shape)), word


def photo(rng, faces: list[str], word: str | None = None) -> tuple[bytes, str]:
    """Each letter turned, sized and lifted a little on its own, as a hand places letters; on paper under a lamp,
    turned up to 3 degrees, saved as JPEG."""
    word, size = _word(rng, word), int(rng.integers(60, 140))
    font = _font(rng, faces, size)
    pad = size
    page = Image.new("F", (int(size * 0.9 * len(word)) + 2 * pad, 3 * size), 0.0)
    x = pad
    for ch in word:
        glyph_font = font.font_variant(size=int(size * rng.uniform(0.9, 1.1)))
        left, top, right, bottom = glyph_font.getbbox(ch)
        tile = Image.new("F", (right - left + 20, bottom - top + 20), 0.0)
        ImageDraw.Draw(tile).text((10 - left, 10 - top), ch, font=glyph_font, fill=1.0)
        tile = tile.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BILINEAR, expand=True, fillcolor=0.0)
        baseline = int(1.8 * size + rng.normal(0, 0.04 * size))
        y = baseline - tile.height + 10 + (bottom - glyph_font.getbbox("x")[3] if ch in "gjpqy" else 0)
        region = (x, max(y, 0))
        page.paste(Image.fromarray(np.maximum(np.asarray(page.crop((*region, region[0] + tile.width,
                                                                     region[1] + tile.height))),
                                              np.asarray(tile))), region)
        x += right - left + int(size * rng.uniform(0.06, 0.14))
    ink = np.asarray(page)[:, : x + pad]
    turned = np.asarray(Image.fromarray(ink).rotate(rng.uniform(-3, 3), resample=Image.Resampling.BILINEAR,
                                                    fillcolor=0.0))
    return numbergen._jpeg(numbergen._paper(turned, rng, lamp=0.3, level=0.84, contrast=0.8, noise=0.02)), word


# One letter opened as one digit (--letters): letters no one would take for a digit (as the judge learnt them);
# and signs, which the model read as sure digits (a plus as a 4, an equals sign as a 2, a euro sign as a 6).
ONE_LETTERS = "adefhkmnpruvwxyABEFHKMNPRUVWXY"
ONE_SIGNS = "+=-<>~^*€#@&%?"


def _has(face: str, ch: str) -> bool:
    """The font draws ch itself, not the empty box it draws for a character it lacks."""
    from fontTools.ttLib import TTFont  # matplotlib's own dependency

    return ord(ch) in TTFont(face, lazy=True).getBestCmap()

CONDITIONS = {"hand": photo, "hand, capitals": photo, "print, sans": printed, "print, serif": printed}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=200, help="words per condition")
    p.add_argument("--show", type=int, default=0, help="print the first N readings of each condition")
    p.add_argument("--letters", action="store_true", help="also: each of ONE_LETTERS and ONE_SIGNS in each "
                                                           "condition, opened as one digit, and the share flagged as "
                                                           "not a digit")
    p.add_argument("--digits", type=int, default=0, help="also: this many MNIST test digits as each of imagegen's "
                                                          "kinds of picture, and the share taken for letters")
    p.add_argument("--data", help="MNIST-format .npz for --digits (default: keras.datasets.mnist, cached)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.engine import Engine

    engine = Engine.load(default_model_path())
    result = {"n": a.n, "conditions": {}}
    missing = [f for faces in FACES.values() for f in faces if not Path(f).exists()]
    if missing:
        raise SystemExit(f"missing fonts ({', '.join(missing)}): apt-get install {PACKAGES}")
    for name, make in CONDITIONS.items() if a.n else ():  # --n 0: the other measures alone
        answers = []
        for seed in range(a.n):
            data, word = make(np.random.default_rng(seed), FACES[name])
            answers.append(answer_to(data, engine))
            if seed < a.show:
                print(f"  {name}: {word!r} -> {answers[-1][1]}")
        shares = result["conditions"][name] = tally(answers)
        if not a.json:
            print(f"{name:15s} refused {shares['refused']:6.1%}  marked {shares['marked']:6.1%}  "
                  f"silent {shares['silent']:6.1%}  median confidence of those read "
                  f"{shares['median_confidence']}", flush=True)
    if a.letters:
        for what, chars in (("one_letter", ONE_LETTERS), ("one_sign", ONE_SIGNS)):
            result[what] = {}
            for name, make in CONDITIONS.items():
                flagged = total = 0
                for k, ch in enumerate(chars):
                    faces = [f for f in FACES[name] if _has(f, ch)]
                    for seed in range(4 if faces else 0):
                        data, _ = make(np.random.default_rng(1000 * k + seed), faces, ch)
                        flagged += not_a_digit(data, engine)
                        total += 1
                result[what][name] = {"n": total, "flagged": round(flagged / total, 4)}
                if not a.json:
                    print(f"{what.replace('_', ' ')} as one digit, {name:15s}: flagged as not a digit "
                          f"{flagged / total:6.1%} of {total}", flush=True)
    if a.digits:
        result["digits_taken_for_letters"] = digits_taken_for_letters(a.digits, a.data)
        if not a.json:
            t = result["digits_taken_for_letters"]
            print(f"people's pictures of single digits taken for letters: {t['n']} of {t['of']} "
                  f"({t['n'] / t['of']:.2%}), labels {t['labels']}, kinds {t['kinds']}")
    if a.json:
        print(json.dumps(result))


def answer_to(data: bytes, engine) -> tuple[str, str, float | None]:
    """How the app answers a picture that holds no number, read as one: "refused" (right), "marked" (some digit
    flagged or unsure: the person is told to check) or "silent" (read as a number, nothing marked); what it shows;
    and the number's confidence (None if refused)."""
    from desktop_cvae.numbers.reader import read_number_image
    from desktop_cvae.vision.imageio import decode_image
    from desktop_cvae.vision.preprocess import NoInkError

    try:
        reading = read_number_image(decode_image(io.BytesIO(data)), engine)
    except NoInkError as e:
        return "refused", f"refused: {e}", None
    answer = "marked" if any(d.unsure for d in reading.digits) else "silent"
    return answer, f"{reading.marked} at {reading.confidence:.0%}", reading.confidence


def tally(answers: list[tuple[str, str, float | None]]) -> dict:
    """answer_to's answers -> the share of each answer, and the median confidence of the pictures read (None if
    none was)."""
    shares = {key: round(sum(answer == key for answer, _, _ in answers) / len(answers), 4)
              for key in ("refused", "marked", "silent")}
    confidence = [sure for _, _, sure in answers if sure is not None]
    return {**shares, "median_confidence": round(float(np.median(confidence)), 3) if confidence else None}


def not_a_digit(data: bytes, engine) -> bool:
    """Whether a picture opened as one digit is flagged Not a digit (or refused: no ink), as the app opens it."""
    from desktop_cvae.numbers.digit import normalize_image
    from desktop_cvae.vision.imageio import decode_image
    from desktop_cvae.vision.preprocess import NoInkError

    try:
        return not engine.analyze(normalize_image(decode_image(io.BytesIO(data))).pixels).looks_like_digit
    except NoInkError:
        return True


def digits_taken_for_letters(n: int, data: str | None) -> dict:
    """n MNIST test digits (seeded pick) as each kind of benchmarks/imagegen.py's pictures, opened as one digit:
    how many the letter judge takes for letters, of how many read."""
    import imagegen

    from desktop_cvae.data import load_mnist
    from desktop_cvae.letters import taken_for_letters
    from desktop_cvae.numbers.digit import normalize_image
    from desktop_cvae.vision.imageio import decode_image
    from desktop_cvae.vision.preprocess import NoInkError

    mnist = load_mnist(data)
    idx = np.random.default_rng(3).choice(len(mnist.x_test), n, replace=False)
    x, y = mnist.x_test[idx].astype(np.float32) / 255, mnist.y_test[idx]
    read, labels, kinds = 0, [], []
    for kind, make in imagegen.KINDS.items():
        rng = np.random.default_rng(0)
        for digit, label in zip(x, y):
            try:
                pixels = normalize_image(decode_image(io.BytesIO(make(digit, rng)))).pixels
            except NoInkError:
                continue
            read += 1
            if taken_for_letters(pixels[None])[0]:
                labels.append(int(label))
                kinds.append(kind)
    return {"of": read, "n": len(labels), "labels": sorted(labels), "kinds": sorted(set(kinds))}


if __name__ == "__main__":
    main()
