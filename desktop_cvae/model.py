"""The (conditional) variational autoencoder: encoder, decoder and a keras.Model with its own train_step.

Follows the Keras VAE example: a Sampling layer, encoder and decoder as small functional models, and a
Model subclass whose train_step computes the loss and exposes Mean trackers through `metrics`.

Loss per image, in nats: binary cross-entropy summed over the 784 pixels + beta * KL(q(z|x,y) || p(z|y)),
where the prior p(z|y) is N(0, I), or a Gaussian learnt per label (`ModelConfig.label_prior`), optionally
refitted with a full covariance after training (`ModelConfig.fitted_prior`).
The decoder outputs logits; the sigmoid of the seed architectures is applied inside the loss (and by
`draw`), which is the same model computed without rounding the cross-entropy. With a pixel-context head
(`ModelConfig.pixel_context`) a pixel's logit also depends on neighbouring pixels of the image being scored
that come earlier in a fixed order (`PixelContext`): scoring an image is still one pass, drawing one takes
three.
"""

from __future__ import annotations

import random

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from . import augment
from .config import ModelConfig

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


class SeededLayers:
    """Makes a model's layers with random initial weights or dropout masks, seeded from cfg.seed alone.

    Keras draws the seed of a layer given none from Python's global `random`, so another thread drawing
    from it while a model was built (a GUI worker, a test's leftover) changed what a seed trained to.
    Seeds are drawn as Keras drew them after keras.utils.set_random_seed(seed): a seed gives the same
    initial weights it always gave."""

    def __init__(self, seed: int):
        self._rng = random.Random(seed)

    def seed(self) -> int:
        return self._rng.randint(1, int(1e9))

    def glorot(self) -> keras.initializers.Initializer:
        return keras.initializers.GlorotUniform(seed=self.seed())

    def dense(self, units: int, **kwargs) -> layers.Dense:
        return layers.Dense(units, kernel_initializer=self.glorot(), **kwargs)

    def conv(self, filters: int, **kwargs) -> layers.Conv2D:
        """3x3, 'same' padding."""
        return layers.Conv2D(filters, 3, padding="same", kernel_initializer=self.glorot(), **kwargs)

    def upconv(self, filters: int, **kwargs) -> layers.Conv2DTranspose:
        """3x3, stride 2: twice the size."""
        return layers.Conv2DTranspose(filters, 3, strides=2, padding="same", kernel_initializer=self.glorot(),
                                      **kwargs)

    def dropout(self, rate: float) -> layers.Dropout:
        return layers.Dropout(rate, seed=self.seed())


@keras.saving.register_keras_serializable(package="desktop_cvae")
class Sampling(layers.Layer):
    """Reparameterisation trick: z = mean + exp(log_var / 2) * eps."""

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


# Nearest 2x upsampling followed by a 3x3 'same' convolution, seen from the small image: output pixel
# (2i + a, 2j + b) only reads input rows i-1..i+1, and which kernel rows land on which input row depends
# on the phase a alone. _UPSAMPLE_TAPS[a, low_row, kernel_row] = 1 where kernel_row reads low_row.
_UPSAMPLE_TAPS = [
    [[1, 0, 0], [0, 1, 1], [0, 0, 0]],  # a = 0: row i-1 <- kernel row 0; row i <- kernel rows 1 and 2
    [[0, 0, 0], [1, 1, 0], [0, 0, 1]],  # a = 1: row i <- kernel rows 0 and 1; row i+1 <- kernel row 2
]


def _fold_matrix():
    """(9, 36): kernel tap (k, l) -> low-res tap (p, q) of output phase (a, b), so that folding the kernel
    is one small matmul (TensorFlow's einsum kernel is slow on such tiny tensors)."""
    import numpy as np

    taps = np.asarray(_UPSAMPLE_TAPS, np.float32)
    return np.einsum("apk,bql->klpqab", taps, taps).reshape(9, 36)


