"""The corpus: dlt sources in the shapes that dlt's docs, its own sources and users write.

Every mechanism that touches every run (isolation, recovery, publishing, redaction, checks, data
versions) must pass each of these shapes on every run path: ``tests/run/test_source_shapes.py`` runs
them in-process, through the ``dagster`` CLI (``tests/support/source_shape_defs.py``), per partition,
killed and re-run, and through the YAML component. A new shape is one entry in ``SHAPES``.

The shapes that need outside data read it from environment variables, so that the same module
builds them in the test process and in CLI subprocesses (``corpus_data`` in the test module sets
them up):

- ``SHAPES_API_URL``: a real HTTP server on 127.0.0.1 serving ``posts.json`` and each post's
  ``comments.json`` (for ``rest_api_source``);
- ``SHAPES_SQL_URL``: a SQLite database with ``customers`` and ``orders`` (for ``sql_database``);
- ``SHAPES_FILES``: a folder of CSV, JSONL and Parquet files (for ``filesystem``);
- ``SOURCES__SOURCE_SHAPES__TICKETING__API_TOKEN``: the secret of ``secret_from_env``.
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

import dlt
import pendulum
from dlt.sources.filesystem import filesystem, read_csv, read_jsonl, read_parquet, readers
from dlt.sources.rest_api import rest_api_source
from dlt.sources.sql_database import sql_database

API_TOKEN = "tk-corpus-5d0a4e8f1b"
"""The ticketing API's token: given as an argument by one shape, from the environment by another."""

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
FIRST_DAY = pendulum.datetime(2024, 1, 1, tz="UTC")
PARTITION = "2024-01-02"
"""The daily partition the partitioned run materializes."""


@dataclass(frozen=True)
class Shape:
    """One way of writing a dlt source, and the rows it loads.

    Attributes:
        name: what the shape stands for; also the pipeline's name (``shape_<name>``).
        build: a fresh source (or resource) of the shape, as the user's code makes it.
        rows: rows per table after one load, nested tables included.
        rows_in_partition: rows per table after a run of partition ``PARTITION`` alone, where the
            source loads only that partition's window.
        build_for_partition: the source built from the partition's time window, for shapes whose
            user code passes the window to the source itself.
    """

    name: str
    build: Callable[[], Any]
    rows: dict[str, int]
    rows_in_partition: Optional[dict[str, int]] = None
    build_for_partition: Optional[Callable[[str, str], Any]] = None
    needs: tuple[str, ...] = field(default=())

    @property
    def partition_rows(self) -> dict[str, int]:
        return self.rows_in_partition if self.rows_in_partition is not None else self.rows


# --- A source and one of its resources with the same name -------------------------------------


@dlt.resource(name="events", write_disposition="append")
def events() -> Iterator[dict[str, Any]]:
    yield [{"id": i, "kind": "click" if i % 2 else "view"} for i in range(5)]


@dlt.source(name="events")
def events_source():
    """A source named like its only resource: ``events``."""
    return events


# --- Resources and transformers -----------------------------------------------------------------


@dlt.resource(primary_key="id", write_disposition="merge")
def users() -> Iterator[dict[str, Any]]:
    yield [{"id": i, "name": f"user-{i}"} for i in range(1, 4)]


