"""The package's shape, checked: non-public dlt and Dagster API only in ``_seams/``, no import
cycles, no import of the package face from inside the package, modules of a readable size, and
the published import paths still importing.

These read the source with ``ast``; nothing is executed except the imports of the last test.
"""

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "dagster_dlt"
MAX_LINES = 440  # "about 400": a module past this holds two concepts, or should be split

# Names dlt and Dagster do not document as public, although their module paths look public.
# Using one outside _seams/ fails the scan; inside, each has a contract test.
NON_PUBLIC_NAMES = {
    "get_fun_last_config",
    "get_fun_spec",
    "SourceReference",
    "BaseDocProvider",
    "PipelineContext",
    "Container",
    "TimeIntervalContext",
    "get_interval_context",
    "IncrementalResourceWrapper",
    "WithStateSync",
    "LookupTrace",
    "LookupTraces",
    "PluggableRunContext",
}
# Underscore attributes that are public by convention (namedtuple's API).
PUBLIC_UNDERSCORE = {"_replace", "_fields", "_asdict", "_make"}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def own_names() -> set[str]:
    """Every name this package defines or assigns: its own underscore attributes are fine."""
    names: set[str] = set()
    for path in modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return names


def non_public_uses(path: Path, ours: set[str]) -> list[str]:
    uses = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            if root not in ("dlt", "dagster"):
                continue
            private_path = any(part.startswith("_") for part in node.module.split("."))
            for alias in node.names:
                if private_path or alias.name.startswith("_") or alias.name in NON_PUBLIC_NAMES:
                    uses.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("dlt", "dagster") and "._" in alias.name:
                    uses.append(f"line {node.lineno}: import {alias.name}")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr not in ours | PUBLIC_UNDERSCORE
        ):
            uses.append(f"line {node.lineno}: .{node.attr}")
    return uses


def test_non_public_dlt_and_dagster_api_is_used_only_in_the_seams():
    ours = own_names()
    found = {
        str(path.relative_to(PACKAGE.parent)): uses
        for name, path in modules().items()
        if not name.startswith("dagster_dlt._seams") and (uses := non_public_uses(path, ours))
    }
    assert found == {}, (
        "Non-public dlt or Dagster API outside dagster_dlt/_seams/ (move each use into a function "
        f"there, with a contract test in tests/seams/test_internals_contract.py): {found}"
    )


def imports_of(name: str, path: Path) -> set[str]:
    """The package's modules that ``name`` imports at module level or in functions."""
    package = set(modules())
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        for target in targets:
            # The most specific module of the package the import names.
            while target and target not in package:
                target = target.rpartition(".")[0]
            if target and target != name:
                imported.add(target)
    return imported


def test_no_module_imports_the_package_face_and_there_is_no_cycle():
    graph = {name: imports_of(name, path) for name, path in modules().items()}
    # The face (dagster_dlt/__init__.py) re-exports the package; a module that imports it
    # depends on everything, and on the order the face imports things in.
    climbing = sorted(name for name, targets in graph.items() if "dagster_dlt" in targets)
    assert climbing == [], f"these modules import the package face `dagster_dlt`: {climbing}"

    # A subpackage's __init__ may re-export its own modules: an edge into a package is an edge
    # into its __init__, which is what Python runs.
    cycles = []
    state: dict[str, int] = defaultdict(int)  # 0 new, 1 on the path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state[target] == 1:
                cycles.append([*path[path.index(target) :], target])
            elif state[target] == 0:
                visit(target, [*path, target])
        state[node] = 2

    for name in sorted(graph):
        if state[name] == 0 and name != "dagster_dlt":
            visit(name, [name])
    assert cycles == [], f"import cycles in dagster_dlt: {cycles}"


def test_no_module_is_over_about_400_lines():
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in modules().values()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these by concept (at most {MAX_LINES} lines each): {long}"


@pytest.mark.parametrize(
    "path",
    [
        # The published dagster-dlt's import paths...
        "dagster_dlt",
        "dagster_dlt.translator",
        "dagster_dlt.resource",
        "dagster_dlt.asset_decorator",
        "dagster_dlt.dlt_event_iterator",
        "dagster_dlt.constants",
        "dagster_dlt.components.dlt_load_collection.component",
        # ...and the module paths our docs taught.
        "dagster_dlt.dataset_access",
        "dagster_dlt.dataset_input",
        "dagster_dlt.catalog",
        "dagster_dlt.save",
        "dagster_dlt.checks",
        "dagster_dlt.automation",
        "dagster_dlt.errors",
    ],
)
def test_published_import_paths_still_import(path: str):
    module = importlib.import_module(path)
    for name in getattr(module, "__all__", []):
        assert hasattr(module, name), f"{path}.{name}"
