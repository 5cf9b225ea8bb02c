"""Knowledge validation: the real base is clean; each kind of breakage is reported precisely."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coopbot.errors import KnowledgeError
from coopbot.knowledge import check_knowledge, load_knowledge
from coopbot.knowledge.model import KnowledgeBase

GOOD_ENTRY = {
    "id": "tam-thu",
    "title": "Một mục thử",
    "questions": ["Câu hỏi thử một?", "cau hoi thu hai", "hỏi thử ba nhé", "thử lần bốn được ko"],
    "answer": "Đây là câu trả lời thử.",
    "sources": [{"doc": "luat-htx-2023", "article": "Điều 4"}],
}


def _write(root: Path, name: str, entries: list[dict[str, object]]) -> None:
    """Write a small FAQ file into a knowledge copy."""
    data = {"topic": "thu", "title": "Thử", "entries": entries}
    (root / "faq" / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _problems(root: Path) -> list[str]:
    return [str(p) for p in check_knowledge(root)[1]]


def test_repository_knowledge_is_clean(kb: KnowledgeBase) -> None:
    assert len(kb.entries) >= 150
    assert all(len(e.questions) >= 4 for e in kb.entries)
    assert all(e.sources for e in kb.entries)


def test_every_topic_of_the_issue_is_present(kb: KnowledgeBase) -> None:
    topics = {e.topic for e in kb.entries}
    assert {
        "thanh-lap",
        "thanh-vien",
        "von",
        "dang-ky",
        "quan-tri",
        "thu-nhap-quy",
        "chinh-sach",
        "quy-ho-tro",
        "to-hop-tac",
        "giai-the",
        "chuyen-tiep",
        "danh-gia",
        "htx-kieu-moi",
        "ke-hoach-tinh",
    } <= topics


def test_every_seed_plan_is_cited(kb: KnowledgeBase) -> None:
    cited = {ref.doc.id for e in kb.entries for ref in e.sources}
    for plan in (
        "kh-1185-2021-kontum",
        "cv-765-2019-kontum",
        "kh-2024-nghean",
        "kh-124-2021-cantho",
        "kh-125-2021-cantho",
        "kh-2018-tayninh",
    ):
        assert plan in cited, plan


def test_a_good_new_file_loads(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "thu.yaml", [GOOD_ENTRY])
    assert _problems(knowledge_copy) == []


def test_unknown_source(knowledge_copy: Path) -> None:
    bad = {**GOOD_ENTRY, "sources": [{"doc": "luat-khong-co", "article": "Điều 1"}]}
    _write(knowledge_copy, "thu.yaml", [bad])
    assert _problems(knowledge_copy) == [
        "knowledge/faq/thu.yaml: tam-thu: unknown source 'luat-khong-co'"
    ]


def test_a_repeated_key_is_a_problem(knowledge_copy: Path) -> None:
    # YAML keeps the last of two equal keys silently: a stray second "title:" would win
    entry = yaml.safe_dump(
        {"topic": "thu", "title": "Thử", "entries": [GOOD_ENTRY]}, allow_unicode=True
    )
    doubled = entry.replace("  title:", "  title: Sai\n  title:", 1)
    (knowledge_copy / "faq" / "thu.yaml").write_text(doubled, encoding="utf-8")
    assert any("duplicate key 'title'" in p for p in _problems(knowledge_copy))


def test_duplicate_id_across_files(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "thu.yaml", [GOOD_ENTRY])
    other = {**GOOD_ENTRY, "questions": ["một", "hai cau", "ba cau khac", "bon cau khac nua"]}
    _write(knowledge_copy, "thu2.yaml", [other])
    assert any(
        p.startswith("knowledge/faq/thu2.yaml: tam-thu: duplicate id")
        for p in _problems(knowledge_copy)
    )


def test_missing_field_and_too_few_questions(knowledge_copy: Path) -> None:
    bad = {k: v for k, v in GOOD_ENTRY.items() if k != "answer"}
    bad["questions"] = ["chỉ một câu"]
    _write(knowledge_copy, "thu.yaml", [bad])
    problems = _problems(knowledge_copy)
    assert "knowledge/faq/thu.yaml: tam-thu: entries.0.answer: Field required" in problems
    assert any(
        p.startswith("knowledge/faq/thu.yaml: tam-thu: entries.0.questions:") for p in problems
    )


def test_broken_related_link(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "thu.yaml", [{**GOOD_ENTRY, "related": ["khong-ton-tai"]}])
    assert _problems(knowledge_copy) == [
        "knowledge/faq/thu.yaml: tam-thu: related entry 'khong-ton-tai' does not exist"
    ]


@pytest.mark.parametrize("opening", ["Có.", "Được, nếu đủ điều kiện.", "Đúng.", "Không."])
def test_a_bare_yes_no_opening_needs_a_yes_no_title(knowledge_copy: Path, opening: str) -> None:
    _write(knowledge_copy, "thu.yaml", [{**GOOD_ENTRY, "answer": f"{opening} Lý do ở đây."}])
    assert _problems(knowledge_copy) == [
        "knowledge/faq/thu.yaml: tam-thu: answer opens with a bare yes/no but the title is no "
        "yes/no question"
    ]
    asked = {**GOOD_ENTRY, "title": "Mục thử có được không", "answer": f"{opening} Lý do."}
    _write(knowledge_copy, "thu.yaml", [asked])
    assert _problems(knowledge_copy) == []


def test_a_verified_entry_may_not_rest_on_a_secondary_document(knowledge_copy: Path) -> None:
    weak = {**GOOD_ENTRY, "sources": [*GOOD_ENTRY["sources"], {"doc": "nd-113-2024"}]}
    _write(knowledge_copy, "thu.yaml", [weak])
    assert _problems(knowledge_copy) == [
        "knowledge/faq/thu.yaml: tam-thu: verified, but cites secondary nd-113-2024"
    ]
    _write(knowledge_copy, "thu.yaml", [{**weak, "status": "secondary"}])
    assert _problems(knowledge_copy) == []


def test_near_duplicate_question_across_entries(knowledge_copy: Path, kb: KnowledgeBase) -> None:
    taken = kb.entries[0].questions[0]
    _write(
        knowledge_copy,
        "thu.yaml",
        [{**GOOD_ENTRY, "questions": [taken.upper() + " ?", *GOOD_ENTRY["questions"][1:]]}],
    )  # type: ignore[misc]
    problems = _problems(knowledge_copy)
    assert any(
        p.startswith("knowledge/faq/thu.yaml: tam-thu: question") and kb.entries[0].id in p
        for p in problems
    ), problems


def test_yaml_syntax_error(knowledge_copy: Path) -> None:
    (knowledge_copy / "faq" / "thu.yaml").write_text("topic: [unclosed\n", encoding="utf-8")
    problems = _problems(knowledge_copy)
    assert len(problems) == 1 and problems[0].startswith(
        "knowledge/faq/thu.yaml: -: cannot read YAML"
    )


def test_answer_with_typed_source_line_is_refused(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "thu.yaml", [{**GOOD_ENTRY, "answer": "Trả lời.\nNguồn: Điều 1"}])
    assert any("must not contain 'Nguồn:'" in p for p in _problems(knowledge_copy))


def test_missing_message_and_unknown_replacement(knowledge_copy: Path) -> None:
    msgs = knowledge_copy / "messages.vi.yaml"
    data = yaml.safe_load(msgs.read_text(encoding="utf-8"))
    del data["out_of_scope"]
    msgs.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert _problems(knowledge_copy) == [
        "knowledge/messages.vi.yaml: out_of_scope: missing message"
    ]


def test_load_knowledge_raises_with_every_problem(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "thu.yaml", [{**GOOD_ENTRY, "related": ["x-1", "x-2"]}])
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(knowledge_copy)
    assert len(info.value.problems) == 2
