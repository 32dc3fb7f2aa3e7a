"""The run record: everything alframe keeps on disk about runs and experiments.

This package alone knows the run folder's file names and speaks SQL; the engine, the
experiment runner, the report, ``status``, ``export``, ``answer`` and :func:`alframe.open_run`
go through its API.

- :mod:`.store`: :class:`RunStore`, the SQLite database of one run (schema, answers and their
  revisions, questions, rounds, events, meta), opened read-write or read-only (a read-only
  store refuses every write, ``R104``).
- :mod:`.rounds`: :class:`Round`, the one type of a round: a row of the store, what the engine
  and observers see, what readers read.
- :mod:`.folder`: the run folder's names and paths, :class:`RunFolder` (open to run: lock,
  checks, resume, checkpoints, ``metrics.csv``, questions files), :func:`open_store_readonly`,
  :func:`existing_store` (a change between runs), :func:`run_progress`.
- :mod:`.experiment`: ``experiment.json``, ``ceiling.json`` and the experiment lock.
- :mod:`.atomic`: :func:`write_atomic`, the one way alframe writes a file.
"""

from __future__ import annotations

from alframe.record.atomic import is_temporary, write_atomic
from alframe.record.folder import (
    RunFolder,
    checkpoint_path,
    existing_store,
    find_run_folders,
    is_run_folder,
    open_store_readonly,
    questions_file,
    require_run_folder,
    run_progress,
)
from alframe.record.rounds import Round
from alframe.record.store import FINISHED_EVENT, STOPPED_EVENT, Answer, Recorded, Revision, RunStore, StoredAnswer

__all__ = [
    "FINISHED_EVENT",
    "STOPPED_EVENT",
    "Answer",
    "Recorded",
    "Revision",
    "Round",
    "RunFolder",
    "RunStore",
    "StoredAnswer",
    "checkpoint_path",
    "existing_store",
    "find_run_folders",
    "is_run_folder",
    "is_temporary",
    "open_store_readonly",
    "questions_file",
    "require_run_folder",
    "run_progress",
    "write_atomic",
]
