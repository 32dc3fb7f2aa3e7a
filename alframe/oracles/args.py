"""The arguments of the built-in oracles, declared once.

Each dataclass here is both the registry's declaration (:func:`alframe.registry.params_of`: the
spec's arguments are checked against it) and the base of the implementation, which subclasses
it (``SimulatedOracle(SimulatedArgs, OracleBase)``) and so takes exactly these fields; checks
of the values and derived attributes live in the implementation's ``__post_init__``. This
module imports neither torch nor the implementations, so ``alframe check`` reads the
declarations without loading them.

An oracle is a mutable object (the engine sets its ``progress``), so these dataclasses are not
frozen; ``eq=False`` keeps comparison and hashing by identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alframe.registry import arg


@dataclass(eq=False)
class SimulatedArgs:
    noise: float = field(default=0.0, metadata=arg(0.0, 0.5, help="probability of flipping an answer"))


@dataclass(eq=False)
class FileArgs:
    #: a string in a spec (resolved against the spec's folder by the compiler); the oracle
    #: keeps it as an absolute :class:`~pathlib.Path`
    path: str | Path = field(metadata=arg(
        type="str", help="answers file (csv: id,label,value), inside the spec's folder"))


@dataclass(eq=False)
class PromptArgs:
    mode: str = field(default="auto", metadata=arg(
        choices=("auto", "screen", "lines"),
        help="screen: the annotation screen; lines: one question per line; auto: the screen in a terminal, "
             "lines otherwise"))
