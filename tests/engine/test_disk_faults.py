"""A folder that cannot be written, and a disk that fills up (RELIABILITY.md case 21).

A read-only run folder or ``run.db`` is found before anything is asked, with a named error
(R203, exit 5). Running out of space mid-run is a named error too (R204, exit 5), wherever the
write was (run.db, a checkpoint, a file a hook writes), and nothing committed is lost: the same
command resumes once there is room. Disk-full faults are injected as the ``OSError`` the write
would raise (and as SQLite's own "database or disk is full"); read-only ones use chmod, which
does not bite a root that may override file permissions, so those tests skip there.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from engine_specs import run_spec, write_spec

from alframe.cli.main import main
from alframe.errors import RunError
from alframe.hookspecs import hookimpl
from alframe.record import RunFolder, write_atomic
from alframe.record.store import Answer, RunStore

SMALL = dict(limit=300, extra_query="rounds 2")


def enospc(path: object = None) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), None if path is None else str(path))


def answers(out: Path) -> list[tuple[str, str, int, int]]:
    with sqlite3.connect(out / "run.db") as c:
        return [tuple(r) for r in c.execute("SELECT item, label, value, revision FROM answers ORDER BY id")]  # type: ignore[misc]


def integrity(out: Path) -> str:
    with sqlite3.connect(out / "run.db") as c:
        return str(c.execute("PRAGMA integrity_check").fetchone()[0])


def chmod_bites(tmp_path: Path) -> bool:
    """Whether a read-only folder refuses this process (not so for a root that overrides it)."""
    probe = tmp_path / "chmod-probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "x").write_text("x")
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)
    return False


def skip_unless_chmod_bites(tmp_path: Path) -> None:
    if not chmod_bites(tmp_path):
        pytest.skip("chmod does not bite here (root may override file permissions)")


@contextmanager
def read_only(path: Path, mode: int, restore: int) -> Iterator[None]:
    """``path`` at ``mode`` for the block, then at ``restore`` (so tmp_path can be removed)."""
    path.chmod(mode)
    try:
        yield
    finally:
        path.chmod(restore)


@pytest.fixture
def finished_run(tmp_path: Path) -> tuple[Path, Path]:
    """A spec and the folder of its complete one-round run."""
    spec = write_spec(tmp_path / "spec", limit=300, extra_query="rounds 1")
    out = tmp_path / "run"
    run_spec(spec, out)
    return spec, out


def run_cli(spec: Path, out: Path) -> int:
    return main(["--no-plugins", "run", str(spec), "--out", str(out), "--plain", "--no-report"])


# --- read-only: found before anything is asked ----------------------------------------------


def test_a_read_only_run_folder_is_refused_before_anything_is_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skip_unless_chmod_bites(tmp_path)
    spec = write_spec(tmp_path / "spec", **SMALL)
    out = tmp_path / "run"
    out.mkdir()
    with read_only(out, 0o555, restore=0o755):
        assert run_cli(spec, out) == 5
    err = capsys.readouterr().err
    assert f"error[R203]: the run folder {out} cannot be written" in err
    assert "make it writable" in err and "internal error" not in err
    assert not (out / "run.db").exists()


def test_a_read_only_checkpoints_folder_is_refused_before_anything_is_asked(
    finished_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skip_unless_chmod_bites(tmp_path)
    spec, out = finished_run
    before = answers(out)
    write_spec(tmp_path / "spec", **SMALL)  # one more round
    with read_only(out / "checkpoints", 0o555, restore=0o755):
        assert main(["--no-plugins", "run", str(spec), "--out", str(out), "--plain", "--force"]) == 5
    err = capsys.readouterr().err
    assert f"error[R203]: the run folder {out / 'checkpoints'} cannot be written" in err
    assert answers(out) == before


def test_a_read_only_run_db_is_refused_and_leaves_nothing_read_only_behind(
    finished_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skip_unless_chmod_bites(tmp_path)
    spec, out = finished_run
    before = answers(out)
    db = out / "run.db"
    with read_only(db, 0o444, restore=0o644):
        assert run_cli(spec, out) == 5
    err = capsys.readouterr().err
    assert f"error[R203]: the run database file {db} is read-only" in err
    assert "chmod u+w run.db*" in err and "internal error" not in err
    for side in (out / "run.db-wal", out / "run.db-shm"):
        assert not side.exists() or side.stat().st_mode & stat.S_IWUSR
    write_spec(tmp_path / "spec", **SMALL)
    assert main(["--no-plugins", "run", str(spec), "--out", str(out), "--plain", "--no-report", "--force"]) == 0
    assert answers(out)[: len(before)] == before


def test_a_read_only_run_db_is_found_by_a_write_even_where_permissions_say_yes(
    finished_run: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite opens a database it cannot write and fails only at the first write: opening the
    folder makes one (rolled back), so the refusal comes before anything is asked."""
    _, out = finished_run
    store = RunStore.open(out / "run.db")
    try:
        store.conn.execute("PRAGMA query_only = ON")  # as a read-only file would behave
        with pytest.raises(RunError) as err:
            store.check_writable()
    finally:
        store.close()
    assert err.value.code == "R203" and "cannot be written" in str(err.value)


