"""Command line: `desktop-cvae` opens the app; subcommands do the same jobs headless.

    desktop-cvae recognize [--model PATH] [--number] [--json] FILE...
    desktop-cvae evaluate [--model PATH] [--data NPZ] [--noise SIGMA ...] [--json]
    desktop-cvae train --arch NAME [--unconditional] ... --out PATH [--json]
    desktop-cvae train --init-from MODEL [--pixel-context C] [--epochs N] [--learning-rate LR] ... --out PATH [--json]
    desktop-cvae train ... --out PATH --resume     (the interrupted training of PATH, from its last epoch)
    desktop-cvae generate --label L [--n N] [--seed S] [--model PATH] [--prior fitted|standard] --out FILE.png
    desktop-cvae bench [--model PATH] [--json]
    desktop-cvae report [--models PATH ...] [--data NPZ] --out DIR
    desktop-cvae serve [--host 127.0.0.1] [--port 8000] [--model PATH] [--db URL] [--token T | --no-auth]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from .config import ARCHITECTURES, FREEZABLE_PARTS, LR_SCHEDULES, MAX_SEED, ModelConfig
from .progress import TimeLeft, duration

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 2, 2
VERBOSE = "--verbose"
VERBOSE_HELP = "show TensorFlow's own log lines, which are hidden otherwise"
MODEL_HELP = "a .keras model file (default: the shipped default model)"
DATA_HELP = ("an MNIST-format .npz, or 'sample' for the small sample shipped with the app (default: "
             "keras.datasets.mnist, downloaded once and cached)")


class CliError(Exception):
    """A clear message for the user; printed without a traceback, exit status 2."""


def _engine(path: str | None):
    from .catalog import default_model_path
    from .engine import Engine
    from .storage import ModelFileError

    model_path = Path(path) if path else default_model_path()
    try:
        return Engine.load(model_path)
    except ModelFileError as e:
        raise CliError(str(e)) from None


def _dataset(path: str | None):
    from .data import DataError, load_data

    try:
        return load_data(path)
    except DataError as e:
        raise CliError(str(e)) from None


def _emit(obj) -> None:
    print(json.dumps(obj), flush=True)


# -- recognize --------------------------------------------------------------------------------------
def cmd_recognize(args) -> int:
    from .numbers.digit import normalize_file

    engine = _engine(args.model)
    if not engine.conditional:
        raise CliError("this model is a plain VAE; recognition needs a conditional model (CVAE)")
    if args.number:
        from .numbers import read_number_file

        return _each_file(args, lambda name: read_number_file(name, engine), _show_number)

    def read_digit(name):
        normalized = normalize_file(name)
        return normalized, engine.analyze(normalized.pixels)

    return _each_file(args, read_digit, _show_digit)


def _each_file(args, read, show) -> int:
    """recognize's loop: read each file; one that fails is reported (a JSON row, or a line on stderr) and the
    rest go on; exit 2 if any failed."""
    from .vision.imageio import ImageError
    from .vision.preprocess import NoInkError

    failed = 0
    for name in args.files:
        try:
            result = read(name)
        except (ImageError, NoInkError) as e:
            failed += 1
            if args.json:
                _emit({"file": name, "error": str(e)})
            else:
                print(f"{name}: error: {e}", file=sys.stderr)
            continue
        show(args, name, result)
    return EXIT_FAILED if failed else EXIT_OK


def _show_digit(args, name: str, read) -> None:
    normalized, a = read
    if args.json:  # several digits squeezed into one are not a digit either
        _emit({"file": name, "label": a.recognised, "probabilities": [float(p) for p in a.probabilities],
               "neg_elbo": a.neg_elbo, "not_a_digit": not a.looks_like_digit or normalized.several})
    else:
        from .calibration import runner_up_if_unsure

        warn = ("" if a.looks_like_digit else "  (looks like a letter, sign or drawing, not a digit)" if a.letter_like
                else "  (does not look like a digit)")
        if normalized.several:
            warn = "  (several digits side by side, read as one: --number reads each)"
        runner_up = runner_up_if_unsure(a.probabilities)
        unsure = "" if runner_up is None else f"  (unsure: or {runner_up}, p={a.probabilities[runner_up]:.3f})"
        print(f"{name}: {a.recognised}  p={a.probabilities[a.recognised]:.3f}  -ELBO={a.neg_elbo:.1f} nats"
              f"{unsure}{warn}")


def _show_number(args, name: str, reading) -> None:
    """recognize --number: the digits left to right; unsure ones marked '?'."""
    if args.json:
        _emit(reading.to_json(name))
        return
    unsure = [i + 1 for i, d in enumerate(reading.digits) if d.unsure]
    per_digit = " ".join(f"{d.label}:{d.confidence:.2f}" for d in reading.digits)
    flag = f"  (unsure of digit {', '.join(map(str, unsure))}: check the ?)" if unsure else ""
    cautions = "".join(f"  ({note})" for note in reading.cautions)
    print(f"{name}: {reading.marked}  confidence {reading.confidence:.3f}  [{per_digit}]{flag}{cautions}")


# -- evaluate ---------------------------------------------------------------------------------------
def cmd_evaluate(args) -> int:
    from .evaluate import evaluate

    bad = [s for s in args.noise or () if not 0 <= s <= 1]  # NaN fails this too
    if bad:
        raise CliError(f"--noise takes Gaussian sigmas between 0 and 1, not {', '.join(map(str, bad))}")
    engine = _engine(args.model)
    data = _dataset(args.data)
    result = evaluate(engine, data, noise_sigmas=args.noise or ())
    if args.json:
        _emit(result)
    else:
        acc = "n/a (plain VAE)" if result["accuracy"] is None else f"{result['accuracy']:.2%}"
        print(f"test images: {result['n']}\naccuracy: {acc}\n-ELBO: {result['neg_elbo']:.2f} nats "
              f"(reconstruction {result['reconstruction']:.2f} + KL {result['kl']:.2f})")
        if result.get("per_class_accuracy"):
            per_digit = ", ".join(f"{d} {a:.1%}" for d, a in enumerate(result["per_class_accuracy"]))
            print(f"accuracy per digit: {per_digit}")
        for sigma, a in result["noise"].items():
            print(f"accuracy at noise sigma={sigma}: {a:.2%}")
        c = result.get("calibration")
        if c:
            noisy = "".join(f", at sigma={sigma} {e:.2%}" for sigma, e in c["noise_ece"].items())
            print(f"expected calibration error (15 bins): {c['ece']:.2%}{noisy} (temperature {c['temperature']:.3g})")
    return EXIT_OK


# -- train ------------------------------------------------------------------------------------------
class ProgressBar:
    """A one-line terminal progress bar on stderr (silent when stderr is not a terminal)."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.live = stream.isatty()
        self.time_left = TimeLeft()

    def batch(self, p) -> None:
        if not self.live:
            return
        width = 30
        filled = int(width * p.step / p.steps)
        left = self.time_left.update(p)
        eta = "" if math.isinf(left) else f" eta {duration(left)}"
        self.stream.write(f"\repoch {p.epoch + 1}/{p.epochs} [{'#' * filled}{'.' * (width - filled)}] "
                          f"{p.step}/{p.steps} loss {p.loss:.2f}{eta}   ")
        self.stream.flush()

    def epoch(self, report) -> None:
        logs = report.logs
        line = (f"epoch {report.epoch + 1}: loss {logs.get('loss', math.nan):.2f} "
                f"val_loss {logs.get('val_loss', math.nan):.2f} (rec {logs.get('val_reconstruction', math.nan):.2f}, "
                f"kl {logs.get('val_kl', math.nan):.2f})"
                + (f" val_accuracy {logs['val_accuracy']:.2%}" if "val_accuracy" in logs else ""))
        self.stream.write(("\r" if self.live else "") + line + " " * 20 + "\n")
        self.stream.flush()


