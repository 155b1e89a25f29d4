"""The command line's JSON contracts and exit codes (other tools depend on them)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop_cvae.cli import main


@pytest.fixture(scope="module")
def digit_files(tmp_path_factory, sample):
    """Three sample digits as PNG files (dark ink on light paper, as people's pictures are), plus bad files."""
    d = tmp_path_factory.mktemp("digits")
    good = []
    for i in (0, 250, 990):
        p = d / f"digit-{sample.y_test[i]}.png"
        Image.fromarray(255 - sample.x_test[i]).resize((112, 112)).save(p)
        good.append(str(p))
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    Image.new("L", (64, 64), 255).save(d / "blank.png")
    return good, str(d / "broken.png"), str(d / "blank.png"), str(d / "missing.png")


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.strip().splitlines()]


def test_recognize_json_all_good_exits_0(capsys, tiny_model_path, digit_files):
    good, *_ = digit_files
    assert main(["recognize", "--model", str(tiny_model_path), "--json", *good]) == 0
    rows = json_lines(capsys.readouterr().out)
    assert [r["file"] for r in rows] == good
    for r in rows:
        assert set(r) == {"file", "label", "probabilities", "neg_elbo", "not_a_digit"}
        assert r["not_a_digit"] is False  # real test digits
        assert isinstance(r["label"], int) and 0 <= r["label"] <= 9
        assert len(r["probabilities"]) == 10 and abs(sum(r["probabilities"]) - 1) < 1e-6
        assert r["label"] == int(np.argmax(r["probabilities"])) and r["neg_elbo"] > 0


def test_recognize_json_says_a_drawing_of_a_house_is_not_a_digit(capsys, tmp_path, digit_files):
    from PIL import ImageDraw

    house = Image.new("L", (280, 280), 255)
    pen = ImageDraw.Draw(house)
    pen.rectangle([60, 130, 220, 250], outline=0, width=8)  # walls
    pen.line([(50, 135), (140, 40), (230, 135)], fill=0, width=8)  # roof
    pen.rectangle([120, 180, 160, 250], outline=0, width=6)  # door
    house.save(tmp_path / "house.png")
    good, *_ = digit_files
    # The shipped default model, as a person's command line uses it.
    assert main(["recognize", "--json", str(tmp_path / "house.png"), good[0]]) == 0
    house_row, digit_row = json_lines(capsys.readouterr().out)
    assert house_row["not_a_digit"] is True and digit_row["not_a_digit"] is False


