"""The registered oracles build from their declared arguments, as a spec would build them."""

from __future__ import annotations

from pathlib import Path

from alframe.oracles.answers_file import FileOracle
from alframe.oracles.prompt import PromptOracle
from alframe.oracles.simulated import SimulatedOracle
from alframe.plugins import load


def test_registered_oracles_build(tmp_path: Path) -> None:
    reg = load(autoload=False).registry
    sim = reg.build("oracle", "simulated", {})
    assert isinstance(sim, SimulatedOracle) and sim.noise == 0.0 and sim.source == "simulated"
    f = reg.build("oracle", "file", {"path": str(tmp_path / "a.csv")})
    assert isinstance(f, FileOracle) and f.source == "file a.csv"  # who answered: the file
    assert isinstance(reg.build("oracle", "prompt", {}), PromptOracle)
