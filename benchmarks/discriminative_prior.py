"""A fitted per-label prior tuned to recognise, for a model whose decoder does not see the label.

    python benchmarks/discriminative_prior.py MODEL.keras [--data NPZ] [--weight 20] [--steps 1500] [--out OUT.keras]

When the label enters only the prior p(z | y), the ten evidence bounds of a digit share their reconstruction
term, so which label wins depends on the KL terms alone: on the posterior (mean and variance) of its code.
`train --fitted-prior` fits each label's Gaussian to its training codes by moment matching, which gives the
smallest KL term but is not trained to separate the labels. This tunes the fitted Gaussians (means and
whitening matrices) on the training digits' codes for the training objective restricted to the prior,
weight x cross-entropy of softmax(-KL) + KL of the true label, the encoder and decoder untouched. Prints
accuracy on the validation hold-out and the test split, and the test KL term, before and after; --out saves
the tuned model, for `desktop-cvae evaluate`. docs/MODELS.md quotes it.
"""

import argparse
import json
import sys


def measure(model, named_codes) -> dict:
    import numpy as np

    out = {}
    for name, (m, lv, y) in named_codes.items():
        kl = np.asarray(model.label_kls(m, lv))
        out[name] = {"accuracy": round(float(np.mean(kl.argmin(axis=1) == y)), 4),
                     "kl": round(float(kl[np.arange(len(y)), y].mean()), 3)}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--data", help="MNIST .npz (default: the Keras cache)")
    p.add_argument("--weight", type=float, default=20.0, help="of the cross-entropy (the recipe's classifier weight)")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch", type=int, default=2048)
    p.add_argument("--out")
    a = p.parse_args()
    import keras
    import numpy as np
    import tensorflow as tf

    from desktop_cvae.data import load_mnist
    from desktop_cvae.storage import load_model, save_model
    from desktop_cvae.train import latent_codes, split_validation

    model, meta = load_model(a.model)
    cfg = model.config
    if model.decoder_sees_label or not cfg.fitted_prior:
        print(f"{a.model}: needs a fitted prior and a decoder that does not see the label", file=sys.stderr)
        return 2
    data = load_mnist(a.data)
    x_train, y_train, x_val, y_val = split_validation(data, cfg.seed)
    named = {"validation": (*latent_codes(model, x_val, y_val), y_val),
             "test": (*latent_codes(model, data.x_test.astype(np.float32) / 255.0, data.y_test), data.y_test)}
    train_mean, train_log_var = latent_codes(model, x_train, y_train)
    result = {"weight": a.weight, "steps": a.steps, "fitted": measure(model, named)}

    prior = model.prior
    variables = [prior.mean, prior.whiten]  # not trainable in the model (set by fitting): watched here
    lower = tf.constant(np.tril(np.ones((cfg.latent_dim, cfg.latent_dim), np.float32)))
    optimizer = keras.optimizers.Adam(1e-3)
    rng = np.random.default_rng(cfg.seed)

    @tf.function
    def step(m, lv, y):
        with tf.GradientTape() as tape:
            tape.watch([v.value for v in variables])
            kl = model.label_kls(m, lv)
            cross_entropy = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, -kl))
            loss = a.weight * cross_entropy + tf.reduce_mean(tf.gather(kl, y, batch_dims=1))
        optimizer.apply_gradients(zip(tape.gradient(loss, [v.value for v in variables]), variables))
        prior.whiten.assign(prior.whiten * lower)  # the KL term reads log|W| off W's diagonal: keep W triangular

    for _ in range(a.steps):
        pick = rng.integers(0, len(train_mean), a.batch)
        step(tf.constant(train_mean[pick]), tf.constant(train_log_var[pick]), tf.constant(y_train[pick], tf.int64))
    if not np.all(np.diagonal(np.asarray(prior.whiten), axis1=1, axis2=2) > 0):
        print("the tuned whitening matrices lost their positive diagonal", file=sys.stderr)
        return 1
    result["tuned"] = measure(model, named)
    if a.out:
        kept = {k: meta[k] for k in ("history", "epoch_seconds", "train_seconds") if k in meta}
        save_model(model, a.out, {**kept, "prior_tuned": {"from": a.model, "weight": a.weight, "steps": a.steps}})
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
