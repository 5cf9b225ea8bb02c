"""A sparse matrix stored by columns, multiplied by sparse queries: the few products the ranker
needs, in numpy.

Written by hand instead of scipy.sparse: importing scipy loads about 20 MB of numpy submodules
(f2py, testing, random …) into every worker through its vendored array-api-compat (``from numpy
import *``), over the memory budget of a worker; and a question has a few dozen features, so
gathering only their columns touches a small part of the matrix, where a row-wise product with a
dense vector reads all of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Columns:
    """An ``n_rows`` × width matrix: for each column, the rows that have it and their values."""

    n_rows: int
    indptr: np.ndarray  # column c holds positions indptr[c]:indptr[c + 1]
    rows: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, rows: Sequence[Mapping[int, float]], width: int) -> Columns:
        """From one ``{column: value}`` mapping per row."""
        sizes = [len(row) for row in rows]
        row_of = np.repeat(np.arange(len(rows), dtype=np.int32), sizes)
        cols = np.fromiter((c for row in rows for c in row), np.int64, sum(sizes))
        vals = np.fromiter((v for row in rows for v in row.values()), np.float32, sum(sizes))
        order = np.argsort(cols, kind="stable")
        indptr = np.zeros(width + 1, np.int64)
        np.cumsum(np.bincount(cols, minlength=width), out=indptr[1:])
        return cls(len(rows), indptr, row_of[order], vals[order])

    def dot(self, cols: np.ndarray, weights: np.ndarray | float = 1.0) -> np.ndarray:
        """The product with a vector that is ``weights`` at ``cols`` and zero elsewhere."""
        starts = self.indptr[cols]
        lengths = self.indptr[cols + 1] - starts
        total = int(lengths.sum())
        if not total:
            return np.zeros(self.n_rows)
        # positions of every stored value of the chosen columns, column after column
        at = np.arange(total) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        scale = np.repeat(np.broadcast_to(np.asarray(weights, np.float64), cols.shape), lengths)
        return np.bincount(self.rows[at], self.values[at] * scale, minlength=self.n_rows)

    def having(self, col: int) -> np.ndarray:
        """The rows with a value in column ``col``."""
        return self.rows[self.indptr[col] : self.indptr[col + 1]]
