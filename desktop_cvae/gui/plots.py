"""Embedded matplotlib panels: the latent space and the loss curves, each with matplotlib's toolbar."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg, NavigationToolbar2QT
from matplotlib.figure import Figure
from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..curves import draw_history


def _style_for_palette(fig: Figure, widget: QWidget) -> tuple[str, str]:
    """Match the figure to the system's light or dark palette."""
    pal = widget.palette()
    bg = pal.color(QPalette.ColorRole.Window).name()
    fg = pal.color(QPalette.ColorRole.WindowText).name()
    fig.set_facecolor(bg)
    return bg, fg


def _style_axes(ax, bg: str, fg: str) -> None:
    ax.set_facecolor(bg)
    ax.tick_params(colors=fg, labelsize=8)
    for spine in ax.spines.values():
        spine.set_color(fg)
    ax.title.set_color(fg)
    ax.xaxis.label.set_color(fg)
    ax.yaxis.label.set_color(fg)


class _CanvasDrawnWhenShown(FigureCanvasQTAgg):
    """Draws only while visible: a plot in a hidden tab (the loss curves take ~150-230 ms to draw) is
    drawn when its tab is opened, not on the UI thread at every model change."""

    def __init__(self, figure):
        super().__init__(figure)
        self._stale_while_hidden = False

    def draw_idle(self):
        if self.isVisible():
            super().draw_idle()
        else:
            self._stale_while_hidden = True

    def showEvent(self, event):
        super().showEvent(event)
        if self._stale_while_hidden:
            self._stale_while_hidden = False
            super().draw_idle()


class PlotPanel(QWidget):
    def __init__(self, parent=None, figsize=(5, 4)):
        super().__init__(parent)
        self.figure = Figure(figsize=figsize, layout="constrained")
        self.canvas = _CanvasDrawnWhenShown(self.figure)
        self.toolbar = NavigationToolbar2QT(self.canvas, self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.toolbar)
        lay.addWidget(self.canvas, 1)

    def save_png(self, path: str) -> None:
        self.figure.savefig(path, format="png", dpi=150, facecolor=self.figure.get_facecolor())


class LatentPlot(PlotPanel):
    """The shipped sample's latent means coloured by label, the current input marked; click to decode."""

    point_clicked = Signal(float, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ax = self.figure.add_subplot()
        self._marker = None
        self._picked = None
        self._pressed = False
        self.canvas.mpl_connect("button_press_event", self._on_press)
        self.canvas.mpl_connect("motion_notify_event", self._on_motion)
        self.canvas.mpl_connect("button_release_event", self._on_release)
        self.show_message("The latent space appears when the model has loaded.")

    def show_message(self, text: str) -> None:
        self.ax.clear()
        bg, fg = _style_for_palette(self.figure, self)
        _style_axes(self.ax, bg, fg)
        self.ax.set_axis_off()
        self.ax.text(0.5, 0.5, text, ha="center", va="center", color=fg, wrap=True, transform=self.ax.transAxes)
        self._marker = self._picked = None
        self.canvas.draw_idle()

    def set_map(self, points: np.ndarray, labels: np.ndarray, description: str, conditional: bool,
                agreement: float | None = None) -> None:
        self.ax.clear()
        bg, fg = _style_for_palette(self.figure, self)
        _style_axes(self.ax, bg, fg)
        sc = self.ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=9, alpha=0.75)
        self.ax.set_xlabel(description, fontsize=8)
        legend = self.ax.legend(*sc.legend_elements(num=10), loc="upper right", fontsize=7, title="label",
                                title_fontsize=7, ncols=2, framealpha=0.6)
        legend.get_frame().set_facecolor(bg)
        clusters = agreement is not None and agreement > 0.5
        kind = "CVAE" if conditional else "Plain VAE"
        what = "clusters by label" if clusters else "labels mixed: style, not class"
        title = f"{kind} latent space: {what}"
        if agreement is not None:
            title += f"\n(5 nearest: same label {agreement:.0%}; chance 10%)"
        self.ax.set_title(title, fontsize=9)
        self._marker = self.ax.plot([], [], marker="X", ms=14, mec="black", mfc="#e4002b", ls="none", label="your input")[0]
        self._picked = self.ax.plot([], [], marker="o", ms=10, mec="black", mfc="none", mew=2, ls="none")[0]
        self.canvas.draw_idle()

    def set_marker(self, xy: tuple[float, float] | None) -> None:
        if self._marker is None:
            return
        self._marker.set_data(([xy[0]], [xy[1]]) if xy else ([], []))
        self.canvas.draw_idle()

    def marker_position(self) -> tuple[float, float] | None:
        if self._marker is None or len(self._marker.get_xdata()) == 0:
            return None
        return float(self._marker.get_xdata()[0]), float(self._marker.get_ydata()[0])

    def _emit(self, event) -> None:
        if event.inaxes is self.ax and event.xdata is not None and self._picked is not None:
            self._picked.set_data([event.xdata], [event.ydata])
            self.canvas.draw_idle()
            self.point_clicked.emit(float(event.xdata), float(event.ydata))

    def _on_press(self, event) -> None:
        if event.button == 1 and self.toolbar.mode == "":  # not while zooming or panning
            self._pressed = True
            self._emit(event)

    def _on_motion(self, event) -> None:
        if self._pressed:
            self._emit(event)

    def _on_release(self, event) -> None:
        self._pressed = False


