"""Article references in free text: every stored article is found, accents optional."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coopbot.knowledge.model import KnowledgeBase
from coopbot.text.citations import Aliases, ArticleRef, Locator, parse_locator, parse_reference
from coopbot.text.normalize import fold

ALIASES_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "law" / "aliases.yaml"
RAW: dict[str, list[str]] = yaml.safe_load(ALIASES_FILE.read_text(encoding="utf-8"))
ALIASES = Aliases.from_mapping(RAW)


def test_every_article_of_every_codified_document_is_found(kb: KnowledgeBase) -> None:
    checked = 0
    for article in kb.law:
        name = RAW[article.doc.id][0]
        for text in (f"Điều {article.number} {name}", fold(f"dieu {article.number} {name}")):
            ref = parse_reference(text, ALIASES)
            assert ref == ArticleRef(article.number, doc=article.doc.id), text
            checked += 1
    assert checked == 2 * 372


def test_every_alias_names_its_document() -> None:
    for doc_id, names in RAW.items():
        for name in names:
            for text in (f"{name} điều 1", fold(f"điều 1 {name}")):
                ref = parse_reference(text, ALIASES)
                assert ref is not None and ref.doc == doc_id, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Điều 30 Luật HTX", ArticleRef("30", doc="luat-htx-2023")),
        ("dieu 96 luat htx 2023", ArticleRef("96", doc="luat-htx-2023")),
        ("khoản 3 Điều 74 Luật Hợp tác xã", ArticleRef("74", "3", doc="luat-htx-2023")),
        ("Nghị định 92 điều 17", ArticleRef("17", doc="nd-92-2024")),
        ("nghi dinh 92/2024 dieu 5", ArticleRef("5", doc="nd-92-2024")),
        ("NĐ 92/2024/NĐ-CP Điều 34", ArticleRef("34", doc="nd-92-2024")),
        ("nđ92 điều 9", ArticleRef("9", doc="nd-92-2024")),
        ("TT 09/2024 điều 3", ArticleRef("3", doc="tt-09-2024-bkhdt")),
        ("Thông tư 09 điều 5", ArticleRef("5", doc="tt-09-2024-bkhdt")),
        ("thông tư 9/2017 điều 4", ArticleRef("4", doc="tt-09-2017-bnnptnt")),
        ("Luật Hợp tác xã 2023 Điều 4 khoản 7", ArticleRef("4", "7", doc="luat-htx-2023")),
        (
            "cho em hỏi điều 30 luật htx quy định gì",
            ArticleRef("30", doc="luat-htx-2023"),
        ),
        (
            "điểm đ khoản 1 Điều 33 Luật HTX nói gì vậy",
            ArticleRef("33", "1", "đ", "luat-htx-2023"),
        ),
        ("Điều số 12 luật htx", ArticleRef("12", doc="luat-htx-2023")),
        ("Điều 12a Luật HTX", ArticleRef("12a", doc="luat-htx-2023")),
        ("điều 30 luật htx 2012", ArticleRef("30", doc="luat-htx-2012")),
        ("luật hợp tác xã năm 2012 điều 9", ArticleRef("9", doc="luat-htx-2012")),
        ("luat htx cu dieu 9", ArticleRef("9", doc="luat-htx-2012")),
        ("Điều 3 Nghị định 113/2024/NĐ-CP", ArticleRef("3", doc="nd-113-2024")),
    ],
)
def test_reference_forms(text: str, expected: ArticleRef) -> None:
    assert parse_reference(text, ALIASES) == expected


def test_no_document_named_is_said_so() -> None:
    ref = parse_reference("cho hỏi điều 30 quy định gì", ALIASES)
    assert ref == ArticleRef("30")
    assert ref is not None and not ref.names_document
    assert parse_reference("điều 30 luật đất đai", ALIASES) == ArticleRef("30")


def test_the_nearest_document_wins() -> None:
    text = "Nghị định 92 nói khác, nhưng điều 30 luật htx thì sao"
    assert parse_reference(text, ALIASES) == ArticleRef("30", doc="luat-htx-2023")


def test_the_first_article_and_its_own_clause() -> None:
    text = "điều 30 khoản 2 và điều 31 khoản 5 luật htx"
    assert parse_reference(text, ALIASES) == ArticleRef("30", "2", doc="luat-htx-2023")


def test_aliases_may_be_given_as_a_mapping() -> None:
    assert parse_reference("điều 7 luật htx", RAW) == ArticleRef("7", doc="luat-htx-2023")


@pytest.mark.parametrize(
    "text",
    [
        "điều kiện thành lập hợp tác xã là gì",
        "dieu kien de vao htx",
        "htx cần 5 thành viên đúng không",
        "vốn góp tối đa 30% vốn điều lệ",
        "luật htx 2023 có bao nhiêu điều",
        "có 115 điều trong luật htx",
        "khoản 3 luật htx",
        "điều lệ hợp tác xã gồm những gì",
        "nghị định 92",
        "điều 0 luật htx",
        "điều 1000 luật htx",
        "",
    ],
)
def test_not_an_article_reference(text: str) -> None:
    assert parse_reference(text, ALIASES) is None


def test_amounts_and_scores_are_not_clauses_or_points() -> None:
    ref = parse_reference("điều 30 luật htx, khoản vay 100 triệu, đạt 80 điểm", ALIASES)
    assert ref == ArticleRef("30", doc="luat-htx-2023")
    ref = parse_reference("điều 30 khoản 100 luật htx", ALIASES)
    assert ref == ArticleRef("30", doc="luat-htx-2023")


def test_a_point_needs_a_clause() -> None:
    assert parse_reference("điểm a điều 30 luật htx", ALIASES) == ArticleRef(
        "30", doc="luat-htx-2023"
    )


def test_conflicting_aliases_are_listed() -> None:
    clash = {"a-doc": ["Nghị định 92"], "b-doc": ["nghi dinh 92", "nghị định 93"]}
    assert Aliases.conflicts(clash) == [("nghi dinh 92", ("a-doc", "b-doc"))]
    assert Aliases.conflicts(RAW) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Điều 4 khoản 7", (Locator("4", ("7",)),)),
        ("Điều 84, 86", (Locator("84"), Locator("86"))),
        ("Điều 92, 93, 94, 95", tuple(Locator(n) for n in ("92", "93", "94", "95"))),
        ("Điều 88 khoản 2 và 3", (Locator("88", ("2", "3")),)),
        ("Điều 61 khoản 2 điểm d", (Locator("61", ("2",), ("d",)),)),
        (
            "Điều 91, Điều 62 khoản 5, Điều 69 khoản 3",
            (Locator("91"), Locator("62", ("5",)), Locator("69", ("3",))),
        ),
        ("Điều 9, Phụ lục 2", (Locator("9"),)),
        ("Toàn văn", ()),
        ("Mục 2", ()),
    ],
)
def test_faq_locators(text: str, expected: tuple[Locator, ...]) -> None:
    assert parse_locator(text) == expected
