"""What the assets of a dlt source will be, without defining or running them."""

from dagster_dlt import build_dlt_asset_specs

from example_source import example, example_pipeline


def describe() -> list[str]:
    """One line per asset: key, upstream keys, kinds and the table it loads."""
    lines = []
    for spec in build_dlt_asset_specs(dlt_source=example(), dlt_pipeline=example_pipeline):
        deps = ", ".join(dep.asset_key.to_user_string() for dep in spec.deps)
        lines.append(
            f"{spec.key.to_user_string()} <- {deps} kinds={sorted(spec.kinds)} "
            f"table={spec.metadata['dagster/table_name']}"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(describe()))
