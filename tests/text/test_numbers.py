"""Vietnamese numbers as people type them; nothing ambiguous is silently misread."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopbot.text.numbers import parse_number


@pytest.mark.parametrize(
    ("text", "value", "percent"),
    [
        ("1,5 tỷ", "1500000000", False),
        ("1.500.000.000", "1500000000", False),
        ("1tỷ2", "1200000000", False),
        ("1 tỷ 250", "1250000000", False),
        ("500tr", "500000000", False),
        ("5tr5", "5500000", False),
        ("2 tỷ rưỡi", "2500000000", False),
        ("1 tỷ 500 triệu đồng", "1500000000", False),
        ("70%", "70", True),
        ("12,5 %", "12.5", True),
        ("năm mươi phần trăm", "50", True),
        ("bảy mươi", "70", False),
        ("mười lăm", "15", False),
        ("hai mươi mốt", "21", False),
        ("một trăm linh năm", "105", False),
        ("7 người", "7", False),
        ("khoảng 7 người", "7", False),
        ("18 tuổi", "18", False),
        ("3 năm", "3", False),
        ("0,5", "0.5", False),
        ("1.500", "1500", False),
        ("1,500,000", "1500000", False),
        ("1.500.000,50", "1500000.50", False),
    ],
)
def test_reads(text: str, value: str, percent: bool) -> None:
    parsed = parse_number(text)
    assert parsed is not None
    assert parsed.value == Decimal(value)
    assert parsed.percent is percent


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "3-4",
        "-5",
        "mười hay mười hai",
        "1.50.0",
        "1,5,5",
        "vài người",
        "tỷ",
        "500 triệu 2 tỷ",
        "lăm",
    ],
)
def test_refuses_what_it_cannot_read_surely(text: str) -> None:
    assert parse_number(text) is None


@given(st.text(max_size=60))
def test_never_raises(text: str) -> None:
    parse_number(text)
