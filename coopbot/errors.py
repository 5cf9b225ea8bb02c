"""One exception root for coopbot.

Hierarchy::

    CoopbotError
    ├── ConfigError        bad or missing configuration value
    ├── KnowledgeError     knowledge/ content failed to load or validate (carries problems)
    ├── StorageError       the database could not be reached or migrated
    │   └── StorageUnavailable   the database does not answer now (users are told "busy")
    └── InputError         user or CLI input that cannot be read (named key, clear reason)
"""

from __future__ import annotations

from dataclasses import dataclass


class CoopbotError(Exception):
    """Root of every error coopbot raises on purpose."""


class ConfigError(CoopbotError):
    """A configuration value is invalid."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem, printed as ``file: entry: reason``."""

    file: str
    entry: str
    reason: str

    def __str__(self) -> str:
        """Render as ``file: entry: reason``."""
        return f"{self.file}: {self.entry}: {self.reason}"


class KnowledgeError(CoopbotError):
    """The knowledge folder has problems; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StorageError(CoopbotError):
    """The database failed."""


class StorageUnavailable(StorageError):
    """The database does not answer now; the user is asked to try again shortly."""


class InputError(CoopbotError):
    """Input that cannot be read; the message names the key and the reason."""
