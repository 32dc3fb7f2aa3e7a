"""Soak test of kill -9: SIGKILL real ``alframe run`` processes at random moments, hundreds of
times, and check that every resumed run is the run never killed.

The harness of tests/engine/test_fault_harness.py (tests/engine/fault_harness.py), with kills
from outside at a random moment instead of at a named stage. Each run of the spec is killed
``--per-run`` times (each kill a random delay after the restarted process opened its run
folder), then left to finish; then it is compared with a run never killed:

- every answer in run.db right after a kill is still there at the end, none stored twice;
- ``PRAGMA integrity_check`` is ``ok`` after every kill and at the end;
- ``metrics.csv`` agrees with run.db;
- the queries, answers, training figures (times aside) and metrics of every round, and
  ``metrics.csv`` (seconds aside), are those of the run never killed.

    python benchmarks/soak.py                      # 200 kills of the harness's tiny spec
    python benchmarks/soak.py --kills 20           # a quick look
    python benchmarks/soak.py --spec issue --kills 16 --per-run 4   # 3,000 packages, 6 rounds of 100

Prints one line per run (where each kill fell, as run.db and the checkpoints say) and a
summary: kills, runs, runs that differ from the reference, and each difference. Exit status 1
when any run differs.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "engine"))

import fault_harness as fh  # noqa: E402  (a test helper, beside the tests that use it)

#: the spec of issue 12, item 9: 3,000 packages of the catalogue, six rounds of 100, the
#: default model (solved wide path, warm-started; expected-F1 thresholds)
ISSUE_SPEC = """\
run "soak" seed 7
data "debian-packages.jsonl.gz" {
  id package
  text package, description
  test fraction 0.2 seed 7
  limit 3000
}
labels from "tags" { min_positives 50 }
query {
  seed 100 random
  batch 100
  unit item
  policy uncertainty(measure=margin)
  budget 60000
  rounds 6
}
oracle simulated
evaluate { metrics [micro_f1, macro_f1, macro_ap] }
trainer { loggers [] }
"""


def write_spec(folder: Path, which: str) -> Path:
    if which == "tiny":
        return fh.write_tiny_spec(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fh.REPO / "specs" / "data" / "debian-packages.jsonl.gz", folder / "debian-packages.jsonl.gz")
    path = folder / "soak.al"
    path.write_text(ISSUE_SPEC)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=200, help="SIGKILLs in all (default 200)")
    ap.add_argument("--per-run", type=int, default=3, help="kills of one run before it may finish (default 3)")
    ap.add_argument("--spec", choices=("tiny", "issue"), default="tiny",
                    help="tiny: the harness's 3-round spec (seconds a run); issue: 3,000 packages, 6 rounds")
    ap.add_argument("--seed", type=int, default=0, help="seed of the kill moments")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = ap.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="alframe-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    spec = write_spec(work / "spec", args.spec)
    site = fh.install_kill_plugin(work / "site")
    ref = work / "reference"
    shutil.rmtree(ref, ignore_errors=True)
    t0 = time.perf_counter()
    done = fh.run_killed_at_random(spec, ref, site, delay=1e9)
    if done.returncode != 0:
        print(done.output)
        return 2
    # kills fall from the folder's opening to the end (a fresh process's import of torch comes
    # before, and is not worth killing)
    span = max(done.seconds - done.opened, 1.0)
    print(f"reference: {done.seconds:.1f} s, about {span:.1f} s of it after the run folder is opened", flush=True)

    kills = runs = 0
    mismatched: list[tuple[int, list[str]]] = []
    places: Counter[str] = Counter()
    while kills < args.kills:
        runs += 1
        out = work / f"run-{runs:04d}"
        shutil.rmtree(out, ignore_errors=True)
        acknowledged: list[fh.Snapshot] = []
        fell: list[str] = []
        problems: list[str] = []
        for _ in range(min(args.per_run, args.kills - kills)):
            attempt = fh.run_killed_at_random(spec, out, site, rng.uniform(0.0, span))
            if not attempt.killed:
                # it finished first: the work after the folder opens is shorter than measured
                # (the reference ran on a busier machine, or this is a resume)
                if not fell:
                    span = max(min(span, 0.9 * (attempt.seconds - attempt.opened)), 0.5)
                if attempt.returncode != 0:
                    problems.append(f"exit {attempt.returncode}: {attempt.output[-400:]}")
                break
            kills += 1
            place = fh.where(out)
            places[" ".join(w for w in place.split()[2:] if "/" not in w) if place.startswith("round") else place] += 1
            fell.append(place)
            acknowledged.append(fh.check_after_kill(out))
        final = fh.run_once(spec, out, site)
        if final.returncode:
            problems.append(f"final run: exit {final.returncode}: {final.output[-400:]}")
        problems += fh.differences(out, ref, acknowledged)
        if problems:
            mismatched.append((runs, problems))
        print(f"run {runs}: {len(fell)} kill(s) at [{'; '.join(fell)}] -> "
              f"{'same as the reference' if not problems else 'DIFFERS: ' + problems[0]}", flush=True)
        if not problems and args.keep is None:
            shutil.rmtree(out, ignore_errors=True)

    minutes = (time.perf_counter() - t0) / 60
    print()
    print(f"kills {kills}, runs {runs}, runs that differ from the reference {len(mismatched)}  ({minutes:.1f} min)")
    print("kills fell in a round that was: " + ", ".join(f"{k} {v}" for k, v in places.most_common()))
    for rnd, problems in mismatched:
        print(f"  run {rnd}:")
        for p in problems:
            print(f"    {p}")
    if args.keep is None and not mismatched:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
