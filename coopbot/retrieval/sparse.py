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

    @classmethod
    def transposed(cls, rows: Sequence[Mapping[int, float]], width: int) -> Columns:
        """The transpose of ``of(rows, width)``: each given row becomes a column (row-wise
        storage of the original, for products of a few of its rows)."""
        sizes = [len(row) for row in rows]
        indptr = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(sizes, out=indptr[1:])
        keys = np.fromiter((c for row in rows for c in row), np.int32, sum(sizes))
        vals = np.fromiter((v for row in rows for v in row.values()), np.float32, sum(sizes))
        return cls(width, indptr, keys, vals)

    @classmethod
    def stack(cls, blocks: Sequence[Columns]) -> Columns:
        """The blocks one below the other (same width): one gather reads them all."""
        indptr = np.sum([b.indptr for b in blocks], axis=0)
        rows = np.empty(int(indptr[-1]), np.int32)
        values = np.empty(int(indptr[-1]), np.float32)
        before = indptr[:-1].copy()  # where each column's values of the next block go
        offset = 0
        for b in blocks:
            lengths = np.diff(b.indptr)
            at = np.repeat(before - b.indptr[:-1], lengths) + np.arange(len(b.rows))
            rows[at] = b.rows + offset
            values[at] = b.values
            before += lengths
            offset += b.n_rows
        return cls(offset, indptr, rows, values)

    def dot(self, cols: np.ndarray, weights: np.ndarray | float = 1.0) -> np.ndarray:
        """The product with a vector that is ``weights`` at ``cols`` and zero elsewhere."""
        rows, values, lengths = self._gather(cols)
        if isinstance(weights, np.ndarray):  # in double precision, as bincount adds
            values = values * np.repeat(weights.astype(np.float64), lengths)
        elif weights != 1.0:
            values = values.astype(np.float64) * weights
        return np.bincount(rows, values, minlength=self.n_rows)

    def column_dots(self, cols: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """For each chosen column, its product with a dense vector of ``n_rows`` values."""
        # few short columns (a question's candidate phrasings): one fancy-indexed gather
        starts = self.indptr[cols]
        lengths = self.indptr[cols + 1] - starts
        at = np.arange(int(lengths.sum())) + np.repeat(
            starts - (np.cumsum(lengths) - lengths), lengths
        )
        owner = np.repeat(np.arange(len(cols)), lengths)
        return np.bincount(owner, self.values[at] * vector[self.rows[at]], minlength=len(cols))

    def rows_of(self, cols: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The row of every stored value of the chosen columns, each with its column's weight."""
        rows, _, lengths = self._gather(cols)
        return rows, np.repeat(weights, lengths)

    def _gather(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows and values stored in the chosen columns, column after column, and how many
        each column has. Slices joined by ``np.concatenate``: for a question's few dozen
        columns this is about twice as fast as one fancy-indexed gather."""
        starts, ends = self.indptr[cols].tolist(), self.indptr[cols + 1].tolist()
        if not starts:
            return np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.int64)
        rows = np.concatenate([self.rows[a:b] for a, b in zip(starts, ends, strict=True)])
        values = np.concatenate([self.values[a:b] for a, b in zip(starts, ends, strict=True)])
        lengths = np.subtract(ends, starts)
        return rows, values, lengths

    def having(self, col: int) -> np.ndarray:
        """The rows with a value in column ``col``."""
        return self.rows[self.indptr[col] : self.indptr[col + 1]]
