"""Rank FAQ entries for a question, with a calibrated confidence and suggestions."""

from coopbot.retrieval.index import Match, Retriever, SearchResult, Thresholds

__all__ = ["Match", "Retriever", "SearchResult", "Thresholds"]
