"""A page's printed rules told from pencil by their colour (vision/colour.py)."""

import io

import imagegen
import numbergen
import numpy as np
import pytest
from PIL import Image

from desktop_cvae.numbers.digit import normalize_image
from desktop_cvae.vision.colour import rule_blind_gray
from desktop_cvae.vision.preprocess import image_to_gray

PAPER = np.array([0.95, 0.95, 0.93])
BLUE_RULE = np.array([0.6, 0.68, 0.82])


def photo(rgb: np.ndarray, seed: int = 1) -> Image.Image:
    """The page under a lamp with a sensor's noise, through a JPEG as a phone keeps it."""
    h, w, _ = rgb.shape
    lit = rgb * imagegen._lamp((h, w), 0.25)[..., None] / 0.9 + np.random.default_rng(seed).normal(0, 0.015, (h, w, 1))
    return Image.open(io.BytesIO(imagegen._jpeg(lit.astype(np.float32))))


def at_a_slant(picture: bytes, side: str, slant: float = 0.12) -> Image.Image:
    """A colour picture as a phone sees it at a slant: its `side` ("top" or "left") further away and narrower by
    `slant`, the rules converging, a dark desk past the page's edges; through a JPEG again."""
    a = np.asarray(Image.open(io.BytesIO(picture)).convert("RGB"), np.float32) / 255.0
    h, w, _ = a.shape
    s, t = slant * w, slant * h
    quad = {"top": (-s, 0, 0, h, w, h, w + s, 0), "left": (0, -t, 0, h + t, w, h, w, 0)}[side]
    seen = np.stack([np.asarray(Image.fromarray(a[..., c], mode="F").transform(
        (w, h), Image.Transform.QUAD, quad, Image.Resampling.BILINEAR, fillcolor=0.3)) for c in range(3)], axis=-1)
    return Image.open(io.BytesIO(imagegen._jpeg(seen.astype(np.float32))))


def squared_page(h=400, w=900, step=52) -> np.ndarray:
    page = np.ones((h, w, 3), np.float32) * PAPER
    for k in range(17, max(h, w), step):
        page[k: k + 2] = BLUE_RULE
        page[:, k: k + 2] = BLUE_RULE
    return page


def test_pencil_on_squared_paper_keeps_its_strokes_and_loses_the_rules():
    page = squared_page()
    pencil = np.zeros(page.shape[:2], bool)
    pencil[150:250, 300:306] = pencil[180:186, 200:700] = True  # strokes across and along the rules
    page[pencil] *= 0.55  # grey: darkens every channel alike
    img = photo(page)
    blind = rule_blind_gray(img)
    assert blind is not None
    lum = image_to_gray(img.convert("L"))
    paper = np.median(blind[60:120, 40:60])  # between rules, lit like the rule beside it
    rule = blind[60:120, 69:71].mean()  # an upright rule, off the strokes
    assert abs(rule - paper) < 0.04  # as luminance shows it: 0.15 darker
    assert np.median(lum[60:120, 40:60]) - lum[60:120, 69:71].mean() > 0.1
    stroke = blind[195:245, 302:304].mean()  # on the upright stroke, away from the rules
    stroke_then = lum[195:245, 302:304].mean()
    assert paper - stroke > 0.8 * (np.median(lum[195:245, 290:296]) - stroke_then)
    crossing = blind[181:185, 381:383].mean()  # the stroke along a row where an upright rule crosses it
    assert paper - crossing > 0.25


@pytest.mark.parametrize("pen, why", [((0.4, 0.48, 0.7), "a blue pen as pale as the rules, of their hue"),
                                     ((0.15, 0.15, 0.17), "a black pen far darker than the rules")])
def test_a_pen_of_the_rules_hue_or_far_darker_than_them_is_turned_to_grey_as_always(pen, why):
    # Weights blind to the rules would fade a pen of their hue with them; a dark pen is told from them by darkness,
    # and luminance is less noisy.
    page = squared_page()
    page[150:250, 300:306] = pen
    page[180:186, 200:700] = pen
    img = photo(page)
    assert rule_blind_gray(img) is None, why
    assert np.array_equal(image_to_gray(img), np.asarray(img.convert("L"), np.float32) / 255.0)


