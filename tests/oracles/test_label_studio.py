"""The Label Studio round trip against a real Label Studio server on 127.0.0.1.

alframe writes a waiting round's questions as Label Studio tasks (the model's guesses as
predictions) and a labelling config; a project is made with that config, the tasks imported,
annotations submitted through Label Studio's HTTP API as an annotator's browser would, the
project exported as JSON, the export brought in with ``alframe answer``, and the run goes on.

The server is the ``label-studio`` package from PyPI in its own virtual environment (its pinned
Django and friends never touch alframe's): ``$ALFRAME_LABEL_STUDIO_VENV``, or
``~/.cache/alframe-tests/label-studio-venv`` (``$XDG_CACHE_HOME`` honoured), made by the fixture
on first use (``python -m venv`` + ``pip install label-studio``: about 3 minutes, once) and
reused after. The test is skipped, saying why, where it cannot be installed (no network, pip
failed, ``ALFRAME_SKIP_LABEL_STUDIO=1``) or the server does not come up; it talks to the server
with urllib (no SDK needed in alframe's environment), on loopback only.
"""

from __future__ import annotations

import csv
import fcntl
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_specs import CATALOGUE, write_spec

import alframe
from alframe.cli.main import main

pytestmark = pytest.mark.slow

INSTALL_SECONDS = 900
START_SECONDS = 480
TOKEN = "alframe-test-token-0123456789"


def _venv() -> Path:
    given = os.environ.get("ALFRAME_LABEL_STUDIO_VENV")
    if given:
        return Path(given)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "alframe-tests" / "label-studio-venv"


