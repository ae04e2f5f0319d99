"""Splitting a source into steps: the groups, and that every step is a full ``@dlt_assets``."""

import warnings
from datetime import datetime, timedelta, timezone

import dlt
import pytest
from dagster import (
    AssetKey,
    DagsterInvalidDefinitionError,
    DailyPartitionsDefinition,
    materialize,
)

from dagster_dlt import DagsterDltResource, build_dlt_assets_definitions
from dagster_dlt.split import split_groups
from tests.support.components_sandbox import (
    component_defs,
    defs_yaml,
    dlt_assets_defs,
    load,
    load_error,
    shop_loads,
)
from tests.support.dlt_fixtures import count_rows, shop


@dlt.source
def wide():
    """Six resources, one of them a transformer of the first."""

    def table(name: str):
        @dlt.resource(name=name, primary_key="id", write_disposition="merge")
        def rows():
            yield [{"id": i, "table": name} for i in range(3)]

        return rows

    first = table("t0")

    @dlt.transformer(data_from=first, name="t0_details")
    def details(batch):
        yield [{"id": row["id"], "detail": "x"} for row in batch]

    return [first, details, *(table(f"t{i}") for i in range(1, 5))]


def test_one_step_per_resource_keeps_a_transformer_alone_with_its_name():
    assert split_groups(shop(), "resource") == [["customers"], ["orders"], ["events"]]


def test_strongly_connected_components_keep_transformers_with_their_parents():
    assert split_groups(shop(), "scc") == [["customers", "orders"], ["events"]]
    assert split_groups(wide(), "scc") == [["t0", "t0_details"], ["t1"], ["t2"], ["t3"], ["t4"]]


def test_a_number_of_steps_balances_components_without_cutting_them():
    assert split_groups(wide(), 3) == [["t0", "t0_details"], ["t1", "t3"], ["t2", "t4"]]
    assert split_groups(wide(), 10) == split_groups(wide(), "scc")
    assert split_groups(wide(), 1) == [["t0", "t0_details", "t1", "t2", "t3", "t4"]]


def test_explicit_groups_must_name_every_selected_resource_once():
    assert split_groups(shop(), [["events"], ["orders", "customers"]]) == [
        ["events"],
        ["customers", "orders"],
    ]
    with pytest.raises(DagsterInvalidDefinitionError) as error:
        split_groups(shop(), [["events", "nope"], ["events"]])
    message = str(error.value)
    assert "not selected: nope" in message
    assert "more than one group: events" in message
    assert "leaves out selected resources: customers, orders" in message


@pytest.mark.parametrize("split", ["sideways", 0, True])
def test_an_unknown_split_says_what_is_allowed(split):
    with pytest.raises(DagsterInvalidDefinitionError, match=r"'resource'|1 or more"):
        split_groups(shop(), split)


def test_every_step_is_a_dlt_assets_op_that_loads_its_own_resources(make_pipeline, duckdb_path):
    steps = build_dlt_assets_definitions(
        dlt_source=wide(),
        dlt_pipeline=make_pipeline(),
        split=3,
        group_name="wide",
        schema_drift_check=True,
    )

    assert [step.op.name for step in steps] == ["dlt_wide_0", "dlt_wide_1", "dlt_wide_2"]
    assert [sorted(k.to_user_string() for k in step.keys) for step in steps][1] == [
        "dlt_wide_t1",
        "dlt_wide_t3",
    ]
    assert {step.group_names_by_key[k] for step in steps for k in step.keys} == {"wide"}
    assert all(step.check_specs for step in steps)

    # A subset across two steps runs each step on its own selection.
    result = materialize(
        steps,
        resources={"dlt": DagsterDltResource()},
        selection=[AssetKey("dlt_wide_t0_details"), AssetKey("dlt_wide_t4")],
    )
    assert result.success
    loaded = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert loaded == {"dlt_wide_t0_details", "dlt_wide_t4"}
    assert count_rows(duckdb_path, "raw", "t0_details") == 3
    assert count_rows(duckdb_path, "raw", "t4") == 3


