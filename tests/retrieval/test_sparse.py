"""Column-stored sparse products agree with dense numpy on random matrices."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from coopbot.retrieval.sparse import Columns

WIDTH = 12
rows_strategy = st.lists(
    st.dictionaries(st.integers(0, WIDTH - 1), st.floats(-5, 5, width=32), max_size=6),
    min_size=1,
    max_size=8,
)


def dense(rows: list[dict[int, float]]) -> np.ndarray:
    """The same matrix, dense."""
    out = np.zeros((len(rows), WIDTH))
    for i, row in enumerate(rows):
        for c, v in row.items():
            out[i, c] = np.float32(v)
    return out


@settings(max_examples=200, deadline=None)
@given(rows_strategy, st.sets(st.integers(0, WIDTH - 1)), st.floats(-3, 3))
def test_dot_equals_the_dense_product(
    rows: list[dict[int, float]], picked: set[int], w: float
) -> None:
    cols = np.asarray(sorted(picked), np.int64)
    weights = np.linspace(0.5, 2.0, len(cols)) * w
    vector = np.zeros(WIDTH)
    vector[cols] = weights
    got = Columns.of(rows, WIDTH).dot(cols, weights)
    assert got.shape == (len(rows),)
    assert np.allclose(got, dense(rows) @ vector, atol=1e-4)


def test_having_lists_the_rows_of_a_column() -> None:
    m = Columns.of([{0: 1.0, 3: 2.0}, {3: 1.0}, {1: 5.0}], 4)
    assert sorted(m.having(3).tolist()) == [0, 1]
    assert m.having(2).tolist() == []
    assert m.dot(np.asarray([2], np.int64)).tolist() == [0.0, 0.0, 0.0]


@settings(max_examples=200, deadline=None)
@given(rows_strategy, st.data())
def test_column_dots_of_the_transpose_are_row_products(
    rows: list[dict[int, float]], data: st.DataObject
) -> None:
    picked = data.draw(st.lists(st.integers(0, len(rows) - 1), max_size=len(rows)))
    vector = np.asarray(data.draw(st.lists(st.floats(-3, 3), min_size=WIDTH, max_size=WIDTH)))
    chosen = np.asarray(picked, np.int64)
    got = Columns.transposed(rows, WIDTH).column_dots(chosen, vector)
    assert got.shape == (len(picked),)
    assert np.allclose(got, dense(rows)[chosen] @ vector, atol=1e-4)


def test_rows_of_pairs_each_stored_value_with_its_column_weight() -> None:
    m = Columns.of([{0: 1.0, 3: 2.0}, {3: 1.0}, {1: 5.0}], 4)
    rows, weights = m.rows_of(np.asarray([1, 3], np.int64), np.asarray([0.5, 2.0]))
    assert sorted(zip(rows.tolist(), weights.tolist(), strict=True)) == [
        (0, 2.0),
        (1, 2.0),
        (2, 0.5),
    ]


@settings(max_examples=100, deadline=None)
@given(st.lists(rows_strategy, min_size=1, max_size=3), st.sets(st.integers(0, WIDTH - 1)))
def test_stacked_blocks_multiply_like_the_stacked_dense_matrix(
    blocks: list[list[dict[int, float]]], picked: set[int]
) -> None:
    cols = np.asarray(sorted(picked), np.int64)
    weights = np.linspace(0.5, 2.0, len(cols))
    vector = np.zeros(WIDTH)
    vector[cols] = weights
    stacked = Columns.stack([Columns.of(rows, WIDTH) for rows in blocks])
    whole = np.vstack([dense(rows) for rows in blocks])
    assert stacked.n_rows == len(whole)
    assert np.allclose(stacked.dot(cols, weights), whole @ vector, atol=1e-4)
