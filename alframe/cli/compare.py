"""``alframe compare A.al B.al …``: run several specs as one paired comparison, then report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import click

from alframe.cli import base

DESCRIPTION = """\
Run several specs as one comparison: each spec is one setting (named by its run name), each
setting runs --repeat times, and repeat r uses the same seed in every setting (derived from
--seed, default the first spec's seed), so settings are compared on the same seeds and, where
their data sections agree, the same test split and seed set.

Every run is an ordinary run in its own folder (<out>/<run name>/repeat-<r>/) and resumes on
its own: the same command again skips finished runs and resumes a half-done one. At the end the
report is written to <out>/report/ (index.html, PNGs, CSV, summary.json) and its main tables
are printed."""

EXAMPLE = """\
examples:
  alframe compare specs/quickstart.al specs/cardinality.al --repeat 3
  alframe compare specs/quickstart.al specs/cardinality.al specs/committee-iwal.al --out runs/three --plain
"""


@click.command("compare", cls=base.Command, short_help="run several specs as one paired comparison and report",
               help=DESCRIPTION, epilog=EXAMPLE)
@base.argument("specs", nargs=-1, required=True, metavar="SPEC...", help="two or more .al spec files")
@click.option("--repeat", type=int, metavar="N", help="runs per setting (default: the largest repeat of the specs)")
@click.option("--seed", type=int, metavar="N", help="base seed of the repeats (default: the first spec's seed)")
@click.option("--out", metavar="DIR", help="experiment folder (default: runs/compare-<names>)")
@click.option("--ceiling", is_flag=True, help="also train the first spec's model on the whole pool")
@click.option("--fresh", is_flag=True, help="start over in a new folder (the old one is kept)")
@click.option("--force", is_flag=True, help="resume runs although a spec or the data changed (recorded)")
@click.option("--plain", is_flag=True, help="plain lines instead of the live view")
@click.option("--no-report", is_flag=True, help="run only; make the report later with `alframe report`")
@base.global_options
@click.pass_context
def command(ctx: click.Context, **params: Any) -> int:
    return base.invoke(ctx, execute, params)


def execute(args: argparse.Namespace, terminal: Any) -> int:
    from alframe.cli.common import compile_spec, load_plugins
    from alframe.errors import RunError
    from alframe.experiments.command import compare_experiment, execute_experiment
    from alframe.experiments.grid import safe_name
    from alframe.experiments.layout import experiment_folder

    if len(args.specs) < 2:
        raise RunError("compare needs at least two specs", code="X501", hint="for one spec use `alframe run`")
    if args.repeat is not None and args.repeat < 1:
        raise RunError(f"--repeat must be at least 1, got {args.repeat}", code="X502")
    plugins = load_plugins(args)
    plans = [compile_spec(path, plugins, args) for path in args.specs]
    repeat = args.repeat if args.repeat is not None else max(p.repeat for p in plans)
    seed = args.seed if args.seed is not None else plans[0].seed
    default = Path("runs") / safe_name("compare-" + "-".join(p.name for p in plans))
    base = Path(args.out) if args.out else default
    folder = experiment_folder(base, fresh=args.fresh)
    for p in plans[1:]:
        if (p.data.path, p.data.test_fraction, p.data.test_seed, p.labels) != (
            plans[0].data.path, plans[0].data.test_fraction, plans[0].data.test_seed, plans[0].labels
        ):
            terminal.warn(f"{p.spec_path} reads other data, labels or test split than {plans[0].spec_path}: "
                          "its figures are not paired with the others'")
    exp = compare_experiment(plans, plugins, repeat=repeat, seed=seed, folder=folder, ceiling=args.ceiling)
    resume = "alframe compare " + " ".join(args.specs) + f" --repeat {repeat} --seed {seed} --out {folder}"
    return execute_experiment(exp, plugins, args, terminal, resume)
