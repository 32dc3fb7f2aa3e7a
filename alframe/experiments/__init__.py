"""Experiments: grids of runs (``vary``, ``repeat``), the ceiling, and ``alframe compare``.

- :func:`expand` turns a plan with ``vary``/``repeat`` into :class:`Variant` runs with stable
  names and paired seeds (see :mod:`alframe.experiments.grid`);
- :func:`run_grid` runs them, each an ordinary resumable run in its own folder
  (:mod:`alframe.experiments.runner`), with one progress view over the grid;
- :func:`ceiling` trains the spec's model on the whole labelled pool once;
- :func:`run_experiment` is what ``alframe run`` calls for such a spec: grid, then report.
"""

from __future__ import annotations

from alframe.experiments.ceiling import ceiling, ceiling_key, needs_ceiling
from alframe.experiments.command import compare_experiment, execute_experiment, run_experiment
from alframe.experiments.grid import Variant, expand, expand_plans, settings_of
from alframe.experiments.layout import Experiment
from alframe.experiments.runner import GridResult, Outcome, run_grid
from alframe.seeds import repeat_seed

__all__ = [
    "Experiment",
    "GridResult",
    "Outcome",
    "Variant",
    "ceiling",
    "ceiling_key",
    "compare_experiment",
    "execute_experiment",
    "expand",
    "expand_plans",
    "needs_ceiling",
    "repeat_seed",
    "run_experiment",
    "run_grid",
    "settings_of",
]
