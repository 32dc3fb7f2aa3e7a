"""The text ``alframe export`` writes: answers and predictions as CSV, JSONL or Label Studio tasks.

Answers, one row per stored answer (every revision, or each cell's current one): ``id``,
``label``, ``value`` (so a file of current answers is itself an answers file ``alframe answer``
reads), ``round`` (the round it was given in, or takes effect from), ``source`` (who answered:
the oracle, ``prompt``, ``file answers.csv``), ``time`` (ISO 8601, UTC), ``prob`` and
``weight`` (the question's query probability and importance weight 1/p), ``revision`` and
``current``. As Label Studio tasks, the current answers are annotations: one task per item
(``unit item``: the labels answered yes ticked, ``data.asked`` the labels answered) or per cell
(``unit cell``: yes / no), with the item's text; a project made with the run's
``label-studio-config.xml`` shows them for review, and its export comes back through
``alframe answer`` (a changed answer as a revision).

Predictions, one row per item: ``id``, ``source`` (``pool`` or the data file), ``labels`` (the
labels predicted, joined by ``|``), and one column per label with its probability; in JSONL
``labels`` is a list and ``probabilities`` an object; as Label Studio tasks they are
``predictions`` (pre-annotations).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

FORMATS = ("csv", "jsonl", "label-studio")
ANSWER_COLUMNS = ("id", "label", "value", "round", "source", "time", "prob", "weight", "revision", "current")


def format_of_name(name: str | None) -> str:
    """The format a file name asks for: ``.jsonl`` → jsonl, ``.json`` → label-studio, else csv."""
    if name:
        lower = name.lower()
        if lower.endswith((".jsonl", ".ndjson")):
            return "jsonl"
        if lower.endswith(".json"):
            return "label-studio"
    return "csv"


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


def answer_records(run: Any, *, current_only: bool = False) -> list[dict[str, Any]]:
    out = []
    for r in run.answer_rows(history=not current_only):
        out.append({
            "id": r["item"], "label": r["label"], "value": r["value"], "round": r["round"], "source": r["source"],
            "time": _iso(r["time"]), "prob": r["prob"], "weight": r["weight"], "revision": r["revision"],
            "current": r["current"],
        })
    return out


def write_answers(run: Any, fmt: str, *, current_only: bool = False, plugins: Any = None) -> str:
    records = answer_records(run, current_only=current_only)
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if fmt == "label-studio":
        return json.dumps(_answer_tasks(run, records, plugins), ensure_ascii=False, indent=1)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(ANSWER_COLUMNS)
    for r in records:
        w.writerow([int(r[c]) if c == "current" else r[c] for c in ANSWER_COLUMNS])
    return buf.getvalue()


def _answer_tasks(run: Any, records: list[dict[str, Any]], plugins: Any) -> list[dict[str, Any]]:
    """Each item's (or cell's) current answers as one Label Studio task with an annotation."""
    from alframe.questions import CELL_CONTROL, ITEM_CONTROL, TEXT_OBJECT, label_studio_tasks

    _, _, dataset = run.data(plugins)
    unit = (run.plan.get("query") or {}).get("unit", "item")
    current = [r for r in records if r["current"]]
    values = {(r["id"], r["label"]): r["value"] for r in current}
    cells = [(r["id"], r["label"]) for r in current]
    tasks = label_studio_tasks(cells, dataset, unit, None, version="")
    for task in tasks:
        data = task["data"]
        if unit == "cell":
            control, choices = CELL_CONTROL, ["yes" if values[(data["id"], data["label"])] else "no"]
        else:
            control, choices = ITEM_CONTROL, [n for n in data["asked"] if values[(data["id"], n)] == 1]
        task["annotations"] = [{"result": [
            {"from_name": control, "to_name": TEXT_OBJECT, "type": "choices", "value": {"choices": choices}}
        ]}]
    return tasks


def write_predictions(preds: Any, fmt: str) -> str:
    names = preds.label_names
    if fmt == "jsonl":
        lines = []
        for k, item in enumerate(preds.ids):
            lines.append(json.dumps({
                "id": item, "source": preds.source[k], "labels": preds.predicted(k),
                "probabilities": {n: round(float(p), 6) for n, p in zip(names, preds.probabilities[k].tolist())},
            }, ensure_ascii=False))
        return "".join(line + "\n" for line in lines)
    if fmt == "label-studio":
        from alframe.questions import ITEM_CONTROL, TEXT_OBJECT

        tasks = []
        for k, item in enumerate(preds.ids):
            text = preds.texts[k] if preds.texts is not None else ""
            tasks.append({
                "data": {"id": item, "text": text, "asked": list(names), "source": preds.source[k]},
                "predictions": [{
                    "model_version": f"alframe round {preds.round}",
                    "score": round(float(preds.probabilities[k].mean()) if len(names) else 0.0, 6),
                    "result": [{"from_name": ITEM_CONTROL, "to_name": TEXT_OBJECT, "type": "choices",
                                "value": {"choices": preds.predicted(k)}}],
                }],
            })
        return json.dumps(tasks, ensure_ascii=False, indent=1)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "source", "labels", *names])
    for k, item in enumerate(preds.ids):
        w.writerow([item, preds.source[k], "|".join(preds.predicted(k)),
                    *[round(float(p), 6) for p in preds.probabilities[k].tolist()]])
    return buf.getvalue()
