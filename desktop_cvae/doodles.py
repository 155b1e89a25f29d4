"""Drawings that are no digit: the stars, hearts, faces and arrows people doodle, drawn as a hand draws them.

The CVAE was only ever shown digits and reads any shape as the digit it looks most like: a tangle of loops as a
sure 8, a filled blot as an 8. The letter judge (desktop_cvae/letters.py) learns these as "not a
digit" beside letters and signs (scripts/train_letters.py), and benchmarks/doodles.py measures what the app says
of them. Each kind is a few strokes in a unit box, wobbled, turned and squeezed a little, drawn with a pen of
random width.

    ink = doodle_ink("star", rng)   # an ink map (1 = ink), about 112 pixels across

TRAINED kinds are what the judge learns from; the others (HELD_OUT) are kept for the benchmark, so that it
measures drawings of a kind the judge never saw. Shapes that are digits as drawn (a ring is a 0, a stroke a 1), or
nearly (a crescent moon is a C, which a hand's open 0 resembles), are not here.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

Strokes = list[np.ndarray]  # each (n, 2) points, x and y in the unit box, y down


def _ellipse(cx, cy, rx, ry, start=0.0, end=2 * np.pi, n=48) -> np.ndarray:
    t = np.linspace(start, end, n)
    return np.c_[cx + rx * np.cos(t), cy + ry * np.sin(t)]


def _closed(points) -> np.ndarray:
    points = np.asarray(points, float)
    return np.r_[points, points[:1]]


def star(rng) -> Strokes:
    points = int(rng.integers(5, 7))
    inner = rng.uniform(0.35, 0.5)
    t = -np.pi / 2 + np.arange(2 * points) * np.pi / points
    r = np.where(np.arange(2 * points) % 2 == 0, 0.5, 0.5 * inner)
    return [_closed(np.c_[0.5 + r * np.cos(t), 0.5 + r * np.sin(t)])]


def heart(rng) -> Strokes:
    t = np.linspace(0, 2 * np.pi, 80)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [np.c_[0.5 + x / 34, 0.45 + y / 34]]


def face(rng) -> Strokes:
    eye = rng.uniform(0.03, 0.06)
    strokes = [_ellipse(0.5, 0.5, 0.5, 0.5), _ellipse(0.33, 0.38, eye, eye, n=12), _ellipse(0.67, 0.38, eye, eye, n=12)]
    mood = rng.choice([1, -1])  # a smile or a frown
    mouth = _ellipse(0.5, 0.55 if mood > 0 else 0.85, 0.22, 0.15, 0.15 * np.pi, 0.85 * np.pi, 20)
    strokes.append(mouth if mood > 0 else mouth * [1, -1] + [0, 1.48])
    return strokes


def arrow(rng) -> Strokes:
    head = rng.uniform(0.2, 0.3)
    shaft = np.array([[0.0, 0.5], [1.0, 0.5]])
    barbs = np.array([[1 - head, 0.5 - head], [1.0, 0.5], [1 - head, 0.5 + head]])
    angle = rng.choice([0, 0.5, 1, 1.5]) * np.pi  # right, down, left or up

    def turned(p):
        c, s = np.cos(angle), np.sin(angle)
        q = p - 0.5
        return np.c_[c * q[:, 0] - s * q[:, 1], s * q[:, 0] + c * q[:, 1]] + 0.5
    return [turned(shaft), turned(barbs)]


def house(rng) -> Strokes:
    wall = _closed([[0.1, 0.45], [0.1, 1.0], [0.9, 1.0], [0.9, 0.45]])
    roof = np.array([[0.0, 0.5], [0.5, 0.0], [1.0, 0.5]])
    strokes = [wall, roof]
    if rng.random() < 0.5:
        strokes.append(np.array([[0.4, 1.0], [0.4, 0.72], [0.6, 0.72], [0.6, 1.0]]))  # a door
    return strokes


def spiral(rng) -> Strokes:
    turns = rng.uniform(2.0, 3.5)
    t = np.linspace(0, 2 * np.pi * turns, int(60 * turns))
    r = 0.5 * t / t[-1]
    return [np.c_[0.5 + r * np.cos(t), 0.5 + r * np.sin(t)]]


def tangle(rng) -> Strokes:
    steps = np.cumsum(rng.normal(0, 1, (int(rng.integers(25, 60)), 2)), axis=0)
    return [steps]  # scaled into the box by the drawing


def blot(rng) -> Strokes:
    """A filled shape: a word inked over, a thumb's print, a coffee stain (filled, see doodle_ink)."""
    n = int(rng.integers(7, 13))
    t = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = 0.5 * rng.uniform(0.6, 1.0, n)
    return [_closed(np.c_[0.5 + r * np.cos(t), 0.5 + r * np.sin(t)])]


