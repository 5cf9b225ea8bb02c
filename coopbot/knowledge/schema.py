"""Pydantic schemas for the raw YAML files; they turn bad content into precise reasons."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MIN_QUESTIONS = 4
MAX_ANSWER_CHARS = 1200


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RawDocument(_Strict):
    """One entry of sources.yaml."""

    id: str = Field(pattern=ID_PATTERN)
    number: str
    title: str
    kind: str
    issuer: str
    status: Literal["in_force", "repealed", "uncertain", "expired"]
    confidence: Literal["verified", "secondary"]
    issued: date | int | None = None
    effective: date | None = None
    repealed_on: date | None = None
    replaced_by: str | None = None
    replaces: list[str] = []
    amended_by: list[str] = []
    note: str | None = None


class RawSources(_Strict):
    """sources.yaml."""

    documents: list[RawDocument]


class RawSourceRef(_Strict):
    """A citation inside an FAQ entry."""

    doc: str
    article: str = ""


class RawEntry(_Strict):
    """One FAQ entry."""

    id: str = Field(pattern=ID_PATTERN, max_length=48)
    title: str = Field(min_length=3, max_length=48)
    questions: list[str] = Field(min_length=MIN_QUESTIONS)
    answer: str = Field(min_length=10, max_length=MAX_ANSWER_CHARS)
    sources: list[RawSourceRef] = Field(min_length=1)
    status: Literal["verified", "secondary", "uncertain"] = "verified"
    tags: list[str] = []
    related: list[str] = []

    @field_validator("questions")
    @classmethod
    def _non_blank(cls, value: list[str]) -> list[str]:
        """Every phrasing has text."""
        if any(not q.strip() for q in value):
            raise ValueError("a question is blank")
        return value

    @field_validator("answer")
    @classmethod
    def _no_source_line(cls, value: str) -> str:
        """The source line is rendered from ``sources``; it must not be typed in the answer."""
        if "Nguồn:" in value:
            raise ValueError("answer must not contain 'Nguồn:' (it is built from sources)")
        return value


class RawFaqFile(_Strict):
    """One faq/*.yaml file."""

    topic: str = Field(pattern=ID_PATTERN)
    title: str
    entries: list[RawEntry]


class RawAnswers(_Strict):
    """lexicon.yaml ``answers``: short replies read inside a questionnaire."""

    particles: list[str] = []
    polite: list[str] = []
    yes: list[str] = []
    no: list[str] = []
    zero: list[str] = []
    skip: list[str] = []
    menu: list[str] = []


class RawLexicon(_Strict):
    """lexicon.yaml."""

    abbreviations: dict[str, str] = {}
    synonyms: dict[str, str] = {}
    stopwords: list[str] = []
    domain_terms: list[str] = []
    smalltalk: dict[str, list[str]] = {}
    answers: RawAnswers = RawAnswers()
