"""Dependencies point one way: bot → coopbot, and inside coopbot toward the leaves."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEAVES = {"coopbot.messages", "coopbot.errors", "coopbot.text", "coopbot.payloads"}
FORBIDDEN_IN_CORE = ("bot", "telegram", "aiohttp")
# scipy: importing it loads ~20 MB of numpy submodules into a worker (coopbot/retrieval/sparse.py)
FORBIDDEN_AT_RUNTIME = ("scipy", "sklearn")


def _imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_core_never_imports_adapters_or_channel_sdks() -> None:
    offenders = [
        f"{_module(p)} imports {name}"
        for p in (ROOT / "coopbot").rglob("*.py")
        for name in _imports(p)
        if name.split(".")[0] in FORBIDDEN_IN_CORE
    ]
    assert offenders == []


def test_served_code_does_not_import_scientific_stacks() -> None:
    offenders = [
        f"{_module(p)} imports {name}"
        for folder in ("coopbot", "bot")
        for p in (ROOT / folder).rglob("*.py")
        for name in _imports(p)
        if name.split(".")[0] in FORBIDDEN_AT_RUNTIME
    ]
    assert offenders == []


def test_leaves_import_only_leaves() -> None:
    offenders = []
    for p in (ROOT / "coopbot").rglob("*.py"):
        mod = _module(p)
        leaf = next((lf for lf in LEAVES if mod == lf or mod.startswith(lf + ".")), None)
        if leaf is None:
            continue
        for name in _imports(p):
            if name.startswith("coopbot") and not any(
                name == lf or name.startswith(lf + ".") for lf in LEAVES
            ):
                offenders.append(f"{mod} imports {name}")
    assert offenders == []


def test_the_rule_catches_a_reverse_arrow(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("from bot.server import make_app\nimport telegram\n")
    assert {"bot.server", "telegram"} <= _imports(bad)
