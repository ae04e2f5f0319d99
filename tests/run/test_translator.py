"""Customising specs with a translator: the new get_asset_spec and every legacy per-field getter."""

import warnings

import pytest
from dagster import (
    AssetKey,
    AutoMaterializePolicy,
    AutoMaterializeRule,
    AutomationCondition,
)

from dagster_dlt import DagsterDltTranslator, build_dlt_asset_specs
from dagster_dlt.translator import DltResourceTranslatorData
from tests.support.dlt_fixtures import shop


def specs_by_name(translator, pipeline):
    return {
        spec.metadata["dagster_dlt/resource_name"]: spec
        for spec in build_dlt_asset_specs(shop(), pipeline, translator)
    }


def test_get_asset_spec_override_renames_assets(make_pipeline):
    class Renaming(DagsterDltTranslator):
        def get_asset_spec(self, data: DltResourceTranslatorData):
            spec = super().get_asset_spec(data)
            return spec.replace_attributes(
                key=AssetKey(["raw", data.resource.name]),
                group_name="raw",
                owners=["team:data"],
                tags={"layer": "bronze"},
                automation_condition=AutomationCondition.eager(),
            )

    spec = specs_by_name(Renaming(), make_pipeline())["customers"]
    assert spec.key == AssetKey(["raw", "customers"])
    assert spec.group_name == "raw"
    assert spec.owners == ["team:data"]
    assert spec.tags["layer"] == "bronze"
    assert spec.kinds == {"dlt", "duckdb"}
    assert spec.automation_condition is not None
    # Calling a legacy getter on a new-style translator returns the new-style field.
    assert Renaming().get_asset_key(shop().resources["orders"]) == AssetKey(["raw", "orders"])


LEGACY_CASES = [
    (
        "get_asset_key",
        lambda self, r: AssetKey(["legacy", r.name]),
        "key",
        AssetKey(["legacy", "customers"]),
    ),
    ("get_deps_asset_keys", lambda self, r: [AssetKey("upstream_api")], "deps", None),
    ("get_description", lambda self, r: "from legacy", "description", "from legacy"),
    ("get_group_name", lambda self, r: "legacy_group", "group_name", "legacy_group"),
    ("get_owners", lambda self, r: ["alice@example.com"], "owners", ["alice@example.com"]),
    ("get_tags", lambda self, r: {"tier": "gold"}, "tags", None),
    ("get_kinds", lambda self, r, d: {"dlt", "api"}, "kinds", {"dlt", "api"}),
    ("get_metadata", lambda self, r: {"owner_team": "ingest"}, "metadata", None),
    (
        "get_automation_condition",
        lambda self, r: AutomationCondition.on_cron("0 * * * *"),
        "automation_condition",
        None,
    ),
]


@pytest.mark.parametrize(
    ("getter", "impl", "attribute", "expected"), LEGACY_CASES, ids=[c[0] for c in LEGACY_CASES]
)
def test_legacy_getter_overrides_take_effect_with_a_deprecation_warning(
    make_pipeline, getter, impl, attribute, expected
):
    translator_cls = type("LegacyTranslator", (DagsterDltTranslator,), {getter: impl})

    with pytest.warns(DeprecationWarning, match=f"{getter} is deprecated.*get_asset_spec"):
        spec = specs_by_name(translator_cls(), make_pipeline())["customers"]

    value = getattr(spec, attribute)
    if getter == "get_deps_asset_keys":
        assert [dep.asset_key for dep in value] == [AssetKey("upstream_api")]
    elif getter == "get_tags":
        assert value["tier"] == "gold"
        assert spec.kinds == {"dlt", "duckdb"}, "user tags must not drop the kinds"
    elif getter == "get_metadata":
        assert value["owner_team"] == "ingest"
        assert value["dagster/table_name"] == "customers"
    elif getter == "get_automation_condition":
        assert isinstance(value, AutomationCondition)
        assert "0 * * * *" in str(value.get_label() or value)
    else:
        assert value == expected


def test_legacy_auto_materialize_policy_really_takes_effect(make_pipeline):
    class PolicyTranslator(DagsterDltTranslator):
        def get_auto_materialize_policy(self, resource):
            return AutoMaterializePolicy.eager().with_rules(
                AutoMaterializeRule.materialize_on_cron("0 0 * * *")
            )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = specs_by_name(PolicyTranslator(), make_pipeline())["customers"]
    assert spec.automation_condition is not None
    assert spec.auto_materialize_policy is not None


def test_legacy_override_calling_super_does_not_recurse(make_pipeline):
    class Prefixing(DagsterDltTranslator):
        def get_asset_key(self, resource):
            return super().get_asset_key(resource).with_prefix("warehouse")

    with pytest.warns(DeprecationWarning):
        spec = specs_by_name(Prefixing(), make_pipeline())["orders"]
    assert spec.key == AssetKey(["warehouse", "dlt_shop_orders"])