@keras.saving.register_keras_serializable(package="desktop_cvae")
class UpsampleConv2D(layers.Layer):
    """UpSampling2D(2) then Conv2D(filters, 3, padding="same"): the same function and the same weights
    (a 3x3 kernel and a bias), computed without building the upsampled image.

    With few filters the kernel is folded into one 3x3 convolution on the small image with 4x the
    filters, one set per output pixel phase, and the phases are interleaved. For the seed decoder's last
    layer (16 -> 1 channel at 28x28) a training step of the layer takes 2.6-3.4 ms instead of 7.4-7.7 ms
    on CPU (measured 2026-11-21, docs/HISTORY.md): oneDNN is slow with one output channel. With 16 filters the
    folded route gains nothing reliable, so wider layers take the plain one.
    """

    FOLD_BELOW = 8  # filters

    def __init__(self, filters: int, activation=None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.activation = keras.activations.get(activation)
        self.seed = seed

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(3, 3, input_shape[-1], self.filters), name="kernel",
                                      initializer=keras.initializers.GlorotUniform(seed=self.seed))
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def call(self, x):
        if self.filters >= self.FOLD_BELOW:
            y = ops.conv(ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2), self.kernel, padding="same")
            return self.activation(y + self.bias)
        k_in, f = self.kernel.shape[2], self.filters
        # (in * out, 9) @ (9, 36) -> the folded kernel (3, 3, in, 2, 2, out): low-res tap (p, q), input
        # channel, output phase (a, b), output channel.
        per_tap = ops.reshape(ops.transpose(self.kernel, (2, 3, 0, 1)), (k_in * f, 9))
        folded = ops.matmul(per_tap, ops.convert_to_tensor(_fold_matrix(), dtype=self.kernel.dtype))
        folded = ops.transpose(ops.reshape(folded, (k_in, f, 3, 3, 2, 2)), (2, 3, 0, 4, 5, 1))
        y = ops.conv(x, ops.reshape(folded, (3, 3, k_in, 4 * f)), padding="same")  # (n, h, w, (a, b, out))
        # Interleave the phases into the 2x image; a transpose, which is faster than depth_to_space here.
        n, h, w = ops.shape(y)[0], ops.shape(y)[1], ops.shape(y)[2]
        y = ops.transpose(ops.reshape(y, (n, h, w, 2, 2, f)), (0, 1, 3, 2, 4, 5))
        y = ops.reshape(y, (n, 2 * h, 2 * w, f))
        return self.activation(y + self.bias)

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        return (n, None if h is None else 2 * h, None if w is None else 2 * w, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "activation": keras.activations.serialize(self.activation), "seed": self.seed}