def triangle(rng) -> Strokes:
    top = rng.uniform(0.2, 0.8)
    return [_closed([[top, 0.0], [1.0, 1.0], [0.0, 1.0]])]


def cloud(rng) -> Strokes:
    bumps = int(rng.integers(5, 9))
    t = np.linspace(0, 2 * np.pi, bumps * 16)
    r = 0.42 + 0.08 * np.abs(np.sin(bumps * t / 2))
    return [np.c_[0.5 + r * np.cos(t), 0.5 + 0.7 * r * np.sin(t)]]


def wave(rng) -> Strokes:
    periods = rng.uniform(2, 4)
    x = np.linspace(0, 1, 80)
    return [np.c_[x, 0.5 + 0.25 * np.sin(2 * np.pi * periods * x)]]


def loops(rng) -> Strokes:
    """A line of loops, as a signature's or a child's handwriting-that-is-not ("llll", "eeee")."""
    n = rng.uniform(3, 6)
    t = np.linspace(0, 2 * np.pi * n, int(40 * n))
    return [np.c_[t / t[-1] + 0.12 * np.cos(t), 0.5 - 0.3 * np.sin(t)]]


def boxed_cross(rng) -> Strokes:
    return [_closed([[0, 0], [0, 1], [1, 1], [1, 0]]), np.array([[0, 0], [1, 1]]), np.array([[1, 0], [0, 1]])]


def car(rng) -> Strokes:
    body = _closed([[0.0, 0.45], [0.22, 0.42], [0.32, 0.15], [0.7, 0.15], [0.8, 0.42], [1.0, 0.45], [1.0, 0.75],
                    [0.0, 0.75]])
    return [body, _ellipse(0.25, 0.8, 0.11, 0.11, n=20), _ellipse(0.75, 0.8, 0.11, 0.11, n=20)]


def cat(rng) -> Strokes:
    head = _ellipse(0.5, 0.6, 0.4, 0.35)
    ears = [np.array([[0.2, 0.4], [0.22, 0.05], [0.42, 0.27]]), np.array([[0.58, 0.27], [0.78, 0.05], [0.8, 0.4]])]
    whiskers = [np.array([[0.0, 0.6 + d], [0.35, 0.65]]) for d in (-0.05, 0.05)]
    whiskers += [np.array([[0.65, 0.65], [1.0, 0.6 + d]]) for d in (-0.05, 0.05)]
    return [head, *ears, *whiskers]


def umbrella(rng) -> Strokes:
    canopy = _ellipse(0.5, 0.4, 0.5, 0.35, np.pi, 2 * np.pi, 40)
    hem = np.concatenate([_ellipse(0.1 + 0.2 * k, 0.4, 0.1, 0.06, np.pi, 0, 10) for k in range(5)])
    handle = np.r_[[[0.5, 0.05], [0.5, 0.9]], _ellipse(0.42, 0.9, 0.08, 0.08, 0, np.pi, 10)]
    return [np.r_[canopy, hem[::-1]], handle]


def sun(rng) -> Strokes:
    rays = int(rng.integers(6, 11))
    strokes = [_ellipse(0.5, 0.5, 0.25, 0.25)]
    for a in np.arange(rays) * 2 * np.pi / rays:
        strokes.append(np.array([[0.5 + 0.32 * np.cos(a), 0.5 + 0.32 * np.sin(a)],
                                 [0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a)]]))
    return strokes


