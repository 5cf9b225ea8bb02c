"""The bounded memo behind the text and retrieval caches."""

from __future__ import annotations

from coopbot.text.memo import Memo


def test_a_result_is_computed_once_and_none_is_a_result() -> None:
    calls: list[str] = []

    def compute(key: str) -> str | None:
        calls.append(key)
        return None if key == "none" else key.upper()

    memo: Memo[str, str | None] = Memo(8)
    assert [memo.recall(k, compute) for k in ("a", "none", "a", "none")] == ["A", None, "A", None]
    assert calls == ["a", "none"]


def test_a_full_memo_starts_over_and_never_exceeds_its_size() -> None:
    calls: list[int] = []
    memo: Memo[int, int] = Memo(3)
    for key in (1, 2, 3, 4, 1):
        memo.recall(key, lambda k: calls.append(k) or k * 10)
        assert len(memo) <= 3
    assert calls == [1, 2, 3, 4, 1]  # 4 cleared the memo, so 1 was computed again
    assert memo.recall(4, lambda k: -1) == 40
