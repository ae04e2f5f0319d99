"""What a user sees in the asset graph: keys, deps, descriptions, kinds, spec metadata, errors."""

import dlt
import dlt.destinations as dlt_destinations
import pytest
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    DagsterInvalidDefinitionError,
    DagsterInvariantViolationError,
    Definitions,
)

from dagster_dlt import DagsterDltResource, DagsterDltTranslator, build_dlt_asset_specs, dlt_assets
from dagster_dlt.constants import META_KEY_PIPELINE, META_KEY_SOURCE, META_KEY_TRANSLATOR
from dagster_dlt.translator import DltResourceTranslatorData
from tests.support.dlt_fixtures import shop


def test_default_keys_deps_and_descriptions_match_the_published_package(make_pipeline):
    specs = {spec.key: spec for spec in build_dlt_asset_specs(shop(), make_pipeline())}

    assert set(specs) == {
        AssetKey("dlt_shop_customers"),
        AssetKey("dlt_shop_orders"),
        AssetKey("dlt_shop_events"),
    }
    assert [d.asset_key for d in specs[AssetKey("dlt_shop_customers")].deps] == [
        AssetKey("shop_customers")
    ]
    # A transformer depends on the root resource of its pipe: where its data comes from.
    assert [d.asset_key for d in specs[AssetKey("dlt_shop_orders")].deps] == [
        AssetKey("shop_customers")
    ]
    assert specs[AssetKey("dlt_shop_customers")].description == "Customers of the shop."
    assert (
        specs[AssetKey("dlt_shop_orders")].description
        == "Orders of each customer, with their items."
    )
    assert specs[AssetKey("dlt_shop_events")].description is None


def test_kinds_and_spec_metadata(make_pipeline):
    pipeline = make_pipeline()
    translator = DagsterDltTranslator()
    source = shop()
    specs = {spec.key: spec for spec in build_dlt_asset_specs(source, pipeline, translator)}

    customers = specs[AssetKey("dlt_shop_customers")]
    assert customers.kinds == {"dlt", "duckdb"}
    assert customers.metadata["dagster/table_name"] == "customers"
    assert customers.metadata["dagster/storage_kind"] == "duckdb"
    assert customers.metadata[META_KEY_SOURCE] is source
    assert customers.metadata[META_KEY_PIPELINE] is pipeline
    assert customers.metadata[META_KEY_TRANSLATOR] is translator
    # A dynamic table name falls back to the resource's name.
    assert specs[AssetKey("dlt_shop_events")].metadata["dagster/table_name"] == "events"


def test_translator_data_exposes_the_pipeline_destination(make_pipeline):
    pipeline = make_pipeline()
    resource = shop().resources["customers"]
    assert (
        DltResourceTranslatorData(resource=resource, pipeline=pipeline).destination
        is pipeline.destination
    )
    assert DltResourceTranslatorData(resource=resource).destination is None


def test_only_selected_resources_become_assets(make_pipeline):
    specs = build_dlt_asset_specs(shop().with_resources("customers"), make_pipeline())
    assert [spec.key for spec in specs] == [AssetKey("dlt_shop_customers")]


def test_dlt_assets_is_subsettable_and_loads_without_network_or_secrets(make_pipeline):
    @dlt_assets(dlt_source=shop(), dlt_pipeline=make_pipeline(), group_name="shop")
    def shop_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    assert shop_assets.can_subset
    assert shop_assets.op.name == "shop_assets"
    assert {shop_assets.group_names_by_key[key] for key in shop_assets.keys} == {"shop"}
    Definitions.validate_loadable(
        Definitions(assets=[shop_assets], resources={"dlt": DagsterDltResource()})
    )


def test_name_sets_the_op_name(make_pipeline):
    @dlt_assets(dlt_source=shop(), dlt_pipeline=make_pipeline(), name="custom_op")
    def shop_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    assert shop_assets.op.name == "custom_op"


