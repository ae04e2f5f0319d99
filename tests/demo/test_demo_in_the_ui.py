"""The README's two demo commands, run as a new user runs them, and what the UI then shows.

In a copy of the repository, with ``git init`` in it to see what they leave behind:
``python -m dagster_dlt_demo`` with no setting at all (the Dagster home and the DuckDB file at
their defaults, in the working directory), then ``dagster-webserver -w workspace.yaml`` with
``DAGSTER_HOME=$PWD/.dagster_home``, as the README's ``dagster dev`` line sets it. Over GraphQL,
the webserver must show the demo's runs and every asset they materialized.
"""

import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.dagster_ui import (
    DagsterWebserver,
    asset_nodes,
    copy_of_the_repository,
    git,
    readme_env,
)
from tests.support.offline_demo import Offline

pytestmark = [pytest.mark.slow, pytest.mark.extended]  # the demo, then a webserver: ~30 s


@dataclass
class ReadmeDemo:
    checkout: Path
    untracked_before: set[str]
    offline: Offline
    stdout: str


def untracked(checkout: Path) -> set[str]:
    """What ``git status`` lists in the checkout: files neither tracked nor ignored."""
    status = git(checkout, "status", "--porcelain", "--untracked-files=all")
    return {line[3:] for line in status.splitlines()}


@pytest.fixture(scope="module")
def readme_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadmeDemo]:
    root = tmp_path_factory.mktemp("readme")
    # Resolved: the demo prints the working directory as the OS names it.
    checkout = copy_of_the_repository(root / "dagster-dlt").resolve()
    git(checkout, "init", "-q")
    before = untracked(checkout)
    assert "workspace.yaml" in before, "git should list the copied files as untracked"
    offline = Offline(root / "offline").with_default_outputs()

    result = offline.run("-m", "dagster_dlt_demo", cwd=checkout)

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    yield ReadmeDemo(checkout, before, offline, result.stdout)


def test_the_demo_writes_its_dagster_home_in_the_checkout_and_says_how_to_open_it(
    readme_demo: ReadmeDemo,
) -> None:
    home = readme_demo.checkout / ".dagster_home"

    assert (readme_demo.checkout / "demo.duckdb").is_file()
    assert home.is_dir(), "the demo should record its runs in .dagster_home by default"
    assert (home / "history" / "runs.db").is_file(), "no runs were recorded in .dagster_home"
    assert f"DAGSTER_HOME={shlex.quote(str(home))} " in readme_demo.stdout
    assert "dagster dev -w workspace.yaml" in readme_demo.stdout
    assert readme_demo.offline.network_attempts() == []


def test_the_ui_shows_the_runs_and_materializations_of_the_demo(
    readme_demo: ReadmeDemo,
) -> None:
    checkout = readme_demo.checkout
    # The README's line: DAGSTER_HOME=$PWD/.dagster_home dagster dev -w workspace.yaml
    env = {**readme_env(checkout.parent), "DAGSTER_HOME": f"{checkout}/.dagster_home"}
    log = checkout.parent / "webserver.log"

    with DagsterWebserver(env, log, cwd=checkout) as server:
        runs = server.graphql(
            "{ runsOrError { ... on Runs { results { runId jobName status } } } }"
        )["runsOrError"]["results"]
        nodes = asset_nodes(
            server,
            "groupName isMaterializable isPartitioned jobNames "
            "partitionStats { numMaterialized numPartitions } "
            "assetMaterializations(limit: 1) { runId }",
        )

    assert sorted((run["jobName"], run["status"]) for run in runs) == [
        ("gharchive_job", "SUCCESS"),
        ("shop_job", "SUCCESS"),
    ], f"the UI shows other runs than the demo's: {runs}\n{server.log_tail()}"
    run_of = {run["jobName"]: run["runId"] for run in runs}
    demo_jobs = ("gharchive_job", "shop_job")
    materializable = {key: node for key, node in nodes.items() if node["isMaterializable"]}
    in_demo = {
        key for key, node in materializable.items() if set(node["jobNames"]) & set(demo_jobs)
    }
    assert {"dlt_gharchive_push_event", "top_contributors", "shop/orders"} <= in_demo
    for key in sorted(in_demo):
        node = nodes[key]
        (job,) = set(node["jobNames"]) & set(demo_jobs)
        latest = node["assetMaterializations"]
        assert latest and latest[0]["runId"] == run_of[job], (
            f"the UI shows no materialization of {key} by the demo's {job} run"
        )
        if node["isPartitioned"]:
            stats = node["partitionStats"]
            assert stats["numMaterialized"] == stats["numPartitions"] == 4, (
                f"{key}: {stats} (every sample day should be materialized)"
            )
    # The GitHub assets need the network: the demo leaves them to the UI.
    left = set(materializable) - in_demo
    assert left == {"dlt_github_issues", "dlt_github_comments", "dlt_github_traffic_clones"}
    assert all(not nodes[key]["assetMaterializations"] for key in left)


def test_the_readme_commands_leave_nothing_for_git_to_list(readme_demo: ReadmeDemo) -> None:
    checkout = readme_demo.checkout
    # Written by the demo and (the test above) the webserver: ignored, not merely absent.
    written = [
        name
        for name in (".dagster_home", "demo.duckdb", "demo_shop.sqlite")
        if (checkout / name).exists()
    ]
    assert written == [".dagster_home", "demo.duckdb", "demo_shop.sqlite"]

    left = untracked(checkout) - readme_demo.untracked_before

    assert not left, f"the demo leaves files git does not ignore: {sorted(left)}"
