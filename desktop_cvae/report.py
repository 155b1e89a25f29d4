"""Comparing models side by side, and the seed papers' figures as a report (PNG figures + Markdown).

Figures are plain matplotlib Figures (no pyplot, no Qt): the Compare dialog embeds them, the command
line saves them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .calibration import Reliability, draw_reliability
from .data import Dataset
from .engine import Engine
from .evaluate import evaluate, reliability
from .imaging import grid_array
from .storage import write_json_atomic

NOISE_CURVE = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
LATENT_POINTS = 2000


@dataclass
class ModelResult:
    name: str
    path: str
    config: dict
    params: int | None
    epoch_seconds: float | None  # mean training time per epoch, from the model's sidecar
    metrics: dict  # evaluate(): n, accuracy, neg_elbo, reconstruction, kl, noise
    history: dict | None
    latent: np.ndarray  # (n, 2) projected latent means
    latent_labels: np.ndarray
    latent_axes: str
    reconstructions: np.ndarray  # (10, 28, 28) of Comparison.digits
    generated: np.ndarray  # (10, 28, 28): one per label (CVAE) or ten random (VAE)
    traversal: np.ndarray  # (steps, steps, 28, 28)
    # Reliability diagrams of the calibrated probabilities, clean and at σ = 0.3 (CVAEs; empty for a plain VAE).
    reliability: dict[str, Reliability] = field(default_factory=dict)


@dataclass
class Comparison:
    data_source: str
    n_test: int
    digits: np.ndarray  # (10, 28, 28): one test digit per label
    models: list[ModelResult] = field(default_factory=list)


def _project(means: np.ndarray) -> tuple[np.ndarray, str]:
    if means.shape[1] <= 2:
        pts = means if means.shape[1] == 2 else np.hstack([means, np.zeros_like(means)])
        return pts, "z₁ and z₂"
    centred = means - means.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T, f"PCA of {means.shape[1]}-D latent means ({(s[:2] ** 2).sum() / (s ** 2).sum():.0%} var.)"


def compare(paths, data: Dataset, sigmas=NOISE_CURVE, progress=None, should_stop=None) -> Comparison:
    """Load each model and measure it on data's test split. `progress(i, n, name)` reports; `should_stop()`
    ends early (the models done so far are returned)."""
    y = data.y_test.astype(np.int64)
    x = Dataset.images(data.x_test)[..., 0]
    idx = np.array([np.flatnonzero(y == c)[0] for c in range(10)])
    comp = Comparison(data.source, len(x), x[idx])
    rng = np.random.default_rng(0)
    latent_idx = rng.choice(len(x), min(LATENT_POINTS, len(x)), replace=False)
    for i, path in enumerate(paths):
        if should_stop is not None and should_stop():
            break
        engine = Engine.load(path)
        name = engine.config.display_name
        if progress is not None:
            progress(i, len(paths), name)
        cond = engine.conditional
        metrics = evaluate(engine, data, noise_sigmas=[s for s in sigmas if s > 0] if cond else ())
        if cond:
            metrics["noise"] = {"0": metrics["accuracy"], **metrics["noise"]}
        means, _ = engine.encode(x[latent_idx], y[latent_idx] if cond else None)
        pts, axes = _project(means)
        recon = np.stack([engine.analyze(x[j], int(y[j]) if cond else None).reconstruction for j in idx])
        generated = _from_own_prior(engine) if cond else engine.generate(None, 10, seed=1)
        meta = engine.meta
        epochs = meta.get("epoch_seconds") or []
        comp.models.append(ModelResult(
            name, str(path), engine.config.to_dict(), meta.get("params") or int(engine.model.count_params()),
            float(np.mean(epochs[1:] or epochs)) if epochs else None, metrics, meta.get("history"),
            pts.astype(np.float32), y[latent_idx], axes, recon, generated,
            engine.traversal(5 if cond else None, steps=9),
            {"clean": reliability(engine, x, y), "σ = 0.3": reliability(engine, x, y, sigma=0.3)} if cond else {},
        ))
    return comp


# -- figures --------------------------------------------------------------------------------------
def figure_loss_curves(comp: Comparison) -> Figure:
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    axes = fig.subplots(1, 3)
    for key, title, ax in zip(("loss", "reconstruction", "kl"), ("total (−ELBO)", "reconstruction", "KL"), axes):
        for k, m in enumerate(comp.models):
            h = m.history or {}
            colour = f"C{k}"
            if f"val_{key}" in h:
                ax.plot(np.arange(1, len(h[f"val_{key}"]) + 1), h[f"val_{key}"], "-", color=colour, label=f"{m.name} (val)")
            if key in h:
                ax.plot(np.arange(1, len(h[key]) + 1), h[key], "--", color=colour, alpha=0.6, label=f"{m.name} (train)")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("nats per image")
    axes[0].legend(fontsize=7)
    fig.suptitle("Loss graphs (seed figs. 5/6): training dashed, validation solid")
    return fig


def _axes_per_model(comp: Comparison, width: float, height: float):
    n = max(len(comp.models), 1)
    fig = Figure(figsize=(width * n, height), layout="constrained")
    return fig, np.atleast_1d(fig.subplots(1, n))


def figure_latent(comp: Comparison) -> Figure:
    fig, axes = _axes_per_model(comp, 4, 4)
    for ax, m in zip(axes, comp.models):
        sc = ax.scatter(m.latent[:, 0], m.latent[:, 1], c=m.latent_labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=4)
        ax.set_title(m.name, fontsize=9)
        ax.set_xlabel(m.latent_axes, fontsize=8)
    if comp.models:
        fig.colorbar(sc, ax=axes.tolist(), ticks=range(10), label="label")
    fig.suptitle("Distribution of latent vectors (seed figs. 4/5), test digits coloured by label")
    return fig


def _digit_rows(ax, rows: list[np.ndarray], names: list[str], cols: int = 10) -> None:
    grid = grid_array(np.concatenate(rows), cols=cols)
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    h = (grid.shape[0] - 2) / len(rows)
    ax.set_yticks([2 + h * (i + 0.5) for i in range(len(rows))], names, fontsize=8)


def _from_own_prior(engine: Engine) -> np.ndarray:
    """One digit per label, z from the model's own p(z | label): N(0, I) for the seed CVAEs, the per-label
    Gaussian for a model that has one. (10, 28, 28)."""
    eps = np.random.default_rng(1).standard_normal((10, engine.latent_dim))
    z = np.stack([mean + chol @ e for e, (mean, chol) in zip(eps, map(engine.prior_gaussian, range(10)))])
    return engine.decode(z.astype(np.float32), np.arange(10))


def figure_reconstructions(comp: Comparison) -> Figure:
    fig = Figure(figsize=(8, 1.0 + 0.8 * (len(comp.models) + 1)), layout="constrained")
    _digit_rows(fig.add_subplot(), [comp.digits] + [m.reconstructions for m in comp.models],
                ["original"] + [m.name for m in comp.models])
    fig.suptitle("Original and reconstructed test digits (seed figs. 3/4)")
    return fig


def figure_generated(comp: Comparison) -> Figure:
    fig = Figure(figsize=(8, 1.0 + 0.8 * len(comp.models)), layout="constrained")
    if comp.models:
        _digit_rows(fig.add_subplot(), [m.generated for m in comp.models], [m.name for m in comp.models])
    fig.suptitle("Generated digits: labels 0–9 from each CVAE's own prior; the VAE's at random")
    return fig


def figure_traversal(comp: Comparison) -> Figure:
    fig, axes = _axes_per_model(comp, 3.6, 3.9)
    for ax, m in zip(axes, comp.models):
        steps = m.traversal.shape[0]
        ax.imshow(grid_array(m.traversal.reshape(-1, 28, 28), cols=steps), cmap="gray", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(m.name + (" (label 5)" if m.config.get("conditional", True) else ""), fontsize=9)
    fig.suptitle("Uniform latent traversal of z₀, z₁ at normal quantiles 5–95 % (seed 004 fig. 3)")
    return fig


def figure_noise(comp: Comparison) -> Figure:
    fig = Figure(figsize=(5.5, 3.8), layout="constrained")
    ax = fig.add_subplot()
    for m in comp.models:
        curve = m.metrics.get("noise") or {}
        if curve:
            s = sorted(curve, key=float)
            ax.plot([float(v) for v in s], [100 * curve[v] for v in s], "o-", label=m.name)
    ax.set_xlabel("Gaussian noise σ (added after normalisation, clipped)")
    ax.set_ylabel("accuracy, %")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Robustness to noise (seed 001's experiment), measured")
    return fig


def figure_calibration(comp: Comparison) -> Figure:
    """Reliability diagrams: does a digit shown at 90 % come out right 90 % of the time?"""
    fig = Figure(figsize=(10, 5), layout="constrained")
    conditions = ("clean", "σ = 0.3")
    for ax, condition in zip(fig.subplots(1, len(conditions)), conditions):
        curves = {m.name: m.reliability[condition] for m in comp.models if condition in m.reliability}
        draw_reliability(ax, curves, legend=False)  # one legend per panel, below it, clear of the curves
        ax.set_title(f"{condition} test digits ({comp.n_test:,})")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    fig.suptitle("Calibration of the probabilities shown (15 bins of the top probability)")
    return fig


def draw_confusion(ax, confusion: np.ndarray, title: str = "") -> None:
    """A confusion matrix with its counts: rows the true label, columns the label read; each row's accuracy at
    its end. The diagonal is drawn pale, so that the mistakes stand out."""
    c = np.asarray(confusion)
    off = c.astype(float).copy()
    np.fill_diagonal(off, 0)
    ax.imshow(off, cmap="Reds", vmin=0, vmax=max(off.max(), 1))
    for i in range(c.shape[0]):
        for j in range(c.shape[1]):
            if c[i, j]:
                dark = i != j and off[i, j] > 0.6 * off.max()  # white on the darkest reds
                ax.text(j, i, str(c[i, j]), ha="center", va="center", fontsize=6,
                        color="#555555" if i == j else "white" if dark else "black")
    totals = np.maximum(c.sum(axis=1), 1)
    ax.set_xticks(range(10))
    ax.set_yticks(range(10), [f"{i}  {100 * c[i, i] / totals[i]:.1f} %" for i in range(10)], fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel("read as", fontsize=8)
    ax.set_ylabel("true label, its accuracy", fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)


def figure_confusion(comp: Comparison) -> Figure:
    """Each CVAE's confusion matrix on the test split, with every class's accuracy."""
    models = [m for m in comp.models if m.metrics.get("confusion")]
    fig = Figure(figsize=(4.2 * max(len(models), 1), 4.4), layout="constrained")
    for ax, m in zip(fig.subplots(1, max(len(models), 1), squeeze=False)[0], models):
        draw_confusion(ax, np.asarray(m.metrics["confusion"]), m.name)
    fig.suptitle("Confusion matrices on the test split: mistakes in red, counts in each cell")
    return fig


FIGURES = {
    "reconstructions": figure_reconstructions,
    "latent": figure_latent,
    "loss_curves": figure_loss_curves,
    "noise_accuracy": figure_noise,
    "calibration": figure_calibration,
    "generated": figure_generated,
    "traversal": figure_traversal,
    "confusion": figure_confusion,
}


def metrics_rows(comp: Comparison) -> list[dict]:
    rows = []
    for m in comp.models:
        noise = m.metrics.get("noise") or {}
        rows.append({
            "model": m.name, "arch": m.config.get("arch"),
            "type": "CVAE" if m.config.get("conditional", True) else "VAE",
            "latent_dim": m.config.get("latent_dim"), "params": m.params,
            "epoch_seconds": m.epoch_seconds, "neg_elbo": m.metrics["neg_elbo"],
            "accuracy": m.metrics["accuracy"], "accuracy_noise_0.3": noise.get("0.3"),
            "ece": m.reliability["clean"].ece if m.reliability else None,
            "ece_noise_0.3": m.reliability["σ = 0.3"].ece if m.reliability else None,
            "per_class_accuracy": m.metrics.get("per_class_accuracy"),
        })
    return rows


def markdown(comp: Comparison, images: dict[str, str]) -> str:
    def pct(v):
        return "—" if v is None else f"{100 * v:.2f} %"

    lines = [
        "# Model comparison", "",
        f"Generated by `desktop-cvae report` on {time.strftime('%Y-%m-%d')} from {comp.data_source} "
        f"({comp.n_test} test digits). Test −ELBO: BCE summed over 784 pixels + KL, one posterior sample, β = 1. "
        "Accuracy: the label whose evidence bound is best (z at the posterior mean). "
        "Epoch time: mean training seconds per epoch (after the first), from each model's own training run.", "",
        "ECE: expected calibration error of the probabilities shown (15 bins of the top probability).", "",
        "| model | arch | type | z | parameters | s/epoch | test −ELBO (nats) | accuracy | accuracy at σ = 0.3 "
        "| ECE | ECE at σ = 0.3 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in metrics_rows(comp):
        ep = "—" if r["epoch_seconds"] is None else f"{r['epoch_seconds']:.1f}"
        lines.append(f"| {r['model']} | {r['arch']} | {r['type']} | {r['latent_dim']} | {r['params']:,} | {ep} | "
                     f"{r['neg_elbo']:.2f} | {pct(r['accuracy'])} | {pct(r['accuracy_noise_0.3'])} | "
                     f"{pct(r['ece'])} | {pct(r['ece_noise_0.3'])} |")
    titles = {"reconstructions": "Original vs reconstruction", "latent": "Latent distribution",
              "loss_curves": "Loss graphs", "noise_accuracy": "Accuracy against noise",
              "calibration": "Calibration: reliability diagrams",
              "generated": "Generated digits", "traversal": "Latent traversal",
              "confusion": "Confusion matrices and each class's accuracy"}
    for key, file in images.items():
        lines += ["", f"## {titles.get(key, key)}", "", f"![{titles.get(key, key)}]({file})"]
        if key == "confusion":
            lines += ["", "| model | " + " | ".join(str(d) for d in range(10)) + " |", "|---" * 11 + "|"]
            for m in comp.models:
                per_class = m.metrics.get("per_class_accuracy")
                if per_class:
                    lines.append(f"| {m.name} | " + " | ".join(f"{100 * a:.1f} %" for a in per_class) + " |")
    return "\n".join(lines) + "\n"


def write_report(comp: Comparison, out_dir: str | os.PathLike) -> Path:
    """PNG figures, metrics.json and report.md into out_dir; returns the Markdown file."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = {}
    for key, make in FIGURES.items():
        fig = make(comp)
        tmp = out / f".{key}.tmp.png"
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, out / f"{key}.png")
        images[key] = f"{key}.png"
    write_json_atomic(out / "metrics.json", {"data": comp.data_source, "n": comp.n_test, "models": metrics_rows(comp)})
    md = out / "report.md"
    tmp = out / ".report.md.tmp"
    tmp.write_text(markdown(comp, images), encoding="utf-8")
    os.replace(tmp, md)
    return md
