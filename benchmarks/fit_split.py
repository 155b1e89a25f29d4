"""Fit the number reader's split scorer: which candidate digits are one whole digit, and which reading of a line wins.

    python benchmarks/fit_split.py [--n 100] [--data NPZ] [--model FILE] [--ridge 1] [--json]

Numbers of MNIST *training* digits are built under the conditions whose pictures keep the digits where they were
composed (gaps from wide to overlapping, broken strokes, lines, sizes, pens, photos: no turn, no crop), so each
digit's box is known. Each is read as `desktop-cvae recognize --number` reads it, and every candidate digit the
reader weighed is labelled: one whole digit if its box and a true digit's overlap by 75 % (intersection over
union) or more. Two fits follow:

1. a logistic regression on `reader.split_features`, candidate by candidate, by iteratively reweighted least
   squares (its AUC: how often a whole digit scores above a candidate that is not one);
2. from there, the weights refined for the reading the reader picks: over each cluster's readings (the reader's
   `Lattice`), a conditional random field whose reading costs are the reader's own, fitted by the likelihood of
   the readings made of whole digits read with their right labels, with a ridge (`--ridge`) that holds the
   weights near the first fit's. Candidate by candidate, every candidate counts the same; here only the readings
   in question count: a whole digit that reads as the wrong label is worth nothing to the number.

It prints both, and how many of the numbers each set of weights would read right, the reader's other steps
(letters, words) aside: paste the refined weights into reader.SPLIT_WEIGHTS, then check the result on test digits
with benchmarks/numbers.py. Refit when the default model changes: its bounds are the features' scale.
"""

import argparse
import io
import json
import sys

import numpy as np

import numbergen

CONDITIONS = ("wide gaps", "normal gaps", "tight gaps", "touching gaps", "overlap gaps", "canvas", "broken strokes",
              "line under", "line through", "mixed sizes", "phone photo", "pencil", "dim photo", "whiteboard")


def overlap(a, b) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / (a[2] * a[3] + b[2] * b[3] - ix * iy)


def candidates(engine, conditions, n, x, y, seed):
    """Every candidate's features, whether it is one whole digit, whether it is one read with its right label, and
    the label it is read as; and each number's `Readings`."""
    from desktop_cvae.numbers import reader
    from desktop_cvae.vision.imageio import decode_image
    from desktop_cvae.vision.preprocess import NoInkError, image_to_gray

    seen = {}
    choose, make_ink_map = reader._model_choice, reader.ink_map

    def model_choice(*args):  # the reader's own candidates, as it weighs them
        got = choose(*args)
        seen["judge"] = got[0]
        return got

    def ink_map(*args, **kwargs):  # how the picture became the ink map the boxes live in
        seen["ink map"] = make_ink_map(*args, **kwargs)
        return seen["ink map"]

    reader._model_choice, reader.ink_map = model_choice, ink_map
    features, whole, right, labels, numbers = [], [], [], [], []
    try:
        for condition in conditions:
            rng = np.random.default_rng(seed)
            for _ in range(n):
                length = int(rng.integers(2, 13))
                idx = rng.integers(0, len(x), length)
                data, truth = numbergen.number_picture(condition, x[idx], y[idx], rng)
                boxes = [(b, d) for b, d in zip(numbergen.LAST_BOXES, truth) if b is not None]
                gray = image_to_gray(decode_image(io.BytesIO(data)))
                seen.clear()
                try:
                    reader.read_number(gray, engine, zoom=False)
                except NoInkError:  # a number left out as a word: no reading to learn from
                    if "judge" not in seen:
                        continue
                judge, m = seen["judge"], seen["ink map"]
                frame = reader.writing_frame(m, judge.line.w, [])
                rows = {}
                for c in judge.scores:
                    box = frame.box_to_source(judge.crops[c][1])
                    iou, digit = max((overlap(box, b), d) for b, d in boxes)
                    rows[c] = len(features)
                    label = int(np.argmin(judge.scores[c]))
                    features.append(reader.split_features(judge, c))
                    whole.append(iou >= 0.75)
                    right.append(iou >= 0.75 and str(label) == digit)
                    labels.append(label)
                if judge.lattice is not None:
                    numbers.append(Readings(judge.lattice, rows, truth))
            print(f"{condition}: {len(features)} candidates so far", file=sys.stderr, flush=True)
    finally:
        reader._model_choice, reader.ink_map = choose, make_ink_map
    return np.array(features), np.array(whole, np.float64), np.array(right, bool), np.array(labels), numbers


