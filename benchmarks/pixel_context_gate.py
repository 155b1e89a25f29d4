"""Where a pixel-context head's recognition loss comes from (docs/MODELS.md, "A pixel-context head").

    python benchmarks/pixel_context_gate.py HEAD.keras [--base resources/models/default.keras] [--data NPZ] [--json]

HEAD.keras is a model grown by `train --pixel-context` (scripts/train_pixel_context.sh writes some). On the full
test split, with the head's trained weights unchanged, it scores:
- the head as trained;
- its correction gated by the decoder's confidence, logit = base + correction / cosh^2(base / 2t), for t = 2 and 1:
  where the decoder is sure (a wrong label's confident "no ink here"), the neighbours cannot overrule it;
- its correction on group 2 alone (group 1 back to the decoder's logits): a two-group checkerboard order, which
  leaves half the pixels instead of a quarter to the label alone.
Each is still an evidence bound (every pixel reads only earlier pixels). For each: accuracy, and test -ELBO with one
posterior sample. Against --base: how many digits each gets right and wrong that the other does not, and the
margin of the true label's bound over the best other label's (percentiles).
"""

import argparse
import json
import sys

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("head")
    ap.add_argument("--base", default="resources/models/default.keras")
    ap.add_argument("--data", default="../shared/data/mnist.npz")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    import tensorflow as tf

    from desktop_cvae.data import Dataset, load_mnist
    from desktop_cvae.model import _GROUP1, _GROUP2, bce_sum
    from desktop_cvae.storage import load_model

    data = load_mnist(args.data)
    x = Dataset.images(data.x_test).astype(np.float32)
    y = data.y_test.astype(np.int32)

    def scorer(model, gate: float, group1: bool):
        ctx = model.context

        def logits(decoded, images, repeats):
            if ctx is None or (not gate and group1):  # the model as it is: its own scoring path
                return model.pixel_logits(decoded, images, repeats)
            base, decoder_part = decoded
            hidden = tf.nn.relu(decoder_part + tf.repeat(ctx.image_context(images), repeats, axis=0))
            c = ctx.channels
            corr = _GROUP2 * (tf.matmul(hidden[..., c:], ctx.out_kernel[1][:, None]) + ctx.out_bias[1])
            if group1:
                corr += _GROUP1 * (tf.matmul(hidden[..., :c], ctx.out_kernel[0][:, None]) + ctx.out_bias[0])
            if gate:
                corr /= tf.square(tf.cosh(base / (2 * gate)))
            return base + corr

        @tf.function
        def all_labels(images):  # -ELBO under every label at the posterior mean, as the app recognises
            n = tf.shape(images)[0]
            onehot = tf.tile(tf.eye(10), (n, 1))
            zm, zl = model.encoder([images], training=False)
            zm, zl = tf.repeat(zm, 10, axis=0), tf.repeat(zl, 10, axis=0)
            s = bce_sum(logits(model.decoder_outputs(zm, onehot), images, 10), tf.repeat(images, 10, axis=0))
            return tf.reshape(s + model.kl(zm, zl, onehot), (n, 10))

        @tf.function
        def sampled(images, labels):  # the reported -ELBO: one posterior sample under the true label
            onehot = tf.one_hot(labels, 10)
            zm, zl = model.encoder([images], training=False)
            z = zm + tf.exp(0.5 * zl) * tf.random.normal(tf.shape(zm))
            return bce_sum(logits(model.decoder_outputs(z, onehot), images, 1), images) + model.kl(zm, zl, onehot)

        tf.random.set_seed(0)
        scores = np.concatenate([all_labels(x[i:i + 500]).numpy() for i in range(0, len(x), 500)])
        bound = np.concatenate([sampled(x[i:i + 500], y[i:i + 500]).numpy() for i in range(0, len(x), 500)])
        return scores, float(bound.mean())

    def margins(scores):
        true = scores[np.arange(len(y)), y]
        other = scores.copy()
        other[np.arange(len(y)), y] = np.inf
        return other.min(axis=1) - true

    base_model, _ = load_model(args.base)
    head_model, _ = load_model(args.head)
    if head_model.context is None or getattr(base_model, "context", None) is not None:
        sys.exit("HEAD must be a model with a pixel-context head, --base one without")
    base_scores, base_bound = scorer(base_model, 0.0, True)
    base_right = base_scores.argmin(axis=1) == y
    variants = {"base": None, "head": (0.0, True), "gate t=2": (2.0, True), "gate t=1": (1.0, True),
                "group 2 only": (0.0, False)}
    rows = {}
    for name, v in variants.items():
        scores, bound = (base_scores, base_bound) if v is None else scorer(head_model, *v)
        right = scores.argmin(axis=1) == y
        m = margins(scores)
        rows[name] = {"accuracy": float(right.mean()), "neg_elbo": bound,
                      "right_only_here": int(np.sum(right & ~base_right)),
                      "right_only_in_base": int(np.sum(base_right & ~right)),
                      "margin_percentiles": {str(q): float(np.percentile(m, q)) for q in (1, 5, 25, 50)}}
        if not args.json:
            r = rows[name]
            print(f"{name:13s} accuracy {100 * r['accuracy']:.2f} %  -ELBO {bound:.2f}  "
                  f"+{r['right_only_here']}/-{r['right_only_in_base']} against base  margin p1/p5/p25/p50 "
                  + "/".join(f"{v:.1f}" for v in r["margin_percentiles"].values()), flush=True)
    if args.json:
        print(json.dumps({"head": args.head, "base": args.base, "variants": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
