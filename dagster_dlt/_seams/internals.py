"""The seam: every use of dlt's non-public API lives in this module, and nowhere else.

dlt has no public way to do a few things this package needs: copy a pipeline into another working
directory, find the root of a transformer's pipe, hand dlt back its previously active pipeline,
read the keys it tried for a missing secret, offer an external scheduler's interval to
incrementals, and ask whether a destination restores state. Each is one small function here, and
``tests/seams/test_internals_contract.py`` holds a contract test for each: when a dlt upgrade breaks an
assumption, that test fails naming the dlt version and the assumption, instead of a run failing
somewhere deep inside dlt. ``pyproject.toml`` caps dlt below 2 for the same reason.

It also reads what dlt remembers of its source and resource functions: the configuration it last
resolved for a function, the functions registered by section and name, the spec it synthesized
from a source function's signature, and a secrets.toml provider's document, for redaction and for
the component's deferred sources. And how the filesystem destination names its files (the
layout as dlt renders it, the names of its own tables' files), to take back a dead load's files.

Uses of Dagster's non-public API live here too: recognising the handler Dagster attaches to a
managed Python logger, so that dlt's warnings are not forwarded to the event log twice, and
writing a state-backed component's definitions state after a run (the local state file's path,
and a new version in the instance's defs state storage), as ``dg utils refresh-defs-state`` does.

This module imports nothing of ``dagster_dlt``: it is a leaf.
"""

import importlib.metadata
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Optional

from dlt.common.configuration.container import Container
from dlt.common.configuration.exceptions import LookupTrace, LookupTraces
from dlt.common.configuration.inject import get_fun_last_config, get_fun_spec
from dlt.common.configuration.providers.doc import BaseDocProvider
from dlt.common.configuration.specs.base_configuration import BaseConfiguration
from dlt.common.destination.client import WithStateSync
from dlt.common.pipeline import PipelineContext
from dlt.extract.incremental import IncrementalResourceWrapper
from dlt.extract.incremental.context import TimeIntervalContext, get_interval_context
from dlt.extract.reference import SourceReference
from dlt.extract.resource import DltResource
from dlt.pipeline.pipeline import Pipeline

__all__ = [
    "DLT_VERSION",
    "LookupTrace",
    "LookupTraces",
    "active_pipeline",
    "copy_pipeline",
    "dataset_destination",
    "decode_stored_state",
    "dlt_logger",
    "document_of_provider",
    "external_schedule_interval",
    "filesystem_file_name_layout",
    "filesystem_name_separator",
    "forget_outcome",
    "functions_registered_as",
    "is_dagster_log_capture",
    "last_config_of",
    "local_defs_state_path",
    "normalized_packages",
    "offered_interval",
    "outcome_recorded",
    "reactivate",
    "relation_dataset",
    "relation_table_name",
    "requeue_completed_job",
    "resource_steps",
    "root_resource_name",
    "signature_spec_of_source",
    "staged_tables",
    "store_defs_state_version",
    "syncs_state",
    "without_external_scheduler",
]

DLT_VERSION = importlib.metadata.version("dlt")


def copy_pipeline(
    pipeline: Pipeline, pipelines_dir: str, progress: Optional[Any] = None
) -> Pipeline:
    """A pipeline like ``pipeline`` (name, destination, dataset, config) in ``pipelines_dir``.

    Non-public: ``Pipeline.__init__`` (dlt.pipeline() always attaches to the user's working
    directory or creates one named after the pipeline) and ``_schema_storage_config``, the only
    place that keeps the import/export schema paths. Called with keyword arguments so that a new
    parameter in a dlt release cannot shift the others.
    """
    storage = pipeline._schema_storage_config
    return type(pipeline)(
        pipeline_name=pipeline.pipeline_name,
        pipelines_dir=pipelines_dir,
        pipeline_salt=pipeline.pipeline_salt,
        destination=pipeline.destination,
        staging=pipeline.staging,
        # The resolved name: with dev_mode it already carries its suffix, which must not change.
        dataset_name=pipeline.dataset_name,
        import_schema_path=storage.import_schema_path if storage else None,
        export_schema_path=storage.export_schema_path if storage else None,
        dev_mode=False,
        progress=progress if progress is not None else pipeline.collector,
        must_attach_to_local_pipeline=False,
        config=pipeline.config,
        refresh=pipeline.refresh,
    )


