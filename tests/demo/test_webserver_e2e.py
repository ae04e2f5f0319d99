"""The demo in the Dagster UI: the webserver shows its lineage, runs a partition, a browser sees it.

One ``dagster-webserver -w workspace.yaml`` serves every test here, with its own ``DAGSTER_HOME``
and DuckDB file. Runs are launched over GraphQL, as the UI launches them; headless Chromium (driven
over the DevTools protocol through a pipe, stdlib only) opens the global lineage page.

The helpers are shared with ``tests/demo/test_demo_in_the_ui.py``, which runs the README's commands in
a copy of the repository, and ``docs/images/take_screenshot.py``, which retakes the README's picture.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

from tests.support.dagster_ui import (
    DAY,
    INSTALL_CHROMIUM,
    LINEAGE_LOCAL_STORAGE,
    LOCATION,
    REPOSITORY,
    DagsterWebserver,
    HeadlessChromium,
    asset_nodes,
    chromium_binary,
    event_tables,
    lineage_url,
    sample_events,
    take_lineage_screenshot,
    webserver_env,
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("webserver")


@pytest.fixture(scope="module")
def webserver(workdir: Path) -> Iterator[DagsterWebserver]:
    with DagsterWebserver(webserver_env(workdir), workdir / "webserver.log") as server:
        yield server


def _paths(keys: list[dict[str, Any]]) -> set[str]:
    return {"/".join(key["path"]) for key in keys}


def test_the_lineage_runs_from_sources_through_dlt_assets_to_reports(
    webserver: DagsterWebserver,
) -> None:
    nodes = asset_nodes(
        webserver,
        "groupName kinds isPartitioned isMaterializable jobNames "
        "dependencyKeys { path } dependedByKeys { path }",
    )
    events = [f"dlt_gharchive_{table}" for table in event_tables()]
    github = ["dlt_github_issues", "dlt_github_comments", "dlt_github_traffic_clones"]

    assert set(nodes) == {
        "gharchive_events",
        *events,
        "github_issues",
        "github_comments",
        "github_traffic_clones",
        *github,
        "events_per_repo_per_day",
        "top_contributors",
        # The components demo: defs/shop/defs.yaml loads a SQLite database with sql_database.
        "sql_database_customers",
        "sql_database_orders",
        "shop/customers",
        "shop/orders",
    }
    for table in ("customers", "orders"):
        node = nodes[f"shop/{table}"]
        assert node["groupName"] == "shop"
        assert _paths(node["dependencyKeys"]) == {f"sql_database_{table}"}
        assert "shop_job" in node["jobNames"]
    source = nodes["gharchive_events"]
    assert (source["groupName"], source["isMaterializable"]) == ("gharchive", False)
    assert set(source["kinds"]) == {"github"}
    assert _paths(source["dependedByKeys"]) == set(events)
    for key in events:
        node = nodes[key]
        assert node["groupName"] == "gharchive"
        assert set(node["kinds"]) == {"dlt", "duckdb"}
        assert node["isPartitioned"]
        assert _paths(node["dependencyKeys"]) == {"gharchive_events"}
        assert "events_per_repo_per_day" in _paths(node["dependedByKeys"])
        assert "gharchive_job" in node["jobNames"]
    for key in github:
        node = nodes[key]
        assert node["groupName"] == "github"
        assert _paths(node["dependencyKeys"]) == {key.removeprefix("dlt_")}
        assert nodes[key.removeprefix("dlt_")]["groupName"] == "github"
        assert "github_job" in node["jobNames"]
    report = nodes["events_per_repo_per_day"]
    assert report["groupName"] == "reports"
    assert set(report["kinds"]) == {"duckdb", "sql"}
    assert _paths(report["dependencyKeys"]) == set(events)
    assert _paths(nodes["top_contributors"]["dependencyKeys"]) == {
        "dlt_gharchive_push_event",
        "dlt_gharchive_pull_request_event",
        "dlt_gharchive_pull_request_review_event",
        "dlt_gharchive_issues_event",
        "dlt_gharchive_issue_comment_event",
    }


def test_jobs_and_schedules_are_ready_to_switch_on(webserver: DagsterWebserver) -> None:
    query = """query Repo($selector: RepositorySelector!) {
        repositoryOrError(repositorySelector: $selector) { ... on Repository {
            jobs { name }
            schedules { name cronSchedule pipelineName scheduleState { status } }
        } } }"""
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
    repository = webserver.graphql(query, {"selector": selector})["repositoryOrError"]

    assert {"gharchive_job", "github_job", "shop_job"} <= {
        job["name"] for job in repository["jobs"]
    }
    schedules = {s["name"]: s for s in repository["schedules"]}
    assert schedules["gharchive_daily"]["pipelineName"] == "gharchive_job"
    assert schedules["github_daily"]["pipelineName"] == "github_job"
    assert {s["scheduleState"]["status"] for s in schedules.values()} == {"STOPPED"}


def test_a_partition_materializes_from_the_ui_and_reports_what_landed(
    webserver: DagsterWebserver, workdir: Path
) -> None:
    run_id = webserver.launch_run("gharchive_job", {"dagster/partition": DAY})

    status = webserver.wait_for_run(run_id)

    assert status == "SUCCESS", webserver.run_failure(run_id) or webserver.log_tail()
    nodes = asset_nodes(
        webserver,
        """assetMaterializations(limit: 1) { runId partition metadataEntries { label
            ... on IntMetadataEntry { intValue }
            ... on TextMetadataEntry { text } } }""",
    )
    events = sample_events(DAY)
    pushes = sum(1 for event in events if event["type"] == "PushEvent")
    assert pushes > 0, f"the sample should have pushes on {DAY}"
    push = _latest(nodes["dlt_gharchive_push_event"], run_id)
    assert push["partition"] == DAY
    assert push["rows_loaded"] == pushes
    assert push["dagster/row_count"] == pushes
    assert push["dagster/table_name"] == "demo.gharchive.push_event"
    assert push["dataset_name"] == "gharchive"
    for table in event_tables():
        assert _latest(nodes[f"dlt_gharchive_{table}"], run_id)["partition"] == DAY

    report = _latest(nodes["events_per_repo_per_day"], run_id)
    assert report["partition"] == DAY
    repos = {event["repo"]["name"] for event in events}
    assert report["dagster/partition_row_count"] == len(repos)
    contributors = _latest(nodes["top_contributors"], run_id)
    assert 0 < contributors["dagster/row_count"] <= 10
    assert not _latest_or_none(nodes["dlt_github_issues"]), "GitHub assets are not in this job"


def _latest_or_none(node: dict[str, Any]) -> Optional[dict[str, Any]]:
    materializations = node["assetMaterializations"]
    if not materializations:
        return None
    latest = materializations[0]
    values = {
        entry["label"]: entry.get("intValue", entry.get("text"))
        for entry in latest["metadataEntries"]
    }
    return {"run_id": latest["runId"], "partition": latest["partition"], **values}


def _latest(node: dict[str, Any], run_id: str) -> dict[str, Any]:
    latest = _latest_or_none(node)
    assert latest is not None and latest["run_id"] == run_id, f"not materialized by {run_id}"
    return latest


def test_a_browser_shows_every_asset_on_the_lineage_page(webserver: DagsterWebserver) -> None:
    binary = chromium_binary()
    if binary is None:
        pytest.fail(INSTALL_CHROMIUM)
    # A node shows the last part of its key: shop/customers is labelled "customers".
    names = sorted({name.rsplit("/", 1)[-1] for name in asset_nodes(webserver, "id")})

    # Tall enough that Dagster renders every node: it leaves off-screen nodes out of the page.
    with HeadlessChromium(binary, width=1600, height=2600) as browser:
        browser.open(lineage_url(webserver.url), LINEAGE_LOCAL_STORAGE)
        missing = browser.wait_for_text(names, timeout=60)

    assert not missing, f"the lineage page lacks {sorted(missing)}"


def test_the_readme_screenshot_can_be_retaken(webserver: DagsterWebserver, tmp_path: Path) -> None:
    if chromium_binary() is None:
        pytest.fail(INSTALL_CHROMIUM)
    picture = tmp_path / "lineage.png"

    take_lineage_screenshot(webserver.url, picture, ["gharchive_events", "top_contributors"])

    header = picture.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(header[16:20], "big") == 1600