class Readings:
    """A number's readings as graphs, one per cluster of units: nodes are cut positions, from the cluster's left
    edge to its right, and each edge one candidate digit (its row in the features, -1 for one without ink)."""

    def __init__(self, lattice, rows: dict, truth: str):
        self.truth = truth
        self.graphs = []
        for cluster in lattice.clusters:
            nodes: dict = {}

            def node(k: int, cut: int) -> int:
                if k < len(cluster) and cut == lattice.cuts[cluster[k]] + 1:  # a unit's right edge: the next's left
                    k, cut = k + 1, 0
                return nodes.setdefault((k, cut), len(nodes))

            edges = [(node(k, a), node(k, b), rows.get(c, -1))
                     for k, unit in enumerate(cluster) for (a, b), c in lattice.pieces[unit].items()]
            edges += [(node(cluster.index(first), 0), node(cluster.index(last) + 1, 0), rows.get(c, -1))
                      for (first, last), c in lattice.merged.items() if first in cluster]
            graph = Graph(len(nodes), node(0, 0), node(len(cluster), 0), np.array(edges, np.int64).reshape(-1, 3))
            self.graphs.append(graph)


class Graph:
    """A directed acyclic graph of readings: its edges (from, to, feature row), visited in topological order."""

    def __init__(self, n_nodes: int, start: int, end: int, edges: np.ndarray):
        self.start, self.end, self.edges = start, end, edges
        self.into = [np.nonzero(edges[:, 1] == v)[0] for v in range(n_nodes)]
        self.out_of = [np.nonzero(edges[:, 0] == v)[0] for v in range(n_nodes)]
        waiting = np.array([len(e) for e in self.into])
        ready, self.order = [v for v in range(n_nodes) if not waiting[v]], []
        while ready:
            v = ready.pop()
            self.order.append(v)
            for e in self.out_of[v]:
                waiting[edges[e, 1]] -= 1
                if not waiting[edges[e, 1]]:
                    ready.append(int(edges[e, 1]))

    def best(self, gain: np.ndarray) -> list[int]:
        """The edges of the reading with the greatest total gain (the reader's cheapest reading)."""
        score = np.full(len(self.into), -np.inf)
        score[self.start], back = 0.0, {}
        for v in self.order:
            for e in self.into[v]:
                if score[self.edges[e, 0]] + gain[e] > score[v]:
                    score[v], back[v] = score[self.edges[e, 0]] + gain[e], e
        path, v = [], self.end
        while v in back:
            path.append(back[v])
            v = self.edges[back[v], 0]
        return path[::-1]

    def marginals(self, gain: np.ndarray) -> tuple[float, np.ndarray]:
        """log of the sum over readings of exp(total gain), and each edge's share of that sum."""
        alpha = np.full(len(self.into), -np.inf)
        beta = alpha.copy()
        alpha[self.start], beta[self.end] = 0.0, 0.0
        for v in self.order:
            if v != self.start and len(self.into[v]):
                alpha[v] = _log_sum_exp(alpha[self.edges[self.into[v], 0]] + gain[self.into[v]])
        for v in reversed(self.order):
            if v != self.end and len(self.out_of[v]):
                beta[v] = _log_sum_exp(beta[self.edges[self.out_of[v], 1]] + gain[self.out_of[v]])
        total = alpha[self.end]
        if not np.isfinite(total):
            return total, np.zeros(len(gain))
        with np.errstate(invalid="ignore"):
            share = np.exp(alpha[self.edges[:, 0]] + gain + beta[self.edges[:, 1]] - total)
        return total, np.nan_to_num(share)


def _log_sum_exp(v: np.ndarray) -> float:
    top = np.max(v)
    return float(top + np.log(np.sum(np.exp(v - top)))) if np.isfinite(top) else float(top)


