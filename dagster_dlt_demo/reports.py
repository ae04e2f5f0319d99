"""Reports built in DuckDB from the loaded GH Archive tables, downstream of the dlt assets.

The dlt assets' keys and tables come from their specs, so the reports follow whatever the
translator and the source name them.
"""

from collections.abc import Mapping

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    TextMetadataValue,
    asset,
    multi_asset,
)

from dagster_dlt_demo.gharchive_assets import daily_partitions, gharchive_assets, gharchive_pipeline
from dagster_dlt_demo.settings import POOL, SETTINGS
from dagster_dlt_demo.warehouse import column_schema, connect, existing_tables, markdown_table

__all__ = ["GROUP", "REPORTS_SCHEMA", "events_per_repo_per_day", "top_contributors"]

GROUP = "reports"
REPORTS_SCHEMA = "reports"
_RAW = gharchive_pipeline.dataset_name
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
_COMMITS_TABLE = "push_event__payload__commits"
_SCHEMA = f'"{SETTINGS.database_name}"."{REPORTS_SCHEMA}"'


def _relation(schema: str, table: str) -> str:
    """The table's name in SQL, quoted: the database is named after a file the user picks."""
    return ".".join(f'"{part}"' for part in (SETTINGS.database_name, schema, table))


def _table_name(schema: str, table: str) -> str:
    """The table's name as dagster-dlt reports its tables (``dagster/table_name``)."""
    return f"{SETTINGS.database_name}.{schema}.{table}"


# A multi_asset, not an @asset: @asset still marks backfill_policy as beta, and warns about it.
@multi_asset(
    specs=[
        AssetSpec(
            "events_per_repo_per_day",
            group_name=GROUP,
            deps=list(EVENT_TABLES),
            kinds={"duckdb", "sql"},
            metadata={"dagster/table_name": _table_name(REPORTS_SCHEMA, "events_per_repo_per_day")},
            description=(
                "Events and distinct actors per repository and UTC day, over every loaded event "
                "type. Each run replaces the rows of its partitions' days."
            ),
        )
    ],
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    pool=POOL,
)
def events_per_repo_per_day(context: AssetExecutionContext) -> MaterializeResult:
    window = context.partition_time_window
    days = [window.start.date(), window.end.date()]
    relation = _relation(REPORTS_SCHEMA, "events_per_repo_per_day")
    with connect(gharchive_pipeline, f"run {context.run_id}") as db:
        loaded = existing_tables(db, _RAW)
        sources = [_relation(_RAW, table) for table in EVENT_TABLES.values() if table in loaded]
        events = " UNION ALL ".join(
            f"SELECT created_at, repo__name, actor__login FROM {source}" for source in sources
        ) or ("SELECT NULL::TIMESTAMPTZ AS created_at, NULL AS repo__name, NULL AS actor__login")
        db.execute(f"CREATE SCHEMA IF NOT EXISTS {_SCHEMA}")
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {relation} "
            "(day DATE, repo VARCHAR, events BIGINT, actors BIGINT)"
        )
        db.begin()
        db.execute(f"DELETE FROM {relation} WHERE day >= ? AND day < ?", days)
        db.execute(
            f"""
            INSERT INTO {relation}
            SELECT CAST(created_at AS DATE) AS day, repo__name AS repo, COUNT(*) AS events,
                COUNT(DISTINCT actor__login) AS actors
            FROM ({events})
            WHERE created_at >= ? AND created_at < ?
            GROUP BY ALL
            ORDER BY day, events DESC, repo
            """,
            [window.start, window.end],
        )
        db.commit()
        in_window = db.execute(
            f"SELECT COUNT(*) FROM {relation} WHERE day >= ? AND day < ?", days
        ).fetchone()[0]
        total = db.execute(f"SELECT COUNT(*) FROM {relation}").fetchone()[0]
        preview = db.execute(
            f"SELECT * FROM {relation} WHERE day >= ? AND day < ? ORDER BY day, events DESC, repo "
            f"LIMIT {_PREVIEW_ROWS}",
            days,
        ).fetchall()
        schema = column_schema(db, relation)
    return MaterializeResult(
        metadata={
            "dagster/row_count": MetadataValue.int(total),
            "dagster/partition_row_count": MetadataValue.int(in_window),
            "dagster/column_schema": schema,
            "source_tables": MetadataValue.json(sources),
            "preview": markdown_table(["day", "repo", "events", "actors"], preview),
        }
    )


@asset(
    group_name=GROUP,
    deps=[_KEY_OF_TABLE[table] for _, table, _ in _CONTRIBUTIONS if table in _KEY_OF_TABLE],
    pool=POOL,
    kinds={"duckdb", "sql"},
    metadata={"dagster/table_name": _table_name(REPORTS_SCHEMA, "top_contributors")},
)
def top_contributors(context: AssetExecutionContext) -> MaterializeResult:
    """The ten people (bots left out) with the most contributions over every loaded day.

    Contributions are pushes, pull requests and issues opened, reviews and issue comments;
    commits are counted from the pushes' nested commit lists.
    """
    relation = _relation(REPORTS_SCHEMA, "top_contributors")
    columns = [column for column, _, _ in _CONTRIBUTIONS]
    with connect(gharchive_pipeline, f"run {context.run_id}") as db:
        loaded = existing_tables(db, _RAW)
        activity = [
            f"SELECT actor__login AS login, '{column}' AS kind FROM {_relation(_RAW, table)} "
            f"WHERE {condition}"
            for column, table, condition in _CONTRIBUTIONS
            if table in loaded
        ]
        if {"push_event", _COMMITS_TABLE} <= loaded:
            activity.append(
                f"SELECT p.actor__login AS login, 'commits' AS kind "
                f"FROM {_relation(_RAW, _COMMITS_TABLE)} AS c "
                f"JOIN {_relation(_RAW, 'push_event')} AS p ON c._dlt_parent_id = p._dlt_id"
            )
        union = " UNION ALL ".join(activity) or "SELECT NULL AS login, NULL AS kind WHERE FALSE"
        kinds = [columns[0], "commits", *columns[1:]]
        counts = ", ".join(f"COUNT(*) FILTER (WHERE kind = '{kind}') AS {kind}" for kind in kinds)
        db.execute(f"CREATE SCHEMA IF NOT EXISTS {_SCHEMA}")
        db.execute(
            f"""
            CREATE OR REPLACE TABLE {relation} AS
            WITH per_person AS (
                SELECT login, {counts}
                FROM ({union})
                WHERE login NOT LIKE '%[bot]'
                GROUP BY login
            )
            SELECT ROW_NUMBER() OVER (ORDER BY contributions DESC, login) AS rank, *
            FROM (SELECT *, {" + ".join(columns)} AS contributions FROM per_person)
            WHERE contributions > 0
            ORDER BY rank
            LIMIT 10
            """
        )
        rows = db.execute(f"SELECT * FROM {relation} ORDER BY rank").fetchall()
        header = [name for (name, *_) in db.execute(f"DESCRIBE {relation}").fetchall()]
        schema = column_schema(db, relation)
    return MaterializeResult(
        metadata={
            "dagster/row_count": MetadataValue.int(len(rows)),
            "dagster/column_schema": schema,
            "preview": markdown_table(header, rows),
        }
    )
