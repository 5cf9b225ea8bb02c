"""Vietnamese numbers as people type them; nothing ambiguous is silently misread."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopbot.text.numbers import parse_duration, parse_number


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


@pytest.mark.parametrize(
    ("text", "months", "years"),
    [
        ("2 năm", "24", "2"),
        ("2 nam", "24", "2"),
        ("1 năm rưỡi", "18", "1.5"),
        ("1 nam ruoi", "18", "1.5"),
        ("18 th", "18", "1.5"),
        ("18th", "18", "1.5"),
        ("18 tháng", "18", "1.5"),
        ("2 năm 3 tháng", "27", "2.25"),
        ("nửa năm", "6", "0.5"),
        ("nua nam", "6", "0.5"),
        ("hai năm", "24", "2"),
        ("năm năm", "60", "5"),  # five years: the first "năm" is the number
        ("mười lăm năm", "180", "15"),
        ("hai muoi nam", "240", "20"),
        ("1,5 năm", "18", "1.5"),
        ("2 tháng rưỡi", "2.5", None),
        ("90 ngày", "3", None),  # a month is 30 days (BLDS 2015 Điều 146)
        ("365 ngày", None, "1"),  # a year is 365 days
        ("được 3 năm rồi", "36", "3"),
        ("khoảng 2 năm", "24", "2"),
        ("tầm 2 năm", "24", "2"),
        ("tám năm", "96", "8"),
    ],
)
def test_durations_in_months_and_years(text: str, months: str | None, years: str | None) -> None:
    parsed = parse_duration(text)
    assert parsed is not None and parsed.bare is None
    if months is not None:
        assert parsed.months() == Decimal(months)
    if years is not None:
        assert parsed.years() == Decimal(years)


@pytest.mark.parametrize(("text", "bare"), [("3", "3"), ("0", "0"), ("ba", "3"), ("36", "36")])
def test_a_bare_duration_is_left_to_the_caller(text: str, bare: str) -> None:
    parsed = parse_duration(text)
    assert parsed is not None and parsed.parts == () and parsed.bare == Decimal(bare)


@pytest.mark.parametrize(
    "text",
    [
        "gần 1 năm",
        "chưa được 1 năm",
        "2 năm 3",
        "tháng",
        "rưỡi",
        "1 năm rưỡi rưỡi",
        "3 tuổi",
        "nửa",
    ],
)
def test_durations_it_cannot_read_surely(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize(
    ("text", "value", "kinds"),
    [
        ("năm người", "5", {"person"}),
        ("hai chục", "20", set()),
        ("3 năm", "3", {"duration"}),
        ("800tr", "800000000", {"money"}),
        ("800 triệu đồng", "800000000", {"money"}),
        ("25 tuổi", "25", {"age"}),
        ("7 hộ", "7", {"person"}),
        ("10 điểm", "10", {"points"}),
        ("800", "800", set()),
    ],
)
def test_reports_the_kind_of_unit_typed(text: str, value: str, kinds: set[str]) -> None:
    parsed = parse_number(text)
    assert parsed is not None and parsed.value == Decimal(value) and parsed.kinds == kinds


@given(st.text(max_size=60))
def test_durations_never_raise(text: str) -> None:
    parse_duration(text)
