"""An interrupted training's latest finished epoch as a model file, and its numbers on the shipped sample.

    python benchmarks/checkpoint_model.py RUN.keras.checkpoint OUT.keras

The prior is the one learnt so far (a fitted prior is only fitted once training ends). Prints the epoch and,
on the shipped sample's 1,000 test digits, accuracy, -ELBO (one posterior sample) and accuracy at sigma 0.3;
then `benchmarks/displayed_bound.py --models OUT.keras` measures its drawings. docs/MODELS.md quotes both
for the pixel-context run that trains from the start.
"""

import dataclasses
import sys


def main():
    from desktop_cvae import checkpoint
    from desktop_cvae.config import ModelConfig
    from desktop_cvae.data import load_sample
    from desktop_cvae.engine import Engine
    from desktop_cvae.evaluate import evaluate
    from desktop_cvae.model import build_model
    from desktop_cvae.storage import save_model

    source, out = sys.argv[1:3]
    state, arrays, _ = checkpoint.read(source)
    cfg = ModelConfig.from_dict(state.config)
    if not state.notes.get("init_from"):  # a fitted prior is fitted after training: the learnt one so far
        cfg = dataclasses.replace(cfg, fitted_prior=False)
    model = build_model(cfg)
    checkpoint.restore(model.variables, arrays, "weights", "checkpoint")
    save_model(model, out, {"epochs_done": state.epochs_done})
    r = evaluate(Engine(model), load_sample(), noise_sigmas=(0.3,))
    print(f"epoch {state.epochs_done}: sample accuracy {r['accuracy']:.4f}, -ELBO {r['neg_elbo']:.2f} "
          f"(rec {r['reconstruction']:.2f} kl {r['kl']:.2f}), sigma 0.3: {r['noise']['0.3']:.4f}")


if __name__ == "__main__":
    main()