# --- disk full: a named error, nothing committed lost ---------------------------------------


def test_sqlite_disk_full_is_named_and_keeps_what_was_committed(tmp_path: Path) -> None:
    store = RunStore.open(tmp_path / "run.db")
    first = [Answer(f"item-{i}", "y", 1, 0, 1.0, 1.0, "test") for i in range(10)]
    store.add_answers(first)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the database cannot grow: full
    more = [Answer(f"more-{i}", "y" * 200, 0, 1, 0.5, 2.0, "test") for i in range(500)]
    with pytest.raises(RunError) as err:
        store.add_answers(more)
    assert err.value.code == "R204" and "the disk is full" in str(err.value)
    assert err.value.hint and "run the same command again" in err.value.hint
    assert not store.conn.in_transaction
    assert [a.item for a in store.current_answers()] == [a.item for a in first]  # none of the failed batch
    store.conn.execute("PRAGMA max_page_count = 1073741823")  # room again: the store goes on
    assert store.add_answers(more) == 500
    store.close()


def test_write_atomic_on_a_full_disk_names_the_file_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "metrics.csv"
    target.write_text("old\n")

    def full(fd: int) -> None:
        raise enospc()

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(RunError) as err:
        write_atomic(target, "new\n")
    assert err.value.code == "R204" and str(target) in str(err.value)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.csv"]  # no temporary left


class FullDiskInTraining:
    """A plugin whose train hook meets a full disk in round 1 (as Lightning's CSV logger would)."""

    @hookimpl(tryfirst=True)
    def alframe_train(self, state: Any) -> None:
        if state.round == 1:
            raise enospc(Path(state.run_dir) / "logs" / "csv" / "metrics.csv")
        return None  # the built-in trains


def test_a_full_disk_in_a_hook_is_not_the_plugins_fault(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", **SMALL)
    out = tmp_path / "run"
    with pytest.raises(RunError) as err:
        run_spec(spec, out, extra=[("fills-the-disk", FullDiskInTraining())])
    assert err.value.code == "R204" and "the disk is full" in str(err.value)
    assert "alframe_train" in str(err.value) and "logs/csv/metrics.csv" in str(err.value)
    before = answers(out)
    assert len({(i, lb) for i, lb, _, _ in before}) == len(before) > 0
    summary, _, _ = run_spec(spec, out)  # room again: the same command resumes
    assert summary.rounds == 2 and answers(out)[: len(before)] == before
    assert integrity(out) == "ok"


def test_a_full_disk_at_a_checkpoint_exits_5_and_the_run_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(tmp_path / "spec", **SMALL)
    out = tmp_path / "run"
    real = RunFolder.save_checkpoint
    Full = namedtuple("Full", "save_checkpoint")

    def save(self: RunFolder, bundle: Any, rnd: int) -> str:
        if rnd == 1:
            def torn(path: Path) -> None:
                raise enospc(path)

            return real(self, Full(torn), rnd)
        return real(self, bundle, rnd)

    monkeypatch.setattr(RunFolder, "save_checkpoint", save)
    assert run_cli(spec, out) == 5
    err = capsys.readouterr().err
    assert "error[R204]: the disk is full" in err and "round-0001.ckpt" in err
    assert "nothing committed" in err and "internal error" not in err
    before = answers(out)
    monkeypatch.setattr(RunFolder, "save_checkpoint", real)
    assert run_cli(spec, out) == 0
    after = answers(out)
    assert after[: len(before)] == before and len(set(after)) == len(after)
    assert integrity(out) == "ok"


def test_a_nearly_full_disk_stops_before_a_checkpoint_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    spec = write_spec(tmp_path / "spec", **SMALL)
    out = tmp_path / "run"
    real = shutil.disk_usage
    Usage = namedtuple("Usage", "total used free")
    wrote: list[Path] = []

    def usage(path: Any) -> Any:
        if Path(path).name == "checkpoints" and wrote:  # after round 0's checkpoint
            return Usage(10 << 30, 10 << 30, 1 << 20)
        return real(path)

    original = RunFolder.save_checkpoint

    def save(self: RunFolder, bundle: Any, rnd: int) -> str:
        name = original(self, bundle, rnd)
        wrote.append(self.checkpoint_path(rnd))
        return name

    monkeypatch.setattr("alframe.record.folder.shutil.disk_usage", usage)
    monkeypatch.setattr(RunFolder, "save_checkpoint", save)
    with pytest.raises(RunError) as err:
        run_spec(spec, out)
    assert err.value.code == "R204" and "1 MiB free" in str(err.value) and "round-0001.ckpt" in str(err.value)
    assert not (out / "checkpoints" / "round-0001.ckpt").exists()
    assert not list((out / "checkpoints").glob(".*"))


def test_a_full_disk_anywhere_exits_5_not_as_an_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import alframe.cli.check as check

    def full(args: Any, terminal: Any) -> int:
        raise enospc(tmp_path / "somewhere")

    monkeypatch.setattr(check, "execute", full)
    assert main(["check", str(tmp_path / "x.al")]) == 5
    err = capsys.readouterr().err
    assert "error[R204]: the disk is full" in err and "somewhere" in err and "internal error" not in err
