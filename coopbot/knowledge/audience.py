"""knowledge/audience.yaml: the 34 provinces (from 01/07/2025) and the announcement topics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coopbot.errors import Problem
from coopbot.text.normalize import fold

PROVINCE_COUNT = 34
ID_PATTERN = r"^[a-z0-9-]{2,24}$"


class RawPlace(BaseModel):
    """One province or city as written in the file."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=2, max_length=40)
    kind: Literal["province", "city"] = "province"
    merged_from: list[str] = Field(default_factory=list)


class RawTopic(BaseModel):
    """One topic as written in the file."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=2, max_length=40)


class RawAudience(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")
    provinces: list[RawPlace]
    topics: list[RawTopic] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Choice:
    """A province or a topic: stable id, Vietnamese name, former names (provinces)."""

    id: str
    name: str
    former: tuple[str, ...] = ()


@dataclass(frozen=True)
class Audience:
    """Provinces and topics, in file order, with lookups by id or by (folded) name."""

    provinces: tuple[Choice, ...] = ()
    topics: tuple[Choice, ...] = ()

    def province(self, key: str) -> Choice | None:
        """A province by id, current name or former name (accents optional)."""
        return _find(self.provinces, key)

    def topic(self, key: str) -> Choice | None:
        """A topic by id or name (accents optional)."""
        return _find(self.topics, key)


def _find(items: tuple[Choice, ...], key: str) -> Choice | None:
    """Match an id exactly, else a folded name or former name."""
    wanted = fold(key.strip()).removeprefix("tinh ").removeprefix("tp. ").removeprefix("tp ")
    for item in items:
        if key.strip() == item.id:
            return item
    for item in items:
        names = (item.name, *item.former)
        folded = {fold(n).removeprefix("tp. ") for n in names}
        if wanted in folded:
            return item
    return None


def load_audience(
    path: Path,
    rel: str,
    read: Callable[[Path], Any],
    validate: Callable[[type[RawAudience], Any, str], RawAudience | None],
    problems: list[Problem],
) -> Audience:
    """Read and check the file: 34 provinces, unique ids and names."""
    data = read(path)
    raw = validate(RawAudience, data, rel) if data is not None else None
    if raw is None:
        return Audience()
    if len(raw.provinces) != PROVINCE_COUNT:
        problems.append(
            Problem(rel, "provinces", f"{len(raw.provinces)} provinces, expected {PROVINCE_COUNT}")
        )
    for label, items in (("provinces", raw.provinces), ("topics", raw.topics)):
        ids: set[str] = set()
        names: set[str] = set()
        for item in items:
            for key, seen in ((item.id, ids), (fold(item.name), names)):
                if key in seen:
                    problems.append(Problem(rel, item.id, f"duplicate in {label}: {key}"))
                seen.add(key)
    return Audience(
        tuple(Choice(p.id, p.name, tuple(p.merged_from)) for p in raw.provinces),
        tuple(Choice(t.id, t.name) for t in raw.topics),
    )
