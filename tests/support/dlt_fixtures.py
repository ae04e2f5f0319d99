"""Small dlt sources shared by the tests: plain resources, a transformer, nested and dynamic tables."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import dlt
import duckdb


@dlt.source
def shop(n_orders: int = 3, day: Optional[str] = None):
    """A shop: customers, their orders (a transformer), nested items, events with dynamic tables."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def customers() -> Iterator[dict[str, Any]]:
        """Customers of the shop."""
        yield [{"id": 1, "name": "ada"}, {"id": 2, "name": "grace"}]

    @dlt.transformer(data_from=customers, primary_key="id", write_disposition="merge")
    def orders(batch: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Orders of each customer, with their items."""
        for customer in batch:
            for i in range(n_orders):
                yield {
                    "id": customer["id"] * 100 + i,
                    "customer_id": customer["id"],
                    "day": day,
                    "items": [{"sku": f"sku-{i}", "qty": i + 1}],
                }

    @dlt.resource(table_name=lambda event: f"{event['kind']}_events")
    def events() -> Iterator[dict[str, Any]]:
        yield [{"kind": "click", "n": 1}, {"kind": "view", "n": 2}, {"kind": "view", "n": 3}]

    return customers, orders, events


@dlt.source
def quiet():
    """A source whose resource yields nothing."""

    @dlt.resource
    def nothing() -> Iterator[dict[str, Any]]:
        yield from []

    return nothing


def count_rows(duckdb_path, dataset: str, table: str) -> int:
    with duckdb.connect(str(duckdb_path), read_only=True) as conn:
        return conn.execute(f'SELECT COUNT(*) FROM "{dataset}"."{table}"').fetchone()[0]


def table_exists(duckdb_path, dataset: str, table: str) -> bool:
    if not Path(duckdb_path).exists():
        return False
    with duckdb.connect(str(duckdb_path), read_only=True) as conn:
        return bool(
            conn.execute(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [dataset, table],
            ).fetchone()[0]
        )


def step_failure_text(result: Any) -> str:
    """Every step failure of a Dagster run result, with its chain of causes, as text."""
    messages = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None:
                messages.append(f"{error.cls_name}: {error.message}")
                error = error.cause
    return "\n".join(messages)
