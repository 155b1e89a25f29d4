"""The inference thread: all model work happens here, never on the UI thread.

Like the Qt mandelbrot example's render thread: one thread, a lock-guarded set of pending requests,
an abort flag. Requests of one kind replace each other, so strokes that arrive faster than inference
only ever compute the newest. TensorFlow is imported here, on first model load, so the window is up
before TensorFlow has loaded.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections import OrderedDict
import time
import traceback
import weakref
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QThread, Signal

from ..data import load_sample
from ..numbers.digit import normalize_gray
from ..vision.preprocess import NoInkError, Normalized, add_noise

# Order in which pending kinds are served: a new model first, then what follows the pen (in Number mode the
# number, then the digit chosen from it).
# "check" (is the input a digit, before noise) follows the update it belongs to; "views" (latent map,
# gallery) comes next to last: the person's own digit is answered before them. "warm" (tracing the model's
# graphs, one per request, then its XLA build) comes last, and only once the person has paused: until then the
# model answers eagerly (~20 ms), and a stroke never waits seconds behind a compiler.
PRIORITY = ("load", "number", "analyze", "explain", "check", "decode", "samples", "traversal", "interpolate",
            "views", "warm")
WARM_AFTER_IDLE_S = 1.0
SAMPLE_COUNT = 16
ENGINE_CACHE = 4  # models kept loaded for instant switching


@dataclass
class DigitCheck:
    """Whether the person's input looks like a digit to the model. The test digits it is compared with carry
    no noise, so a noisy update is checked on its input before the noise was added: noise alone puts
    a real digit far above the threshold (tests/test_gui.py shows one at sigma = 0.3)."""

    input_key: bytes  # which normalised input (before noise) this is about
    neg_elbo: float  # best -ELBO over the labels, in nats
    percentile: float | None  # where that falls among the test digits' (engine.ood_percentile)
    looks_like_digit: bool
    letter_like: bool = False  # taken for a letter (letters.py) where its bound alone would pass it as a digit


@dataclass
class UpdateResult:
    request_id: int
    model_input: np.ndarray  # (28, 28): what the network sees, after normalisation and noise
    analysis: object  # engine.Analysis
    style: np.ndarray | None  # (10, 28, 28): the input's latent code under every label, when asked for
    marker: tuple[float, float] | None  # the input's place on the latent plot
    notes: list[str]
    elapsed_ms: float
    noisy: bool = False  # the model was given the input with noise added
    input_key: bytes = b""  # identifies the normalised input before noise (DigitCheck.input_key)
    digit_check: DigitCheck | None = None  # None: checked separately, digit_checked follows
    side_by_side: int = 1  # digit-sized marks side by side in the input (Normalized): 2 or more, several digits


@dataclass
class LatentMap:
    points: np.ndarray  # (n, 2) projected latent means of the shipped sample
    labels: np.ndarray  # (n,)
    description: str  # what the axes are
    mean: np.ndarray  # (z,) projection centre
    components: np.ndarray  # (2, z) projection axes (rows)
    traversal_dims: tuple[int, int]  # the two most-used latent dimensions
    neighbour_agreement: float  # how often a point's 5 nearest latent neighbours share its label (chance 0.1)


class InferenceWorker(QThread):
    instances: "weakref.WeakSet[InferenceWorker]" = weakref.WeakSet()  # lets tests find leaked threads

    model_loaded = Signal(object)  # dict: path, config, meta
    model_failed = Signal(str)
    analyzed = Signal(object)  # UpdateResult
    input_failed = Signal(int, str)  # request id, message
    samples_ready = Signal(int, object)  # label, (n, 28, 28)
    latent_ready = Signal(object)  # LatentMap
    decoded = Signal(object, object)  # (x, y), (28, 28)
    traversal_ready = Signal(int, object, object)  # label, dims, (steps, steps, 28, 28)
    gallery_ready = Signal(object, object)  # originals (10, 28, 28), reconstructions (10, 28, 28)
    digit_checked = Signal(object)  # DigitCheck of a noisy update's input, after that update
    number_read = Signal(int, object)  # request id, numbers.NumberReading
    explained = Signal(int, object)  # request id of the update explained, explain.Explanation
    interpolated = Signal(object, object, object)  # drawings (steps, 28, 28), label per step, read as per step

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cond = threading.Condition()
        self._pending: dict[str, tuple] = {}
        self._abort = False
        self.engine = None
        self.latent: LatentMap | None = None
        self._sample = None
        self._engines: OrderedDict = OrderedDict()  # (path, mtime, size) -> loaded engine and its views
        self._last_check: tuple[object, DigitCheck] | None = None  # (engine, check): noise moves cost no rerun
        self._last_request = 0.0  # time.monotonic() of the newest submit: warming up waits for a pause
        self.warm_after_idle_s = WARM_AFTER_IDLE_S
        InferenceWorker.instances.add(self)

    # -- called from the UI thread -------------------------------------------------------------
    def submit(self, kind: str, *args) -> None:
        if kind not in PRIORITY:
            raise ValueError(kind)
        with self._cond:
            if self._abort:
                return  # stopped for good (the window is closing): a late signal must not restart it
            self._pending[kind] = args
            self._last_request = time.monotonic()
            self._cond.notify()
        if not self.isRunning():
            self.start()

    def stop(self, timeout_ms: int = 30_000) -> None:
        """Abort pending work and wait for the thread to finish (the current call completes first), and for
        any model's XLA build it started (a window closed seconds after loading a model). Each call takes well
        under a second, a compile a few; the bound is for a machine many times slower than that."""
        with self._cond:
            self._abort = True
            self._pending.clear()
            self._cond.notify()
        self.wait(timeout_ms)
        for engine in [self.engine, *(entry[0] for entry in self._engines.values())]:
            if engine is not None:
                engine.finish_compiling(timeout_ms / 1000)

    @property
    def has_model(self) -> bool:
        return self.engine is not None

    # -- the thread ----------------------------------------------------------------------------
    def run(self) -> None:
        while True:
            with self._cond:
                kind = self._next_kind()
                if kind is None:
                    return
                args = self._pending.pop(kind)
            try:
                getattr(self, f"_do_{kind}")(*args)
            except Exception as e:  # the thread must survive anything one request does
                traceback.print_exc(file=sys.stderr)
                if kind == "load":
                    self.model_failed.emit(f"Could not load the model: {e}")
                elif kind in ("analyze", "number"):
                    self.input_failed.emit(args[0], f"Could not analyse the input: {e}")

    def _next_kind(self) -> str | None:
        """Wait for the next request to serve (under the lock); None once stopped."""
        while not self._abort:
            # Until a model is loaded only a load can run; other requests wait for it (a picture opened at start
            # is answered the moment the model is ready).
            ready = [k for k in PRIORITY if k in self._pending and (self.engine is not None or k == "load")]
            if not ready:
                self._cond.wait()
                continue
            idle = time.monotonic() - self._last_request
            if ready[0] == "warm" and idle < self.warm_after_idle_s:
                self._cond.wait(self.warm_after_idle_s - idle)
                continue
            return ready[0]
        return None

    def _do_load(self, path: str) -> None:
        from ..tensorflow_loader import load_tensorflow

        load_tensorflow()  # TensorFlow loads here, off the UI thread, without its start-up lines on the terminal
        from ..engine import Engine
        from ..storage import ModelFileError

        try:
            st = os.stat(path)
            key = (os.path.realpath(path), st.st_mtime_ns, st.st_size)  # a retrained file is a new model
        except OSError:
            key = None
        cached = self._engines.pop(key, None) if key else None
        if cached is not None:  # switching back is instant and allocates nothing new
            self._engines[key] = cached
            self._activate(*cached)
            return
        try:
            engine = Engine.load(path)
        except ModelFileError as e:
            self.model_failed.emit(str(e))
            return
        engine.eager = True  # answer at once, without first tracing graphs: _do_warm traces them later
        # The model is usable now: say so, and let a waiting request (a picture opened at start) be answered
        # before the latent map and the gallery, which nobody is waiting for.
        self.engine, self.latent = engine, None
        self.model_loaded.emit({"path": str(path), "config": engine.config.to_dict(), "meta": engine.meta})
        with self._cond:
            self._pending["views"] = (engine, key, str(path))

    def _do_views(self, engine, key, path: str) -> None:
        if engine is not self.engine:
            return  # another model was loaded meanwhile
        if self._sample is None:
            self._sample = load_sample()
        x = self._sample.x_test.astype(np.float32) / 255.0
        y = self._sample.y_test.astype(np.int64)
        latent = self._latent_map(engine, x, y)
        gallery_idx = np.array([np.flatnonzero(y == c)[0] for c in range(10)])
        if engine.conditional:
            recon = np.stack([engine.analyze(x[i], int(y[i])).reconstruction for i in gallery_idx])
        else:
            recon = np.stack([engine.analyze(x[i]).reconstruction for i in gallery_idx])
        entry = (engine, latent, x[gallery_idx], recon, path)
        if key:
            self._engines[key] = entry
            while len(self._engines) > ENGINE_CACHE:  # TensorFlow does not give back all of a model's memory;
                self._engines.popitem(last=False)  # a small cache bounds it however often models are switched
        self.latent = latent
        self.latent_ready.emit(latent)
        self.gallery_ready.emit(x[gallery_idx], recon)
        self._warm_when_idle(engine)

    def _warm_when_idle(self, engine) -> None:
        if engine.eager:
            with self._cond:
                self._pending["warm"] = (engine, engine.warm_up_steps(background=True))

    def _do_warm(self, engine, steps: list) -> None:
        """One piece of the model's warm-up, then the rest as a new request: the person is answered between."""
        if engine is not self.engine:
            return  # switched away: it warms up when it is chosen again (_activate)
        steps[0]()
        if len(steps) > 1:
            with self._cond:
                self._pending.setdefault("warm", (engine, steps[1:]))

    def _activate(self, engine, latent, originals, recon, path) -> None:
        self.engine, self.latent = engine, latent
        self.model_loaded.emit({"path": path, "config": engine.config.to_dict(), "meta": engine.meta})
        self.latent_ready.emit(latent)
        self.gallery_ready.emit(originals, recon)
        self._warm_when_idle(engine)

    @staticmethod
    def _latent_map(engine, x: np.ndarray, y: np.ndarray) -> LatentMap:
        means, _ = engine.encode(x, y if engine.conditional else None)
        centre = means.mean(axis=0)
        var = means.var(axis=0)
        order = np.argsort(var)[::-1]
        dims = (int(order[0]), int(order[min(1, len(order) - 1)]))
        if engine.latent_dim <= 2:
            comps = np.eye(engine.latent_dim, dtype=np.float32)[:2]
            if engine.latent_dim == 1:
                comps = np.vstack([comps, np.zeros_like(comps)])
            centre = np.zeros_like(centre)
            desc = "latent z₁ and z₂ (posterior means)"
        else:
            _, s, vt = np.linalg.svd(means - centre, full_matrices=False)
            comps = vt[:2]
            explained = (s[:2] ** 2).sum() / (s**2).sum()
            desc = f"PCA of the {engine.latent_dim}-D latent means ({explained:.0%} of variance)"
        pts = (means - centre) @ comps.T
        d = ((means[:, None, :] - means[None, :, :]) ** 2).sum(-1)  # full latent space, not the projection
        np.fill_diagonal(d, np.inf)
        nearest = np.argsort(d, axis=1)[:, :5]
        agreement = float((y[nearest] == y[:, None]).mean())
        return LatentMap(pts.astype(np.float32), y, desc, centre, comps.astype(np.float32), dims, agreement)

    def _project(self, z: np.ndarray) -> tuple[float, float] | None:
        if self.latent is None:
            return None
        p = (np.asarray(z) - self.latent.mean) @ self.latent.components.T
        return float(p[0]), float(p[1])

    def _do_analyze(self, request_id: int, image: np.ndarray | Normalized, sigma: float, salt_pepper: float,
                    noise_seed: int, label: int | None, style: bool = False, drawn: bool = False) -> None:
        """image: the canvas's grayscale, or an opened picture the window has normalised already. style: also
        the input's code drawn under every label (UpdateResult.style), for the style view. drawn: the canvas
        holds strokes alone (normalize_gray's drawing path)."""
        start = time.perf_counter()
        try:
            norm = image if isinstance(image, Normalized) else normalize_gray(image, drawn=drawn)
        except NoInkError as e:
            self.input_failed.emit(request_id, str(e))
            return
        pixels = add_noise(norm.pixels, sigma=sigma, salt_pepper=salt_pepper, seed=noise_seed)
        engine = self.engine
        analysis = engine.analyze(pixels, label if engine.conditional else None, style=style)
        grid = engine.style_of(analysis) if engine.conditional and style else None
        key = hashlib.blake2b(np.ascontiguousarray(norm.pixels, np.float32).tobytes(), digest_size=16).digest()
        noisy = sigma > 0 or salt_pepper > 0
        if not noisy:  # the update's own bound is the check
            from ..engine import looks_like_digit

            letter = analysis.letter_like and looks_like_digit(analysis.ood_percentile)
            check = DigitCheck(key, analysis.best_neg_elbo, analysis.ood_percentile, analysis.looks_like_digit, letter)
            self._last_check = (engine, check)
            with self._cond:  # a check still queued for an earlier noisy update is about an input no longer shown
                self._pending.pop("check", None)
        else:
            check = self._cached_check(engine, key)
            if check is None:  # checked after this update is shown, so noise costs the pen nothing
                with self._cond:
                    self._pending["check"] = (engine, key, norm.pixels)
        self.analyzed.emit(UpdateResult(request_id, pixels, analysis, grid, self._project(analysis.z), norm.notes,
                                        (time.perf_counter() - start) * 1000, noisy, key, check, norm.side_by_side))

    def _do_number(self, request_id: int, gray: np.ndarray, sigma: float, salt_pepper: float,
                   noise_seed: int) -> None:
        """Read the picture as a whole number (Number mode)."""
        from ..numbers import read_number

        if not self.engine.conditional:
            self.input_failed.emit(request_id, "This model is a plain VAE: it knows no labels, so it cannot read "
                                               "numbers. Choose a CVAE in the Model menu.")
            return
        try:
            reading = read_number(gray, self.engine, sigma=sigma, salt_pepper=salt_pepper, noise_seed=noise_seed)
        except NoInkError as e:
            self.input_failed.emit(request_id, str(e))
            return
        self.number_read.emit(request_id, reading)

    def _cached_check(self, engine, key: bytes) -> DigitCheck | None:
        last = self._last_check
        return last[1] if last is not None and last[0] is engine and last[1].input_key == key else None

    def _do_check(self, engine, key: bytes, clean: np.ndarray) -> None:
        from ..engine import looks_like_digit

        if engine is not self.engine:
            return  # another model was loaded meanwhile; its own update asks again
        check = self._cached_check(engine, key)
        if check is None:
            best, percentile = engine.typicality(clean)
            letter = looks_like_digit(percentile) and engine.looks_like_a_letter(clean)
            check = DigitCheck(key, best, percentile, looks_like_digit(percentile) and not letter, letter)
            self._last_check = (engine, check)
        self.digit_checked.emit(check)

    def _do_explain(self, request_id: int, pixels: np.ndarray) -> None:
        self.explained.emit(request_id, self.engine.bound_terms(pixels))

    def _do_interpolate(self, a: np.ndarray, b: np.ndarray, steps: int, hold_label: bool) -> None:
        self.interpolated.emit(*self.engine.interpolate(a, b, steps, hold_label and self.engine.conditional))

    def _do_samples(self, label: int, seed: int, prior: str = "fitted") -> None:
        self.samples_ready.emit(label, self.engine.generate(label, SAMPLE_COUNT, seed, prior=prior))

    def _do_decode(self, x: float, y: float, label: int) -> None:
        if self.latent is None:
            return
        z = self.latent.mean + np.array([x, y], np.float32) @ self.latent.components
        labels = label if self.engine.conditional else None
        self.decoded.emit((x, y), self.engine.decode(z[None], labels)[0])

    def _do_traversal(self, label: int, dims: tuple[int, int] | None = None, steps: int = 9) -> None:
        """The latent grid: along the two chosen dimensions, or the two most used."""
        if dims is None:
            dims = self.latent.traversal_dims if self.latent else (0, 1)
        grid = self.engine.traversal(label if self.engine.conditional else None, steps=steps, dims=dims)
        self.traversal_ready.emit(label, dims, grid)