@keras.saving.register_keras_serializable(package="desktop_cvae")
class LabelPrior(layers.Layer):
    """A prior p(z | y) per label: N(mean_y, diag(exp(log_var_y))), learnt with the model, or, with
    `full_covariance`, N(mean_y, Sigma_y) fitted after training (`train.fit_label_prior`).

    The diagonal prior starts as N(0, I) for every label. With it the evidence bound of each label also asks
    whether the latent code lies where codes of that label lie, and samples drawn from p(z | y) look like y.
    The full prior is stored as its whitening matrix W_y = L_y^-1 (Sigma_y = L_y L_y^T, L_y lower triangular):
    the KL term needs only W_y, so scoring costs no matrix inverse.
    """

    def __init__(self, latent_dim: int, full_covariance: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.full_covariance = full_covariance
        # Created here, not in build(): the prior takes no input shape, and a loaded model finds its weights.
        self.mean = self.add_weight(shape=(NUM_CLASSES, latent_dim), initializer="zeros", name="mean",
                                    trainable=not full_covariance)
        if full_covariance:  # set by fitting, not by gradients
            eye = keras.initializers.Identity()
            self.whiten = self.add_weight(shape=(NUM_CLASSES, latent_dim, latent_dim), name="whiten", trainable=False,
                                          initializer=lambda shape, dtype=None: ops.tile(
                                              eye((latent_dim, latent_dim), dtype=dtype)[None], (NUM_CLASSES, 1, 1)))
        else:
            self.log_var = self.add_weight(shape=(NUM_CLASSES, latent_dim), initializer="zeros", name="log_var")
        self.built = True

    def kl(self, z_mean, z_log_var, onehot):
        """KL(N(z_mean, exp(z_log_var)) || p(z | y)) per image, for one-hot labels y: (batch,)."""
        mean = ops.matmul(onehot, self.mean)
        if not self.full_covariance:
            return kl_divergence(z_mean, z_log_var, mean, ops.matmul(onehot, self.log_var))
        d = self.latent_dim
        w = self._whitening(onehot)
        # 2 KL = tr(Sigma^-1 S) + |W (mu - m)|^2 - d + log|Sigma| - log|S|, with Sigma^-1 = W^T W, S = diag(exp(lv))
        trace = ops.sum(ops.square(w) * ops.exp(z_log_var)[:, None, :], axis=(1, 2))
        mahalanobis = ops.sum(ops.square(ops.matmul(w, (z_mean - mean)[..., None])[..., 0]), axis=1)
        log_det = -2.0 * ops.sum(ops.log(ops.diagonal(w, axis1=1, axis2=2)), axis=1)
        return 0.5 * (trace + mahalanobis - d + log_det - ops.sum(z_log_var, axis=1))

    def move(self, z, from_onehot, to_onehot):
        """Codes carried from one label's Gaussian to another's at the same standardised place:
        z' = m_to + L_to L_from^-1 (z - m_from). How a model whose decoder does not see the label draws a
        person's style as another digit: (batch, z)."""
        mean_from, mean_to = ops.matmul(from_onehot, self.mean), ops.matmul(to_onehot, self.mean)
        if not self.full_covariance:
            scale = ops.exp(0.5 * (ops.matmul(to_onehot, self.log_var) - ops.matmul(from_onehot, self.log_var)))
            return mean_to + scale * (z - mean_from)
        standard = ops.matmul(self._whitening(from_onehot), (z - mean_from)[..., None])  # W_from (z - m_from)
        return mean_to + ops.solve(self._whitening(to_onehot), standard)[..., 0]  # L_to u = W_to^-1 u

    def _whitening(self, onehot):
        """Each row's label's whitening matrix W_y (full covariance only): (batch, z, z)."""
        d = self.latent_dim
        return ops.reshape(ops.matmul(onehot, ops.reshape(self.whiten, (NUM_CLASSES, d * d))), (-1, d, d))

    def gaussians(self):
        """Per label, the mean (10, z) and a Cholesky factor L of the covariance (10, z, z), as numpy."""
        mean = np.asarray(self.mean, np.float64)
        if self.full_covariance:
            return mean, np.linalg.inv(np.asarray(self.whiten, np.float64))
        return mean, np.stack([np.diag(np.exp(0.5 * v)) for v in np.asarray(self.log_var, np.float64)])

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "full_covariance": self.full_covariance}


# The pixel-context head's order: group 0 = (even row, even column), group 1 = (odd, odd), group 2 = the rest.
# Of its 3x3 neighbours a group-1 pixel reads the four diagonal ones (all group 0), a group-2 pixel the four
# beside it (groups 0 and 1): no pixel reads its own group or a later one.
_ROWS, _COLS = np.meshgrid(np.arange(28), np.arange(28), indexing="ij")
_GROUP1 = ((_ROWS % 2 == 1) & (_COLS % 2 == 1)).astype(np.float32)[None, :, :, None]  # (1, 28, 28, 1)
_GROUP2 = ((_ROWS + _COLS) % 2 == 1).astype(np.float32)[None, :, :, None]
_DIAGONAL_TAPS = np.array([[1, 0, 1], [0, 0, 0], [1, 0, 1]], np.float32)
_EDGE_TAPS = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], np.float32)


def _context_masks(channels: int) -> np.ndarray:
    """(3, 3, 1, 2 * channels): the taps group 1's hidden units (first half) and group 2's (second) may read."""
    return np.concatenate([np.repeat(m[:, :, None, None], channels, axis=3) for m in (_DIAGONAL_TAPS, _EDGE_TAPS)],
                          axis=3)


