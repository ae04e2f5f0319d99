"""Contract tests: one per use of dlt's non-public API (all of them live in dagster_dlt/_seams/).

Each test states the assumption it checks. When a dlt release breaks one, the failure names the
installed dlt version and that assumption, so an upgrade fails here and not deep inside a run.
"""

import inspect
import json
from datetime import datetime, timezone

import dlt
import pytest
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals
from tests.support.contracts import contract
from tests.support.dlt_fixtures import count_rows, shop


def test_pipeline_init_takes_the_keywords_copy_pipeline_passes(
    make_pipeline, tmp_path, duckdb_path
):
    with contract(
        "Pipeline.__init__ takes pipeline_name, pipelines_dir, pipeline_salt, destination, staging, "
        "dataset_name, import_schema_path, export_schema_path, dev_mode, progress, "
        "must_attach_to_local_pipeline, config and refresh as keywords, and "
        "_schema_storage_config holds the schema paths"
    ):
        parameters = set(inspect.signature(Pipeline.__init__).parameters) - {"self"}
        assert parameters == {
            "pipeline_name",
            "pipelines_dir",
            "pipeline_salt",
            "destination",
            "staging",
            "dataset_name",
            "import_schema_path",
            "export_schema_path",
            "dev_mode",
            "progress",
            "must_attach_to_local_pipeline",
            "config",
            "refresh",
        }
        pipeline = make_pipeline(export_schema_path=str(tmp_path / "exported"))
        copy = internals.copy_pipeline(pipeline, str(tmp_path / "copy_dir"))
        assert copy.pipelines_dir == str(tmp_path / "copy_dir")
        assert (copy.pipeline_name, copy.dataset_name) == (pipeline.pipeline_name, "raw")
        assert copy._schema_storage_config.export_schema_path == str(tmp_path / "exported")
        copy.run(shop(), refresh=None)
        assert count_rows(duckdb_path, "raw", "customers") == 2


def test_a_transformers_pipe_leads_to_its_root_resource():
    with contract("DltResource._pipe has .has_parent, .parent, .name and .steps"):
        resources = shop().resources
        assert internals.root_resource_name(resources["orders"]) == "customers"
        assert internals.root_resource_name(resources["customers"]) == "customers"
        steps = internals.resource_steps(resources["customers"])
        assert len(steps) == 1 and steps[0].__doc__.strip() == "Customers of the shop."


def test_the_active_pipeline_can_be_read_and_handed_back(make_pipeline):
    with contract("PipelineContext is in the Container with is_active(), pipeline(), deactivate()"):
        first = make_pipeline("first")
        first.activate()
        assert internals.active_pipeline() is first
        make_pipeline("second").activate()
        internals.reactivate(first)
        assert dlt.current.pipeline() is first
        internals.reactivate(None)
        assert internals.active_pipeline() is None


def test_missing_config_carries_lookup_traces(monkeypatch):
    @dlt.source
    def needs_token(token: str = dlt.secrets.value):
        return dlt.resource([1], name="numbers")

    with contract(
        "ConfigFieldMissingException.traces maps fields to LookupTrace(provider, key, sections)"
    ):
        with pytest.raises(ConfigFieldMissingException) as raised:
            needs_token()
        traces = raised.value.traces["token"]
        found = [t for t in traces if isinstance(t, internals.LookupTrace)]
        assert found and all(hasattr(t, a) for t in found for a in ("provider", "key", "sections"))
        assert any(t.key == "SOURCES__NEEDS_TOKEN__TOKEN" for t in found)
        assert issubclass(internals.LookupTraces, object) and hasattr(
            internals.LookupTraces, "__init__"
        )


