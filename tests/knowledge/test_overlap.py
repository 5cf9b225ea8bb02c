"""Overlap detection: near-duplicate phrasings and titles, and retriever cross-hits."""

from __future__ import annotations

from dataclasses import replace

import yaml

from coopbot.config import REPO_KNOWLEDGE
from coopbot.knowledge.model import FaqEntry, KnowledgeBase
from coopbot.knowledge.overlap import (
    doc_order,
    find_overlaps,
    folded,
    overlapping_pairs,
    retrieval_overlaps,
    text_overlaps,
)
from coopbot.retrieval import Retriever


def _entry(eid: str, title: str, *questions: str) -> FaqEntry:
    return FaqEntry(id=eid, topic="thu", title=title, questions=questions, answer="…", sources=())


NAME_A = _entry(
    "ten-a",
    "Đặt tên hợp tác xã",
    "Quy định về đặt tên hợp tác xã như thế nào?",
    "ten htx co duoc trung khong",
)
NAME_B = _entry(
    "ten-b",
    "Quy tắc đặt tên HTX",
    "quy dinh ve dat ten hop tac xa nhu the nao",  # same as NAME_A's first, unaccented
    "Tên HTX có được dùng tiếng Anh không?",
)
CAPITAL = _entry(
    "von",
    "Vốn góp tối đa của thành viên",
    "Một thành viên được góp tối đa bao nhiêu phần trăm vốn điều lệ?",
    "Vốn góp tối đa của thành viên HTX là bao nhiêu?",
)


def test_folding_drops_accents_case_and_punctuation() -> None:
    assert folded("Đặt TÊN hợp tác xã?") == "dat ten hop tac xa"


def test_an_unaccented_copy_of_a_phrasing_in_another_entry_is_found() -> None:
    found = text_overlaps([NAME_A, NAME_B, CAPITAL])
    assert {o.pair for o in found if o.kind == "phrasing"} == {("ten-a", "ten-b")}


def test_different_questions_are_not_paired() -> None:
    assert text_overlaps([NAME_A, CAPITAL]) == []


def test_near_duplicates_inside_one_entry_are_not_reported() -> None:
    single = _entry("mot", "Một mục", "Hợp tác xã là gì vậy?", "hop tac xa la gi vay")
    assert text_overlaps([single, CAPITAL]) == []


def test_identical_titles_are_an_overlap() -> None:
    twin = replace(CAPITAL, id="von-2", questions=("Câu hỏi hoàn toàn khác về lệ phí?",))
    found = text_overlaps([CAPITAL, twin])
    assert [(o.kind, o.pair) for o in found] == [("title", ("von", "von-2"))]


def test_very_short_texts_are_ignored() -> None:
    a = _entry("a", "Mục A dài đủ", "htx la gi")
    b = _entry("b", "Mục B dài đủ", "htx la gi?")
    assert text_overlaps([a, b]) == []


def test_retrieval_signal_needs_another_entry_and_high_confidence() -> None:
    entries = [NAME_A, CAPITAL]
    calls: list[tuple[str, int]] = []

    def search(text: str, index: int) -> tuple[str | None, float]:
        calls.append((text, index))
        if text.startswith("Quy định"):
            return "von", 0.95  # sent to another entry, confidently
        if text.startswith("ten htx"):
            return "von", 0.40  # another entry, but unsure
        return "von", 0.99  # CAPITAL's own phrasings find CAPITAL

    found = retrieval_overlaps(entries, search, min_confidence=0.8)
    assert [(o.first, o.second, o.kind) for o in found] == [("ten-a", "von", "retrieval")]
    order = doc_order(entries)
    assert all(order[i][1] == text and not order[i][2] for text, i in calls)
    assert len(calls) == 4  # titles are not searched


def test_pairs_group_signals_whatever_their_direction() -> None:
    def search(text: str, index: int) -> tuple[str | None, float]:
        return ("ten-b" if text in NAME_A.questions else "ten-a"), 0.9

    pairs = overlapping_pairs(find_overlaps([NAME_A, NAME_B], search))
    assert list(pairs) == [("ten-a", "ten-b")]
    assert {o.kind for o in pairs["ten-a", "ten-b"]} == {"phrasing", "retrieval"}


def test_the_real_retriever_flags_a_copied_entry(kb: KnowledgeBase) -> None:
    original = kb.entry("hd-tam-ngung-thong-bao")
    assert original is not None
    copy = replace(original, id="ban-sao", title="Một tiêu đề khác hẳn")
    entries = (*kb.entries, copy)
    retriever = Retriever(replace(kb, entries=entries, by_id={e.id: e for e in entries}))

    def search(text: str, index: int) -> tuple[str | None, float]:
        result = retriever.search(text, exclude=index)
        return (result.best.entry.id if result.best else None), result.confidence

    both = {original.id, copy.id}
    found = retrieval_overlaps(entries, search, min_confidence=0.5, only=both)
    assert found and all({o.first, o.second} == both for o in found)


def test_retired_ids_point_to_entries_that_exist(kb: KnowledgeBase) -> None:
    retired = yaml.safe_load((REPO_KNOWLEDGE / "retired_ids.yaml").read_text(encoding="utf-8"))
    assert retired, "retired_ids.yaml lists no ids"
    for old, kept in retired.items():
        assert old not in {e.id for e in kb.entries}, f"{old} is retired but still an entry"
        assert kb.entry(kept) is not None, f"{old} points to missing {kept}"
        found = kb.entry(old)  # an old id (a button in an old chat) opens the entry kept
        assert found is not None and found.id == kept
