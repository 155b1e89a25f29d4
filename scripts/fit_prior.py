"""Give a trained model with a learnt per-label prior the full-covariance prior `train --fitted-prior` fits.

    python scripts/fit_prior.py MODEL.keras [--data NPZ] --out OUT.keras

The same step `desktop-cvae train --fitted-prior` runs after its last epoch (train.fit_label_prior), on the
same training digits (the seeded split that held out the validation set), without training again: how the
shipped default got its prior from the model trained by scripts/train_models.sh. The result is evaluated on
the test split and saved atomically; its sidecar keeps the training history and names the file it came from.
"""

import argparse
import sys
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--data", help="MNIST .npz (default: the Keras cache)")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    from desktop_cvae.data import load_mnist
    from desktop_cvae.storage import load_model, sha256_file
    from desktop_cvae.train import evaluate_and_save, fit_label_prior, split_validation

    model, meta = load_model(a.model)
    cfg = model.config
    if not cfg.label_prior or cfg.fitted_prior:
        print(f"{a.model}: needs a model with a learnt diagonal per-label prior (train --label-prior)",
              file=sys.stderr)
        return 2
    data = load_mnist(a.data)
    x_train, y_train, _, _ = split_validation(data, cfg.seed)
    fitted = fit_label_prior(model, x_train[..., 0], y_train)
    kept = {k: meta[k] for k in ("history", "epoch_seconds", "train_seconds") if k in meta}
    kept["prior_fitted_to"] = {"file": Path(a.model).name, "sha256": sha256_file(a.model)}
    out = evaluate_and_save(fitted, data, Path(a.out), kept)
    print({k: out["metrics"][k] for k in ("accuracy", "neg_elbo", "reconstruction", "kl", "noise")})
    return 0


if __name__ == "__main__":
    sys.exit(main())
