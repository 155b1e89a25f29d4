"""Does a change to the number reader's constants read more numbers right? The same pictures read both ways, paired.

    python benchmarks/compare_reader.py --set CUT_EVERY=0.07 --set VALLEYS=12 --data ../shared/data/mnist.npz
        ["touching gaps" "overlap gaps"] [--n 300] [--seed 7] [--json] [--show]

The numbers are benchmarks/numbers.py's (the same seed gives the same pictures; use another seed than the one a
change was tried on). Each is read with `desktop_cvae.numbers.reader`'s constants as they are and again with
--set's (NAME=VALUE, VALUE a Python literal; a list for an array such as SPLIT_WEIGHTS; NAME a constant of
another module as its path in the package: vision.objects.ACROSS_BOLD=1). Per condition: the share
read exactly under each, how many numbers only one of the two reads right, and the exact McNemar test's p-value on
those: under 0.05, the difference is unlikely to be the pictures' luck. Two figures of 100 numbers each from
numbers.py differ by 4 to 6 points by chance alone (a binomial's standard error at 70 % is 4.6 points); pairing
the readings counts only the numbers the change turned.
"""

import argparse
import ast
import importlib
import io
import json
from math import comb

import numpy as np

import numbergen


def mcnemar_p(only_before: int, only_after: int) -> float:
    """Two-sided exact McNemar p-value: the chance of a split of the discordant pairs at least this uneven, were
    each pair as likely to fall either way."""
    n = only_before + only_after
    if n == 0:
        return 1.0
    tail = sum(comb(n, k) for k in range(min(only_before, only_after) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def parse_settings(items: list[str], module) -> dict:
    """--set NAME=VALUE items -> {(module, name): value}, each value of the kind the module's constant has. NAME is
    the reader's constant, or another module's as its path within the package (vision.objects.BOLD=0.2)."""
    settings = {}
    for item in items:
        name, _, text = item.partition("=")
        owner = module
        if "." in name:
            path, _, name = name.rpartition(".")
            owner = importlib.import_module(f"desktop_cvae.{path}")
        if not hasattr(owner, name):
            raise SystemExit(f"{owner.__name__} has no constant {name}")
        value = ast.literal_eval(text)
        settings[owner, name] = np.array(value, np.float64) if isinstance(getattr(owner, name), np.ndarray) else value
    return settings


def main():
    p = argparse.ArgumentParser()
    p.add_argument("conditions", nargs="*", default=["touching gaps", "overlap gaps"])
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a reader constant to change")
    p.add_argument("--n", type=int, default=300, help="numbers per condition")
    p.add_argument("--data", help="MNIST-format .npz (default: keras.datasets.mnist, cached)")
    p.add_argument("--digits", choices=("test", "train"), default="test")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", action="store_true", help="one JSON object per condition")
    p.add_argument("--show", action="store_true", help="also each number the change turned, read both ways")
    a = p.parse_args()
    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.data import load_mnist
    from desktop_cvae.engine import Engine
    from desktop_cvae.numbers import reader
    from desktop_cvae.vision.imageio import decode_image
    from desktop_cvae.vision.preprocess import NoInkError, image_to_gray

    changed = parse_settings(a.set, reader)
    kept = {(owner, name): getattr(owner, name) for owner, name in changed}
    data = load_mnist(a.data)
    x, y = (data.x_test, data.y_test) if a.digits == "test" else (data.x_train, data.y_train)
    x = x.astype(np.float32) / 255.0
    engine = Engine.load(default_model_path())
    engine.warm_up()

    def read(gray, settings: dict) -> str:
        """The number read, its unsure digits marked with ?, or why it was refused."""
        for (owner, name), value in settings.items():
            setattr(owner, name, value)
        try:
            return reader.read_number(gray, engine).marked
        except NoInkError as e:
            return f"refused: {e}"
        finally:
            for (owner, name), value in kept.items():
                setattr(owner, name, value)

    for condition in a.conditions:
        before = after = only_before = only_after = 0
        for k, (picture, truth) in enumerate(numbergen.numbers(condition, x, y, a.n, a.seed)):
            gray = image_to_gray(decode_image(io.BytesIO(picture)))
            as_is, as_changed = read(gray, {}), read(gray, changed)
            number_as_is, number_as_changed = as_is.replace("?", ""), as_changed.replace("?", "")
            was, now = number_as_is == truth, number_as_changed == truth
            if a.show and number_as_is != number_as_changed:
                print(f"  {condition} #{k}: {truth} read {as_is} as is, {as_changed} changed", flush=True)
            before, after = before + was, after + now
            only_before += was and not now
            only_after += now and not was
        row = {"condition": condition, "n": a.n, "exact_before": round(before / a.n, 4),
               "exact_after": round(after / a.n, 4), "only_before": only_before, "only_after": only_after,
               "p": round(mcnemar_p(only_before, only_after), 4)}
        if a.json:
            print(json.dumps(row), flush=True)
        else:
            print(f"{condition:15s} exact {row['exact_before']:6.1%} -> {row['exact_after']:6.1%}   right only as "
                  f"is {only_before:3d}, only changed {only_after:3d}   p = {row['p']:.3f}", flush=True)


if __name__ == "__main__":
    main()