def _install(venv: Path) -> Path:
    """The ``label-studio`` command of the test's own virtual environment, made if missing
    (one installer at a time; an install cut short is never reused: only a finished one has
    the marker file)."""
    exe, done = venv / "bin" / "label-studio", venv / ".alframe-complete"
    if done.exists() and exe.exists():
        return exe
    if os.environ.get("ALFRAME_SKIP_LABEL_STUDIO"):
        pytest.skip("ALFRAME_SKIP_LABEL_STUDIO is set: Label Studio is not installed")
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f".{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test session installing: wait for it
        if done.exists() and exe.exists():
            return exe
        shutil.rmtree(venv, ignore_errors=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
            pip = subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "label-studio"],
                capture_output=True, text=True, timeout=INSTALL_SECONDS,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            pytest.skip(f"Label Studio could not be installed in {venv}: {exc}")
        if pip.returncode != 0 or not exe.exists():
            tail = " ".join((pip.stderr or pip.stdout).strip().splitlines()[-3:])
            pytest.skip(f"Label Studio could not be installed (pip install label-studio failed: {tail[-400:]})")
        done.write_text("pip install label-studio finished\n")
    return exe


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LabelStudio:
    """A running server and the few API calls the round trip needs."""

    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, body: Any = None) -> Any:
        req = urllib.request.Request(
            self.url + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=120) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def project(self, title: str, config: str) -> int:
        return int(self.call("POST", "/api/projects", {"title": title, "label_config": config})["id"])

    def tasks(self, project: int) -> list[dict[str, Any]]:
        found = self.call("GET", f"/api/tasks?project={project}&page_size=1000")
        return found["tasks"] if isinstance(found, dict) else found

    def annotate(self, task: int, control: str, choices: list[str]) -> int:
        result = [{"from_name": control, "to_name": "text", "type": "choices", "value": {"choices": choices}}]
        return int(self.call("POST", f"/api/tasks/{task}/annotations", {"result": result})["id"])

    def export(self, project: int, to: Path) -> Path:
        to.write_text(json.dumps(self.call("GET", f"/api/projects/{project}/export?exportType=JSON")))
        return to


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudio]:
    exe = _install(_venv())
    data = tmp_path_factory.mktemp("label-studio-data")
    port = _free_port()
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data), "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true"}
    env.pop("VIRTUAL_ENV", None)
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data), "--username", "alframe@example.com", "--password", "alframe-test-pw",
         "--user-token", TOKEN, "--enable-legacy-api-token"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if proc.poll() is not None:
                tail = (data / "server.log").read_text(errors="replace").strip().splitlines()[-3:]
                pytest.skip(f"Label Studio exited at start ({proc.returncode}): {' '.join(tail)[-400:]}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.skip(f"Label Studio did not answer on {url} within {START_SECONDS} s")
            time.sleep(1)
        yield LabelStudio(url)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the server we started, and its children
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
        log.close()


def _truth() -> dict[str, set[str]]:
    with gzip.open(CATALOGUE, "rt", encoding="utf-8") as f:
        return {row["package"]: set(row["tags"]) for row in map(json.loads, f)}


def _file_run(tmp_path: Path, unit: str) -> tuple[Path, Path]:
    spec = write_spec(tmp_path / "spec", seed_size=4, batch=4, unit=unit, extra_query="rounds 2")
    spec.write_text(spec.read_text().replace("oracle simulated", 'oracle file(path="answers.csv")'))
    return spec, tmp_path / "run"


def _answer_round_0_by_csv(out: Path, tmp_path: Path, truth: dict[str, set[str]]) -> None:
    rows = list(csv.DictReader((out / "questions-round-0000.csv").open(encoding="utf-8")))
    path = tmp_path / "round0.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "label", "value"])
        w.writerows([r["id"], r["label"], int(r["label"] in truth[r["id"]])] for r in rows)
    assert main(["answer", str(out), str(path)]) == 0


def test_unit_item_round_trip(label_studio: LabelStudio, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    truth = _truth()
    spec, out = _file_run(tmp_path, "item")
    assert alframe.run(spec, out=out).summary.stop_reason.startswith("waiting for")
    _answer_round_0_by_csv(out, tmp_path, truth)
    assert alframe.run(spec, out=out).summary.stop_reason.startswith("waiting for")  # round 1 waits

    tasks = json.loads((out / "questions-round-0001.label-studio.json").read_text())
    project = label_studio.project("alframe round 1", (out / "label-studio-config.xml").read_text())
    label_studio.call("POST", f"/api/projects/{project}/import", tasks)
    stored = label_studio.tasks(project)
    assert len(stored) == len(tasks) == 4
    predictions = label_studio.call("GET", f"/api/predictions/?project={project}")  # the pre-annotations
    assert len(predictions) == 4 and {p["model_version"] for p in predictions} == {"alframe round 0"}
    assert sorted(p["result"][0]["value"]["choices"] for p in predictions) == sorted(
        t["predictions"][0]["result"][0]["value"]["choices"] for t in tasks
    )
    for task in stored:
        item = task["data"]["id"]
        label_studio.annotate(task["id"], "labels", sorted(set(task["data"]["asked"]) & truth[item]))
    export = label_studio.export(project, tmp_path / "export.json")

    capsys.readouterr()
    assert main(["answer", str(out), str(export)]) == 0
    asked = sum(len(t["data"]["asked"]) for t in tasks)
    assert capsys.readouterr().out.startswith(f"export.json: {asked} new, 0 unchanged, 0 revised")
    assert main(["answer", str(out), str(export)]) == 0  # the same export again changes nothing
    assert capsys.readouterr().out.startswith(f"export.json: 0 new, {asked} unchanged, 0 revised")

    # an annotator changes their mind in Label Studio: the new export is a revision
    first = stored[0]
    item = first["data"]["id"]
    wrong = sorted(set(first["data"]["asked"]) - truth[item])[:1]
    label_studio.annotate(first["id"], "labels", sorted(set(first["data"]["asked"]) & truth[item]) + wrong)
    export2 = label_studio.export(project, tmp_path / "export2.json")
    assert main(["answer", str(out), str(export2)]) == 0
    assert f"1 revised ({item}/{wrong[0]} 0 → 1" in capsys.readouterr().out

    summary = alframe.run(spec, out=out).summary  # the run goes on with the answers
    assert summary.stop_reason.startswith("round limit") and summary.rounds == 2
    run = alframe.open_run(out, pandas=False)
    sources = set(run.answers["source"].tolist())
    assert {"file round0.csv", "file export.json", "file export2.json"} <= sources


def test_unit_cell_round_trip(label_studio: LabelStudio, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    truth = _truth()
    spec, out = _file_run(tmp_path, "cell")
    assert alframe.run(spec, out=out).summary.stop_reason.startswith("waiting for")
    config = (out / "label-studio-config.xml").read_text()
    assert '<Choice value="yes"/>' in config
    tasks = json.loads((out / "questions-round-0000.label-studio.json").read_text())
    project = label_studio.project("alframe cells", config)
    label_studio.call("POST", f"/api/projects/{project}/import", tasks)
    for task in label_studio.tasks(project):
        data = task["data"]
        label_studio.annotate(task["id"], "answer", ["yes" if data["label"] in truth[data["id"]] else "no"])
    export = label_studio.export(project, tmp_path / "cells.json")
    capsys.readouterr()
    assert main(["answer", str(out), str(export)]) == 0
    assert capsys.readouterr().out.startswith(f"cells.json: {len(tasks)} new, 0 unchanged, 0 revised")
    summary = alframe.run(spec, out=out).summary
    assert summary.rounds == 1 and summary.stop_reason.startswith("waiting for")  # round 1 asks anew
    run = alframe.open_run(out, pandas=False)
    answers = run.answers
    for item, label, value in zip(answers["item"], answers["label"], answers["value"]):
        assert value == int(label in truth[item])
