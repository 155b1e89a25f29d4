"""Fit the calibration temperature of models trained before training fitted it, and store it in their sidecars.

    python scripts/calibrate_models.py --data ../shared/data/mnist.npz [MODEL.keras ...]   (default: every shipped CVAE)

Training now fits the temperature itself (train.evaluate_and_save). This does the same for a saved model: on the
validation hold-out its own training kept back (the full MNIST training split and the model's seed pick it), then
it re-measures the test metrics with the fitted temperature, and rewrites the sidecar atomically. The .keras file
is not touched.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop_cvae.tensorflow_loader import load_tensorflow  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="the full MNIST .npz the models were trained on")
    p.add_argument("models", nargs="*")
    a = p.parse_args()
    load_tensorflow()
    from desktop_cvae.resources import shipped_models_dir
    from desktop_cvae.data import load_mnist
    from desktop_cvae.engine import Engine
    from desktop_cvae.evaluate import evaluate
    from desktop_cvae.storage import read_sidecar, sidecar_path, write_json_atomic
    from desktop_cvae.train import calibrate

    data = load_mnist(a.data)
    paths = [Path(m) for m in a.models] or sorted(shipped_models_dir().glob("*.keras"))
    for path in paths:
        engine = Engine.load(path)
        if not engine.conditional:
            print(f"{path.name}: a plain VAE, no labels to calibrate")
            continue
        meta = read_sidecar(path)
        meta["calibration"] = calibrate(engine, data)
        sigmas = [float(s) for s in (meta.get("metrics") or {}).get("noise", {})] or [0.3]
        meta.setdefault("metrics", {})["calibration"] = evaluate(engine, data, noise_sigmas=sigmas)["calibration"]
        write_json_atomic(sidecar_path(path), meta)
        print(f"{path.name}: {json.dumps(meta['calibration'])}; test {json.dumps(meta['metrics']['calibration'])}")


if __name__ == "__main__":
    main()
