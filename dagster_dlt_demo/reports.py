"""Reports on the loaded GH Archive tables, downstream of the dlt assets.

Each report takes the event tables as inputs: lazy dlt relations from ``DltDatasetInputManager``,
queried in SQL where the data lives, with the dataset's own table names (no file paths, no
database names). The results are saved back through ``DltDatasetWriter`` into the ``reports``
dataset, whose contract freezes columns (see ``warehouse.py``).

The dlt assets' keys and tables come from their specs, so the reports follow whatever the
translator and the source name them.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Optional

import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    TextMetadataValue,
    multi_asset,
    with_resources,
)

from dagster_dlt import DltDatasetWriter, DltRelation, open_dataset
from dagster_dlt_demo.gharchive_assets import daily_partitions, gharchive_assets
from dagster_dlt_demo.settings import POOL, SETTINGS
from dagster_dlt_demo.warehouse import (
    INPUT_MANAGER_KEY,
    REPORT_RESOURCES,
    REPORTS_DATASET,
    markdown_table,
    reports_pipeline,
)

__all__ = [
    "EVENT_TABLES",
    "GROUP",
    "REPORTS_SCHEMA",
    "contributors_table",
    "events_per_repo_per_day",
    "events_per_repo_table",
    "top_contributors",
]

GROUP = "reports"
REPORTS_SCHEMA = REPORTS_DATASET
_PREVIEW_ROWS = 10


def _tables_by_key(assets_def: AssetsDefinition) -> dict[AssetKey, str]:
    """Each dlt asset's table, as its spec names it (``dagster/table_name``, maybe qualified)."""
    tables = {}
    for spec in assets_def.specs:
        name = spec.metadata["dagster/table_name"]
        name = name.value if isinstance(name, TextMetadataValue) else str(name)
        tables[spec.key] = name.rsplit(".", 1)[-1]
    return tables


EVENT_TABLES: Mapping[AssetKey, str] = _tables_by_key(gharchive_assets)
_KEY_OF_TABLE = {table: key for key, table in EVENT_TABLES.items()}

# Kinds of contribution: (column, event table, which of its events count).
_CONTRIBUTIONS = (
    ("pushes", "push_event", "TRUE"),
    ("pull_requests", "pull_request_event", "payload__action = 'opened'"),
    ("reviews", "pull_request_review_event", "TRUE"),
    ("issues", "issues_event", "payload__action = 'opened'"),
    ("comments", "issue_comment_event", "TRUE"),
)
_COMMITS = "payload__commits"  # the nested table of push_event with each push's commits


def _inputs(tables: Sequence[str]) -> dict[str, AssetIn]:
    return {
        table: AssetIn(key=_KEY_OF_TABLE[table], input_manager_key=INPUT_MANAGER_KEY)
        for table in tables
        if table in _KEY_OF_TABLE
    }


def _table_name(table: str) -> str:
    """The report's relation as dagster-dlt reports its tables (``dagster/table_name``)."""
    return f"{SETTINGS.database_name}.{REPORTS_DATASET}.{table}"


def events_per_repo_table(
    events: Sequence[DltRelation], start: datetime, end: datetime
) -> pa.Table:
    """Events and distinct actors per repository and UTC day in ``[start, end)``."""
    if not events:
        return pa.table(
            {
                "day": pa.array([], pa.date32()),
                "repo": pa.array([], pa.string()),
                "events": pa.array([], pa.int64()),
                "actors": pa.array([], pa.int64()),
            }
        )
    union = " UNION ALL ".join(
        f"SELECT created_at, repo__name, actor__login FROM {relation.table_name}"
        for relation in events
    )
    return (
        events[0]
        .query(
            "SELECT CAST(created_at AS DATE) AS day, repo__name AS repo, COUNT(*) AS events, "
            f"COUNT(DISTINCT actor__login) AS actors FROM ({union}) AS e "
            f"WHERE created_at >= '{start.isoformat()}' AND created_at < '{end.isoformat()}' "
            "GROUP BY CAST(created_at AS DATE), repo__name "
            "ORDER BY day, events DESC, repo"
        )
        .arrow()
    )


# A multi_asset, not an @asset: @asset still marks backfill_policy as beta, and warns about it.
@multi_asset(
    specs=[
        AssetSpec(
            "events_per_repo_per_day",
            group_name=GROUP,
            deps=list(EVENT_TABLES),
            kinds={"duckdb", "sql"},
            metadata={"dagster/table_name": _table_name("events_per_repo_per_day")},
            description=(
                "Events and distinct actors per repository and UTC day, over every loaded event "
                "type. Each run replaces the rows of its partitions' days."
            ),
        )
    ],
    ins=_inputs(list(EVENT_TABLES.values())),
    name="events_per_repo_per_day",
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    pool=POOL,
)
def _events_per_repo_per_day(
    context: AssetExecutionContext,
    reports_writer: ResourceParam[DltDatasetWriter],
    **events: Optional[DltRelation],
) -> MaterializeResult:
    window = context.partition_time_window
    loaded = [relation for relation in events.values() if relation is not None]
    table = events_per_repo_table(loaded, window.start, window.end)
    source_tables = [relation.table_name for relation in loaded]
    if table.num_rows == 0:
        context.log.info(f"No events between {window.start} and {window.end}: nothing to save.")
    result = reports_writer.save(
        context,
        table,
        dataset=REPORTS_DATASET,
        table="events_per_repo_per_day",
        # delete-insert on the day: a run replaces exactly its days' rows.
        write_disposition="merge",
        merge_key="day",
        metadata={
            "dagster/partition_row_count": MetadataValue.int(table.num_rows),
            "source_tables": MetadataValue.json(source_tables),
            "preview": markdown_table(
                table.column_names,
                [list(row.values()) for row in table.slice(0, _PREVIEW_ROWS).to_pylist()],
            ),
        },
    )
    total = (
        open_dataset(reports_pipeline, schema=reports_pipeline.pipeline_name)
        .query("SELECT COUNT(*) FROM events_per_repo_per_day")
        .fetchscalar()
        if table.num_rows
        else 0
    )
    return result._replace(
        metadata={**(result.metadata or {}), "dagster/row_count": MetadataValue.int(total)}
    )


