"""Rank FAQ entries for a question, with a calibrated confidence and suggestions."""

from coopbot.retrieval.calibration import Calibration
from coopbot.retrieval.index import Match, Retriever, SearchResult

__all__ = ["Calibration", "Match", "Retriever", "SearchResult"]
