"""The per-resource merge of stored states (pure), and one pipeline whose steps load at once in
one process: each resource keeps the state of the step that last extracted it."""

import dlt

from dagster_dlt.durability.parallel_state import (
    MARKS,
    keep_parallel_states,
    mark_extracted,
    merged_state,
)


def state(cursors: dict[str, int], marks: dict[str, int]) -> dict:
    return {
        "_state_version": 3,
        "sources": {
            "shop": {
                "resources": {
                    name: {"incremental": {"id": {"last_value": value}}}
                    for name, value in cursors.items()
                }
            }
        },
        MARKS: {"extracted": {"shop": marks}},
    }


def cursor(merged: dict, resource: str):
    resources = merged["sources"]["shop"]["resources"]
    return resources[resource]["incremental"]["id"]["last_value"] if resource in resources else None


def test_each_resource_takes_the_state_of_the_row_that_marks_it_highest():
    # Two steps restored the same row (marks 1), then each extracted its own resource (mark 2).
    orders_step = state({"orders": 20, "users": 10}, {"orders": 2, "users": 1})
    users_step = state({"orders": 10, "users": 30}, {"orders": 1, "users": 2})
    # Whichever row is newer, both cursors survive.
    for stored in (
        [("2", users_step), ("1", orders_step)],
        [("2", orders_step), ("1", users_step)],
    ):
        merged = merged_state(stored[0][1], stored)
        assert (cursor(merged, "orders"), cursor(merged, "users")) == (20, 30)
        assert merged[MARKS]["extracted"]["shop"] == {"orders": 2, "users": 2}


def test_a_tie_goes_to_the_newer_load_and_unmarked_resources_keep_dlts_state():
    older = state({"orders": 5, "legacy": 1}, {"orders": 4})
    newer = state({"orders": 7, "legacy": 2}, {"orders": 4})
    merged = merged_state(newer, [("9", newer), ("8", older)])
    assert cursor(merged, "orders") == 7
    assert cursor(merged, "legacy") == 2


def test_a_refreshed_resource_with_the_highest_mark_has_no_state():
    refreshed = state({}, {"orders": 5})
    before = state({"orders": 50}, {"orders": 4})
    assert cursor(merged_state(before, [("2", refreshed), ("1", before)]), "orders") is None


def test_a_run_marks_its_resources_one_above_every_mark_it_restored():
    restored = state({}, {"orders": 3, "users": 7})
    mark_extracted(restored, "shop", ["orders"])
    assert restored[MARKS]["extracted"]["shop"] == {"orders": 8, "users": 7}


def test_steps_that_restored_the_same_state_keep_both_cursors(tmp_path, duckdb_path):
    """Two 'steps' restore one state, extract their own resource, and load one after the other:
    the next restore has both cursors, where dlt alone keeps only the last load's."""

    @dlt.source(name="shop")
    def shop(n: int):
        @dlt.resource(write_disposition="append")
        def orders(c=dlt.sources.incremental("id", initial_value=0)):
            yield [{"id": i} for i in range(c.start_value + 1, n + 1)]

        @dlt.resource(write_disposition="append")
        def users(c=dlt.sources.incremental("id", initial_value=0)):
            yield [{"id": i} for i in range(c.start_value + 1, n + 1)]

        return orders, users

    def step_pipeline(directory: str) -> dlt.Pipeline:
        return dlt.pipeline(
            pipeline_name="shop_steps",
            pipelines_dir=str(tmp_path / directory),
            destination=dlt.destinations.duckdb(str(duckdb_path)),
            dataset_name="raw",
        )

    step_pipeline("first").run(shop(3))
    steps = [step_pipeline("orders_step"), step_pipeline("users_step")]
    extracted = []
    for step, name in zip(steps, ["orders", "users"], strict=True):
        step.run(None)
        keep_parallel_states(step, "shop", [name])
        step.extract(shop(6).with_resources(name))
        extracted.append(step)
    for step in extracted:
        step.normalize()
        step.load()
    after = step_pipeline("after")
    after.run(None)
    keep_parallel_states(after, "shop", [])
    resources = after.state["sources"]["shop"]["resources"]
    assert {name: resources[name]["incremental"]["id"]["last_value"] for name in resources} == {
        "orders": 6,
        "users": 6,
    }