FIRST_DAY = datetime(2024, 1, 1, tzinfo=timezone.utc)


@dlt.source
def daily_feeds():
    """Two feeds that read the partition's window through their incremental."""

    def feed(name: str):
        @dlt.resource(name=name, primary_key="id", write_disposition="append")
        def rows(
            at=dlt.sources.incremental(
                "at", initial_value=FIRST_DAY, allow_external_schedulers=True
            ),
        ):
            day = at.start_value
            yield [{"id": f"{day.date()}-{i}", "at": day + timedelta(hours=i)} for i in range(4)]

        return rows

    return feed("north"), feed("south")


def test_partitions_of_a_split_source_reach_every_step(make_pipeline, duckdb_path):
    steps = build_dlt_assets_definitions(
        dlt_source=daily_feeds(),
        dlt_pipeline=make_pipeline(),
        split="resource",
        partitions_def=DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-04"),
    )
    assert [step.op.name for step in steps] == ["dlt_daily_feeds_north", "dlt_daily_feeds_south"]

    for day in ["2024-01-02", "2024-01-01", "2024-01-03"]:
        result = materialize(steps, resources={"dlt": DagsterDltResource()}, partition_key=day)
        assert result.success
        partitions = {e.partition for e in result.get_asset_materialization_events()}
        assert partitions == {day}

    for feed in ["north", "south"]:
        assert count_rows(duckdb_path, "raw", feed) == 12


def test_the_component_splits_a_load_into_one_op_per_step(duckdb_path):
    yaml_text = defs_yaml(
        load(split="scc"), load(op={"name": "by_name"}, split=[["events"], ["customers", "orders"]])
    )
    with component_defs(shop_loads(duckdb_path), yaml_text) as defs:
        steps = dlt_assets_defs(defs)
        ops = {step.op.name: sorted(k.to_user_string() for k in step.keys) for step in steps}
        assert ops == {
            "dlt_assets_shop_raw_0": ["raw/customers", "raw/orders"],
            "dlt_assets_shop_raw_1": ["raw/events"],
            "by_name_0": ["raw/events"],
            "by_name_1": ["raw/customers", "raw/orders"],
        }
        result = materialize(steps[:2], resources={})
        assert result.success
    assert count_rows(duckdb_path, "raw", "orders") == 6


def test_the_component_says_which_load_has_a_wrong_split(duckdb_path):
    message = load_error(shop_loads(duckdb_path), defs_yaml(load(split=[["events"]])))
    assert "leaves out selected resources: customers, orders" in message


@dlt.destination(name="ledger_sink")
def ledger_sink(items, table) -> None:
    """A sink, as dlt's docs write one: it keeps no dlt state where the rows go."""


def test_a_split_into_a_sink_warns_that_cursors_stay_on_each_machine(tmp_path):
    pipeline = dlt.pipeline(
        pipeline_name="sink_split", pipelines_dir=str(tmp_path), destination=ledger_sink
    )
    with pytest.warns(UserWarning, match="keeps no dlt state") as warned:
        build_dlt_assets_definitions(dlt_source=shop(), dlt_pipeline=pipeline, split=2)
    (message,) = [str(w.message) for w in warned if "keeps no dlt state" in str(w.message)]
    assert "'ledger_sink'" in message and "'sink_split'" in message
    assert "lasting pipelines directory" in message


def test_a_split_into_duckdb_or_into_one_step_does_not_warn(make_pipeline, tmp_path):
    sink = dlt.pipeline(pipeline_name="one", pipelines_dir=str(tmp_path), destination=ledger_sink)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*keeps no dlt state.*")
        build_dlt_assets_definitions(dlt_source=shop(), dlt_pipeline=make_pipeline(), split=2)
        build_dlt_assets_definitions(
            dlt_source=shop(), dlt_pipeline=sink, split=[["customers", "orders", "events"]]
        )