def test_an_external_interval_bounds_incrementals_that_allow_it(make_pipeline, duckdb_path):
    @dlt.resource(primary_key="id")
    def events(
        at=dlt.sources.incremental(
            "at",
            initial_value=datetime(2020, 1, 1, tzinfo=timezone.utc),
            allow_external_schedulers=True,
        ),
    ):
        yield [{"id": day, "at": datetime(2024, 1, day, tzinfo=timezone.utc)} for day in (1, 2, 3)]

    with contract(
        "TimeIntervalContext(interval=(start, end)) injected in the Container bounds "
        "incrementals with allow_external_schedulers=True"
    ):
        pipeline = make_pipeline()
        start, end = (
            datetime(2024, 1, 2, tzinfo=timezone.utc),
            datetime(2024, 1, 3, tzinfo=timezone.utc),
        )
        with internals.external_schedule_interval(start, end):
            pipeline.run(events())
        assert count_rows(duckdb_path, "raw", "events") == 1


def test_without_an_interval_external_scheduler_incrementals_run_from_their_cursor(
    make_pipeline, duckdb_path
):
    @dlt.source
    def calendar():
        @dlt.resource(primary_key="id")
        def events(
            at=dlt.sources.incremental(
                "at",
                initial_value=datetime(2024, 1, 1, tzinfo=timezone.utc),
                allow_external_schedulers=True,
            ),
        ):
            yield [
                {"id": day, "at": datetime(2024, 1, day, tzinfo=timezone.utc)} for day in (1, 2, 3)
            ]

        return events

    with contract(
        "IncrementalResourceWrapper._allow_external_schedulers=False overrides the declared "
        "True at bind; restoring it and _incremental lets the next run join an interval"
    ):
        source = calendar()
        pipeline = make_pipeline()
        assert internals.offered_interval() is None
        with internals.without_external_scheduler(source.selected_resources.values()):
            # A clone per run, as DagsterDltResource runs a source.
            pipeline.run(source.with_resources("events"))
        assert count_rows(duckdb_path, "raw", "events") == 3  # from initial_value
        start = datetime(2024, 1, 2, tzinfo=timezone.utc)
        with internals.external_schedule_interval(start, datetime(2024, 1, 3, tzinfo=timezone.utc)):
            assert internals.offered_interval() is not None
            pipeline.run(source.with_resources("events"))
        assert (
            count_rows(duckdb_path, "raw", "events") == 4
        )  # the window (day 2), behind the cursor


def test_state_syncing_destinations_are_recognised(make_pipeline, tmp_path):
    with contract("Destination.client_class and WithStateSync tell destinations that store state"):
        assert internals.syncs_state(make_pipeline()) is True
        assert (
            internals.syncs_state(
                dlt.pipeline(
                    "fs",
                    pipelines_dir=str(tmp_path / "p"),
                    destination=dlt.destinations.filesystem(str(tmp_path / "lake")),
                )
            )
            is True
        )

        @dlt.destination
        def sink(items, table) -> None:
            pass

        assert (
            internals.syncs_state(
                dlt.pipeline("sink", pipelines_dir=str(tmp_path / "p"), destination=sink)
            )
            is False
        )
    # dlt.pipeline() made the sink pipeline the active one, and dlt gives sources created while
    # it is active its max_table_nesting of 0: leave no pipeline active for the next test.
    internals.reactivate(None)


def test_a_relation_knows_its_dataset_and_table_and_a_dataset_its_destination(make_pipeline):
    pipeline = make_pipeline()
    pipeline.run(shop())
    with contract("dlt.Relation keeps ._dataset and ._table_name, dlt.Dataset keeps ._destination"):
        dataset = pipeline.dataset()
        relation = dataset.table("customers")
        assert internals.relation_dataset(relation) is dataset
        assert internals.relation_table_name(relation) == "customers"
        assert internals.relation_table_name(dataset.query("SELECT 1")) is None
        assert internals.dataset_destination(dataset).destination_name == "duckdb"


def test_dagsters_log_capture_handler_is_recognised():
    import logging

    with contract("dagster._core.log_manager.DagsterLogHandler is the managed loggers' handler"):
        from dagster._core.log_manager import DagsterLogHandler

        assert internals.is_dagster_log_capture(DagsterLogHandler.__new__(DagsterLogHandler))
        assert not internals.is_dagster_log_capture(logging.StreamHandler())


