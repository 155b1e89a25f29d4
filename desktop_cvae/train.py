"""Training: fit a CVAE with validation every epoch, per-batch progress and cooperative cancel."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from pathlib import Path
from dataclasses import dataclass, field
from typing import Callable

import keras
import numpy as np

from . import calibration, checkpoint, pens, styles
from .config import ARCHITECTURE_FIELDS, GROWABLE_FIELDS, ModelConfig
from .data import Dataset
from .model import CVAE, build_model, codes_gaussian
from .progress import BatchProgress, EpochReport

VALIDATION_SIZE = 5000  # held out from the training split, so the test split stays unseen


class TrainingCancelled(Exception):
    """Raised by train() when should_stop() asked it to stop."""


class TrainingFailed(Exception):
    """Training diverged (NaN or inf loss) or could not run; the message says why."""


@dataclass
class TrainResult:
    model: CVAE
    history: dict[str, list[float]]  # loss/reconstruction/kl and val_* per epoch
    epoch_seconds: list[float] = field(default_factory=list)
    earlier_seconds: float = 0.0  # a resumed training's time before this run
    resumed_at: list[int] = field(default_factory=list)  # epochs done when each resume started


class _Hooks(keras.callbacks.Callback):
    def __init__(self, epochs, steps, on_batch, on_epoch, should_stop, previews,
                 resumed: checkpoint.TrainingState | None = None):
        super().__init__()
        self.epochs, self.steps, self.previews = epochs, steps, previews
        self.history: dict[str, list[float]] = {k: list(v) for k, v in resumed.history.items()} if resumed else {}
        self.on_batch, self.on_epoch, self.should_stop = on_batch, on_epoch, should_stop
        self.epoch = self.first_epoch = resumed.epochs_done if resumed else 0
        self.cancelled = False
        self.diverged = None
        self.epoch_seconds: list[float] = list(resumed.epoch_seconds) if resumed else []
        self.start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.epoch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        loss = float(logs.get("loss", math.nan)) if logs else math.nan
        if not math.isfinite(loss):
            self.diverged = f"the loss became {loss} in epoch {self.epoch + 1}, step {batch + 1}"
            self.model.stop_training = True
            return
        if self.should_stop is not None and self.should_stop():
            self.cancelled = True
            self.model.stop_training = True
            return
        if self.on_batch is not None:
            # With steps_per_execution, the last call of an epoch may report a step past its end.
            self.on_batch(BatchProgress(self.epoch, self.epochs, min(batch + 1, self.steps), self.steps, loss,
                                        time.perf_counter() - self.start, self.first_epoch / self.epochs))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self.epoch_start)
        if self.cancelled or self.diverged:
            return
        if logs and not all(math.isfinite(float(v)) for v in logs.values()):
            self.diverged = f"a loss became NaN or infinite in epoch {epoch + 1}"
            self.model.stop_training = True
            return
        logs = {k: float(v) for k, v in (logs or {}).items()}
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        if self.on_epoch is not None:
            recon = None
            if self.previews is not None:
                images, labels = self.previews
                recon = np.asarray(self.model(_model_inputs(self.model, images, labels), training=False))[..., 0]
            self.on_epoch(EpochReport(epoch, self.epochs, logs, {k: list(v) for k, v in self.history.items()}, recon))


def _restore_now(model, model_arrays, optimizer_arrays, name: str) -> None:
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    try:
        checkpoint.restore(model.variables, model_arrays, "weights", name)
        checkpoint.restore(optimizer.variables, optimizer_arrays, "optimizer", name)
    except checkpoint.CheckpointError as e:
        raise TrainingFailed(f"Cannot resume: {e}.") from None


class _Restore(keras.callbacks.Callback):
    """Puts a checkpoint's variables back once fit() has built the model and optimizer it trains."""

    def __init__(self, model_arrays, optimizer_arrays, name: str):
        super().__init__()
        self.arrays = (model_arrays, optimizer_arrays)
        self.name = name

    def on_train_begin(self, logs=None):
        _restore_now(self.model, *self.arrays, self.name)
        self.arrays = None  # the copy in memory is not needed any more


