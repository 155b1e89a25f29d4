"""Hostile and odd image files through the loader, `desktop-cvae recognize` and the GUI: valid images are
recognised, everything else gets a clear message; never a traceback, never unbounded time."""

import json
import os
import time

import numpy as np
import pytest

import hostile
from desktop_cvae.cli import main
from desktop_cvae.vision.imageio import ImageError
from desktop_cvae.vision.preprocess import NoInkError, normalize_file


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory):
    return hostile.make_all(tmp_path_factory.mktemp("hostile"))


def test_there_are_at_least_30_crafted_files(hostile_files):
    assert len(hostile_files) >= 30


def test_each_file_is_recognised_or_refused_with_a_message(hostile_files):
    for name, (path, expect) in hostile_files.items():
        start = time.perf_counter()
        try:
            result = normalize_file(path)
            outcome = "image"
            assert result.pixels.shape == (28, 28) and np.isfinite(result.pixels).all()
        except (ImageError, NoInkError) as e:
            outcome = "error"
            assert str(e) and len(str(e)) < 400 and "Traceback" not in str(e), name
        assert time.perf_counter() - start < 10, f"{name} took too long"
        if expect == "error":
            assert outcome == "error", f"{name} should have been refused"
        elif expect == "image":
            assert outcome == "image", f"{name} is a valid image and should normalise"


def test_formats_outside_the_allow_list_are_refused_by_name(hostile_files):
    for name in ("postscript.eps", "document.pdf", "layers.psd", "telescope.fits", "vector.svg"):
        with pytest.raises(ImageError, match="not an image in a supported format"):
            normalize_file(hostile_files[name][0])


def test_decompression_bombs_are_refused_before_decoding(hostile_files):
    for name in ("png-bomb-100k.png", "gif-bomb.gif", "bmp-bomb.bmp", "ppm-huge-dims.ppm", "heic-bomb.heic"):
        with pytest.raises(ImageError, match="pixels|damaged"):
            normalize_file(hostile_files[name][0])


def test_unreadable_paths(hostile_files):
    msgs = {}
    for name in ("a-folder.png", "missing.png", "loop.png", "pipe.png", "huge-file.png"):
        with pytest.raises(ImageError) as e:
            normalize_file(hostile_files[name][0])
        msgs[name] = str(e.value)
    assert "folder" in msgs["a-folder.png"] and "not found" in msgs["missing.png"]
    assert "cannot read" in msgs["loop.png"] and "regular file" in msgs["pipe.png"]
    assert "MB" in msgs["huge-file.png"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_no_permission(tmp_path):
    p = tmp_path / "secret.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n")
    p.chmod(0)
    with pytest.raises(ImageError, match="permission denied"):
        normalize_file(p)


def test_recognize_command_reports_every_hostile_file(hostile_files, tiny_model_path, capsys):
    paths = [str(p) for p, _ in hostile_files.values()]
    assert main(["recognize", "--model", str(tiny_model_path), "--json", *paths]) == 2
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.strip().splitlines()]
    assert [r["file"] for r in rows] == paths
    for r, (path, expect) in zip(rows, hostile_files.values()):
        assert ("error" in r) == (expect == "error") or expect == "either" or ("No ink" in r.get("error", "")), r
    assert "Traceback" not in captured.err
    assert any("label" in r for r in rows) and any("error" in r for r in rows)


def test_recognize_number_reports_every_hostile_file(hostile_files, tiny_model_path, capsys):
    """The same files read as whole numbers: each a number or an error row, refused ones refused, within time."""
    paths = [str(p) for p, _ in hostile_files.values()]
    start = time.perf_counter()
    assert main(["recognize", "--number", "--model", str(tiny_model_path), "--json", *paths]) == 2
    assert time.perf_counter() - start < 10 * len(paths)
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.strip().splitlines()]
    assert [r["file"] for r in rows] == paths
    for r, (path, expect) in zip(rows, hostile_files.values()):
        if expect == "error":
            assert set(r) == {"file", "error"}, r
        else:
            assert set(r) in ({"file", "error"}, {"file", "number", "digits", "confidence"}), r
    assert "Traceback" not in captured.err
    assert any("number" in r for r in rows)