def test_a_normalized_package_s_jobs_can_be_read_requeued_and_their_markers_forgotten(
    make_pipeline, duckdb_path
):
    pipeline = make_pipeline()
    pipeline.extract(shop())
    pipeline.normalize()
    with contract(
        "Pipeline._get_load_storage().normalized_packages is a PackageStorage whose "
        "list_all_jobs_with_states gives (state, ParsedLoadJobFileName) pairs, whose started "
        "jobs keep a pending-transition marker (save/load/clear_pending_transition), and whose "
        "job files move between state folders with storage.atomic_rename"
    ):
        packages = internals.normalized_packages(pipeline)
        (load_id,) = packages.list_packages()
        jobs = packages.list_all_jobs_with_states(load_id)
        assert {state for state, _ in jobs} == {"new_jobs"}
        job = next(job for _, job in jobs if job.table_name == "customers")
        packages.start_job(load_id, job.file_name())
        assert not internals.outcome_recorded(packages, load_id, job.file_name())
        packages.save_pending_transition(load_id, job.file_name(), "completed")
        assert internals.outcome_recorded(packages, load_id, job.file_name())
        internals.forget_outcome(packages, load_id, job.file_name())
        assert not internals.outcome_recorded(packages, load_id, job.file_name())
        packages.complete_job(load_id, job.file_name())
        internals.requeue_completed_job(packages, load_id, job.file_name())
        assert job.file_name() in [name.split("/")[-1] for name in packages.list_new_jobs(load_id)]
    # The package still loads: every job, the requeued one included.
    pipeline.load()
    assert count_rows(duckdb_path, "raw", "customers") == 2


@dlt.source(name="ticketing")
def ticketing(api_token: str = dlt.secrets.value, region: str = "eu"):
    @dlt.resource
    def tickets():
        yield {"id": 1}

    return tickets


def test_dlt_remembers_a_source_function_by_section_and_name_with_its_last_config(monkeypatch):
    monkeypatch.setenv("SOURCES__TICKETING__API_TOKEN", "contract-token-1234")
    source = ticketing()
    with contract(
        "SourceReference.SOURCES registers a source function under its section and name, with "
        "its SPEC and factory; get_fun_last_config(factory) is the configuration last resolved"
    ):
        registered = internals.functions_registered_as(source.section, source.name)
        assert registered, (source.section, source.name)
        assert any("api_token" in ref.SPEC.get_resolvable_fields() for ref in registered)
        configs = [internals.last_config_of(ref.factory) for ref in registered]
        assert any(c is not None and c.api_token == "contract-token-1234" for c in configs)


def test_a_source_function_keeps_the_spec_of_its_signature():
    from dlt.common.configuration.specs.base_configuration import is_secret_hint

    with contract("get_fun_spec(wrapper._f) is the spec dlt made from a source's signature"):
        spec = internals.signature_spec_of_source(ticketing)
        fields = spec.get_resolvable_fields()
        assert is_secret_hint(fields["api_token"]) and not is_secret_hint(fields["region"])


def test_a_secrets_toml_provider_gives_its_document(tmp_path, monkeypatch):
    from dlt.common.configuration.providers import EnvironProvider, SecretsTomlProvider

    (tmp_path / "secrets.toml").write_text('[sources.ticketing]\napi_token = "toml-token-5678"\n')
    with contract("a secrets.toml provider is a BaseDocProvider whose to_toml() is its text"):
        provider = SecretsTomlProvider(settings_dir=str(tmp_path))
        assert 'api_token = "toml-token-5678"' in internals.document_of_provider(provider)
        assert internals.document_of_provider(EnvironProvider()) is None


def test_dlts_logger_exists_once_its_runtime_is_initialized():
    import logging

    with contract("dlt.common.logger.LOGGER is dlt's logger once PluggableRunContext exists"):
        logger = internals.dlt_logger()
        from dlt.common import logger as runtime_logger

        assert isinstance(logger, logging.Logger)
        assert logger is runtime_logger.LOGGER


