"""Find article references in free text ("khoản 3 Điều 74 Luật HTX", "nd 92 dieu 17").

Pure functions over folded text: accents are optional, numbers keep their value ("09" = "9"),
and document names come from data (``knowledge/law/aliases.yaml``: doc id → phrases).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from coopbot.text.normalize import fold, normalize

_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_DIGITS = re.compile(r"\d")
ARTICLE_WORDS = frozenset({"dieu"})
CLAUSE_WORDS = frozenset({"khoan"})
POINT_WORDS = frozenset({"diem"})
NUMBER_WORDS = frozenset({"so"})  # "Điều số 30"
LIST_WORDS = frozenset({"va"})  # "khoản 2 và 3"
POINT_LETTERS = frozenset("abcdđeghiklmnopqrstuvxy")
MAX_ARTICLE = 999
MAX_CLAUSE = 60  # "khoản 100 triệu" is an amount, not a clause


@dataclass(frozen=True, slots=True)
class _Token:
    """One word or number of the text: folded form, typed form, position."""

    text: str
    raw: str
    start: int
    end: int

    @property
    def is_number(self) -> bool:
        """True for a run of digits."""
        return self.text.isdigit()

    @property
    def key(self) -> str:
        """Form used to compare with aliases: numbers without leading zeros."""
        return str(int(self.text)) if self.is_number else self.text


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """An article reference found in text; ``doc`` is None when no document was named."""

    article: str
    clause: str | None = None
    point: str | None = None
    doc: str | None = None

    @property
    def names_document(self) -> bool:
        """True when the text named the document (else the caller may ask which one)."""
        return self.doc is not None


@dataclass(frozen=True, slots=True)
class Locator:
    """One article of an FAQ ``sources[].article`` locator, with the clauses and points it names."""

    article: str
    clauses: tuple[str, ...] = ()
    points: tuple[str, ...] = ()


@dataclass(frozen=True)
class Aliases:
    """Document names compiled for matching: folded token sequences → doc id."""

    phrases: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    longest: int = 0

    @classmethod
    def from_mapping(cls, aliases: Mapping[str, Sequence[str]]) -> Aliases:
        """Compile ``{doc id: [phrase, …]}``; a phrase listed twice keeps its first document."""
        phrases: dict[tuple[str, ...], str] = {}
        for doc_id, names in aliases.items():
            for name in names:
                key = tuple(t.key for t in _tokens(name))
                if key:
                    phrases.setdefault(key, doc_id)
        return cls(phrases, max((len(k) for k in phrases), default=0))

    @staticmethod
    def conflicts(aliases: Mapping[str, Sequence[str]]) -> list[tuple[str, tuple[str, ...]]]:
        """``(phrase, doc ids)`` for every phrase (as matched) that names several documents."""
        owners: dict[tuple[str, ...], set[str]] = {}
        for doc_id, names in aliases.items():
            for name in names:
                owners.setdefault(tuple(t.key for t in _tokens(name)), set()).add(doc_id)
        return sorted(
            (" ".join(key), tuple(sorted(docs))) for key, docs in owners.items() if len(docs) > 1
        )

    def matches(self, toks: Sequence[_Token]) -> list[tuple[int, int, str]]:
        """Non-overlapping ``(first token, end token, doc id)``, longest phrase first."""
        found = []
        i = 0
        while i < len(toks):
            for size in range(min(self.longest, len(toks) - i), 0, -1):
                doc = self.phrases.get(tuple(t.key for t in toks[i : i + size]))
                if doc is not None:
                    found.append((i, i + size, doc))
                    i += size
                    break
            else:
                i += 1
        return found


def _tokens(text: str) -> list[_Token]:
    """Folded words and digit runs with their typed form ("nđ92" → nd, 92)."""
    typed = normalize(text)
    folded = fold(typed)
    aligned = len(folded) == len(typed)  # Vietnamese letters fold one to one
    return [
        _Token(m[0], typed[m.start() : m.end()] if aligned else m[0], m.start(), m.end())
        for m in _TOKEN.finditer(folded)
    ]


def _number_after(toks: Sequence[_Token], i: int, limit: int) -> tuple[str, int] | None:
    """The number right after keyword ``i`` ("Điều 30", "Điều số 12a"), and the next index."""
    j = i + 1
    if j < len(toks) and toks[j].text in NUMBER_WORDS:
        j += 1
    if j >= len(toks) or not toks[j].is_number or len(toks[j].text) > 3:
        return None
    value = int(toks[j].text)
    if not 0 < value <= limit:
        return None
    number = str(value)
    nxt = j + 1
    suffix = toks[nxt] if nxt < len(toks) else None
    if suffix and suffix.start == toks[j].end and len(suffix.text) == 1 and suffix.text.isalpha():
        return number + suffix.text, nxt + 1  # "Điều 12a"
    return number, nxt


def _point_after(toks: Sequence[_Token], i: int) -> str | None:
    """The letter right after "điểm" ("điểm đ"), as typed."""
    j = i + 1
    if j < len(toks) and len(toks[j].raw) == 1 and toks[j].raw in POINT_LETTERS:
        return toks[j].raw
    return None


def _mentions(
    toks: Sequence[_Token], words: frozenset[str], limit: int
) -> list[tuple[int, int, str]]:
    """``(start, end, number)`` for each keyword followed by a number up to ``limit``."""
    found = []
    for i, tok in enumerate(toks):
        if tok.text in words and (hit := _number_after(toks, i, limit)):
            found.append((i, hit[1], hit[0]))
    return found


def _nearest(
    spans: Sequence[tuple[int, int, str]], anchor: tuple[int, int], lo: int, hi: int
) -> str | None:
    """The value of the span inside ``[lo, hi)`` closest to ``anchor``."""
    inside = [s for s in spans if s[0] >= lo and s[1] <= hi]
    if not inside:
        return None
    return min(inside, key=lambda s: (_gap(s, anchor), s[0]))[2]


def _gap(span: tuple[int, int, str] | tuple[int, int], anchor: tuple[int, int]) -> int:
    """Tokens between two spans (0 when adjacent or overlapping)."""
    return max(span[0] - anchor[1], anchor[0] - span[1], 0)


def parse_reference(text: str, aliases: Aliases | Mapping[str, Sequence[str]]) -> ArticleRef | None:
    """The first article reference in ``text`` with its clause, point and document, or None."""
    if not _DIGITS.search(text):  # an article is always named by its number
        return None
    table = aliases if isinstance(aliases, Aliases) else Aliases.from_mapping(aliases)
    toks = _tokens(text)
    articles = _mentions(toks, ARTICLE_WORDS, MAX_ARTICLE)
    if not articles:
        return None
    start, end, article = articles[0]
    lo = 0
    hi = articles[1][0] if len(articles) > 1 else len(toks)
    clauses = _mentions(toks, CLAUSE_WORDS, MAX_CLAUSE)
    clause = _nearest(clauses, (start, end), lo, hi)
    points = [
        (i, i + 2, p)
        for i, t in enumerate(toks)
        if t.text in POINT_WORDS and (p := _point_after(toks, i))
    ]
    point = _nearest(points, (start, end), lo, hi) if clause else None
    docs = [m for m in table.matches(toks) if m[1] <= start or m[0] >= end]
    doc = min(docs, key=lambda m: (_gap(m[:2], (start, end)), -m[0]))[2] if docs else None
    return ArticleRef(article, clause, point, doc)


def parse_locator(text: str) -> tuple[Locator, ...]:
    """Articles named by an FAQ locator: "Điều 84, 86", "Điều 74 khoản 1, 2", "Điều 61 khoản
    2 điểm d", "Điều 91, Điều 62 khoản 5"; words such as "Phụ lục 2" end the current list."""
    found: list[Locator] = []
    mode = ""
    for tok in _tokens(text):
        if tok.text in ARTICLE_WORDS | CLAUSE_WORDS | POINT_WORDS:
            mode = tok.text
        elif tok.text in NUMBER_WORDS | LIST_WORDS:
            continue
        elif mode == "dieu" and tok.is_number:
            found.append(Locator(str(int(tok.text))))
        elif mode == "khoan" and tok.is_number and found:
            last = found[-1]
            found[-1] = Locator(last.article, (*last.clauses, str(int(tok.text))), last.points)
        elif mode == "diem" and found and len(tok.raw) == 1 and tok.raw in POINT_LETTERS:
            last = found[-1]
            found[-1] = Locator(last.article, last.clauses, (*last.points, tok.raw))
        else:
            mode = ""
    return tuple(found)
