"""Load ``DltLoadCollectionComponent`` YAML in-process, from a temporary defs folder."""

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from textwrap import dedent
from typing import Any, Optional, Union

import pytest
import yaml
from dagster import AssetsDefinition, Definitions
from dagster.components.testing import DefsFolderSandbox, create_defs_folder_sandbox

COMPONENT = "dagster_dlt.DltLoadCollectionComponent"


def shop_loads(duckdb_path: Path, *, dataset: str = "raw", extra: str = "") -> str:
    """A loads.py with the shop fixture source (called) and a pipeline into ``duckdb_path``."""
    return dedent(
        f"""
        import dlt
        from tests.support.dlt_fixtures import shop

        shop_source = shop()
        shop_pipeline = dlt.pipeline(
            pipeline_name="shop_{dataset}",
            destination=dlt.destinations.duckdb(r"{duckdb_path}"),
            dataset_name="{dataset}",
        )
        """
    ) + dedent(extra)


def load(source: str = ".loads.shop_source", pipeline: str = ".loads.shop_pipeline", **more):
    """One entry of ``loads:``."""
    return {"source": source, "pipeline": pipeline, **more}


def defs_yaml(*loads: dict[str, Any], component: str = COMPONENT) -> str:
    return yaml.safe_dump({"type": component, "attributes": {"loads": list(loads)}})


@contextmanager
def sandbox_with(
    loads_py: str,
    defs: Union[str, dict[str, Any]],
    *,
    files: Optional[dict[str, str]] = None,
) -> Iterator[DefsFolderSandbox]:
    """A defs folder with ``load/loads.py`` and ``load/defs.yaml``, plus ``files`` (paths
    relative to the defs folder)."""
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "load"
        folder.mkdir()
        (folder / "loads.py").write_text(loads_py)
        (folder / "defs.yaml").write_text(defs if isinstance(defs, str) else yaml.safe_dump(defs))
        for name, text in (files or {}).items():
            path = sandbox.defs_folder_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dedent(text))
        yield sandbox


@contextmanager
def component_defs(
    loads_py: str,
    defs: Union[str, dict[str, Any]],
    *,
    files: Optional[dict[str, str]] = None,
) -> Iterator[Definitions]:
    """The definitions the component builds from ``defs`` (a defs.yaml text or dict)."""
    with sandbox_with(loads_py, defs, files=files) as sandbox, sandbox.build_all_defs() as built:
        yield built


def load_error(
    loads_py: str,
    defs: Union[str, dict[str, Any]],
    *,
    files: Optional[dict[str, str]] = None,
) -> str:
    """The whole chain of the error that building the definitions raises, as text."""
    with sandbox_with(loads_py, defs, files=files) as sandbox:
        with pytest.raises(Exception) as raised, sandbox.build_all_defs():
            pass
        return "".join(traceback.format_exception(raised.value))


def dlt_assets_defs(defs: Definitions) -> list[AssetsDefinition]:
    return [asset for asset in defs.assets or [] if isinstance(asset, AssetsDefinition)]


def only_assets_def(defs: Definitions) -> AssetsDefinition:
    (assets_def,) = dlt_assets_defs(defs)
    return assets_def