class _Checkpointer(keras.callbacks.Callback):
    """Writes the training's state after every finished epoch (not after a cancelled or diverged one)."""

    def __init__(self, path: Path, state: checkpoint.TrainingState, hooks: _Hooks):
        super().__init__()
        self.path, self.state, self.hooks = path, state, hooks
        self.start = time.perf_counter()
        self.seconds_before = state.train_seconds

    def on_epoch_end(self, epoch, logs=None):
        if self.hooks.cancelled or self.hooks.diverged:
            return
        self.state.epochs_done = epoch + 1
        self.state.history = {k: list(v) for k, v in self.hooks.history.items()}
        self.state.epoch_seconds = list(self.hooks.epoch_seconds)
        self.state.train_seconds = self.seconds_before + time.perf_counter() - self.start
        try:
            checkpoint.write(self.path, self.state, [np.asarray(v) for v in self.model.variables],
                             [np.asarray(v) for v in self.model.optimizer.variables])
        except checkpoint.CheckpointError as e:
            raise TrainingFailed(f"Training stopped after epoch {epoch + 1}: {e}.") from None


def _model_inputs(model, images, labels):
    x = images[..., None].astype(np.float32)
    return (x, np.eye(10, dtype=np.float32)[labels]) if model.config.conditional else x


def split_validation(data: Dataset, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and validation images/labels; validation is a seeded hold-out of the training split."""
    x, y = Dataset.images(data.x_train), data.y_train.astype(np.int32)
    n_val = min(VALIDATION_SIZE, len(x) // 10) or 1
    order = np.random.default_rng(seed).permutation(len(x))
    val, train = order[:n_val], order[n_val:]
    return x[train], y[train], x[val], y[val]


def with_styles(x: np.ndarray, y: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training digits and labels with `share` of each national style's label added again in that style
    (module styles), drawn with `seed`: the same set for the same training, so that a resumed run matches."""
    made = styles.variants_of(x[..., 0], y, share=share, seed=seed)
    extra_x = [images[..., None] for images, _ in made.values()]
    extra_y = [np.full(len(images), styles.VARIANTS[name][0], np.int32) for name, (images, _) in made.items()]
    return np.concatenate([x, *extra_x]), np.concatenate([y, *extra_y])


def with_pens(x: np.ndarray, y: np.ndarray, share: float, seed: int,
              should_stop: Callable[[], bool] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The training digits and labels with `share` of them added again written with other pens and normalised
    as the app normalises (module pens), drawn with `seed` (the same set for the same training). Raises
    TrainingCancelled if should_stop() turns true meanwhile."""
    made = pens.redrawn(x[..., 0], share=share, seed=seed, should_stop=should_stop)
    if made is None:
        raise TrainingCancelled("training was cancelled")
    images, used = made
    return np.concatenate([x, images[..., None]]), np.concatenate([y, y[used]])


def _batches(x: np.ndarray, y: np.ndarray, batch_size: int):
    """Validation batches for fit(), in order."""
    import tensorflow as tf

    return _gathered(tf.data.Dataset.range(len(x)).batch(batch_size), x, y)


def _shuffled_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, first_epoch: int, epochs: int):
    """Training batches of epochs first_epoch .. epochs-1, one after the other (fit() takes steps_per_epoch
    of them per epoch). Each epoch's order is a function of (seed, epoch) alone, so a resumed training sees
    the orders an uninterrupted one would: fit()'s own way of iterating a dataset plays no part."""
    import tensorflow as tf

    n = len(x)

    # Plain tensor code with no Python control flow: nothing for AutoGraph to convert. Left to it, it reads the
    # source, which a frozen build does not have, and warns on every training.
    @tf.autograph.experimental.do_not_convert
    def epoch_order(epoch):
        order = tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64),
                                                         seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    return _gathered(tf.data.Dataset.range(first_epoch, epochs).flat_map(epoch_order), x, y)


def _gathered(index_batches, x: np.ndarray, y: np.ndarray):
    """Each batch gathered from in-memory tensors on one private thread, with tf.data's autotuning off:
    on a 2-core machine fit()'s default input pipeline competes with the training step for the cores
    and made one epoch in two or three much slower than the others (benchmarks/train_speed.py)."""
    import tensorflow as tf

    images, labels = tf.constant(x), tf.constant(y)

    @tf.autograph.experimental.do_not_convert  # as epoch_order in _shuffled_batches
    def gather(i):
        return tf.gather(images, i), tf.gather(labels, i)

    batches = index_batches.map(gather)
    options = tf.data.Options()
    options.autotune.enabled = False
    options.threading.private_threadpool_size = 1
    options.threading.max_intra_op_parallelism = 1
    return batches.with_options(options)


def latent_codes(model: CVAE, images: np.ndarray, labels: np.ndarray, batch: int = 1000):
    """Posterior means and log-variances (n, z) of images (n, 28, 28), encoded in batches; an encoder that
    sees the label encodes each digit under its own."""
    x = images.reshape(-1, 28, 28, 1).astype(np.float32)
    onehot = np.eye(10, dtype=np.float32)[labels]
    codes = [model.encode(x[i:i + batch], onehot[i:i + batch], training=False) for i in range(0, len(x), batch)]
    return np.concatenate([np.asarray(m) for m, _ in codes]), np.concatenate([np.asarray(v) for _, v in codes])


def fit_label_prior(model: CVAE, images: np.ndarray, labels: np.ndarray, batch: int = 1000) -> CVAE:
    """The trained model with its prior p(z | y) replaced by a full-covariance Gaussian per label, fitted
    to the codes of `images` (n, 28, 28) of that label (model.codes_gaussian). For a trained encoder and
    decoder no Gaussian prior gives these digits a better average evidence bound; the learnt diagonal
    prior is a compromise between that and the discriminative terms it was trained with."""
    z_mean, z_log_var = latent_codes(model, images, labels, batch)
    fitted = build_model(dataclasses.replace(model.config, fitted_prior=True))
    transplant(model, fitted, prior=False)
    means, whitens = [], []
    for label in range(10):
        mean, cov = codes_gaussian(z_mean[labels == label], z_log_var[labels == label])
        means.append(mean)
        whitens.append(np.linalg.inv(np.linalg.cholesky(cov)))
    fitted.prior.mean.assign(np.stack(means).astype(np.float32))
    fitted.prior.whiten.assign(np.stack(whitens).astype(np.float32))
    return fitted


def transplant(source: CVAE, target: CVAE, prior: bool = True) -> None:
    """Copy a trained model's weights into another of the same architecture, or one grown by parts the
    source lacks (GROWABLE_FIELDS), which keep their initial weights: the identity. `prior=False` leaves
    the target's prior as it is (fit_label_prior sets it)."""
    parts = ["encoder", "decoder", "context"] + (["prior"] if prior else [])
    for part in parts:
        src = getattr(source, part)
        if src is not None:
            getattr(target, part).set_weights(src.get_weights())


def steps_per_call(cfg: ModelConfig, steps: int, wanted: int | None = None) -> int:
    """Training steps per graph call. The seed models' steps take ~3-12 ms, so Python's cost between
    calls shows and ten steps go per call (progress and cancel every ~0.1 s); a deepconv step takes
    ~180 ms, so one step per call costs nothing and keeps cancel prompt.

    It divides the epoch's `steps`: fit() takes whole calls from a stream of every epoch's batches, so a
    call that ran past an epoch's end would take the next epoch's first batches (_shuffled_batches)."""
    wanted = wanted or (1 if cfg.arch == "deepconv" else 10)
    return max(d for d in range(1, min(wanted, steps) + 1) if steps % d == 0)


def device_description() -> str:
    """Where training runs: TensorFlow uses a GPU when it sees one, else the CPU."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f"GPU ({', '.join(g.name for g in gpus)})" if gpus else "CPU"


def train(
    cfg: ModelConfig,
    data: Dataset,
    on_batch: Callable[[BatchProgress], None] | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    steps_per_execution: int | None = None,
    previews: tuple[np.ndarray, np.ndarray] | None = None,
    init_from: CVAE | None = None,
    checkpoint_to: Path | None = None,
    resume: bool = False,
    notes: dict | None = None,
) -> TrainResult:
    """Train a new model. Raises TrainingCancelled or TrainingFailed; never returns a half-trained model
    as if it were finished. `previews` = (images (n, 28, 28), labels) to reconstruct after every epoch.
    `init_from`: start from this trained model's weights instead of new ones (cfg = its config.continued()).

    `checkpoint_to`: write the training's state there after every epoch (module checkpoint), with `notes`;
    `resume`: continue the training saved there, which must be this one (same settings and data), from its
    last finished epoch; the result is the model an uninterrupted run gives.

    Progress and cancel are checked between graph calls of up to `steps_per_execution` steps each
    (steps_per_call: a divisor of the epoch's steps); None picks what suits the architecture."""
    if init_from is not None:
        differ = [f for f in (*ARCHITECTURE_FIELDS, "seed") if getattr(cfg, f) != getattr(init_from.config, f)
                  and not (f in GROWABLE_FIELDS and not getattr(init_from.config, f))]
        if differ:
            raise ValueError(f"cannot continue training a model with another {', '.join(differ)}")
    keras.utils.set_random_seed(cfg.seed)
    x_train, y_train, x_val, y_val = split_validation(data, cfg.seed)
    if cfg.train_styles:
        x_train, y_train = with_styles(x_train, y_train, cfg.train_styles, cfg.seed)
    if cfg.train_pens:
        x_train, y_train = with_pens(x_train, y_train, cfg.train_pens, cfg.seed, should_stop)
    steps = math.ceil(len(x_train) / cfg.batch_size)
    fingerprint = checkpoint.data_fingerprint(x_train, y_train) if checkpoint_to is not None else ""
    resumed, saved_model, saved_optimizer = None, None, None
    if resume:
        if checkpoint_to is None:
            raise ValueError("resume needs the checkpoint to resume from")
        try:
            resumed, saved_model, saved_optimizer = checkpoint.read(checkpoint_to)
        except checkpoint.CheckpointError as e:
            raise TrainingFailed(f"Cannot resume: {e}.") from None
        why = checkpoint.mismatch(resumed, cfg.to_dict(), fingerprint)
        if why:
            raise TrainingFailed(f"Cannot resume from {Path(checkpoint_to).name}: {why}.")
    if cfg.fitted_prior:  # say so now, not after the last epoch
        counts = np.bincount(y_train, minlength=10)
        if counts.min() < 2:
            raise TrainingFailed(f"A fitted prior needs at least 2 training digits of every label; label "
                                 f"{int(counts.argmin())} has {int(counts.min())}.")
    # The prior is fitted after training; a model that already has a fitted prior trains under it.
    model = build_model(dataclasses.replace(cfg, fitted_prior=init_from is not None and init_from.config.fitted_prior))
    if init_from is not None:
        transplant(init_from, model)
    for part in cfg.frozen:
        getattr(model, part).trainable = False
    if not model.trainable_weights:
        raise TrainingFailed(f"Nothing is left to train with the {' and '.join(cfg.frozen)} frozen.")
    schedule = cfg.learning_rate
    if cfg.lr_schedule == "cosine":  # to 5 % of the rate over the whole run
        schedule = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, decay_steps=steps * cfg.epochs, alpha=0.05)
    # No XLA: on CPU TensorFlow's oneDNN kernels train these models faster than XLA-compiled steps
    # (benchmarks/train_speed.py: 0.62x the seed-style fit with XLA, 0.99x without).
    model.compile(optimizer=keras.optimizers.Adam(schedule), jit_compile=False,
                  steps_per_execution=steps_per_call(cfg, steps, steps_per_execution))
    hooks = _Hooks(cfg.epochs, steps, on_batch, on_epoch, should_stop, previews, resumed)
    callbacks: list[keras.callbacks.Callback] = [hooks]
    if resumed is not None:
        callbacks.append(_Restore(saved_model, saved_optimizer, Path(checkpoint_to).name))
    if checkpoint_to is not None:
        state = checkpoint.TrainingState(cfg.to_dict(), fingerprint, data.source, 0, notes=notes or {})
        if resumed is not None:
            state = dataclasses.replace(resumed, config=cfg.to_dict(), notes=notes or resumed.notes,
                                        resumed_at=resumed.resumed_at + [resumed.epochs_done])
        callbacks.append(_Checkpointer(Path(checkpoint_to), state, hooks))
    first_epoch = hooks.first_epoch
    if first_epoch < cfg.epochs:  # a checkpoint of the last epoch has only the prior fit and saving left
        model.fit(
            _shuffled_batches(x_train, y_train, cfg.batch_size, cfg.seed, first_epoch, cfg.epochs),
            epochs=cfg.epochs, initial_epoch=first_epoch, steps_per_epoch=steps,
            validation_data=_batches(x_val, y_val, cfg.batch_size),
            callbacks=callbacks, verbose=0, shuffle=False,  # _shuffled_batches shuffles
        )
    elif resumed is not None:
        _restore_now(model, saved_model, saved_optimizer, Path(checkpoint_to).name)
    if hooks.cancelled:
        raise TrainingCancelled("training was cancelled")
    if hooks.diverged:
        raise TrainingFailed(f"Training stopped: {hooks.diverged}. Try a lower learning rate or beta.")
    if cfg.fitted_prior:
        model = fit_label_prior(model, x_train[..., 0], y_train)
    history = {k: [float(v) for v in vals] for k, vals in hooks.history.items()}
    if resumed is None:
        return TrainResult(model, history, hooks.epoch_seconds)
    return TrainResult(model, history, hooks.epoch_seconds, resumed.train_seconds,
                       resumed.resumed_at + [resumed.epochs_done])


class CheckpointExists(TrainingFailed):
    """The model's output already has the checkpoint of an interrupted training; starting anew would lose it."""

    def __init__(self, path: Path, state: checkpoint.TrainingState):
        super().__init__(f"{path.name} holds an interrupted training of this model ({state.epochs_done} of "
                         f"{state.epochs} epochs done). Resume it, or delete that file to start again.")
        self.path, self.state = path, state


def train_and_save(cfg: ModelConfig, data: Dataset, out: Path, on_batch=None, on_epoch=None, should_stop=None,
                   noise_levels=(0.3,), steps_per_execution: int | None = None, previews=None,
                   init_from: Path | None = None, resume: bool = False, notes: dict | None = None) -> dict:
    """Train, evaluate on the test split and save atomically. Returns the summary written to the sidecar.
    Shared by the CLI and the GUI's training dialog. `init_from`: a saved model to continue training (its
    file and sha256 go into the sidecar).

    The training is checkpointed after every epoch to checkpoint.checkpoint_path(out), kept when it is
    interrupted, cancelled or fails, and removed once the model is saved. `resume` continues from it; without
    `resume` an existing checkpoint raises CheckpointExists rather than being overwritten. `notes` go into
    the checkpoint (what a caller needs to resume it). While it runs it holds checkpoint.training_lock: the
    same training started elsewhere meanwhile fails with a message."""
    from .storage import load_model, sha256_file

    start = time.perf_counter()
    ckpt = checkpoint.checkpoint_path(out)
    lock = contextlib.ExitStack()
    try:
        lock.enter_context(checkpoint.training_lock(ckpt))
    except checkpoint.CheckpointError as e:  # the same training runs elsewhere
        raise TrainingFailed(f"Cannot train: {e}.") from None
    with lock:
        if not resume and ckpt.exists():
            try:
                raise CheckpointExists(ckpt, checkpoint.read_state(ckpt))
            except checkpoint.CheckpointError as e:
                raise TrainingFailed(f"{e}; delete it to start again.") from None
        base, base_meta = load_model(init_from) if init_from is not None else (None, {})
        result = train(cfg, data, on_batch=on_batch, on_epoch=on_epoch, should_stop=should_stop,
                       steps_per_execution=steps_per_execution, previews=previews, init_from=base,
                       checkpoint_to=ckpt, resume=resume, notes=notes)
        meta = {"history": result.history, "epoch_seconds": result.epoch_seconds,
                "train_seconds": result.earlier_seconds + time.perf_counter() - start}
        if result.resumed_at:
            meta["resumed_at_epochs"] = result.resumed_at
        if init_from is not None:
            # How the base was made, so the recipe of a model trained in stages can be followed from the start.
            meta["initialised_from"] = {"file": Path(init_from).name, "sha256": sha256_file(init_from),
                                        **{k: base_meta[k] for k in ("config", "train_seconds", "initialised_from")
                                           if k in base_meta}}
        saved = evaluate_and_save(result.model, data, out, meta, noise_levels, should_stop)
        try:
            ckpt.unlink()
        except OSError:
            pass  # the model is saved; a leftover checkpoint only costs disk space
        return saved


def calibrate(engine, data: Dataset) -> dict:
    """Fit the engine's calibration temperature on the digits its model's training held out (the model's seed
    picks them from data's training split), set it, and return the sidecar's "calibration" entry."""
    _, _, x_val, y_val = split_validation(data, engine.config.seed)
    entry = calibration.fit(engine, x_val[..., 0], y_val)
    engine.temperature = entry["temperature"]
    return entry


def evaluate_and_save(model: CVAE, data: Dataset, out: Path, meta: dict, noise_levels=(0.3,),
                      should_stop: Callable[[], bool] | None = None) -> dict:
    """Evaluate a trained model on the test split and save it atomically with `meta` plus the metrics, its
    size, the data's source and the out-of-distribution reference. Returns the sidecar's contents."""
    from .engine import Engine
    from .evaluate import evaluate, ood_reference
    from .storage import save_model

    def check_cancel():  # a cancel after the last batch still means "save nothing"
        if should_stop is not None and should_stop():
            raise TrainingCancelled("training was cancelled")

    check_cancel()
    engine = Engine(model)
    if model.config.conditional:
        # Refitted after every training, before the test metrics use it.
        meta = {**meta, "calibration": calibrate(engine, data)}
    meta = {
        **meta,
        "metrics": evaluate(engine, data, noise_sigmas=noise_levels if model.config.conditional else ()),
        "params": int(model.count_params()),
        "data": data.source,
        "ood_reference": ood_reference(engine, data),
    }
    check_cancel()
    save_model(model, out, meta)
    return meta
