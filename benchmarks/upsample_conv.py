"""Upsample + 3x3 conv: UpsampleConv2D's folded route against UpSampling2D + Conv2D, forward and backward.

Per layer of the seed decoder (batch 128) and for a whole training step of the seed `conv` CVAE with
and without fused_upsampling; also the step's cross-entropy, model.bce_sum against TensorFlow's
sigmoid_cross_entropy_with_logits. Best of 3 repeats of 100 calls each, in ms.

    python benchmarks/upsample_conv.py [--json]
"""

import argparse
import json
import time

import numpy as np


def best_ms(fn, *args, calls=100, repeats=3):
    fn(*args)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn(*args)
        best = min(best, (time.perf_counter() - start) * 1000 / calls)
    return best


def layer_times(side, channels_in, filters):
    import keras
    import tensorflow as tf

    from desktop_cvae.model import UpsampleConv2D

    x = tf.constant(np.random.default_rng(0).random((128, side, side, channels_in), np.float32))
    folded = UpsampleConv2D(filters)
    folded.FOLD_BELOW = filters + 1  # this instance always takes the folded route
    folded.build(x.shape)
    conv = keras.layers.Conv2D(filters, 3, padding="same")
    up = keras.layers.UpSampling2D(2)
    conv.build((None, 2 * side, 2 * side, channels_in))
    conv.set_weights(folded.get_weights())

    def step(layer_fn, weights):
        @tf.function(autograph=False)
        def run(t):
            with tf.GradientTape() as tape:
                tape.watch(t)  # in a decoder the gradient flows on to the layers below
                loss = tf.reduce_sum(tf.square(layer_fn(t)))
            return tape.gradient(loss, [t] + weights)
        return run

    plain = step(lambda t: conv(up(t)), conv.trainable_weights)
    fold = step(folded, folded.trainable_weights)
    assert np.allclose(conv(up(x)).numpy(), folded(x).numpy(), atol=1e-4)
    return {"plain_ms": best_ms(plain, x), "folded_ms": best_ms(fold, x)}


def train_step_ms(fused):
    import keras
    import tensorflow as tf

    from desktop_cvae.config import ModelConfig
    from desktop_cvae.model import build_model

    model = build_model(ModelConfig(arch="conv", latent_dim=2, fused_upsampling=fused))
    optimizer = keras.optimizers.Adam(1e-3)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((128, 28, 28, 1), np.float32))
    y = tf.constant(rng.integers(0, 10, 128).astype(np.int32))

    @tf.function(autograph=False)
    def step(images, labels):
        with tf.GradientTape() as tape:
            total = model.compute_losses(images, labels, training=True)[0]
        grads = tape.gradient(total, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        return total

    return best_ms(step, x, y)


def cross_entropy_times():
    import tensorflow as tf

    from desktop_cvae.model import bce_sum

    rng = np.random.default_rng(0)
    logits = tf.constant(rng.normal(scale=8, size=(128, 28, 28, 1)).astype(np.float32))
    target = tf.constant(rng.random((128, 28, 28, 1), np.float32))

    def tf_bce(l, t):
        return tf.reduce_sum(tf.reshape(tf.nn.sigmoid_cross_entropy_with_logits(labels=t, logits=l), (128, -1)), 1)

    def step(fn):
        @tf.function(autograph=False)
        def run(l, t):
            with tf.GradientTape() as tape:
                tape.watch(l)
                loss = tf.reduce_mean(fn(l, t))
            return tape.gradient(loss, l)
        return run

    assert np.allclose(bce_sum(logits, target).numpy(), tf_bce(logits, target).numpy(), rtol=1e-5)
    return {"tf_sigmoid_cross_entropy_ms": best_ms(step(tf_bce), logits, target),
            "bce_sum_ms": best_ms(step(bce_sum), logits, target)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    result = {
        "layer_7x7_8_to_16": layer_times(7, 8, 16),
        "layer_14x14_16_to_1": layer_times(14, 16, 1),
        "train_step_plain_ms": train_step_ms(False),
        "train_step_fused_ms": train_step_ms(True),
        "cross_entropy": cross_entropy_times(),
    }
    print(json.dumps(result) if a.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
