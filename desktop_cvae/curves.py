"""One model's training curves as a matplotlib Figure (no Qt, no TensorFlow): drawn by the main window's
loss panel, and rendered to an image by the training process for the training dialog."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def figure_history(history: dict, title: str = "", size=(7.0, 3.0)) -> Figure:
    """One model's training curves (total, reconstruction, KL; train and validation) as a plain Figure."""
    fig = Figure(figsize=size, layout="constrained")
    draw_history(fig, history, title)
    return fig


def _epoch_panel(ax, title: str, epochs: int) -> None:
    """One panel's title and epoch axis: whole epochs only, half an epoch of room each side (one epoch alone
    had a span of 0.1 crowded with ticks)."""
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("epoch", fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # no "epoch 1.5"
    if epochs:
        ax.set_xlim(0.5, epochs + 0.5)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def draw_history(fig: Figure, history: dict, title: str = ""):
    """Draw the training-curve panels into `fig` (cleared first): total, reconstruction, KL, and the validation
    accuracy where the history has it; returns the axes."""
    fig.clear()
    accuracy = history.get("val_accuracy")  # a conditional model's bound as a classifier, after every epoch
    axes = fig.subplots(1, 4 if accuracy else 3)
    epochs = max((len(v) for v in history.values() if isinstance(v, list)), default=0)
    for ax, (key, name) in zip(axes, (("loss", "total (−ELBO)"), ("reconstruction", "reconstruction"), ("kl", "KL"))):
        for k, style, label in ((key, "o-", "train"), (f"val_{key}", "s--", "validation")):
            if history.get(k):
                ax.plot(np.arange(1, len(history[k]) + 1), history[k], style, ms=3, label=label)
        _epoch_panel(ax, name, epochs)
    if accuracy:
        ax = axes[3]
        ax.plot(np.arange(1, len(accuracy) + 1), 100 * np.asarray(accuracy), "s--", ms=3, color="C1")
        _epoch_panel(ax, "accuracy (validation)", epochs)
        ax.set_ylabel("%", fontsize=8)
        ax.annotate(f"{100 * accuracy[-1]:.1f} %", (len(accuracy), 100 * accuracy[-1]), fontsize=7,
                    textcoords="offset points", xytext=(-4, -10), ha="right")
    axes[0].set_ylabel("nats per image", fontsize=8)
    axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    return axes


def render_rgba(fig: Figure, dpi: float = 100) -> np.ndarray:
    """Render a Figure with Agg, in whatever thread calls this: (H, W, 4) uint8."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()
