"""The demo's components: dlt loads declared in YAML (``shop/defs.yaml``) and what feeds them.

Loaded into the demo's definitions by ``dagster_dlt_demo.definitions``.
"""
