"""The plugin manager records who answered without rewriting anything of pluggy's."""

from __future__ import annotations

import pytest

from alframe.errors import PluginError
from alframe.hookcall import PluginView, call_first
from alframe.hookspecs import hookimpl
from alframe.plugins import load


class _Loader:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl(tryfirst=True)
    def alframe_load_data(self, plan):  # type: ignore[no-untyped-def]
        self.calls += 1
        raise ZeroDivisionError("boom")


def _functions(plugins) -> dict[tuple[str, str], object]:  # type: ignore[no-untyped-def]
    return {
        (name, impl.plugin_name): impl.function
        for name in dir(plugins.pm.hook) if name.startswith("alframe_")
        for impl in getattr(plugins.pm.hook, name).get_hookimpls()
    }


def test_a_late_plugin_is_named_and_pluggy_keeps_the_functions_it_registered() -> None:
    plugins = load(autoload=False)
    loader = _Loader()
    plugins.pm.register(loader, name="late-loader")
    before = _functions(plugins)
    with pytest.raises(PluginError) as err:
        call_first(plugins, "alframe_load_data", plan=None)
    assert err.value.plugin == "late-loader" and err.value.hook == "alframe_load_data"
    assert "ZeroDivisionError: boom" in str(err.value)
    assert loader.calls == 1
    after = _functions(plugins)
    assert after.keys() == before.keys() and all(after[k] is before[k] for k in before)  # nothing rewritten


def test_the_plugin_itself_answers_for_its_registration() -> None:
    plugins = load(autoload=False)
    loader = _Loader()
    plugins.pm.register(loader, name="late-loader")
    assert plugins.pm.is_registered(loader)
    assert plugins.pm.get_name(loader) == "late-loader"
    assert {c.name for c in plugins.pm.get_hookcallers(loader) or []} == {"alframe_load_data"}
    view = plugins.pm.get_plugin("late-loader")
    assert isinstance(view, PluginView) and view.calls == 0  # other attributes are the plugin's
    with pytest.raises(ValueError, match="already registered"):
        plugins.pm.register(loader, name="again")
    assert plugins.pm.unregister(loader) is loader
    assert not plugins.pm.is_registered(loader)
    dataset_impls = plugins.pm.hook.alframe_load_data.get_hookimpls()
    assert all(impl.plugin_name != "late-loader" for impl in dataset_impls)
