"""``alframe compare A.al B.al …``: run several specs as one paired comparison, then report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

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
  alframe compare specs/random.al specs/iwal.al --repeat 3
  alframe compare a.al b.al c.al --out runs/abc --plain
"""


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "compare",
        help="run several specs as one paired comparison and report",
        description=DESCRIPTION,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help="two or more .al spec files")
    p.add_argument("--repeat", type=int, metavar="N", help="runs per setting (default: the largest repeat of the specs)")
    p.add_argument("--seed", type=int, metavar="N", help="base seed of the repeats (default: the first spec's seed)")
    p.add_argument("--out", metavar="DIR", help="experiment folder (default: runs/compare-<names>)")
    p.add_argument("--ceiling", action="store_true", help="also train the first spec's model on the whole pool")
    p.add_argument("--fresh", action="store_true", help="start over in a new folder (the old one is kept)")
    p.add_argument("--force", action="store_true", help="resume runs although a spec or the data changed (recorded)")
    p.add_argument("--plain", action="store_true", help="plain lines instead of the live view")
    p.add_argument("--no-report", action="store_true", help="run only; make the report later with `alframe report`")


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
