"""Question understanding: from a message as people write it to the questions it asks.

Pure and data-driven (phrase lists come from knowledge/understanding.yaml). A message becomes
sentences; greetings, self-introductions, thanks and "cho em hỏi" are stripped; the story is
kept as context; question sentences are split into parts when they ask several things
("hồ sơ gồm gì, nộp ở đâu, mất bao lâu"). Each part knows its organisation type and aspects;
the message knows a count read from its story and any premise from the repealed 2012 law.

Written by hand: Vietnamese NLP libraries (underthesea, pyvi) segment words but know nothing of
letters to a law column, and fail on unaccented text, which is a third of what farmers send.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from coopbot.text.grammar import Grammar, Premise, Token, aspects, kinds, token
from coopbot.text.normalize import normalize, tokens

_SENTENCE = re.compile(r"(?<=[.?!;:\n])\s+|\n+")
_CLAUSE = re.compile(r"\s*,\s*")
_CASED = re.compile(r"[0-9]+|[^\W\d_]+")  # words with their case kept (names are capitalised)
MAX_PARTS = 4
MAX_CONTEXT = 40  # words of the story kept as context: the sentences nearest the question


@dataclass(frozen=True)
class Part:
    """One thing the message asks."""

    text: str  # the question as written (wrapping stripped)
    pieces: tuple[str, ...]  # the story, the question it continues and the question, for search
    types: frozenset[str]  # organisation types named in the part (htx, tht, lhhtx)
    aspects: frozenset[str]

    @property
    def context(self) -> str:
        """The part with its story, as one text."""
        return " ".join(self.pieces)


@dataclass(frozen=True)
class Understanding:
    """What a message asks, with what surrounds it."""

    parts: tuple[Part, ...]
    story: str  # background sentences, wrapping removed
    types: frozenset[str]  # organisation types named anywhere in the message
    count: int | None = None  # people (or HTX) counted in the story
    premises: tuple[Premise, ...] = ()

    @property
    def question(self) -> str:
        """Every part's text, for a whole-message search."""
        return " ".join(p.text for p in self.parts)


def _strip(text: str, g: Grammar) -> str:
    """The clause without its leading greeting or "cho em hỏi" and trailing thanks."""
    raw = tokens(text)
    words = [token(t) for t in raw]
    start = 0
    while start < len(words):
        step = g.openings.at(words, start) or g.asks.at(words, start)
        if not step:
            break
        start += step
    end = len(words)
    while end > start and g.closings.ends(words[start:end]):
        end -= max(len(p) for p in g.closings.phrases if g.closings.at(words, end - len(p)))
    if (start, end) == (0, len(words)):
        return text.strip(" ,;:")
    return " ".join(raw[start:end])


def is_question(text: str, g: Grammar) -> bool:
    """A clause that asks: a question mark, a question word, or a question ending."""
    words = g.words(text)
    return bool(words) and (
        text.rstrip().endswith("?") or g.anywhere.find(words) or g.ending.ends(words)
    )


def asks_unmarked(sentence: str, g: Grammar) -> bool:
    """A sentence without "?" in a message that marks its questions with "?": it asks only
    when it opens with "cho em hỏi" or ends with a yes/no particle ("… không."); a question
    word inside it is a statement's ("không nộp thêm gì", "mấy hộ", unaccented "máy")."""
    words = g.words(sentence)
    return bool(words) and (g.asks.at(words, 0) > 0 or g.yes_no.ends(words))


def statement(sentence: str, g: Grammar) -> str:
    """A statement's clauses without wrapping; of a self-introduction only the organisation it
    names (names stay out)."""
    cores = (_strip(clause, g) for clause in _clauses(sentence, g))
    return " ".join(
        c if g.self_intro.at(g.words(c), 0) == 0 else _subject(c, g) for c in cores if c
    ).strip()


def _subject(clause: str, g: Grammar) -> str:
    """What a self-introduction says from the first organisation type it names on ("tôi ở tổ
    hợp tác đan giỏ" → "tổ hợp tác đan giỏ"): often the subject of the whole letter."""
    raw = tokens(clause)
    words = [token(t) for t in raw]
    start = next((i for i in range(len(words)) if _type_at(words, i, g)), len(words))
    return " ".join(raw[start:])


def _type_at(words: Sequence[Token], i: int, g: Grammar) -> int:
    """Length of the organisation-type phrase starting at ``words[i]`` (0: none)."""
    return max((phrases.at(words, i) for phrases in g.types.values()), default=0)


def _background(story: list[str], g: Grammar) -> str:
    """The story's last MAX_CONTEXT words, led by the organisation types named only earlier
    (a letter names its subject first: "Tổ hợp tác đan lát của tôi … Giờ tôi phải làm sao?")."""
    words = " ".join(story).split()
    kept = words[-MAX_CONTEXT:]
    earlier = [token(normalize(w)) for w in words[: max(len(words) - MAX_CONTEXT, 0)]]
    present = kinds([token(normalize(w)) for w in kept], g.types)
    named: list[str] = []
    i = 0
    while i < len(earlier):
        size = _type_at(earlier, i, g)
        phrase = " ".join(w[0] for w in earlier[i : i + size])
        if size and phrase not in named and not kinds(earlier[i : i + size], g.types) <= present:
            named.append(phrase)
        i += size or 1
    return " ".join([*named, *kept])


