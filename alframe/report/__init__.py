"""Reports over runs: learning curves, label complexity, time, per-label F1.

``build_report(path)`` reads an experiment folder (or one run folder) and writes
``report/index.html`` (self-contained), PNG plots, CSV tables and ``summary.json``;
``print_tables`` shows the main tables in the terminal. See docs/experiments.md.
"""

from __future__ import annotations

from alframe.report.analysis import Analysis, SettingResult, Target, analyse, paired_reference, parse_target
from alframe.report.build import Report, build_report, print_tables
from alframe.report.complexity import Stat, area_under_curve, labels_to_target, mean_sd, paired_ratio
from alframe.report.read import Collection, RunData, load_collection

__all__ = [
    "Analysis",
    "Collection",
    "Report",
    "RunData",
    "SettingResult",
    "Stat",
    "Target",
    "analyse",
    "area_under_curve",
    "build_report",
    "labels_to_target",
    "load_collection",
    "mean_sd",
    "paired_ratio",
    "paired_reference",
    "parse_target",
    "print_tables",
]