def test_merge_and_staged_replace_tables_are_known_to_load_through_the_staging_dataset(
    make_pipeline,
):
    @dlt.resource(primary_key="id", write_disposition="merge")
    def orders():
        yield {"id": 1, "items": [{"sku": "a"}]}

    @dlt.resource(write_disposition="append")
    def events():
        yield {"id": 1}

    pipeline = make_pipeline()
    pipeline.extract([orders(), events()])
    pipeline.normalize()
    schema = pipeline.default_schema
    with contract(
        "the job client's should_load_data_to_staging_dataset(root) is true for merge tables"
    ):
        staged = internals.staged_tables(pipeline, schema, ["orders", "orders__items", "events"])
        assert staged == {"orders", "orders__items"}


def test_every_stored_state_row_can_be_decoded(make_pipeline):
    @dlt.resource
    def ids(cursor=dlt.sources.incremental("id")):
        yield [{"id": 1}, {"id": 2}]

    pipeline = make_pipeline()
    pipeline.run(ids())
    with contract(
        "_dlt_pipeline_state.state holds dlt's compressed state, which decompress_state and "
        "migrate_state_to_current turn into the state dlt restores"
    ):
        ((text,),) = pipeline.dataset().query("SELECT state FROM _dlt_pipeline_state").fetchall()
        state = internals.decode_stored_state(pipeline.pipeline_name, text)
        assert state["pipeline_name"] == pipeline.pipeline_name
        cursor = state["sources"][pipeline.default_schema_name]["resources"]["ids"]["incremental"]
        assert cursor["id"]["last_value"] == 2


def test_the_filesystem_destination_names_its_files_after_their_load(tmp_path):
    @dlt.resource
    def ids():
        dlt.current.resource_state()["seen"] = 1  # a state change: the load stores its state
        yield {"id": 1}

    with contract(
        "the filesystem destination names data files by its layout's last part, with '.{ext}' "
        "appended when the layout has none (path_utils._ensure_ext_in_layout), a load's "
        "_dlt_loads entry _dlt_loads/{schema}__{load_id}.jsonl with status 0, and its state "
        "_dlt_pipeline_state/{pipeline}__{load_id}__{hash}.jsonl (FILENAME_SEPARATOR)"
    ):
        separator = internals.filesystem_name_separator()
        cases = [
            ("default", {}, "{load_id}.{file_id}.{ext}", "."),
            (
                "no_ext",
                {"layout": "{table_name}/{load_id}-{file_id}"},
                "{load_id}-{file_id}.{ext}",
                "-",
            ),
        ]
        for name, layout, expected, after_load_id in cases:
            lake = tmp_path / name
            pipeline = dlt.pipeline(
                f"fs_names_{name}",
                pipelines_dir=str(tmp_path / "p"),
                destination=dlt.destinations.filesystem(str(lake), **layout),
                dataset_name="d",
            )
            load_id = pipeline.run(ids()).loads_ids[0]
            client = pipeline.destination_client()
            assert internals.filesystem_file_name_layout(client) == expected
            (data_file,) = client.list_table_files("ids")
            file_name = data_file.replace("\\", "/").rsplit("/", 1)[-1]
            assert file_name.startswith(f"{load_id}{after_load_id}"), file_name
            assert file_name.endswith(".jsonl.gz"), file_name
            schema = pipeline.default_schema_name
            entry = lake / "d" / "_dlt_loads" / f"{schema}{separator}{load_id}.jsonl"
            assert json.loads(entry.read_text())["status"] == 0
            state = f"{pipeline.pipeline_name}{separator}{load_id}{separator}*.jsonl"
            assert len(list((lake / "d" / "_dlt_pipeline_state").glob(state))) == 1
    internals.reactivate(None)  # leave no pipeline active for the next test