@keras.saving.register_keras_serializable(package="desktop_cvae")
class PixelContext(layers.Layer):
    """Local autoregression in the decoder, over three groups of pixels (a short PixelVAE-style order):
    p(x | z, y) = p(x_0 | z, y) p(x_1 | x_0, z, y) p(x_2 | x_0, x_1, z, y), every factor a product of
    Bernoullis, so the evidence bound is still binary cross-entropy summed over the 784 pixels plus KL.

    Group 0 (a quarter of the pixels) takes the decoder's logits as they are. A pixel of a later group adds
    a correction computed from the decoder's features at that pixel and from the image's pixels of earlier
    groups beside it (a masked 3x3 convolution): the grey level of a stroke's edge, which the latent code
    cannot pin down, is much better predicted from the pixels beside it. Scoring an image (teacher forcing)
    is one pass; drawing one is three (`draw`), each group filled with its probabilities in turn.

    The output weights start at zero, so a new head is the identity: a trained model grown by it starts out
    as exactly that model (train.transplant).
    """

    def __init__(self, channels: int, features: int, seeds: tuple[int, int] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.features, self.seeds = channels, features, seeds
        image_seed, feature_seed = seeds or (None, None)
        c = channels
        # Created here, not in build(): a loaded model finds its weights before any call. Hidden units
        # 0..c-1 serve group 1, c..2c-1 group 2.
        self.image_kernel = self.add_weight(shape=(3, 3, 1, 2 * c), name="image_kernel",
                                            initializer=keras.initializers.GlorotUniform(seed=image_seed))
        # The decoder's features and its logit at the pixel -> hidden units.
        self.feature_kernel = self.add_weight(shape=(features + 1, 2 * c), name="feature_kernel",
                                              initializer=keras.initializers.GlorotUniform(seed=feature_seed))
        self.hidden_bias = self.add_weight(shape=(2 * c,), initializer="zeros", name="hidden_bias")
        self.out_kernel = self.add_weight(shape=(2, c), initializer="zeros", name="out_kernel")
        self.out_bias = self.add_weight(shape=(2,), initializer="zeros", name="out_bias")
        self.masks = _context_masks(c)
        self.built = True

    def image_context(self, images, group: int | None = None):
        """The image's part of the hidden units: (n, 28, 28, 2c), or one group's c. It does not depend on z
        or the label, so scoring an image under ten labels computes it once."""
        kernel = self.image_kernel * self.masks
        if group is not None:
            kernel = kernel[..., (group - 1) * self.channels:group * self.channels]
        return ops.conv(images, kernel, padding="same")

    def decoder_context(self, features, base):
        """The decoder's part of the hidden units: (n, 28, 28, 2c)."""
        return ops.matmul(ops.concatenate([features, base], axis=-1), self.feature_kernel) + self.hidden_bias

    def combine(self, decoder_part, image_part, base):
        """Logits of every pixel given both parts (teacher forcing): (n, 28, 28, 1)."""
        zeros = ops.zeros_like(self.out_kernel[0])
        per_group = ops.stack([ops.concatenate([self.out_kernel[0], zeros]),
                               ops.concatenate([zeros, self.out_kernel[1]])], axis=1)  # (2c, 2) block-diagonal
        correction = ops.matmul(ops.relu(decoder_part + image_part), per_group) + self.out_bias  # (n, 28, 28, 2)
        return base + _GROUP1 * correction[..., :1] + _GROUP2 * correction[..., 1:]

    def draw(self, decoder_part, base):
        """The image the model draws: each group's probabilities given the groups before it, (n, 28, 28, 1).
        Each pass computes only the hidden units of the group it fills."""
        c = self.channels
        x = ops.sigmoid(base)  # group 0; the other groups' values are not read yet
        for group, where in ((1, _GROUP1), (2, _GROUP2)):
            hidden = ops.relu(decoder_part[..., (group - 1) * c:group * c] + self.image_context(x, group))
            logits = base + ops.matmul(hidden, self.out_kernel[group - 1][:, None]) + self.out_bias[group - 1]
            x = ops.where(where > 0, ops.sigmoid(logits), x)
        return x

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "features": self.features,
                "seeds": self.seeds}


def codes_gaussian(z_mean, z_log_var):
    """The Gaussian moment-matched to the mixture of posteriors N(z_mean_i, diag exp(z_log_var_i)) of some
    digits: their codes' mean, and the covariance of the codes plus the mean posterior variance. As a prior,
    it is the Gaussian that minimises those digits' average KL term. Returns numpy (z,), (z, z) in float64."""
    m = np.asarray(z_mean, np.float64)
    cov = np.atleast_2d(np.cov(m, rowvar=False)) + np.diag(np.exp(np.asarray(z_log_var, np.float64)).mean(axis=0))
    return m.mean(axis=0), cov + 1e-6 * np.eye(m.shape[1])  # positive definite however few digits


def _dropout_and_batch(x, rate: float, make: SeededLayers):
    # The seeds' helper: batch normalisation followed by dropout.
    x = layers.BatchNormalization()(x)
    return make.dropout(rate)(x)


def _with_label(x, label):
    return x if label is None else layers.Concatenate()([x, label])


