"""seqgen's import graph, read from the source (ast): no cycles, heavy libraries where they belong.

What may import what: cli -> api -> task folders (names, text, jazz, audio) -> shared layers
(engine, keras_loop, midi, the run machinery at the top) -> errors; no shared layer imports a
task and no task another. TensorFlow/Keras only in seqgen/keras_loop and the keras_model modules,
music21 only in seqgen/midi, typer and rich only in seqgen/cli. Every import counts, including the
lazy ones inside functions: they run too, just later.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "seqgen"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_names(name: str, path: Path) -> list[tuple[str, int]]:
    """Every module name an import statement in ``path`` names, with its line number.

    ``from a.b import c`` names ``a.b`` and ``a.b.c`` (c may be a module or an attribute);
    relative imports are resolved against ``name``.
    """
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" \
                    else name.split(".")[:-1]
                package = package[:len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            out.append((base, node.lineno))
            out += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return out


IMPORTS = {name: imported_names(name, path) for name, path in MODULES.items()}


def graph() -> dict[str, set[str]]:
    """seqgen module -> the seqgen modules it imports (a package's own parents left out:
    importing ``seqgen.a.b`` runs ``seqgen.a`` first whoever asks, so that is no edge)."""
    return {name: {m for m, _ in imports if m in MODULES and m != name
                   and not name.startswith(m + ".")}
            for name, imports in IMPORTS.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def importers_of(top_level: str, allowed) -> list[str]:
    """``file:line`` of every import of ``top_level`` (or its submodules) outside ``allowed``."""
    return [f"{MODULES[name].relative_to(ROOT)}:{line}"
            for name, imports in IMPORTS.items() if not allowed(name)
            for module, line in imports if module.split(".")[0] == top_level]


def test_the_graph_sees_the_whole_package():
    edges = graph()
    assert {"seqgen.cli", "seqgen.keras_loop", "seqgen.midi.smf"} <= set(edges)
    assert {"seqgen.cli.dino", "seqgen.cli.jazz"} <= edges["seqgen.cli"]


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"c"}}) == []


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_tensorflow_and_keras_only_in_keras_modules():
    """The Keras layer (``seqgen.keras_loop``) and each task's ``keras_model`` module."""
    def inside(name):
        return (name == "seqgen.keras_loop" or name.startswith("seqgen.keras_loop.")
                or name.endswith(".keras_model"))

    assert importers_of("tensorflow", inside) == []
    assert importers_of("keras", inside) == []


def test_music21_only_in_the_midi_layer():
    assert importers_of("music21", lambda name: name.startswith("seqgen.midi.")) == []


TASKS = ("seqgen.names", "seqgen.text", "seqgen.jazz", "seqgen.audio")
SHARED_LAYERS = ("seqgen.engine", "seqgen.keras_loop", "seqgen.midi")


def in_package(name: str, packages) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_no_shared_layer_imports_a_task():
    """The engine, the Keras layer, the MIDI layer and the run machinery (the modules at the
    package's top) know no task: only the task folders, the Python API and the CLI import
    task folders."""
    def shared(name):
        top = name.count(".") == 1 and name not in ("seqgen.cli", "seqgen.api")
        return in_package(name, SHARED_LAYERS) or top

    offenders = [f"{name} -> {dep}" for name, deps in graph().items() if shared(name)
                 for dep in deps if in_package(dep, TASKS)]
    assert offenders == []
    assert shared("seqgen.training") and shared("seqgen.midi.smf")  # the test sees them


def test_a_task_folder_holds_its_whole_task():
    """Each task folder has its model and its training or sampling; tasks do not import each
    other."""
    for task in ("seqgen.names", "seqgen.text", "seqgen.jazz"):
        assert {f"{task}.model", f"{task}.train", f"{task}.config"} <= set(MODULES), task
    crossing = [f"{name} -> {dep}" for name, deps in graph().items()
                for task in TASKS if in_package(name, (task,))
                for dep in deps if in_package(dep, TASKS) and not in_package(dep, (task,))]
    assert crossing == []


@pytest.mark.parametrize("framework", ["typer", "rich", "click"])
def test_nothing_below_the_cli_imports_the_cli_frameworks(framework):
    def inside(name):
        return name == "seqgen.cli" or name.startswith("seqgen.cli.")

    assert importers_of(framework, inside) == []
