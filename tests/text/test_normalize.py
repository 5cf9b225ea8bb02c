"""Normalisation: folding, tokens and the lexicon."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from coopbot.text import Lexicon, fold, has_diacritics, normalize, tokens


@given(st.text())
def test_fold_is_idempotent_and_never_raises(text: str) -> None:
    once = fold(text)
    assert fold(once) == once


@given(st.text())
def test_fold_leaves_no_combining_marks_or_d_stroke(text: str) -> None:
    folded = unicodedata.normalize("NFD", fold(text))
    assert not any(unicodedata.combining(c) for c in folded)
    assert "đ" not in folded and "Đ" not in folded


@given(st.text())
def test_normalize_and_tokens_never_raise(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)
    assert all(t for t in tokens(text))


def test_vietnamese_folding() -> None:
    assert fold("Đăng KÝ Hợp Tác Xã") == "dang ky hop tac xa"
    assert fold("ĐỒNG") == "dong"
    # NFD input folds the same as NFC input
    assert fold(unicodedata.normalize("NFD", "thành viên")) == "thanh vien"


def test_has_diacritics() -> None:
    assert has_diacritics("hợp tác xã")
    assert has_diacritics("Đ")
    assert not has_diacritics("hop tac xa")


def test_tokens_keep_numbers_and_drop_punctuation() -> None:
    assert tokens("Vốn 1.500.000 đồng, 30%!") == ["vốn", "1.500.000", "đồng", "30"]


def test_lexicon_longest_match_first() -> None:
    lex = Lexicon.from_mapping(
        {"htx": "hợp tác xã", "lhhtx": "liên hiệp hợp tác xã", "lh htx": "liên hiệp hợp tác xã"},
        stopwords=["ạ"],
    )
    assert lex.analyze("LHHTX ạ") == ["lien", "hiep", "hop", "tac", "xa"]
    assert lex.analyze("lh htx") == ["lien", "hiep", "hop", "tac", "xa"]
    assert lex.analyze("htx") == ["hop", "tac", "xa"]


def test_repository_lexicon_expands_teencode(kb) -> None:  # type: ignore[no-untyped-def]
    words = kb.lexicon.analyze("dk htx ko bn tien j")
    assert words[:5] == ["dang", "ky", "hop", "tac", "xa"]
    assert "bao" in words and "nhieu" in words and "gi" in words


def test_a_correction_ends_where_its_synonym_ends() -> None:
    # "thanh lâp" is a typo of "thành lập", which means "lập": typed, unaccented and correct
    # forms must analyse alike (an unaccented key shadowed by the typo rule once kept "thanh")
    lex = Lexicon.from_mapping({"thanh lâp": "thành lập", "thành lập": "lập", "lập": "lập"})
    assert lex.analyze("thành lập htx") == lex.analyze("thanh lap htx") == ["lap", "htx"]
    assert lex.analyze("thanh lâp htx") == ["lap", "htx"]
