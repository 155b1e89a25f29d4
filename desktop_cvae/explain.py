"""Why the model gave its answer: the encoder's posterior for the input (mean and spread of every latent
dimension, and one code drawn from it), and each label's evidence bound split into its two terms, in nats:

- reconstruction, -log p(x | z, y): how many nats the decoder needs to redraw the input from its code;
- KL(q(z | x) || p(z | y)): how far the input's code lies from where that label's digits lie.

The label with the smallest sum (the -ELBO) wins. No Qt and no TensorFlow here: Engine.bound_terms computes the
numbers, the GUI's Explain tab and tests read them from an Explanation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# What each term measures, in a sentence a newcomer can follow.
RECONSTRUCTION_MEANS = ("Reconstruction: how many nats the decoder needs to redraw your input from its code. "
                        "Lower: the model can draw this input well as that digit.")
KL_MEANS = ("KL: how far your input's code sits from where that digit's codes lie (its prior). "
            "Lower: the style of your input is typical for that digit.")
SUM_MEANS = "The label whose two terms add up to the least (the negative evidence bound, −ELBO) wins."


@dataclass
class Explanation:
    mean: np.ndarray  # (d,) the posterior mean of z (under the recognised label, for an encoder that sees it)
    sigma: np.ndarray  # (d,) its standard deviation
    z: np.ndarray  # (d,) one code drawn from that posterior
    reconstruction: np.ndarray  # (labels,) nats; one entry for a plain VAE
    kl: np.ndarray  # (labels,) nats
    probabilities: np.ndarray | None  # (10,) calibrated; None for a plain VAE

    @property
    def neg_elbo(self) -> np.ndarray:
        return self.reconstruction + self.kl

    @property
    def winner(self) -> int | None:
        return None if self.probabilities is None else int(np.argmin(self.neg_elbo))

    def why(self) -> str:
        """Why the winner won, in plain words with the numbers."""
        if self.winner is None:
            return (f"A plain VAE has no labels: its bound for your input is {self.neg_elbo[0]:.1f} nats, "
                    f"{self.reconstruction[0]:.1f} to redraw it and {self.kl[0]:.1f} for how unusual its code is.")
        w = self.winner
        order = np.argsort(self.neg_elbo)
        r = int(order[1])
        gap = float(self.neg_elbo[r] - self.neg_elbo[w])
        d_rec, d_kl = float(self.reconstruction[r] - self.reconstruction[w]), float(self.kl[r] - self.kl[w])
        parts = []
        if abs(d_rec) >= 0.05:
            parts.append(f"{'easier' if d_rec > 0 else 'harder'} to redraw as {w} by {abs(d_rec):.1f} nats")
        if abs(d_kl) >= 0.05:
            parts.append(f"its code is {'more' if d_kl > 0 else 'less'} typical of {w}s by {abs(d_kl):.1f} nats")
        how = " and ".join(parts) if parts else "the terms are level"
        return (f"{w} wins over the runner-up {r} by {gap:.1f} nats: {how}. "
                f"p({w}) = {100 * self.probabilities[w]:.1f} %, p({r}) = {100 * self.probabilities[r]:.1f} %.")