def test_commands_keep_tensorflow_s_log_lines_off_the_terminal(tiny_model_path, digit_files):
    # As a person's terminal runs it: no TF_CPP_MIN_LOG_LEVEL, which TensorFlow's start-up lines ignore anyway.
    good, *_ = digit_files
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_CPP", "DESKTOP_CVAE_VERBOSE"))}
    out = subprocess.run([sys.executable, "-m", "desktop_cvae", "recognize", "--model", str(tiny_model_path), "--json",
                          good[0]], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and json.loads(out.stdout)["file"] == good[0]
    assert out.stderr == ""  # not "oneDNN custom operations are on", nor Abseil's "All log messages before..."


def test_recognize_processes_every_file_and_exits_2_on_any_failure(capsys, tiny_model_path, digit_files):
    good, broken, blank, missing = digit_files
    files = [broken, good[0], blank, missing, good[1]]
    assert main(["recognize", "--model", str(tiny_model_path), "--json", *files]) == 2
    captured = capsys.readouterr()
    rows = json_lines(captured.out)
    assert [r["file"] for r in rows] == files
    assert "damaged" in rows[0]["error"] and "No ink" in rows[2]["error"] and "not found" in rows[3]["error"]
    assert "label" in rows[1] and "label" in rows[4]
    assert "Traceback" not in captured.err


def test_recognize_with_a_bad_model_is_a_message_not_a_traceback(capsys, tmp_path, digit_files):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"junk")
    assert main(["recognize", "--model", str(bad), digit_files[0][0]]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_evaluate_json_on_the_shipped_sample(capsys, tiny_model_path):
    # `--data sample` names the sample shipped with the app (1000 test digits): evaluation that works offline.
    assert main(["evaluate", "--model", str(tiny_model_path), "--data", "sample",
                 "--noise", "0.3", "0.5", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert set(r) == {"n", "accuracy", "neg_elbo", "reconstruction", "kl", "noise", "calibration", "confusion",
                      "per_class_accuracy"}
    assert sum(map(sum, r["confusion"])) == 1000 and len(r["per_class_accuracy"]) == 10
    assert set(r["calibration"]["noise_ece"]) == {"0.3", "0.5"} and 0 <= r["calibration"]["ece"] <= 1
    assert r["n"] == 1000 and 0 <= r["accuracy"] <= 1
    assert r["neg_elbo"] == pytest.approx(r["reconstruction"] + r["kl"], rel=1e-4)
    assert set(r["noise"]) == {"0.3", "0.5"}


@pytest.mark.slow
def test_train_json_last_line(capsys, tmp_path):
    from desktop_cvae.resources import resource_path

    out = tmp_path / "cli.keras"
    assert main(["train", "--arch", "mlp", "--latent-dim", "2", "--epochs", "2", "--batch-size", "100",
                 "--lr-schedule", "cosine", "--label-prior", "--fitted-prior", "--train-rotate", "10",
                 "--train-scale", "0.1", "--train-blur", "1", "--train-styles", "0.3", "--train-pens", "0.2",
                 "--data", str(resource_path("mnist_sample.npz")), "--out", str(out), "--json"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(last) == {"epochs", "epoch_seconds", "history", "test_neg_elbo", "accuracy"}
    assert last["epochs"] == 2 and len(last["epoch_seconds"]) == 2 and len(last["history"]["val_loss"]) == 2
    assert out.is_file() and (tmp_path / "cli.keras.json").is_file()
    config = json.loads((tmp_path / "cli.keras.json").read_text())["config"]
    assert config["lr_schedule"] == "cosine" and config["label_prior"] and config["fitted_prior"]
    assert (config["train_rotate"], config["train_scale"], config["train_blur"]) == (10, 0.1, 1)
    assert config["train_styles"] == 0.3 and config["train_pens"] == 0.2


def test_train_refuses_bad_arguments(capsys, tmp_path):
    assert main(["train", "--arch", "conv", "--latent-dim", "0", "--out", str(tmp_path / "x.keras")]) == 2
    assert "latent_dim" in capsys.readouterr().err
    assert main(["train", "--arch", "conv", "--out", str(tmp_path / "x.h5")]) == 2
    assert main(["train", "--arch", "conv", "--fitted-prior", "--out", str(tmp_path / "x.keras")]) == 2
    assert "label_prior" in capsys.readouterr().err


@pytest.mark.parametrize("argv, says", [
    (["generate", "--label", "3", "--seed", "-5", "--out", "{tmp}/g.png"], "--seed"),
    (["train", "--arch", "conv", "--seed", "-3", "--out", "{tmp}/m.keras"], "seed"),
    (["train", "--arch", "conv", "--learning-rate", "nan", "--out", "{tmp}/m.keras"], "learning_rate"),
    (["train", "--arch", "deepconv", "--classifier-weight", "-1", "--out", "{tmp}/m.keras"], "classifier_weight"),
    (["train", "--arch", "conv", "--train-rotate", "90", "--out", "{tmp}/m.keras"], "train_rotate"),
    (["train", "--arch", "conv", "--train-blur", "inf", "--out", "{tmp}/m.keras"], "train_blur"),
    (["evaluate", "--noise", "0.3", "-0.5"], "--noise"),
    (["evaluate", "--noise", "nan"], "--noise"),
    (["bench", "--n", "0"], "--n"),
])
def test_numbers_out_of_range_are_a_message_not_a_traceback(capsys, tmp_path, argv, says):
    # Each of these once reached NumPy or TensorFlow: a traceback, a NaN training, or a "noise sigma=-0.5".
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("desktop-cvae: error:") and says in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing written


def test_train_init_from_continues_a_saved_model(capsys, tmp_path, tiny_model_path):
    from desktop_cvae.resources import resource_path
    from desktop_cvae.catalog import training_stages
    from desktop_cvae.storage import read_sidecar, sha256_file

    out = tmp_path / "more.keras"
    assert main(["train", "--init-from", str(tiny_model_path), "--epochs", "1", "--learning-rate", "3e-4",
                 "--data", str(resource_path("mnist_sample.npz")), "--out", str(out), "--json"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    base, more = read_sidecar(tiny_model_path), read_sidecar(out)
    assert more["initialised_from"]["file"] == "tiny.keras"
    assert more["initialised_from"]["sha256"] == sha256_file(tiny_model_path)
    # How the base was made travels with it: the recipe is both stages, first to last.
    assert training_stages(more) == [base["config"], more["config"]]
    assert more["initialised_from"]["train_seconds"] == base["train_seconds"]
    # The architecture, seed and name are the saved model's; the training settings are the command's.
    for key in ("arch", "latent_dim", "widths", "seed", "name"):
        assert more["config"][key] == base["config"][key]
    assert more["config"]["epochs"] == 1 and more["config"]["learning_rate"] == 3e-4
    # It went on from the trained weights: its first epoch is already better than the base's last.
    assert last["history"]["val_loss"][0] < base["history"]["val_loss"][-1]


def test_train_init_from_refuses_architecture_flags_and_bad_files(capsys, tmp_path, tiny_model_path):
    out = str(tmp_path / "x.keras")
    assert main(["train", "--init-from", str(tiny_model_path), "--latent-dim", "8", "--out", out]) == 2
    assert "drop --latent-dim" in capsys.readouterr().err
    assert main(["train", "--init-from", str(tiny_model_path), "--seed", "0", "--out", out]) == 2
    assert "drop --seed" in capsys.readouterr().err
    assert main(["train", "--init-from", str(tmp_path / "missing.keras"), "--out", out]) == 2
    assert "missing.keras" in capsys.readouterr().err
    assert main(["train", "--out", out]) == 2
    assert "needs --arch" in capsys.readouterr().err
    # A part a model may gain is refused where it does not apply, and so is freezing all there is to train.
    assert main(["train", "--init-from", str(tiny_model_path), "--pixel-context", "4", "--out", out]) == 2
    assert "only deepconv has the head" in capsys.readouterr().err
    from desktop_cvae.resources import resource_path

    assert main(["train", "--init-from", str(tiny_model_path), "--freeze", "encoder", "decoder", "--epochs", "1",
                 "--data", str(resource_path("mnist_sample.npz")), "--out", out]) == 2
    assert "Nothing is left to train" in capsys.readouterr().err
    assert not (tmp_path / "x.keras").exists()


def test_generate_writes_a_png_grid(tmp_path, tiny_model_path):
    out = tmp_path / "sevens.png"
    assert main(["generate", "--label", "7", "--n", "9", "--seed", "3", "--model", str(tiny_model_path),
                 "--out", str(out)]) == 0
    img = Image.open(out)
    assert img.size == ((3 * 30 + 2) * 4, (3 * 30 + 2) * 4)
    again = tmp_path / "again.png"
    main(["generate", "--label", "7", "--n", "9", "--seed", "3", "--model", str(tiny_model_path), "--out", str(again)])
    assert out.read_bytes() == again.read_bytes()  # seeded
    prior = tmp_path / "prior.png"
    assert main(["generate", "--label", "7", "--n", "9", "--seed", "3", "--prior", "standard",
                 "--model", str(tiny_model_path), "--out", str(prior)]) == 0
    assert prior.read_bytes() != out.read_bytes()  # z ~ N(0, I), not the fitted density
    assert main(["generate", "--label", "12", "--model", str(tiny_model_path), "--out", str(out)]) == 2


def test_bench_json(capsys, tiny_model_path):
    assert main(["bench", "--model", str(tiny_model_path), "--n", "30", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert {"update_ms_p50", "update_ms_p99"} <= set(r) and 0 < r["update_ms_p50"] <= r["update_ms_p99"]


def _pyproject_version() -> str:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    with open(Path(__file__).resolve().parent.parent / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["version"]


def test_module_entry_point_prints_pyproject_s_version():
    out = subprocess.run([sys.executable, "-m", "desktop_cvae", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"desktop-cvae {_pyproject_version()}"


def test_version_without_installed_metadata_is_read_from_pyproject(monkeypatch):
    # A checkout on sys.path that was never pip-installed has no metadata: the version still has one source.
    import importlib.metadata

    import desktop_cvae

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert desktop_cvae._version() == _pyproject_version()


@pytest.mark.slow
def test_self_test_passes_from_source_opens_image_files_and_reads_a_number(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "desktop_cvae", "--self-test"], capture_output=True, text=True,
                         env=env, timeout=300)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert out.returncode == 0 and result["ok"], result
    assert result["files"] == {"png": 7, "jpeg": 7, "heic": 7, "avif": 7} and result["correct"] >= 9
    assert len(result["number"]) == 10  # the ten shipped digits side by side, read as one number


@pytest.mark.slow
@pytest.mark.filterwarnings("error:Your input ran out of data")  # a graph call ran past an epoch's end
def test_a_killed_training_resumes_with_the_same_command(capsys, tmp_path):
    """SIGKILL mid-training (as a crash or a power cut would), then the same command: refused without
    --resume, which continues from the last finished epoch and saves the whole run's history."""
    import signal
    import time

    from desktop_cvae import checkpoint
    from desktop_cvae.resources import resource_path

    out = tmp_path / "m.keras"
    ckpt = checkpoint.checkpoint_path(out)
    command = ["train", "--arch", "mlp", "--latent-dim", "2", "--epochs", "30", "--batch-size", "50",
               "--seed", "3", "--data", str(resource_path("mnist_sample.npz")), "--out", str(out)]
    child = subprocess.Popen([sys.executable, "-m", "desktop_cvae", *command], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        deadline = time.monotonic() + 120
        while not ckpt.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(30)
    done = checkpoint.read_state(ckpt).epochs_done
    assert 1 <= done < 30 and not out.exists()

    assert main(command) == 2
    err = capsys.readouterr().err
    assert f"({done} of 30 epochs done): add --resume" in err and "Traceback" not in err
    assert main([*command, "--resume", "--json"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["epochs"] == 30 and len(last["history"]["val_loss"]) == 30
    sidecar = json.loads((tmp_path / "m.keras.json").read_text())
    assert sidecar["resumed_at_epochs"] == [done] and not ckpt.exists()
    assert main([*command, "--resume"]) == 2  # nothing left to resume: a message
    assert "no checkpoint m.keras.checkpoint to resume from" in capsys.readouterr().err


def test_only_tensorflow_s_startup_chatter_is_held_back(tmp_path):
    # While TensorFlow loads, every stderr line passes through the filter: other threads' lines (the app's timing,
    # a traceback, TensorFlow's own warnings and errors) must come out; its informational start-up lines must not.
    from desktop_cvae.tensorflow_loader import _STARTUP_CHATTER

    chatter = [b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
               b"I0000 00:00:1795578902.964153    8735 port.cc:153] oneDNN custom operations are on.\n",
               b"To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow.\n"]
    kept = [b"TIMING window_visible 1.234\n", b"Traceback (most recent call last):\n",
            b"E0000 00:00:1795578902.964153    8735 cuda.cc:1] a real error\n",
            b"W0000 00:00:1795578902.964153    8735 x.cc:1] a warning\n"]
    assert through_filter(tmp_path, chatter, kept, _STARTUP_CHATTER) == b"".join(kept)


def through_filter(tmp_path, chatter: list[bytes], kept: list[bytes], pattern) -> bytes:
    """The two kinds of line interleaved, sent through the stderr filter with `pattern`: what comes out."""
    from desktop_cvae.tensorflow_loader import _pass_on

    read_end, write_end = os.pipe()
    os.write(write_end, b"".join(line for pair in zip(chatter + [b""], kept) for line in pair))
    os.close(write_end)
    with open(tmp_path / "stderr", "wb") as out:
        _pass_on(read_end, out.fileno(), pattern)
    return (tmp_path / "stderr").read_bytes()


def test_training_keeps_only_tensorflow_s_harmless_error_lines_back(tmp_path):
    # "E0000 ... oneDNN supports DT_INT32 only on platforms with AVX-512" looks like an error and is none; a real
    # error, a warning and a traceback still reach the terminal while a model trains.
    from desktop_cvae.tensorflow_loader import _TRAINING_CHATTER

    chatter = [b"E0000 00:00:1795595226.772842   17881 util.cc:131] oneDNN supports DT_INT32 only on platforms with "
               b"AVX-512. Falling back to the default Eigen-based implementation if present.\n",
               b"I0000 00:00:1795596309.681911   21377 device_compiler.h:208] Compiled cluster using XLA!  This line "
               b"is logged at most once for the lifetime of the process.\n"]
    kept = [b"E0000 00:00:1795578902.964153    8735 cuda.cc:1] a real error\n",
            b"W0000 00:00:1795578902.964153    8735 x.cc:1] a warning\n", b"Traceback (most recent call last):\n"]
    assert through_filter(tmp_path, chatter, kept, _TRAINING_CHATTER) == b"".join(kept)


@pytest.mark.slow
def test_a_training_on_the_command_line_prints_no_tensorflow_log_lines(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_CPP", "DESKTOP_CVAE_VERBOSE"))}
    out = subprocess.run([sys.executable, "-m", "desktop_cvae", "train", "--arch", "deepconv", "--latent-dim", "2",
                          "--epochs", "1", "--data", "sample", "--out", str(tmp_path / "m.keras")],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    # Only the epoch's line: no oneDNN notes, no XLA notes, no Abseil start-up lines.
    assert [line for line in out.stderr.splitlines() if line.strip()] == [
        line for line in out.stderr.splitlines() if line.startswith("epoch 1:")], out.stderr
