"""Snowflake credentials held by Dagster: EnvVar fields, read when a run starts."""

import dlt
from dagster import AssetExecutionContext, ConfigurableResource, Definitions, EnvVar

from dagster_dlt import DagsterDltResource, dlt_assets

from snowflake_shop import shop


class SnowflakeLogin(ConfigurableResource):
    account: str
    database: str
    username: str
    password: str
    warehouse: str
    role: str

    def dlt_credentials(self) -> dict:
        return {
            "host": self.account,
            "database": self.database,
            "username": self.username,
            "password": self.password,
            "warehouse": self.warehouse,
            "role": self.role,
        }


@dlt_assets(
    dlt_source=shop(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="shop", destination="snowflake", dataset_name="raw_shop"
    ),
)
def shop_assets(context: AssetExecutionContext, dlt: DagsterDltResource, snowflake: SnowflakeLogin):
    yield from dlt.run(context=context, credentials=snowflake.dlt_credentials())


defs = Definitions(
    assets=[shop_assets],
    resources={
        "dlt": DagsterDltResource(),
        "snowflake": SnowflakeLogin(
            account=EnvVar("SNOWFLAKE_ACCOUNT"),
            database=EnvVar("SNOWFLAKE_DATABASE"),
            username=EnvVar("SNOWFLAKE_USER"),
            password=EnvVar("SNOWFLAKE_PASSWORD"),
            warehouse=EnvVar("SNOWFLAKE_WAREHOUSE"),
            role=EnvVar("SNOWFLAKE_ROLE"),
        ),
    },
)
