"""What a model's latent space holds, for the exploration views and the command line: new digits for a label, an
input's style under every label, straight lines and grids through z.

`LatentExplorer` is one part of `engine.Engine`, kept here so that recognition and exploration each have their
own file; it uses the engine's encode, decode, analyze and bounds, under the engine's lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf

from .model import NUM_CLASSES, codes_gaussian

if TYPE_CHECKING:
    from .engine import Analysis

GENERATION_PRIORS = ("fitted", "standard")


class LatentExplorer:
    def generate(self, label: int | None, n: int = 16, seed: int = 0, prior: str = "fitted") -> np.ndarray:
        """n new digits (n, 28, 28) for `label`, seeded. prior="standard": z from the model's own prior,
        N(0, I) or, for a model with a per-label prior, p(z | label) (learnt, or fitted with a full covariance).
        prior="fitted" (conditional models): z from a Gaussian fitted to the latent codes of real digits
        of that label (see label_densities); a plain VAE always uses N(0, I)."""
        if prior not in GENERATION_PRIORS:
            raise ValueError(f"prior must be one of {GENERATION_PRIORS}")
        eps = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        if not self.conditional:
            return self.decode(eps)
        mean, chol = self.label_densities()[int(label)] if prior == "fitted" else self.prior_gaussian(int(label))
        z = mean + eps @ chol.T
        return self.decode(z.astype(np.float32), label)

    def prior_gaussian(self, label: int | None) -> tuple[np.ndarray, np.ndarray]:
        """The model's prior p(z | label): mean (z,) and Cholesky factor of its covariance (z, z); N(0, I)
        for a model without a per-label prior (then any label, or None)."""
        if self.model.prior is None:
            return np.zeros(self.latent_dim, np.float32), np.eye(self.latent_dim, dtype=np.float32)
        means, chols = self.model.prior.gaussians()
        return means[int(label)].astype(np.float32), chols[int(label)].astype(np.float32)

    def label_prior(self, label: int | None) -> tuple[np.ndarray, np.ndarray]:
        """The model's prior p(z | label) per dimension: mean and marginal standard deviation, (z,) each."""
        mean, chol = self.prior_gaussian(label)
        return mean, np.sqrt(np.sum(np.square(chol), axis=1))

    def label_densities(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per label: mean and Cholesky factor of a Gaussian fitted to the latent codes of the shipped
        sample's test digits of that label (covariance of their posterior means plus their mean posterior
        variance) — ex-post density estimation (Ghosh et al., 2020). The discriminative terms leave part of
        the class in z, so N(0, I) decoded under a label often draws another digit; codes of real digits of
        that label do not. Computed once per engine (one pass over 1,000 digits)."""
        with self._lock:
            if self._densities is None:
                from .data import load_sample

                sample = load_sample()
                x, y = sample.x_test.astype(np.float32) / 255.0, sample.y_test.astype(np.int64)
                mean, log_var = self.encode(x, y if self._label_in_encoder else None)
                densities = []
                for c in range(NUM_CLASSES):
                    m, cov = codes_gaussian(mean[y == c], log_var[y == c])
                    densities.append((m.astype(np.float32), np.linalg.cholesky(cov).astype(np.float32)))
                self._densities = densities
            return self._densities

    def style_of(self, analysis: Analysis) -> np.ndarray:
        """The analysed input's latent code decoded under each of the 10 labels: (10, 28, 28). When the
        encoder does not see the label, z is the same under every label, so the analysis already holds
        exactly this (its per-label reconstructions) and no second decoder pass is needed."""
        if not self._label_in_encoder and analysis.per_label is not None:
            return analysis.per_label
        return self.style_grid(analysis.z, analysis.recognised)

    def style_grid(self, z: np.ndarray, read_as: int | None = None) -> np.ndarray:
        """One latent code (the input's style) decoded under each of the 10 labels: (10, 28, 28). `read_as`:
        the label the code was recognised as, which a model whose decoder does not see the label needs to
        move the code to each label's Gaussian (model.LabelPrior.move)."""
        if not self.conditional:
            raise ValueError("a plain VAE has no labels")
        zs = np.repeat(np.asarray(z, np.float32)[None], NUM_CLASSES, axis=0)
        if not self.model.decoder_sees_label:
            if read_as is None:
                raise ValueError("this model's decoder does not see the label: say which label the code was read as")
            with self._lock:
                zs = self.model.prior.move(tf.constant(zs), self._onehot(read_as, NUM_CLASSES),
                                           tf.eye(NUM_CLASSES)).numpy()
        return self.decode(zs, np.arange(NUM_CLASSES))

    def interpolate(self, a: np.ndarray, b: np.ndarray, steps: int = 9,
                    hold_label: bool = False) -> tuple[np.ndarray, list[int | None], np.ndarray]:
        """Two inputs (28, 28) joined by a straight line through latent space, decoded at `steps` points from a's
        code to b's, each code the posterior mean under the label its input is recognised as. hold_label: every
        step is drawn as a's digit (for a decoder without the label, b's code is first carried into a's
        Gaussian: its style, a's digit); otherwise the label goes from a's to b's with the codes (a decoder that
        takes it gets the two labels' one-hot codes blended). Returns the drawings (steps, 28, 28), the label of
        each step (None for a plain VAE) and what each drawing is recognised as (-1 for a plain VAE)."""
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
        first, second = self.analyze(a), self.analyze(b)
        za, zb = np.asarray(first.z, np.float32), np.asarray(second.z, np.float32)
        if not self.conditional:
            return self.decode((1 - t) * za + t * zb), [None] * steps, np.full(steps, -1)
        la, lb = first.recognised, second.recognised
        if hold_label and not self.model.decoder_sees_label and la != lb:
            with self._lock:
                zb = self.model.prior.move(tf.constant(zb[None]), self._onehot(lb, 1), self._onehot(la, 1)).numpy()[0]
        onehot = np.eye(NUM_CLASSES, dtype=np.float32)
        mix = onehot[[la] * steps] if hold_label else (1 - t) * onehot[la] + t * onehot[lb]
        with self._lock:
            drawn = self._fn("_decode")(tf.constant((1 - t) * za + t * zb), tf.constant(mix)).numpy()
        labels = [la if hold_label or w < 0.5 else lb for w in t[:, 0]]
        return drawn, labels, self.bounds(drawn).argmin(axis=1)

    def traversal(self, label: int | None, steps: int = 9, dims: tuple[int, int] = (0, 1),
                  base: np.ndarray | None = None) -> np.ndarray:
        """Seed 004's uniform traversal: a steps x steps grid over two latent dimensions, spaced by the
        normal distribution's quantiles from 5 % to 95 % — of the model's prior for the label, N(0, I) unless
        it learnt one per label. Other dimensions at the prior's mean, or `base`. Returns (steps, steps, 28, 28)."""
        from statistics import NormalDist

        q = np.array([NormalDist().inv_cdf(p) for p in np.linspace(0.05, 0.95, steps)], dtype=np.float32)
        mean, std = self.label_prior(label)  # N(0, I) for a plain VAE too
        z = np.tile(np.asarray(mean if base is None else base, np.float32), (steps * steps, 1))
        d0, d1 = dims[0], dims[1] if self.latent_dim > 1 else dims[0]
        z[:, d0] = mean[d0] + std[d0] * np.repeat(q[::-1], steps)  # rows: first dimension, top = high
        if self.latent_dim > 1:
            z[:, d1] = mean[d1] + std[d1] * np.tile(q, steps)
        return self.decode(z, label if self.conditional else None).reshape(steps, steps, 28, 28)
