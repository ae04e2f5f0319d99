"""The source and pipeline that shop_load/defs.yaml points at."""

import dlt


@dlt.source
def shop():
    """A shop's customers and their orders."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def customers():
        """Customers of the shop."""
        yield [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Grace"}]

    @dlt.transformer(data_from=customers, primary_key="id", write_disposition="merge")
    def orders(customers_page):
        """Orders, two per customer."""
        for customer in customers_page:
            yield [{"id": customer["id"] * 10 + n, "customer_id": customer["id"]} for n in (1, 2)]

    return customers, orders


shop_source = shop()
shop_pipeline = dlt.pipeline(
    pipeline_name="shop",
    destination=dlt.destinations.duckdb("warehouse.duckdb"),
    dataset_name="shop",
)