def contributors_table(
    pushes: Optional[DltRelation],
    activity: Mapping[str, Optional[DltRelation]],
    *,
    limit: int = 10,
) -> pa.Table:
    """The ``limit`` people (bots left out) with the most contributions, ranked.

    Args:
        pushes: the push events, whose nested commits count too.
        activity: contribution kind -> its event table (``None`` when not loaded yet).
        limit: how many people to keep.
    """
    selects = []
    for column, table, condition in _CONTRIBUTIONS:
        relation = pushes if table == "push_event" else activity.get(column)
        if relation is not None:
            selects.append(
                f"SELECT actor__login AS login, '{column}' AS kind FROM {relation.table_name} "
                f"WHERE {condition}"
            )
    anchor = pushes or next((r for r in activity.values() if r is not None), None)
    if anchor is None:
        return _empty_contributors()
    if pushes is not None and _COMMITS in [
        name.removeprefix("push_event__") for name in pushes.dataset.nested_tables("push_event")
    ]:
        commits = pushes.nested(_COMMITS).table_name
        selects.append(
            f"SELECT p.actor__login AS login, 'commits' AS kind FROM {commits} AS c "
            "JOIN push_event AS p ON c._dlt_parent_id = p._dlt_id"
        )
    columns = [column for column, _, _ in _CONTRIBUTIONS]
    kinds = [columns[0], "commits", *columns[1:]]
    counts = ", ".join(f"COUNT(CASE WHEN kind = '{kind}' THEN 1 END) AS {kind}" for kind in kinds)
    total = " + ".join(columns)
    return anchor.query(
        f"SELECT ROW_NUMBER() OVER (ORDER BY contributions DESC, login) AS rank, login, "
        f"{', '.join(kinds)}, contributions FROM ("
        f"SELECT login, {', '.join(kinds)}, {total} AS contributions FROM ("
        f"SELECT login, {counts} FROM ({' UNION ALL '.join(selects)}) AS a "
        "WHERE login NOT LIKE '%[bot]' GROUP BY login) AS per_person) AS ranked "
        f"WHERE contributions > 0 ORDER BY rank LIMIT {limit}"
    ).arrow()


def _empty_contributors() -> pa.Table:
    names = ["pushes", "commits", "pull_requests", "reviews", "issues", "comments"]
    return pa.table(
        {
            "rank": pa.array([], pa.int64()),
            "login": pa.array([], pa.string()),
            **{name: pa.array([], pa.int64()) for name in names},
            "contributions": pa.array([], pa.int64()),
        }
    )


@multi_asset(
    specs=[
        AssetSpec(
            "top_contributors",
            group_name=GROUP,
            deps=[_KEY_OF_TABLE[t] for _, t, _ in _CONTRIBUTIONS if t in _KEY_OF_TABLE],
            kinds={"duckdb", "sql"},
            metadata={"dagster/table_name": _table_name("top_contributors")},
            description=(
                "The ten people (bots left out) with the most contributions over every loaded "
                "day. Contributions are pushes, pull requests and issues opened, reviews and "
                "issue comments; commits are counted from the pushes' nested commit lists. Saved "
                "into the reports dataset, whose contract freezes its columns."
            ),
        )
    ],
    ins=_inputs([table for _, table, _ in _CONTRIBUTIONS]),
    name="top_contributors",
    pool=POOL,
)
def _top_contributors(
    context: AssetExecutionContext,
    reports_writer: ResourceParam[DltDatasetWriter],
    **events: Optional[DltRelation],
) -> MaterializeResult:
    activity = {column: events.get(table) for column, table, _ in _CONTRIBUTIONS}
    table = contributors_table(events.get("push_event"), activity)
    return reports_writer.save(
        context,
        table,
        dataset=REPORTS_DATASET,
        table="top_contributors",
        metadata={
            "dagster/row_count": MetadataValue.int(table.num_rows),
            "preview": markdown_table(
                table.column_names, [list(row.values()) for row in table.to_pylist()]
            ),
        },
    )


# The reports carry their input manager and writer, so the code location's Definitions need not
# know about them.
events_per_repo_per_day, top_contributors = with_resources(
    [_events_per_repo_per_day, _top_contributors], REPORT_RESOURCES
)
