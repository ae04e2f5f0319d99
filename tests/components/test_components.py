"""DltLoadCollectionComponent in-process: YAML attributes, Python subclasses, runs and errors.

The real ``dg`` CLI (scaffold, check, list, launch) is in test_components_cli.py.
"""

import os
import re
from pathlib import Path
from textwrap import dedent

import dlt
import pytest
from dagster import (
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    DailyPartitionsDefinition,
    StaticPartitionsDefinition,
    materialize,
)
from dagster.components.testing.utils import component_defs as component_defs_in_python

from dagster_dlt import DagsterDltResource, DltLoadCollectionComponent
from dagster_dlt.components.dlt_load_collection.component import DltLoadSpecModel
from dagster_dlt.components.dlt_load_collection.scaffolder import (
    DltScaffolderParams,
    ScaffoldOptionError,
)
from dagster_dlt.components.dlt_load_collection.templates import (
    DESTINATIONS,
    SOURCES,
    ProjectNames,
    project_names,
    render_loads,
)
from tests.support.components_sandbox import (
    component_defs,
    defs_yaml,
    load,
    load_error,
    only_assets_def,
    sandbox_with,
    shop_loads,
)
from tests.support.dlt_fixtures import count_rows, shop, step_failure_text

# -- compatibility: import paths, keys, deps, op names ------------------------------------------


def test_import_paths_match_the_published_package():
    from dagster_dlt.components.dlt_load_collection.component import (
        DltLoadCollectionComponent as FromModule,
    )

    assert FromModule is DltLoadCollectionComponent
    assert "DltLoadCollectionComponent" in dir(__import__("dagster_dlt"))


def test_default_keys_deps_and_op_name(duckdb_path: Path):
    with component_defs(shop_loads(duckdb_path), defs_yaml(load())) as defs:
        assets_def = only_assets_def(defs)

        assert assets_def.op.name == "dlt_assets_shop_raw"
        # [dataset, table]; the events resource computes its table per item: its name instead.
        assert set(assets_def.keys) == {
            AssetKey(["raw", "customers"]),
            AssetKey(["raw", "orders"]),
            AssetKey(["raw", "events"]),
        }
        deps = {
            spec.key.to_user_string(): [dep.asset_key.to_user_string() for dep in spec.deps]
            for spec in assets_def.specs
        }
        assert deps == {
            "raw/customers": ["shop_customers"],
            "raw/orders": ["shop_customers"],  # a transformer depends on its root resource
            "raw/events": ["shop_events"],
        }


def test_materializes_into_duckdb_with_row_counts_opt_in(duckdb_path: Path):
    yaml_text = defs_yaml(
        load(),
        load(
            source=".loads.quiet_source",
            pipeline=".loads.shop_pipeline",
            include_metadata=["row_count", "column_metadata"],
        ),
    )
    extra = """
        from tests.support.dlt_fixtures import quiet

        quiet_source = quiet()
    """
    with component_defs(shop_loads(duckdb_path, extra=extra), yaml_text) as defs:
        shop_assets = defs.resolve_assets_def(AssetKey(["raw", "customers"]))
        quiet_assets = defs.resolve_assets_def(AssetKey(["raw", "nothing"]))
        result = materialize([shop_assets, quiet_assets])

        assert result.success
        assert count_rows(duckdb_path, "raw", "customers") == 2
        assert count_rows(duckdb_path, "raw", "orders") == 6
        shop_meta = {
            event.asset_key.to_user_string(): event.metadata
            for event in result.asset_materializations_for_node(shop_assets.op.name)
        }
        # Without include_metadata: columns (always reported), no row count.
        assert "dagster/column_schema" in shop_meta["raw/customers"]
        assert "dagster/row_count" not in shop_meta["raw/customers"]
        (quiet_event,) = result.asset_materializations_for_node(quiet_assets.op.name)
        assert quiet_event.metadata["dagster/row_count"].value == 0