class LossPlot(PlotPanel):
    """Training and validation curves of the active model: total, reconstruction and KL per epoch."""

    def __init__(self, parent=None):
        super().__init__(parent, figsize=(7, 3))
        self.set_history(None)

    def set_history(self, history: dict | None, title: str = "") -> None:
        self.figure.clear()
        bg, fg = _style_for_palette(self.figure, self)
        if not history or "loss" not in history:
            ax = self.figure.add_subplot()
            _style_axes(ax, bg, fg)
            ax.set_axis_off()
            ax.text(0.5, 0.5, "This model has no training history.", ha="center", va="center", color=fg)
            self.canvas.draw_idle()
            return
        for ax in draw_history(self.figure, history, title):
            _style_axes(ax, bg, fg)
        if self.figure._suptitle is not None:
            self.figure._suptitle.set_color(fg)
        self.canvas.draw_idle()


class ExplainPlot(PlotPanel):
    """Why the model answered as it did (module explain): the posterior of every latent dimension with the code
    drawn from it, and each label's -ELBO as its two terms, reconstruction and KL."""

    def __init__(self, parent=None):
        super().__init__(parent, figsize=(7, 3.4))
        self.explanation = None
        self.show_message("Draw or open a digit: its explanation appears here.")

    def show_message(self, text: str) -> None:
        self.explanation = None
        self.figure.clear()
        bg, fg = _style_for_palette(self.figure, self)
        ax = self.figure.add_subplot()
        _style_axes(ax, bg, fg)
        ax.set_axis_off()
        ax.text(0.5, 0.5, text, ha="center", va="center", color=fg, wrap=True)
        self.canvas.draw_idle()

    def set_explanation(self, ex) -> None:
        self.explanation = ex
        self.figure.clear()
        bg, fg = _style_for_palette(self.figure, self)
        left, right = self.figure.subplots(1, 2, width_ratios=(3, 2))
        for ax in (left, right):
            _style_axes(ax, bg, fg)
        dims = np.arange(len(ex.mean))
        left.errorbar(dims, ex.mean, yerr=ex.sigma, fmt="o", ms=3, capsize=2, color="#1f77b4")
        left.plot(dims, ex.z, "x", color="#d62728", ms=5)
        left.axhline(0, color=fg, lw=0.5, alpha=0.5)
        left.set_xlabel("latent dimension", fontsize=8)
        # Titles, not legends, say what is what: a legend would hide points or bars.
        left.set_title("Encoder: μ ± σ of each dimension; × a code drawn", fontsize=9)
        labels = np.arange(len(ex.reconstruction))
        right.barh(labels, ex.reconstruction, color="#7f7f7f", label="reconstruction")
        right.barh(labels, ex.kl, left=ex.reconstruction, color="#ff7f0e", label="KL")
        if ex.winner is not None:
            right.barh([ex.winner], [ex.neg_elbo[ex.winner]], fill=False, edgecolor=fg, lw=1.5)
            right.set_yticks(labels)
            right.set_ylabel("label", fontsize=8)
            # The terms differ little between labels next to their size: show the range that decides.
            low, high = float(ex.reconstruction.min()), float(ex.neg_elbo.max())
            right.set_xlim(max(0.0, low - 0.15 * (high - low) - 1), high + 0.05 * (high - low) + 1)
        else:
            right.set_yticks([])
        right.invert_yaxis()
        right.set_xlabel("−ELBO in nats (lower wins)", fontsize=8)
        right.set_title("Reconstruction (grey)\n+ KL (orange)", fontsize=9)
        self.canvas.draw_idle()