# Flags that describe the model rather than its training; --init-from takes them from its model file.
_ARCHITECTURE_FLAGS = {"arch": "--arch", "unconditional": "--unconditional",
                       "no_label_in_encoder": "--no-label-in-encoder",
                       "no_label_in_decoder": "--no-label-in-decoder", "label_prior": "--label-prior",
                       "refine_layers": "--refine-layers", "latent_dim": "--latent-dim", "seed": "--seed"}


def _train_config(args) -> ModelConfig:
    from .storage import ModelFileError, read_config

    training = dict(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                    lr_schedule=args.lr_schedule or "", beta=args.beta, fitted_prior=args.fitted_prior,
                    train_noise=args.train_noise, classifier_weight=args.classifier_weight,
                    train_shift=args.train_shift, train_rotate=args.train_rotate, train_scale=args.train_scale,
                    train_blur=args.train_blur, train_styles=args.train_styles, train_pens=args.train_pens,
                    frozen=tuple(args.freeze or ()), name=args.name or "")
    # None is an option not given, False a switch not given; 0 is a number given
    given = [flag for dest, flag in _ARCHITECTURE_FLAGS.items()
             if getattr(args, dest) is not None and getattr(args, dest) is not False]
    try:
        if args.init_from:
            if given:
                raise CliError(f"--init-from continues its model as it is built: drop {', '.join(given)}")
            try:
                base = read_config(args.init_from)
            except ModelFileError as e:
                raise CliError(str(e)) from None
            # Training settings are this command's (its defaults, as for a new model), bar these two.
            training["lr_schedule"] = args.lr_schedule or base.lr_schedule
            training["name"] = base.name if args.name is None else args.name
            if args.pixel_context is not None:  # a part the continued model may gain (config.GROWABLE_FIELDS)
                training["pixel_context"] = args.pixel_context
            return base.continued(**training)
        if args.arch is None:
            raise CliError("train needs --arch (or --init-from MODEL to continue training a saved model)")
        return ModelConfig(
            arch=args.arch, conditional=not args.unconditional,
            latent_dim=16 if args.latent_dim is None else args.latent_dim, seed=args.seed or 0,
            label_in_encoder=not args.no_label_in_encoder, label_in_decoder=not args.no_label_in_decoder,
            label_prior=args.label_prior,
            refine_layers=args.refine_layers or 0, pixel_context=args.pixel_context or 0, **training)
    except ValueError as e:
        raise CliError(str(e)) from None