def test_group_name_conflicts_with_translator_groups(make_pipeline):
    class Grouped(DagsterDltTranslator):
        def get_asset_spec(self, data):
            return super().get_asset_spec(data).replace_attributes(group_name="from_translator")

    with pytest.raises(DagsterInvariantViolationError, match="already sets a group"):

        @dlt_assets(
            dlt_source=shop(),
            dlt_pipeline=make_pipeline(),
            group_name="shop",
            dagster_dlt_translator=Grouped(),
        )
        def shop_assets(context, dlt: DagsterDltResource):
            yield from dlt.run(context=context)


def test_clear_errors_for_bad_arguments(make_pipeline):
    with pytest.raises(
        DagsterInvalidDefinitionError, match=r"call it, e.g. dlt_source=my_source\(\)"
    ):
        build_dlt_asset_specs(shop, make_pipeline())
    with pytest.raises(DagsterInvalidDefinitionError, match="dlt_pipeline must be a dlt Pipeline"):
        build_dlt_asset_specs(shop(), "duckdb")
    with pytest.raises(DagsterInvalidDefinitionError, match="instance of DagsterDltTranslator"):
        build_dlt_asset_specs(shop(), make_pipeline(), object())


def test_two_resources_with_one_key_is_a_definition_error(make_pipeline):
    class Collapsing(DagsterDltTranslator):
        def get_asset_spec(self, data):
            return super().get_asset_spec(data).replace_attributes(key=AssetKey("same"))

    with pytest.raises(DagsterInvalidDefinitionError, match=r"'customers' and 'orders'.*same"):
        build_dlt_asset_specs(shop(), make_pipeline(), Collapsing())


def test_translator_must_return_an_asset_spec(make_pipeline):
    class Broken(DagsterDltTranslator):
        def get_asset_spec(self, data):
            return AssetKey("not_a_spec")

    with pytest.raises(DagsterInvalidDefinitionError, match=r"must return a dagster\.AssetSpec"):
        build_dlt_asset_specs(shop(), make_pipeline(), Broken())


def test_spec_without_destination_has_only_the_dlt_kind():
    pipeline = dlt.pipeline(pipeline_name="no_destination")
    spec = build_dlt_asset_specs(shop(), pipeline)[0]
    assert isinstance(spec, AssetSpec)
    assert spec.kinds == {"dlt"}
    assert "dagster/storage_kind" not in spec.metadata


def test_dlt_assets_without_a_destination_says_where_to_set_one(tmp_path):
    pipeline = dlt.pipeline(pipeline_name="no_destination", pipelines_dir=str(tmp_path / "p"))
    assert build_dlt_asset_specs(shop(), pipeline)  # specs alone need no destination

    with pytest.raises(DagsterInvalidDefinitionError) as raised:

        @dlt_assets(dlt_source=shop(), dlt_pipeline=pipeline)
        def shop_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
            yield from dlt.run(context=context)

    message = str(raised.value)
    assert "no_destination" in message and "has no destination" in message
    assert "destination=" in message and "DESTINATION_TYPE" in message


def test_a_destination_from_config_or_from_the_body_is_accepted(
    tmp_path, duckdb_path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DESTINATION_TYPE", "duckdb")
    from_env = dlt.pipeline(pipeline_name="from_env", pipelines_dir=str(tmp_path / "p"))

    @dlt_assets(dlt_source=shop(), dlt_pipeline=from_env)
    def env_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    monkeypatch.delenv("DESTINATION_TYPE")
    # The published package passes dlt.run's extra arguments to pipeline.run: a body may name
    # the destination itself.
    in_body = dlt.pipeline(pipeline_name="in_body", pipelines_dir=str(tmp_path / "p"))

    @dlt_assets(dlt_source=shop(), dlt_pipeline=in_body)
    def body_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context, destination=dlt_destinations.duckdb(str(duckdb_path)))

    from dagster import materialize

    assert materialize([body_assets], resources={"dlt": DagsterDltResource()}).success
    assert env_assets.keys == body_assets.keys
