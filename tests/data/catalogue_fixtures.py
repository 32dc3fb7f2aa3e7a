"""Shared test data: a 41-row cut of the shipped Debian catalogue, as JSONL and as wide CSV."""

from __future__ import annotations

import json
from pathlib import Path

from alframe.plan import DataPlan, LabelPlan

FIXTURES = Path(__file__).parent / "fixtures"
JSONL = FIXTURES / "packages.jsonl"
WIDE = FIXTURES / "packages-wide.csv"
WIDE_LABELS = (
    "devel::library",
    "implemented-in::c",
    "interface::commandline",
    "role::devel-lib",
    "role::program",
    "role::shared-lib",
    "scope::utility",
    "use::gameplaying",
)


def data_plan(path: Path | str, **kw: object) -> DataPlan:
    """A plan for the catalogue's fields (override any field with keywords)."""
    p = Path(path)
    fmt = "jsonl" if ".jsonl" in p.name else ("parquet" if ".parquet" in p.name else "csv")
    base: dict[str, object] = {
        "path": str(p),
        "format": fmt,
        "id_field": "package",
        "text_fields": ("description",),
        "numeric_fields": ("installed_size_kb", "n_depends"),
    }
    base.update(kw)
    return DataPlan(**base)  # type: ignore[arg-type]


def tags_plan(**kw: object) -> LabelPlan:
    kw.setdefault("column", "tags")
    return LabelPlan(source="list", **kw)  # type: ignore[arg-type]


def columns_plan(*columns: str, **kw: object) -> LabelPlan:
    return LabelPlan(source="columns", columns=columns or ("*::*",), **kw)  # type: ignore[arg-type]


def records() -> list[dict[str, object]]:
    return [json.loads(line) for line in JSONL.read_text(encoding="utf-8").splitlines() if line.strip()]


def wide_lines() -> list[str]:
    return WIDE.read_text(encoding="utf-8").splitlines()
