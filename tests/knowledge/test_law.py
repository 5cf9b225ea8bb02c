"""The codified law as data: the converter, the records, look-ups and their validation."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from coopbot.config import REPO_KNOWLEDGE
from coopbot.knowledge import SourceRef, check_knowledge
from coopbot.knowledge.model import KnowledgeBase
from coopbot.text.citations import parse_reference

ROOT = Path(__file__).resolve().parents[2]
CODIFICATION = Path("/work/shared/legal-sources/phapdien-hop-tac-xa.md")
PER_DOCUMENT = {
    "luat-htx-2023": 115,
    "nd-45-2021": 59,
    "nd-77-2019": 32,
    "nd-92-2024": 65,
    "qd-23-2017-ttg": 2,
    "qd-246-2006-ttg": 1,
    "tt-09-2017-bnnptnt": 8,
    "tt-09-2024-bkhdt": 14,
    "tt-124-2021-btc": 19,
    "tt-13-2022-bldtbxh": 10,
    "tt-31-2018-btc": 6,
    "tt-52-2022-btc": 23,
    "tt-83-2015-btc": 18,
}
GOOD_ENTRY = {
    "id": "tam-thu",
    "title": "Một mục thử",
    "questions": ["Câu hỏi thử một?", "cau hoi thu hai", "hỏi thử ba nhé", "thử lần bốn được ko"],
    "answer": "Đây là câu trả lời thử.",
}


def _builder() -> ModuleType:
    """tools/build_law.py as a module."""
    spec = importlib.util.spec_from_file_location("build_law", ROOT / "tools" / "build_law.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_law"] = module
    spec.loader.exec_module(module)
    return module


def _problems(root: Path) -> list[str]:
    return [str(p) for p in check_knowledge(root)[1]]


def _cite(root: Path, doc: str, article: str) -> None:
    """Add an FAQ file whose one entry cites ``article`` of ``doc``."""
    entry = {**GOOD_ENTRY, "sources": [{"doc": doc, "article": article}]}
    data = {"topic": "thu", "title": "Thử", "entries": [entry]}
    text = yaml.safe_dump(data, allow_unicode=True)
    (root / "faq" / "thu.yaml").write_text(text, encoding="utf-8")


def _edit_law(root: Path, doc: str, edit: Callable[[dict[str, Any]], object]) -> None:
    """Load knowledge/law/<doc>.yaml, apply ``edit`` to its data, write it back."""
    path = root / "law" / f"{doc}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


# --- the records -------------------------------------------------------------------------


def test_every_codified_article_is_loaded(kb: KnowledgeBase) -> None:
    counts: dict[str, int] = {}
    for article in kb.law:
        counts[article.doc.id] = counts.get(article.doc.id, 0) + 1
    assert counts == PER_DOCUMENT
    assert len(kb.law) == 372


def test_clauses_are_numbered_from_one_without_gaps(kb: KnowledgeBase) -> None:
    for article in kb.law:
        numbers = [int(c.number) for c in article.clauses]
        assert numbers == list(range(1, len(numbers) + 1)), article.code
        assert article.intro or article.clauses, article.code


def test_a_known_article_reads_as_in_the_law(kb: KnowledgeBase) -> None:
    art = kb.law.article("luat-htx-2023", "4")
    assert art is not None and art.code == "12.4.LQ.4" and art.title == "Giải thích từ ngữ"
    seven = art.clause("7")
    assert seven is not None
    assert "ít nhất 05 thành viên chính thức" in seven.text
    capital = kb.law.article("luat-htx-2023", "74")
    first = capital.clause("1") if capital else None
    assert first is not None and "không quá 30% vốn điều lệ" in first.text


def test_points_stay_in_their_clause(kb: KnowledgeBase) -> None:
    art = kb.law.article("luat-htx-2023", "33")
    assert art is not None
    first = art.clause("1")
    assert first is not None
    assert first.points[:6] == ("a", "b", "c", "d", "đ", "e")
    assert first.render().startswith("1. Các trường hợp chấm dứt")


def test_the_codification_note_and_related_articles_are_kept(kb: KnowledgeBase) -> None:
    fund = kb.law.article("nd-45-2021", "15")
    assert fund is not None
    assert "bãi bỏ bởi Điều 13 Nghị định số 104/2022/NĐ-CP" in fund.note
    scope = kb.law.article("luat-htx-2023", "3")
    assert scope is not None and "Điều 22.3.LQ.1. Phạm vi điều chỉnh" in scope.related
    assert "có nội dung liên quan" not in scope.text and "22.3.LQ" not in scope.text


def test_markdown_links_and_chapter_headings_are_not_article_text(kb: KnowledgeBase) -> None:
    for article in kb.law:
        assert "](http" not in article.text, article.code
        assert not any(re.match(r"Chương [IVX]+$", line) for line in article.text.splitlines())
    before_chapter = kb.law.article("luat-htx-2023", "29")
    assert before_chapter is not None and "THÀNH VIÊN" not in before_chapter.text


def test_lookup_by_document_and_number(kb: KnowledgeBase) -> None:
    assert kb.law.article("nd-92-2024", "17") is not None
    assert kb.law.article("nd-92-2024", "21") is None  # not in the codification
    assert kb.law.article("luat-htx-2012", "1") is None  # not codified
    assert kb.law.article("luat-htx-2023", " 30 ") is not None


# --- resolving FAQ citations ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("article", "expected"),
    [
        ("Điều 4 khoản 7", ("4", "7")),
        ("Điều 74 khoản 1, 2", ("74", "1")),
        ("Điều 61 khoản 2 điểm d", ("61", "2")),
        ("Điều 30", ("30", None)),
        ("Điều 91, Điều 62 khoản 5", ("91", None)),
        ("Điều 4 khoản 99", ("4", None)),
    ],
)
def test_resolve_an_faq_citation(
    kb: KnowledgeBase, article: str, expected: tuple[str, str | None]
) -> None:
    found = kb.law.resolve(SourceRef(kb.documents["luat-htx-2023"], article))
    assert found is not None
    art, clause = found
    assert (art.number, clause.number if clause else None) == expected


@pytest.mark.parametrize("article", ["Toàn văn", "", "Điều 999", "Phụ lục 2"])
def test_resolve_gives_none_without_a_stored_article(kb: KnowledgeBase, article: str) -> None:
    assert kb.law.resolve(SourceRef(kb.documents["luat-htx-2023"], article)) is None


def test_resolve_of_an_uncodified_document_is_none(kb: KnowledgeBase) -> None:
    assert kb.law.resolve(SourceRef(kb.documents["luat-htx-2012"], "Điều 3")) is None


def test_every_faq_citation_of_a_codified_document_resolves(kb: KnowledgeBase) -> None:
    cited = [
        (e.id, ref)
        for e in kb.entries
        for ref in e.sources
        if ref.doc.id in kb.law.documents and ref.article.startswith("Điều")
    ]
    assert len(cited) > 200
    assert [(i, r.article) for i, r in cited if kb.law.resolve(r) is None] == []


# --- loading and validation ----------------------------------------------------------------


def test_a_knowledge_folder_without_law_loads(knowledge_copy: Path) -> None:
    shutil.rmtree(knowledge_copy / "law")
    kb, problems = check_knowledge(knowledge_copy)
    assert problems == []
    assert len(kb.law) == 0 and kb.law.resolve(kb.entries[0].sources[0]) is None


def test_faq_citing_a_missing_article_is_reported(knowledge_copy: Path) -> None:
    _cite(knowledge_copy, "luat-htx-2023", "Điều 30, Điều 116")
    assert _problems(knowledge_copy) == [
        "knowledge/faq/thu.yaml: tam-thu: source 'Điều 30, Điều 116' of luat-htx-2023: "
        "no Điều 116 in knowledge/law/luat-htx-2023.yaml"
    ]


def test_faq_citing_a_missing_clause_or_point_is_reported(knowledge_copy: Path) -> None:
    _cite(knowledge_copy, "luat-htx-2023", "Điều 4 khoản 40")
    assert _problems(knowledge_copy) == [
        "knowledge/faq/thu.yaml: tam-thu: source 'Điều 4 khoản 40' of luat-htx-2023: "
        "Điều 4 has no khoản 40"
    ]
    _cite(knowledge_copy, "luat-htx-2023", "Điều 61 khoản 2 điểm y")
    assert _problems(knowledge_copy) == [
        "knowledge/faq/thu.yaml: tam-thu: source 'Điều 61 khoản 2 điểm y' of luat-htx-2023: "
        "Điều 61 khoản 2 has no điểm y"
    ]


def test_citations_of_uncodified_documents_are_not_checked(knowledge_copy: Path) -> None:
    _cite(knowledge_copy, "luat-htx-2012", "Điều 500")
    assert _problems(knowledge_copy) == []


def test_unknown_document_in_a_law_file(knowledge_copy: Path) -> None:
    _edit_law(knowledge_copy, "tt-31-2018-btc", lambda d: d.update(doc="tt-khong-co"))
    assert "knowledge/law/tt-31-2018-btc.yaml: tt-khong-co: unknown document 'tt-khong-co'" in (
        _problems(knowledge_copy)
    )


def test_duplicate_article_and_empty_text(knowledge_copy: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["articles"].append(dict(data["articles"][0]))
        data["articles"][1] = {**data["articles"][1], "intro": " ", "clauses": []}

    _edit_law(knowledge_copy, "tt-31-2018-btc", edit)
    problems = _problems(knowledge_copy)
    assert "knowledge/law/tt-31-2018-btc.yaml: Điều 2: empty text" in problems
    assert (
        "knowledge/law/tt-31-2018-btc.yaml: Điều 1: duplicate article "
        "(also in knowledge/law/tt-31-2018-btc.yaml)" in problems
    )


def test_document_number_must_match_the_registry(knowledge_copy: Path) -> None:
    _edit_law(knowledge_copy, "tt-31-2018-btc", lambda d: d.update(number="32/2018/TT-BTC"))
    assert _problems(knowledge_copy) == [
        "knowledge/law/tt-31-2018-btc.yaml: tt-31-2018-btc: number 32/2018/TT-BTC is not "
        "31/2018/TT-BTC"
    ]


def test_alias_problems(knowledge_copy: Path) -> None:
    path = knowledge_copy / "law" / "aliases.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["tt-khong-co"] = ["thông tư 999"]
    data["nd-45-2021"].append("nd 92")
    del data["tt-31-2018-btc"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert sorted(_problems(knowledge_copy)) == [
        "knowledge/law/aliases.yaml: nd-45-2021, nd-92-2024: alias 'nd 92' names more than one "
        "document",
        "knowledge/law/aliases.yaml: tt-31-2018-btc: codified document has no alias",
        "knowledge/law/aliases.yaml: tt-khong-co: unknown document 'tt-khong-co'",
    ]


def test_every_document_of_the_codification_is_in_the_registry(kb: KnowledgeBase) -> None:
    for doc_id in kb.law.documents:
        doc = kb.documents[doc_id]
        assert doc.confidence == "verified" and doc.issued and doc.effective, doc_id


# --- the converter -------------------------------------------------------------------------

SAMPLE = """\
## VĂN BẢN
# Hợp tác xã

