"""Give every run its own dlt working directory.

Two runs of one pipeline that share ``~/.dlt/pipelines/<name>`` overwrite each other's packages,
schemas and state (dagster-io/dagster#21022). When dlt can restore state from the destination, a
run therefore works on a copy of the user's pipeline in a fresh temporary ``pipelines_dir``: same
pipeline name, destination and dataset, state and schemas restored from the destination at the
start of the run, directory removed at the end. Leftover packages from a crashed run cannot be
picked up, because no run ever sees another run's directory.

When dlt cannot restore from the destination (``restore_from_destination=false``, or a destination
without state sync such as a ``@dlt.destination`` sink), local state is the only copy of the
incremental cursors, so the run uses the user's own working directory; pending packages left by a
crashed run are aborted first, which restores local state to before them, so nothing is lost.
"""

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from dlt.common.configuration.container import Container
from dlt.common.destination.client import WithStateSync
from dlt.common.pipeline import PipelineContext
from dlt.pipeline.pipeline import Pipeline

__all__ = ["isolated_pipeline", "restores_from_destination"]


def restores_from_destination(pipeline: Pipeline) -> bool:
    """Whether dlt restores this pipeline's state and schemas from its destination."""
    destination = pipeline.destination
    if destination is None or not pipeline.config.restore_from_destination:
        return False
    try:
        return issubclass(destination.client_class, WithStateSync)
    except Exception:
        # A destination whose client cannot be imported will fail the run with dlt's own error.
        return False


@contextmanager
def isolated_pipeline(pipeline: Pipeline, log: logging.Logger) -> Iterator[Pipeline]:
    """The pipeline a run should use, in a working directory no other run shares."""
    if not restores_from_destination(pipeline):
        _abort_leftover_packages(pipeline, log)
        yield pipeline
        return
    context = Container()[PipelineContext]
    previous = context.pipeline() if context.is_active() else None
    working_dir = tempfile.mkdtemp(prefix=f"dagster-dlt-{pipeline.pipeline_name}-")
    try:
        yield _copy_into(pipeline, working_dir)
    finally:
        # The copy was dlt's active pipeline during the run; its directory is about to go, so
        # hand dlt.current.pipeline() back to what it was before.
        if previous is not None:
            previous.activate()
        else:
            context.deactivate()
        shutil.rmtree(working_dir, ignore_errors=True)


def _copy_into(pipeline: Pipeline, pipelines_dir: str) -> Pipeline:
    storage = pipeline._schema_storage_config  # import/export schema paths live only here
    copy = type(pipeline)(
        pipeline.pipeline_name,
        pipelines_dir,
        pipeline.pipeline_salt,
        pipeline.destination,
        pipeline.staging,
        # The resolved name: with dev_mode it already carries its suffix, which must not change.
        pipeline.dataset_name,
        storage.import_schema_path if storage else None,
        storage.export_schema_path if storage else None,
        False,
        pipeline.collector,
        False,
        pipeline.config,
        refresh=pipeline.refresh,
    )
    copy.activate()
    return copy


def _abort_leftover_packages(pipeline: Pipeline, log: logging.Logger) -> None:
    if not pipeline.has_pending_data:
        return
    pending = pipeline.list_extracted_load_packages() + pipeline.list_normalized_load_packages()
    log.warning(
        f"dlt pipeline '{pipeline.pipeline_name}' has {len(pending)} unfinished load package(s) "
        f"from an earlier run ({', '.join(pending)}). Aborting them and restoring local state to "
        "before them, so this run extracts that data again."
    )
    pipeline.abort_packages()
