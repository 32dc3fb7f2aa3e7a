"""A component's arguments are declared once, as the fields of a dataclass the registry reads
(:func:`alframe.registry.params_of`) and the implementation subclasses: what a spec is checked
against is exactly what the implementation takes."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from alframe.models import args as A
from alframe.oracles import args as oracle_args
from alframe.plugins import load
from alframe.policies import args as policy_args
from alframe.registry import REQUIRED, Param, Registry, arg, params_of

REGISTRY = load(autoload=False).registry
#: where each kind's built-in arguments are declared (torch-free modules)
ARGS_MODULES = {
    "encoder": A.__name__, "trunk": A.__name__, "heads": A.__name__, "imbalance": A.__name__,
    "policy": policy_args.__name__, "oracle": oracle_args.__name__,
}
DECLARED_BY_DATACLASS = [(kind, name) for kind in ARGS_MODULES for name in REGISTRY.names(kind)]
#: arguments an implementation takes from Python callers only (keyword-only, not in a spec)
PYTHON_ONLY = {("oracle", "prompt"): ["input", "output", "max_text"]}
#: a value for each required argument, to build the component with
REQUIRED_VALUES = {("oracle", "file"): {"path": "answers.csv"}}


def implementation(kind: str, name: str) -> type:
    module, _, attr = REGISTRY.get(kind, name).factory.__qualname__[len("lazy("):-1].rpartition(".")  # type: ignore[union-attr]
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def test_every_builtin_policy_and_oracle_is_checked() -> None:
    assert {n for k, n in DECLARED_BY_DATACLASS if k == "policy"} >= {
        "random", "uncertainty", "disagreement", "bald", "adaptive", "diverse", "iwal"}
    assert {n for k, n in DECLARED_BY_DATACLASS if k == "oracle"} >= {"simulated", "file", "prompt"}


@pytest.mark.parametrize(("kind", "name"), DECLARED_BY_DATACLASS)
def test_the_implementation_takes_exactly_the_declared_arguments(kind: str, name: str) -> None:
    cls = implementation(kind, name)
    comp = REGISTRY.get(kind, name)
    assert comp is not None
    declared = [p.name for p in comp.params]
    extra = PYTHON_ONLY.get((kind, name), [])
    taken = inspect.signature(cls).parameters
    assert list(taken) == declared + extra  # the constructor: the declared arguments, then the Python-only ones
    assert all(taken[e].kind is inspect.Parameter.KEYWORD_ONLY for e in extra)
    if comp.params:  # declared in the kind's args module, which the implementation subclasses
        assert [f.name for f in dataclasses.fields(cls)] == declared + extra
        base = next(c for c in cls.__mro__[1:] if c.__module__ == ARGS_MODULES[kind])
        assert params_of(base) == comp.params
    built = REGISTRY.build(kind, name, REQUIRED_VALUES.get((kind, name), {}))
    for p in comp.params:
        if p.required:
            continue
        if p.type == "policies":  # built by the registry: (label, policy) pairs
            assert [label for label, _ in getattr(built, p.name)] == list(p.default)
        else:
            assert getattr(built, p.name) == p.default


def test_python_only_arguments_of_the_prompt_oracle() -> None:
    import io

    from alframe.oracles.prompt import PromptOracle

    out = io.StringIO()
    oracle = PromptOracle(mode="lines", input=io.StringIO("y\n"), output=out, max_text=10)
    assert (oracle.mode, oracle.output, oracle.max_text) == ("lines", out, 10)
    with pytest.raises(TypeError):
        PromptOracle("lines", io.StringIO())  # type: ignore[misc]  # the streams are keyword-only


def test_checks_and_derived_attributes_run_after_the_fields() -> None:
    from alframe.oracles.answers_file import FileOracle
    from alframe.policies.adaptive import AdaptivePolicy
    from alframe.policies.committee import BaldPolicy
    from alframe.policies.iwal import IWALPolicy
    from alframe.policies.uncertainty import UncertaintyPolicy

    with pytest.raises(ValueError, match="unknown iwal rule 'nope'"):
        IWALPolicy(rule="nope")
    with pytest.raises(ValueError, match="unknown diversity"):
        UncertaintyPolicy(diversity="nope")
    assert BaldPolicy(mc_dropout=8).mc_samples == 8
    assert UncertaintyPolicy(diversity="badge").needs_embeddings and not UncertaintyPolicy().needs_embeddings
    assert isinstance(UncertaintyPolicy(candidates=3).candidates, float)
    assert FileOracle("answers.csv").path == Path.cwd() / "answers.csv"
    with pytest.raises(TypeError, match="built policies"):
        AdaptivePolicy()  # the declared default names the arms; the registry builds them


def test_types_come_from_the_annotations() -> None:
    @dataclass(frozen=True)
    class Args:
        size: int = field(default=3, metadata=arg(1, 10, help="how many"))
        rate: float = field(default=0.5, metadata=arg(0.0, 1.0))
        on: bool = True
        span: tuple[int, int] = (1, 2)
        mode: str = field(default="a", metadata=arg(choices=("a", "b")))
        path: str = field(default="x.csv")
        values: tuple[int, ...] = field(default=(), metadata=arg(type="list"))
        needed: str = field(default="", metadata=arg(help="given"))

    params = params_of(Args)
    assert params[0] == Param("size", "int", 3, 1, 10, help="how many")
    assert [p.type for p in params] == ["int", "float", "bool", "range", "name", "str", "list", "str"]
    assert params[4].choices == ("a", "b")

    @dataclass(frozen=True)
    class Required:
        path: str

    assert params_of(Required)[0].default is REQUIRED and params_of(Required)[0].required

    @dataclass(frozen=True)
    class Unknown:
        things: dict[str, int] = field(default_factory=dict)

    with pytest.raises(TypeError, match="say the argument's type"):
        params_of(Unknown)


def test_a_plugin_may_register_a_dataclass_as_its_parameters() -> None:
    @dataclass(frozen=True)
    class Args:
        beta: float = field(default=0.5, metadata=arg(0.0, 1.0, help="weight"))

    registry = Registry()
    registry.register("encoder", "mine", lambda **kw: kw, params=Args)
    comp = registry.get("encoder", "mine")
    assert comp is not None and comp.params == (Param("beta", "float", 0.5, 0.0, 1.0, help="weight"),)
    assert registry.build("encoder", "mine", {}) == {"beta": 0.5}
