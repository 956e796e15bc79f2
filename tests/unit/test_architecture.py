"""The layout of ``territoire_lib`` stays as docs/architecture.md describes it.

* every module belongs to exactly one layer of :data:`LAYERS`;
* a module imports only modules of its own layer or of lower layers — imports inside functions
  and under ``TYPE_CHECKING`` count too, since they are dependencies all the same;
* the import graph between modules has no cycle;
* no module is longer than :data:`MAX_LINES` lines, and every module has a docstring that
  names its layer (« Layer « sources » … ») and says what it owns.

The graph is read from the source (``ast``), not by importing anything. An import
``from pkg import name`` points at the submodule ``pkg.name`` when there is one, otherwise at
``pkg`` itself (its ``__init__``, the package's facade). So a package's facade may import its
submodules, and the submodules import each other directly, never through the facade.

Run as a script (``python tests/unit/test_architecture.py``) it prints the layers with their
modules and sizes, then every violation found.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = "territoire_lib"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE
MAX_LINES = 800

# Bottom → top. A module may import its own layer or lower ones. Each entry names modules or
# packages (a package stands for all its submodules); the longest matching name wins.
LAYERS: list[tuple[str, list[str]]] = [
    (
        "socle",
        [
            "",
            "errors",
            "french",
            "variables",
            "geo",
            "files",
            "input_limits",
            "notebook_display",
            "xlsx_cells",
            "yaml_lines",
        ],
    ),
    ("graphiques", ["charts"]),
    ("sources", ["sources"]),
    ("données", ["dataset", "manifest", "active_source", "key_figures", "demography", "demo"]),
    ("indicateurs", ["indicators"]),
    ("diagnostic", ["diagnostic"]),
    ("règles", ["rules"]),
    ("scénarios", ["scenario", "optimise"]),
    ("base partagée", ["plan"]),
    ("évaluation", ["evaluation"]),
    ("sorties", ["exports", "notebook_report"]),
    ("lot", ["batch"]),
    ("applications", ["dashboard", "cli", "__main__"]),
]


def _qualified(short: str) -> str:
    return f"{PACKAGE}.{short}" if short else PACKAGE


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package, by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [PACKAGE, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def import_graph(found: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """module → the modules of the package it imports (anywhere in its source)."""
    found = modules() if found is None else found
    graph: dict[str, set[str]] = {name: set() for name in found}
    for name, path in found.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = _package_of(name, path)
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                names = [f"{source}.{alias.name}" for alias in node.names]
                submodules = [n for n in names if n in found]
                targets = submodules
                if len(submodules) < len(names):  # a name that is not a submodule
                    targets = [source, *submodules]
            for target in targets:
                # `import a.b.c` depends on a.b.c; keep the longest known module
                while target and target not in found:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def layer_of(module: str) -> int | None:
    """The index in :data:`LAYERS` of a module, by the longest matching entry."""
    best, best_len = None, -1
    for index, (_, entries) in enumerate(LAYERS):
        for entry in entries:
            qualified = _qualified(entry)
            matches = module == qualified or (entry and module.startswith(qualified + "."))
            if matches and len(qualified) > best_len:
                best, best_len = index, len(qualified)
    return best


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """« a (couche) importe b (couche plus haute) » for every import that goes up."""
    found = []
    for module in sorted(graph):
        own = layer_of(module)
        for target in sorted(graph[module]):
            other = layer_of(target)
            if own is not None and other is not None and other > own:
                found.append(
                    f"{module} (couche « {LAYERS[own][0]} ») importe {target} "
                    f"(couche « {LAYERS[other][0]} », plus haute)"
                )
    return found


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


# -- tests -------------------------------------------------------------------------------------
def test_every_module_has_a_layer():
    orphans = [m for m in modules() if layer_of(m) is None]
    assert not orphans, (
        f"Modules sans couche (ajoutez-les à LAYERS et à docs/architecture.md) : {orphans}"
    )


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "Cycles d'imports : " + " ; ".join(" ↔ ".join(c) for c in found)


def test_lower_layers_never_import_higher_ones():
    found = upward_imports(import_graph())
    assert not found, "Imports vers une couche plus haute :\n" + "\n".join(found)


def test_no_module_is_too_long():
    long = {m: line_count(p) for m, p in modules().items() if line_count(p) > MAX_LINES}
    assert not long, f"Modules de plus de {MAX_LINES} lignes : {long}"


def test_every_module_says_what_it_owns_and_its_layer():
    """A docstring, and in it « Layer « <name> » » naming the layer the module is in."""
    missing = []
    for module, path in modules().items():
        if ".migrations.versions." in module:  # Alembic revisions carry their own header
            continue
        doc = (ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").lower()
        layer = LAYERS[layer_of(module)][0]
        if "layer" not in doc or layer not in doc:
            missing.append(f"{module} (couche « {layer} »)")
    assert not missing, "Docstring absente ou sans sa couche : " + ", ".join(missing)


def test_the_architecture_page_lists_every_layer_and_entry():
    """docs/architecture.md's table of layers names each layer of LAYERS, in order, on a row
    that lists its modules, so the page and the check cannot drift apart."""
    page = (ROOT.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = [line for line in page.splitlines() if line.startswith("| ") and " | " in line]
    for index, (layer, entries) in enumerate(LAYERS):
        row = next((r for r in rows if r.startswith(f"| {index} | {layer} |")), None)
        assert row is not None, (
            f"docs/architecture.md : ligne de la couche {index} « {layer} » absente"
        )
        for entry in entries:
            if entry:
                assert f"`{entry}" in row, (
                    f"docs/architecture.md : « {entry} » absent de « {layer} »"
                )


# The checks themselves, on small made-up graphs: each would fail on the fault it guards.
def test_cycle_detection_finds_a_lazy_two_module_cycle():
    graph = {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert cycles(graph) == [["a", "b"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_import_graph_reads_lazy_relative_and_facade_imports(tmp_path):
    pkg = tmp_path / PACKAGE
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""root"""\n')
    (pkg / "low.py").write_text('"""low"""\ndef f():\n    from .sub import high\n')
    (pkg / "sub" / "__init__.py").write_text('"""facade"""\nfrom .high import g\n')
    (pkg / "sub" / "high.py").write_text('"""high"""\nfrom .. import low\nfrom . import g\n')
    graph = import_graph(modules(pkg))
    assert graph[f"{PACKAGE}.low"] == {f"{PACKAGE}.sub.high"}
    assert graph[f"{PACKAGE}.sub"] == {f"{PACKAGE}.sub.high"}
    # `from . import g` (a name of the facade) depends on the facade: a cycle through it
    assert graph[f"{PACKAGE}.sub.high"] == {f"{PACKAGE}.low", f"{PACKAGE}.sub"}
    assert cycles(graph) == [sorted([f"{PACKAGE}.low", f"{PACKAGE}.sub", f"{PACKAGE}.sub.high"])]


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("territoire_lib", "socle"),
        ("territoire_lib.geo", "socle"),
        ("territoire_lib.sources.cog", "sources"),
        ("territoire_lib.dashboard.app", "applications"),
        ("territoire_lib.plan.db", "base partagée"),
    ],
)
def test_layer_of_uses_the_longest_entry(module, layer):
    assert LAYERS[layer_of(module)][0] == layer


def test_an_upward_import_is_reported():
    graph = {"territoire_lib.sources.cog": {"territoire_lib.dashboard.app"}}
    assert upward_imports(graph) == [
        "territoire_lib.sources.cog (couche « sources ») importe territoire_lib.dashboard.app "
        "(couche « applications », plus haute)"
    ]


def main() -> int:
    found = modules()
    graph = import_graph(found)
    for index, (layer, _) in enumerate(LAYERS):
        members = sorted(m for m in found if layer_of(m) == index)
        print(f"{index:2} {layer}")
        for m in members:
            print(f"     {m:45} {line_count(found[m]):5} lignes")
    problems = [f"cycle : {' ↔ '.join(c)}" for c in cycles(graph)]
    problems += upward_imports(graph)
    problems += [f"sans couche : {m}" for m in found if layer_of(m) is None]
    problems += [
        f"trop long : {m} ({line_count(p)} lignes)"
        for m, p in found.items()
        if line_count(p) > MAX_LINES
    ]
    print("\n".join(problems) if problems else "Aucun problème d'architecture.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
