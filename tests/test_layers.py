"""The layers import downwards only: nothing below the command line imports a command, and a
report module never imports its own package (whose ``__init__`` imports the report builder)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "alframe"


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _modules() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


def test_nothing_below_the_command_line_imports_a_command() -> None:
    below = [p for p in _modules() if ROOT / "cli" not in p.parents]
    reaching_up = {str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if m == "alframe.cli" or m.startswith("alframe.cli."))
                   for p in below}
    assert {k: v for k, v in reaching_up.items() if v} == {}
    assert len(below) > 50  # the scan saw the package


def test_report_modules_do_not_import_their_own_package() -> None:
    inside = [p for p in (ROOT / "report").glob("*.py") if p.name != "__init__.py"]
    assert inside and not {p.name for p in inside if "alframe.report" in _imports(p)}
