"""Find the dlt source and pipeline that a ``defs.yaml`` names by Python path, with clear errors."""

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Optional

from dagster import ComponentLoadContext
from dagster.components.resolved.context import ResolutionContext
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.components.dlt_load_collection.deferred import is_source_function

__all__ = ["LoadLocation", "import_object", "location_of"]


@dataclass(frozen=True)
class LoadLocation:
    """Where a field of a load is declared, for error messages: file, load index and field."""

    file: Optional[Path]
    load_index: Optional[int]
    field: str
    package: Optional[str]  # the module a leading dot is relative to

    def describe(self) -> str:
        load = f"load {self.load_index}" if self.load_index is not None else "a load"
        where = f" of {self.file}" if self.file is not None else ""
        return f"field '{self.field}' of {load}{where}"


def location_of(context: ResolutionContext) -> LoadLocation:
    """The file, load index and field being resolved, read from Dagster's resolution context."""
    # Dagster's path of the value being resolved, e.g. ["loads", 0, "source"].
    path = list(context.path)
    start = path.index("loads") + 1 if "loads" in path else len(path)
    load_index = path[start] if start < len(path) and isinstance(path[start], int) else None
    field = ".".join(str(part) for part in path[start + 1 :]) or "?"
    file: Optional[Path] = None
    package: Optional[str] = None
    try:
        load_context = ComponentLoadContext.from_resolution_context(context)
    except Exception:
        load_context = None  # resolved outside a defs folder (e.g. a YAML string in a test)
    if load_context is not None:
        folder = load_context.path
        file = folder / "defs.yaml" if folder.is_dir() else folder
        package = load_context.defs_relative_module_name(folder)
    return LoadLocation(file=file, load_index=load_index, field=field, package=package)


def import_object(path: str, where: LoadLocation) -> Any:
    """The object at ``path`` (``package.module.attribute``; a leading dot is relative to the
    folder of ``defs.yaml``, two dots to its parent, as in a relative import)."""
    if not isinstance(path, str) or not path.strip(".") or " " in path:
        raise ValueError(
            f"{where.describe()} must be a Python path such as '.loads.my_source' or "
            f"'my_project.loads.my_source', got {path!r}."
        )
    absolute = _absolute(path, where)
    module_name, _, attribute = absolute.rpartition(".")
    if not module_name:
        raise ValueError(
            f"{where.describe()}: {path!r} names no module. Write module and attribute, for "
            "example '.loads.my_source' for my_source in loads.py next to defs.yaml."
        )
    module = _import_module(module_name, path, where)
    if not hasattr(module, attribute):
        raise ValueError(
            f"{where.describe()}: module '{module_name}' ({_file_of(module)}) has no attribute "
            f"'{attribute}'.{_candidates(module)}"
        )
    return getattr(module, attribute)


def _absolute(path: str, where: LoadLocation) -> str:
    if not path.startswith("."):
        return path
    if where.package is None:
        raise ValueError(
            f"{where.describe()}: the relative path {path!r} needs a defs folder to be relative "
            "to. Use an absolute module path, or load the component from a defs folder."
        )
    dots = len(path) - len(path.lstrip("."))
    try:
        # One dot is the defs.yaml folder's own package, as in a relative import.
        return importlib.util.resolve_name(path, where.package)
    except ImportError as error:
        raise ValueError(
            f"{where.describe()}: {path!r} goes up {dots - 1} folder(s) from {where.package}, "
            "beyond the top of the project's package. Use fewer leading dots or an absolute path."
        ) from error


def _import_module(module_name: str, path: str, where: LoadLocation) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name is not None and not module_name.startswith(error.name):
            raise  # the module exists but one of its own imports is missing: show that
        hint = (
            " A leading dot is relative to the folder of defs.yaml"
            + (f" (package {where.package})" if where.package else "")
            + "; write '.loads.my_source' for my_source in loads.py next to defs.yaml."
        )
        raise ValueError(
            f"{where.describe()}: cannot import module '{module_name}' (from {path!r}): "
            f"{error}.{hint}"
        ) from error


def _file_of(module: ModuleType) -> str:
    return str(getattr(module, "__file__", None) or module.__name__)


def _candidates(module: ModuleType) -> str:
    names = sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (isinstance(value, (DltSource, Pipeline)) or is_source_function(value))
    )
    return f" Its dlt sources and pipelines: {', '.join(names)}." if names else ""
