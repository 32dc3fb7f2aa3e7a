"""A component's arguments are declared once, as the fields of a dataclass the registry reads
(:func:`alframe.registry.params_of`) and the implementation subclasses: what a spec is checked
against is exactly what the implementation takes."""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field

import pytest

from alframe.models import args as A
from alframe.plugins import load
from alframe.registry import REQUIRED, Param, Registry, arg, params_of

REGISTRY = load(autoload=False).registry
DECLARED_BY_DATACLASS = [
    (kind, name) for kind in ("encoder", "trunk", "heads", "imbalance") for name in REGISTRY.names(kind)
]


def implementation(kind: str, name: str) -> type:
    module, _, attr = REGISTRY.get(kind, name).factory.__qualname__[len("lazy("):-1].rpartition(".")  # type: ignore[union-attr]
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("kind", "name"), DECLARED_BY_DATACLASS)
def test_the_implementation_takes_exactly_the_declared_arguments(kind: str, name: str) -> None:
    cls = implementation(kind, name)
    comp = REGISTRY.get(kind, name)
    assert comp is not None
    assert [f.name for f in dataclasses.fields(cls)] == [p.name for p in comp.params]
    built = REGISTRY.build(kind, name, {})
    assert all(getattr(built, p.name) == p.default for p in comp.params)
    if comp.params:  # declared in alframe.models.args, which the implementation subclasses
        base = next(c for c in cls.__mro__[1:] if c.__module__ == A.__name__)
        assert params_of(base) == comp.params


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
