"""Plugin loading: entry points, the autoload switch, named plugins, misbehaving plugins,
and the hook trace. Test plugins are real installed distributions (a ``.dist-info`` folder on
``sys.path``), found through ``importlib.metadata`` exactly as pip-installed ones are."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from alframe.errors import PluginError
from alframe.plugins import load
from alframe.registry import Registry


@pytest.fixture(autouse=True)
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("ALFRAME_DISABLE_PLUGIN_AUTOLOAD", "ALFRAME_PLUGINS", "ALFRAME_TRACE_HOOKS"):
        monkeypatch.delenv(key, raising=False)


def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dist: str, module: str, source: str) -> None:
    """A distribution with one entry point in the ``alframe`` group, importable from tmp_path."""
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[alframe]\n{module} = {module}\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, module, raising=False)


GOOD = """
from alframe.hookspecs import hookimpl
from alframe.registry import Param

@hookimpl
def alframe_register(registry):
    registry.register("policy", "coin", lambda **kw: kw, params=[Param("bias", "float", 0.5, 0.0, 1.0)])

@hookimpl
def alframe_should_stop(state):
    return "the coin says stop"
"""


def test_the_first_party_plugin_autoloads() -> None:
    plugins = load()
    comp = plugins.registry.get("policy", "cardinality")
    assert comp is not None and comp.plugin == "alframe-cardinality"
    assert plugins.versions()["alframe-cardinality"] == "0.1.0"
    assert plugins.registry.unloaded == ()


def test_autoload_off_by_argument_and_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    off = load(autoload=False)
    assert off.registry.get("policy", "cardinality") is None
    assert "cardinality (alframe-cardinality)" in off.registry.unloaded
    monkeypatch.setenv("ALFRAME_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert load().registry.get("policy", "cardinality") is None
    monkeypatch.setenv("ALFRAME_PLUGINS", "cardinality")
    assert load().registry.get("policy", "cardinality") is not None
    monkeypatch.delenv("ALFRAME_PLUGINS")
    by_dist = load(names=["alframe-cardinality"])
    assert by_dist.registry.get("policy", "cardinality") is not None and by_dist.registry.unloaded == ()


def test_a_third_party_plugin_registers_and_its_first_result_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(tmp_path, monkeypatch, "alframe-coin", "alframe_coin", GOOD)
    plugins = load()
    assert plugins.registry.get("policy", "coin").plugin == "alframe-coin"  # type: ignore[union-attr]
    assert plugins.versions()["alframe-coin"] == "1.2.3"
    assert plugins.hook.alframe_should_stop(state=None) == "the coin says stop"  # built-ins are trylast
    assert load(autoload=False).registry.get("policy", "coin") is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (GOOD.replace("alframe_register", "alframe_regster"),
         "'alframe_regster' is not an alframe hook; did you mean 'alframe_register'?"),
        (GOOD.replace("def alframe_should_stop(state)", "def alframe_should_stop(state, extra)"), "extra"),
        (GOOD.replace('"coin"', '"uncertainty"'), "policy 'uncertainty' is registered twice: by 'alframe' and by 'alframe-broken'"),
        (GOOD.replace('"policy"', '"policies"'), "unknown kind 'policies'"),
        ("import not_a_module_anywhere\n", "cannot import entry point"),
        (GOOD.replace("lambda **kw: kw, params=", "None, params=1/0 or "), "ZeroDivisionError"),
    ],
    ids=["misspelt-hook", "unknown-argument", "duplicate-name", "unknown-kind", "import-error", "register-raises"],
)
def test_a_broken_plugin_is_named(source: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(tmp_path, monkeypatch, "alframe-broken", "alframe_broken", source)
    with pytest.raises(PluginError) as info:
        load()
    assert info.value.plugin == "alframe-broken"
    assert message in str(info.value)
    assert "plugin 'alframe-broken'" in info.value.render()
    load(autoload=False)  # with autoload off the broken plugin is never imported


def test_a_named_plugin_must_be_installed() -> None:
    with pytest.raises(PluginError, match="not installed: nope"):
        load(autoload=False, names=["nope"])


def test_the_hook_trace(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ALFRAME_TRACE_HOOKS", "1")
    plugins = load(autoload=False)
    registry = Registry()
    plugins.hook.alframe_register(registry=registry)
    assert registry.get("policy", "iwal") is not None
    err = capsys.readouterr().err
    assert "[alframe hook] alframe_register ← ['alframe.builtin.components'" in err and "done in" in err
