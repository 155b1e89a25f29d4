"""The inference engine: one thread-safe object that the GUI worker and the command line both use.

Every call goes through a `tf.function` traced once (batch dimension left open); no `predict()` (which
costs ~40 ms of per-call set-up) is on the interactive path. The graph functions have no Python control
flow on tensors, so AutoGraph is off: it needs the source files, which a frozen build does not carry.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf

from . import calibration, letters
from .config import ModelConfig
from .latent import LatentExplorer
from .model import NUM_CLASSES, bce_sum, encoder_takes_label
from .storage import load_model

if TYPE_CHECKING:
    from .explain import Explanation

# An input whose best -ELBO is above this percentile of the test set's "does not look like a digit".
OOD_PERCENTILE = 99.5


@dataclass
class Analysis:
    """What the model makes of one 28x28 input."""

    reconstruction: np.ndarray  # (28, 28) in [0, 1], under `label`
    label: int | None  # the label used for the reconstruction (recognised, or the one asked for)
    recognised: int | None  # argmax of probabilities; None for a plain VAE
    probabilities: np.ndarray | None  # (10,) from the per-label evidence bounds; None for a plain VAE
    neg_elbo: float  # -ELBO (nats) of the input under `label`, z at the posterior mean
    z: np.ndarray  # (latent_dim,) posterior mean under `label`
    ood_percentile: float | None  # where best_neg_elbo falls in the test set's distribution of best -ELBO
    per_label: np.ndarray | None = None  # (10, 28, 28) reconstructions under every label; None for a plain VAE
    best_neg_elbo: float | None = None  # the best label's -ELBO (nats), which ood_percentile places
    letter_like: bool = False  # taken for a letter by the letter judge (letters.py), whatever its bound

    @property
    def looks_like_digit(self) -> bool:
        return not self.letter_like and looks_like_digit(self.ood_percentile)


def looks_like_digit(ood_percentile: float | None) -> bool:
    """A model without a reference distribution cannot say an input is unlike its digits."""
    return ood_percentile is None or ood_percentile <= OOD_PERCENTILE


def stored_temperature(meta: dict) -> float:
    """The calibration temperature a model's sidecar holds; 1 (the bound's own probabilities) where it holds
    none, or none that makes sense."""
    try:
        t = float((meta.get("calibration") or {}).get("temperature", 1.0))
    except (TypeError, ValueError, AttributeError):
        return 1.0
    return t if np.isfinite(t) and 0 < t < 1e6 else 1.0


class Engine(LatentExplorer):
    """A model behind a lock, its graph functions traced once: recognition, the bound taken apart, and (from
    LatentExplorer) what its latent space holds."""

    def __init__(self, model, metadata: dict | None = None, path: str | Path | None = None):
        self.model = model
        self.meta = metadata or {}
        self.path = Path(path) if path else None
        self.config: ModelConfig = model.config
        self._lock = threading.RLock()
        self._ood_reference = np.asarray(self.meta.get("ood_reference") or [], dtype=np.float64)
        self.temperature = stored_temperature(self.meta)
        image_spec = tf.TensorSpec((None, 28, 28, 1), tf.float32)
        cond = self.config.conditional
        self._label_in_encoder = encoder_takes_label(self.config)
        self._all_labels = tf.function(self._all_labels_impl, input_signature=[image_spec], autograph=False)
        self._scores = tf.function(self._scores_impl, input_signature=[image_spec], autograph=False)
        self._scored_drawings = tf.function(self._scored_drawings_impl, input_signature=[image_spec],
                                            autograph=False)
        analyze_spec = [image_spec, tf.TensorSpec((), tf.int32)]
        self._analyze = tf.function(self._analyze_impl, input_signature=analyze_spec, autograph=False)
        # XLA fuses the update's small ops into a few kernels. That pays when the labels share one decoder pass
        # (graph call 1.40 -> 1.20 ms, docs/BENCHMARKS.md); with ten passes the kernels' own work dominates.
        # Compiling takes seconds, so only warm_up() does it, and until it is done the plain graph answers.
        self._xla_analyze = (tf.function(self._analyze_impl, input_signature=analyze_spec, autograph=False,
                                         jit_compile=True) if cond and not model.decoder_sees_label else None)
        self.xla_ready = threading.Event()  # set once the update runs as the XLA build
        self._xla_started = False
        self._xla_thread: threading.Thread | None = None  # warm_up(background=True)'s compile
        self._encode = tf.function(
            self._encode_impl, autograph=False,
            input_signature=[image_spec, tf.TensorSpec((None, NUM_CLASSES), tf.float32)] if self._label_in_encoder
            else [image_spec],
        )
        self._decode = tf.function(
            self._decode_impl, autograph=False,
            input_signature=[tf.TensorSpec((None, self.config.latent_dim), tf.float32)]
            + ([tf.TensorSpec((None, NUM_CLASSES), tf.float32)] if cond else []),
        )
        self._single = tf.function(self._single_impl, input_signature=[image_spec], autograph=False)
        self._recognise = tf.function(self._recognise_impl, input_signature=[image_spec], autograph=False)
        self._elbo_sample = tf.function(self._elbo_sample_impl, input_signature=[image_spec, tf.TensorSpec((None,), tf.int32)],
                                        autograph=False)
        # Tracing the graph functions costs ~0.3 s on first use; an eager call costs ~0.1 s the first time and
        # ~20 ms after. The app sets `eager` on loading a model, and runs warm_up_steps() once the person pauses.
        self.eager = False
        self._densities: list | None = None  # label_densities(), fitted on first use
        self._concrete: dict = {}  # name -> ConcreteFunction, see _fn

    def _fn(self, name: str):
        if self.eager:
            return getattr(self, f"{name}_impl")
        if name == "_analyze" and self.xla_ready.is_set():
            name = "_xla_analyze"
        # The traced graph itself: calling the ConcreteFunction skips tf.function's argument matching,
        # ~0.3 ms of each ~2.3 ms update (the input signatures are fixed, so there is exactly one).
        fn = self._concrete.get(name)
        if fn is None:
            fn = self._concrete[name] = getattr(self, name).get_concrete_function()
        return fn

    def warm_up(self, background: bool = False) -> None:
        """Trace every interactive graph function now, so later calls take milliseconds; leaves eager mode.
        Then the XLA build of the update, if this model has one: here, or with `background` in a thread of its
        own while the plain graph goes on answering (the app: a stroke must not wait seconds for a compiler)."""
        for step in self.warm_up_steps(background):
            step()

    def warm_up_steps(self, background: bool = False) -> list[Callable[[], None]]:
        """warm_up() in pieces, each one graph traced under the lock, so the app's worker can answer the person
        between them (tracing them all took 3 s on a 2-core machine). The engine answers eagerly until the
        last piece, which leaves eager mode and starts the XLA build."""
        image = tf.zeros((1, 28, 28, 1))

        def traced(fn, *args) -> Callable[[], None]:
            def step() -> None:
                with self._lock:
                    fn(*args)
            return step

        if self.conditional:
            steps = [traced(self._analyze, image, tf.constant(-1)), traced(self._all_labels, image),
                     traced(self._decode, tf.zeros((1, self.latent_dim)), tf.zeros((1, NUM_CLASSES)))]
        else:
            steps = [traced(self._single, image), traced(self._decode, tf.zeros((1, self.latent_dim)))]
        steps.append(traced(self._encode, image, tf.zeros((1, NUM_CLASSES))) if self._label_in_encoder
                     else traced(self._encode, image))
        return [*steps, lambda: self._leave_eager_and_compile(background)]

    def _leave_eager_and_compile(self, background: bool) -> None:
        with self._lock:
            self.eager = False
            if self._xla_analyze is None or self._xla_started:
                return
            self._xla_started = True
            # Traced here, under the lock, as every other graph is: Keras models are not safe to trace from two
            # threads at once, and the thread below only compiles and runs the traced graph.
            try:
                fn = self._xla_analyze.get_concrete_function()
            except Exception as e:  # noqa: BLE001 - a build without XLA keeps the plain graph, which is correct
                self._stays_uncompiled(e)
                return
        if background:
            # Not a daemon: a process that ends while XLA compiles must wait for it, or TensorFlow torn down
            # under the compile aborts the exit (tests/test_decoder_without_label.py). Said explicitly: a thread
            # inherits the flag of the one that starts it, and the app's worker is a daemon to Python.
            self._xla_thread = threading.Thread(target=self._compile_xla, args=(fn,), name="xla-compile",
                                                daemon=False)
            self._xla_thread.start()
        else:
            self._compile_xla(fn)

    def finish_compiling(self, timeout: float | None = None) -> None:
        """Wait for the background XLA build, if one runs: what closes a window leaves no thread compiling."""
        if self._xla_thread is not None:
            self._xla_thread.join(timeout)

    @staticmethod
    def _stays_uncompiled(e: Exception) -> None:
        print(f"desktop-cvae: the update stays uncompiled ({type(e).__name__}: {e})", file=sys.stderr)

    def _compile_xla(self, fn) -> None:
        try:
            # Under the lock, like every other graph call: a compile beside the worker's own calls (decode for a
            # traversal, encode for samples) was running in every segmentation fault the test suite saw, though
            # the likelier cause was in the tests' harness (docs/RELIABILITY.md). The worker waits for the
            # compile (1-2 s) once per model, after its first answer.
            with self._lock:
                fn(tf.zeros((1, 28, 28, 1)), tf.constant(-1))  # XLA compiles on the first call
        except Exception as e:  # noqa: BLE001 - a build without XLA keeps the plain graph, which is correct
            self._stays_uncompiled(e)
            return
        self._concrete["_xla_analyze"] = fn
        self.xla_ready.set()

    @classmethod
    def load(cls, path: str | Path) -> "Engine":
        model, meta = load_model(path)
        return cls(model, meta, path)

    # -- graph functions -------------------------------------------------------------------------
    def _bounds(self, images):
        """Every image under every label: -ELBO (batch, 10), posterior means (batch, 10, z) and the decoder's
        outputs for the batch*10 rows (model.decoder_outputs), from which drawings are made; for a decoder that
        does not see the label, for the batch's rows: the input's code as it is."""
        m = self.model
        batch = tf.shape(images)[0]
        if not m.decoder_sees_label:  # one decoder pass; the labels differ in their KL terms alone
            z_mean, z_log_var = m.encoder([images], training=False)
            decoded = m.decoder_outputs(z_mean)
            scores = bce_sum(m.pixel_logits(decoded, images), images)[:, None] + m.label_kls(z_mean, z_log_var)
            return scores, tf.repeat(z_mean[:, None], NUM_CLASSES, axis=1), decoded
        tiled = tf.repeat(images, NUM_CLASSES, axis=0)  # (batch*10, 28, 28, 1)
        onehot = tf.tile(tf.eye(NUM_CLASSES), (batch, 1))
        if self._label_in_encoder:
            z_mean, z_log_var = m.encoder([tiled, onehot], training=False)
        else:  # encode once, decode under every label
            z_mean, z_log_var = m.encoder([images], training=False)
            z_mean, z_log_var = tf.repeat(z_mean, NUM_CLASSES, axis=0), tf.repeat(z_log_var, NUM_CLASSES, axis=0)
        decoded = m.decoder_outputs(z_mean, onehot)
        scores = bce_sum(m.pixel_logits(decoded, images, NUM_CLASSES), tiled) + m.kl(z_mean, z_log_var, onehot)
        return tf.reshape(scores, (batch, NUM_CLASSES)), tf.reshape(z_mean, (batch, NUM_CLASSES, -1)), decoded

    def _all_labels_impl(self, images):
        """-ELBO, posterior means and drawings of every image under every label."""
        scores, z_mean, decoded = self._bounds(images)
        if not self.model.decoder_sees_label:  # each code moved from the label it was read as to every label
            batch = tf.shape(images)[0]
            read_as = tf.repeat(tf.one_hot(tf.argmin(scores, axis=1), NUM_CLASSES), NUM_CLASSES, axis=0)
            drawn = self.model.draw(tf.reshape(z_mean, (batch * NUM_CLASSES, -1)),
                                    tf.tile(tf.eye(NUM_CLASSES), (batch, 1)), from_onehot=read_as)
            return scores, z_mean, tf.reshape(drawn, (-1, NUM_CLASSES, 28, 28))
        return scores, z_mean, tf.reshape(self.model.draw_decoded(decoded), (-1, NUM_CLASSES, 28, 28))

    def _scores_impl(self, images):
        """-ELBO of every image under every label: (batch, 10)."""
        return self._bounds(images)[0]

    def _scored_drawings_impl(self, images):
        """-ELBO of every image under every label (batch, 10), and the model's drawing of each under the label
        it reads best: (batch, 28, 28). The same decoder pass as the scores."""
        scores, _, decoded = self._bounds(images)
        if self.model.decoder_sees_label:  # batch*10 rows: each image's row under its best label
            best = tf.argmin(scores, axis=1, output_type=tf.int32)
            rows = tf.range(tf.shape(images)[0]) * NUM_CLASSES + best
            decoded = tuple(None if part is None else tf.gather(part, rows) for part in decoded)
        return scores, tf.reshape(self.model.draw_decoded(decoded), (-1, 28, 28))

    def _analyze_impl(self, images, label):
        """The interactive update for one image: -ELBO and posterior means under every label, and the drawing
        under `label` (-1: the recognised one) alone: a pixel-context model's drawing costs three passes."""
        scores, z_mean, decoded = self._bounds(images)
        recognised = tf.argmin(scores[0], output_type=tf.int32)
        use = tf.where(label < 0, recognised, label)
        if not self.model.decoder_sees_label:
            # Under the recognised label the drawing is the scored decode; under another, the code is moved
            # to that label's Gaussian first (one more decoder pass, only when asked for).
            moved = lambda: self.model.draw(z_mean[:1, 0], tf.one_hot(use[None], NUM_CLASSES),
                                            from_onehot=tf.one_hot(recognised[None], NUM_CLASSES))
            drawn = tf.cond(tf.equal(use, recognised), lambda: self.model.draw_decoded(decoded), moved)
            return scores, z_mean, drawn[0, ..., 0]
        row = tuple(None if d is None else d[use:use + 1] for d in decoded)
        return scores, z_mean, self.model.draw_decoded(row)[0, ..., 0]

    def _recognise_impl(self, images):
        """A batch's answers in one call: -ELBO under every label (batch, 10), and each image's posterior mean
        and drawing under the label it is recognised as, (batch, z) and (batch, 28, 28)."""
        scores, z_mean, decoded = self._bounds(images)
        recognised = tf.argmin(scores, axis=1, output_type=tf.int32)
        batch = tf.shape(images)[0]
        z = tf.gather(z_mean, recognised, batch_dims=1)
        if self.model.decoder_sees_label:  # decoded holds batch*10 rows: each image's recognised one
            rows = tf.range(batch) * NUM_CLASSES + recognised
            decoded = tuple(None if d is None else tf.gather(d, rows) for d in decoded)
        return scores, z, self.model.draw_decoded(decoded)[..., 0]

    def _single_impl(self, images):
        """Plain VAE: -ELBO, posterior mean and reconstruction."""
        m = self.model
        z_mean, z_log_var = m.encoder([images], training=False)
        decoded = m.decoder_outputs(z_mean)
        scores = bce_sum(m.pixel_logits(decoded, images), images) + m.kl(z_mean, z_log_var)
        return scores, z_mean, m.draw_decoded(decoded)[..., 0]

    def _encode_impl(self, images, onehot=None):
        args = [images, onehot] if onehot is not None else [images]
        return self.model.encoder(args, training=False)

    def _decode_impl(self, z, onehot=None):
        return self.model.draw(z, onehot)[..., 0]

    def _elbo_sample_impl(self, images, labels):
        """The reported test -ELBO: one posterior sample, beta = 1. Returns (reconstruction, kl) per image."""
        m = self.model
        onehot = [tf.one_hot(labels, NUM_CLASSES)] if self.config.conditional else []
        z_mean, z_log_var = m.encoder([images] + (onehot if self._label_in_encoder else []), training=False)
        z = z_mean + tf.exp(0.5 * z_log_var) * tf.random.normal(tf.shape(z_mean))
        logits = m.decode_logits(z, *onehot, images=images)
        return bce_sum(logits, images), m.kl(z_mean, z_log_var, *onehot)

    # -- public API ------------------------------------------------------------------------------
    @property
    def conditional(self) -> bool:
        return self.config.conditional

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @staticmethod
    def _batch(images: np.ndarray, first_only: bool = False) -> tf.Tensor:
        a = np.asarray(images, dtype=np.float32).reshape(-1, 28, 28, 1)
        # Sliced here, not as a tensor: an eager slice measured 0.4 ms of a 6.4 ms update.
        return tf.constant(a[:1] if first_only else a)

    def _onehot(self, labels, n: int) -> tf.Tensor:
        labels = np.broadcast_to(np.asarray(labels, dtype=np.int64), (n,))
        return tf.constant(np.eye(NUM_CLASSES, dtype=np.float32)[labels])

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated p(label | input) from the per-label -ELBO scores (..., 10), at this model's temperature."""
        return calibration.probabilities(scores, self.temperature)

    def label_scores(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """-ELBO (batch, 10), posterior means (batch, 10, z), reconstructions (batch, 10, 28, 28)."""
        if not self.conditional:
            raise ValueError("a plain VAE has no labels to score")
        with self._lock:
            s, z, r = self._fn("_all_labels")(self._batch(images))
        return s.numpy(), z.numpy(), r.numpy()

    def analyze(self, pixels: np.ndarray, label: int | None = None, style: bool = False) -> Analysis:
        """The interactive update: recognition over all labels and the reconstruction, in one call. `style`:
        also draw the input's code under every label (Analysis.per_label), for the app's style view."""
        if not self.conditional:
            with self._lock:
                s, z, r = self._fn("_single")(self._batch(pixels))
            score = float(s.numpy()[0])
            return Analysis(r.numpy()[0], None, None, None, score, z.numpy()[0], self.ood_percentile(score),
                            best_neg_elbo=score, letter_like=self.looks_like_a_letter(pixels))
        if style:
            scores, zs, recs = (a[0] for a in self.label_scores(pixels))
            drawn = None
        else:
            wanted = tf.constant(-1 if label is None else int(label))
            with self._lock:
                s, z, r = self._fn("_analyze")(self._batch(pixels, first_only=True), wanted)
            scores, zs, recs, drawn = s.numpy()[0], z.numpy()[0], None, r.numpy()
        probs = self.probabilities(scores)
        recognised = int(np.argmax(probs))
        use = recognised if label is None else int(label)
        reconstruction = drawn if recs is None else recs[use]
        best = float(scores.min())
        return Analysis(reconstruction, use, recognised, probs, float(scores[use]), zs[use],
                        self.ood_percentile(best), recs, best, self.looks_like_a_letter(pixels))

    def analyze_batch(self, pixels: np.ndarray) -> list[Analysis]:
        """Many inputs (n, 28, 28) at once, each under the label it is recognised as: what a server gives
        requests that arrive together (one graph call for the batch). Without per-label drawings."""
        x = self._batch(pixels)
        with self._lock:
            if self.conditional:
                s, z, r = (t.numpy() for t in self._fn("_recognise")(x))
            else:
                s, z, r = (t.numpy() for t in self._fn("_single")(x))
        out = []
        letter = letters.taken_for_letters(pixels)
        for i in range(len(s)):
            if not self.conditional:
                score = float(s[i])
                out.append(Analysis(r[i], None, None, None, score, z[i], self.ood_percentile(score), best_neg_elbo=score,
                                    letter_like=bool(letter[i])))
                continue
            probs = self.probabilities(s[i])
            label = int(np.argmax(probs))
            best = float(s[i].min())
            out.append(Analysis(r[i], label, label, probs, float(s[i][label]), z[i], self.ood_percentile(best),
                                best_neg_elbo=best, letter_like=bool(letter[i])))
        return out

    def bound_terms(self, pixels: np.ndarray, seed: int = 0) -> "Explanation":
        """One input's evidence bound taken apart (module explain): the posterior, a code drawn from it, and
        every label's reconstruction and KL terms, z at the posterior mean as for the scores the app shows.
        Eager: it runs when the Explain tab asks, not on every stroke."""
        from .explain import Explanation

        x = self._batch(pixels, first_only=True)
        m = self.model
        with self._lock:
            if not self.conditional:
                mean, log_var = m.encode(x)
                kl = m.kl(mean, log_var).numpy()
                logits = m.decode_logits(mean, None, images=x)
                rec = bce_sum(logits, x).numpy()
            else:
                onehot = tf.eye(NUM_CLASSES)
                if self._label_in_encoder:
                    mean, log_var = m.encode(tf.repeat(x, NUM_CLASSES, axis=0), onehot)
                else:
                    mean, log_var = m.encode(x)
                    mean, log_var = tf.repeat(mean, NUM_CLASSES, axis=0), tf.repeat(log_var, NUM_CLASSES, axis=0)
                kl = m.kl(mean, log_var, onehot).numpy()
                rec = m.label_scores(x).numpy()[0] - kl
            mean, log_var = mean.numpy(), log_var.numpy()
        scores = rec + kl
        pick = int(np.argmin(scores)) if self.conditional else 0
        sigma = np.exp(0.5 * log_var[pick])
        z = mean[pick] + sigma * np.random.default_rng(seed).standard_normal(sigma.shape).astype(np.float32)
        probs = self.probabilities(scores) if self.conditional else None
        return Explanation(mean[pick], sigma, z, rec.astype(np.float64), kl.astype(np.float64), probs)

    def encode(self, images: np.ndarray, labels=None) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance, (n, z) each."""
        x = self._batch(images)
        with self._lock:
            if self._label_in_encoder:
                if labels is None:
                    raise ValueError("this model's encoder needs labels")
                mean, log_var = self._fn("_encode")(x, self._onehot(labels, int(x.shape[0])))
            else:
                mean, log_var = self._fn("_encode")(x)
        return mean.numpy(), log_var.numpy()

    def decode(self, z: np.ndarray, labels=None) -> np.ndarray:
        """Images (n, 28, 28) in [0, 1] from latent points (n, z)."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float32))
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"latent points must have {self.latent_dim} dimensions")
        with self._lock:
            if self.conditional:
                if labels is None:
                    raise ValueError("a conditional model needs labels to decode")
                return self._fn("_decode")(tf.constant(z), self._onehot(labels, len(z))).numpy()
            return self._fn("_decode")(tf.constant(z)).numpy()

    def reconstruct(self, pixels: np.ndarray, label: int | None = None) -> np.ndarray:
        return self.analyze(pixels, label).reconstruction

    def neg_elbo_sampled(self, images: np.ndarray, labels: np.ndarray, seed: int = 0, batch: int = 1000):
        """Reconstruction and KL per image with one posterior sample (the reported test -ELBO)."""
        tf.random.set_seed(seed)
        rec, kl = [], []
        for i in range(0, len(images), batch):
            with self._lock:
                r, k = self._elbo_sample(self._batch(images[i:i + batch]), tf.constant(labels[i:i + batch], tf.int32))
            rec.append(r.numpy())
            kl.append(k.numpy())
        return np.concatenate(rec), np.concatenate(kl)

    def bounds(self, images: np.ndarray, batch: int = 500) -> np.ndarray:
        """-ELBO (nats) of every image under every label, (n, 10): the scores alone, no drawings."""
        if not self.conditional:
            raise ValueError("a plain VAE has no labels to score")
        out = []
        for i in range(0, len(images), batch):
            x = self._batch(images[i:i + batch])
            with self._lock:
                out.append(self._fn("_scores")(x).numpy())
        return np.concatenate(out) if out else np.zeros((0, NUM_CLASSES), np.float32)

    def bounds_and_drawings(self, images: np.ndarray, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
        """-ELBO (n, 10) of every image under every label, and what the model draws of each under the label it
        reads best (n, 28, 28), from one decoder pass. Ink it leaves undrawn, or ink it draws where the image has
        none, says where the image is not the digit it is read as: a neighbour's stroke, or a piece cut off (the
        number reader's split)."""
        if not self.conditional:
            raise ValueError("a plain VAE has no labels to score")
        scores, drawings = [], []
        for i in range(0, len(images), batch):
            x = self._batch(images[i:i + batch])
            with self._lock:
                s, d = self._fn("_scored_drawings")(x)
            scores.append(s.numpy())
            drawings.append(d.numpy())
        if not scores:
            return np.zeros((0, NUM_CLASSES), np.float32), np.zeros((0, 28, 28), np.float32)
        return np.concatenate(scores), np.concatenate(drawings)

    def best_scores(self, images: np.ndarray, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
        """Per image: the predicted label and the best -ELBO (for accuracy and the OOD reference)."""
        if self.conditional:
            s = self.bounds(images, batch)
            return s.argmin(axis=1), s.min(axis=1)
        best = []
        for i in range(0, len(images), batch):
            with self._lock:
                best.append(self._single(self._batch(images[i:i + batch]))[0].numpy())
        return None, np.concatenate(best)

    def typicality(self, pixels: np.ndarray) -> tuple[float, float | None]:
        """One input's best -ELBO over the labels and its ood_percentile: the "does this look like a digit"
        check alone, for an input the update did not score itself."""
        x = self._batch(pixels, first_only=True)
        with self._lock:  # the update's own graph: traced already, and the same numbers as analyze()
            scores = (self._fn("_analyze")(x, tf.constant(-1)) if self.conditional else self._fn("_single")(x))[0]
        best = float(scores.numpy().min())
        return best, self.ood_percentile(best)

    @staticmethod
    def looks_like_a_letter(pixels: np.ndarray) -> bool:
        """The letter judge's verdict on one input (letters.py): the model reads a printed "A" as a sure 4, its
        bound as a digit's. Judged, like the bound, on an input before any noise."""
        return bool(letters.taken_for_letters(np.asarray(pixels)[:1] if np.ndim(pixels) == 3 else pixels)[0])

    def ood_percentile(self, neg_elbo: float) -> float | None:
        ref = self._ood_reference
        if ref.size < 2:
            return None
        return float(np.interp(neg_elbo, ref, np.linspace(0, 100, ref.size), left=0.0, right=100.0))
