"""Article pages: phone-sized, title first, status shown, cut at clauses then sentences."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from coopbot.knowledge import Clause, LawArticle, Messages, PageLabels, article_pages
from coopbot.knowledge.law_text import MIN_LIMIT
from coopbot.knowledge.model import KnowledgeBase

LABEL_AT_END = re.compile(r"(^|\n)(\d{1,3}\.|[a-zđ]\))$")  # a page must not end on "1." or "a)"


def _words(text: str) -> list[str]:
    return text.split()


def _article(kb: KnowledgeBase, doc: str, number: str) -> LawArticle:
    art = kb.law.article(doc, number)
    assert art is not None
    return art


@pytest.mark.parametrize("limit", [MIN_LIMIT, 300, 900])
def test_every_article_fits_its_pages_and_loses_no_word(kb: KnowledgeBase, limit: int) -> None:
    for art in kb.law:
        whole = article_pages(art, limit=10**6)
        assert len(whole) == 1 and whole[0].endswith("\n" + art.text)
        header = _words(whole[0][: -len(art.text)])
        pages = article_pages(art, limit=limit)
        assert all(0 < len(p) <= limit for p in pages), (art.code, limit)
        assert not any(LABEL_AT_END.search(p) for p in pages), (art.code, limit)
        assert _words(" ".join(pages)) == header + _words(art.text), (art.code, limit)


def test_page_one_opens_with_the_title_line(kb: KnowledgeBase) -> None:
    pages = article_pages(_article(kb, "luat-htx-2023", "30"))
    assert pages[0].startswith(
        "Điều 30 Luật Hợp tác xã 17/2023/QH15 — Điều kiện trở thành thành viên hợp tác xã\n1. "
    )


def test_a_short_article_is_one_page(kb: KnowledgeBase) -> None:
    art = _article(kb, "luat-htx-2023", "1")
    assert article_pages(art) == [f"{art.heading()}\n{art.intro}"]


def test_pages_break_between_clauses_when_clauses_fit(kb: KnowledgeBase) -> None:
    art = _article(kb, "luat-htx-2023", "4")  # 29 short definitions
    starts = {c.render().split("\n")[0] for c in art.clauses}
    pages = article_pages(art, limit=600)
    assert len(pages) > 3
    for page in pages[1:]:
        assert page.split("\n")[0] in starts


def test_a_long_clause_is_cut_at_sentence_ends(kb: KnowledgeBase) -> None:
    long = Clause("1", " ".join(f"Câu số {i} nói về vốn góp của thành viên." for i in range(40)))
    art = replace(_article(kb, "luat-htx-2023", "74"), intro="", clauses=(long,))
    pages = article_pages(art, limit=200)
    assert len(pages) > 5
    assert all(p.rstrip().endswith(".") for p in pages)


def test_a_word_longer_than_a_page_is_cut(kb: KnowledgeBase) -> None:
    art = replace(_article(kb, "luat-htx-2023", "1"), intro="z" * 500, clauses=())
    pages = article_pages(art, limit=MIN_LIMIT)
    assert all(len(p) <= MIN_LIMIT for p in pages)
    assert "".join(pages).count("z") == 500


def test_one_clause_only(kb: KnowledgeBase) -> None:
    art = _article(kb, "luat-htx-2023", "4")
    seven = art.clause("7")
    assert seven is not None
    pages = article_pages(art, seven)
    assert pages == [f"Khoản 7 {art.heading()}\n{seven.render()}"]


def test_status_of_a_document_not_plainly_in_force(kb: KnowledgeBase) -> None:
    in_force = article_pages(_article(kb, "luat-htx-2023", "1"))[0].split("\n")
    assert PageLabels().uncertain not in in_force
    uncertain = article_pages(_article(kb, "nd-77-2019", "7"))[0].split("\n")
    assert uncertain[1] == PageLabels().uncertain
    art = _article(kb, "luat-htx-2023", "1")
    repealed = replace(art, doc=kb.documents["luat-htx-2012"])
    assert article_pages(repealed)[0].split("\n")[1] == PageLabels().repealed


def test_amendments_and_the_codification_note(kb: KnowledgeBase) -> None:
    art = _article(kb, "nd-45-2021", "15")
    lines = article_pages(art, registry=kb.documents)[0].split("\n")
    assert lines[1] == (
        "Văn bản đã được sửa đổi bởi Nghị định 104/2022/NĐ-CP, Nghị định 253/2025/NĐ-CP; "
        "bản lưu ở đây có thể chưa gồm phần sửa đổi."
    )
    assert lines[2].startswith("Ghi chú của Pháp điển: có nội dung bị bãi bỏ bởi Điều 13")
    without_registry = article_pages(art)[0].split("\n")
    assert without_registry[1].startswith("Ghi chú của Pháp điển")


def test_labels_come_from_messages_when_defined(kb: KnowledgeBase) -> None:
    labels = PageLabels.from_messages(Messages({"law_uncertain": "Cần kiểm tra hiệu lực."}))
    assert labels.uncertain == "Cần kiểm tra hiệu lực."
    assert labels.repealed == PageLabels().repealed
    lines = article_pages(_article(kb, "nd-77-2019", "7"), labels=labels)[0].split("\n")
    assert lines[1] == "Cần kiểm tra hiệu lực."


def test_a_limit_too_small_for_a_title_is_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="at least"):
        article_pages(_article(kb, "luat-htx-2023", "1"), limit=MIN_LIMIT - 1)
