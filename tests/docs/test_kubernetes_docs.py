"""docs/kubernetes.md: its code location as a cluster would load and run it, and every piece of
Kubernetes configuration on the page, checked against Dagster's and dagster-k8s's own schemas.

No cluster is needed. The snippet is saved into an empty folder and imported there by a fresh
Python process that reaches only the installed packages, with no dlt, Dagster or Kubernetes
settings of this machine in its environment and every connection to another host refused (the
network guard of ``tests/support/offline_demo.py``); it reports its definitions as JSON. Each
step's Kubernetes Job is then built from the executor's resolved config with dagster-k8s's own
code. The steps also run for real, each in a fresh process with an empty dlt data directory, as
on a new pod, against a local stand-in of the shop API and the Snowflake emulator.

The page's Helm values are mapped, key by key, onto the ``dagster.yaml`` fields the dagster
chart's templates make of them (the tables below) and validated against those fields' schemas,
so a misspelt key fails here and not only at ``helm install``.

This module is the driver too: ``python tests/docs/test_kubernetes_docs.py <driver> <json>`` is
what the tests start in the folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "kubernetes.md"
SNIPPET = "kubernetes_split.py"
RESULT = "KUBERNETES-DOCS-RESULT: "
STEPS = ["dlt_shop_api_customers", "dlt_shop_api_orders", "dlt_shop_api_products"]
API_KEY = "shop-key-5e1a"

# The emulator's fixtures: snowflake_emulator, snowflake_database.
pytest_plugins = ["tests.support.snowflake_emulator"]

pytestmark = [
    # dagster-k8s, the Snowflake emulator and pytest-httpserver come with the test extra only;
    # tests/docs/ has no conftest.py to mark this module through extended_modules, so it marks
    # itself, and imports them inside the tests so that it still collects without them.
    pytest.mark.extended,
    # fakesnow's own use of DuckDB, inside the emulator's thread.
    pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning"),
]


# --- the driver: runs in the reader's folder --------------------------------------------------


def load(file: str) -> ModuleType:
    """Import a file of the working directory as ``dagster ... -f <file>`` does."""
    name = Path(file).stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(file).resolve())
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def drive_describe(args: dict[str, Any]) -> dict[str, Any]:
    """What the snippet's definitions say: steps, pools, jobs and their executor's config."""
    import warnings

    from dagster import DagsterInvalidConfigError, validate_run_config

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        snippet = load(SNIPPET)
    jobs = {}
    for unresolved in snippet.defs.jobs or []:
        job = snippet.defs.resolve_job_def(unresolved.name)
        execution, error = None, None
        try:
            # Applies the executor's .configured({...}) and validates it against
            # k8s_job_executor's schema, as launching a run does.
            execution = validate_run_config(job)["execution"]
        except DagsterInvalidConfigError as invalid:
            error = str(invalid)
        jobs[job.name] = {
            "executor": job.executor_def.name,
            "ops": sorted(node.name for node in job.graph.nodes),
            "execution": execution,
            "error": error,
        }
    return {
        "isolated": {
            name: importlib.util.find_spec(name) is None
            for name in ("docs_snippets", "dlt_sources", "tests")
        },
        "secret": snippet.SECRET,
        "pool": snippet.POOL,
        "steps": [
            {
                "op": step.op.name,
                "keys": sorted(key.to_user_string() for key in step.keys),
                "pool": step.op.pool,
                "tags": dict(step.op.tags),
            }
            for step in snippet.defs.assets or []
        ],
        "jobs": jobs,
        "warnings": [
            f"{w.category.__name__}: {w.message}"
            for w in caught
            if not issubclass(w.category, DeprecationWarning)
        ],
    }


def drive_run(args: dict[str, Any]) -> dict[str, Any]:
    """Materialize the snippet's steps named in ``args["ops"]``, as their pods do."""
    from dagster import materialize

    snippet = load(SNIPPET)
    steps = [step for step in snippet.shop_steps if step.op.name in args["ops"]]
    result = materialize(steps, resources=dict(snippet.defs.resources), raise_on_error=False)
    return {
        "success": result.success,
        "rows": {
            event.asset_key.to_user_string(): event.materialization.metadata["rows_loaded"].value
            for event in result.get_asset_materialization_events()
        },
        "failures": [
            event.step_failure_data.error.to_string()
            for event in result.all_events
            if event.is_step_failure and event.step_failure_data.error
        ],
    }


DRIVERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "describe": drive_describe,
    "run": drive_run,
}


def main() -> None:
    # As `dagster ... -f kubernetes_split.py` in the folder: the folder first on sys.path, and
    # not this tests/ directory (where this driver happens to live).
    sys.path[0] = os.getcwd()
    driver, args = sys.argv[1], json.loads(sys.argv[2])
    print(RESULT + json.dumps(DRIVERS[driver](args), default=str), flush=True)


# --- the reader's folder and its processes ----------------------------------------------------


def snippet_text(name: str) -> str:
    """A snippet's text, which tests/docs/test_docs_pages.py keeps equal to the page's block."""
    return (REPO / "docs_snippets" / name).read_text()


def reader_folder(base: Path) -> Path:
    """An empty folder holding only the page's file, as a reader saves it."""
    folder = base / "code_location"
    folder.mkdir(parents=True)
    # Named as a literal: tests/docs/test_docs_snippets.py reads which snippets tests use from
    # their source.
    (folder / SNIPPET).write_text(snippet_text("kubernetes_split.py"))
    return folder


def pod_env(root: Path, **extra: str) -> tuple[dict[str, str], Callable[[], list[str]]]:
    """The environment of a fresh pod, and what its network guard refused so far: a home, a dlt
    data directory and a Dagster home of its own (all empty), the installed packages only (no
    PYTHONPATH but the guard), and none of this machine's dlt, Dagster or Kubernetes settings."""
    from tests.support.offline_demo import Offline

    offline = Offline(root)
    dropped = ("DESTINATION__", "SOURCES__", "KUBERNETES_", "KUBECONFIG")
    env = {k: v for k, v in offline.env.items() if not k.startswith(dropped)}
    (root / "home").mkdir()
    env.update(PYTHONPATH=str(root / "network_guard"), HOME=str(root / "home"), **extra)
    return env, offline.network_attempts


def run_driver(driver: str, folder: Path, env: dict[str, str], **args: Any) -> dict[str, Any]:
    """Run ``driver`` (a ``drive_*`` function below) in a fresh process in ``folder``."""
    from tests.support import drivers  # not at the top: the child runs this file outside the repo

    return drivers.run_driver(__file__, RESULT, driver, folder, env, 300, **args)