def test_component_built_in_python_with_subclass_overrides(duckdb_path: Path):
    calls: list[str] = []

    class TaggedLoads(DltLoadCollectionComponent):
        def get_asset_spec(self, data):
            spec = super().get_asset_spec(data)
            # An override's key is kept: the published component replaced it afterwards.
            return spec.replace_attributes(
                key=AssetKey(["custom", data.resource.name]), tags={"by": "subclass"}
            )

        def execute(self, context: AssetExecutionContext, dlt_pipeline_resource):
            calls.append(context.op_execution_context.op_def.name)
            yield from super().execute(context, dlt_pipeline_resource)

    pipeline = dlt.pipeline(
        pipeline_name="python_built",
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name="raw",
    )
    component = TaggedLoads(
        loads=[DltLoadSpecModel(pipeline=pipeline, source=shop().with_resources("customers"))]
    )
    defs = component_defs_in_python(component=component)
    assets_def = only_assets_def(defs)

    assert list(assets_def.keys) == [AssetKey(["custom", "customers"])]
    assert assets_def.specs_by_key[AssetKey(["custom", "customers"])].tags["by"] == "subclass"
    assert isinstance(component.dlt_pipeline_resource, DagsterDltResource)
    assert materialize([assets_def]).success
    assert calls == ["dlt_assets_shop_raw"]
    assert count_rows(duckdb_path, "raw", "customers") == 2


# -- translation --------------------------------------------------------------------------------


def test_translation_sets_every_attribute_with_resource_pipeline_and_spec(duckdb_path: Path):
    translation = {
        "key": "{{ pipeline.dataset_name }}_copy/{{ resource.name }}",
        "group_name": "{{ pipeline.pipeline_name }}",
        "owners": ["team:data"],
        "tags": {"table": "{{ spec.metadata['dagster/table_name'] }}"},
        "kinds": ["sqlite"],
        "code_version": "7",
        "description": "Loaded by {{ pipeline.pipeline_name }}",
        "metadata": {"resource": "{{ resource.name }}"},
        "deps": ["upstream/{{ resource.name }}"],
        "automation_condition": "{{ automation_condition.eager() }}",
    }
    yaml_text = defs_yaml(load(translation=translation))
    with component_defs(shop_loads(duckdb_path), yaml_text) as defs:
        specs = {spec.key.to_user_string(): spec for spec in only_assets_def(defs).specs}

    spec = specs["raw_copy/customers"]
    assert spec.group_name == "shop_raw"
    assert spec.owners == ["team:data"]
    assert spec.tags["table"] == "customers"
    assert "sqlite" in spec.kinds
    assert spec.code_version == "7"
    assert spec.description == "Loaded by shop_raw"
    assert spec.metadata["resource"] == "customers"
    assert [dep.asset_key for dep in spec.deps] == [AssetKey(["upstream", "customers"])]
    assert spec.automation_condition is not None


def test_translation_key_prefix_prefixes_the_default_key(duckdb_path: Path):
    yaml_text = defs_yaml(load(translation={"key_prefix": "landing"}))
    with component_defs(shop_loads(duckdb_path), yaml_text) as defs:
        keys = set(only_assets_def(defs).keys)

    assert AssetKey(["landing", "raw", "customers"]) in keys


# -- partitions, backfill policy, op --------------------------------------------------------------


def test_partitions_and_backfill_policy(duckdb_path: Path):
    yaml_text = defs_yaml(
        load(partitions_def={"type": "daily", "start_date": "2024-01-01"}),
        load(
            pipeline=".loads.other_pipeline",
            partitions_def={"type": "static", "partition_keys": ["eu", "us"]},
            backfill_policy={"type": "multi_run", "max_partitions_per_run": 2},
        ),
    )
    extra = f"""
        other_pipeline = dlt.pipeline(
            pipeline_name="other",
            destination=dlt.destinations.duckdb(r"{duckdb_path}"),
            dataset_name="other",
        )
    """
    with component_defs(shop_loads(duckdb_path, extra=extra), yaml_text) as defs:
        daily = defs.resolve_assets_def(AssetKey(["raw", "customers"]))
        static = defs.resolve_assets_def(AssetKey(["other", "customers"]))

        assert isinstance(daily.partitions_def, DailyPartitionsDefinition)
        # Time windows default to one run for a whole backfill, as @dlt_assets does.
        assert daily.backfill_policy == BackfillPolicy.single_run()
        assert isinstance(static.partitions_def, StaticPartitionsDefinition)
        assert static.backfill_policy == BackfillPolicy.multi_run(max_partitions_per_run=2)
        result = materialize([static], partition_key="eu")
        assert result.success
        assert count_rows(duckdb_path, "other", "customers") == 2


