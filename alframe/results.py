"""What a run holds, read from its folder: answers, rounds, metrics, and the model's predictions.

``alframe export`` and the Python API (:func:`alframe.open_run`) both read a run through
:class:`Run`. The answers, rounds and metrics come from the run store alone, opened read-only
through :mod:`alframe.record` (no lock: a run may go on while they are read; SQLite's WAL gives
a consistent snapshot). Predictions need the model:
the run's spec (the copy in ``run.db``) is compiled again, its data loaded, the model built
and the last complete round's checkpoint loaded (``torch.load(weights_only=True)``). A
checkpoint is a cache; when the last round's is gone, ``alframe run`` on the same spec
retrains it from the stored labels (a finished run stays finished) and the export can be made.

The model is also exported on its own (:meth:`Run.export_model`), as a file read with
``torch.load(path, weights_only=True)``: a plain dict of tensors, strings and numbers holding
the weights, the thresholds, the label names, the spec and plan, and the pool's raw inputs
(ids, texts, numeric fields) that the features of new items are computed against (TF-IDF
document frequencies and numeric scaling come from the pool). :func:`load_model` turns it
back into a predictor without the run folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from alframe.errors import DataError, RunError
from alframe.record import checkpoint_path, open_store_readonly, require_run_folder

MODEL_FORMAT = "alframe.exported-model"
MODEL_VERSION = 1


def _pandas(wanted: bool | None) -> Any:
    """The pandas module when tables should be DataFrames (``wanted`` None: when installed)."""
    if wanted is False:
        return None
    try:
        import pandas
    except ImportError:
        if wanted:
            raise
        return None
    return pandas


def make_table(columns: dict[str, Any], pandas: Any = None) -> Any:
    """A table: a pandas DataFrame, or a dict of equally long numpy arrays (one per column)."""
    arrays = {name: np.asarray(values) for name, values in columns.items()}
    return pandas.DataFrame(arrays) if pandas is not None else arrays


@dataclass
class Predictions:
    """The model's predictions for items: ``probabilities`` float32 [n, L] (the committee's
    mean), ``labels`` int8 [n, L] (1 where the probability reaches the label's threshold),
    ``thresholds`` float32 [L], and the round whose model made them."""

    ids: list[str]
    label_names: list[str]
    probabilities: np.ndarray
    labels: np.ndarray
    thresholds: np.ndarray
    round: int
    source: list[str]  # per item: "pool" or the data file it came from
    texts: list[str] | None = None  # per item, when known (Label Studio tasks show them)

    def table(self, pandas: bool | None = None) -> Any:
        """One row per item: id, source, the predicted labels joined by ``|``, and a
        probability column per label."""
        cols: dict[str, Any] = {
            "id": np.asarray(self.ids, dtype=object),
            "source": np.asarray(self.source, dtype=object),
            "labels": np.asarray(["|".join(self.predicted(k)) for k in range(len(self.ids))], dtype=object),
        }
        for j, name in enumerate(self.label_names):
            cols[name] = self.probabilities[:, j]
        return make_table(cols, _pandas(pandas))

    def predicted(self, k: int) -> list[str]:
        return [self.label_names[j] for j in np.flatnonzero(self.labels[k]).tolist()]


class Run:
    """A run folder, read. Tables are DataFrames when pandas is installed (or ``pandas=True``),
    dicts of numpy arrays otherwise (``pandas=False``)."""

    def __init__(self, path: str | Path, *, pandas: bool | None = None) -> None:
        self.path = require_run_folder(path)
        # read only: a reader never changes a run, and may read one a run is writing
        self._store = open_store_readonly(self.path, code="R101")
        self._pd = _pandas(pandas)
        meta = self._store.all_meta()
        self.meta: dict[str, str] = meta
        self.plan: dict[str, Any] = json.loads(meta.get("plan") or "{}")
        self.name: str = str(self.plan.get("name") or self.path.name)
        self._model: tuple[Any, Any, Any, Any, int] | None = None
        self._data: tuple[Any, Any, Any] | None = None
        #: how :func:`alframe.run` ended (an ``alframe.engine.Summary``); None when only opened
        self.summary: Any = None

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<alframe run {self.name!r} at {self.path}>"

    # -- from the run store -------------------------------------------------------------------

    @property
    def label_names(self) -> list[str]:
        """The run's labels (as far as the run store knows them without the data)."""
        text = self.meta.get("label_names")
        if text:
            return list(json.loads(text))
        names = (self.plan.get("labels") or {}).get("names")
        if names:
            return list(names)
        return self._store.labels_seen()

    def answer_rows(self, history: bool = True) -> list[dict[str, Any]]:
        """Every stored answer (every revision with ``history``; else each cell's latest),
        oldest first: item, label, value, round, prob, weight, source, time, revision,
        current."""
        rows = self._store.answer_history()
        latest: dict[tuple[str, str], int] = {}
        for k, r in enumerate(rows):
            latest[(r.item, r.label)] = k
        current = set(latest.values())
        out = []
        for k, r in enumerate(rows):
            if not history and k not in current:
                continue
            out.append({
                "item": r.item, "label": r.label, "value": r.value, "round": r.round, "prob": r.prob,
                "weight": r.weight, "source": r.source, "time": r.time, "revision": r.revision,
                "current": k in current,
            })
        return out

    @property
    def answers(self) -> Any:
        """Every stored answer, one row per revision (see :meth:`answer_rows`)."""
        rows = self.answer_rows()
        keys = ("item", "label", "value", "round", "prob", "weight", "source", "time", "revision", "current")
        types = {"item": object, "label": object, "source": object, "value": np.int8, "round": np.int64,
                 "prob": np.float64, "weight": np.float64, "time": np.float64, "revision": np.int64, "current": bool}
        return make_table({k: np.asarray([r[k] for r in rows], dtype=types[k]) for k in keys}, self._pd)

    def label_matrix(self) -> tuple[list[str], list[str], np.ndarray]:
        """``(item ids, label names, int8 [n, L])``: each answered item's current answers
        (1, 0; -1 where not answered)."""
        rows = self.answer_rows(history=False)
        items = sorted({r["item"] for r in rows})
        names = self.label_names
        extra = sorted({r["label"] for r in rows} - set(names))
        names = names + extra
        at, col = {i: k for k, i in enumerate(items)}, {n: j for j, n in enumerate(names)}
        out = np.full((len(items), len(names)), -1, dtype=np.int8)
        for r in rows:
            out[at[r["item"]], col[r["label"]]] = r["value"]
        return items, names, out

    @property
    def rounds(self) -> Any:
        """One row per round: round, status, labels, items, asked, cost (under the run's
        ``cost { … }``: item × items + cell × labels), seconds (all stages)."""
        from alframe.plan import CostPlan

        model = CostPlan.from_plan_dict(self.plan)
        rows = self._store.rounds()
        return make_table({
            "round": np.asarray([r.round for r in rows], dtype=np.int64),
            "status": np.asarray([r.status for r in rows], dtype=object),
            "labels": np.asarray([r.labels for r in rows], dtype=np.int64),
            "items": np.asarray([r.items for r in rows], dtype=np.int64),
            "asked": np.asarray([r.asked for r in rows], dtype=np.int64),
            "cost": np.asarray([model.of(r.labels or 0, r.items or 0) for r in rows], dtype=np.float64),
            "seconds": np.asarray([sum(r.timings.values()) for r in rows], dtype=np.float64),
        }, self._pd)

    @property
    def metrics(self) -> Any:
        """One row per complete round: round, labels, and each scalar metric (NaN where a
        round did not evaluate it)."""
        rows = self._store.complete_rounds()
        parsed = [r.metrics for r in rows]
        names: list[str] = []
        for m in parsed:
            for k, v in m.items():
                if (isinstance(v, (int, float)) and not isinstance(v, bool)) and k not in names:
                    names.append(k)
        cols: dict[str, Any] = {
            "round": np.asarray([r.round for r in rows], dtype=np.int64),
            "labels": np.asarray([r.labels for r in rows], dtype=np.int64),
        }
        for k in names:
            cols[k] = np.asarray([float(m[k]) if isinstance(m.get(k), (int, float)) else np.nan for m in parsed])
        return make_table(cols, self._pd)

    def last_complete_round(self) -> int | None:
        return self._store.last_complete_round()

    # -- the model -------------------------------------------------------------------------------

    def _load_model(self, plugins: Any = None) -> tuple[Any, Any, Any, Any, int]:
        """``(plan, plugins, dataset, bundle, round)`` with the last complete round's model."""
        if self._model is not None:
            return self._model
        last = self.last_complete_round()
        if last is None:
            raise RunError(
                f"{self.path}: no round is complete yet, so there is no model to predict with",
                code="R320", hint="answer the first round's questions and run the spec again",
            )
        plan, plugins, dataset = self.data(plugins)
        bundle = self._bundle(plugins, plan, dataset)
        self._load_checkpoint(bundle, last)
        self._model = (plan, plugins, dataset, bundle, last)
        return self._model

    def data(self, plugins: Any = None) -> tuple[Any, Any, Any]:
        """``(plan, plugins, dataset)``: the run's spec (its copy in the store) compiled again and
        its data loaded, checked to be the data the run used."""
        if self._data is not None:
            return self._data
        from alframe.compile import compile_text
        from alframe.plugins import load
        from alframe.stages import Stages

        plugins = plugins if plugins is not None else load()
        spec_text, spec_path = self.meta.get("spec_text"), self.meta.get("spec_path")
        if not spec_text or not spec_path:
            raise RunError(f"{self.path}: run.db holds no spec to rebuild the data and model from", code="R321")
        plan = compile_text(spec_text, spec_path, plugins.registry, root=Path(spec_path).anchor or "/")
        dataset = Stages(plugins).load_data(plan)
        stored = self.meta.get("data_fingerprint")
        if stored is not None and stored != dataset.fingerprint:
            raise RunError(
                f"the data changed since the run ({plan.data.path}): its model's predictions would not be the run's",
                code="R208", hint="put back the data the run used",
            )
        self._data = (plan, plugins, dataset)
        return self._data

    def _bundle(self, plugins: Any, plan: Any, dataset: Any) -> Any:
        from alframe.stages import Stages

        return Stages(plugins).build_model(plan, dataset)[0]

    def _load_checkpoint(self, bundle: Any, rnd: int) -> None:
        path = checkpoint_path(self.path, rnd)
        try:
            bundle.load_checkpoint(path)
        except RunError as exc:
            raise RunError(
                f"the model of round {rnd} cannot be loaded: {exc}",
                code=exc.code,
                hint=f"a checkpoint is a cache: `alframe run {self.meta.get('spec_path', 'SPEC')} --out {self.path}` "
                "retrains it from the stored labels (a finished run stays finished); then export again",
            ) from None

    def predictions(self, data: str | Path | None = None, *, pool: bool = True, plugins: Any = None) -> Predictions:
        """The last complete round's predictions for every pool item (``pool``) and for every
        item of a new data file ``data`` (read with the run's data settings: format from its
        name, the same id, text and numeric fields; its labels, if any, are not read), with
        the model's thresholds."""
        plan, plugins, dataset, bundle, rnd = self._load_model(plugins)
        ids: list[str] = []
        texts: list[str] = []
        source: list[str] = []
        parts: list[np.ndarray] = []
        if pool:
            idx = np.asarray(dataset.pool_idx, dtype=np.int64)
            parts.append(_mean_probs(bundle, idx))
            ids += [dataset.ids[i] for i in idx.tolist()]
            texts += [dataset.texts[i] for i in idx.tolist()]
            source += ["pool"] * len(idx)
        if data is not None:
            new_ids, new_texts, numeric = read_items(data, plan.data)
            wide = extend_dataset(dataset, new_ids, new_texts, numeric)
            other = self._bundle(plugins, plan, wide)
            self._load_checkpoint(other, rnd)
            idx = np.arange(dataset.n_items, wide.n_items, dtype=np.int64)
            parts.append(_mean_probs(other, idx))
            ids += new_ids
            texts += new_texts
            source += [Path(data).name] * len(new_ids)
        probs = np.concatenate(parts, axis=0) if parts else np.zeros((0, dataset.n_labels), np.float32)
        thresholds = np.asarray(bundle.thresholds, dtype=np.float32).reshape(-1)
        return Predictions(ids, list(dataset.label_names), probs, (probs >= thresholds).astype(np.int8),
                           thresholds, rnd, source, texts)

    def export_model(self, path: str | Path, *, plugins: Any = None) -> Path:
        """Write the last complete round's model as a file for ``torch.load(weights_only=True)``
        (see the module doc); :func:`load_model` reads it back as a predictor."""
        import torch

        from alframe.models.checkpoint import write_checkpoint

        plan, _, dataset, bundle, rnd = self._load_model(plugins)
        net = getattr(bundle, "net", None)
        if net is None:
            raise RunError("this run's model (a plugin's) has no network to export", code="R322")
        pool = np.asarray(dataset.pool_idx, dtype=np.int64)
        payload = {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "alframe": _version(),
            "run": self.name,
            "round": rnd,
            "labels": list(dataset.label_names),
            "thresholds": torch.from_numpy(np.asarray(bundle.thresholds, dtype=np.float32).copy()),
            "state": {n: v.detach().cpu() for n, v in net.state_dict().items()},
            "members": int(getattr(bundle, "n_members", 1)),
            "spec": self.meta.get("spec_text", ""),
            "spec_path": self.meta.get("spec_path", ""),
            "plan": json.dumps(self.plan, sort_keys=True),
            "reference": {
                "ids": [dataset.ids[i] for i in pool.tolist()],
                "texts": [dataset.texts[i] for i in pool.tolist()],
                "numeric": None if dataset.numeric is None else torch.from_numpy(
                    np.asarray(dataset.numeric[pool], dtype=np.float32).copy()),
                "numeric_names": list(dataset.numeric_names),
            },
        }
        out = Path(path)
        write_checkpoint(payload, out)
        return out


def _mean_probs(bundle: Any, idx: np.ndarray) -> np.ndarray:
    if not len(idx):
        return np.zeros((0, len(bundle.thresholds)), dtype=np.float32)
    return np.asarray(bundle.predict_proba(idx).mean(dim=2).cpu().numpy(), dtype=np.float32)


def _version() -> str:
    import importlib.metadata as md

    try:
        return md.version("alframe")
    except md.PackageNotFoundError:
        return "0+unknown"


# -- new data ----------------------------------------------------------------------------------


def read_items(path: str | Path, data: Any) -> tuple[list[str], list[str], np.ndarray | None]:
    """The items of a data file read with a run's data settings (``DataPlan``): ids, texts
    (fields joined as the loader joins them) and numeric fields; labels are not read."""
    from alframe.data import load as loader
    from alframe.data.readers import format_of, open_table

    table = open_table(str(path), format_of(str(path)))
    columns = [data.id_field, *data.text_fields, *data.numeric_fields]
    for name in columns:
        if name not in table.fields:
            raise DataError(f"the file has no field '{name}' (the run's data has it)", path=str(path), field=name,
                            code="D311", hint="a file to predict needs the run's id, text and numeric fields")
    n_text = len(data.text_fields)
    ids: list[str] = []
    texts: list[str] = []
    numbers: list[list[float]] = []
    widths: list[int] | None = None
    for line, values in table.rows(columns, None):
        if isinstance(values, DataError):
            raise values
        try:
            ids.append(loader._item_id(values[0], data.id_field))
            parts = [loader._text(v, f) for v, f in zip(values[1 : 1 + n_text], data.text_fields)]
            texts.append(loader.TEXT_JOIN.join(t for t in parts if t))
            if data.numeric_fields:
                row, row_widths = loader._numbers(values[1 + n_text :], data.numeric_fields, widths)
                widths = widths or row_widths
                numbers.append(row)
        except loader.CellError as exc:
            raise DataError(f"line {line}: {exc.message}", path=str(path), row=line, field=exc.field,
                            hint=exc.hint) from None
    if not ids:
        raise DataError("the file holds no items", path=str(path))
    numeric = np.asarray(numbers, dtype=np.float32) if data.numeric_fields else None
    return ids, texts, numeric


def extend_dataset(dataset: Any, ids: list[str], texts: list[str], numeric: np.ndarray | None) -> Any:
    """The run's data set with new items after its own (labels unknown, in neither the pool
    nor the test split): the features of the new items are computed against the same pool."""
    n = len(ids)
    if (dataset.numeric is None) != (numeric is None) or (
        numeric is not None and numeric.shape[1] != dataset.numeric.shape[1]
    ):
        raise DataError("the file's numeric fields do not match the run's", path=dataset.path, code="D311")
    return replace(
        dataset,
        ids=list(dataset.ids) + list(ids),
        texts=list(dataset.texts) + list(texts),
        numeric=None if numeric is None else np.concatenate([dataset.numeric, numeric], axis=0),
        labels=np.concatenate([dataset.labels, np.full((n, dataset.n_labels), -1, np.int8)], axis=0),
        warnings=[],
    )


# -- the exported model ------------------------------------------------------------------------


class Model:
    """A model exported by ``alframe export --model`` (or :meth:`Run.export_model`), ready to
    predict new items. Built by :func:`load_model`."""

    def __init__(self, payload: dict[str, Any], plugins: Any = None) -> None:
        from alframe.compile import compile_text
        from alframe.data.dataset import Dataset
        from alframe.plugins import load

        self.payload = payload
        self.label_names: list[str] = list(payload["labels"])
        self.thresholds = payload["thresholds"].numpy().astype(np.float32)
        self.round = int(payload["round"])
        self._plugins = plugins if plugins is not None else load()
        spec_path = payload.get("spec_path") or "model.al"
        self.plan = compile_text(payload["spec"], spec_path, self._plugins.registry, root=Path(spec_path).anchor or "/")
        ref = payload["reference"]
        numeric = ref.get("numeric")
        n = len(ref["ids"])
        self._reference = Dataset(
            path="<exported model>",
            ids=list(ref["ids"]),
            texts=list(ref["texts"]),
            numeric=None if numeric is None else numeric.numpy(),
            numeric_names=list(ref.get("numeric_names") or []),
            labels=np.full((n, len(self.label_names)), -1, dtype=np.int8),
            label_names=self.label_names,
            test_idx=np.zeros(0, dtype=np.int64),
            pool_idx=np.arange(n, dtype=np.int64),
            fingerprint="exported-model",
            warnings=[],
        )

    def predict(self, texts: list[str], ids: list[str] | None = None, numeric: Any = None) -> Predictions:
        """Predictions for new items given by their text (the run's text fields joined by
        ``" | "``) and, when the run used numeric fields, a float array ``[n, d]``."""
        import torch

        from alframe.stages import Stages

        ids = list(ids) if ids is not None else [str(k) for k in range(len(texts))]
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
        data = extend_dataset(self._reference, ids, list(texts),
                              None if numeric is None else np.asarray(numeric, dtype=np.float32))
        bundle: Any = Stages(self._plugins).build_model(self.plan, data)[0]
        state = self.payload["state"]
        mine = bundle.net.state_dict()
        if set(state) != set(mine) or any(state[k].shape != mine[k].shape for k in mine):
            raise RunError("the exported model does not fit the model its spec builds (another alframe version?)",
                           code="R305")
        bundle.net.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
        bundle.thresholds = self.thresholds
        idx = np.arange(self._reference.n_items, data.n_items, dtype=np.int64)
        probs = _mean_probs(bundle, idx)
        return Predictions(ids, self.label_names, probs, (probs >= self.thresholds).astype(np.int8),
                           self.thresholds, self.round, ["texts"] * len(ids), list(texts))

    def predict_file(self, path: str | Path) -> Predictions:
        """Predictions for every item of a data file read with the run's data settings."""
        ids, texts, numeric = read_items(path, self.plan.data)
        out = self.predict(texts, ids, numeric)
        out.source = [Path(path).name] * len(ids)
        return out


def load_model(path: str | Path, *, plugins: Any = None) -> Model:
    """Read a model file written by ``alframe export --model`` (``torch.load(weights_only=True)``:
    nothing in it can run code) and return a :class:`Model` that predicts new items."""
    import torch

    from alframe.models.checkpoint import read_checkpoint

    p = Path(path)
    try:
        payload = read_checkpoint(p)
    except RunError as exc:
        if exc.code != "R303":
            raise
        payload = torch.load(p, map_location="cpu", weights_only=True)
        if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
            raise RunError(f"{p} is not a model exported by alframe export --model", code="R303") from None
    if payload.get("format") != MODEL_FORMAT:
        raise RunError(f"{p} is a round checkpoint, not an exported model (alframe export --model)", code="R303")
    if payload.get("version") != MODEL_VERSION:
        raise RunError(f"{p} is an exported model of format version {payload.get('version')!r}; this alframe reads "
                       f"{MODEL_VERSION}", code="R304")
    return Model(payload, plugins)


def open_run(path: str | Path, *, pandas: bool | None = None) -> Run:
    """Open a run folder for reading (see :class:`Run`)."""
    return Run(path, pandas=pandas)
