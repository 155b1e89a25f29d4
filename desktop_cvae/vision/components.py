"""Connected pieces of a boolean mask, with their boxes: what the number reader splits into digits and what
finds a sheet of paper on a desk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Piece:
    """One connected piece of ink (8-connected), in the ink map's pixels."""

    index: int  # its number in the label image
    x0: int
    y0: int
    x1: int  # exclusive
    y1: int  # exclusive
    area: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


def row_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's runs of True, row by row and left to right: (row, first column, column after the last)."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = mask
    rows, cols = np.nonzero(np.diff(padded, axis=1) != 0)  # each run's start, then its end
    return rows[0::2], cols[0::2], cols[1::2]


def label_pieces(mask: np.ndarray) -> tuple[np.ndarray, list[Piece]]:
    """8-connected components of a boolean mask: a label image (0 = background, 1..n) and each piece's box.

    Run-length labelling: the runs of each row are found with numpy, runs of neighbouring rows that touch
    (diagonally too) are joined by label propagation, and the labels are painted back run by run with one
    cumulative sum. Digits have a few thousand runs at most, so this stays in milliseconds."""
    h, w = mask.shape
    sr, sc, ec = row_runs(mask)  # each run's row, first column and the column after its last
    er = sr  # a run ends in the row it starts in
    n = len(sr)
    labels = np.zeros((h, w), np.int32)
    if n == 0:
        return labels, []
    # Runs of row r and row r + 1 touch (8-connected) when start_a <= end_b and start_b <= end_a (ends exclusive).
    # Keyed by (row, column), the starts and the ends are each in order: for each run a, the runs b of the next
    # row with end_b >= start_a begin at `lo`, and those with start_b <= end_a end before `hi`.
    key = w + 2
    lo = np.searchsorted(er * key + ec, (sr + 1) * key + sc, side="left")
    hi = np.searchsorted(sr * key + sc, (sr + 1) * key + ec, side="right")
    counts = np.maximum(hi - lo, 0)
    a = np.repeat(np.arange(n), counts)
    b = np.arange(len(a)) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
    root = np.arange(n)
    if len(a):
        while True:  # propagate the smallest index through every touching pair until nothing changes
            m = np.minimum(root[a], root[b])
            before = root.copy()
            np.minimum.at(root, a, m)
            np.minimum.at(root, b, m)
            root = root[root]
            if np.array_equal(root, before):
                break
    uniq, comp = np.unique(root, return_inverse=True)
    comp = comp + 1  # labels 1..n
    flat = np.zeros(h * w + 1, np.int64)
    np.add.at(flat, sr * w + sc, comp)
    np.add.at(flat, er * w + ec, -comp)
    labels = np.cumsum(flat[:-1]).reshape(h, w).astype(np.int32)
    k = len(uniq)
    x0 = np.full(k + 1, w)
    y0 = np.full(k + 1, h)
    x1 = np.zeros(k + 1, np.int64)
    y1 = np.zeros(k + 1, np.int64)
    area = np.zeros(k + 1, np.int64)
    np.minimum.at(x0, comp, sc)
    np.maximum.at(x1, comp, ec)
    np.minimum.at(y0, comp, sr)
    np.maximum.at(y1, comp, sr + 1)
    np.add.at(area, comp, ec - sc)
    pieces = [Piece(i, int(x0[i]), int(y0[i]), int(x1[i]), int(y1[i]), int(area[i])) for i in range(1, k + 1)]
    return labels, pieces