def build_encoder(cfg: ModelConfig, make: SeededLayers) -> keras.Model:
    image = keras.Input(IMAGE_SHAPE, name="image")  # (batch, 28, 28, 1)
    label = keras.Input((NUM_CLASSES,), name="label") if encoder_takes_label(cfg) else None
    w = cfg.widths
    if cfg.arch == "conv":
        x = make.conv(w[0], activation="relu")(image)
        x = layers.MaxPooling2D(2, padding="same")(x)  # (batch, 14, 14, w0)
        x = make.conv(w[1], activation="relu")(x)
        x = layers.MaxPooling2D(2, padding="same")(x)  # (batch, 7, 7, w1)
        x = _with_label(layers.Flatten()(x), label)
    elif cfg.arch == "mlp":
        x = _with_label(layers.Flatten()(image), label)  # (batch, 784 [+10])
        x = make.dense(w[0], activation="relu")(x)
        x = _dropout_and_batch(x, cfg.dropout, make)
        x = make.dense(w[1], activation="relu")(x)
        x = _dropout_and_batch(x, cfg.dropout, make)
    else:  # deepconv
        x = make.conv(w[0], strides=2, activation="relu")(image)  # (batch, 14, 14, w0)
        x = make.conv(w[1], strides=2, activation="relu")(x)  # (batch, 7, 7, w1)
        x = _with_label(layers.Flatten()(x), label)
        x = make.dense(w[2], activation="relu")(x)
    z_mean = make.dense(cfg.latent_dim, name="z_mean")(x)
    z_log_var = make.dense(cfg.latent_dim, name="z_log_var")(x)
    inputs = [image, label] if label is not None else [image]
    return keras.Model(inputs, [z_mean, z_log_var], name="encoder")


def encoder_takes_label(cfg: ModelConfig) -> bool:
    return cfg.conditional and cfg.label_in_encoder


def decoder_takes_label(cfg: ModelConfig) -> bool:
    return cfg.conditional and cfg.label_in_decoder


