"""Article text cut into phone-sized pages: at clauses first, then lines, sentences, words."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from coopbot.knowledge.law import Clause, LawArticle
from coopbot.knowledge.model import Document, Messages

MIN_LIMIT = 120  # below this even the title line may not fit
_SENTENCE = re.compile(r"(?<=[.;:!?])\s+")
_LABEL = re.compile(r"\d{1,3}\.|[a-zđ]\)")  # "1." opens a clause, "a)" a point


@dataclass(frozen=True, slots=True)
class PageLabels:
    """Fixed strings of page 1 (messages.vi.yaml keys ``law_*`` override them)."""

    repealed: str = "Văn bản này đã hết hiệu lực; nội dung chỉ để tham khảo."
    uncertain: str = "Hiệu lực của văn bản này cần kiểm tra lại trước khi áp dụng."
    expired: str = "Văn bản này đã hết thời hạn áp dụng."
    amended: str = "Văn bản đã được sửa đổi bởi {docs}; bản lưu ở đây có thể chưa gồm phần sửa đổi."
    note: str = "Ghi chú của Pháp điển: {note}."

    @classmethod
    def from_messages(cls, messages: Messages) -> PageLabels:
        """Labels from ``law_repealed``, ``law_uncertain``, … where messages define them."""
        base = cls()
        values = {
            name: messages.strings.get(f"law_{name}", getattr(base, name))
            for name in ("repealed", "uncertain", "expired", "amended", "note")
        }
        return cls(**values)


def article_pages(
    article: LawArticle,
    clause: Clause | None = None,
    limit: int = 900,
    *,
    registry: Mapping[str, Document] | None = None,
    labels: PageLabels | None = None,
) -> list[str]:
    """The article (or one clause of it) as pages of at most ``limit`` characters; page 1
    opens with the title line, the document's status when it is not plainly in force, and
    the codification's note. ``registry`` names the documents that amended this one."""
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT}")
    labels = labels or PageLabels()
    pager = _Pager(limit)
    for line in _header(article, clause, registry or {}, labels):
        pager.add(line, 1)
    pager.fresh = True  # a title alone does not make page 1 worth leaving half empty
    if clause is not None:
        pager.add(clause.render(), 0)
    else:
        for paragraph in article.intro.splitlines():
            pager.add(paragraph, 1)
        for item in article.clauses:
            pager.add(item.render(), 0)
    return pager.pages


def _header(
    article: LawArticle, clause: Clause | None, registry: Mapping[str, Document], labels: PageLabels
) -> list[str]:
    """Title line, status, amendments and codification note."""
    title = article.heading()
    lines = [f"Khoản {clause.number} {title}" if clause else title]
    doc = article.doc
    status = {"repealed": labels.repealed, "uncertain": labels.uncertain}
    if doc.status in status:
        lines.append(status[doc.status])
    elif doc.status == "expired":
        lines.append(labels.expired)
    amending = [registry[d].citation() for d in doc.amended_by if d in registry]
    if amending:
        lines.append(labels.amended.format(docs=", ".join(amending)))
    if article.note:
        lines.append(labels.note.format(note=article.note.rstrip(".")))
    return lines


def _lines(text: str) -> list[str]:
    """Paragraphs of a clause (its points)."""
    return text.splitlines()


def _sentences(text: str) -> list[str]:
    """Sentences of a paragraph; a label ("1.", "a)") stays with the sentence it opens."""
    out: list[str] = []
    for part in _SENTENCE.split(text):
        if out and _LABEL.fullmatch(out[-1]):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


def _words(text: str) -> list[str]:
    """Words of a sentence; a leading label ("1.", "a)") stays with the word after it."""
    words = text.split()
    if len(words) > 1 and _LABEL.fullmatch(words[0]):
        words[:2] = [f"{words[0]} {words[1]}"]
    return words


_SPLITS: tuple[tuple[Callable[[str], list[str]], str], ...] = (
    (_lines, "\n"),
    (_sentences, " "),
    (_words, " "),
)


class _Pager:
    """Greedy page filler: a piece that does not fit goes to the next page whole when it can,
    else it is split one level finer (clause → lines → sentences → words)."""

    def __init__(self, limit: int) -> None:
        self.pages = [""]
        self.limit = limit
        self.fresh = True  # the current page holds no article text yet

    def add(self, text: str, level: int, sep: str = "\n") -> None:
        """Append ``text`` (split at ``level`` or finer when needed)."""
        text = text.strip()
        if not text:
            return
        current = self.pages[-1]
        joined = f"{current}{sep}{text}" if current else text
        if len(joined) <= self.limit:
            self.pages[-1] = joined
            self.fresh = False
        elif not self.fresh and len(text) <= self.limit:
            self.pages.append(text)
        elif level < len(_SPLITS) and len(parts := _SPLITS[level][0](text)) > 1:
            inner = _SPLITS[level][1]
            for i, part in enumerate(parts):
                self.add(part, level + 1, sep if i == 0 else inner)
        elif level < len(_SPLITS):
            self.add(text, level + 1, sep)
        elif len(text) <= self.limit:
            self.pages.append(text)
            self.fresh = False
        else:
            self._cut(text, sep)

    def _cut(self, text: str, sep: str) -> None:
        """Last resort for a single word longer than a page: cut it."""
        room = self.limit - len(self.pages[-1]) - len(sep)
        if room > 0:
            self.pages[-1] = f"{self.pages[-1]}{sep}{text[:room]}"
            text = text[room:]
        while text:
            self.pages.append(text[: self.limit])
            text = text[self.limit :]
        self.fresh = False
