"""Reading a number with the CVAE: the segmentation's open questions answered by analysis by synthesis.

Where the pixels leave a question open (are these two pieces one digit? is this piece two digits, or three?),
every answer is normalised like a single digit and scored by the model. What the model says of a candidate (how
its best evidence bound compares with a typical test digit of that label, how sure it is of the label, how far
the next label stands, where its drawing of the digit and the candidate's ink part) and what the pixels say (its
height and width against the writing's, the ink its cuts cross) give its log odds of being one whole digit,
weighed by a logistic regression fitted on numbers whose digit boxes are known. The reading likeliest to be all
whole digits wins (dynamic programming along the line). Where another split is almost as likely, the digits it
would change are marked for the person to check.

`split="pixels"` answers the same questions by pixel rules alone (the benchmark's baseline).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image

from .. import letters
from ..vision import focus
from ..vision.pixels import grown
from ..vision.preprocess import (InkMap, NoInkError, Normalized, add_noise, even_ridges, ink_map,
                                 ink_to_mnist)
from . import crossed, marks, printed, segment
from .segment import Unit

NUMBER_SIDE = 1024  # a number's ink map is kept larger than a digit's: ten digits share its width
UNSURE_BELOW = 0.9  # a digit whose probability is below this is marked unsure
MAX_UNITS_PER_DIGIT = 3  # a digit is made of at most this many units
SPLIT_FROM = 1.5  # a piece this many digit widths wide or more is cut into candidate digits ...
MAYBE_SEVERAL = 0.75  # ... and one from this many, into two, where the model is not sure it is one digit:
ONE_DIGIT_LOGIT = 2.5  # its log odds of being one whole digit below this (a 1 against its neighbour reads as
# one digit at 1-2)
CUT_EVERY = 0.12  # writing heights between the guessed cuts across a piece, besides its ink's valleys ...
MOST_CUTS = 48  # ... and at most this many of them
VALLEYS = 8  # the valleys of least ink tried as cuts
VALLEY_MARGIN = 0.08  # writing heights at each end of a piece where no valley is looked for
SLIVER = 0.06  # writing heights: a cut closer than this to a piece's end is no cut
SAME_CUT = 0.05  # writing heights: cuts closer than this are the same cut
WIDEST = 1.3  # writing heights: the widest piece between two cuts that is tried as one digit
SHARED_ZONE = 0.45  # digit widths: two overlapping digits are tried cropped past each other's cut by up to this ...
SHARED_PAIRS = 12  # ... for this many pairs of pieces per unit, those likeliest to be whole digits as they are
# A candidate's log odds of being one whole digit: SPLIT_WEIGHTS times split_features, a logistic regression
# fitted on the candidates of numbers with known digit boxes, made of MNIST training digits
# (`python benchmarks/fit_split.py` fits and prints them). A reading costs minus the sum of its digits' log odds
# plus DIGIT_PRIOR each: dynamic programming picks the reading likeliest to be all whole digits.
SPLIT_FEATURES = ("bias", "worse than typical", "better than typical", "-log p(label)", "short", "wide", "narrow",
                  "ink its cuts cross", "joined", "cut", "label margin", "|log height|", "wider than digits",
                  "a 1", "a 1 cut from a piece", "ink not drawn in the middle", "drawn, not inked")
SPLIT_WEIGHTS = np.array([4.391, -0.6141, 0.1514, -0.06265, -3.265, -3.903, -1.941, -0.5429, -0.6324, -1.262, 0.8064,
                          -6.667, -0.04821, -0.8297, -0.5495, -10.29, 2.413])
SIDE_COLUMNS = 9  # of the model's 28, each side: ink left undrawn there is as often a digit's own slant as not
DIGIT_PRIOR = 1.0  # log odds each digit of a reading earns: fewer, larger digits otherwise win a close call
SCRIBBLES_CUT = True  # a piece between cuts may be a digit scribbled out: one that touches its neighbour
SPLIT_MARGIN = 2.0  # a digit is marked when the best reading without it costs less than this much more
SPLITS = ("model", "pixels")
# A digit of a number, written apart from the others, does not look like a digit past this percentile of the test
# digits' bounds (a single digit: engine.OOD_PERCENTILE, 99.5). Drawn by other pens, real digits in numbers lie
# past the single digit's threshold three times as often as test digits do (benchmarks/numbers.py prints both
# shares), and those marks asked people to check numbers read right. A digit cut from a piece, or joined from
# several, keeps the single digit's threshold: there an odd shape is often a wrong cut, and the mark catches it.
NOT_A_DIGIT_PERCENTILE = 99.7
# A number with a digit marked for a reason other than its label's probability (its split in doubt, unlike any
# digit, maybe a slash) is right less often than its digits' probabilities say. Each such mark multiplies the
# number's confidence by this, fitted by maximum likelihood on the tuning set's numbers of MNIST training digits
# (`python benchmarks/numbers.py --n 50 --digits train` prints the fit).
MARK_FACTOR = 0.89
# Letters (desktop_cvae/letters.py). The line's characters fall into words where a gap is wider than WORD_GAP
# writing heights; one with at least WORD_LETTERS characters taken for letters, and at least WORD_SHARE of its
# characters, is a word, not digits ("Total", "Tel"), and is left out with a note; a line of words alone is
# refused. Letters elsewhere are marked as unlike any digit.
WORD_GAP = 0.4
WORD_LETTERS = 2
WORD_SHARE = 1 / 3
MAX_LINES_PASSED = 2  # lines of words with more ink than the number's passed over at most


@dataclass
class DigitReading:
    box: tuple[int, int, int, int]  # (x, y, w, h) in the picture's own pixels
    label: int
    probabilities: np.ndarray  # (10,)
    neg_elbo: float  # the best label's -ELBO, nats
    looks_like_digit: bool
    normalized: Normalized  # the 28x28 model input, before any noise
    split_doubt: bool = False  # another split of the ink around this digit cost almost as little
    maybe_slash: bool = False  # a 1 leaning like a slash ("12/05/2024"), which the pixels cannot tell from one
    letter_like: bool = False  # taken for a letter by letters.LetterJudge (then looks_like_digit is False too)

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.label])

    @property
    def doubts(self) -> int:
        """How many doubts other than its label's probability it is marked for: its split in doubt, unlike any
        digit, maybe a slash."""
        return int(self.split_doubt) + int(not self.looks_like_digit) + int(self.maybe_slash)

    @property
    def unsure(self) -> bool:
        """Marked for the person to check: the model is not sure which digit, or that this ink is one digit, or it
        is unlike any digit."""
        return self.confidence < UNSURE_BELOW or self.doubts > 0


@dataclass
class NumberReading:
    digits: list[DigitReading]
    notes: list[str] = field(default_factory=list)
    source_size: tuple[int, int] = (0, 0)  # (w, h) of the picture read

    @property
    def number(self) -> str:
        return "".join(str(d.label) for d in self.digits)

    @property
    def confidence(self) -> float:
        """The probability that every digit is right: the product of the digits' label probabilities (their errors
        taken as independent), times MARK_FACTOR for each of their other doubts."""
        if not self.digits:
            return 0.0
        return float(np.prod([d.confidence for d in self.digits]) * MARK_FACTOR ** sum(d.doubts for d in self.digits))

    @property
    def cautions(self) -> list[str]:
        """The notes to show beside the number itself: what was left out of it, and 1s that may be slashes."""
        return cautions(self.notes)

    @property
    def marked(self) -> str:
        """The number with each unsure digit followed by '?', for people to read."""
        return "".join(f"{d.label}?" if d.unsure else str(d.label) for d in self.digits)

    def to_json(self, file: str) -> dict:
        """The command line's contract: exactly these keys."""
        return {"file": file, "number": self.number,
                "digits": [{"box": [int(v) for v in d.box], "label": int(d.label),
                            "probabilities": [round(float(p), 6) for p in d.probabilities]} for d in self.digits],
                "confidence": round(self.confidence, 6)}