def build_decoder(cfg: ModelConfig, make: SeededLayers) -> keras.Model:
    z = keras.Input((cfg.latent_dim,), name="z")
    label = keras.Input((NUM_CLASSES,), name="label") if decoder_takes_label(cfg) else None
    x = _with_label(z, label)
    w = cfg.widths
    if cfg.arch == "conv":
        x = make.dense(7 * 7 * w[1], activation="relu")(x)
        x = layers.Reshape((7, 7, w[1]))(x)
        x = make.conv(w[1], activation="relu")(x)
        if cfg.fused_upsampling:  # the same function, faster; see UpsampleConv2D
            x = UpsampleConv2D(w[0], activation="relu", seed=make.seed())(x)  # (batch, 14, 14, w0)
            logits = UpsampleConv2D(1, name="logits", seed=make.seed())(x)  # (batch, 28, 28, 1)
        else:
            x = layers.UpSampling2D(2)(x)  # (batch, 14, 14, w1)
            x = make.conv(w[0], activation="relu")(x)
            x = layers.UpSampling2D(2)(x)  # (batch, 28, 28, w0)
            logits = make.conv(1, name="logits")(x)
    elif cfg.arch == "mlp":
        # Seed 000's Fig. 2 feeds input_dec to both Dense layers (a typo that drops the first one);
        # we build the intended 128 -> 256 stack, as in seed 001's multilayer model.
        x = make.dense(w[1], activation="relu")(x)
        x = _dropout_and_batch(x, cfg.dropout, make)
        x = make.dense(w[0], activation="relu")(x)
        x = _dropout_and_batch(x, cfg.dropout, make)
        x = make.dense(28 * 28, name="logits")(x)
        logits = layers.Reshape(IMAGE_SHAPE)(x)
    else:  # deepconv
        x = make.dense(w[2], activation="relu")(x)
        x = make.dense(7 * 7 * w[1], activation="relu")(x)
        x = layers.Reshape((7, 7, w[1]))(x)
        x = make.upconv(w[0], activation="relu")(x)  # (batch, 14, 14, w0)
        x = make.upconv(w[0] // 2, activation="relu")(x)  # (batch, 28, 28, w0/2)
        for _ in range(cfg.refine_layers):
            x = make.conv(w[0] // 2, activation="relu")(x)  # (batch, 28, 28, w0/2)
        logits = make.conv(1, name="logits")(x)
    inputs = [z, label] if label is not None else [z]
    if cfg.pixel_context:  # the head also reads the features the logits come from
        return keras.Model(inputs, [logits, x], name="decoder")  # (batch, 28, 28, 1), (batch, 28, 28, w0/2)
    return keras.Model(inputs, logits, name="decoder")  # (batch, 28, 28, 1) logits


def bce_sum(logits, target):
    """Binary cross-entropy summed over pixels, per image, in nats: (batch,).

    BCE(sigmoid(l), t) = softplus(l) - l * t: one fused op and two simple ones, where TensorFlow's
    sigmoid_cross_entropy_with_logits runs eight: 0.5-0.6 against 0.8-1.0 ms, forward and backward, at
    batch 128 on CPU (docs/HISTORY.md).
    """
    n = ops.shape(logits)[0]
    logits, target = ops.reshape(logits, (n, -1)), ops.reshape(target, (n, -1))
    return ops.sum(ops.softplus(logits) - logits * target, axis=1)


def kl_divergence(z_mean, z_log_var, prior_mean=None, prior_log_var=None):
    """KL(N(mean, exp(log_var)) || prior) per image, in nats: (batch,). The prior is N(0, I), or
    N(prior_mean, exp(prior_log_var)) when those are given."""
    if prior_mean is None:
        return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)
    return 0.5 * ops.sum(prior_log_var - z_log_var - 1.0
                         + (ops.exp(z_log_var) + ops.square(z_mean - prior_mean)) * ops.exp(-prior_log_var), axis=1)


@keras.saving.register_keras_serializable(package="desktop_cvae")
class CVAE(keras.Model):
    """A VAE, conditional on a one-hot digit label when `config.conditional`.

    `fit(x, y)` takes images (batch, 28, 28, 1) in [0, 1] and integer labels (batch,).
    """

    def __init__(self, config: dict | ModelConfig | None = None, **kwargs):
        super().__init__(**kwargs)
        cfg = config if isinstance(config, ModelConfig) else ModelConfig.from_dict(config or {})
        self.config = cfg
        make = SeededLayers(cfg.seed)
        self.encoder = build_encoder(cfg, make)
        self.decoder = build_decoder(cfg, make)
        self.sampling = Sampling(seed=cfg.seed)
        self.prior = (LabelPrior(cfg.latent_dim, full_covariance=cfg.fitted_prior, name="label_prior")
                      if cfg.label_prior else None)
        self.context = (PixelContext(cfg.pixel_context, features=cfg.widths[0] // 2,
                                     seeds=(make.seed(), make.seed()), name="pixel_context")
                        if cfg.pixel_context else None)
        self.noise_seed = keras.random.SeedGenerator(cfg.seed + 1)
        self.trackers = {
            name: keras.metrics.Mean(name=name) for name in ("loss", "reconstruction", "kl", "classifier", "accuracy")
        }

    def build(self, input_shape=None):
        # The encoder and decoder are functional models, built when constructed.
        self.built = True

    def get_config(self):
        return {**super().get_config(), "config": self.config.to_dict()}

    @property
    def metrics(self):
        # "accuracy" is measured on validation only (test_step): the bound as a classifier, after every epoch.
        names = (["loss", "reconstruction", "kl"] + (["classifier"] if self.config.classifier_weight else [])
                 + (["accuracy"] if self.config.conditional else []))
        return [self.trackers[n] for n in names]

    # -- building blocks -------------------------------------------------------------------------
    @property
    def decoder_sees_label(self) -> bool:
        return decoder_takes_label(self.config)

    def encode(self, images, onehot=None, training=False):
        args = [images, onehot] if encoder_takes_label(self.config) else [images]
        return self.encoder(args, training=training)

    def decoder_outputs(self, z, onehot=None, training=False):
        """(logits, context): the decoder's logits and, for a pixel-context model, the decoder's part of its
        head's hidden units (None otherwise), computed once for scoring and drawing alike. Pass them to
        pixel_logits to score images, to draw_decoded to draw."""
        out = self.decoder([z, onehot] if self.decoder_sees_label else [z], training=training)
        if self.context is None:
            return out, None
        return out[0], self.context.decoder_context(out[1], out[0])

    def pixel_logits(self, decoded, images, repeats: int = 1):
        """Logits of p(x | z, y) for every pixel of `images`, given decoder_outputs. A pixel-context model
        reads the images' own earlier pixels; `repeats`: each image stands for that many consecutive rows of
        `decoded` (one image scored under several labels)."""
        base, decoder_part = decoded
        if self.context is None:
            return base
        image_part = self.context.image_context(images)
        if repeats > 1:
            image_part = ops.repeat(image_part, repeats, axis=0)
        return self.context.combine(decoder_part, image_part, base)

    def draw_decoded(self, decoded):
        """The image the model draws from decoder_outputs, as probabilities: (batch, 28, 28, 1)."""
        base, decoder_part = decoded
        return ops.sigmoid(base) if self.context is None else self.context.draw(decoder_part, base)

    def decode_logits(self, z, onehot=None, images=None, training=False):
        """Logits of every pixel of `images` under p(x | z, y). Only a pixel-context model reads `images`."""
        if self.context is not None and images is None:
            raise ValueError("a pixel-context model scores pixels given the image's other pixels: pass images")
        return self.pixel_logits(self.decoder_outputs(z, onehot, training=training), images)

    def draw(self, z, onehot=None, training=False, from_onehot=None):
        """The image decoded from z (under a label), as probabilities: (batch, 28, 28, 1). `from_onehot`: the
        label an input's code z was read as, to draw that style as `onehot`'s digit. A decoder that sees the
        label needs nothing more; for one that does not, z is moved to that label's Gaussian first."""
        if from_onehot is not None and not self.decoder_sees_label:
            z = self.prior.move(z, from_onehot, onehot)
        return self.draw_decoded(self.decoder_outputs(z, onehot, training=training))

    def label_kls(self, z_mean, z_log_var):
        """KL of each posterior from every label's prior: (batch, 10)."""
        batch = ops.shape(z_mean)[0]
        onehot = ops.tile(ops.eye(NUM_CLASSES), (batch, 1))
        kl = self.kl(ops.repeat(z_mean, NUM_CLASSES, axis=0), ops.repeat(z_log_var, NUM_CLASSES, axis=0), onehot)
        return ops.reshape(kl, (batch, NUM_CLASSES))

    def kl(self, z_mean, z_log_var, onehot=None):
        """KL of the posterior from this model's prior for the given labels, per image: (batch,)."""
        if self.prior is None:
            return kl_divergence(z_mean, z_log_var)
        return self.prior.kl(z_mean, z_log_var, onehot)

    def call(self, inputs, training=False):
        """inputs = (images, onehot) for a CVAE or images for a VAE; returns reconstruction probabilities."""
        images, onehot = (inputs if self.config.conditional else (inputs, None))
        z_mean, z_log_var = self.encode(images, onehot, training=training)
        return self.draw(z_mean, onehot, training=training)

    def label_scores(self, images, training=False):
        """-ELBO of every image under every label, with z at the posterior mean: (batch, 10).

        This is the score the app and the classifier use (deterministic, so the UI does not flicker).
        """
        batch = ops.shape(images)[0]
        if not self.decoder_sees_label:  # one decoder pass: the labels' bounds differ in their KL terms alone
            z_mean, z_log_var = self.encode(images, training=training)
            reconstruction = bce_sum(self.decode_logits(z_mean, images=images, training=training), images)
            return reconstruction[:, None] + self.label_kls(z_mean, z_log_var)
        tiled = ops.repeat(images, NUM_CLASSES, axis=0)  # (batch*10, 28, 28, 1)
        onehot = ops.tile(ops.eye(NUM_CLASSES), (batch, 1))  # (batch*10, 10)
        if encoder_takes_label(self.config):
            z_mean, z_log_var = self.encode(tiled, onehot, training=training)
        else:  # one encoding serves all ten labels
            z_mean, z_log_var = self.encode(images, training=training)
            z_mean, z_log_var = ops.repeat(z_mean, NUM_CLASSES, axis=0), ops.repeat(z_log_var, NUM_CLASSES, axis=0)
        logits = self.pixel_logits(self.decoder_outputs(z_mean, onehot, training=training), images, NUM_CLASSES)
        neg_elbo = bce_sum(logits, tiled) + self.kl(z_mean, z_log_var, onehot)
        return ops.reshape(neg_elbo, (batch, NUM_CLASSES))

    def compute_losses(self, images, labels, training):
        cfg = self.config
        onehot = ops.one_hot(ops.cast(labels, "int32"), NUM_CLASSES) if cfg.conditional else None
        if training and (cfg.train_rotate or cfg.train_scale):
            images = augment.warp(images, cfg.train_rotate, cfg.train_scale, self.noise_seed)  # input and target
        if training and cfg.train_shift:
            images = augment.shift(images, cfg.train_shift, self.noise_seed)  # a new digit: input and target
        noisy = augment.blur_half(images, cfg.train_blur, self.noise_seed) if (training and cfg.train_blur > 0) else images
        if training and cfg.train_noise > 0:  # the target stays sharp and clean
            noisy = augment.add_noise_to_most(noisy, cfg.train_noise, self.noise_seed)
        z_mean, z_log_var = self.encode(noisy, onehot, training=training)
        z = self.sampling([z_mean, z_log_var])
        reconstruction = ops.mean(bce_sum(self.decode_logits(z, onehot, images, training=training), images))
        kl = ops.mean(self.kl(z_mean, z_log_var, onehot))
        total = reconstruction + cfg.beta * kl
        classifier = ops.zeros(())
        if cfg.classifier_weight and training:
            # Make the evidence bound discriminative: cross-entropy of softmax(-(-ELBO)) against the true label.
            if not self.decoder_sees_label:
                # The ten bounds share their reconstruction term, which softmax cancels: the KL terms of the
                # codes already computed decide, so the whole batch costs nothing more.
                classifier = ops.mean(keras.losses.sparse_categorical_crossentropy(
                    ops.cast(labels, "int32"), -self.label_kls(z_mean, z_log_var), from_logits=True))
            else:  # ten decoder passes per digit: a quarter of the batch bounds the cost
                part = ops.maximum(ops.shape(images)[0] // 4, 1)
                x_part, y_part = noisy[:part], ops.cast(labels[:part], "int32")
                scores = self.label_scores(x_part, training=training)
                classifier = ops.mean(keras.losses.sparse_categorical_crossentropy(y_part, -scores, from_logits=True))
                if not cfg.label_in_encoder:
                    # Label swap: the image's style decoded under another label must be recognised as that
                    # label. Without it the discriminative term teaches z to carry the class, and the
                    # decoder stops drawing the digit it is asked for.
                    other = (y_part + keras.random.randint(ops.shape(y_part), 1, NUM_CLASSES,
                                                           seed=self.noise_seed)) % 10
                    z_style, _ = self.encode(x_part, training=training)
                    swapped = self.draw(z_style, ops.one_hot(other, NUM_CLASSES), training=training)
                    swap_scores = self.label_scores(swapped, training=training)
                    classifier = classifier + ops.mean(
                        keras.losses.sparse_categorical_crossentropy(other, -swap_scores, from_logits=True))
            total = total + cfg.classifier_weight * classifier
        return total, reconstruction, kl, classifier

    def _update_trackers(self, total, reconstruction, kl, classifier, accuracy=None):
        for name, value in zip(("loss", "reconstruction", "kl", "classifier"), (total, reconstruction, kl, classifier)):
            self.trackers[name].update_state(value)
        if accuracy is not None:
            self.trackers["accuracy"].update_state(accuracy)  # one 0/1 per image: a mean over all of them
        return {m.name: m.result() for m in self.metrics if m.name != "accuracy" or accuracy is not None}

    def train_step(self, data):
        images, labels = data
        with tf.GradientTape() as tape:
            total, reconstruction, kl, classifier = self.compute_losses(images, labels, training=True)
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update_trackers(total, reconstruction, kl, classifier)

    def test_step(self, data):
        images, labels = data
        accuracy = None
        if self.config.conditional:  # the generative classifier: the label with the best bound
            read = ops.argmin(self.label_scores(images), axis=1)
            accuracy = ops.cast(ops.equal(read, ops.cast(labels, read.dtype)), "float32")
        return self._update_trackers(*self.compute_losses(images, labels, training=False), accuracy)


def build_model(cfg: ModelConfig) -> CVAE:
    model = CVAE(cfg)
    # Build weights so the model can be saved or used before any training.
    zeros = tf.zeros((1, *IMAGE_SHAPE))
    model((zeros, tf.zeros((1, NUM_CLASSES))) if cfg.conditional else zeros)
    return model
