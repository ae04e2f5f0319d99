"""The datasets of a code location, listed and read from a script or a notebook."""

from dagster_dlt import DltCatalog

from data_access_input import defs


def main() -> None:
    catalog = DltCatalog.from_definitions(defs)
    # Datasets with destination, location and tables: reads each dlt schema, never the data.
    print(catalog)
    orders = catalog.table("shop_raw", "orders")  # or catalog.asset("dlt_shop_orders")
    print(orders.select("id", "customer", "total").order_by("id").df())


if __name__ == "__main__":
    main()