def _is_intro(text: str, g: Grammar) -> bool:
    """A self-introduction ("tôi là Hùng ở Đắk Lắk"): background, never the question."""
    return g.self_intro.at(g.words(text), 0) > 0 and not is_question(text, g)


def sentences(text: str) -> list[str]:
    """Sentences on punctuation and line breaks."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def _clauses(sentence: str, g: Grammar) -> list[str]:
    """Comma clauses, and clauses joined by "và"/"còn" when both sides ask something."""
    out: list[str] = []
    for clause in _CLAUSE.split(sentence.strip()):
        raw = clause.split()
        words = [token(normalize(w)) for w in raw]
        cut = next(
            (
                i
                for i in range(3, len(words) - 2)
                if g.joins.at(words, i)
                and is_question(" ".join(raw[:i]), g)
                and is_question(" ".join(raw[i:]), g)
            ),
            None,
        )
        out.extend([" ".join(raw[:cut]), " ".join(raw[cut:])] if cut else [clause])
    return [c for c in out if c.strip(" ,.;")]


def split_parts(sentence: str, g: Grammar) -> tuple[list[str], list[str]]:
    """(questions, statements) of one sentence: each full question clause is a part; a short
    tag ("đúng không?") or a statement clause joins the question next to it."""
    parts: list[str] = []
    lead: list[str] = []
    subjects: list[str] = []  # what self-introductions say of the organisation: story only
    for clause in _clauses(sentence, g):
        core = _strip(clause, g)
        if not core:
            continue
        if _is_intro(core, g):
            subjects.append(_subject(core, g))
            continue
        words = g.words(core)
        asks = is_question(clause, g)
        full = asks and len(words) >= 3
        if parts and g.alternatives.at(words, 0):  # "… hay phải …?": the same question
            parts[-1] += ", " + core
        elif full:
            parts.append(" ".join([*lead, core]))
            lead = []
        elif parts:
            parts[-1] += ", " + core
        elif asks:  # a tag before any question ("đúng không") asks about what came before
            lead.append(core)
            parts.append(" ".join(lead))
            lead = []
        else:
            lead.append(core)
    return parts, [s for s in subjects if s] + lead


def understand(text: str, g: Grammar) -> Understanding:
    """Parts, story, types, count and premises of one message."""
    story: list[str] = []
    parts: list[str] = []
    found = sentences(text)
    marked = any(s.endswith("?") for s in found)
    for sentence in found:
        if marked and not sentence.endswith("?") and not asks_unmarked(sentence, g):
            story.append(statement(sentence, g))
            continue
        asked, statements = split_parts(sentence, g)
        if parts and asked and g.alternatives.at(g.words(asked[0]), 0):  # "…? Hay phải …?"
            parts[-1] += " " + asked.pop(0)
        parts.extend(asked)
        if statements:
            story.append(" ".join(statements))
    if not parts:  # no question word anywhere: the whole message, unwrapped, is the question
        parts = [" ".join(story)] if story else [text.strip()]
        story = []
    parts = parts[:MAX_PARTS]
    background = _background(story, g)
    built = []
    for i, part in enumerate(parts):
        words = g.words(part)
        previous = parts[i - 1] if i and len(words) < 8 else ""
        pieces = tuple(x for x in (background, previous, part) if x)
        built.append(Part(part, pieces, kinds(words, g.types), aspects(words, g)))
    all_words = g.words(text)
    return Understanding(
        tuple(built),
        background,
        kinds(all_words, g.types),
        count_people(text, g),
        tuple(p for p in g.premises if _premise(all_words, p)),
    )


def _premise(words: Sequence[Token], p: Premise) -> bool:
    """The premise's number occurs near one of its nouns, and a cue is in the message."""
    for i, w in enumerate(words):
        if w[1] in p.numbers and p.near.find(words[max(0, i - 3) : i + 5]):
            return p.cues.find(words)
    return False


def count_people(text: str, g: Grammar) -> int | None:
    """People or organisations counted in the story: "tôi và 4 người bạn" = 5, "5 hộ" = 5.
    A capitalised number word is a name ("anh Sáu"), not a count."""
    raw = _CASED.findall(unicodedata.normalize("NFC", text))
    words = [token(normalize(t)) for t in raw]
    folded = [w[1] for w in words]
    best: int | None = None
    for i in range(len(words)):
        n, size = _number(folded, i, g)
        if n is None or (not raw[i].isdecimal() and raw[i][:1].isupper() and i > 0):
            continue
        people = g.people.at(words, i + size)
        if not (people or g.organisations.at(words, i + size)):
            continue
        before = folded[max(0, i - 3) : i]
        with_self = bool(people and set(before) & g.together and set(before[:-1]) & g.self_words)
        best = n + 1 if with_self else n
        if with_self:
            return best
    return best


def _number(words: Sequence[str], i: int, g: Grammar) -> tuple[int | None, int]:
    """A number (digits or words, "hai mươi") at ``words[i]``, and how many words it takes."""
    if words[i].isascii() and words[i].isdigit() and len(words[i]) <= 4:
        return int(words[i]), 1
    for size in (2, 1):
        key = " ".join(words[i : i + size])
        if key in g.numbers and len(words[i : i + size]) == size:
            return g.numbers[key], size
    return None, 0
