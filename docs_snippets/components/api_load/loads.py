"""A ticketing API that needs a key: defs.yaml names the source function, uncalled."""

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth


# dlt looks up api_key in SOURCES__TICKETS__API_KEY (or [sources.tickets] in
# .dlt/secrets.toml), and base_url in SOURCES__TICKETS__BASE_URL (or .dlt/config.toml).
@dlt.source(section="tickets")
def tickets(base_url: str = dlt.config.value, api_key: str = dlt.secrets.value):
    """Open tickets. The key and URL are only used inside the resource, when it runs."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def open_tickets():
        client = RESTClient(base_url=base_url, auth=BearerTokenAuth(api_key))
        yield from client.paginate("/tickets", params={"state": "open"})

    return open_tickets


tickets_pipeline = dlt.pipeline(
    pipeline_name="tickets",
    destination=dlt.destinations.duckdb("warehouse.duckdb"),
    dataset_name="support",
)
