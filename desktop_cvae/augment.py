"""What training does to its digits, on the graph, each image drawn its own way from the model's seeded
generator: moved, turned and scaled (input and target alike: a new digit), blurred and noised (the input only:
the model learns to draw the digit sharp and clean). `CVAE.compute_losses` applies them as its config asks."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

IMAGE_SIDE = 28


def _no_wrap(k: int):
    """Mask for ops.roll(eye, k): drop the rows that wrapped around, so shifted-in pixels are zero."""
    m = np.ones((28, 1), np.float32)
    if k > 0:
        m[:k] = 0
    elif k < 0:
        m[k:] = 0
    return m


def rotate_and_scale(images, angle, scale):
    """Each image (batch, 28, 28, 1) turned by its angle (radians) and scaled by its factor about the image's
    centre, bilinear, zeros outside."""
    # affine_transform maps each output pixel p back to the input point c + (R(-angle) / scale)(p - c)
    cos, sin = ops.cos(angle) / scale, ops.sin(angle) / scale
    c = (IMAGE_SIDE - 1) / 2.0
    a0, a1, b0, b1 = cos, sin, -sin, cos
    zero = ops.zeros_like(cos)
    transform = ops.stack([a0, a1, c - (a0 + a1) * c, b0, b1, c - (b0 + b1) * c, zero, zero], axis=1)
    return ops.image.affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                                      data_format="channels_last")


def shift(images, max_shift: int, seed):
    """Augmentation: each image moved by its own random (dy, dx) in [-s, s] pixels, zeros shifted in.
    Done as S_dy @ X @ S_dx^T with one-hot shift matrices, which XLA compiles well."""
    s = max_shift
    batch = ops.shape(images)[0]
    eye = ops.eye(28)
    mats = ops.stack([ops.roll(eye, k, axis=0) * _no_wrap(k) for k in range(-s, s + 1)])  # (2s+1, 28, 28)
    pick = keras.random.randint((2, batch), 0, 2 * s + 1, seed=seed)
    sy, sx = ops.take(mats, pick[0], axis=0), ops.take(mats, pick[1], axis=0)  # (batch, 28, 28)
    x = images[..., 0]
    x = ops.matmul(ops.matmul(sy, x), ops.transpose(sx, (0, 2, 1)))
    return x[..., None]


def warp(images, max_degrees: float, max_scale: float, seed):
    """Augmentation: each image rotated by its own angle in [-r, r] degrees and scaled by a factor in
    [1 - s, 1 + s]."""
    batch = ops.shape(images)[0]
    angle = keras.random.uniform((batch,), -max_degrees, max_degrees, seed=seed)
    scale = keras.random.uniform((batch,), 1.0 - max_scale, 1.0 + max_scale, seed=seed)
    return rotate_and_scale(images, angle * (np.pi / 180.0), scale)


def blur_half(images, max_sigma: float, seed):
    """Corruption: half the images blurred by a Gaussian of their own sigma ~ U(0, max_sigma) pixels, the
    other half untouched. Separable, as B X B^T with one (28, 28) Gaussian matrix per image."""
    batch = ops.shape(images)[0]
    sigma = keras.random.uniform((batch, 1, 1), 0.0, max_sigma, seed=seed)
    sigma = sigma * ops.cast(keras.random.uniform((batch, 1, 1), seed=seed) < 0.5, sigma.dtype)
    sigma = ops.maximum(sigma, 1e-2)  # sigma -> 0 is the identity; keep the division finite
    pos = ops.arange(IMAGE_SIDE, dtype="float32")
    distance = (pos[:, None] - pos[None, :])[None]  # (1, 28, 28)
    weights = ops.exp(-0.5 * ops.square(distance / sigma))
    weights = weights / ops.sum(weights, axis=2, keepdims=True)  # each output pixel a weighted mean
    x = images[..., 0]
    x = ops.matmul(ops.matmul(weights, x), ops.transpose(weights, (0, 2, 1)))
    return x[..., None]


def add_noise_to_most(images, max_sigma: float, seed):
    """Denoising training: per-image Gaussian sigma ~ U(0, max_sigma) for three images in four
    (the fourth stays clean, so clean inputs are not rare), clipped to [0, 1]."""
    batch = ops.shape(images)[0]
    sigma = keras.random.uniform((batch, 1, 1, 1), 0.0, max_sigma, seed=seed)
    sigma = sigma * ops.cast(keras.random.uniform((batch, 1, 1, 1), seed=seed) < 0.75, sigma.dtype)
    noise = keras.random.normal(ops.shape(images), seed=seed)
    return ops.clip(images + sigma * noise, 0.0, 1.0)
