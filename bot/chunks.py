"""Cut long replies for channels with a message-length limit."""

from __future__ import annotations


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most ``limit`` characters, cut at paragraphs, then lines, then spaces."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or window.rfind(" ")
        if cut <= limit // 4:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest:
        chunks.append(rest)
    return chunks