def cautions(notes: list[str]) -> list[str]:
    """Of a reading's notes (those kept in an archive too), the ones about the number itself rather than about
    the picture: ink left out of it, 1s that may be slashes, characters that look like letters."""
    return [n for n in notes if "left out" in n or "slash" in n or "like a letter" in n or "like letters" in n]


# -- what a typical digit of each label costs --------------------------------------------------------------
_references: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


TYPICAL_PERCENTILE = 90  # a digit whose bound is within this percentile of its label's test digits is typical


def label_reference(engine) -> np.ndarray:
    """Per label: the TYPICAL_PERCENTILE-th percentile of the -ELBO of the shipped sample's test digits of that
    label under it (nats). Computed once per engine (one batch pass over 1,000 digits)."""
    ref = _references.get(engine)
    if ref is None:
        from ..data import load_sample

        sample = load_sample()
        x, y = sample.x_test.astype(np.float32) / 255.0, sample.y_test.astype(np.int64)
        scores = engine.bounds(x)
        ref = np.array([np.percentile(scores[y == c, c], TYPICAL_PERCENTILE) for c in range(10)], np.float64)
        _references[engine] = ref
    return ref


# -- candidate digits -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """A candidate digit: some units, optionally between two cut paths (indices into the cluster's paths)."""

    units: tuple[int, ...]  # indices into the line's units
    left: int | None  # cut path index, or None: from the units' left edge
    right: int | None
    # Two digits that overlap: each is cropped past the other's cut, and the strokes they share there go to the one
    # whose drawing explains them (`_Judge._shared_crop`). `beside` is the other digit, as cropped on its own.
    beside: Candidate | None = None