def _absolute(path: str | None) -> str | None:
    return str(Path(path).resolve()) if path else None  # the app may resume this training from elsewhere


def _kept_epochs(out: Path) -> str:
    """What an interrupted training left to resume, as the end of its error message."""
    from . import checkpoint

    path = checkpoint.checkpoint_path(out)
    try:
        state = checkpoint.read_state(path)
    except checkpoint.CheckpointError:
        return ""
    if not state.epochs_done or checkpoint.is_training(path):  # another process's training is not ours to resume
        return ""
    return (f"; {state.epochs_done} of {state.epochs} epochs are kept in {path}: "
            "run the same command with --resume to continue")


def cmd_train(args) -> int:
    from .storage import ModelFileError
    from .tensorflow_loader import quiet_training
    from .train import CheckpointExists, TrainingCancelled, TrainingFailed, train_and_save

    out = Path(args.out)
    if out.suffix != ".keras":
        raise CliError("--out must end in .keras")
    cfg = _train_config(args)
    data = _dataset(args.data)
    bar = ProgressBar()
    try:
        with quiet_training() as terminal:
            bar.stream = terminal  # the real stderr: the bar's carriage returns must not wait for a line's end
            meta = train_and_save(cfg, data, out, on_batch=bar.batch, on_epoch=bar.epoch,
                                  init_from=Path(args.init_from) if args.init_from else None, resume=args.resume,
                                  notes={"data_path": _absolute(args.data), "init_from": _absolute(args.init_from)})
    except CheckpointExists as e:
        raise CliError(f"{e.path} holds an interrupted training ({e.state.epochs_done} of {e.state.epochs} "
                       f"epochs done): add --resume to continue it, or delete it to start again") from None
    except (TrainingFailed, ModelFileError) as e:
        raise CliError(str(e) + _kept_epochs(out)) from None
    except (TrainingCancelled, KeyboardInterrupt):
        raise CliError("training was interrupted; no model was saved" + _kept_epochs(out)) from None
    m = meta["metrics"]
    if args.json:
        _emit({"epochs": len(meta["epoch_seconds"]), "epoch_seconds": meta["epoch_seconds"],
               "history": meta["history"], "test_neg_elbo": m["neg_elbo"], "accuracy": m["accuracy"]})
    else:
        acc = "n/a" if m["accuracy"] is None else f"{m['accuracy']:.2%}"
        print(f"saved {out}: test -ELBO {m['neg_elbo']:.2f} nats, accuracy {acc}, "
              f"{meta['train_seconds']:.0f} s")
    return EXIT_OK