def flower(rng) -> Strokes:
    petals = int(rng.integers(5, 8))
    t = np.linspace(0, 2 * np.pi, petals * 24)
    r = 0.5 * np.abs(np.cos(petals * t / 2))
    return [np.c_[0.5 + r * np.cos(t), 0.5 + r * np.sin(t)], _ellipse(0.5, 0.5, 0.08, 0.08, n=16)]


def tree(rng) -> Strokes:
    return [np.array([[0.45, 1.0], [0.45, 0.6]]), np.array([[0.55, 1.0], [0.55, 0.6]]),
            _ellipse(0.5, 0.33, 0.35, 0.3)]


def lightning(rng) -> Strokes:
    return [np.array([[0.65, 0.0], [0.3, 0.5], [0.6, 0.5], [0.3, 1.0]])]


def fish(rng) -> Strokes:
    body = _ellipse(0.4, 0.5, 0.4, 0.22, 0.2 * np.pi, 1.8 * np.pi)
    tail = np.array([[0.72, 0.38], [1.0, 0.2], [1.0, 0.8], [0.72, 0.62]])
    return [body, tail, _ellipse(0.2, 0.45, 0.03, 0.03, n=10)]


TRAINED = {"star": star, "heart": heart, "face": face, "arrow": arrow, "house": house, "spiral": spiral,
           "tangle": tangle, "blot": blot, "triangle": triangle, "cloud": cloud, "wave": wave, "loops": loops,
           "boxed cross": boxed_cross, "flower": flower, "car": car, "cat": cat}
HELD_OUT = {"sun": sun, "tree": tree, "lightning": lightning, "fish": fish, "umbrella": umbrella}
KINDS = {**TRAINED, **HELD_OUT}
FILLED = {"blot"}


def _wobbled(points: np.ndarray, rng, amount: float) -> np.ndarray:
    """A stroke as a hand draws it: resampled densely, then pushed off its path by a slow, smooth drift."""
    seg = np.r_[0, np.cumsum(np.hypot(*np.diff(points, axis=0).T))]
    if seg[-1] == 0:
        return points
    s = np.linspace(0, seg[-1], max(int(seg[-1] * 120), 2))
    dense = np.c_[np.interp(s, seg, points[:, 0]), np.interp(s, seg, points[:, 1])]
    drift = np.zeros_like(dense)
    for k in range(2):  # x and y each drift along a slow sine of their own
        freq, phase = rng.uniform(0.5, 2.5), rng.uniform(0, 2 * np.pi)
        drift[:, k] = np.sin(2 * np.pi * freq * s / seg[-1] + phase) * amount
    return dense + drift


def doodle_ink(kind: str, rng: np.random.Generator, size: int = 112) -> np.ndarray:
    """One drawing of a kind as an ink map (1 = ink), `size` pixels across plus a margin: wobbled, turned up to
    20 degrees, squeezed, drawn with a pen 2-9 % of its size wide."""
    strokes = KINDS[kind](rng)
    every = np.concatenate(strokes)
    lo, span = every.min(axis=0), np.ptp(every, axis=0)
    strokes = [(s - lo) / max(span.max(), 1e-6) for s in strokes]  # into the unit box, its aspect kept
    angle = np.radians(rng.uniform(-20, 20))
    squeeze = np.array([rng.uniform(0.75, 1.25), 1.0])
    c, s_ = np.cos(angle), np.sin(angle)
    wobble = rng.uniform(0.005, 0.025)
    width = max(int(size * rng.uniform(0.02, 0.09) + 0.5), 1)
    margin = size // 4
    img = Image.new("L", (size + 2 * margin, size + 2 * margin), 0)
    draw = ImageDraw.Draw(img)
    for stroke in strokes:
        p = _wobbled(stroke, rng, wobble) - 0.5
        p = p * squeeze
        p = np.c_[c * p[:, 0] - s_ * p[:, 1], s_ * p[:, 0] + c * p[:, 1]] + 0.5
        xy = [tuple(v) for v in p * size + margin]
        if kind in FILLED:
            draw.polygon(xy, fill=255)
        elif len(xy) > 1:
            draw.line(xy, fill=255, width=width, joint="curve")
    return np.asarray(img, np.float32) / 255