def root_resource_name(resource: DltResource) -> str:
    """The resource at the root of a transformer's pipe (the resource itself otherwise).

    Non-public: ``DltResource._pipe`` and ``Pipe.parent``; dlt exposes no accessor for a
    transformer's parent.
    """
    pipe = resource._pipe
    while pipe.has_parent:
        pipe = pipe.parent
    return pipe.name


def resource_steps(resource: DltResource) -> list[Any]:
    """The steps of a resource's pipe: its generator function first, then any ``add_map``.

    Non-public: ``DltResource._pipe.steps``.
    """
    return list(resource._pipe.steps)


def active_pipeline() -> Optional[Pipeline]:
    """dlt's active pipeline (``dlt.current.pipeline()``), or ``None``; never creates one.

    Non-public: ``PipelineContext``, the container entry behind ``dlt.current.pipeline()``.
    """
    context = Container()[PipelineContext]
    return context.pipeline() if context.is_active() else None  # type: ignore[return-value]


def reactivate(previous: Optional[Pipeline]) -> None:
    """Make ``previous`` dlt's active pipeline again, or leave none active.

    A run activates its own copy of the pipeline; once the copy's directory is gone,
    ``dlt.current.pipeline()`` must not point at it. Non-public: ``PipelineContext.deactivate``.
    """
    if previous is not None:
        previous.activate()
    else:
        Container()[PipelineContext].deactivate()


@contextmanager
def external_schedule_interval(start: datetime, end: datetime) -> Iterator[None]:
    """Offer ``[start, end)`` to dlt incrementals as an external scheduler's interval.

    Incrementals declared with ``allow_external_schedulers=True`` then load exactly that window,
    without touching their stored cursor, as they do under Airflow. Non-public:
    ``TimeIntervalContext``, which dlt's Airflow helper injects the same way.
    """
    with Container().injectable_context(TimeIntervalContext(interval=(start, end))):
        yield


def offered_interval() -> Optional[Any]:
    """The interval an external scheduler offers now (a partition's window, dlt's
    ``DLT_INTERVAL_START``/``END``, Airflow's), or ``None``. Public: ``dlt.current.interval``'s
    context, read without creating one."""
    context = get_interval_context()
    return context.interval if context is not None else None


@contextmanager
def without_external_scheduler(resources: Iterable[DltResource]) -> Iterator[None]:
    """Let incrementals declared with ``allow_external_schedulers=True`` run from their stored
    cursor while no interval is offered (dlt would raise ``ExternalSchedulerNotAvailable``).

    The incremental wrapper is shared by every clone of a resource, so its setting is put back
    afterwards: a later run of the same source under a partition joins the window again.
    Non-public: ``IncrementalResourceWrapper._allow_external_schedulers`` (the wrapper's own
    override, applied when it binds) and ``_incremental``.
    """
    saved = []
    for resource in resources:
        wrapper = resource.incremental
        if not isinstance(wrapper, IncrementalResourceWrapper):
            continue
        inner = wrapper._incremental
        saved.append(
            (
                wrapper,
                wrapper._allow_external_schedulers,
                inner,
                inner and inner.allow_external_schedulers,
            )
        )
        wrapper.allow_external_schedulers = False
    try:
        yield
    finally:
        for wrapper, own, inner, inner_value in saved:
            # Back to the wrapper's state before the run: a copy of the signature's default
            # made by the run (and disabled by it) is dropped; the next call copies it again.
            wrapper._allow_external_schedulers = own
            wrapper._incremental = inner
            if inner is not None:
                inner.allow_external_schedulers = inner_value


def syncs_state(pipeline: Pipeline) -> bool:
    """Whether the pipeline's destination stores dlt's state and schemas (``WithStateSync``).

    Non-public: ``WithStateSync`` and ``Destination.client_class``.
    """
    destination = pipeline.destination
    if destination is None:
        return False
    try:
        return issubclass(destination.client_class, WithStateSync)
    except Exception:
        # A destination whose client cannot be imported fails the run with dlt's own error.
        return False


