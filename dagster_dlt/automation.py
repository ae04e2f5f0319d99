"""State-aware automation: run an asset when its upstream data changed, not merely when it ran.

dlt assets materialize on every run, also when dlt loaded nothing (so that partitions do not show
as missing and freshness sees that the load happened); what tells a run that brought rows from
one that did not is their data version. ``AutomationCondition.eager()`` fires on any new
materialization of a dependency; ``on_new_data()`` fires only when a dependency's data version
moved. ``observe_files()`` gives a folder of files a data version, so that a dlt asset over them
runs only when they changed: the dlt counterpart of dbt's source freshness.
"""

import hashlib
import json
from pathlib import Path
from typing import Union

from dagster import AutomationCondition, DataVersion, MetadataValue, ObserveResult

__all__ = ["observe_files", "on_new_data"]


def on_new_data() -> AutomationCondition:
    """Like ``AutomationCondition.eager()``, but only a dependency whose data version changed counts.

    The asset is requested when, since the previous evaluation, a dependency got a data version
    different from its previous one: a dlt asset whose run loaded rows, changed the schema or
    rewrote its tables; an observable source whose observation reported a new marker. A dlt run
    that loaded nothing keeps its data version, so the asset stays as it is. Everything else is
    ``eager()``'s: the latest time partition only, missing partitions are filled, nothing is
    requested while a dependency is missing or in progress.

    Two differences from ``eager()``, both on purpose:

    - A dependency that is itself requested in the same evaluation does not count: the asset
      waits for that run's result and is requested on a later evaluation only if the data version
      changed. (``eager()`` would put both in one run, and rebuild the asset even when the load
      brought nothing.)
    - A dependency updated by a run that also ran this asset (a job over both) does not count, as
      in ``eager()``.

    Returns:
        An ``AutomationCondition`` labelled ``on_new_data``.

    Example:
        .. code-block:: python

            from dagster import asset
            from dagster_dlt.automation import on_new_data

            @asset(deps=["dlt_shop_orders"], automation_condition=on_new_data())
            def orders_report() -> None: ...
    """
    changed = (
        AutomationCondition.data_version_changed()
        # executed_with_root_target is what eager()'s any_deps_updated uses to ignore updates made
        # by a run that also materialized this asset.
        & ~AutomationCondition.executed_with_root_target()
    ).with_label("data_version_changed_without_root")
    any_deps_changed = AutomationCondition.any_deps_match(changed).with_label(
        "any_deps_data_version_changed"
    )
    return (
        AutomationCondition.eager()
        .replace("any_deps_updated", any_deps_changed)
        .with_label("on_new_data")
    )


def observe_files(folder: Union[str, Path], pattern: str = "*") -> ObserveResult:
    """An observation of the files in a folder, whose data version moves when any of them changes.

    The data version hashes every matching file's path (relative to ``folder``), size and
    modification time, so adding, removing, rewriting or touching a file changes it, and nothing
    else does. Call it from an observable source asset on the key a dlt asset depends on; with
    ``on_new_data()`` on the dlt asset, it runs only when the files moved.

    Args:
        folder: the folder the dlt source reads.
        pattern: the files that count, as a ``Path.glob`` pattern relative to ``folder``;
            ``"**/*.json.gz"`` for every gzip file under it.

    Returns:
        An ``ObserveResult`` with the data version and metadata: ``files`` (how many),
        ``newest_file`` and ``newest_modified`` (absent when there are none).

    Raises:
        FileNotFoundError: ``folder`` does not exist or is not a folder.

    Example:
        .. code-block:: python

            from dagster import observable_source_asset
            from dagster_dlt.automation import observe_files

            @observable_source_asset(key="shop_orders")
            def shop_orders():
                return observe_files("/data/shop/orders", "*.jsonl")
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(
            f"observe_files: {str(root)!r} is not a folder (resolved from "
            f"{str(Path.cwd())!r}). Pass the folder your dlt source reads its files from."
        )
    files = sorted(
        (path.relative_to(root).as_posix(), path.stat())
        for path in root.glob(pattern)
        if path.is_file()
    )
    listing = [[name, stat.st_size, stat.st_mtime_ns] for name, stat in files]
    version = hashlib.sha256(json.dumps(listing).encode()).hexdigest()[:24]
    metadata: dict[str, MetadataValue] = {"files": MetadataValue.int(len(files))}
    if files:
        name, stat = max(files, key=lambda item: (item[1].st_mtime_ns, item[0]))
        metadata["newest_file"] = MetadataValue.path(str(root / name))
        metadata["newest_modified"] = MetadataValue.timestamp(stat.st_mtime)
    return ObserveResult(data_version=DataVersion(version), metadata=metadata)
