"""Load and validate the knowledge folder into immutable objects."""

from coopbot.knowledge.law import Clause, LawArticle, LawLibrary
from coopbot.knowledge.law_text import PageLabels, article_pages
from coopbot.knowledge.loader import check_knowledge, load_knowledge
from coopbot.knowledge.model import Document, FaqEntry, KnowledgeBase, Messages, SourceRef

__all__ = [
    "Clause",
    "Document",
    "FaqEntry",
    "KnowledgeBase",
    "LawArticle",
    "LawLibrary",
    "Messages",
    "PageLabels",
    "SourceRef",
    "article_pages",
    "check_knowledge",
    "load_knowledge",
]
