"""Every public name of the library stays importable from the path it had before the layout
change of issue 11 (commit 2df1f47), so notebooks, dashboards, the CLI, the README and users'
own notebooks keep working.

``public_surface.json`` lists, for every module of that commit, the public names it defined
itself (functions, classes and assignments at module level not starting with ``_``), read from
the source with ``ast``. The one module that moved, ``evaluation_charts``, is listed under its
new path ``evaluation.charts``. A name may only leave this list on purpose, with the change that
removes it.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

SURFACE = json.loads((Path(__file__).with_name("public_surface.json")).read_text("utf-8"))


@pytest.mark.parametrize("module", sorted(SURFACE))
def test_every_public_name_is_importable(module):
    imported = importlib.import_module(module)
    missing = [name for name in SURFACE[module] if not hasattr(imported, name)]
    assert not missing, f"{module} ne fournit plus : {missing}"


def test_the_surface_covers_what_the_notebooks_use():
    # a sample worked out by hand from the notebooks' code cells, so an empty or truncated
    # JSON file cannot pass silently
    used = {
        "territoire_lib.dataset": ["load_territory"],
        "territoire_lib.diagnostic": ["diagnose"],
        "territoire_lib.scenario": [
            "load_scenario",
            "simulate",
            "compare",
            "format_comparison",
            "france_reference",
            "funding_frame",
            "trajectory",
            "sensitivity",
        ],
        "territoire_lib.optimise": ["candidates_from_scenario", "optimise"],
        "territoire_lib.evaluation": ["evaluate_plan", "rule_text"],
        "territoire_lib.key_figures": ["children_by_age", "compare_coverage", "coverage"],
        "territoire_lib.notebook_display": ["show_whole_tables"],
        "territoire_lib.dashboard": ["build_app"],
        "territoire_lib.dashboard.suivi": ["build_suivi_app"],
    }
    for module, names in used.items():
        assert set(names) <= set(SURFACE[module]), module