# -- generate ---------------------------------------------------------------------------------------
def cmd_generate(args) -> int:
    from .imaging import grid_image, save_png_atomic

    if not 0 <= args.label <= 9:
        raise CliError("--label must be a digit 0-9")
    if not 1 <= args.n <= 1024:
        raise CliError("--n must be between 1 and 1024")
    if not 0 <= args.seed <= MAX_SEED:
        raise CliError(f"--seed must be between 0 and {MAX_SEED}")
    if not args.out.lower().endswith(".png"):
        raise CliError("--out must end in .png")
    engine = _engine(args.model)
    images = engine.generate(args.label, args.n, args.seed, prior=args.prior)
    try:
        save_png_atomic(grid_image(images), args.out)
    except OSError as e:
        raise CliError(f"could not write {args.out}: {e.strerror or e}") from None
    print(f"wrote {args.n} samples of {args.label} to {args.out}")
    return EXIT_OK


# -- bench ------------------------------------------------------------------------------------------
def cmd_bench(args) -> int:
    from .bench import bench_update

    if not 1 <= args.n <= 1_000_000:
        raise CliError("--n must be between 1 and 1,000,000 updates")
    engine = _engine(args.model)
    result = bench_update(engine, n=args.n)
    if args.json:
        _emit(result)
    else:
        print(f"interactive update (normalise + noise + reconstruction + 10-label recognition), n={args.n}:\n"
              f"p50 {result['update_ms_p50']:.2f} ms, p99 {result['update_ms_p99']:.2f} ms")
    return EXIT_OK


# -- report ---------------------------------------------------------------------------------------
def cmd_report(args) -> int:
    from .catalog import list_models
    from .report import compare, write_report
    from .storage import ModelFileError

    paths = args.models or [str(e.path) for e in list_models() if e.shipped]
    if not paths:
        raise CliError("no models to compare")
    data = _dataset(args.data)

    def progress(i, n, name):
        print(f"[{i + 1}/{n}] {name}", file=sys.stderr, flush=True)

    try:
        comp = compare(paths, data, progress=progress)
        md = write_report(comp, args.out)
    except ModelFileError as e:
        raise CliError(str(e)) from None
    except OSError as e:
        raise CliError(f"could not write the report to {args.out}: {e.strerror or e}") from None
    print(f"wrote {md} and {len(comp.models)} models' figures")
    return EXIT_OK


