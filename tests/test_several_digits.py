"""A number opened or drawn as one digit: the one-digit reading says that it holds several digits side by side,
and where they can be read one by one, instead of a bare "4 (53 %)"; a real digit, even in pieces, is not taken
for several."""

import io
import json

import numpy as np
import pytest
from PIL import Image

import numbergen
from desktop_cvae.cli import main
from desktop_cvae.vision.preprocess import SEVERAL_NOTE, normalize_gray
from test_numbers import paper, row
from test_serve import client, png_of, recognize  # noqa: F401 (fixture)


def picture(ink) -> np.ndarray:
    """A photo of the ink on paper lit from one side."""
    return paper(ink)


@pytest.mark.parametrize("number, gaps", [("4071", 0.25), ("58", 0.03), ("93", 0.1), ("62815", -0.04)])
def test_digits_apart_close_or_touching_are_several(readable, number, gaps):
    ink, _ = row(readable, number, gaps)
    n = normalize_gray(picture(ink))
    assert n.several and n.side_by_side >= 2 and SEVERAL_NOTE in n.notes
    assert normalize_gray(1.0 - ink, drawn=True).several  # written on the canvas in one-digit mode


def test_a_number_held_askew_is_several(readable):
    """Tilted, its digits stand at different heights: measured against the crop, none was tall enough to count."""
    ink, _ = row(readable, "4071", 0.2)
    assert normalize_gray(picture(numbergen._turn(ink, 22, 0.0))).several


def test_real_single_digits_are_not_several(sample):
    x = sample.x_test.astype(np.float32) / 255.0
    taken = [i for i, d in enumerate(x) if normalize_gray(d).several]
    assert len(taken) <= 1, f"single test digits taken for several: {taken}"


def in_two_upright_pieces(ink: np.ndarray, where: float) -> np.ndarray:
    """The digit with a band of columns erased at `where` of its width: two pieces side by side, as a 4 drawn
    in two strokes whose bar stops short of the stem, or a 0 drawn as two arcs."""
    out = ink.copy()
    w = out.shape[1]
    out[:, int(where * w): int(where * w) + max(3, w // 12)] = 0
    return out


@pytest.mark.parametrize("label, where", [(4, 0.6), (0, 0.5), (8, 0.5)])
def test_a_digit_in_two_pieces_side_by_side_is_one(readable, label, where):
    ink = numbergen.digit_ink(readable[label][0], 100, 1.0)
    split = in_two_upright_pieces(ink, where)
    assert (split.max(axis=0) <= 0.2).any()  # the pieces really stand apart
    n = normalize_gray(picture(np.pad(split, 60)))
    assert not n.several and SEVERAL_NOTE not in n.notes


def test_a_digit_with_a_full_stop_beside_it_is_one(readable):
    ink = np.pad(numbergen.digit_ink(readable[7][0], 100, 1.0), 60)
    rows, cols = np.nonzero(ink > 0.5)
    ink[rows.max() - 8: rows.max() + 1, cols.max() + 12: cols.max() + 21] = 1.0
    assert not normalize_gray(picture(ink)).several


def save(tmp_path, name, lum) -> str:
    path = tmp_path / name
    Image.fromarray((lum * 255).astype(np.uint8)).save(path)
    return str(path)


def test_recognize_says_several_digits_and_points_to_number(readable, tmp_path, capsys):
    number = save(tmp_path, "number.png", picture(row(readable, "4071", 0.25)[0]))
    digit = save(tmp_path, "digit.png", picture(np.pad(numbergen.digit_ink(readable[3][0], 100, 1.0), 60)))
    assert main(["recognize", "--json", number, digit]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["not_a_digit"] for r in rows] == [True, False]
    assert set(rows[0]) == {"file", "label", "probabilities", "neg_elbo", "not_a_digit"}  # the contract holds
    assert main(["recognize", number, digit]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "several digits side by side" in lines[0] and "--number" in lines[0]
    assert "side by side" not in lines[1]


def test_the_web_service_says_several_digits_and_lists_the_number(client, readable):  # noqa: F811
    ink, _ = row(readable, "4071", 0.25)
    body = recognize(client, png_of((picture(ink) * 255).astype(np.uint8)), archive=True).json()
    assert body["not_a_digit"] is True and SEVERAL_NOTE in body["notes"]
    assert body["number"]["number"] == "4071"
    recent = client.get("/").text
    assert f'<a href="/results/{body["id"]}">' in recent and "<span>4071</span>" in recent
    archive = client.get("/archive").text
    assert "several digits" in archive and "not a digit" not in archive
    single = recognize(client, png_of((picture(np.pad(numbergen.digit_ink(readable[3][0], 100, 1.0), 60)) * 255)
                                      .astype(np.uint8))).json()
    assert single["not_a_digit"] is False and SEVERAL_NOTE not in single["notes"]


def test_the_result_page_says_several_digits_where_no_number_is_read_instead(readable, tmp_path):
    """A plain VAE reads no number: the page leads with the one-digit reading, and its warning says why that means
    little (not that the picture is unlike any digit)."""
    from fastapi.testclient import TestClient

    from desktop_cvae.catalog import shipped_models_dir
    from desktop_cvae.engine import Engine
    from desktop_cvae.serve import Settings, create_app
    from desktop_cvae.serve.archive import Archive

    app = create_app(Settings(), engine=Engine.load(shipped_models_dir() / "seed-mlp-vae.keras"),
                     archive=Archive(f"sqlite:///{tmp_path / 'archive.sqlite3'}"))
    with TestClient(app) as plain:
        ink, _ = row(readable, "4071", 0.25)
        body = recognize(plain, png_of((picture(ink) * 255).astype(np.uint8)), archive=True).json()
        assert body["number"] is None and body["not_a_digit"] is True
        text = plain.get(f"/results/{body['id']}").text
        assert 'id="several-digits"' in text and 'id="not-a-digit"' not in text
        single = recognize(plain, png_of((picture(np.pad(numbergen.digit_ink(readable[3][0], 100, 1.0), 60)) * 255)
                                         .astype(np.uint8)), archive=True).json()
        assert 'id="several-digits"' not in plain.get(f"/results/{single['id']}").text
