"""Find FAQ entries for staff by their title and text (the review queue's attach form)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from coopbot.knowledge.model import FaqEntry, KnowledgeBase
from coopbot.retrieval import Retriever
from coopbot.text.normalize import fold, tokens

SHOWN = 6  # entries offered per search


@lru_cache(maxsize=4096)
def _words(entry: FaqEntry) -> tuple[frozenset[str], frozenset[str]]:
    """The folded words of an entry's title, and of everything it says."""
    title = frozenset(fold(t) for t in tokens(entry.title))
    body = frozenset(fold(t) for t in tokens(" ".join((*entry.questions, entry.answer))))
    return title, title | body | {entry.id}


def find_entries(
    kb: KnowledgeBase, retriever: Retriever, query: str, exclude: Iterable[str | None] = ()
) -> list[FaqEntry]:
    """Entries whose title, questions or answer hold every word of ``query`` (accents and case
    aside; most words in the title first), then what the FAQ search ranks for it;
    ``exclude`` left out."""
    skip = {e for e in exclude if e}
    words = {fold(t) for t in tokens(query)}
    found: list[FaqEntry] = []
    if words:
        hits = [(e, *_words(e)) for e in kb.entries]
        ranked = [(-len(words & title), e.title, e) for e, title, body in hits if words <= body]
        found = [e for *_, e in sorted(ranked, key=lambda r: r[:2])]
    if query.strip():
        found += [m.entry for m in retriever.search(query, limit=SHOWN).matches]
    unique = {e.id: e for e in found if e.id not in skip}
    return list(unique.values())[:SHOWN]