def is_dagster_log_capture(handler: logging.Handler) -> bool:
    """Whether ``handler`` is the one Dagster attaches to a managed Python logger in a step.

    Non-public Dagster API: ``dagster._core.log_manager.DagsterLogHandler``
    (``DagsterLogManager.begin_python_log_capture``).
    """
    try:
        from dagster._core.log_manager import DagsterLogHandler
    except ImportError:  # moved in a later Dagster: fall back to the name
        return type(handler).__name__ == "DagsterLogHandler"
    return isinstance(handler, DagsterLogHandler)


def relation_dataset(relation: Any) -> Any:
    """The ``dlt.Dataset`` a ``dlt.Relation`` reads from. Non-public: ``Relation._dataset``."""
    return relation._dataset


def relation_table_name(relation: Any) -> Optional[str]:
    """The table a ``dlt.Relation`` reads (``None`` for a query). Non-public:
    ``Relation._table_name``."""
    return relation._table_name


def dataset_destination(dataset: Any) -> Any:
    """The destination of a ``dlt.Dataset``. Non-public: ``Dataset._destination``."""
    return dataset._destination


def normalized_packages(pipeline: Pipeline) -> Any:
    """dlt's storage of ``pipeline``'s normalized load packages (a ``PackageStorage``).

    Non-public: ``Pipeline._get_load_storage``. Recovery reads job states and pending
    transitions there, and puts jobs back to ``new_jobs`` to load them again.
    """
    return pipeline._get_load_storage().normalized_packages


def outcome_recorded(packages: Any, load_id: str, file_name: str) -> bool:
    """Whether dlt recorded the outcome of a started job: the pending-transition marker that a
    load worker writes after the destination committed (or failed) the job, before the job's
    file moves to ``completed_jobs``. Without a marker, the job's rows may or may not be in."""
    pending = packages.load_pending_transition(load_id, file_name)
    return pending is not None and pending[0] in ("completed", "failed")


def forget_outcome(packages: Any, load_id: str, file_name: str) -> None:
    """Drop a started job's pending-transition marker, so that dlt runs the job again."""
    packages.clear_pending_transition(load_id, file_name)


def requeue_completed_job(packages: Any, load_id: str, file_name: str) -> None:
    """Move a completed job's file back to ``new_jobs``: the next load runs it again."""
    storage = packages.storage
    storage.atomic_rename(
        packages.get_job_file_path(load_id, "completed_jobs", file_name),
        packages.get_job_file_path(load_id, "new_jobs", file_name),
    )


def functions_registered_as(section: str, name: str) -> list[Any]:
    """The source and resource functions dlt registered under ``section`` and ``name`` (dlt's
    ``SourceReference`` registry): a source and its resource may share both.

    Non-public: ``SourceReference.SOURCES``. Each item has ``SPEC`` (the function's config spec)
    and ``factory`` (the function as decorated).
    """
    return [
        ref
        for ref in list(SourceReference.SOURCES.values())
        if ref.section == section and ref.name == name
    ]


def last_config_of(function: Any) -> Optional[BaseConfiguration]:
    """The configuration dlt last resolved when ``function`` (a registered factory) was called.

    Non-public: ``dlt.common.configuration.inject.get_fun_last_config``.
    """
    config = get_fun_last_config(function)
    return config if isinstance(config, BaseConfiguration) else None


def signature_spec_of_source(function: Any) -> Optional[type[BaseConfiguration]]:
    """The config spec dlt synthesized from a ``@dlt.source`` function's signature.

    Non-public: ``get_fun_spec`` and ``DltSourceFactoryWrapper._f``, the wrapped function on
    which dlt keeps that spec.
    """
    return get_fun_spec(function._f)


def document_of_provider(provider: Any) -> Optional[str]:
    """The TOML text of a ``secrets.toml``/``config.toml`` provider, or ``None`` for providers
    that hold no document (environment variables, vaults).

    Non-public: ``BaseDocProvider`` and its ``to_toml``.
    """
    if not isinstance(provider, BaseDocProvider):
        return None
    return str(provider.to_toml())