@dlt.transformer(primary_key="user_id", write_disposition="merge")
def user_details(batch: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for user in batch:  # `users` yields one page (a list) at a time
        yield {"user_id": user["id"], "email": f"{user['name']}@example.com"}


@dlt.source
def users_piped():
    """A resource piped into a transformer: ``users | user_details``."""
    return users, users | user_details


@dlt.source
def users_with_data_from():
    """A transformer declared with ``data_from``."""

    @dlt.transformer(data_from=users, name="user_roles")
    def user_roles(batch: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for user in batch:
            yield {"user_id": user["id"], "role": "admin" if user["id"] == 1 else "member"}

    return users, user_roles


# --- Parametrized resources ---------------------------------------------------------------------


@dlt.resource(name="pages", write_disposition="replace")
def pages(section: str = "docs", count: int = 3) -> Iterator[dict[str, Any]]:
    yield [{"section": section, "page": i} for i in range(count)]


@dlt.source
def site_called():
    """A parametrized resource, called with arguments in the source."""
    return pages("blog", count=4)


@dlt.source
def site_uncalled():
    """A parametrized resource returned uncalled: dlt calls it with its defaults."""
    return pages


# --- dlt.resource() around a generator function and a generator object -------------------------


def fetch_numbers(limit: int = 6) -> Iterator[dict[str, Any]]:
    for n in range(limit):
        yield {"n": n, "square": n * n}


@dlt.source
def numbers_from_function():
    """``dlt.resource(generator_function, name=...)``, as dlt's docs write it."""
    return dlt.resource(fetch_numbers, name="numbers")


def numbers_from_generator():
    """``dlt.resource(generator_object, name=...)``: the dlt tutorial's shape, the generator
    made where the resource is declared."""
    numbers = dlt.resource(fetch_numbers(limit=6), name="numbers")

    @dlt.source(name="numbers_once")
    def numbers_once():
        return numbers

    return numbers_once()


# --- with_resources, add_map, add_filter, add_limit ---------------------------------------------


@dlt.source
def crm():
    """Contacts and deals, for the shapes that pick and transform resources."""

    @dlt.resource(primary_key="id")
    def contacts() -> Iterator[dict[str, Any]]:
        for i in range(10):
            yield {"id": i, "email": f"c{i}@example.com", "active": i % 2 == 0}

    @dlt.resource
    def deals() -> Iterator[dict[str, Any]]:
        yield from ({"id": i} for i in range(3))

    return contacts, deals


def crm_picked_and_mapped():
    """``with_resources``, then ``add_map``, ``add_filter`` and ``add_limit`` on a resource."""
    source = crm().with_resources("contacts")
    source.contacts.add_map(lambda row: {**row, "email": row["email"].upper()})
    source.contacts.add_filter(lambda row: row["active"])
    source.contacts.add_limit(2)  # two yields of the generator
    return source


# --- Incrementals -------------------------------------------------------------------------------


def _tickets(day_count: int = 5) -> list[dict[str, Any]]:
    return [
        {"id": i, "updated_at": f"{DAYS[i % day_count]}T12:00:00Z", "title": f"ticket {i}"}
        for i in range(10)
    ]


@dlt.source
def tickets_by_updated_at():
    """An incremental on a timestamp cursor."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def tickets(
        updated_at=dlt.sources.incremental("updated_at", initial_value="2024-01-01T00:00:00Z"),
    ) -> Iterator[dict[str, Any]]:
        yield [row for row in _tickets() if row["updated_at"] >= updated_at.start_value]

    return tickets


@dlt.source
def tickets_by_id():
    """An incremental on an integer id, appending."""

    @dlt.resource(write_disposition="append")
    def tickets(last_id=dlt.sources.incremental("id", initial_value=-1)) -> Iterator[dict]:
        yield [row for row in _tickets() if row["id"] > last_id.start_value]

    return tickets


@dlt.source
def tickets_for_schedulers():
    """An incremental that takes its window from an external scheduler: a Dagster partition."""

    # dlt joins a scheduler's window only on a datetime cursor: timestamps, not strings.
    @dlt.resource(primary_key="id", write_disposition="merge")
    def tickets(
        updated_at=dlt.sources.incremental(
            "updated_at",
            initial_value=FIRST_DAY,
            allow_external_schedulers=True,
        ),
    ) -> Iterator[dict[str, Any]]:
        rows = [{**row, "updated_at": pendulum.parse(row["updated_at"])} for row in _tickets()]
        yield [row for row in rows if row["updated_at"] >= updated_at.start_value]

    return tickets


@dlt.source
def tickets_in_range(start: str = "2024-01-02T00:00:00Z", end: str = "2024-01-04T00:00:00Z"):
    """An incremental with an ``end_value``: a bounded backfill."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def tickets(
        updated_at=dlt.sources.incremental("updated_at", initial_value=start, end_value=end),
    ) -> Iterator[dict[str, Any]]:
        yield [
            row
            for row in _tickets()
            if updated_at.start_value <= row["updated_at"] < updated_at.end_value
        ]

    return tickets


# --- Nested data, two levels deep ---------------------------------------------------------------


@dlt.source
def orders_with_items():
    """Orders with items, each with options: tables ``orders__items`` and
    ``orders__items__options``."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def orders() -> Iterator[dict[str, Any]]:
        for i in range(3):
            yield {
                "id": i,
                "items": [
                    {"sku": f"sku-{i}-{j}", "options": [{"name": "gift"}, {"name": "wrap"}]}
                    for j in range(2)
                ],
            }

    return orders


# --- dlt's sql_database, rest_api and filesystem sources ----------------------------------------


def sql_plain():
    return sql_database(os.environ["SHAPES_SQL_URL"], table_names=["customers", "orders"])


def sql_deferred():
    return sql_database(
        os.environ["SHAPES_SQL_URL"], table_names=["customers", "orders"], defer_table_reflect=True
    )


def sql_pyarrow():
    return sql_database(
        os.environ["SHAPES_SQL_URL"], table_names=["customers", "orders"], backend="pyarrow"
    )


def blog_api():
    """``rest_api_source`` with a dependent resource: each post's comments."""
    return rest_api_source(
        {
            "client": {"base_url": os.environ["SHAPES_API_URL"], "paginator": "single_page"},
            "resources": [
                {"name": "posts", "endpoint": {"path": "posts.json"}, "primary_key": "id"},
                {
                    "name": "comments",
                    "endpoint": {
                        "path": "posts/{post_id}/comments.json",
                        "params": {
                            "post_id": {"type": "resolve", "resource": "posts", "field": "id"}
                        },
                    },
                },
            ],
        },
        name="blog",
    )


def files_csv_reader():
    """dlt's filesystem source as ``readers(...).with_resources("read_csv")``."""
    return readers(bucket_url=os.environ["SHAPES_FILES"], file_glob="*.csv").with_resources(
        "read_csv"
    )


@dlt.source
def files_csv_piped():
    """``filesystem(...) | read_csv()``, as dlt's docs pipe a reader."""
    files = filesystem(bucket_url=os.environ["SHAPES_FILES"], file_glob="*.csv")
    return (files | read_csv()).with_name("csv_rows")


@dlt.source
def files_jsonl_piped():
    files = filesystem(bucket_url=os.environ["SHAPES_FILES"], file_glob="*.jsonl")
    return (files | read_jsonl()).with_name("jsonl_rows")


@dlt.source
def files_parquet_piped():
    files = filesystem(bucket_url=os.environ["SHAPES_FILES"], file_glob="*.parquet")
    return (files | read_parquet()).with_name("parquet_rows")


def files_csv_duckdb_reader():
    return readers(bucket_url=os.environ["SHAPES_FILES"], file_glob="*.csv").with_resources(
        "read_csv_duckdb"
    )


# --- Secrets as arguments and from the environment ----------------------------------------------


@dlt.source
def ticketing(api_token: str = dlt.secrets.value):
    """A source with a secret argument: ``dlt.secrets.value`` from the environment, or passed."""

    @dlt.resource(primary_key="id")
    def agents() -> Iterator[dict[str, Any]]:
        if api_token != API_TOKEN:
            raise ValueError("the ticketing API refused the token")
        yield [{"id": i, "agent": f"agent-{i}"} for i in range(4)]

    return agents


def secret_as_argument():
    return ticketing(api_token=API_TOKEN)


def secret_from_env():
    return ticketing()


# --- @dlt.source(name=...) differing from the function name -------------------------------------


@dlt.source(name="hr")
def load_hr_data():
    """The source's name, ``hr``, is not its function's."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def employees() -> Iterator[dict[str, Any]]:
        yield [{"id": i, "team": "data"} for i in range(3)]

    return employees


def _window_tickets(start: str, end: str):
    return tickets_in_range(start=start, end=end)


SHAPES: dict[str, Shape] = {
    shape.name: shape
    for shape in [
        Shape("source_and_resource_same_name", events_source, {"events": 5}),
        Shape("resource_piped_to_transformer", users_piped, {"users": 3, "user_details": 3}),
        Shape("transformer_with_data_from", users_with_data_from, {"users": 3, "user_roles": 3}),
        Shape("parametrized_resource_called", site_called, {"pages": 4}),
        Shape("parametrized_resource_uncalled", site_uncalled, {"pages": 3}),
        Shape("resource_of_generator_function", numbers_from_function, {"numbers": 6}),
        Shape("resource_of_generator_object", numbers_from_generator, {"numbers": 6}),
        Shape("with_resources_map_filter_limit", crm_picked_and_mapped, {"contacts": 2}),
        Shape("incremental_updated_at", tickets_by_updated_at, {"tickets": 10}),
        Shape("incremental_integer_id", tickets_by_id, {"tickets": 10}),
        Shape(
            "incremental_external_scheduler",
            tickets_for_schedulers,
            {"tickets": 10},
            rows_in_partition={"tickets": 2},  # tickets 1 and 6 were updated on 2024-01-02
        ),
        Shape(
            "incremental_end_value",
            tickets_in_range,
            {"tickets": 4},  # 2024-01-02 and 2024-01-03: tickets 1, 2, 6, 7
            rows_in_partition={"tickets": 2},
            build_for_partition=_window_tickets,
        ),
        Shape(
            "nested_two_levels",
            orders_with_items,
            {"orders": 3, "orders__items": 6, "orders__items__options": 12},
        ),
        Shape("sql_database", sql_plain, {"customers": 3, "orders": 5}, needs=("sql",)),
        Shape(
            "sql_database_deferred_reflection",
            sql_deferred,
            {"customers": 3, "orders": 5},
            needs=("sql",),
        ),
        Shape("sql_database_pyarrow", sql_pyarrow, {"customers": 3, "orders": 5}, needs=("sql",)),
        Shape("rest_api_dependent_resource", blog_api, {"posts": 3, "comments": 6}, needs=("api",)),
        Shape("filesystem_readers_read_csv", files_csv_reader, {"read_csv": 4}, needs=("files",)),
        Shape("filesystem_read_csv", files_csv_piped, {"csv_rows": 4}, needs=("files",)),
        Shape("filesystem_read_jsonl", files_jsonl_piped, {"jsonl_rows": 3}, needs=("files",)),
        Shape(
            "filesystem_read_parquet", files_parquet_piped, {"parquet_rows": 5}, needs=("files",)
        ),
        Shape(
            "filesystem_read_csv_duckdb",
            files_csv_duckdb_reader,
            {"read_csv_duckdb": 4},
            needs=("files",),
        ),
        Shape("secret_as_argument", secret_as_argument, {"agents": 4}),
        Shape("secret_from_env", secret_from_env, {"agents": 4}),
        Shape("source_named_unlike_its_function", load_hr_data, {"employees": 3}),
    ]
}
"""Every shape, by name."""


def shape_pipeline(shape: Shape, duckdb_path: Any, **kwargs: Any) -> dlt.Pipeline:
    """The pipeline of ``shape``: its own name, dataset ``corpus``, into ``duckdb_path``."""
    return dlt.pipeline(
        pipeline_name=f"shape_{shape.name}",
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name="corpus",
        **kwargs,
    )
