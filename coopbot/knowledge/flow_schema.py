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


class RawStep(_Strict):
    """One question."""

    key: str = Field(pattern=KEY_PATTERN)
    prompt: str
    input: Literal["number", "yesno", "choice"]
    help: str = ""
    example: str = ""
    min: float | None = None
    max: float | None = None
    integer: bool = False
    options: list[RawOption] = []
    ask_if: RawTest | None = None

    @model_validator(mode="after")
    def _options(self) -> RawStep:
        """Choice steps need options; others must not have them."""
        if (self.input == "choice") != bool(self.options):
            raise ValueError("options are required for input 'choice' and only for it")
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


class RawCriterion(_Strict):
    """A self-scored criterion of a scoring flow."""

    key: str = Field(pattern=r"^[0-9a-z]+$")
    group: str
    title: str
    measures: str
    max: float | None = None  # None: within what is left of the group's maximum
    advice: str
    entries: list[str] = []


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