@pytest.mark.parametrize("seed", [0, 6, 9])
def test_a_number_written_large_across_the_rules_in_their_hue_keeps_its_strokes(sample, seed):
    # Dark blue ballpoint across three blue rules: the pen's pixels on the rules' rows are of their hue and were
    # counted as rules, so the rules seemed as dark as the pen and its strokes hid among them; the grey blind to
    # the rules then kept only the strokes' rims.
    rng = np.random.default_rng(seed)
    x = sample.x_test.astype(np.float32) / 255.0
    ink = numbergen.compose(x[rng.integers(0, len(x), 9)], rng, height=110, spacing="normal", width_factor=0.5)
    h, w = ink.shape
    page = np.ones((h, w, 3), np.float32) * PAPER
    for k in range(int(rng.integers(0, 38)), h, 38):
        page[k: k + 2] = PAPER * (0.55, 0.7, 0.95)
    page[:, w // 12: w // 12 + 2] = PAPER * (0.95, 0.4, 0.45)  # the red margin
    rgb = page * (1 - ink[..., None]) + np.array([0.1, 0.12, 0.5]) * ink[..., None]
    rgb = np.clip(rgb + rng.normal(0, 0.015, rgb.shape), 0, 1)
    buf = io.BytesIO()
    Image.fromarray((rgb * 255).astype(np.uint8)).save(buf, "JPEG", quality=85)
    img = Image.open(buf)
    assert rule_blind_gray(img) is None
    assert np.median(image_to_gray(img)[ink > 0.9]) < 0.3  # the strokes as dark as the pen: filled, not hollow


@pytest.mark.parametrize("tight", [False, True])
def test_writing_in_colour_without_rules_is_turned_to_grey_as_always(sample, tight):
    # A red pen's strokes are of one hue, but no set of long thin lines: not rules, and the number stays.
    ones = sample.x_test[sample.y_test == 1][:4].astype(np.float32) / 255.0
    ink = numbergen.compose(ones, np.random.default_rng(0), height=120, spacing="normal",
                            margin=0.02 if tight else 0.6)
    page = np.ones((*ink.shape, 3), np.float32) * PAPER
    rgb = page * (1 - ink[..., None]) + np.array([0.85, 0.15, 0.15]) * ink[..., None]
    img = photo(rgb)
    assert rule_blind_gray(img) is None
    assert np.array_equal(image_to_gray(img), np.asarray(img.convert("L"), np.float32) / 255.0)


def test_colour_noise_has_no_rules():
    # Pixels of every hue: those of the commonest fill enough of some rows to pass for lines, but most of them lie
    # off any line.
    noise = np.random.default_rng(0).integers(0, 256, (400, 400, 3), dtype=np.uint8)
    assert rule_blind_gray(Image.fromarray(noise)) is None


@pytest.mark.parametrize("seed, height, why", [(78, 0.6, "a near-black desk with a faint grain: far too dark"),
                                               (111, 0.45, "a mid-brown desk: over most of the picture")])
def test_a_desk_round_a_warm_lit_card_is_no_ruled_page(sample, default_engine, seed, height, why):
    # Against a card in a lamp's warm light the desk round it is tinted one hue, and its rows and grain's stripes
    # are long, thin and parallel: it passed for rules. Greyed to the paper's white, the desk then hid the card.
    nine = sample.x_test[0].astype(np.float32) / 255.0
    assert sample.y_test[0] == 9
    img = Image.open(io.BytesIO(imagegen.card_on_desk(nine, np.random.default_rng(seed), height)))
    assert rule_blind_gray(img) is None, why
    result = normalize_image(img)
    assert any("sheet" in note for note in result.notes)  # the card is found, and only it is read
    assert default_engine.analyze(result.pixels).recognised == 9