def test_op_block_sets_name_tags_pool_and_backfill_policy(duckdb_path: Path):
    op = {
        "name": "shop_load",
        "tags": {"team": "data"},
        "pool": "duckdb_writer",
        "backfill_policy": {"type": "single_run"},
    }
    yaml_text = defs_yaml(
        load(op=op, partitions_def={"type": "static", "partition_keys": ["a", "b"]})
    )
    with component_defs(shop_loads(duckdb_path), yaml_text) as defs:
        assets_def = only_assets_def(defs)

        assert assets_def.op.name == "shop_load"
        assert assets_def.op.tags["team"] == "data"
        assert assets_def.op.pool == "duckdb_writer"
        assert assets_def.backfill_policy == BackfillPolicy.single_run()
        assert materialize([assets_def], partition_key="a").success


def test_two_loads_with_one_op_name_is_an_error_naming_both(duckdb_path: Path):
    error = load_error(shop_loads(duckdb_path), defs_yaml(load(), load()))

    assert "load 1 of" in error and "load 0 of" in error
    assert "dlt_assets_shop_raw" in error and "op:" in error


def test_backfill_policy_in_two_places_is_an_error(duckdb_path: Path):
    both = load(
        backfill_policy={"type": "single_run"},
        op={"backfill_policy": {"type": "single_run"}},
        partitions_def={"type": "static", "partition_keys": ["a"]},
    )
    error = load_error(shop_loads(duckdb_path), defs_yaml(both))

    assert "defs.yaml" in error and "load 0" in error
    assert "'backfill_policy' and 'op.backfill_policy'" in error


# -- uncalled @dlt.source functions ---------------------------------------------------------------

SECRET_LOADS = """
import dlt


@dlt.source
def secured(api_key: str = dlt.secrets.value, region: str = "eu"):
    @dlt.resource
    def items():
        yield [{{"id": 1, "region": region, "key_matches": api_key == "s3cret-value"}}]

    @dlt.resource
    def more():
        yield [{{"id": 2}}]

    return items, more


secured_pipeline = dlt.pipeline(
    pipeline_name="secured",
    destination=dlt.destinations.duckdb(r"{duckdb_path}"),
    dataset_name="secured_data",
)
"""