# -- serve ------------------------------------------------------------------------------------------
def cmd_serve(args) -> int:
    try:
        from .serve import Settings, SettingsError, create_app
        import uvicorn
    except ImportError as e:  # a plain install, or the desktop bundle, which leaves the service out
        raise CliError(f"the web service is an extra this installation lacks ({e.name} is missing): "
                       "pip install 'desktop-cvae[serve]'") from None
    from .serve.archive import Archive, ArchiveError

    token = args.token or os.environ.get("DESKTOP_CVAE_TOKEN") or None
    settings = Settings(host=args.host, port=args.port, model_path=Path(args.model) if args.model else None,
                        db_url=args.db, token=token, no_auth=args.no_auth,
                        max_upload_bytes=int(args.max_upload_mb * 1024 * 1024), workers=args.workers)
    try:
        settings.check()
        archive = Archive(settings.db_url)  # opened here, so a wrong --db is a message, not a traceback later
    except (SettingsError, ArchiveError) as e:
        raise CliError(str(e)) from None
    # One TensorFlow thread: the processes that prepare uploads take the other cores, and TensorFlow's spinning
    # pool competing with them for the cores measured 19 % fewer requests a second (docs/SERVE.md).
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    from .tensorflow_loader import load_tensorflow

    load_tensorflow()
    engine = _engine(args.model)
    app = create_app(settings, engine=engine, archive=archive)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"desktop-cvae: serving on http://{shown}:{args.port}/ (archive: {archive.url.split('://')[0]}, "
          f"{'token required' if token else 'no token'}); Ctrl+C stops", file=sys.stderr, flush=True)
    try:
        # One process: the model and its batcher live in it (several processes would each hold a model and
        # batch apart; run several behind a proxy with one shared --db for more machines).
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                    proxy_headers=False, server_header=False)
    finally:
        archive.close()
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="desktop-cvae", description="Handwritten digits through a Keras conditional VAE. "
                                "With no command, opens the app.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__import__('desktop_cvae').__version__}")
    p.add_argument(VERBOSE, action="store_true", help=VERBOSE_HELP)
    p.add_argument("--self-test", action="store_true", help="check this installation without a person; "
                   "prints one JSON line, exit status 0 if all is well")
    sub = p.add_subparsers(dest="command")
    # Every command takes --verbose too (main() reads it before parsing); SUPPRESS keeps the top level's value.
    verbose_too = argparse.ArgumentParser(add_help=False)
    verbose_too.add_argument(VERBOSE, action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)

    r = sub.add_parser("recognize", help="recognise digits in image files", parents=[verbose_too])
    r.add_argument("--model", help=MODEL_HELP)
    r.add_argument("--number", action="store_true",
                   help="read each picture as a whole handwritten number (its digits, left to right, each with "
                        "its box); unsure digits are marked with '?'")
    r.add_argument("--json", action="store_true", help="one JSON object per line")
    r.add_argument("files", nargs="+", metavar="FILE")
    r.set_defaults(func=cmd_recognize)

    e = sub.add_parser("evaluate", help="test-set metrics of a model", parents=[verbose_too])
    e.add_argument("--model", help=MODEL_HELP)
    e.add_argument("--data", help=DATA_HELP)
    e.add_argument("--noise", type=float, nargs="*", metavar="SIGMA", help="also measure accuracy at these noise levels")
    e.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    e.set_defaults(func=cmd_evaluate)

    t = sub.add_parser("train", help="train a new model", parents=[verbose_too])
    t.add_argument("--arch", choices=sorted(ARCHITECTURES), help="required unless --init-from")
    t.add_argument("--init-from", metavar="MODEL",
                   help="start from this saved model's weights and architecture instead of new ones "
                        "(fine-tuning, or more epochs)")
    t.add_argument("--unconditional", action="store_true", help="a plain VAE (no label)")
    t.add_argument("--no-label-in-encoder", action="store_true",
                   help="CVAE whose encoder sees only the image, so the latent code holds style, not class")
    t.add_argument("--no-label-in-decoder", action="store_true",
                   help="with --no-label-in-encoder and --label-prior: the label only in p(z|y), so the ten "
                        "labels share one decoder pass when scored")
    t.add_argument("--label-prior", action="store_true",
                   help="CVAE with a learnt Gaussian prior p(z|y) per label instead of N(0, I)")
    t.add_argument("--fitted-prior", action="store_true",
                   help="with --label-prior: after training, fit p(z|y) with a full covariance to each "
                        "label's training codes")
    t.add_argument("--refine-layers", type=int,
                   help="deepconv: extra 3x3 convolutions at full resolution in the decoder")
    t.add_argument("--pixel-context", type=int, metavar="C",
                   help="deepconv: a decoder head of C channels that predicts each pixel also from its "
                        "neighbours (a better bound); with --init-from it grows the model by the head")
    t.add_argument("--latent-dim", type=int, help="default 16")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--learning-rate", type=float, default=1e-3)
    t.add_argument("--lr-schedule", choices=LR_SCHEDULES,
                   help="constant Adam rate or cosine decay to 5%% of it (default: constant for the seed "
                        "architectures, cosine for deepconv)")
    t.add_argument("--beta", type=float, default=1.0)
    t.add_argument("--train-noise", type=float, default=0.0, help="denoising: max Gaussian sigma on inputs")
    t.add_argument("--classifier-weight", type=float, default=0.0,
                   help="weight of the cross-entropy on the per-label evidence bounds")
    t.add_argument("--train-shift", type=int, default=0, help="augmentation: random shifts up to this many pixels")
    t.add_argument("--train-rotate", type=float, default=0.0, metavar="DEGREES",
                   help="augmentation: random rotations up to this many degrees")
    t.add_argument("--train-scale", type=float, default=0.0, metavar="FRACTION",
                   help="augmentation: random scaling by up to this fraction (0.1: 90-110 %%)")
    t.add_argument("--train-blur", type=float, default=0.0, metavar="SIGMA",
                   help="corruption: half the inputs blurred by a Gaussian of sigma up to this many pixels")
    t.add_argument("--train-styles", type=float, default=0.0, metavar="SHARE",
                   help="augmentation: add this share of the 1s, 7s, 9s and 4s again as Europe writes them (a "
                        "flagged 1, a crossed 7, a long-tailed 9, an open 4)")
    t.add_argument("--train-pens", type=float, default=0.0, metavar="SHARE",
                   help="augmentation: add this share of the digits again written with other pens and normalised "
                        "as the app normalises pictures")
    t.add_argument("--freeze", nargs="+", choices=FREEZABLE_PARTS, metavar="PART",
                   help="leave these parts as they are (encoder, decoder): e.g. with --init-from and "
                        "--pixel-context, train the new head alone first")
    t.add_argument("--seed", type=int, help="default 0")
    t.add_argument("--name", help="display name")
    t.add_argument("--data", help=DATA_HELP)
    t.add_argument("--out", required=True, help="where to save (.keras)")
    t.add_argument("--resume", action="store_true",
                   help="continue the interrupted training of --out (the same command, plus --resume) from "
                        "its last finished epoch; training keeps OUT.checkpoint after every epoch")
    t.add_argument("--json", action="store_true", help="print the result (epochs, losses, test metrics) as one "
                   "JSON object")
    t.set_defaults(func=cmd_train)

    g = sub.add_parser("generate", help="generate digits for a label into a PNG grid", parents=[verbose_too])
    g.add_argument("--label", type=int, required=True)
    g.add_argument("--n", type=int, default=16)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--model", help=MODEL_HELP)
    g.add_argument("--prior", choices=("fitted", "standard"), default="fitted",
                   help="z from a Gaussian fitted to real digits of the label (default), or from the model's "
                        "prior (N(0, I), or its learnt p(z|label))")
    g.add_argument("--out", required=True)
    g.set_defaults(func=cmd_generate)

    b = sub.add_parser("bench", help="time the interactive update", parents=[verbose_too])
    b.add_argument("--model", help=MODEL_HELP)
    b.add_argument("--n", type=int, default=1000, help="updates to time")
    b.add_argument("--json", action="store_true", help="print the timings as one JSON object")
    b.set_defaults(func=cmd_bench)
    rp = sub.add_parser("report", help="compare models: PNG figures and a Markdown page", parents=[verbose_too])
    rp.add_argument("--models", nargs="+", metavar="PATH", help="models to compare (default: all shipped)")
    rp.add_argument("--data", help=DATA_HELP)
    rp.add_argument("--out", required=True, help="folder for report.md and the figures")
    rp.set_defaults(func=cmd_report)

    sv = sub.add_parser("serve", help="a web page and JSON API for the model (needs the [serve] extra)",
                        parents=[verbose_too],
                        description="Serve the upload page, the archive and the JSON API (/openapi.json).")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine "
                    "only); any other needs --token or --no-auth")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--model", help=MODEL_HELP)
    sv.add_argument("--db", metavar="URL", help="the archive: an SQLAlchemy URL such as "
                    "postgresql+psycopg://user:pass@host/db (default: SQLite in the user's data folder)")
    sv.add_argument("--token", help="every request must carry 'Authorization: Bearer TOKEN' (or the cookie set by "
                    "opening a page with ?token=TOKEN); also read from $DESKTOP_CVAE_TOKEN")
    sv.add_argument("--no-auth", action="store_true", help="serve a non-loopback --host without a token, knowingly")
    sv.add_argument("--max-upload-mb", type=float, default=10.0, help="largest upload accepted (default 10)")
    sv.add_argument("--workers", type=int, metavar="N", help="processes that decode and normalise uploads "
                    "(default: one more than the machine's cores, at most 5)")
    sv.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    from .tensorflow_loader import load_tensorflow, set_verbose

    args_in = sys.argv[1:] if argv is None else argv
    set_verbose(VERBOSE in args_in)  # before anything starts: the app, the self-test, child processes
    if "--self-test" in args_in:
        from .selftest import run as self_test

        return self_test()
    parser = build_parser()
    commands = {"recognize", "evaluate", "train", "generate", "bench", "report", "serve"}
    positional = [a for a in args_in if a != VERBOSE]
    if len(positional) == 1 and positional[0] not in commands and not positional[0].startswith("-"):
        from .gui.app import run  # `desktop-cvae FILE`: open the app with that picture (desktop entry's %f)

        return run(open_file=positional[0])
    args = parser.parse_args(argv)
    if args.command is None:
        from .gui.app import run

        return run()
    try:
        # Every command needs TensorFlow: loaded before Keras, to keep its start-up lines quiet. serve sets its
        # thread counts first and loads it then.
        if args.command != "serve":
            load_tensorflow()
        return args.func(args)
    except CliError as e:
        print(f"desktop-cvae: error: {e}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("desktop-cvae: interrupted", file=sys.stderr)
        return 130
