"""What a cheaper default architecture would save on the interactive update, before training it.

    python benchmarks/decoder_cost.py [--n 1000] [--rounds 3] [--json]

The update's time is the graph call's kernels, and those do not depend on the weights' values: an
untrained model of a shape times the same as a trained one. So each variant of the default's shape is
built untrained and timed with `desktop-cvae bench`'s own update (normalise a canvas, add noise, recognise
over all ten labels). Variants are timed in alternating rounds, because this VM's speed drifts from hour
to hour; compare each with the default's shape in the same run, not with figures from another hour.
"""

import argparse
import json

import numpy as np

# name -> overrides of the shipped default's config. deepconv's widths (w0, w1, w2): the encoder's convs
# are w0 and w1 channels, its dense layer w2; the decoder's dense layers are w2 and 7*7*w1, its transposed
# convs and refinement convs w0 and w0/2 channels. The decoder runs ten times per update, the encoder once.
VARIANTS = {
    "default shape": {},
    "no refinement conv": {"refine_layers": 0},
    "dense 256": {"widths": (32, 64, 256)},
    "7x7x32 decoder grid": {"widths": (32, 32, 512)},
    "transposed convs 16/8": {"widths": (16, 64, 512)},
    "dense 256, 7x7x32, no refinement": {"widths": (32, 32, 256), "refine_layers": 0},
    # The labels' bounds share one decoder pass when the label enters only the prior p(z | y)
    "label only in the prior": {"label_in_decoder": False},
    "pixel-context head (16)": {"pixel_context": 16},
    "label only in the prior, pixel-context head (16)": {"label_in_decoder": False, "pixel_context": 16},
    # Not a candidate: the floor that shrinking the model cannot go below (dispatch, normalisation).
    "tiny (8, 8, 32), no refinement": {"widths": (8, 8, 32), "refine_layers": 0},
}


def preprocessing_ms(n: int) -> list[float]:
    """The update's work outside the model (normalise the canvas, add noise), per call: ms."""
    import time

    from desktop_cvae.bench import canvas_like_inputs, model_input

    inputs = canvas_like_inputs()
    times = []
    for i in range(n):
        t = time.perf_counter()
        model_input(inputs, i)
        times.append((time.perf_counter() - t) * 1000)
    return times


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1000, help="updates per variant and round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    import dataclasses

    from desktop_cvae.bench import bench_update
    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.config import ModelConfig
    from desktop_cvae.engine import Engine
    from desktop_cvae.model import build_model
    from desktop_cvae.storage import read_sidecar

    base = ModelConfig.from_dict(read_sidecar(default_model_path())["config"])
    engines = {}
    for name, overrides in VARIANTS.items():
        model = build_model(dataclasses.replace(base, **overrides))
        engines[name] = (Engine(model), model.count_params())
    p50 = {name: [] for name in VARIANTS}
    p99 = {name: [] for name in VARIANTS}
    outside = []
    for _ in range(a.rounds):
        outside.append(float(np.median(preprocessing_ms(a.n))))
        for name, (engine, _) in engines.items():
            r = bench_update(engine, n=a.n)
            p50[name].append(r["update_ms_p50"])
            p99[name].append(r["update_ms_p99"])
    ref = np.median(p50["default shape"])
    result = {"n": a.n, "rounds": a.rounds, "normalise_and_noise_p50_ms": [round(v, 2) for v in outside],
              "variants": {
        name: {"parameters": params, "p50_ms": [round(v, 2) for v in p50[name]],
               "p99_ms": [round(v, 2) for v in p99[name]],
               "median_p50_vs_default_shape": round(float(np.median(p50[name]) / ref), 2)}
        for name, (_, params) in engines.items()}}
    if a.json:
        print(json.dumps(result))
    else:
        print(f"normalise + noise alone: p50 {result['normalise_and_noise_p50_ms']} ms")
        for name, r in result["variants"].items():
            print(f"{name:50s} {r['parameters']:>9,} params  p50 {r['p50_ms']} ms  "
                  f"({r['median_p50_vs_default_shape']:.2f}x)  p99 {r['p99_ms']}")


if __name__ == "__main__":
    main()
