"""Where the interactive update's time goes (docs/BENCHMARKS.md, 2026-11-24), with the default model.

    python benchmarks/update_parts.py [--model PATH] [--profile]

Prints p50/p99 (ms) of normalisation + noise, of Engine.analyze and of the graph call alone, then, for a model
whose labels share one decoder pass (the only kind the engine compiles with XLA), the graph call compiled with
XLA and without it in alternating rounds, over 50 different inputs; with --profile,
the graph's kernels by time per call (TensorFlow's profiler over 200 calls); and the two transposed
convolutions against sub-pixel convolutions of the same shapes (ten labels, random weights).
"""

import collections
import glob
import sys
import tempfile

import numpy as np


def timed(f, n=1000):
    from desktop_cvae.bench import times_ms

    return np.round(np.percentile(times_ms(f, n), [50, 99]), 3)


def kernels(fn, args, calls=200):
    import tensorflow as tf
    try:
        from tsl.profiler.protobuf import xplane_pb2
    except ImportError:  # where TensorFlow's wheel keeps it
        from tensorflow.tsl.profiler.protobuf import xplane_pb2

    folder = tempfile.mkdtemp()
    tf.profiler.experimental.start(folder)
    for _ in range(calls):
        fn(*args)
    tf.profiler.experimental.stop()
    space = xplane_pb2.XSpace()
    space.ParseFromString(open(glob.glob(f"{folder}/plugins/profile/*/*.xplane.pb")[0], "rb").read())
    total = collections.Counter()
    for plane in space.planes:
        names = {k: v.name for k, v in plane.event_metadata.items()}
        for line in plane.lines:
            if line.name.startswith("tf_Compute"):
                for ev in line.events:
                    name = names.get(ev.metadata_id, "")
                    if "/" in name:  # a model op, not the executor's own events
                        total[name] += ev.duration_ps
    for name, ps in total.most_common(8):
        print(f"  {ps / 1e9 / calls:.3f} ms  {name}")


def subpixel():
    import tensorflow as tf

    for cin, cout, side in ((64, 32, 7), (32, 16, 14)):
        y = tf.random.normal((10, side, side, cin))
        w = tf.random.normal((3, 3, cout, cin))
        k2 = tf.random.normal((2, 2, cin, 4 * cout))
        shape = tf.constant([10, 2 * side, 2 * side, cout])
        transposed = tf.function(lambda: tf.nn.conv2d_transpose(y, w, shape, 2, padding="SAME"))
        sub = tf.function(lambda: tf.nn.depth_to_space(
            tf.nn.conv2d(tf.pad(y, [[0, 0], [1, 0], [1, 0], [0, 0]]), k2, 1, "VALID"), 2))
        rounds = {"transposed": [], "sub-pixel": []}
        for _ in range(5):  # alternating, so the machine's drift falls on both
            rounds["transposed"].append(timed(lambda i: transposed(), 300)[0])
            rounds["sub-pixel"].append(timed(lambda i: sub(), 300)[0])
        print(f"{side}x{side}x{cin} -> {2 * side}x{2 * side}x{cout}: "
              + ", ".join(f"{k} median {np.median(v):.3f} ms" for k, v in rounds.items()))


def xla_or_not(engine, tensors, recognised):
    import tensorflow as tf

    if engine._xla_analyze is None:
        # The default's update slices the recognised label's drawing out of ten, a slice whose start depends on
        # the input; XLA needs such starts at compile time, so it compiled a new program for every input image,
        # folding the image in as a constant. Timed with one repeated input, that looked 2.3x faster than the
        # plain graph (docs/BENCHMARKS.md); with 50 inputs every call is a compile of seconds.
        print("graph call with XLA: not measured, this model's update is not compiled with XLA")
        return
    signature = [tf.TensorSpec((None, 28, 28, 1), tf.float32), tf.TensorSpec((), tf.int32)]
    builds = {name: tf.function(engine._analyze_impl, input_signature=signature, autograph=False,
                                jit_compile=name == "XLA").get_concrete_function() for name in ("XLA", "no XLA")}
    medians = {name: [] for name in builds}
    for _ in range(5):  # alternating, so the machine's drift falls on both
        for name, fn in builds.items():
            medians[name].append(timed(lambda i: fn(tensors[i % len(tensors)], recognised), 500)[0])
    print("graph call, median of 5 alternating rounds' p50: "
          + ", ".join(f"{k} {np.median(v):.3f} ms" for k, v in medians.items()))


def main():
    import tensorflow as tf

    from desktop_cvae.bench import canvas_like_inputs, model_input
    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.engine import Engine

    model = sys.argv[sys.argv.index("--model") + 1] if "--model" in sys.argv else default_model_path()
    engine = Engine.load(model)
    engine.warm_up()
    inputs = canvas_like_inputs()
    xs = [model_input(inputs, i) for i in range(50)]
    graph = engine._fn("_analyze")
    tensors = [tf.constant(x.reshape(1, 28, 28, 1).astype(np.float32)) for x in xs]
    recognised = tf.constant(-1)
    print("normalise + noise p50/p99 ms", timed(lambda i: model_input(inputs, i)))
    print("Engine.analyze     p50/p99 ms", timed(lambda i: engine.analyze(xs[i % 50])))
    print("graph call alone   p50/p99 ms", timed(lambda i: graph(tensors[i % 50], recognised)))
    xla_or_not(engine, tensors, recognised)
    if "--profile" in sys.argv:
        print("kernels, per call:")
        kernels(graph, (tensors[0], recognised))
    subpixel()


if __name__ == "__main__":
    main()