def dlt_logger() -> logging.Logger:
    """The logger dlt logs to, created now if dlt has not initialized its runtime yet, so that a
    handler added to it lands on the logger dlt will use.

    Non-public: ``dlt.common.runtime.logger.LOGGER``, and ``Container()[PluggableRunContext]``,
    which makes dlt initialize its runtime (and logger) as its first pipeline or config access
    would.
    """
    from dlt.common import logger as runtime_logger
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

    if runtime_logger.LOGGER is None:
        Container()[PluggableRunContext]
    return runtime_logger.LOGGER or logging.getLogger("dlt")


def staged_tables(pipeline: Pipeline, schema: Any, tables: Iterable[str]) -> set[str]:
    """The tables among ``tables`` that dlt loads through the staging dataset (a ``merge``, a
    ``replace`` from staging), a nested table with its root.

    Non-public: the job client's ``should_load_data_to_staging_dataset`` and
    ``prepare_load_table``, which apply the destination's replace strategy; destinations
    without a staging dataset (the filesystem) stage nothing.
    """
    from dlt.common.schema.utils import get_root_table

    staged = set()
    with pipeline.destination_client(schema.name) as client:
        decide = getattr(client, "should_load_data_to_staging_dataset", None)
        if decide is None:
            return staged
        for name in tables:
            root = get_root_table(schema.tables, name)["name"]
            if decide(root):
                staged.add(name)
    return staged


def local_defs_state_path(key: str, project_root: Any) -> Any:
    """The file where ``LOCAL_FILESYSTEM`` definitions state of ``key`` is kept in a project.

    Non-public: ``dagster.components.utils.project_paths.get_local_state_path``, which
    ``StateBackedComponent`` and ``dg utils refresh-defs-state`` write and read through.
    """
    from dagster.components.utils.project_paths import get_local_state_path

    return get_local_state_path(key, project_root)


def store_defs_state_version(instance: Any, key: str, path: Any) -> Optional[str]:
    """Store the state file at ``path`` as a new latest version of ``key`` in the instance's
    defs state storage; ``None`` when the instance has none.

    Non-public: ``DagsterInstance.defs_state_storage`` and ``DefsStateStorage
    .upload_state_from_path``, which also makes the upload the latest version.
    """
    import uuid

    storage = getattr(instance, "defs_state_storage", None)
    if storage is None:
        return None
    version = str(uuid.uuid4())
    storage.upload_state_from_path(key, version=version, path=path)
    return version


def decode_stored_state(pipeline_name: str, text: str) -> dict[str, Any]:
    """A pipeline state as dlt stores it in ``_dlt_pipeline_state.state`` (compressed, of any
    engine version), decoded and migrated to the current engine.

    Non-public: ``dlt.pipeline.state_sync.decompress_state`` and ``migrate_state_to_current``,
    which dlt's own restore uses; dlt exposes only the newest stored state.
    """
    from dlt.pipeline.state_sync import decompress_state, migrate_state_to_current

    return dict(migrate_state_to_current(pipeline_name, decompress_state(text)))


def filesystem_file_name_layout(client: Any) -> str:
    """The file-name part of the layout the filesystem destination names data files with, as dlt
    renders it (``{load_id}.{file_id}.{ext}`` for the default layout). Non-public:
    ``path_utils._ensure_ext_in_layout``, which appends ``.{ext}`` to a layout without it when
    dlt makes a job's path."""
    from dlt.destinations import path_utils

    layout = str(client.config.layout)
    layout = path_utils._ensure_ext_in_layout(layout, path_utils.get_placeholders(layout))
    return layout.replace("\\", "/").rsplit("/", 1)[-1]


def filesystem_name_separator() -> str:
    """What joins the parts of the names of the files of dlt's own tables on the filesystem
    destination: ``_dlt_loads/{schema_name}__{load_id}.jsonl`` (``_store_load``, status 0),
    ``_dlt_pipeline_state/{pipeline_name}__{load_id}__{version_hash}.jsonl``
    (``_get_state_file_name``). Non-public: ``FILENAME_SEPARATOR`` and those methods."""
    from dlt.destinations.impl.filesystem.filesystem import FILENAME_SEPARATOR

    return str(FILENAME_SEPARATOR)
