"""How often XLA compiles a model's interactive update for a run of different inputs (docs/BENCHMARKS.md).

    python benchmarks/xla_compiles.py [MODEL ...] [--n 12] [--json]

Builds the update (`Engine._analyze_impl`) with jit_compile=True, calls it on n different canvas-like inputs
and counts the compiles TensorFlow logs (its device compiler, at verbosity 2, in a child process so the log
level is set before TensorFlow loads). One compile is what a usable build does; one per input means XLA took
the input as a compile-time constant, and a timing with one repeated input measures a precomputed answer.
"""

import json
import os
import re
import subprocess
import sys

# TensorFlow writes the time in the unit that suits it: "1.7 s", "981 ms"
COMPILE = re.compile(r"Compilation of XLA executable time: ([0-9.]+) (s|ms|us)\b")
SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


def child(model: str, n: int) -> None:
    import time

    import numpy as np
    import tensorflow as tf

    from desktop_cvae.bench import canvas_like_inputs, model_input
    from desktop_cvae.engine import Engine

    engine = Engine.load(model)
    inputs = canvas_like_inputs()
    signature = [tf.TensorSpec((None, 28, 28, 1), tf.float32), tf.TensorSpec((), tf.int32)]
    fn = tf.function(engine._analyze_impl, input_signature=signature, autograph=False,
                     jit_compile=True).get_concrete_function()
    calls = []
    for i in range(n):
        x = tf.constant(model_input(inputs, i).reshape(1, 28, 28, 1).astype(np.float32))
        t = time.perf_counter()
        fn(x, tf.constant(-1))
        calls.append(round((time.perf_counter() - t) * 1000, 1))
    print(json.dumps({"call_ms": calls}))


def measure(model: str, n: int) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="0", TF_CPP_VMODULE="device_compiler=2")
    run = subprocess.run([sys.executable, __file__, "--child", model, str(n)], env=env, capture_output=True,
                         text=True, check=True)
    seconds = [round(float(v) * SECONDS[unit], 3) for v, unit in COMPILE.findall(run.stderr)]
    calls = json.loads(run.stdout.strip().splitlines()[-1])["call_ms"]
    return {"model": os.path.basename(model), "inputs": n, "compiles": len(seconds),
            "compile_seconds": seconds, "call_ms": calls}


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
        return 0
    import argparse

    from desktop_cvae.catalog import default_model_path

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="*", help="model files (default: the shipped default)")
    p.add_argument("--n", type=int, default=12, help="different inputs")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    for model in a.models or [str(default_model_path())]:
        r = measure(model, a.n)
        print(json.dumps(r) if a.json else
              f"{r['model']}: {r['compiles']} compiles for {r['inputs']} inputs; calls (ms) {r['call_ms']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
