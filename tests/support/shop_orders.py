"""The shop the data-access tests read: orders with nested line items, and customers."""

from collections.abc import Iterator
from typing import Any

import dlt

__all__ = ["shop"]


@dlt.source
def shop():
    @dlt.resource(primary_key="id", write_disposition="merge")
    def orders() -> Iterator[list[dict[str, Any]]]:
        """Orders with their line items."""
        yield [
            {"id": 1, "customer": "ada", "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]},
            {"id": 2, "customer": "grace", "items": [{"sku": "c", "qty": 5}]},
        ]

    @dlt.resource(primary_key="name")
    def customers() -> Iterator[dict[str, Any]]:
        yield from ({"name": name} for name in ("ada", "grace", "linus"))

    return orders, customers
