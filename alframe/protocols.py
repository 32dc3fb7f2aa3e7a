"""What the engine asks of a policy, an oracle and a model bundle: one Protocol each, naming
every attribute the engine and the built-in stages read, and the defaults a component gets for
the optional ones it leaves out.

A plugin's component need not subclass anything. When a run builds it (the registry for
policies and oracles, the model stage for a bundle) :func:`conform` checks that it has the
methods of its Protocol and sets each optional attribute it lacks to the default declared
here, so from then on it *is* an instance of the Protocol and the engine reads its attributes
directly, typed, instead of guessing with ``getattr``. A component without a required method,
or one that cannot take an attribute (``__slots__``), is refused by name before the first round.

mypy checks the built-in components against these Protocols (the ``TYPE_CHECKING`` block at
the end), and :class:`alframe.state.RunState` holds its policy, oracle and bundle as them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from alframe.errors import PluginError

if TYPE_CHECKING:
    import numpy as np
    import torch

    from alframe.data.dataset import Dataset
    from alframe.models.bundle import FitRequest
    from alframe.policies.base import PoolScores, Queries, QueryContext


@runtime_checkable
class Policy(Protocol):
    """Chooses what to ask (:mod:`alframe.policies.base` states the rules a choice keeps)."""

    #: MC-dropout samples wanted from the scorer (0: the ensemble members are the samples)
    mc_samples: int
    #: False: the scorer may skip the probabilities (``random``, ``diverse``)
    needs_scores: bool
    #: True: the scores carry the answered items under the current model (``adaptive``)
    needs_labelled: bool
    #: True: the scores carry the model's features of the candidates (``diversity=badge``)
    needs_embeddings: bool
    #: a sentence the user should read once (e.g. a committee of one member); None: nothing
    warning: str | None
    #: what the policy records of the round it chose (kept in run.db, given back as
    #: ``QueryContext.history``); the engine resets it to None before each choice
    info: dict[str, Any] | None

    def select(self, scores: PoolScores, ctx: QueryContext) -> Queries: ...


class PolicyBase:
    """The optional members of :class:`Policy` at their defaults: a built-in policy inherits
    them, and :func:`conform` gives a plugin's policy the ones it lacks."""

    mc_samples: int = 0
    needs_scores: bool = True
    needs_labelled: bool = False
    needs_embeddings: bool = False
    warning: str | None = None
    info: dict[str, Any] | None = None