def test_uncalled_source_function_loads_without_secrets_and_resolves_them_at_run_time(
    duckdb_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("SOURCES__LOADS__SECURED__API_KEY", raising=False)
    yaml_text = defs_yaml(load(source=".loads.secured", pipeline=".loads.secured_pipeline"))
    loads_py = SECRET_LOADS.format(duckdb_path=duckdb_path)
    with component_defs(loads_py, yaml_text) as defs:
        assets_def = only_assets_def(defs)
        assert assets_def.op.name == "dlt_assets_secured_secured_data"
        assert set(assets_def.keys) == {
            AssetKey(["secured_data", "items"]),
            AssetKey(["secured_data", "more"]),
        }

        # No secret: the run fails and says where to set it.
        failed = materialize([assets_def], raise_on_error=False)
        assert not failed.success
        message = step_failure_text(failed)
        assert "DltConfigurationError" in message
        assert "'api_key' is not set" in message
        assert "SOURCES__LOADS__SECURED__API_KEY" in message
        assert "defs.yaml" in message and "load 0" in message

        monkeypatch.setenv("SOURCES__LOADS__SECURED__API_KEY", "s3cret-value")
        result = materialize([assets_def])
        assert result.success
        with __import__("duckdb").connect(str(duckdb_path), read_only=True) as db:
            row = db.execute("SELECT region, key_matches FROM secured_data.items").fetchone()
        assert row == ("eu", True)
        # The secret itself appears in no metadata.
        for event in result.get_asset_materialization_events():
            metadata = event.step_materialization_data.materialization.metadata
            assert "s3cret-value" not in repr(metadata)


def test_uncalled_source_function_that_reads_its_secret_when_called_is_a_clear_error(
    duckdb_path: Path,
):
    loads_py = dedent(
        f"""
        import dlt


        @dlt.source
        def eager(api_key: str = dlt.secrets.value):
            headers = {{"Authorization": f"Bearer {{api_key}}"}}  # read at call time

            @dlt.resource
            def items():
                yield [{{"id": 1, "n": len(headers)}}]

            return items


        eager_pipeline = dlt.pipeline(
            pipeline_name="eager",
            destination=dlt.destinations.duckdb(r"{duckdb_path}"),
            dataset_name="eager_data",
        )
        """
    )
    yaml_text = defs_yaml(load(source=".loads.eager", pipeline=".loads.eager_pipeline"))
    error = load_error(loads_py, yaml_text)

    assert "defs.yaml" in error and "load 0" in error
    assert "reads its argument 'api_key'" in error
    assert "eager()" in error  # says how to call it in the loads module instead


def test_every_template_source_builds_its_assets_without_configuration(tmp_path: Path):
    expected = {
        # The published scaffold's keys (its own test expects them).
        None: {("example", "hello_world")},
        "sql_database": {("sql_database", "customers"), ("sql_database", "orders")},
        "rest_api": {("rest_api", "pokemon"), ("rest_api", "berry")},
        "filesystem": {("filesystem", "csv_files")},
        "github": {("github", "issues"), ("github", "comments"), ("github", "traffic_clones")},
        "gharchive": {("gharchive", "push_event"), ("gharchive", "watch_event")},
    }
    for name in ("SOURCES__SQL_DATABASE__CREDENTIALS", "SOURCES__FILESYSTEM__BUCKET_URL"):
        assert name not in os.environ
    # A project's names change the pipeline and the DuckDB file, never the keys.
    in_project = ProjectNames(
        pipeline_name="proj_load_0a1b2c", duckdb_file="proj.duckdb", levels_up=1
    )
    for source, keys in expected.items():
        for names in (None, in_project):
            loads = render_loads(source, "snowflake" if source == "github" else None, names)
            yaml_text = defs_yaml(
                load(
                    source=f".loads.{loads.source_attribute}",
                    pipeline=f".loads.{loads.pipeline_attribute}",
                )
            )
            with component_defs(loads.text, yaml_text) as defs:
                found = {tuple(key.path) for key in only_assets_def(defs).keys}
            assert found == keys, (source, names)


def test_project_names_are_the_projects_own(tmp_path: Path):
    first = project_names(tmp_path / "a" / "my-project", tmp_path / "a" / "my-project" / "defs")
    root = tmp_path / "b" / "my-project"
    nested = project_names(root, root / "src" / "my_project" / "defs" / "raw" / "Shop-DB")

    assert first is not None and nested is not None
    assert re.fullmatch(r"my_project_raw_shop_db_[0-9a-f]{6}", nested.pipeline_name)
    assert nested.duckdb_file == "my_project.duckdb"
    assert nested.levels_up == 5  # loads.py's folder -> Shop-DB, raw, defs, my_project, src
    # One project name in two folders: two pipelines.
    again = project_names(tmp_path / "a" / "my-project", tmp_path / "a" / "my-project" / "raw")
    assert again is not None and first.pipeline_name[-6:] == again.pipeline_name[-6:]
    assert first.pipeline_name[-6:] != nested.pipeline_name[-6:]
    assert project_names(root, tmp_path / "elsewhere") is None


def test_a_scaffolded_load_writes_the_duckdb_file_at_the_project_root(tmp_path: Path):
    # The sandbox's loads.py is <defs folder>/load/loads.py: one level up is the defs folder.
    names = ProjectNames(
        pipeline_name="sandbox_load_0a1b2c", duckdb_file="proj.duckdb", levels_up=1
    )
    loads = render_loads(None, "duckdb", names)
    yaml_text = defs_yaml(load(source=".loads.my_load_source", pipeline=".loads.my_load_pipeline"))

    with sandbox_with(loads.text, yaml_text) as sandbox, sandbox.build_all_defs() as defs:
        assets_def = only_assets_def(defs)
        assert {tuple(key.path) for key in assets_def.keys} == {("example", "hello_world")}
        assert materialize([assets_def]).success
        duckdb_file = sandbox.defs_folder_path / "proj.duckdb"
        assert count_rows(duckdb_file, "example", "hello_world") == 2
    assert not (tmp_path / "warehouse.duckdb").exists()  # not in the working directory


def test_the_component_docstring_lists_the_scaffold_options():
    # `dg scaffold defs dagster_dlt.DltLoadCollectionComponent --help` shows it.
    doc = " ".join((DltLoadCollectionComponent.__doc__ or "").split())
    assert "--source:" in doc and "--destination:" in doc
    for name in (*SOURCES, *DESTINATIONS):
        assert name in doc, name


def test_bad_scaffold_params_are_click_errors_not_validation_errors():
    # dg prints a click error as one line; a pydantic ValidationError as JSON.
    with pytest.raises(ScaffoldOptionError, match="--source: No template for dlt source 'x'"):
        DltScaffolderParams(source="x")
    with pytest.raises(ScaffoldOptionError, match="No template for dlt destination 'y'"):
        DltScaffolderParams.model_validate({"destination": "y"})
    with pytest.raises(ScaffoldOptionError, match="Unknown scaffold option 'sorce'"):
        DltScaffolderParams.model_validate({"sorce": "sql_database"})
    assert DltScaffolderParams(source="sql_database").destination is None


def test_unknown_template_names_are_clear_errors():
    with pytest.raises(ValueError, match="No template for dlt source 'mongodb'") as raised:
        render_loads("mongodb", "duckdb")
    assert "sql_database, rest_api, filesystem, github, gharchive" in str(raised.value)
    assert "scaffold without --source and edit loads.py" in str(raised.value)
    with pytest.raises(ValueError, match="No template for dlt destination 'bigquery'"):
        render_loads(None, "bigquery")


# -- run configuration ----------------------------------------------------------------------------


def test_refresh_run_configuration_reloads_from_scratch(duckdb_path: Path):
    loads_py = dedent(
        f"""
        import dlt


        @dlt.source
        def counter():
            @dlt.resource(write_disposition="append")
            def ticks():
                yield [{{"n": 1}}, {{"n": 2}}]

            return ticks


        counter_source = counter()
        counter_pipeline = dlt.pipeline(
            pipeline_name="counter",
            destination=dlt.destinations.duckdb(r"{duckdb_path}"),
            dataset_name="counts",
        )
        """
    )
    yaml_text = defs_yaml(load(source=".loads.counter_source", pipeline=".loads.counter_pipeline"))
    with component_defs(loads_py, yaml_text) as defs:
        assets_def = only_assets_def(defs)
        assert materialize([assets_def]).success
        assert materialize([assets_def]).success
        assert count_rows(duckdb_path, "counts", "ticks") == 4  # appended twice

        refresh = {"ops": {assets_def.op.name: {"config": {"refresh": "drop_sources"}}}}
        assert materialize([assets_def], run_config=refresh).success
        assert count_rows(duckdb_path, "counts", "ticks") == 2


# -- bad YAML -------------------------------------------------------------------------------------


def test_bad_module_path_names_file_load_and_field(duckdb_path: Path):
    error = load_error(shop_loads(duckdb_path), defs_yaml(load(source=".no_such_module.shop")))

    assert "defs.yaml" in error
    assert "field 'source' of load 0" in error
    assert "cannot import module" in error and "no_such_module" in error


def test_missing_attribute_lists_the_sources_and_pipelines_of_the_module(duckdb_path: Path):
    error = load_error(shop_loads(duckdb_path), defs_yaml(load(pipeline=".loads.shop_pipelin")))

    assert "field 'pipeline' of load 0" in error and "defs.yaml" in error
    assert "has no attribute 'shop_pipelin'" in error
    assert "shop_pipeline" in error and "shop_source" in error


def test_attribute_that_is_not_a_source_or_pipeline(duckdb_path: Path):
    not_source = load_error(shop_loads(duckdb_path), defs_yaml(load(source=".loads.dlt")))
    assert "field 'source' of load 0" in not_source
    assert "is a module, not a dlt source" in not_source

    swapped = load_error(
        shop_loads(duckdb_path),
        defs_yaml(load(), load(pipeline=".loads.shop_source", source=".loads.shop_source")),
    )
    assert "field 'pipeline' of load 1" in swapped
    assert "is a DltSource, not a dlt pipeline" in swapped


def test_resource_instead_of_source_says_how_to_wrap_it(duckdb_path: Path):
    extra = """
        @dlt.resource
        def lonely():
            yield [{"id": 1}]
    """
    error = load_error(
        shop_loads(duckdb_path, extra=extra), defs_yaml(load(source=".loads.lonely"))
    )
    assert "It is a dlt resource" in error


def test_misspelt_field_names_file_load_and_field(duckdb_path: Path):
    misspelt = {"sorce": ".loads.shop_source", "pipeline": ".loads.shop_pipeline"}
    error = load_error(shop_loads(duckdb_path), defs_yaml(misspelt))

    assert "defs.yaml" in error
    assert "sorce" in error
    assert "loads" in error and "0" in error


def test_relative_paths_with_two_dots_and_absolute_paths(duckdb_path: Path):
    shared = f"""
        import dlt

        shared_pipeline = dlt.pipeline(
            pipeline_name="shared",
            destination=dlt.destinations.duckdb(r"{duckdb_path}"),
            dataset_name="shared",
        )
    """
    yaml_text = defs_yaml(
        load(source="tests.support.dlt_fixtures.shop", pipeline="..shared_loads.shared_pipeline")
    )
    with component_defs(
        shop_loads(duckdb_path), yaml_text, files={"shared_loads.py": shared}
    ) as defs:
        # An absolute path to an uncalled source function with no secrets works as well.
        assert only_assets_def(defs).op.name == "dlt_assets_shop_shared"


def test_filesystem_template_reads_its_bucket_url_when_the_run_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("SOURCES__FILESYSTEM__BUCKET_URL", raising=False)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "a.csv").write_text("id,name\n1,ada\n2,grace\n")
    (incoming / "b.csv").write_text("id,name\n3,linus\n")
    loads = render_loads("filesystem", "duckdb")
    yaml_text = defs_yaml(
        load(
            source=f".loads.{loads.source_attribute}",
            pipeline=f".loads.{loads.pipeline_attribute}",
        )
    )
    with component_defs(loads.text, yaml_text) as defs:
        assets_def = only_assets_def(defs)
        monkeypatch.setenv("SOURCES__FILESYSTEM__BUCKET_URL", str(incoming))
        assert materialize([assets_def]).success

    assert count_rows(tmp_path / "warehouse.duckdb", "filesystem", "csv_files") == 3


def test_checks_are_on_by_default_and_each_can_be_turned_off_in_yaml(duckdb_path: Path):
    with component_defs(shop_loads(duckdb_path), defs_yaml(load())) as defs:
        checks = {spec.name for spec in only_assets_def(defs).check_specs}
        assert checks == {"dlt_schema_drift"}  # the shop's resources have no contract
    yaml_text = defs_yaml(load(schema_drift_check=False, contract_check=False))
    with component_defs(shop_loads(duckdb_path), yaml_text) as defs:
        assert list(only_assets_def(defs).check_specs) == []
