"""A round's questions, written for a person who answers outside alframe.

When a round of an ``oracle file`` run waits for answers, its open questions are written in
the run folder in three forms, each of which comes back through ``alframe answer`` or the
answers file:

- ``questions-round-NNNN.csv``: ``id,label,value,guess,text``, one row per question, ``value``
  blank for the person to fill in (1 / 0, yes / no), ``guess`` the model's probability (blank
  before the first model), ``text`` what the item stands for;
- ``questions-round-NNNN.jsonl``: the same, one JSON object per line (``value`` null);
- ``questions-round-NNNN.label-studio.json``: Label Studio tasks, the model's guesses as
  ``predictions`` (an annotator starts from them), to import into a project made with
  ``label-studio-config.xml`` (written beside them). With ``unit item`` a task is an item and
  its labels one multiple-choice list; with ``unit cell`` a task is one yes/no question.

:func:`label_studio_config` and :func:`label_studio_tasks` are also what ``alframe export
--format label-studio`` uses.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

#: the names the labelling config gives its controls (an export's results refer to them)
ITEM_CONTROL, CELL_CONTROL, TEXT_OBJECT = "labels", "answer", "text"


def label_studio_config(label_names: list[str], unit: str) -> str:
    """Label Studio's labelling config for the label space: a text and the labels as
    checkboxes (``unit item``), or a text and one yes/no question (``unit cell``)."""
    if unit == "cell":
        return (
            "<View>\n"
            '  <Header value="$question"/>\n'
            f'  <Text name="{TEXT_OBJECT}" value="$text"/>\n'
            f'  <Choices name="{CELL_CONTROL}" toName="{TEXT_OBJECT}" choice="single-radio" required="true">\n'
            '    <Choice value="yes"/>\n'
            '    <Choice value="no"/>\n'
            "  </Choices>\n"
            "</View>\n"
        )
    choices = "".join(f"    <Choice value={quoteattr(name)}/>\n" for name in label_names)
    return (
        "<View>\n"
        '  <Header value="$id"/>\n'
        f'  <Text name="{TEXT_OBJECT}" value="$text"/>\n'
        f'  <Choices name="{ITEM_CONTROL}" toName="{TEXT_OBJECT}" choice="multiple" showInLine="false">\n'
        f"{choices}"
        "  </Choices>\n"
        "</View>\n"
    )


def model_guesses(state: Any, items: list[int]) -> tuple[dict[int, np.ndarray], np.ndarray] | None:
    """The model's probability per label of each item (the committee's mean) and the
    thresholds, or None before the first round's model."""
    if state is None or not getattr(state, "history", None) or not items:
        return None
    from alframe.hookcall import on_behalf_of

    idx = np.asarray(sorted(set(items)), dtype=np.int64)
    with on_behalf_of(state.model_by, "the model", result=False):
        probs = state.bundle.predict_proba(idx).mean(dim=2).cpu().numpy()  # [n, L]
        thresholds = np.asarray(state.bundle.thresholds, dtype=np.float64).reshape(-1)
    return {int(i): probs[k].astype(np.float64) for k, i in enumerate(idx.tolist())}, thresholds


def label_studio_tasks(
    cells: list[tuple[str, str]],
    dataset: Any,
    unit: str,
    guesses: tuple[dict[int, np.ndarray], np.ndarray] | None,
    *,
    version: str,
    extra: dict[str, Any] | None = None,
    answered: dict[tuple[str, str], int] | None = None,
) -> list[dict[str, Any]]:
    """Label Studio tasks for the cells (one per item with ``unit item``, one per cell with
    ``unit cell``); ``data.id`` is the item, ``data.asked`` the labels asked of it. The
    model's guesses (when there is a model) are the tasks' ``predictions``; answers already
    given (``answered``) are ticked in them too."""
    extra = extra or {}
    answered = answered or {}
    tasks: list[dict[str, Any]] = []
    if unit == "cell":
        for item, label in cells:
            i, j = dataset.index_of(item), dataset.label_index(label)
            data = {"id": item, "label": label, "question": f"Does {item} have the label {label}?",
                    "text": dataset.texts[i], **extra}
            task: dict[str, Any] = {"data": data}
            if guesses is not None:
                p, t = float(guesses[0][i][j]), float(guesses[1][j])
                task["predictions"] = [_prediction(CELL_CONTROL, ["yes" if p >= t else "no"], p, version)]
            tasks.append(task)
        return tasks
    by_item: dict[str, list[str]] = {}
    for item, label in cells:
        by_item.setdefault(item, []).append(label)
    names = list(dataset.label_names)
    for item, labels in by_item.items():
        i = dataset.index_of(item)
        task = {"data": {"id": item, "text": dataset.texts[i], "asked": labels, **extra}}
        if guesses is not None:
            probs, cuts = guesses[0][i], guesses[1]
            asked = set(labels)
            ticked = [n for j, n in enumerate(names)
                      if (n in asked and probs[j] >= cuts[j]) or answered.get((item, n)) == 1]
            task["predictions"] = [_prediction(ITEM_CONTROL, ticked, float(np.mean(probs)), version)]
        tasks.append(task)
    return tasks


def _prediction(control: str, choices: list[str], score: float, version: str) -> dict[str, Any]:
    return {
        "model_version": version,
        "score": round(score, 6),
        "result": [{"from_name": control, "to_name": TEXT_OBJECT, "type": "choices", "value": {"choices": choices}}],
    }


def round_files(rnd: int, cells: list[tuple[str, str]], dataset: Any, unit: str, state: Any) -> dict[str, str]:
    """The round's questions in every form (see the module doc), by format: ``csv``,
    ``jsonl``, ``label-studio`` (the tasks) and ``config`` (the labelling config); the run
    folder (:meth:`alframe.record.RunFolder.write_questions`) writes them."""
    guesses = model_guesses(state, [dataset.index_of(item) for item, _ in cells])
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "label", "value", "guess", "text"])
    lines: list[str] = []
    for item, label in cells:
        i, j = dataset.index_of(item), dataset.label_index(label)
        guess = None if guesses is None else round(float(guesses[0][i][j]), 4)
        w.writerow([item, label, "", "" if guess is None else guess, dataset.texts[i]])
        lines.append(json.dumps({"id": item, "label": label, "value": None, "guess": guess, "text": dataset.texts[i]},
                                ensure_ascii=False))
    answered: dict[tuple[str, str], int] = {}
    if state is not None and guesses is not None:
        for item in {item for item, _ in cells}:
            i = dataset.index_of(item)
            for j, v in enumerate(np.asarray(state.answers[i]).tolist()):
                if v >= 0:
                    answered[(item, dataset.label_names[j])] = int(v)
    last = state.history[-1].round if state is not None and getattr(state, "history", None) else None
    tasks = label_studio_tasks(
        cells, dataset, unit, guesses, version=f"alframe round {last}", extra={"round": rnd}, answered=answered
    )
    return {
        "csv": buf.getvalue(),
        "jsonl": "".join(line + "\n" for line in lines),
        "label-studio": json.dumps(tasks, ensure_ascii=False, indent=1),
        "config": label_studio_config(list(dataset.label_names), unit),
    }
