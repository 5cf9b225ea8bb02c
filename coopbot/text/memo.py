"""A bounded memo of a pure function's results, shared by the text and retrieval caches."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """Results for the last distinct keys, at most ``size``. When full it starts over: cheaper
    than least-recently-used bookkeeping (``functools.lru_cache``), which these hot paths do not
    need, and it works on methods of unhashable objects. Not a store: losing it costs time only."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._found: dict[K, V] = {}

    def recall(self, key: K, compute: Callable[[K], V]) -> V:
        """The remembered result for ``key``, or ``compute(key)``, remembered."""
        try:
            return self._found[key]
        except KeyError:
            if len(self._found) >= self.size:
                self._found.clear()
            found = self._found[key] = compute(key)
            return found

    def __len__(self) -> int:
        """How many results are remembered."""
        return len(self._found)