Chương I

NHỮNG QUY ĐỊNH CHUNG

Điều 12.4.LQ.1. Phạm vi điều chỉnh

(Điều 1 Luật số 17/2023/QH15 Luật Hợp tác xã ngày 20/06/2023 của Quốc hội, có hiệu lực thi \
hành kể từ ngày 01/07/2024 )

Luật này quy định về [Bộ luật Dân sự](https://example.org/x) và\u00a0hơn thế.

1. Khoản một:

a) điểm a;

3. không phải khoản mới

2. Khoản hai.Điều 12.4.NĐ.2.15. Thành lập Quỹ

(Điều 15 Nghị định số 45/2021/NĐ-CP, có hiệu lực thi hành kể từ ngày 15/05/2021, có nội \
dung bị bãi bỏ bởi Điều 13 Nghị định số 104/2022/NĐ-CP có hiệu lực thi hành kể từ ngày \
01/01/2023)

**1.Bàn giao**

(Điều này có nội dung liên quan đến Điều 12.4.LQ.1. Phạm vi điều chỉnh; Điều 9.1.LQ.2. X)

**Mục 2. TỔ CHỨC**

## Danh sách điều khoản

Điều 12.4.LQ.1. Phạm vi điều chỉnh

Điều 12.4.NĐ.2.15. Thành lập Quỹ
"""


def test_converter_reads_the_codification_layout(tmp_path: Path) -> None:
    source = tmp_path / "law.md"
    source.write_text(SAMPLE, encoding="utf-8")
    counts = _builder().build(source, tmp_path / "out", REPO_KNOWLEDGE / "sources.yaml")
    assert counts == {"luat-htx-2023": 1, "nd-45-2021": 1}
    law = yaml.safe_load((tmp_path / "out" / "luat-htx-2023.yaml").read_text(encoding="utf-8"))
    assert law["doc"] == "luat-htx-2023" and law["number"] == "17/2023/QH15"
    first = law["articles"][0]
    assert first["number"] == "1" and first["code"] == "12.4.LQ.1"
    assert first["intro"] == "Luật này quy định về Bộ luật Dân sự và hơn thế."
    assert first["clauses"] == [
        {"number": "1", "text": "Khoản một:\na) điểm a;\n3. không phải khoản mới"},
        {"number": "2", "text": "Khoản hai."},
    ]
    fund = yaml.safe_load((tmp_path / "out" / "nd-45-2021.yaml").read_text(encoding="utf-8"))
    article = fund["articles"][0]
    assert article["clauses"] == [{"number": "1", "text": "Bàn giao"}]
    assert article["note"].startswith("có nội dung bị bãi bỏ bởi Điều 13")
    assert article["related"] == ["Điều 12.4.LQ.1. Phạm vi điều chỉnh", "Điều 9.1.LQ.2. X"]


def test_converter_refuses_a_document_missing_from_the_registry(tmp_path: Path) -> None:
    source = tmp_path / "law.md"
    source.write_text(SAMPLE.replace("45/2021/NĐ-CP", "46/2021/NĐ-CP"), encoding="utf-8")
    with pytest.raises(SystemExit, match="46/2021/NĐ-CP not in"):
        _builder().build(source, tmp_path / "out", REPO_KNOWLEDGE / "sources.yaml")


def test_converter_checks_the_body_against_the_table_of_contents(tmp_path: Path) -> None:
    source = tmp_path / "law.md"
    source.write_text(SAMPLE + "\nĐiều 12.4.LQ.2. Đối tượng áp dụng\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"missing \['12.4.LQ.2'\]"):
        _builder().build(source, tmp_path / "out", REPO_KNOWLEDGE / "sources.yaml")


@pytest.mark.skipif(not CODIFICATION.exists(), reason="the shared codification is not here")
def test_rebuilding_the_law_gives_the_same_files(tmp_path: Path) -> None:
    counts = _builder().build(CODIFICATION, tmp_path, REPO_KNOWLEDGE / "sources.yaml")
    assert counts == PER_DOCUMENT
    for doc_id in PER_DOCUMENT:
        built = (tmp_path / f"{doc_id}.yaml").read_text(encoding="utf-8")
        assert built == (REPO_KNOWLEDGE / "law" / f"{doc_id}.yaml").read_text(encoding="utf-8")


def test_find_a_reference_parsed_from_a_question(kb: KnowledgeBase) -> None:
    ref = parse_reference("cho hỏi khoản 7 điều 4 luật htx", kb.law.aliases)
    assert ref is not None
    found = kb.law.find(ref)
    assert found is not None and found[1] is not None
    assert (found[0].number, found[1].number) == ("4", "7")
    no_doc = parse_reference("điều 4 nói gì", kb.law.aliases)
    old_law = parse_reference("điều 4 luật htx 2012", kb.law.aliases)
    assert no_doc is not None and kb.law.find(no_doc) is None
    assert old_law is not None and old_law.doc == "luat-htx-2012"
    assert kb.law.find(old_law) is None  # cited, not stored: the caller says so


def test_a_law_file_that_is_not_yaml(knowledge_copy: Path) -> None:
    (knowledge_copy / "law" / "tt-31-2018-btc.yaml").write_text("doc: [x\n", encoding="utf-8")
    problems = _problems(knowledge_copy)
    assert len(problems) == 1, problems
    assert problems[0].startswith("knowledge/law/tt-31-2018-btc.yaml: -: cannot read YAML")
