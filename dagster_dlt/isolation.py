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

from dlt.pipeline.pipeline import Pipeline

from dagster_dlt import internals

__all__ = ["isolated_pipeline", "restores_from_destination"]


def restores_from_destination(pipeline: Pipeline) -> bool:
    """Whether dlt restores this pipeline's state and schemas from its destination."""
    return bool(pipeline.config.restore_from_destination) and internals.syncs_state(pipeline)


@contextmanager
def isolated_pipeline(pipeline: Pipeline, log: logging.Logger) -> Iterator[Pipeline]:
    """The pipeline a run should use, in a working directory no other run shares."""
    if not restores_from_destination(pipeline):
        _abort_leftover_packages(pipeline, log)
        yield pipeline
        return
    previous = internals.active_pipeline()
    working_dir = tempfile.mkdtemp(prefix=f"dagster-dlt-{pipeline.pipeline_name}-")
    try:
        copy = internals.copy_pipeline(pipeline, working_dir)
        copy.activate()
        yield copy
    finally:
        # The copy was dlt's active pipeline during the run; its directory is about to go, so
        # hand dlt.current.pipeline() back to what it was before.
        internals.reactivate(previous)
        shutil.rmtree(working_dir, ignore_errors=True)


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
