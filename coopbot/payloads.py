"""Typed button payloads: one frozen dataclass per kind, packed as ``prefix:field:…`` in at most
64 bytes (Telegram's callback_data limit), unpacked in one place (a leaf, like aiogram's
``CallbackData``).

Written by hand: aiogram's ``CallbackData`` needs aiogram and pydantic models per press; this
is twenty lines over dataclasses. A string that is no known kind unpacks to None, so a button
from an older release is recognised as stale instead of being misread.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, get_type_hints

MAX_BYTES = 64
SEP = ":"
P = TypeVar("P", bound="Payload")


class PayloadError(ValueError):
    """A payload that cannot be packed (too long, or a separator inside a field)."""


@dataclass(frozen=True, slots=True)
class Payload:
    """Base of every kind; subclasses set ``prefix`` and declare str/int fields."""

    prefix: ClassVar[str] = ""

    def pack(self) -> str:
        """``prefix:field:…`` (trailing empty fields dropped); PayloadError past 64 bytes."""
        values = [_text(getattr(self, f.name)) for f in dataclasses.fields(self)]
        while values and values[-1] == "":
            values.pop()
        packed = SEP.join([self.prefix, *values])
        if len(packed.encode()) > MAX_BYTES:
            raise PayloadError(f"payload longer than {MAX_BYTES} bytes: {packed[:20]}…")
        return packed

    @classmethod
    def parse(cls: type[P], rest: list[str]) -> P | None:
        """Fields after the prefix → the payload, or None when they do not fit."""
        fields = dataclasses.fields(cls)
        hints = get_type_hints(cls)
        if len(rest) > len(fields):
            return None
        values: dict[str, Any] = {}
        for i, f in enumerate(fields):
            if i >= len(rest):
                if f.default is dataclasses.MISSING:
                    return None
                continue
            value = _coerce(rest[i], hints[f.name])
            if value is None:
                return None
            values[f.name] = value
        return cls(**values)


def _text(value: object) -> str:
    """One field as text; the separator may not occur inside it."""
    text = str(value)
    if SEP in text:
        raise PayloadError(f"'{SEP}' inside a payload field: {text[:20]}")
    return text


def _coerce(raw: str, kind: object) -> object | None:
    """Text → the field's type (small non-negative ints only), None when it does not fit."""
    if kind is int:
        return int(raw) if raw.isdigit() and len(raw) <= 12 else None
    return raw


@dataclass(frozen=True, slots=True)
class OpenEntry(Payload):
    """Show an FAQ entry (suggestions, related entries)."""

    prefix: ClassVar[str] = "faq"
    entry: str


@dataclass(frozen=True, slots=True)
class Vote(Payload):
    """👍 (``+``) or 👎 (``-``) on the inquiry named ``ref``."""

    prefix: ClassVar[str] = "fb"
    sign: str
    ref: str

    @property
    def value(self) -> int:
        """+1 or -1."""
        return 1 if self.sign == "+" else -1


@dataclass(frozen=True, slots=True)
class Erase(Payload):
    """The answer to "erase my data?": ``yes`` or ``no``."""

    prefix: ClassVar[str] = "erase"
    choice: str


@dataclass(frozen=True, slots=True)
class StartFlow(Payload):
    """Begin a questionnaire."""

    prefix: ClassVar[str] = "flow:start"
    flow: str


@dataclass(frozen=True, slots=True)
class FlowControl(Payload):
    """back / cancel / restart / progress in the questionnaire run ``run`` ("" = current)."""

    prefix: ClassVar[str] = "flow"
    action: str
    run: str = ""


@dataclass(frozen=True, slots=True)
class Answer(Payload):
    """An answer button of question ``step`` (answers given so far) in run ``run``."""

    prefix: ClassVar[str] = "a"
    run: str
    step: int
    value: str


@dataclass(frozen=True, slots=True)
class RunCommand(Payload):
    """A button that stands for a typed command (``/menu``)."""

    prefix: ClassVar[str] = "cmd"
    name: str


@dataclass(frozen=True, slots=True)
class Subscribe(Payload):
    """Subscription dialogue: start, p (province), t (topic toggle), all, done, stop."""

    prefix: ClassVar[str] = "sub"
    action: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Compose(Payload):
    """An officer's press on broadcast draft ``draft``."""

    prefix: ClassVar[str] = "bc"
    draft: int
    action: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Page(Payload):
    """ "Xem tiếp": page ``page`` of a long text named by ``kind`` and ``key``."""

    prefix: ClassVar[str] = "pg"
    kind: str
    key: str
    page: int


KINDS: tuple[type[Payload], ...] = (
    OpenEntry,
    Vote,
    Erase,
    StartFlow,
    FlowControl,
    Answer,
    RunCommand,
    Subscribe,
    Compose,
    Page,
)
_BY_PREFIX = sorted(KINDS, key=lambda k: -len(k.prefix))  # "flow:start" before "flow"


def unpack(data: str) -> Payload | None:
    """The typed payload a button sent back, or None for anything unknown or malformed."""
    if len(data.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return None
    for kind in _BY_PREFIX:
        if data == kind.prefix:
            return kind.parse([])
        if data.startswith(kind.prefix + SEP):
            return kind.parse(data[len(kind.prefix) + 1 :].split(SEP))
    return None