@runtime_checkable
class Oracle(Protocol):
    """Answers the questions: a simulation, a file a person fills in, a person at a prompt."""

    #: who answered, stored with each answer ("simulated", "prompt", "file answers.csv")
    source: str
    #: True: a person answers, one cell per call, each answer committed as the call returns
    interactive: bool
    #: True: a round whose questions are not all answered ends the run until they are (a file)
    waits_for_answers: bool
    #: set by the engine before each call: (cells asked so far, cells to ask this round)
    progress: tuple[int, int] | None

    def answer(self, dataset: Dataset, items: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Answers for the cells (items[i], labels[i]): int8 array of 0/1, same length.

        May return -1 for a cell the oracle cannot answer (it is then not stored and not
        counted against the budget). Raises :class:`alframe.errors.DataError` for a bad answer.

        An oracle whose answers can change after they were given (a file a person edits) has
        ``given(dataset) -> {(item index, label index): 0 or 1}``, everything it answers now:
        the engine reads it as each round starts and keeps a changed answer as the cell's next
        revision (:mod:`alframe.answers`).

        A person answering (``interactive = True``) is asked one cell per call, and each answer
        is committed as the call returns. Such an oracle may also have:

        - ``context`` (opt-in, read by the built-in annotate stage only): set by the built-in annotate stage before each call to the round's
          :class:`alframe.oracles.context.RunContext` (declare it as ``None``): the round's
          questions, the current answers, the model's probabilities for an item
          (``guess(item)``, None before the first model), answered / open / budget left
          (``counts()``), ``record(item, label, value)`` to commit at once an answer given for
          another cell than the one asked (a changed answer is kept as the cell's next
          revision), and ``skip(item, label)``, remembered for the round in run.db;
        - ``close()``: called by the engine when a round's questions end, answered or not (a
          quit, a stop, an error), to give the terminal back.
        """
        ...

    @property
    def path(self) -> Path | str | None:
        """Where the answers are read from, named in messages (None: nowhere to name)."""

    @property
    def given(self) -> Callable[[Dataset], dict[tuple[int, int], int]] | None:
        """Everything the oracle answers now, read as each round starts (answers that can
        change after they were given: a file a person edits); None: answers never change."""

    @property
    def close(self) -> Callable[[], None] | None:
        """Called when a round's questions end, answered or not (gives a terminal back);
        None: nothing to close."""


class OracleBase:
    """The optional members of :class:`Oracle` at their defaults (``source`` has none: a
    plugin's oracle without one answers as its registered name)."""

    interactive: bool = False
    waits_for_answers: bool = False
    path: Path | str | None = None
    progress: tuple[int, int] | None = None
    given: Callable[[Dataset], dict[tuple[int, int], int]] | None = None
    close: Callable[[], None] | None = None


@runtime_checkable
class ModelBundle(Protocol):
    """The model of a run: trained each round, scored on the pool and the test split,
    checkpointed (:class:`alframe.models.bundle.ModelBundle` is the built-in base)."""

    #: float32 [L] the current decision thresholds
    thresholds: np.ndarray
    #: sentences worth showing the user before the first round
    notes: list[str]

    def fit(self, req: FitRequest) -> dict[str, Any]: ...
    def predict_proba(self, idx: np.ndarray, mc_samples: int = 0) -> torch.Tensor: ...
    def save_checkpoint(self, path: str | Path) -> None: ...
    def load_checkpoint(self, path: str | Path) -> None: ...


def _defaults(base: type) -> dict[str, Any]:
    return {name: getattr(base, name) for name in base.__annotations__}


#: each Protocol's required methods, and the defaults of its optional attributes
KINDS: dict[str, tuple[tuple[str, ...], Mapping[str, Any]]] = {
    "policy": (("select",), _defaults(PolicyBase)),
    "oracle": (("answer",), _defaults(OracleBase)),
    "model": (("fit", "predict_proba", "save_checkpoint", "load_checkpoint"), {"notes": ()}),
}


def conform(obj: Any, kind: str, who: str, name: str | None = None) -> Any:
    """``obj`` (a built ``kind``: policy, oracle or model, registered as ``name``) with every
    optional attribute of its Protocol, the missing ones set to their defaults; a
    :class:`PluginError` naming plugin ``who`` when a required method is missing or an
    attribute cannot be set. An oracle without a ``source`` answers as its registered name."""
    what = f"{kind} {name!r}" if name else f"the {kind}"
    methods, defaults = KINDS[kind]
    missing = [m for m in methods if not callable(getattr(obj, m, None))]
    if missing:
        raise PluginError(f"{what} has no {', '.join(m + '()' for m in missing)}", plugin=who)
    wanted = dict(defaults)
    if kind == "oracle":
        wanted["source"] = name or "oracle"
    for name, default in wanted.items():
        if hasattr(obj, name):
            continue
        try:
            setattr(obj, name, list(default) if isinstance(default, tuple) else default)
        except (AttributeError, TypeError) as exc:
            raise PluginError(
                f"{what} has no attribute {name!r} and cannot take one ({exc}); declare it "
                f"(default {default!r}) as docs/plugins.md shows",
                plugin=who,
            ) from None
    return obj


if TYPE_CHECKING:  # mypy checks every built-in component against its Protocol

    def _builtins_conform() -> None:
        from alframe.models.committee import CommitteeBundle
        from alframe.oracles.answers_file import FileOracle
        from alframe.oracles.prompt import PromptOracle
        from alframe.oracles.simulated import SimulatedOracle
        from alframe.policies.adaptive import AdaptivePolicy
        from alframe.policies.committee import DisagreementPolicy
        from alframe.policies.diversity import DiversePolicy
        from alframe.policies.iwal import IWALPolicy
        from alframe.policies.random_policy import RandomPolicy
        from alframe.policies.uncertainty import UncertaintyPolicy

        policies: list[type[Policy]] = [
            RandomPolicy, UncertaintyPolicy, DisagreementPolicy, IWALPolicy, DiversePolicy, AdaptivePolicy,
        ]
        oracles: list[type[Oracle]] = [SimulatedOracle, FileOracle, PromptOracle]
        bundles: list[type[ModelBundle]] = [CommitteeBundle]
        del policies, oracles, bundles
