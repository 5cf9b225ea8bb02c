"""Pydantic schema of knowledge/questionnaires/*.yaml (assessments and eligibility checks)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coopbot.knowledge.schema import ID_PATTERN

KEY_PATTERN = r"^[a-z0-9_]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RawRef(_Strict):
    """A citation."""

    doc: str
    article: str = ""


class RawOption(_Strict):
    """One choice of a ``choice`` step."""

    value: str = Field(pattern=KEY_PATTERN, max_length=24)
    label: str = Field(max_length=40)


class RawTest(_Strict):
    """``answers[key] op value`` (value may be scaled by another answer: ``times_key``)."""

    key: str
    op: Literal[">=", "<=", ">", "<", "==", "!=", "in", "not_in", "is_true", "is_false"]
    value: float | str | list[str] | None = None
    times_key: str | None = None


# What a number question counts, and the words its prompt must use to say so (folded).
Unit = Literal["person", "count", "age", "percent", "vnd", "month", "year", "points"]
UNIT_WORDS: dict[str, tuple[str, ...]] = {
    "person": ("người", "thành viên", "hộ"),
    "count": ("bao nhiêu", "số"),
    "age": ("tuổi",),
    "percent": ("%", "phần trăm"),
    "vnd": ("đồng", "triệu", "tỷ"),
    "month": ("tháng",),
    "year": ("năm",),
    "points": ("điểm",),
}


class RawStep(_Strict):
    """One question."""

    key: str = Field(pattern=KEY_PATTERN)
    prompt: str
    input: Literal["number", "yesno", "choice"]
    unit: Unit | None = None  # required for numbers: how a typed answer is read and converted
    help: str = ""
    example: str = ""
    min: float | None = None
    max: float | None = None
    integer: bool = False
    options: list[RawOption] = []
    ask_if: RawTest | None = None

    @model_validator(mode="after")
    def _options(self) -> RawStep:
        """Choice steps need options; number steps a unit their prompt names; others neither."""
        if (self.input == "choice") != bool(self.options):
            raise ValueError("options are required for input 'choice' and only for it")
        if (self.input == "number") != (self.unit is not None):
            raise ValueError("a unit is required for input 'number' and only for it")
        said = f"{self.prompt} {self.help}".lower()
        if self.unit is not None and not any(w in said for w in UNIT_WORDS[self.unit]):
            words = " / ".join(UNIT_WORDS[self.unit])
            raise ValueError(f"the prompt must say its unit ({words})")
        return self


class RawCondition(_Strict):
    """A condition of an eligibility check."""

    id: str = Field(pattern=KEY_PATTERN)
    test: RawTest
    label: str
    advice: str = ""
    entries: list[str] = []
    source: RawRef
    priority: bool = False
    skip_if_unanswered: bool = False


NOT_FOUND = "chưa tìm được hướng dẫn chính thức"  # required wording when no official rule is known


class RawRubric(_Strict):
    """What earns the points of a criterion: the official rule, or what is known without it."""

    found: bool  # True only when the official award rule was read in a source
    text: str = Field(min_length=10)
    source: RawRef

    @model_validator(mode="after")
    def _say_not_found(self) -> RawRubric:
        """Without an official rule the text must say so, in these words."""
        if not self.found and NOT_FOUND not in self.text.lower():
            raise ValueError(f"a rubric without an official rule must say '{NOT_FOUND}'")
        return self


class RawFactBand(_Strict):
    """Points for a fact value from ``min`` (inclusive) up to the next band's ``min``."""

    min: float
    points: float = Field(ge=0)


class RawFact(_Strict):
    """A fact the member knows, and the official rule (if any) that turns it into points."""

    key: str = Field(pattern=KEY_PATTERN)
    ask: str
    label: str = Field(default="", max_length=40)  # short name shown next to the value
    unit: Literal["number", "percent", "million_vnd", "yesno", "text"]
    allow_negative: bool = False  # a loss is typed as a negative amount
    rule: str = Field(min_length=10)
    bands: list[RawFactBand] = []  # empty: no official rule to compute points

    @model_validator(mode="after")
    def _ascending(self) -> RawFact:
        """Bands start at strictly increasing values; yes/no and text facts have none."""
        mins = [b.min for b in self.bands]
        if mins != sorted(set(mins)):
            raise ValueError("band minima must be strictly increasing")
        if self.bands and self.unit in ("yesno", "text"):
            raise ValueError(f"a '{self.unit}' fact cannot have numeric bands")
        return self


class RawCriterion(_Strict):
    """A self-scored criterion of a scoring flow."""

    key: str = Field(pattern=r"^[0-9a-z]+$")
    group: str
    title: str
    measures: str
    max: float | None = None  # None: within what is left of the group's maximum
    advice: str
    entries: list[str] = []
    rubric: RawRubric | None = None
    facts: list[RawFact] = []

    @model_validator(mode="after")
    def _facts_follow_rubric(self) -> RawCriterion:
        """Computed points need an official rule, and stay within the criterion's maximum."""
        banded = [f for f in self.facts if f.bands]
        if banded and (self.rubric is None or not self.rubric.found):
            raise ValueError("fact bands need a rubric whose official rule was found")
        top = max((b.points for f in banded for b in f.bands), default=0.0)
        if self.max is not None and top > self.max:
            raise ValueError(f"a band gives {top} points, more than the criterion's {self.max}")
        if len({f.key for f in self.facts}) != len(self.facts):
            raise ValueError("fact keys must be unique within a criterion")
        return self


class RawGroup(_Strict):
    """A group of criteria and its maximum."""

    id: str
    title: str
    max: float
    note: str = ""


class RawBand(_Strict):
    """A grade band: totals from ``min`` up."""

    grade: str = Field(pattern=KEY_PATTERN)
    label: str
    min: float


class RawChecklist(_Strict):
    """Documents to prepare, shown at the end of an eligibility check."""

    title: str
    items: list[str]
    source: RawRef


class RawFlow(_Strict):
    """One questionnaire file."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(max_length=48)
    kind: Literal["eligibility", "scoring"]
    command: str = Field(pattern=r"^[a-z]+$")
    purpose: str = Field(min_length=10, max_length=90)  # what it is for, in the menu and /help
    triggers: list[str] = []
    intro: str
    disclaimer: str
    sources: list[RawRef] = Field(min_length=1)
    steps: list[RawStep] = Field(min_length=1)
    conditions: list[RawCondition] = []
    gate: list[RawCondition] = []
    groups: list[RawGroup] = []
    criteria: list[RawCriterion] = []
    bands: list[RawBand] = []
    checklist: RawChecklist | None = None

    @model_validator(mode="after")
    def _shape(self) -> RawFlow:
        """Eligibility flows have conditions; scoring flows have groups, criteria and bands."""
        if self.kind == "eligibility" and not self.conditions:
            raise ValueError("an eligibility flow needs conditions")
        if self.kind == "scoring" and not (self.groups and self.criteria and self.bands):
            raise ValueError("a scoring flow needs groups, criteria and bands")
        keys = [s.key for s in self.steps]
        if len(set(keys)) != len(keys):
            raise ValueError("step keys must be unique")
        return self