class _Line:
    """One line of writing and the crops of its candidate digits."""

    def __init__(self, writing: segment.Writing, units: list[Unit]):
        self.w = writing
        self.units = units
        self.paths: list[tuple[np.ndarray, int]] = []  # (path, y0)
        self.digit_width = digit_width(units, writing.height)
        self._masks: dict = {}

    def add_path(self, path: np.ndarray, y0: int) -> int:
        self.paths.append((path, y0))
        return len(self.paths) - 1

    def crop(self, c: Candidate) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
        """The candidate's ink alone, cropped, and its box in the straightened map; None if it holds no ink."""
        x0, y0, mask = self.region(c)
        return self.cropped(x0, y0, mask)

    def region(self, c: Candidate) -> tuple[int, int, np.ndarray]:
        """Where the candidate's ink lies: a box's corner in the straightened map and its mask there."""
        units = [self.units[i] for i in c.units]
        x0, x1 = min(u.x0 for u in units), max(u.x1 for u in units)
        y0, y1 = min(u.y0 for u in units), max(u.y1 for u in units)
        # Only the columns between its cuts: a piece of a wide unit is cropped at its own size, not the unit's.
        if c.left is not None:
            x0 = max(x0, int(self.paths[c.left][0].min()))
        if c.right is not None:
            x1 = min(x1, int(self.paths[c.right][0].max()) + 1)
        pad = 2
        X0, Y0 = max(x0 - pad, 0), max(y0 - pad, 0)
        X1, Y1 = min(x1 + pad, self.w.ink.shape[1]), min(y1 + pad, self.w.ink.shape[0])
        ids = [p.index for u in units for p in u.pieces]
        mask = segment.with_rims(np.isin(self.w.labels[Y0:Y1, X0:X1], ids))
        cols = np.arange(X0, X1)[None, :]
        for index, keep_right in ((c.left, True), (c.right, False)):
            if index is None:
                continue
            path, py0 = self.paths[index]
            rows = np.clip(np.arange(Y0, Y1) - py0, 0, len(path) - 1)
            cut = path[rows][:, None]
            mask &= (cols >= cut) if keep_right else (cols < cut)
        return X0, Y0, mask

    def cropped(self, X0: int, Y0: int, mask: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
        """The ink under a mask whose corner is (X0, Y0), cropped, and its box; None if it holds no ink."""
        ink = self.w.ink[Y0:Y0 + mask.shape[0], X0:X0 + mask.shape[1]] * mask
        rows_on, cols_on = np.nonzero(ink > segment.INK_LEVEL)
        if len(rows_on) < 3:
            return None
        # Contrast per digit: a fainter digit of the number (or one blurred by straightening) reaches full ink,
        # as a digit read alone does after the picture-wide stretch.
        strong = float(np.percentile(ink[rows_on, cols_on], 90))
        ink = np.clip(ink / max(strong, segment.INK_LEVEL), 0.0, 1.0)
        r0, r1, c0, c1 = rows_on.min(), rows_on.max() + 1, cols_on.min(), cols_on.max() + 1
        return ink[r0:r1, c0:c1], (int(X0 + c0), int(Y0 + r0), int(c1 - c0), int(r1 - r0))


def _clusters(unsure: list[bool]) -> list[list[int]]:
    """Runs of unit indices joined by unsure links: each run is decided on its own."""
    runs, current = [], [0]
    for i, link in enumerate(unsure, start=1):
        if link:
            current.append(i)
        else:
            runs.append(current)
            current = [i]
    runs.append(current)
    return runs


def digit_width(units: list[Unit], height: float) -> float:
    """A digit's width in this number: the median width of its units that are plainly one digit (not a narrow 1,
    not wide enough to be two), or 0.65 heights, MNIST's, where fewer than two are."""
    single = [u.width for u in units if 0.3 * height <= u.width <= 1.1 * height]
    return float(np.median(single)) if len(single) >= 2 else 0.65 * height


def _unit_cuts(line: _Line, index: int, height: float, force: bool = False) -> list[int]:
    """Where a unit might be cut into digits: the cheapest top-to-bottom paths near the columns where least ink
    stands and every CUT_EVERY heights across it, left to right (path indices). None (an empty list) for a unit
    narrower than SPLIT_FROM digit widths, unless `force`d (the model doubts it is one digit)."""
    u = line.units[index]
    if not force and u.width < SPLIT_FROM * line.digit_width:
        return []
    guesses = segment.valley_guesses(line.w.ink, u.x0, u.x1, u.y0, u.y1, height, 2, VALLEY_MARGIN, VALLEYS)
    # Scribbles many heights long would make thousands of candidates: a unit gets MOST_CUTS guesses at most.
    step = max(CUT_EVERY * height, u.width / MOST_CUTS)
    guesses += list(np.arange(u.x0 + step, u.x1 - 0.5 * step, step))
    paths = segment.cut_paths(line.w.ink, u.x0, u.x1, u.y0, u.y1, sorted(set(guesses)), 0.15 * height)
    kept: list[tuple[float, np.ndarray]] = []
    for path in sorted(paths, key=lambda p: float(np.mean(p))):
        spot = float(np.mean(path))
        if spot - u.x0 < SLIVER * height or u.x1 - spot < SLIVER * height:
            continue  # a sliver at the unit's end is no digit
        if kept and spot - kept[-1][0] < SAME_CUT * height:
            continue  # the same cut found twice
        kept.append((spot, path))
    return [line.add_path(path, u.y0) for _, path in kept]


def _pieces_of(line: _Line, unit: int, cuts: list[int], two_at_most: bool = False
               ) -> dict[tuple[int, int], Candidate]:
    """Every piece of a unit between two of its cut positions (0 its left edge, len(cuts) + 1 its right), up to
    the widest a digit can be; `two_at_most`: only the unit whole and its two sides at each cut (a unit too
    narrow to hold three digits)."""
    u = line.units[unit]
    edge = [None, *cuts, None]
    spot = [u.x0, *(float(np.mean(line.paths[k][0])) for k in cuts), u.x1]
    widest = WIDEST * line.w.height
    last = len(edge) - 1

    def wanted(a: int, b: int) -> bool:
        if two_at_most:
            return a == 0 or b == last
        return b == a + 1 or spot[b] - spot[a] <= widest or (a == 0 and b == last)

    return {(a, b): Candidate((unit,), edge[a], edge[b])
            for a in range(len(edge) - 1) for b in range(a + 1, len(edge)) if wanted(a, b)}


def _pixel_choice(line: _Line, cluster: list[int], cuts: dict[int, list[int]]) -> list[Candidate]:
    """The pixel-only reading: unsure pieces joined when they share a third of their columns, and a wide unit
    cut into as many digits as its width holds at one digit width each, at the cuts nearest even spacing."""
    groups = [[cluster[0]]]
    for i in cluster[1:]:
        a, b = line.units[groups[-1][-1]], line.units[i]
        overlap = max(segment.horizontal_overlap(p, q) for p in a.pieces for q in b.pieces)
        if overlap >= 0.33:
            groups[-1].append(i)
        else:
            groups.append([i])
    out = []
    for g in groups:
        if len(g) > 1 or not cuts.get(g[0]):
            out.append(Candidate(tuple(g), None, None))
            continue
        u = line.units[g[0]]
        parts = max(1, int(round(u.width / line.digit_width)))
        spots = [float(np.mean(line.paths[k][0])) for k in cuts[g[0]]]
        chosen = []
        for j in range(1, parts):
            want = u.x0 + u.width * j / parts
            k = int(np.argmin([abs(x - want) for x in spots]))
            if cuts[g[0]][k] not in chosen:
                chosen.append(cuts[g[0]][k])
        chosen.sort(key=lambda k: float(np.mean(line.paths[k][0])))
        edge = [None, *chosen, None]
        out.extend(Candidate((g[0],), edge[i], edge[i + 1]) for i in range(len(edge) - 1))
    return out


class _Judge:
    """The model's view of a line's candidate digits: each normalised as a single digit, scored in batches
    (`add`), and each given its cost (the module docstring says why these terms)."""

    def __init__(self, line: _Line, engine, candidates: list[Candidate]):
        self.line = line
        self.engine = engine
        self.crops: dict[Candidate, tuple | None] = {}
        self.normalized: dict[Candidate, Normalized] = {}
        self.scores: dict[Candidate, np.ndarray] = {}
        self.drawings: dict[Candidate, np.ndarray] = {}  # the model's drawing of each under its best label
        self.reference = label_reference(engine)
        self.lattices: list[_Lattice] = []  # each cluster's readings (_model_choice)
        self.scribbled: set[int] = set()  # units that are digits scribbled out, left whole (_model_choice)
        self._costs: dict = {}
        self.add(candidates)
        if not self.normalized:
            raise NoInkError("No digits found: no pen strokes stand out from the paper.")

    def add(self, candidates: list[Candidate]) -> None:
        """Normalise and score the candidates not seen yet, in one batch."""
        new = [c for c in dict.fromkeys(candidates) if c not in self.crops]
        for c in new:
            got = self.crops[c] = self.line.crop(c) if c.beside is None else self._shared_crop(c)
            if got is not None:
                try:
                    self.normalized[c] = ink_to_mnist(got[0])
                except NoInkError:
                    pass
        scored = [c for c in new if c in self.normalized]
        if scored:
            bounds, drawings = self.engine.bounds_and_drawings(np.stack([self.normalized[c].pixels for c in scored]))
            self.scores.update(zip(scored, bounds))
            self.drawings.update(zip(scored, drawings))

    def _shared_crop(self, c: Candidate) -> tuple | None:
        """The candidate's crop without the strokes, in the columns it shares with the digit beside it, that the
        model's drawing of that digit explains better than its own drawing does (both scored already)."""
        own = replace(c, beside=None)
        x0, y0, mask = self.line.region(own)
        ox, oy, other = self.line.region(c.beside)
        theirs, dy, dx = np.zeros_like(mask), oy - y0, ox - x0  # the other's mask in this one's box
        r0, c0 = max(dy, 0), max(dx, 0)
        r1, c1 = min(dy + other.shape[0], mask.shape[0]), min(dx + other.shape[1], mask.shape[1])
        if r1 > r0 and c1 > c0:
            theirs[r0:r1, c0:c1] = other[r0 - dy:r1 - dy, c0 - dx:c1 - dx]
        mine, other_drawn = self._drawn(own, x0, y0, mask.shape), self._drawn(c.beside, x0, y0, mask.shape)
        # Each shared stroke goes to one of the two, as cut pieces do: a tie to the digit on the left.
        given = mask & theirs & ((other_drawn > mine) if x0 <= ox else (other_drawn >= mine))
        return self.line.cropped(x0, y0, mask & ~given)

    def _drawn(self, c: Candidate, x0: int, y0: int, shape: tuple[int, int]) -> np.ndarray:
        """The model's drawing of a scored candidate, a pixel thicker, laid over the straightened map's pixels
        of the box at (x0, y0) of `shape`: its input's ink box in the 28x28 maps onto the candidate's crop box."""
        bx, by, bw, bh = self.crops[c][1]
        pixels = self.normalized[c].pixels
        rows, cols = np.flatnonzero(pixels.max(axis=1) > 0.2), np.flatnonzero(pixels.max(axis=0) > 0.2)
        if not rows.size:  # nothing but a faint haze: it draws nothing anywhere
            return np.zeros(shape, np.float32)
        at_rows = rows[0] + (np.arange(y0, y0 + shape[0]) + 0.5 - by) * (rows[-1] + 1 - rows[0]) / bh - 0.5
        at_cols = cols[0] + (np.arange(x0, x0 + shape[1]) + 0.5 - bx) * (cols[-1] + 1 - cols[0]) / bw - 0.5
        return _sampled(grown(self.drawings[c], 1), at_rows, at_cols)

    def cost(self, c: Candidate | None) -> float:
        if c not in self._costs:  # asked again for every reading compared
            self._costs[c] = self._cost(c)
        return self._costs[c]

    def _cost(self, c: Candidate | None) -> float:
        z = self.one_digit_logit(c)
        return np.inf if z is None else -(z + DIGIT_PRIOR)

    def one_digit_logit(self, c: Candidate) -> float | None:
        """The log odds that the candidate is one whole digit, from what the model and the pixels say of it
        (`split_features`, weighed by SPLIT_WEIGHTS); None for a candidate without ink."""
        s = self.scores.get(c)
        if s is None:
            return None
        return float(split_features(self, c) @ SPLIT_WEIGHTS)


def _sampled(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """An image sampled at every (row, col) of a grid, linearly between pixels and 0 outside it."""
    padded = np.pad(image, 1)

    def weights(at: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        at = np.clip(at + 1, 0, n + 1)  # into the padding's frame; far outside is its zero edge
        low = np.minimum(np.floor(at).astype(int), n)
        return low, low + 1, at - low

    r0, r1, fr = weights(rows, image.shape[0])
    c0, c1, fc = weights(cols, image.shape[1])
    top = padded[r0][:, c0] * (1 - fc) + padded[r0][:, c1] * fc
    bottom = padded[r1][:, c0] * (1 - fc) + padded[r1][:, c1] * fc
    return top * (1 - fr)[:, None] + bottom * fr[:, None]


def split_features(judge: _Judge, c: Candidate) -> np.ndarray:
    """What tells one whole digit from half a digit, or two (SPLIT_FEATURES names them)."""
    s = np.asarray(judge.scores[c], np.float64)
    best = int(np.argmin(s))
    line = judge.line
    height, digit_width = line.w.height, line.digit_width
    _, _, w, h = judge.crops[c][1]
    excess = float(s[best] - judge.reference[best])
    p = float(judge.engine.probabilities(s)[best])
    margin = float(np.partition(s, 1)[1] - s[best])
    cut_ink = sum(segment.path_cost(line.w.ink, *line.paths[k]) for k in (c.left, c.right) if k is not None)
    # Analysis by synthesis: the ink the model's drawing of its digit leaves out in the middle (two digits in one
    # box, a neighbour's stroke across it), and what it draws where there is no ink.
    ink, drawn = judge.normalized[c].pixels, judge.drawings[c]
    middle = slice(SIDE_COLUMNS, 28 - SIDE_COLUMNS)
    return np.array([
        1.0,
        max(excess, 0.0) / 10, min(excess, 0.0) / 10,  # worse than a typical digit of its label; better (less ink)
        -np.log(max(p, 1e-12)),  # unsure of its label
        max(0.5 - h / height, 0.0) * 10,  # shorter than half the writing
        max(w / max(h, height) - 1.2, 0.0) * 10,  # wider than a digit is tall
        max(0.4 - w / digit_width, 0.0) * 10 * (best != 1),  # narrow for any digit but a 1
        cut_ink / height * 10,  # the ink its cuts cross
        float(len(c.units) > 1),  # joined from pieces
        float((c.left is not None) + (c.right is not None)),  # cut from a piece
        min(margin, 30.0) / 10,  # how far its best label stands before the next
        abs(np.log(max(h / height, 0.05))),  # taller or shorter than the writing
        max(w / digit_width - 1.3, 0.0) * 10,  # wider than the number's digits
        float(best == 1),  # a 1, the one digit a single stroke makes ...
        float(best == 1 and (c.left is not None or c.right is not None)),  # ... and a stroke cut off a digit
        float((ink[:, middle] * (1 - drawn[:, middle])).sum()) / max(float(ink.sum()), 1e-6),
        float((drawn * (1 - ink)).sum()) / max(float(drawn.sum()), 1e-6),
    ])


@dataclass
class _Lattice:
    """A cluster's readings as paths from node 0 to node `size`: the nodes are places along its ink, left to right
    (its units' edges and the cuts across them), and each edge (a, b, digits) reads one digit from a to b, or two
    digits that overlap."""

    size: int
    edges: list[tuple[int, int, tuple[Candidate, ...]]]  # one digit, or two that overlap (SHARED_ZONE)

    def cheapest(self, cost) -> tuple[float, list[Candidate]]:
        """The cheapest path (dynamic programming), where cost(candidate) gives each digit's cost: the total
        cost and its digits, left to right (none where every path costs infinitely much)."""
        best = [0.0] + [np.inf] * self.size
        back: list = [None] * (self.size + 1)
        for a, b, digits in sorted(self.edges, key=lambda e: (e[1], e[0])):  # every way into a before any out
            total = best[a] + sum(cost(c) for c in digits)
            if total < best[b]:
                best[b], back[b] = total, (a, digits)
        picked, b = [], self.size
        while b > 0 and back[b] is not None:
            b, digits = back[b]
            picked[:0] = digits
        return best[self.size], picked


def _lattice(cluster: list[int], cuts: dict[int, list[int]], pieces: dict[int, dict], merged: dict,
             shared: dict[int, list]) -> _Lattice:
    """Within each unit, any piece between two of its cuts, and pairs of pieces that overlap; along the cluster,
    units joined into one digit."""
    start, node = {}, 0
    for i in cluster:
        start[i] = node
        node += len(cuts[i]) + 1
    edges = [(start[i] + a, start[i] + b, (c,)) for i in cluster for (a, b), c in pieces[i].items()]
    edges += [(start[i] + a, start[i] + b, pair) for i in cluster for a, b, pair in shared.get(i, [])]
    edges += [(start[first], start[last] + len(cuts[last]) + 1, (c,)) for (first, last), c in merged.items()
              if first in start]
    return _Lattice(node, edges)


def _shared_pairs(line: _Line, judge: _Judge, unit: int, cuts: list[int], pieces: dict) -> list:
    """Two overlapping digits of a unit, each cropped past the other's cut (the strokes between going to the one
    whose drawing explains them: `_Judge._shared_crop`): the SHARED_PAIRS pairs of pieces likeliest to be whole
    digits as they are, the first ending within SHARED_ZONE digit widths past the second's start. As
    (first's start, second's end, (first, second)) in the unit's cut positions."""
    u = line.units[unit]
    spot = [u.x0, *(float(np.mean(line.paths[k][0])) for k in cuts), u.x1]
    zone = SHARED_ZONE * line.digit_width
    scored = [((a, b), c, judge.one_digit_logit(c)) for (a, b), c in pieces.items()]
    scored = [t for t in scored if t[2] is not None]
    pairs = [(z1 + z2, a, l, first, second) for (a, k), first, z1 in scored for (j, l), second, z2 in scored
             if a < j < k < l and spot[k] - spot[j] <= zone]
    pairs.sort(key=lambda t: -t[0])
    return [(a, l, (replace(first, beside=second), replace(second, beside=first)))
            for _, a, l, first, second in pairs[:SHARED_PAIRS]]


def _model_choice(line: _Line, engine, clusters: list[list[int]], cuts: dict[int, list[int]],
                  scribbles: bool = True) -> tuple[_Judge, list, set]:
    """Every reading the pixels leave open, judged by the model: within each unit, how to cut it (pieces between
    any two of its cuts); along each cluster, which units make one digit together. A unit too narrow to be cut by
    its width is cut all the same, into two pieces, where the model is not sure it is one digit (two digits that
    touch, one a 1). Also the chosen digits whose split is in doubt: without them, the next best reading costs
    less than SPLIT_MARGIN more. `cuts` is updated with the cuts made; the judge keeps the clusters' lattices.
    With `scribbles`, units that are digits scribbled out (`_scribbled`) are not cut: cut, their pieces crossed
    fewer strokes; the judge keeps them."""
    merged = {(cl[i], cl[j - 1]): Candidate(tuple(cl[i:j]), None, None) for cl in clusters
              for i in range(len(cl)) for j in range(i + 2, min(i + MAX_UNITS_PER_DIGIT, len(cl)) + 1)}
    pieces = {i: _pieces_of(line, i, unit_cuts) for i, unit_cuts in cuts.items()}
    judge = _Judge(line, engine, [c for p in pieces.values() for c in p.values()] + list(merged.values()))
    judge.scribbled = _scribbled(judge, range(len(line.units))) if scribbles else set()
    for i in judge.scribbled:
        cuts[i], pieces[i] = [], {(0, 1): Candidate((i,), None, None)}

    def doubted_whole(i: int) -> bool:
        logit = judge.one_digit_logit(Candidate((i,), None, None))
        return logit is not None and logit < ONE_DIGIT_LOGIT

    doubted = [i for i, u in enumerate(line.units) if not cuts[i] and i not in judge.scribbled
               and u.width >= MAYBE_SEVERAL * line.digit_width and doubted_whole(i)]
    # Units cut by their width may hold digits that overlap. (Tried in units cut for the model's doubt as well, it
    # lost as many numbers elsewhere as it gained, and took a third batch: docs/NUMBERS.md.)
    shared = {i: _shared_pairs(line, judge, i, cuts[i], pieces[i]) for i in cuts if cuts[i] and SHARED_PAIRS}
    # In a word, a letter is no digit either (a printed "H" reads as 4 at log odds 1-2): cut in two, or shared as
    # two overlapping digits, it made digits enough that "Hello" was read as a number. Where the line's pieces,
    # whole, look like letters as a word's do, those are left whole for the letter judge; among digits, a pair that
    # looks like one ("13" a B) is cut.
    if doubted or any(shared.values()):
        wholes = [Candidate((i,), None, None) for i in range(len(line.units))]
        wholes = [c for c in wholes if c in judge.normalized]
        letter_like = _letter_like(judge, wholes)
        if len(letter_like) >= WORD_LETTERS and len(letter_like) >= WORD_SHARE * len(wholes):
            doubted = [i for i in doubted if Candidate((i,), None, None) not in letter_like]
            shared = {i: pairs for i, pairs in shared.items() if Candidate((i,), None, None) not in letter_like}
    for i in doubted:
        cuts[i] = _unit_cuts(line, i, line.w.height, force=True)
        pieces[i] = _pieces_of(line, i, cuts[i], two_at_most=True)
    judge.add([c for i in doubted for c in pieces[i].values()] +
              [c for pairs in shared.values() for _, _, pair in pairs for c in pair])

    judge.lattices = [_lattice(cl, cuts, pieces, merged, shared) for cl in clusters]
    chosen, doubtful = [], set()
    for lattice in judge.lattices:
        total, digits = lattice.cheapest(judge.cost)
        chosen.extend(digits)
        for c in digits if len(lattice.edges) > 1 else []:  # an open question: more than one reading
            banned = lattice.cheapest(lambda d, c=c: np.inf if d == c else judge.cost(d))[0]
            if banned - total < SPLIT_MARGIN:
                doubtful.add(c)
    return judge, chosen, doubtful


def read_number(gray: np.ndarray, engine, split: str = "model", sigma: float = 0.0, salt_pepper: float = 0.0,
                noise_seed: int = 0, zoom: bool = True) -> NumberReading:
    """A picture of a handwritten number (luminance (H, W) in [0, 1], any polarity) -> its digits, left to right.
    Noise (seed 001's robustness test) is added to each digit's model input after the reading is decided.
    A number small in a large picture is read again from the picture's own pixels round it (`zoom`).
    Raises NoInkError if the picture holds no ink, ValueError for a model that cannot recognise."""
    reading = _read_number(gray, engine, split, sigma, salt_pepper, noise_seed)
    if not zoom:
        return reading
    h, w = np.shape(gray)

    def read_part(x0, y0, x1, y1):
        part = np.asarray(gray)[y0:y1, x0:x1]
        return _read_number(part, engine, split, sigma, salt_pepper, noise_seed), 1.0

    return _closer(reading, min(NUMBER_SIDE / max(h, w), 1.0), read_part)


# A number whose digits stand less tall than this many pixels at the reading's resolution is small in a large
# picture (a card on a desk, a phone number on a page): its region is read again at the picture's own resolution.
ZOOM_BELOW = 48


def _closer(reading: NumberReading, scale: float, read_part) -> NumberReading:
    """The reading, or where its digits came out small in the shrunk picture, the reading of their region
    (`read_part(x0, y0, x1, y1)` -> that part's reading and the part's pixels per picture pixel)."""
    region = _zoom_region(reading, scale)
    if region is None:
        return reading
    try:
        closer, part_scale = read_part(*region)
    except NoInkError:
        return reading
    return _moved(closer, region[:2], part_scale, reading.source_size, zoomed=True)


def _zoom_region(reading: NumberReading, scale: float) -> tuple[int, int, int, int] | None:
    """Where to read again, (x0, y0, x1, y1) in the picture's pixels, or None: the digits' boxes with a digit's
    height of paper round them, when the picture was read shrunk and its digits came out small."""
    if scale >= 1.0 or not reading.digits:
        return None
    tall = float(np.median([d.box[3] for d in reading.digits]))
    if tall * scale >= ZOOM_BELOW:
        return None
    w, h = reading.source_size
    margin = int(round(1.5 * tall))  # wide enough for a digit the shrunk picture lost at either end
    x0 = max(min(d.box[0] for d in reading.digits) - margin, 0)
    y0 = max(min(d.box[1] for d in reading.digits) - margin, 0)
    x1 = min(max(d.box[0] + d.box[2] for d in reading.digits) + margin, w)
    y1 = min(max(d.box[1] + d.box[3] for d in reading.digits) + margin, h)
    if max(x1 - x0, y1 - y0) * scale >= 0.9 * NUMBER_SIDE:
        return None  # the region would be read at about the same size: no closer to be had
    return x0, y0, x1, y1


def _moved(reading: NumberReading, offset: tuple[int, int], scale: float, source_size: tuple[int, int],
           zoomed: bool = False) -> NumberReading:
    """A reading of part of a picture (shrunk by `scale`) with its boxes in the whole picture's pixels; zoomed:
    it read the number again, closer."""
    w, h = source_size
    for d in reading.digits:
        x, y, bw, bh = d.box
        x0, y0 = offset[0] + int(np.floor(x / scale)), offset[1] + int(np.floor(y / scale))
        x1, y1 = min(offset[0] + int(np.ceil((x + bw) / scale)), w), min(offset[1] + int(np.ceil((y + bh) / scale)), h)
        d.box = (x0, y0, max(x1 - x0, 1), max(y1 - y0, 1))
    reading.source_size = source_size
    if zoomed:
        reading.notes = reading.notes + ["the number was small in the picture: read again from its own pixels"]
    return reading


def _read_number(gray: np.ndarray, engine, split: str, sigma: float, salt_pepper: float,
                 noise_seed: int) -> NumberReading:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    if not engine.conditional:
        raise ValueError("this model is a plain VAE; reading digits needs a conditional model (CVAE)")
    # Ruled lines are left for segment.remove_lines, which traces every line, and a form's dividers between them.
    m = ink_map(gray, max_side=NUMBER_SIDE, ruled_lines=False)
    # Out of focus, a thin stroke keeps half the ink of a thick one or less, and falls apart into pieces before
    # any digit's own stage 2 could raise it: the whole picture's ridges are raised first. Only there: on a sharp
    # photo the same lift raises a notebook's pale rules and a shadow's edge as well (docs/NUMBERS.md, history).
    blurred = focus.out_of_focus(m.ink)
    ink = even_ridges(m.ink) if blurred else m.ink
    read = _read_line(ink, engine, split)
    # A form's printed instructions over the number ("Please write your account number below") hold more ink than
    # its digits: the line with the most ink was read as words. The next lines are read too, while the last one read
    # held words, and the number's is the line not mostly letters whose digits hold the most ink (`_LineRead.rank`).
    tried = [read]
    while tried[-1].words and tried[-1].writing.other_lines and len(tried) <= MAX_LINES_PASSED:
        try:
            tried.append(_read_line(ink, engine, split, passed=len(tried)))
        except NoInkError:
            break
    read = max(tried, key=lambda r: r.rank)  # the first of equals: the line with the most ink
    if not read.chosen:
        raise NoInkError("No number found: this looks like writing in letters (a word) or drawings, not digits.")
    writing, judge, chosen, doubtful, words = read.writing, read.judge, read.chosen, read.doubtful, read.words
    letter_like = read.letter_like

    notes = list(m.notes)
    if blurred:
        notes.append("the photo looks out of focus: its faint strokes were brought up (a sharper photo reads better)")
    if writing.angle:
        notes.append(f"the line of writing was turned by {abs(writing.angle):.0f}°: straightened")
    if writing.ring_removed:
        notes.append("a ring or box drawn round the number taken out")
    if writing.empty_boxes:
        one = writing.empty_boxes == 1
        boxes = "an empty box" if one else f"{writing.empty_boxes} empty boxes"
        notes.append(f"{boxes} beside the number left out (nothing written in {'it' if one else 'them'})")
    if writing.rules_removed:
        notes.append("ruled lines across the writing taken out (a margin, squared paper)")
    if writing.lined:
        notes.append("the rules of a lined page taken out")
    elif writing.line_removed:
        notes.append("a line through or under the number taken out")
    other_lines = writing.other_lines + read.passed
    if other_lines:
        lines = "another line" if other_lines == 1 else f"{other_lines} other lines"
        read_how = "whose digits hold the most ink (the rest is words)" if read.passed else "with the most ink"
        notes.append(f"{lines} of writing left out: the line {read_how} is read (crop the picture to read another)")
    if writing.print_left_out:
        notes.append("small print beside the number left out (a printed label, such as \"Tel.\", before, over or "
                     "under it)")
    if writing.marks_left_out:
        left_out = "a mark" if writing.marks_left_out == 1 else f"{writing.marks_left_out} marks"
        notes.append(f"{left_out} between the digits left out (a full stop, comma, colon, dash, slash, bracket or "
                     "plus)")
    frame = writing_frame(m, writing, notes)
    if words:
        notes.append("letters beside the number left out (a word, such as \"Total\" or \"Tel\")")
    if read.scribbled:
        some = "a digit" if read.scribbled == 1 else f"{read.scribbled} digits"
        notes.append(f"{some} scribbled out left out (crossed out by hand)")
    if letter_like:
        one = len(letter_like) == 1
        notes.append(f"{'a character that looks' if one else f'{len(letter_like)} characters that look'} like "
                     f"{'a letter' if one else 'letters'}, not {'a digit' if one else 'digits'}, marked")
    digits = [_digit(judge, c, frame, k, sigma, salt_pepper, noise_seed, c in doubtful, c in letter_like)
              for k, c in enumerate(chosen)]
    if any(d.maybe_slash for d in digits):
        notes.append("a 1 that leans like a date's slash is marked: it may be a slash")
    return NumberReading(digits, notes, m.source_size)


@dataclass
class _LineRead:
    """One line of writing read: its digits (words left out) and what judged them."""

    writing: segment.Writing
    judge: _Judge
    chosen: list[Candidate]  # the digits read, left to right, without the words
    doubtful: set[Candidate]
    letter_like: set[Candidate]  # digits that look like letters, outside words
    words: set[Candidate]  # what was read and left out as words
    letters: int  # characters taken for letters, in words or not
    scribbled: int  # digits scribbled out, left out
    passed: int  # lines with more ink passed over

    @property
    def rank(self) -> tuple[bool, int]:
        """Which line is the number's: one not mostly letters (a printed sentence's short words, "as", "on", are
        read as digits), then the one whose digits hold the most ink (in pixels; those like letters left out)."""
        pieces = {p.index: p.area for c in self.chosen if c not in self.letter_like for i in c.units
                  for p in self.judge.line.units[i].pieces}
        return 2 * self.letters < len(self.chosen) + len(self.words), sum(pieces.values())


def _read_line(ink: np.ndarray, engine, split: str, passed: int = 0) -> _LineRead:
    """The line of writing with the most ink read, or with `passed` lines with more ink passed over, the next one.
    Raises NoInkError where it holds no digits to read."""
    writing = marks.set_apart(printed.without_small_print(segment.find_writing(ink, passed)))
    if not writing.pieces and writing.empty_boxes:
        raise NoInkError("No digits found: only empty boxes, with nothing written in them.")
    if not writing.pieces:
        raise NoInkError("No digits found: no pen strokes stand out from the paper.")
    if printed.looks_like_barcode(writing):
        raise NoInkError("No handwritten digits found: this looks like a barcode (a row of printed bars, all the "
                         "same height). Photograph or crop the handwritten number on its own.")
    units, unsure = segment.group_pieces(writing.pieces, writing.height, writing.line_ink)
    line = _Line(writing, units)
    cuts = {i: _unit_cuts(line, i, writing.height) for i in range(len(units))}
    clusters = _clusters(unsure)
    if split == "pixels":
        chosen = [c for cluster in clusters for c in _pixel_choice(line, cluster, cuts)]
        judge, doubtful = _Judge(line, engine, chosen), set()
        judge.scribbled = _scribbled(judge, [c.units[0] for c in chosen if _whole(c)])
    else:
        judge, chosen, doubtful = _model_choice(line, engine, clusters, dict(cuts))
    chosen = [c for c in chosen if c in judge.scores]
    # A digit scribbled out (taken back, the right one written after it) is no part of the number; the model reads
    # the scribble as one more digit, unlike any digit. It may be a piece as written, or one cut from a piece it makes
    # with its neighbour. Where nothing else is left (a scribble alone, or two digits that touch taken for one), the
    # line is read as before.
    scribbled = [c for c in chosen if _whole(c) and c.units[0] in judge.scribbled] + _scribbled_pieces(judge, chosen)
    if len(scribbled) < len(chosen):
        chosen = [c for c in chosen if c not in scribbled]
    else:
        if scribbled and split != "pixels":
            judge, chosen, doubtful = _model_choice(line, engine, clusters, cuts, scribbles=False)
            chosen = [c for c in chosen if c in judge.scores]
        scribbled = []
    if not chosen:
        raise NoInkError("No digits found: no pen strokes stand out from the paper.")
    letter_like = _letter_like(judge, chosen)
    words = _words(judge, chosen, letter_like, writing.height)
    return _LineRead(writing, judge, [c for c in chosen if c not in words], doubtful, letter_like - words, words,
                     len(letter_like), len(scribbled), passed)


def writing_frame(m: InkMap, writing: segment.Writing, notes: list[str]) -> InkMap:
    """The levelled line of writing as an ink map whose boxes map back to the picture's own pixels: through the
    picture's ink map (m), then the turn that levelled the line."""
    steps = list(m.steps)
    if writing.angle:
        h, w = m.ink.shape
        steps.append(("turn", writing.angle, (w, h), (writing.ink.shape[1], writing.ink.shape[0])))
    return InkMap(writing.ink, m.inverted, notes, m.source_size, steps)


def _letter_like(judge: _Judge, chosen: list[Candidate]) -> set[Candidate]:
    """The chosen candidates the letter judge takes for letters (none if it could not be read)."""
    taken = letters.taken_for_letters(np.stack([judge.normalized[c].pixels for c in chosen]))
    return {c for c, t in zip(chosen, taken) if t}


def _words(judge: _Judge, chosen: list[Candidate], letter_like: set[Candidate], height: float) -> set[Candidate]:
    """The chosen candidates that make words: runs between gaps wider than WORD_GAP heights with enough letters."""
    runs, run, right = [], [], None
    for c in chosen:  # left to right
        x, _, w, _ = judge.crops[c][1]
        if run and x - right > WORD_GAP * height:
            runs.append(run)
            run = []
        run.append(c)
        right = x + w if len(run) == 1 else max(right, x + w)
    runs.append(run)
    words = set()
    for run in runs:
        found = sum(c in letter_like for c in run)
        if found >= WORD_LETTERS and found >= WORD_SHARE * len(run):
            words.update(run)
    return words


def _digit(judge: _Judge, c: Candidate, frame: InkMap, k: int, sigma: float, salt_pepper: float,
           noise_seed: int, split_doubt: bool = False, letter_like: bool = False) -> DigitReading:
    """The k-th digit read: probabilities from its bounds (rescored with noise, if any), its box in the picture."""
    clean = judge.scores[c]
    if sigma > 0 or salt_pepper > 0:
        noisy = add_noise(judge.normalized[c].pixels, sigma, salt_pepper, noise_seed + k)
        scores = judge.engine.bounds(noisy[None])[0]
    else:
        scores = clean
    probs = judge.engine.probabilities(np.asarray(scores, np.float64))
    label = int(np.argmax(probs))
    # "Is this a digit?" is judged before the noise, as for a single digit.
    looks = not letter_like and not _unlike_any_digit(judge, c)
    whole = _whole(c)
    pieces = [p.index for i in c.units for p in judge.line.units[i].pieces]
    slash = label == 1 and whole and len(pieces) == 1 and pieces[0] in judge.line.w.slash_like
    return DigitReading(frame.box_to_source(judge.crops[c][1]), label, probs, float(scores[label]), looks,
                        judge.normalized[c], split_doubt, slash, letter_like)


def _whole(c: Candidate) -> bool:
    """A candidate that is one piece as it was written: no cut, no join."""
    return c.left is None and c.right is None and len(c.units) == 1


class _LineDensity:
    """How densely the line's pieces as wide as a digit cover their boxes (`crossed.filled_share`), measured once
    and only where a piece is in question: most are like digits."""

    def __init__(self, judge: _Judge):
        self.judge = judge
        self.filled: dict[Candidate, float] | None = None

    def beside(self, c: Candidate) -> float | None:
        """The median over the line's other pieces, None with fewer than two."""
        if self.filled is None:
            wholes = [Candidate((i,), None, None) for i in range(len(self.judge.line.units))]
            self.filled = {d: crossed.filled_share(self.judge.crops[d][0]) for d in wholes if d in self.judge.scores}
        others = [f for d, f in self.filled.items() if d.units[0] not in c.units and f > 0]
        return float(np.median(others)) if len(others) >= 2 else None


def _looks_scribbled(judge: _Judge, c: Candidate, density: _LineDensity, width: int, height: int) -> bool:
    """About a digit's room (crossed.WIDEST, crossed.LOWEST), unlike any digit to the model as a piece written whole
    is (two digits that touch may cross as many strokes, and read as digits; a cut piece is often odd), and its
    ink crossing a scribble's strokes or covering its box as a scribble's does."""
    writing = judge.line.w.height
    return (width <= crossed.WIDEST * writing and height >= crossed.LOWEST * writing
            and _unlike_any_digit(judge, c, as_written=True)
            and crossed.scribbled_out(judge.crops[c][0], density.beside(c)))


def _scribbled(judge: _Judge, units) -> set[int]:
    """Of these units, the digits scribbled out."""
    density = _LineDensity(judge)
    found = set()
    for i in units:
        c, unit = Candidate((i,), None, None), judge.line.units[i]
        if c in judge.scores and _looks_scribbled(judge, c, density, unit.width, unit.height):
            found.add(i)
    return found


def _scribbled_pieces(judge: _Judge, chosen: list[Candidate]) -> list[Candidate]:
    """Of the chosen digits cut from a piece, those that are digits scribbled out: a scribble that touches its
    neighbour is one piece with it, cut by its width."""
    if not SCRIBBLES_CUT:
        return []
    density = _LineDensity(judge)
    return [c for c in chosen if not _whole(c) and c in judge.scores
            and _looks_scribbled(judge, c, density, *judge.crops[c][1][2:])]


def _unlike_any_digit(judge: _Judge, c: Candidate, as_written: bool = False) -> bool:
    """Does the candidate's best bound lie past the test digits' (NOT_A_DIGIT_PERCENTILE for a piece as it was
    written, or any candidate held to its test `as_written`; the single digit's threshold for one cut or joined)?"""
    from ..engine import OOD_PERCENTILE  # here: the engine brings TensorFlow, which this module's users may not need

    percentile = judge.engine.ood_percentile(float(np.min(judge.scores[c])))
    return percentile is not None and percentile > (NOT_A_DIGIT_PERCENTILE if as_written or _whole(c)
                                                    else OOD_PERCENTILE)


def read_number_file(path, engine, **kwargs) -> NumberReading:
    """Open (safely) and read a picture file; boxes are in the file's own pixels (upright, as EXIF says).
    Raises imageio.ImageError or NoInkError."""
    from ..vision.imageio import open_image

    return read_number_image(open_image(path), engine, **kwargs)


def read_number_image(img: Image.Image, engine, **kwargs) -> NumberReading:
    """Read a decoded picture; boxes are in its own pixels. Raises NoInkError."""
    from ..vision.preprocess import image_to_gray

    full = img.size
    small = _shrunk(img)  # a 12-megapixel photo is read at NUMBER_SIDE anyway: shrink it before converting
    reading = read_number(image_to_gray(small), engine, zoom=False, **kwargs)
    if small.size == full:
        return reading
    scale = small.size[0] / full[0]

    def read_part(x0, y0, x1, y1):
        part = _shrunk(img.crop((x0, y0, x1, y1)))
        return read_number(image_to_gray(part), engine, zoom=False, **kwargs), part.size[0] / (x1 - x0)

    return _closer(_moved(reading, (0, 0), scale, full), scale, read_part)


def _shrunk(img: Image.Image) -> Image.Image:
    if max(img.size) <= NUMBER_SIDE:
        return img
    img = img.copy()
    img.thumbnail((NUMBER_SIDE, NUMBER_SIDE), Image.Resampling.BOX)
    return img
