"""Registers the built-in oracles (who answers the questions)."""

from __future__ import annotations

from alframe.registry import Param, Registry, lazy


def register(registry: Registry) -> None:
    registry.register(
        "oracle",
        "simulated",
        lazy("alframe.oracles.simulated", "SimulatedOracle"),
        params=[Param("noise", "float", 0.0, 0.0, 0.5, help="probability of flipping an answer")],
        help="Answers from the data set's hidden labels (an experiment), optionally noisy.",
    )
    registry.register(
        "oracle",
        "file",
        lazy("alframe.oracles.answers_file", "FileOracle"),
        params=[Param("path", "str", help="answers file (csv: id,label,value), inside the spec's folder")],
        help="Answers read from a file a person filled in; missing answers are left unknown.",
    )
    registry.register(
        "oracle",
        "prompt",
        lazy("alframe.oracles.prompt", "PromptOracle"),
        params=[
            Param(
                "mode", "name", "auto", choices=("auto", "screen", "lines"),
                help="screen: the annotation screen; lines: one question per line; auto: the screen in a terminal, lines otherwise",
            )
        ],
        help="Asks a person in the terminal: an annotation screen (checklist, single keys), or lines when piped.",
    )