def _edge_features(graph: Graph, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    has_ink = graph.edges[:, 2] >= 0
    return np.where(has_ink[:, None], features[np.maximum(graph.edges[:, 2], 0)], 0.0), has_ink


def reading_loss(w: np.ndarray, numbers: list, features: np.ndarray, right: np.ndarray, centre: np.ndarray,
                 ridge: float) -> tuple[float, np.ndarray]:
    """Minus the log likelihood of the right readings (their gains' share of every reading's), plus the ridge
    towards `centre`, and its gradient. A digit's gain is its log odds plus DIGIT_PRIOR, as the reader has it;
    clusters without a right reading teach nothing and are left out."""
    from desktop_cvae.numbers import reader

    loss, grad = 0.5 * ridge * float(np.sum((w - centre) ** 2)), ridge * (w - centre)
    for number in numbers:
        for graph in number.graphs:
            if len(graph.edges) < 2:
                continue
            f, has_ink = _edge_features(graph, features)
            gain = np.where(has_ink, f @ w + reader.DIGIT_PRIOR, -np.inf)
            is_right = has_ink & right[np.maximum(graph.edges[:, 2], 0)]
            right_total, right_share = graph.marginals(np.where(is_right, gain, -np.inf))
            if not np.isfinite(right_total):
                continue
            total, share = graph.marginals(gain)
            loss -= right_total - total
            grad -= (right_share - share) @ f
    return loss, grad


def read_right(w: np.ndarray, numbers: list, features: np.ndarray, labels: np.ndarray) -> float:
    """The share of numbers whose cheapest reading under weights w spells the number."""
    from desktop_cvae.numbers import reader

    hits = 0
    for number in numbers:
        read = ""
        for graph in number.graphs:
            f, has_ink = _edge_features(graph, features)
            gain = np.where(has_ink, f @ w + reader.DIGIT_PRIOR, -np.inf)
            read += "".join(str(labels[graph.edges[e, 2]]) for e in graph.best(gain))
        hits += read == number.truth
    return hits / max(len(numbers), 1)


def minimise(fun, x0: np.ndarray, steps: int = 300) -> np.ndarray:
    """BFGS with a backtracking line search; fun(x) gives the value and the gradient (a smooth convex loss)."""
    x = np.array(x0, np.float64)
    value, grad = fun(x)
    inverse_hessian = np.eye(len(x))
    for _ in range(steps):
        direction = -inverse_hessian @ grad
        if grad @ direction >= 0:
            inverse_hessian, direction = np.eye(len(x)), -grad
        t = 1.0
        while True:
            new_value, new_grad = fun(x + t * direction)
            if new_value <= value + 1e-4 * t * (grad @ direction) or t < 1e-8:
                break
            t /= 2
        s, dg = t * direction, new_grad - grad
        x, value, grad = x + s, new_value, new_grad
        if np.linalg.norm(grad) < 1e-5 * max(1.0, abs(value)):
            break
        if s @ dg > 1e-12:
            rho, eye = 1 / (s @ dg), np.eye(len(x))
            inverse_hessian = ((eye - rho * np.outer(s, dg)) @ inverse_hessian @ (eye - rho * np.outer(dg, s))
                               + rho * np.outer(s, s))
    return x


def fit(a: np.ndarray, y: np.ndarray, ridge: float = 1e-3, steps: int = 50) -> np.ndarray:
    """Logistic regression weights by iteratively reweighted least squares, a little ridge for stability."""
    w = np.zeros(a.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(a @ w, -30, 30)))
        hessian = a.T @ (a * (p * (1 - p) + 1e-6)[:, None]) + ridge * np.eye(len(w))
        w += np.linalg.solve(hessian, a.T @ (y - p) - ridge * w)
    return w


def auc(score: np.ndarray, y: np.ndarray) -> float:
    """The chance that a whole digit scores above a candidate that is not one."""
    ranks = np.empty(len(score))
    ranks[np.argsort(score)] = np.arange(len(score))
    pos = y == 1
    return float((ranks[pos].sum() - pos.sum() * (pos.sum() - 1) / 2) / (pos.sum() * (~pos).sum()))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=100, help="numbers per condition")
    p.add_argument("--data", help="MNIST-format .npz (default: keras.datasets.mnist, cached)")
    p.add_argument("--model", help="model file (default: the shipped default)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--ridge", type=float, default=1.0,
                   help="how firmly the refined weights are held near the candidate-by-candidate fit")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from pathlib import Path

    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.data import load_mnist
    from desktop_cvae.engine import Engine
    from desktop_cvae.numbers import reader

    data = load_mnist(a.data)
    engine = Engine.load(Path(a.model) if a.model else default_model_path())
    engine.warm_up()
    features, whole, right, labels, numbers = candidates(engine, CONDITIONS, a.n,
                                                         data.x_train.astype(np.float32) / 255.0, data.y_train, a.seed)
    w = fit(features, whole)
    refined = minimise(lambda v: reading_loss(v, numbers, features, right, w, a.ridge), w)
    result = {"candidates": len(whole), "whole": round(float(whole.mean()), 4), "numbers": len(numbers)}
    for name, weights in (("current", reader.SPLIT_WEIGHTS), ("fitted", w), ("refined", refined)):
        result[f"auc_{name}"] = round(auc(features @ weights, whole), 4)
        result[f"read_right_{name}"] = round(read_right(weights, numbers, features, labels), 4)
    result["weights_fitted"] = dict(zip(reader.SPLIT_FEATURES, (round(float(v), 4) for v in w)))
    result["weights"] = dict(zip(reader.SPLIT_FEATURES, (round(float(v), 4) for v in refined)))
    if a.json:
        print(json.dumps(result))
        return
    print(f"{result['candidates']} candidates, {result['whole']:.1%} whole digits, {len(numbers)} numbers")
    print("weights    AUC     numbers read right (letters aside)")
    for name in ("current", "fitted", "refined"):
        print(f"{name:10s} {result[f'auc_{name}']:.4f}  {result[f'read_right_{name}']:.2%}")
    print(f"  {'':28s} {'fitted':>8s} {'refined':>8s}")
    for name, value, better in zip(reader.SPLIT_FEATURES, w, refined):
        print(f"  {name:28s} {value:8.4g} {better:8.4g}")
    print("SPLIT_WEIGHTS = np.array([" + ", ".join(f"{v:.4g}" for v in refined) + "])")

if __name__ == "__main__":
    main()
