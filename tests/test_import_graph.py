"""Import hygiene, drawn from the code: layers, no cycles, no import hidden inside a function.

The graph is read with ``ast`` over every module of ``fsspeckit/`` and ``tui/``
(imports at module level and inside functions alike; ``if TYPE_CHECKING:``
blocks are for type checkers and are left out). A cycle fails, naming its
modules. An import inside a function fails too, unless it loads an optional
dependency or a storage client that only some filesystems need. The library's
subpackages are layers, listed from the bottom up in ``LAYERS``: a module
imports only from its own layer or a lower one.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("fsspeckit", "tui")
#: Imported when used, as fsspec loads its backends: optional extras and storage clients.
LAZY_OK = {"dask", "distributed", "pyarrow", "s3fs", "gcsfs", "botocore", "aiobotocore", "google", "google_crc32c"}
#: Modules whose functions may import lazily, and why.
LAZY_MODULES = {
    # The entry point imports only the front end it runs: a headless command never loads Textual.
    "tui.__main__": "entry point",
    # Each headless command imports the library when it runs, so `--help` and usage errors answer at once.
    "tui.cli": "commands", "tui.cli.apply_cmd": "commands", "tui.cli.bisync_cmd": "commands",
    "tui.cli.check_cmd": "commands", "tui.cli.common": "commands", "tui.cli.partitions_cmd": "commands",
    "tui.cli.plan_cmd": "commands", "tui.cli.remote_cmd": "commands", "tui.cli.sync_cmd": "commands",
    "tui.cli.verbs_cmd": "commands", "tui.cli.filter_opts": "commands", "tui.cli.store_opts": "commands",
    "tui.cli.completion_cmd": "commands",
    # The progress display draws with rich only on a terminal; logs to a file or a pipe never load it.
    "tui.cli.logs": "commands",
    # A development tool run by `make screenshots`, never imported by the package.
    "tui.screenshots": "tool",
}


#: The library's layers from the bottom up: the pipeline list -> plan -> apply, read upwards.
#: The package root and its compatibility namespaces (``common``, ``utils``) sit on top.
LAYERS = ("exceptions", "model", "backends", "remotes", "listing", "partitions", "planning", "execution", "verbs")


def _layer(module: str) -> int:
    parts = module.split(".")
    if parts[0] == "fsspeckit" and len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    return len(LAYERS)


def _upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{m} -> {d}" for m, deps in graph.items() if m.startswith("fsspeckit.")
                  for d in deps if d.startswith("fsspeckit.") and _layer(d) > _layer(m))


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST):
    """(node, inside a function) for every import, skipping ``if TYPE_CHECKING:`` blocks."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            yield from walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))
    yield from walk(tree, False)


def _targets(module: str, is_package: bool, node: ast.AST) -> list[str]:
    """The modules of ``fsspeckit``/``tui`` an import statement loads (the longest known prefix of each)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[:len(base) - node.level + 1]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module
        names = [f"{prefix}.{a.name}" for a in node.names] + ([prefix] if node.module else [])
    found = set()
    for name in names:
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            candidate = ".".join(parts[:i])
            if candidate in MODULES:
                if candidate != module:
                    found.add(candidate)
                break
    return sorted(found)


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    graph: dict[str, set[str]] = {}
    lazy: list[str] = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = set()
        for node, in_function in _imports(tree):
            graph[module].update(_targets(module, path.name == "__init__.py", node))
            if in_function and module not in LAZY_MODULES:
                root = (node.names[0].name if isinstance(node, ast.Import) else (node.module or "")).split(".")[0]
                if getattr(node, "level", 0) or root not in LAZY_OK:
                    lazy.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return graph, lazy


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_both_packages():
    graph, _ = _graph()
    assert {"fsspeckit.execution.apply", "fsspeckit.planning.plan", "tui.app", "tui.screens.run"} <= graph.keys()
    assert "fsspeckit.planning.plan" in graph["fsspeckit.execution.apply"]


def test_every_library_module_lives_in_a_layer():
    flat = [m for m in MODULES if m.startswith("fsspeckit.") and _layer(m) == len(LAYERS)
            and m.split(".")[1] not in ("common", "utils")]
    assert flat == []
    assert {_layer(m) for m in MODULES if m.startswith("fsspeckit.")} == set(range(len(LAYERS) + 1))


def test_no_layer_imports_from_a_layer_above_it():
    graph, _ = _graph()
    assert _upward(graph) == []


def test_no_import_cycles():
    graph, _ = _graph()
    assert _cycles(graph) == []


def test_no_import_inside_a_function_except_optional_dependencies():
    _, lazy = _graph()
    assert lazy == []


@pytest.mark.parametrize("source, cyclic", [
    ({"a": "from . import b", "b": "def f():\n    from .a import x"}, True),
    ({"a": "from .b import y", "b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import x"}, False),
])
def test_the_checks_catch_what_they_are_for(tmp_path, monkeypatch, source, cyclic):
    pkg = tmp_path / "fsspeckit"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in source.items():
        (pkg / f"{name}.py").write_text(text)
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    monkeypatch.setattr(__import__(__name__), "MODULES", {m: p for m, p in _modules().items()})
    graph, lazy = _graph()
    assert bool(_cycles(graph)) is cyclic
    assert bool(lazy) is cyclic  # the cyclic example hides its import in a function


def test_the_layer_check_catches_an_upward_import(tmp_path, monkeypatch):
    for package, text in {"model": "from ..planning.plan import Plan", "planning": ""}.items():
        (tmp_path / "fsspeckit" / package).mkdir(parents=True)
        (tmp_path / "fsspeckit" / package / "__init__.py").write_text("")
    (tmp_path / "fsspeckit" / "__init__.py").write_text("")
    (tmp_path / "fsspeckit" / "model" / "entries.py").write_text("from ..planning.plan import Plan\n")
    (tmp_path / "fsspeckit" / "planning" / "plan.py").write_text("from ..model.entries import Entry\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    monkeypatch.setattr(__import__(__name__), "MODULES", {m: p for m, p in _modules().items()})
    graph, _ = _graph()
    assert _upward(graph) == ["fsspeckit.model.entries -> fsspeckit.planning.plan"]


#: The longest body a function of the library may have, in lines (its signature and docstring not counted).
MAX_BODY = 60


def _long_functions(root: pathlib.Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            body = node.body
            if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring
            lines = node.end_lineno - body[0].lineno + 1
            if lines > MAX_BODY:
                found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name}: {lines} lines")
    return found


def test_no_library_function_is_longer_than_a_screen():
    assert _long_functions(ROOT / "fsspeckit") == []


def test_the_length_check_counts_the_body(tmp_path):
    pkg = tmp_path / "fsspeckit"
    pkg.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_BODY + 1))
    (pkg / "long.py").write_text(f'def f():\n    """Doc."""\n{body}\n\n\ndef g():\n    """' + "\n" * 80 + '"""\n    return 1\n')
    assert [line.split(" ")[1] for line in _long_functions(pkg)] == ["f:"]
