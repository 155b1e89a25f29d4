"""Which prior p(z | y) suits a trained model best: its learnt one, or Gaussians fitted to its training codes.

    git show cc6b7ad:resources/models/default.keras > learnt.keras   # the default before its prior was fitted
    python benchmarks/prior_fit.py learnt.keras [--data NPZ] [--mixtures 2 4 8] [--json]

For a model with a learnt diagonal prior per label, on the full test split: the KL term of the true label's
evidence bound (the part of the test -ELBO a prior changes; the reconstruction term does not move) and the
generative classifier's accuracy, under
- the learnt prior;
- a diagonal Gaussian per label fitted to the training codes;
- a full-covariance Gaussian per label fitted to them (what `train --fitted-prior` ships);
- a mixture of K full-covariance Gaussians per label. Its KL has no closed form; scored with the bound
  KL(q || sum_k pi_k p_k) <= min_k [KL(q || p_k) - log pi_k], which keeps the score an evidence bound, and
  fitted by hard assignment (each code to the component with the smallest such term, then each component
  refitted to its codes) until no code moves.
"""

import argparse
import json
import sys

import numpy as np


def kl_to_gaussian(mu, log_var, mean, cov):
    """KL(N(mu, diag exp(log_var)) || N(mean, cov)) per row of mu, in float64."""
    inv = np.linalg.inv(cov)
    diff = mu - mean
    return 0.5 * (np.exp(log_var) @ np.diag(inv) + np.einsum("ni,ij,nj->n", diff, inv, diff) - mu.shape[1]
                  + np.linalg.slogdet(cov)[1] - log_var.sum(axis=1))


def fit_mixture(mu, log_var, k: int, seed: int = 0, max_rounds: int = 30):
    """[(mean, cov, log weight)] for k components, by hard assignment (module docstring)."""
    from desktop_cvae.model import codes_gaussian

    assign = np.random.default_rng(seed).integers(0, k, len(mu))
    for _ in range(max_rounds):
        parts = [assign == j for j in range(k)]
        comps = [(*codes_gaussian(mu[p], log_var[p]), np.log(p.mean())) for p in parts if p.sum() > mu.shape[1]]
        cost = np.stack([kl_to_gaussian(mu, log_var, m, c) - w for m, c, w in comps], axis=1)
        new = cost.argmin(axis=1)
        if len(comps) == k and np.array_equal(new, assign):
            break
        assign = new
    return comps


def mixture_kl(mu, log_var, comps):
    return np.min(np.stack([kl_to_gaussian(mu, log_var, m, c) - w for m, c, w in comps], axis=1), axis=1)


def encode(engine, images, batch: int = 1000):
    """Posterior means and log-variances of all images, in float64, a batch at a time."""
    parts = [engine.encode(images[i:i + batch]) for i in range(0, len(images), batch)]
    return tuple(np.concatenate([part[j] for part in parts]).astype(np.float64) for j in (0, 1))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--data", default="../shared/data/mnist.npz")
    p.add_argument("--mixtures", type=int, nargs="*", default=[2, 4, 8])
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from desktop_cvae.data import Dataset, load_mnist
    from desktop_cvae.engine import Engine
    from desktop_cvae.model import codes_gaussian
    from desktop_cvae.train import split_validation

    engine = Engine.load(a.model)
    cfg = engine.config
    if not cfg.label_prior or cfg.fitted_prior or cfg.label_in_encoder:
        print("needs a model with a learnt diagonal per-label prior and a style-only encoder", file=sys.stderr)
        return 2
    data = load_mnist(a.data)
    x_train, y_train, _, _ = split_validation(data, cfg.seed)
    x_test, y_test = Dataset.images(data.x_test)[..., 0], data.y_test.astype(np.int64)
    mu_train, lv_train = encode(engine, x_train[..., 0])
    mu, lv = encode(engine, x_test)
    scores = np.concatenate([engine.label_scores(x_test[i:i + 500])[0] for i in range(0, len(x_test), 500)])
    learnt_means, learnt_chols = engine.model.prior.gaussians()
    learnt = np.stack([kl_to_gaussian(mu, lv, learnt_means[c], learnt_chols[c] @ learnt_chols[c].T)
                       for c in range(10)], axis=1)
    reconstruction = scores - learnt  # per label, at the posterior mean; the same under every prior

    fits = {"diagonal, fitted": [], "full covariance, fitted": []}
    for c in range(10):
        mean, cov = codes_gaussian(mu_train[y_train == c], lv_train[y_train == c])
        fits["diagonal, fitted"].append([(mean, np.diag(np.diag(cov)), 0.0)])
        fits["full covariance, fitted"].append([(mean, cov, 0.0)])
    for k in a.mixtures:
        fits[f"mixture of {k}, fitted"] = [fit_mixture(mu_train[y_train == c], lv_train[y_train == c], k)
                                           for c in range(10)]
    rows = {"learnt (diagonal)": learnt}
    rows.update({name: np.stack([mixture_kl(mu, lv, comps[c]) for c in range(10)], axis=1)
                 for name, comps in fits.items()})
    n = np.arange(len(y_test))
    result = {"n": len(y_test), "model": a.model, "priors": {
        name: {"kl": round(float(kl[n, y_test].mean()), 3),
               "accuracy": float(np.mean(np.argmin(reconstruction + kl, axis=1) == y_test))}
        for name, kl in rows.items()}}
    if a.json:
        print(json.dumps(result))
    else:
        for name, r in result["priors"].items():
            print(f"{name:28s} KL {r['kl']:7.3f} nats   accuracy {r['accuracy']:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