@pytest.fixture(scope="module")
def described(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The snippet's definitions as a fresh process with no network, secret or cluster sees them."""
    base = tmp_path_factory.mktemp("kubernetes_describe")
    env, network_attempts = pod_env(base / "pod")
    done = run_driver("describe", reader_folder(base), env)
    done["network_attempts"] = network_attempts()
    return done


def page_text() -> str:
    return PAGE.read_text()


def yaml_blocks() -> list[Any]:
    """Every ```yaml block of the page, parsed."""
    blocks = re.findall(r"^```yaml\n(.*?)^```$", page_text(), re.MULTILINE | re.DOTALL)
    return [yaml.safe_load(block) for block in blocks]


# --- the code location ------------------------------------------------------------------------


def test_the_code_location_loads_with_no_network_secret_or_cluster(described: dict[str, Any]):
    assert described["network_attempts"] == []
    # Only the installed packages: the snippet imports nothing of this repository.
    assert all(described["isolated"].values()), described["isolated"]
    # Snowflake keeps dlt's state, so splitting into it raises no "keeps no dlt state" warning.
    assert described["warnings"] == []


def test_the_source_is_split_into_one_step_per_resource(described: dict[str, Any]):
    steps = {step["op"]: step["keys"] for step in described["steps"]}

    assert steps == {op: [op] for op in STEPS}
    # The page names the steps the job runs.
    for op in STEPS:
        assert f"`{op}`" in page_text()


def test_every_step_holds_the_destinations_pool(described: dict[str, Any]):
    pool = described["pool"]

    assert {step["op"]: step["pool"] for step in described["steps"]} == dict.fromkeys(STEPS, pool)
    # The page sets the limit of that pool, not of another.
    assert f"dagster instance concurrency set {pool} " in page_text()


def test_the_job_runs_every_step_on_the_configured_k8s_executor(described: dict[str, Any]):
    [(name, job)] = described["jobs"].items()
    secret = described["secret"]

    assert name == "shop_job" and job["executor"] == "k8s"
    assert job["ops"] == STEPS
    assert job["error"] is None, job["error"]
    execution = job["execution"]["k8s"]
    assert execution["max_concurrent"] == 3
    assert execution["env_secrets"] == [secret]
    # dagster-k8s looks each step's entry up by op name and ignores any other name.
    assert set(execution["per_step_k8s_config"]) <= set(STEPS)
    # The page creates the Secret the executor names.
    assert f"kubectl create secret generic {secret} " in page_text()


def step_container(execution: Mapping[str, Any], op: str, tags: Mapping[str, str]) -> Any:
    """The container of ``op``'s step pod, as dagster-k8s builds it from the executor's resolved
    config: ``k8s_job_executor`` makes a container context of its fields and ``step_k8s_config``,
    and ``K8sStepHandler._get_container_context`` merges the op's ``dagster-k8s/config`` tag and
    its ``per_step_k8s_config`` entry onto it (the run launcher's part, below it, is the Helm
    values' and not the job's). Kubernetes' own models reject an unknown key."""
    from dagster_k8s import DagsterK8sJobConfig, construct_dagster_k8s_job
    from dagster_k8s.container_context import K8sContainerContext
    from dagster_k8s.job import (
        UserDefinedDagsterK8sConfig,
        get_k8s_job_name,
        get_user_defined_k8s_config,
    )

    fields = ("image_pull_policy", "image_pull_secrets", "service_account_name", "env_config_maps",
              "env_secrets", "env_vars", "volume_mounts", "volumes", "labels", "resources",
              "scheduler_name", "security_context")  # fmt: skip
    context = K8sContainerContext(
        **{field: execution.get(field) for field in fields},
        namespace=execution.get("job_namespace"),
        run_k8s_config=UserDefinedDagsterK8sConfig.from_dict(execution.get("step_k8s_config", {})),
    )
    context = context.merge(K8sContainerContext(run_k8s_config=get_user_defined_k8s_config(tags)))
    per_step = execution["per_step_k8s_config"].get(op, {})
    context = context.merge(
        K8sContainerContext(run_k8s_config=UserDefinedDagsterK8sConfig.from_dict(per_step))
    )
    job = construct_dagster_k8s_job(
        job_config=DagsterK8sJobConfig(job_image="registry.example.com/shop-api:1.0.0"),
        args=["dagster", "api", "execute_step"],
        job_name=f"dagster-step-{get_k8s_job_name('0f5e9d2c-run', op)}",
        user_defined_k8s_config=context.run_k8s_config,
    )
    [container] = job.spec.template.spec.containers
    return container


def test_each_step_pod_gets_the_secret_and_its_own_resources(described: dict[str, Any]):
    execution = described["jobs"]["shop_job"]["execution"]["k8s"]
    tags = {step["op"]: step["tags"] for step in described["steps"]}

    pods = {op: step_container(execution, op, tags[op]) for op in STEPS}

    for op, container in pods.items():
        secrets = [source.secret_ref.name for source in container.env_from]
        assert secrets == [described["secret"]], op
    resources = {op: (c.resources.requests, c.resources.limits) for op, c in pods.items()}
    small = ({"cpu": "500m", "memory": "1Gi"}, {"memory": "1Gi"})
    assert resources == {
        "dlt_shop_api_customers": small,
        # Its per_step_k8s_config entry is merged over step_k8s_config, key by key.
        "dlt_shop_api_orders": ({"cpu": "500m", "memory": "4Gi"}, {"memory": "4Gi"}),
        "dlt_shop_api_products": small,
    }
    assert "500m CPU and 1 GiB of memory, 4 GiB for orders" in " ".join(page_text().split())


# --- the Helm values --------------------------------------------------------------------------

# The dagster chart's runLauncher.config.k8sRunLauncher values, and the K8sRunLauncher config
# field each becomes in the instance's dagster.yaml (the chart's
# templates/helpers/instance/_run-launcher.tpl). A value not here is not one the chart has.
RUN_LAUNCHER_FIELDS = {
    "image": "job_image",
    "imagePullPolicy": "image_pull_policy",
    "jobNamespace": "job_namespace",
    "loadInclusterConfig": "load_incluster_config",
    "kubeconfigFile": "kubeconfig_file",
    "envConfigMaps": "env_config_maps",
    "envSecrets": "env_secrets",
    "envVars": "env_vars",
    "volumeMounts": "volume_mounts",
    "volumes": "volumes",
    "labels": "labels",
    "failPodOnRunFailure": "fail_pod_on_run_failure",
    "resources": "resources",
    "schedulerName": "scheduler_name",
    "securityContext": "security_context",
    "runK8sConfig": "run_k8s_config",
}
RUN_K8S_CONFIG_FIELDS = {
    "containerConfig": "container_config",
    "podSpecConfig": "pod_spec_config",
    "podTemplateSpecMetadata": "pod_template_spec_metadata",
    "jobSpecConfig": "job_spec_config",
    "jobMetadata": "job_metadata",
}
# What the chart writes into that config whatever the values say (as for a release "dagster").
CHART_RUN_LAUNCHER_CONFIG = {
    "instance_config_map": "dagster-instance",
    "postgres_password_secret": "dagster-postgresql-secret",
    "dagster_home": "/opt/dagster/dagster_home",
    "service_account_name": "dagster",
}
# The chart's concurrency values and the dagster.yaml concurrency fields they become
# (templates/helpers/instance/_concurrency.tpl); `enabled` only makes the chart write the block.
CONCURRENCY_FIELDS = {
    "pools": {
        "defaultLimit": "default_limit",
        "granularity": "granularity",
        "opGranularityRunBuffer": "op_granularity_run_buffer",
    },
    "runs": {"maxConcurrentRuns": "max_concurrent_runs", "tagConcurrencyLimits": "tag_concurrency_limits"},
}  # fmt: skip
# dagster-user-deployments: the subchart's own keys, and those of a deployment (its UserDeployment
# schema) that configure only the code server's pod.
USER_DEPLOYMENTS_KEYS = {"enabled", "enableSubchart", "imagePullSecrets", "deployments"}
DEPLOYMENT_KEYS = {"name", "image", "dagsterApiGrpcArgs", "codeServerArgs", "port",
                   "includeConfigInLaunchedRuns"}  # fmt: skip
IMAGE_KEYS = {"repository", "tag", "pullPolicy"}
# A deployment's values that the chart also hands to the runs it launches, as the code
# location's container context (charts/dagster-user-deployments/templates/helpers/_helpers.tpl,
# dagsterUserDeployments.k8sContainerContext), which dagster-k8s reads with these names.
DEPLOYMENT_CONTAINER_CONTEXT_FIELDS = {
    "envConfigMaps": "env_config_maps",
    "envSecrets": "env_secrets",
    "volumeMounts": "volume_mounts",
    "volumes": "volumes",
    "labels": "labels",
    "resources": "resources",
    "schedulerName": "scheduler_name",
}


def env_from_names(value: Any, where: str) -> list[str]:
    """The chart's ``envSecrets``/``envConfigMaps``: Kubernetes references (``- name: x``), of
    which it writes the names into the Dagster config."""
    assert isinstance(value, list), f"{where} must be a list of `- name: ...` references"
    for item in value:
        assert isinstance(item, dict) and "name" in item and set(item) <= {"name", "optional"}, (
            f"{where}: {item!r} is not a `name: ...` reference"
        )
    return [item["name"] for item in value]


def validated(config_type: Any, value: Any, where: str) -> Any:
    """``value`` processed against a Dagster config type, as Dagster reads its config."""
    from dagster._config import process_config

    result = process_config(config_type, value)
    assert result.success, f"{where}: " + "; ".join(e.message for e in result.errors or [])
    return result.value


def run_launcher_config(values: Mapping[str, Any]) -> dict[str, Any]:
    """The dagster.yaml run launcher config the chart makes of ``k8sRunLauncher`` values."""
    config: dict[str, Any] = dict(CHART_RUN_LAUNCHER_CONFIG)
    for key, value in values.items():
        assert key in RUN_LAUNCHER_FIELDS, (
            f"runLauncher.config.k8sRunLauncher.{key} is not a value of the dagster chart "
            f"(it has {', '.join(sorted(RUN_LAUNCHER_FIELDS))})"
        )
        if key in ("envSecrets", "envConfigMaps"):
            value = env_from_names(value, f"k8sRunLauncher.{key}")
        elif key == "image":
            assert set(value) <= IMAGE_KEYS, f"k8sRunLauncher.image: {sorted(value)}"
            value = f"{value['repository']}:{value['tag']}"
        elif key == "runK8sConfig":
            unknown = set(value) - set(RUN_K8S_CONFIG_FIELDS)
            assert not unknown, f"k8sRunLauncher.runK8sConfig has no {sorted(unknown)}"
            value = {RUN_K8S_CONFIG_FIELDS[k]: v for k, v in value.items()}
        config[RUN_LAUNCHER_FIELDS[key]] = value
    return config


def helm_values() -> dict[str, Any]:
    """The page's values.yaml: its one yaml block, all of whose sections this module checks."""
    blocks = yaml_blocks()
    assert len(blocks) == 1, "the page's one yaml block is its values.yaml: check any other here"
    [values] = blocks
    checked = {"dagster-user-deployments", "runLauncher", "concurrency"}
    assert set(values) <= checked, (
        f"Helm values this module does not check: {set(values) - checked}"
    )
    return values


def test_the_helm_values_launch_runs_with_the_k8s_run_launcher(described: dict[str, Any]):
    from dagster import Shape
    from dagster_k8s import K8sRunLauncher

    launcher = helm_values()["runLauncher"]

    assert set(launcher) == {"type", "config"} and launcher["type"] == "K8sRunLauncher"
    assert set(launcher["config"]) == {"k8sRunLauncher"}
    config = validated(
        Shape(K8sRunLauncher.config_type()),
        run_launcher_config(launcher["config"]["k8sRunLauncher"]),
        "runLauncher.config.k8sRunLauncher",
    )
    # The Secret the snippet's executor names, in every run pod too.
    assert config["env_secrets"] == [described["secret"]]


def test_the_helm_values_set_a_default_pool_limit_the_instance_accepts():
    from dagster._core.instance.config import get_concurrency_config, validate_concurrency_config

    values = dict(helm_values()["concurrency"])

    assert values.pop("enabled") is True, "the chart writes no concurrency block unless enabled"
    config = {}
    for section, settings in values.items():
        assert section in CONCURRENCY_FIELDS, f"concurrency.{section} is not a chart value"
        fields = CONCURRENCY_FIELDS[section]
        unknown = set(settings) - set(fields)
        assert not unknown, f"concurrency.{section} has no {sorted(unknown)}"
        config[section] = {fields[key]: value for key, value in settings.items()}
    concurrency = validated(get_concurrency_config().config_type, config, "concurrency")
    validate_concurrency_config({"concurrency": concurrency})  # raises on a limit out of range
    assert concurrency["pools"]["default_limit"] == 1


def test_the_helm_values_deploy_the_snippet_as_a_code_location():
    from dagster import Shape
    from dagster_k8s import DagsterK8sJobConfig

    user_deployments = helm_values()["dagster-user-deployments"]

    assert set(user_deployments) <= USER_DEPLOYMENTS_KEYS, sorted(user_deployments)
    [deployment] = user_deployments["deployments"]
    known = DEPLOYMENT_KEYS | set(DEPLOYMENT_CONTAINER_CONTEXT_FIELDS)
    assert set(deployment) <= known, f"not values of a deployment: {set(deployment) - known}"
    assert {"name", "image", "port"} <= set(deployment)
    assert set(deployment["image"]) <= IMAGE_KEYS, sorted(deployment["image"])
    # The code server loads the page's file.
    args = deployment.get("dagsterApiGrpcArgs") or deployment["codeServerArgs"]
    assert args[0] == "-f" and args[1].endswith(f"/{SNIPPET}"), args
    context = {}
    for key, field in DEPLOYMENT_CONTAINER_CONTEXT_FIELDS.items():
        if key in deployment:
            value = deployment[key]
            if key in ("envSecrets", "envConfigMaps"):
                value = env_from_names(value, f"deployments[0].{key}")
            context[field] = value
    validated(Shape(DagsterK8sJobConfig.config_type_container_context()), context, "deployment")


def test_the_helm_tables_name_fields_dagster_k8s_and_dagster_have():
    from dagster._core.instance.config import get_concurrency_config
    from dagster_k8s import DagsterK8sJobConfig, K8sRunLauncher

    launcher_fields = K8sRunLauncher.config_type()
    concurrency = get_concurrency_config().config_type.fields

    assert set(RUN_LAUNCHER_FIELDS.values()) <= set(launcher_fields)
    assert set(CHART_RUN_LAUNCHER_CONFIG) <= set(launcher_fields)
    run_k8s_config = launcher_fields["run_k8s_config"].config_type.fields
    assert set(RUN_K8S_CONFIG_FIELDS.values()) <= set(run_k8s_config)
    for section, fields in CONCURRENCY_FIELDS.items():
        assert set(fields.values()) <= set(concurrency[section].config_type.fields), section
    context_fields = DagsterK8sJobConfig.config_type_container_context()
    assert set(DEPLOYMENT_CONTAINER_CONTEXT_FIELDS.values()) <= set(context_fields)


# --- the steps on fresh pods ------------------------------------------------------------------

CUSTOMERS = [{"id": 1, "name": "ada"}, {"id": 2, "name": "grace"}]
PRODUCTS = [{"id": 1, "name": "lamp"}, {"id": 2, "name": "pen"}]


class ShopApi:
    """The snippet's shop API: a bearer key, pages of ``items``, and orders ``updated_since``."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.orders = [
            {"id": i, "customer_id": 1 + i % 2, "updated_at": f"2024-02-0{i}T00:00:00Z"}
            for i in (1, 2, 3)
        ]
        endpoints = re.compile(r"^/v1/(customers|orders|products)$")
        server.expect_request(endpoints).respond_with_handler(self._answer)

    @property
    def base_url(self) -> str:
        return self.server.url_for("/v1")

    def cursors(self) -> list[str]:
        """The ``updated_since`` of each request for orders, in order."""
        return [r.args.get("updated_since") for r, _ in self.server.log if r.path == "/v1/orders"]

    def _answer(self, request: Any) -> Any:
        from werkzeug import Response

        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return Response("{}", 401, mimetype="application/json")
        endpoint = request.path.rsplit("/", 1)[-1]
        rows = {"customers": CUSTOMERS, "products": PRODUCTS}.get(endpoint)
        if rows is None:
            since = request.args.get("updated_since", "")
            rows = [order for order in self.orders if order["updated_at"] >= since]
        body = json.dumps({"items": rows, "next": None})
        return Response(body, mimetype="application/json")


@pytest.fixture
def shop_api() -> Iterator[ShopApi]:
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield ShopApi(server)
    server.clear()
    server.stop()


@pytest.mark.slow
def test_a_step_on_a_fresh_pod_continues_its_cursor_from_snowflake(
    tmp_path: Path, shop_api: ShopApi, snowflake_emulator: Any, snowflake_database: str
):
    folder = reader_folder(tmp_path)

    def fresh_pod(name: str, ops: list[str]) -> tuple[dict[str, Any], list[str]]:
        # What the Secret puts into the pod, pointed at the stand-ins.
        env, network_attempts = pod_env(
            tmp_path / name,
            **snowflake_emulator.environment(snowflake_database),
            SOURCES__SHOP_API__BASE_URL=shop_api.base_url,
            SOURCES__SHOP_API__API_KEY=API_KEY,
            # The connector would otherwise probe cloud metadata hosts to name its platform.
            SNOWFLAKE_DISABLE_PLATFORM_DETECTION="true",
        )
        done = run_driver("run", folder, env, ops=ops)
        assert done["success"], done["failures"]
        return done, network_attempts()

    first, refused = fresh_pod("first_pod", STEPS)
    assert refused == []
    assert first["rows"] == {
        "dlt_shop_api_customers": 2, "dlt_shop_api_orders": 3, "dlt_shop_api_products": 2,
    }  # fmt: skip
    shop_api.orders.append({"id": 4, "customer_id": 2, "updated_at": "2024-03-01T00:00:00Z"})

    second, refused = fresh_pod("second_pod", ["dlt_shop_api_orders"])

    assert refused == []
    # The second pod's empty disk held no cursor: the orders step restored it from Snowflake.
    assert shop_api.cursors() == ["2024-01-01T00:00:00Z", "2024-02-03T00:00:00Z"]
    assert second["rows"] == {"dlt_shop_api_orders": 1}
    assert snowflake_emulator.query(snowflake_database, "SELECT COUNT(*) FROM SHOP.ORDERS") == [
        (4,)
    ]


if __name__ == "__main__":
    main()
