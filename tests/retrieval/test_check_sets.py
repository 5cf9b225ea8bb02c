"""The evaluation-set checker never shows a report row's text to a writer of calibration rows."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

CHECKER = Path(__file__).resolve().parents[2] / "bench" / "eval" / "check_sets.py"


def _checker() -> ModuleType:
    """bench/eval/check_sets.py as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("check_sets", CHECKER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_near_copy_of_a_report_row_names_it_without_its_text() -> None:
    report = "Hợp tác xã của tôi muốn tạm ngừng kinh doanh sáu tháng thì phải báo cho ai"
    calib = "Hợp tác xã của tôi muốn tạm ngừng kinh doanh sáu tháng thì cần báo cho ai"
    sets = {
        "realistic.jsonl": [{"id": "r900", "q": report}],
        "realistic_calib.jsonl": [{"id": "c900", "q": calib}],
    }
    problems = _checker().near_across(sets)
    assert len(problems) == 1
    assert "r900" in problems[0] and "c900" in problems[0]
    assert calib in problems[0]
    assert report not in problems[0]
