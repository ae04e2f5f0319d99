"""``DagsterDltResource``: runs a dlt pipeline inside a Dagster step and reports what landed."""

from typing import Any, Optional

from dagster import ConfigurableResource
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.asset_decorator import check_not_exhausted
from dagster_dlt.dlt_event_iterator import DltEventIterator
from dagster_dlt.durability.locking import DEFAULT_TIMEOUT_SECONDS
from dagster_dlt.run.config import DltRunConfig
from dagster_dlt.run.dlt_run import DltEventType, DltRun
from dagster_dlt.run.selection import AnyContext, StepSelection, definition_source, op_context
from dagster_dlt.translator import DagsterDltTranslator

__all__ = ["DagsterDltResource"]


class DagsterDltResource(ConfigurableResource):
    """Runs dlt pipelines from Dagster assets and ops.

    Example:
        .. code-block:: python

            from dagster import AssetExecutionContext, Definitions
            from dagster_dlt import DagsterDltResource, dlt_assets

            @dlt_assets(dlt_source=my_source(), dlt_pipeline=my_pipeline)
            def my_dlt_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
                yield from dlt.run(context=context)

            defs = Definitions(assets=[my_dlt_assets], resources={"dlt": DagsterDltResource()})

    Attributes:
        lock_timeout_seconds: how long a run waits for another process to finish writing to a
            single-writer destination (a DuckDB file) before it fails and names that process.
        progress_interval_seconds: at most one progress line per dlt step this often, in the
            step's event log.
    """

    lock_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    progress_interval_seconds: float = 5.0

    def run(
        self,
        context: AnyContext,
        dlt_source: Optional[DltSource] = None,
        dlt_pipeline: Optional[Pipeline] = None,
        dagster_dlt_translator: Optional[DagsterDltTranslator] = None,
        **kwargs: Any,
    ) -> DltEventIterator[DltEventType]:
        """Load the selected resources and yield one materialization per asset.

        In an asset context (``@dlt_assets``) the source, pipeline and translator default to what
        the asset specs carry; pass ``dlt_source`` to run a source bound to the partition. From an
        ``@op``, ``dlt_source`` and ``dlt_pipeline`` are required and every selected resource of
        the source is loaded and reported as an ``AssetMaterialization``.

        In a ``@dlt_assets`` step, the run configuration (``DltRunConfig``: ``refresh``,
        ``write_disposition``, ``run_kwargs``) is applied on top of ``kwargs``.

        Args:
            context: the asset or op execution context.
            dlt_source: the source to run (required from an ``@op``).
            dlt_pipeline: the pipeline to run it with (required from an ``@op``).
            dagster_dlt_translator: maps resources to asset keys (from an ``@op``).
            **kwargs: passed on to ``dlt.Pipeline.run`` (for example ``write_disposition``).

        Returns:
            An iterator of ``MaterializeResult`` (asset context) or ``AssetMaterialization`` (op
            context); call ``.fetch_row_count()`` on it to add the tables' row counts, and read
            ``.load_info`` and ``.dlt_run`` from it after the load.

        Raises:
            DltSelectionError: the selected assets match no resource of the source.
            DltRunConfigError: the run configuration has a value dlt does not accept.
            DltLoadJobsFailedError: load jobs failed; loaded tables were reported first.
            DltConfigurationError: dlt could not resolve a secret or config value.
            DltSourceExhaustedError: a resource made from a generator object was consumed by an
                earlier run in this process.
        """
        step = op_context(context)
        selection = StepSelection.resolve(step, dlt_source, dlt_pipeline, dagster_dlt_translator)
        check_not_exhausted(selection.source.selected_resources.values())
        arguments = dict(kwargs)
        if selection.built_by_dlt_assets:
            arguments.update(_configured_arguments(step, selection))
        dlt_run = DltRun(
            context=step,
            source=selection.source,
            pipeline=selection.pipeline,
            names_by_key=selection.names_by_key,
            nested=selection.nested,
            as_asset=selection.as_asset,
            run_arguments=arguments,
            lock_timeout=self.lock_timeout_seconds,
            progress_interval=self.progress_interval_seconds,
            source_from_definition=selection.built_by_dlt_assets
            and (dlt_source is None or dlt_source is definition_source(step)),
        )
        return DltEventIterator(dlt_run)


def _configured_arguments(step: Any, selection: StepSelection) -> dict[str, Any]:
    """The run configuration's ``pipeline.run`` arguments, checked before any data moves."""
    arguments = DltRunConfig.from_op_config(step.op_config).pipeline_run_arguments()
    subset = set(selection.names_by_key.values()) != set(selection.source.selected_resources)
    if arguments.get("refresh") == "drop_sources" and subset:
        # drop_sources would drop the tables of resources this run does not load.
        arguments["refresh"] = "drop_resources"
        step.log.info(
            "refresh=drop_sources on a subset of the assets: dropping only the selected "
            f"resources' tables and state ({', '.join(sorted(selection.names_by_key.values()))})."
        )
    if arguments:
        step.log.info(f"Run configuration: {', '.join(f'{k}={v!r}' for k, v in arguments.items())}")
    return arguments
