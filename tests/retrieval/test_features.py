"""Domain terms as single features, and the contiguous-run test used by triggers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from coopbot.retrieval.features import Terms, contains_sequence
from coopbot.text.lexicon import Lexicon

LEXICON = Lexicon.from_mapping({"htx": "hợp tác xã"})
TERMS = Terms.build(
    [["hợp tác xã"], ["tổ hợp tác"], ["liên hiệp hợp tác xã"], ["vốn góp", "góp vốn"]], LEXICON
)


def test_the_longest_term_wins_and_its_inner_bigrams_are_not_features() -> None:
    feats = TERMS.features(LEXICON.analyze("thành lập liên hiệp htx"))
    assert "T:lien_hiep_hop_tac_xa" in feats
    assert "T:hop_tac_xa" not in feats
    assert "hop_tac" not in feats and "lien_hiep" not in feats
    assert "thanh_lap" in feats and "lap_lien" in feats


def test_tho_hop_tac_and_hop_tac_xa_share_no_feature_but_their_words() -> None:
    tht = set(TERMS.features(LEXICON.analyze("tổ hợp tác")))
    htx = set(TERMS.features(LEXICON.analyze("hợp tác xã")))
    assert tht & htx == {"hop", "tac"}


def test_variants_of_a_term_give_one_feature() -> None:
    a = TERMS.features(LEXICON.analyze("gop von bao nhieu"))
    b = TERMS.features(LEXICON.analyze("vốn góp bao nhiêu"))
    assert "T:von_gop" in a and "T:von_gop" in b


def test_a_term_cut_by_the_end_of_the_text_is_not_found() -> None:
    assert not any(f.startswith("T:") for f in TERMS.features(["lien", "hiep", "hop", "tac"]))


words = st.lists(st.sampled_from(["a", "b", "c"]), max_size=8)


@given(words, words)
def test_contains_sequence_is_a_contiguous_run(haystack: list[str], needle: list[str]) -> None:
    n = len(needle)
    naive = n > 0 and any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))
    assert contains_sequence(haystack, needle) == naive
