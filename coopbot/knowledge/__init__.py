"""Load and validate the knowledge folder into immutable objects."""

from coopbot.knowledge.loader import check_knowledge, load_knowledge
from coopbot.knowledge.model import Document, FaqEntry, KnowledgeBase, Messages, SourceRef

__all__ = [
    "Document",
    "FaqEntry",
    "KnowledgeBase",
    "Messages",
    "SourceRef",
    "check_knowledge",
    "load_knowledge",
]
