"""alframe: active learning for multi-label data, from a declarative spec.

The Python API (docs/python.md)::

    import alframe

    run = alframe.run("specs/quickstart.al", out="runs/qs")   # run or resume; returns the Run
    run.summary.stop_reason                                    # why it stopped (or what it waits for)
    run.answers, run.rounds, run.metrics                       # DataFrames with pandas, else dicts of numpy arrays
    preds = run.predictions()                                  # the last model on every pool item
    run.export_model("model.pt")                               # torch.load(weights_only=True)-able
    model = alframe.load_model("model.pt")
    model.predict(["a text to tag"]).labels

Everything is imported on first use, so ``import alframe`` stays cheap.
"""

from __future__ import annotations

import importlib.metadata as _md
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alframe.results import Model, Run

try:
    __version__: str = _md.version("alframe")
except _md.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__", "load_model", "open_run", "run"]


def run(
    spec_path: str | Path,
    out: str | Path | None = None,
    *,
    fresh: bool = False,
    force: bool = False,
    plugins: Any = None,
    data_root: str | Path | None = None,
) -> Run:
    """Run (or resume) the experiment a spec describes, as ``alframe run`` does without its
    display, and return the run folder opened (:class:`alframe.results.Run`), with
    ``.summary`` how this call ended (``stop_reason``, ``interrupted``, ``history``).

    :param out: the run folder (default ``runs/<run name>``, relative to the current directory)
    :param plugins: an :class:`alframe.plugins.Plugins` (default: every installed plugin)
    :raises alframe.errors.AlframeError: a bad spec (``SpecErrors``), bad data, a run folder
        that refuses (in use, changed spec), a failing plugin — the errors the command prints
    """
    from alframe.compile import compile_file
    from alframe.engine import Engine
    from alframe.errors import UsageError
    from alframe.plugins import load
    from alframe.record import RunFolder
    from alframe.results import open_run

    plugins = plugins if plugins is not None else load()
    plan = compile_file(spec_path, plugins.registry, root=data_root)
    if plan.vary or plan.repeat > 1 or plan.ceiling:
        raise UsageError(
            f"{spec_path} describes an experiment grid (vary, repeat or ceiling); alframe.run runs one run",
            code="X303",
            hint=f"run the grid with the command: alframe run {spec_path}",
        )
    with RunFolder.open(plan, plugins, out, fresh=fresh, force=force) as rd:
        summary = Engine(rd.plan, plugins, rd).run()
    result = open_run(summary.run_dir)
    result.summary = summary
    return result


def open_run(path: str | Path, *, pandas: bool | None = None) -> Run:
    """Open a run folder for reading: answers, rounds, metrics, predictions, the model
    (:class:`alframe.results.Run`). Tables are pandas DataFrames when pandas is installed
    (``pandas=False``: always dicts of numpy arrays)."""
    from alframe.results import open_run as _open

    return _open(path, pandas=pandas)


def load_model(path: str | Path) -> Model:
    """A model file written by ``alframe export --model`` as a predictor
    (:class:`alframe.results.Model`)."""
    from alframe.results import load_model as _load

    return _load(path)
