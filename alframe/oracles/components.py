"""Registers the built-in oracles (who answers the questions).

Their arguments are the dataclasses of :mod:`alframe.oracles.args`, which the implementations
subclass; factories import their implementation lazily.
"""

from __future__ import annotations

from alframe.oracles import args as A
from alframe.registry import Registry, lazy


def register(registry: Registry) -> None:
    registry.register(
        "oracle",
        "simulated",
        lazy("alframe.oracles.simulated", "SimulatedOracle"),
        params=A.SimulatedArgs,
        help="Answers from the data set's hidden labels (an experiment), optionally noisy.",
    )
    registry.register(
        "oracle",
        "file",
        lazy("alframe.oracles.answers_file", "FileOracle"),
        params=A.FileArgs,
        help="Answers read from a file a person filled in; missing answers are left unknown.",
    )
    registry.register(
        "oracle",
        "prompt",
        lazy("alframe.oracles.prompt", "PromptOracle"),
        params=A.PromptArgs,
        help="Asks a person in the terminal: an annotation screen (checklist, single keys), or lines when piped.",
    )
