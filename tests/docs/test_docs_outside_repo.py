"""The README's Quick start and the pages of docs/, run as a reader runs them: outside the repository.

For each covered page, the test writes the files the page shows into an empty folder under
tmp_path (the block after ``<!-- snippet: docs_snippets/<path> -->`` is saved as ``<path>``; the
README's block after ``<!-- file: defs.py -->`` as ``defs.py``), then runs there what the page runs,
in a fresh Python process that reaches this repository only through the installed package: its
working directory is the folder, there is no PYTHONPATH, and HOME, DLT_DATA_DIR and DAGSTER_HOME
are directories of the test's own, so no machine-wide dlt state is shared. The commands a page
shows (``dagster asset materialize -f <file> --select '*'``, ``python <file>``) must be on the
page; most run in that process as the CLI would run them (the file loaded from the folder, its
assets materialized into a persistent instance), the README's and the quick start's through the
real ``dagster`` CLI. Then each test checks the rows and outcomes the page says.

APIs are local: the quick start's stand-in (``example_api.py``, which the page shows) started
from the folder, a fake GitHub on 127.0.0.1 for the GitHub examples, the fakesnow emulator for
Snowflake. Several pages that need no server share one process (``offline_pages``), each in its own
folder, with its own dlt data directory.

This module is the driver too: ``python tests/docs/test_docs_outside_repo.py <driver> <json>`` is what
the tests start in the folder.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import os
import re
import runpy
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest

REPO = Path(__file__).resolve().parents[2]
SNIPPETS = REPO / "docs_snippets"
RESULT = "DOCS-OUTSIDE-REPO-RESULT: "

pytest_plugins = ["tests.support.snowflake_emulator"]
pytestmark = [
    pytest.mark.slow,
    # progress="log" in the guide's pipeline asks for psutil, which the test extra does not install.
    pytest.mark.filterwarnings("ignore:psutil dependency is not installed:UserWarning"),
]

# Pages with Python code, and the test that runs it. A page with a ```python block that is neither
# here nor in NOT_COVERED fails test_every_page_with_python_is_covered.
COVERED = {
    "README.md": "test_readme_quick_start",
    "docs/quickstart.md": "test_quickstart_page",
    "docs/how-it-works.md": "test_how_it_works_page",
    "docs/translator.md": "test_translator_page",
    "docs/lineage.md": "test_lineage_page",
    "docs/partitions.md": "test_partitions_page",
    "docs/migrating.md": "test_migrating_page",
    "docs/state-aware.md": "test_state_aware_page",
    "docs/secrets.md": "test_secrets_page",
    "docs/snowflake.md": "test_snowflake_page",
    "docs/data-access.md": "test_data_access_page",
    "docs/schema-backed-definitions.md": "test_schema_backed_definitions_page",
}
NOT_COVERED = {
    # Another module runs the components page from zero (dg scaffolding in an empty folder).
    "docs/components.md": "tests/components/test_components_docs.py and tests/components/test_components_cli.py",
    # It is about the demo that lives in this repository (python -m dagster_dlt_demo).
    "docs/demo.md": "tests/demo/test_demo.py",
    # Its job runs on the multiprocess executor, in processes of the dagster CLI.
    "docs/splitting.md": "tests/docs/test_split_docs.py",
    "docs/kubernetes.md": "tests/docs/test_kubernetes_docs.py",  # its job needs a cluster
}
# Where a snippet goes in the reader's folder, when not at its path under docs_snippets/: the page
# says to save the dlt tutorial's two TOML files as .dlt/config.toml and .dlt/secrets.toml.
SAVED_AS = {
    "dlt_tutorial.config.toml": ".dlt/config.toml",
    "dlt_tutorial.secrets.toml": ".dlt/secrets.toml",
}
FILE_MARKER = re.compile(r"^<!-- (?:snippet: docs_snippets/|file: )(?P<path>\S+) -->$")
STAND_IN_KEY = "example-key"  # the key example_api.py wants, as the pages export it


# --- reading pages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    info: str  # the fence's info string: "python", "bash", "text", ...
    text: str
    file: Optional[str]  # where the page says to save it, from the marker line before it
    line: int  # 1-based line of the opening fence


def blocks(page: str) -> list[Block]:
    """The top-level fenced blocks of a page (blocks nested in a longer fence are text)."""
    lines = (REPO / page).read_text().splitlines()
    if page == "README.md":
        # Only its Quick start: the other sections run in the checkout (the demo, the test suite),
        # as tests/demo/test_demo.py and CI do.
        start = lines.index("## Quick start")
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
        lines = [""] * start + lines[start:end]  # keep the line numbers
    found = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("```"):
            fence = "`" * (len(line) - len(line.lstrip("`")))
            close = next(j for j in range(index + 1, len(lines)) if lines[j].strip() == fence)
            marker = FILE_MARKER.match(lines[index - 1]) if index else None
            file = SAVED_AS.get(marker["path"], marker["path"]) if marker else None
            text = "\n".join(lines[index + 1 : close]) + "\n"
            found.append(Block(line[len(fence) :].strip(), text, file, index + 1))
            index = close
        index += 1
    return found


def page_files(page: str) -> dict[str, str]:
    """The files a page shows, by the name the reader saves them as."""
    files = {}
    for block in blocks(page):
        if block.file:
            assert files.get(block.file, block.text) == block.text, f"{page}: two {block.file}"
            files[block.file] = block.text
    return files


def snippets_run_outside() -> set[str]:
    """The docs_snippets files this module writes and runs (their paths under docs_snippets/),
    for tests/docs/test_docs_snippets.py's check that every snippet is run by a test."""
    names = set()
    for page in COVERED:
        for line in (REPO / page).read_text().splitlines():
            if line.startswith("<!-- snippet: docs_snippets/") and (
                match := FILE_MARKER.match(line)
            ):
                names.add(match["path"])
    return names


def page_text(page: str) -> str:
    return (REPO / page).read_text()


def assert_on_page(page: str, *commands: str) -> None:
    """What a test runs is what the page tells the reader to run."""
    text = page_text(page)
    for command in commands:
        assert command in text, f"{page} does not show `{command}`, which its test runs"


def text_after(page: str, lead: str) -> str:
    """The ```text block that follows a sentence of the page."""
    text = page_text(page)
    start = text.index(lead)
    match = re.compile(r"```text\n(.*?)\n```", re.S).search(text, start)
    assert match, f"{page}: no text block after {lead!r}"
    return match.group(1)


# --- the folder and the process ---------------------------------------------------------------


def write_files(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def new_folder(base: Path, page: str, leave_out: tuple[str, ...] = ()) -> Path:
    """An empty folder holding the files ``page`` shows (but ``leave_out``, saved later)."""
    folder = base / re.sub(r"\W+", "_", page)
    folder.mkdir(parents=True)
    files = {name: text for name, text in page_files(page).items() if name not in leave_out}
    return write_files(folder, files)


def outside_env(base: Path, **extra: str) -> dict[str, str]:
    """The environment of a reader's shell: the venv's commands first on PATH, nothing of this
    repository on PYTHONPATH, no dlt or Dagster settings of the test run, and a home of its own."""
    dropped = ("SOURCES__", "DESTINATION__", "DLT_", "DAGSTER_", "SNOWFLAKE_", "EXAMPLE_API_KEY")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped) and k != "PYTHONPATH"}
    home = base / "home"
    (home / ".dagster").mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        DLT_DATA_DIR=str(home / ".dlt"),
        DAGSTER_HOME=str(home / ".dagster"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    env.update(extra)
    return env


def run_driver(driver: str, folder: Path, env: dict[str, str], **args: Any) -> Any:
    """Run ``driver`` (a ``drive_*`` function below) in a fresh process in ``folder``."""
    from tests.support import drivers  # not at the top: the child runs this file outside the repo

    return drivers.run_driver(__file__, RESULT, driver, folder, env, 420, **args)


def query(database: Path, sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def stand_in_api(folder: Path, env: dict[str, str]) -> Iterator[str]:
    """``python example_api.py &`` from the page, in the folder; yields its base URL. The port is
    a free one (the page's default, 8765, may be taken on a test machine)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "example_api.py", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,  # only its banner; its request log (stderr) would fill a pipe
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()  # printed once it listens
        assert f"127.0.0.1:{port}" in banner, banner
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        server.wait(timeout=10)


# --- the driver: runs in the page's folder ------------------------------------------------------


def load(file: str) -> Any:
    """Import a file of the working directory as ``dagster ... -f <file>`` does, with the folder
    on sys.path so that it imports the page's other files by name."""
    name = Path(file).stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(file).resolve())
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def plain(value: Any) -> Any:
    """A metadata value as JSON."""
    value = getattr(value, "value", value)
    try:
        return json.loads(json.dumps(value, default=str))
    except Exception:  # Dagster records (a column schema) refuse iteration: their text will do
        return str(value)


def report(result: Any, instance: Any) -> dict[str, Any]:
    """What a run did: success, each asset's metadata and data version, checks, logs, error."""
    assets = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        key = event.asset_key.to_user_string()
        if event.partition:
            key = f"{key}[{event.partition}]"
        assets[key] = {k: plain(v) for k, v in materialization.metadata.items()}
        assets[key]["data_version"] = materialization.tags.get("dagster/data_version")
    checks = {
        e.asset_check_evaluation_data.check_name: [
            e.asset_check_evaluation_data.passed,
            e.asset_check_evaluation_data.description or "",
        ]
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    failures = [
        e.step_failure_data.error.to_string() for e in result.all_events if e.is_step_failure
    ]
    logs = [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if entry.dagster_event is None
    ]
    return {"success": result.success, "assets": assets, "checks": checks, "logs": logs,
            "failures": failures}  # fmt: skip


def materialize_file(file: str, partition: Optional[str] = None, job: Optional[str] = None) -> dict:
    """``dagster asset materialize -f <file> --select '*' [--partition ...]`` (or ``dagster job
    execute -f <file> -j <job>``) in this process, into the instance in DAGSTER_HOME."""
    from dagster import DagsterInstance, materialize

    defs = load(file).defs
    instance = DagsterInstance.get()
    if job:
        result = defs.resolve_job_def(job).execute_in_process(
            instance=instance, raise_on_error=False
        )
    else:
        result = materialize(
            list(defs.assets or []),
            resources=dict(defs.resources or {}),
            partition_key=partition,
            instance=instance,
            raise_on_error=False,
        )
    return report(result, instance)


def python_file(file: str) -> str:
    """``python <file>``: run as __main__ in this process; returns what it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        runpy.run_path(file, run_name="__main__")
    return printed.getvalue()


def cli(command: str) -> dict[str, Any]:
    """A ``dagster ...`` command as the page writes it, run for real; returns the latest
    materialization of each asset it reported, read back from the instance in DAGSTER_HOME."""
    from dagster import DagsterInstance

    done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    instance = DagsterInstance.get()
    latest = {}
    for key in instance.get_asset_keys():
        event = instance.get_latest_materialization_event(key)
        if event and event.asset_materialization:
            metadata = event.asset_materialization.metadata
            latest[key.to_user_string()] = {k: plain(v) for k, v in metadata.items()}
    return latest


def specs(file: str) -> dict[str, list[str]]:
    """Each asset key of a file's definitions and the keys it depends on."""
    graph = load(file).defs.resolve_asset_graph()
    return {
        key.to_user_string(): sorted(k.to_user_string() for k in graph.get(key).parent_keys)
        for key in graph.get_all_asset_keys()
    }


def drive_readme(args: dict) -> dict:
    return {"run": cli(args["command"]), "specs": specs("defs.py")}


def drive_quickstart(args: dict) -> dict:
    run = cli(args["command"])
    github = materialize_file("github_snowflake.py")
    tutorial = materialize_file("dlt_tutorial.py")
    python_file("shop_db.py")
    shop = materialize_file("sql_database_deferred.py")
    return {"quickstart": run, "github": github, "tutorial": tutorial, "shop": shop}


def drive_how_it_works(args: dict) -> dict:
    return {
        "printed": python_file("asset_specs.py"),
        "row_counts": materialize_file("row_counts.py"),
        "after_the_load": materialize_file("after_the_load.py"),
    }


def drive_translator(args: dict) -> dict:
    return {"renamed": materialize_file("translator_rename.py")}


def drive_lineage(args: dict) -> dict:
    return {
        "upstream_specs": specs("upstream_metadata.py"),
        "upstream": materialize_file("upstream_metadata.py"),
        "custom_deps_specs": specs("custom_deps.py"),
        "custom_deps": materialize_file("custom_deps.py"),
        "downstream": materialize_file("downstream.py"),
        "downstream_guide": materialize_file("downstream_guide.py"),
    }


def drive_partitions(args: dict) -> dict:
    from datetime import datetime, timezone

    from dagster import DagsterInstance, build_schedule_context

    green = materialize_file("static_partitions.py", partition="green")
    blue = materialize_file("static_partitions.py", partition="blue")
    day = materialize_file("partitions_time_window.py", partition="2024-01-03")
    pool = materialize_file("single_writer_pool.py")
    defs = load("jobs_schedules.py").defs
    nightly = defs.resolve_schedule_def("orders_every_night")
    tick = build_schedule_context(
        instance=DagsterInstance.get(),
        scheduled_execution_time=datetime(2024, 1, 3, 1, tzinfo=timezone.utc),
        repository_def=defs.get_repository_def(),
    )
    [request] = nightly.evaluate_tick(tick).run_requests
    morning = defs.resolve_schedule_def("example_every_morning")
    return {
        "green": green,
        "blue": blue,
        "day": day,
        "pool": pool,
        "nightly": [nightly.job_name, request.partition_key],
        "morning": [morning.job_name, morning.cron_schedule],
    }


def drive_migrating(args: dict) -> dict:
    return {"red": materialize_file("static_partitions.py", partition="red")}


def drive_state_aware(args: dict) -> dict:
    loads = [materialize_file("state_aware_downstream.py")]
    loads.append(materialize_file("state_aware_downstream.py"))  # no new file
    write_files(Path("."), {"orders_drop/002.jsonl": args["second_file"]})
    loads.append(materialize_file("state_aware_downstream.py"))
    freshness = load("state_aware_source_freshness.py")
    return {
        "loads": loads,
        "freshness_specs": specs("state_aware_source_freshness.py"),
        "observed": freshness.orders_files.key.to_user_string(),
        "orders_job": materialize_file("state_aware_full_refresh.py", job="orders_job"),
        "full_refresh": materialize_file("state_aware_full_refresh.py", job="orders_full_refresh"),
        "progress": materialize_file("state_aware_progress.py"),
        "progress_interval": load("state_aware_progress.py")
        .defs.resources["dlt"]
        .progress_interval_seconds,
    }


def drive_data_access(args: dict) -> dict:
    summary = materialize_file("data_access_input.py")
    return {
        "input": summary,
        "catalog": python_file("data_access_catalog.py"),
        "save": materialize_file("data_access_save.py"),
        "checks": [materialize_file("data_access_checks.py") for _ in range(2)],
    }


def fresh_specs(file: str) -> dict[str, dict[str, Any]]:
    """Each spec's key, deps and columns, from a fresh import of the file (a new definitions
    load, as the next process does)."""
    sys.modules.pop(Path(file).stem, None)
    defs = load(file).defs
    found = {}
    for assets_def in defs.assets or []:
        for spec in getattr(assets_def, "specs", []):
            schema = spec.metadata.get("dagster/column_schema")
            found[spec.key.to_user_string()] = {
                "deps": sorted(dep.asset_key.to_user_string() for dep in spec.deps),
                "columns": sorted(c.name for c in schema.value.columns) if schema else [],
            }
    return found


def drive_schema_backed(args: dict) -> dict:
    import sqlite3

    with sqlite3.connect("shop.db") as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL)"
        )
        conn.execute("INSERT INTO customers VALUES (1, 'ada')")
        conn.execute("INSERT INTO orders VALUES (10, 1, 9.5)")
    before = fresh_specs("blog_nested.py")
    first = cli("dagster asset materialize -f blog_nested.py --select dlt_blog_posts")
    after = fresh_specs("blog_nested.py")
    everything = cli("dagster asset materialize -f blog_nested.py --select '*'")
    sql_before = fresh_specs("sql_database_schema_backed.py")
    sql_run = cli("dagster asset materialize -f sql_database_schema_backed.py --select '*'")
    return {
        "before": before,
        "first": first,
        "after": after,
        "everything": everything,
        "sql_before": sql_before,
        "sql_run": sql_run,
        "sql_after": fresh_specs("sql_database_schema_backed.py"),
    }


def drive_secrets(args: dict) -> dict:
    tutorial = materialize_file("dlt_tutorial.py")
    keyed = materialize_file("secrets_envvar.py")
    # "When something is missing": quickstart.py with no SOURCES__EXAMPLE__API_KEY (the test sets
    # only EXAMPLE_API_KEY, which secrets_envvar.py's Dagster resource reads).
    assert "SOURCES__EXAMPLE__API_KEY" not in os.environ
    missing = materialize_file("quickstart.py")
    return {"tutorial": tutorial, "keyed": keyed, "missing": missing}


def drive_snowflake(args: dict) -> dict:
    from dagster import Definitions

    shop = materialize_file("snowflake_shop.py")
    envvar = load("snowflake_envvar.py").defs
    Definitions.validate_loadable(envvar)  # the page: they load without the variables
    # (c): the login from Dagster's EnvVars only. QUERY stays: it carries the emulator's host, port
    # and protocol, which dlt adds to the credentials the resource hands it.
    for name in [n for n in os.environ if n.startswith("DESTINATION__SNOWFLAKE__")]:
        if name != "DESTINATION__SNOWFLAKE__CREDENTIALS__QUERY":
            del os.environ[name]
    os.environ.update(args["dagster_env"])
    keyed = materialize_file("snowflake_envvar.py")
    return {"shop": shop, "envvar_resources": sorted(envvar.resources), "keyed": keyed}


def drive_pages(args: dict) -> dict:
    """Several pages, one after the other, each in its own folder with its own dlt data
    directory and none of the previous page's modules: ``{page: result}``."""
    results = {}
    for page, (driver, folder) in args["pages"].items():
        os.chdir(folder)
        os.environ["DLT_DATA_DIR"] = str(Path(folder) / ".dlt_data")
        sys.path[0] = folder
        for name in [n for n in sys.modules if n in args["modules"]]:
            del sys.modules[name]
        results[page] = DRIVERS[driver](args)
    return results


DRIVERS: dict[str, Callable[[dict], Any]] = {
    name.removeprefix("drive_"): function
    for name, function in list(globals().items())
    if name.startswith("drive_")
}


def main() -> None:
    # As `python file.py` or `dagster -f file.py` in the folder: the folder first on sys.path, and
    # not this tests/ directory (where this driver happens to live).
    sys.path[0] = os.getcwd()
    isolated = {
        "docs_snippets": importlib.util.find_spec("docs_snippets") is None,
        "dlt_sources": importlib.util.find_spec("dlt_sources") is None,
    }
    assert all(isolated.values()), f"the repository is importable: {isolated}"
    driver, args = sys.argv[1], json.loads(sys.argv[2])
    print(RESULT + json.dumps(DRIVERS[driver](args), default=str), flush=True)


# --- what every page needs ----------------------------------------------------------------------


def pages_with_python() -> set[str]:
    pages = {f"docs/{path.name}" for path in (REPO / "docs").glob("*.md")} | {"README.md"}
    return {page for page in pages if any(b.info == "python" for b in blocks(page))}


def test_every_page_with_python_is_covered():
    with_python = pages_with_python()

    assert with_python - set(COVERED) - set(NOT_COVERED) == set(), (
        "pages with Python code that tests/docs/test_docs_outside_repo.py does not run: add them to "
        "COVERED with a test, or to NOT_COVERED with the test that runs them"
    )
    assert set(COVERED) <= with_python, "COVERED lists a page without Python code"
    assert {name for name in COVERED.values()} <= set(globals()), "COVERED names a missing test"


@pytest.mark.parametrize("page", sorted(COVERED))
def test_every_python_block_of_a_covered_page_is_a_file_it_runs(page: str):
    # A block without a marker could not be saved and run as the page says.
    unmarked = [b.line for b in blocks(page) if b.info == "python" and not b.file]

    assert unmarked == [], f"{page}: python blocks with no file marker at lines {unmarked}"


@pytest.mark.parametrize("page", sorted(COVERED))
def test_every_file_a_page_shows_is_named_where_a_reader_sees_it(page: str):
    # The marker is an HTML comment, which the rendered page hides: the paragraph before it (or
    # the <summary> of its collapsed block) must give the name to save the file as.
    lines = page_text(page).splitlines()
    unnamed = []
    for block in blocks(page):
        if not block.file:
            continue
        before = block.line - 3  # the line above the marker (0-based)
        while before >= 0 and not lines[before].strip():
            before -= 1
        paragraph = []
        while before >= 0 and lines[before].strip():
            paragraph.insert(0, lines[before])
            before -= 1
        text = " ".join(paragraph)
        if f"`{block.file}`" not in text and f"<code>{block.file}</code>" not in text:
            unnamed.append(block.file)

    assert unnamed == [], f"{page} shows these files without naming them: {unnamed}"


@pytest.mark.parametrize("page", sorted(COVERED))
def test_every_install_line_installs_this_package(page: str):
    # `pip install dagster-dlt[...]` installs the published package from PyPI, not this one.
    published = re.compile(r"pip install\s+(?:-\S+\s+)*[\"']?dagster-dlt\b")
    installs = [
        line for b in blocks(page) if b.info == "bash" for line in b.text.splitlines()
        if "pip install" in line
    ]  # fmt: skip

    assert [line for line in installs if published.search(line)] == []
    if page in ("README.md", "docs/quickstart.md", "docs/snowflake.md"):
        assert installs, f"{page} shows no install line"
    for line in installs:
        assert "/path/to/dagster-dlt[" in line or '-e ".[' in line, line


# --- the pages, run -----------------------------------------------------------------------------

MATERIALIZE = "dagster asset materialize -f {} --select '*'"


def test_readme_quick_start(tmp_path: Path):
    command = MATERIALIZE.format("defs.py")
    assert_on_page("README.md", command, "`dlt_example_courses`", "`example_courses`")
    folder = new_folder(tmp_path, "README.md")
    assert sorted(p.name for p in folder.iterdir()) == ["defs.py"]

    done = run_driver("readme", folder, outside_env(tmp_path), command=command)

    assert done["run"]["dlt_example_courses"]["rows_loaded"] == 2
    # The asset-key sentence under the example.
    assert done["specs"]["dlt_example_courses"] == ["example_courses"]
    assert query(
        folder / "example_pipeline.duckdb", "SELECT id, title FROM example_data.courses ORDER BY id"
    ) == [(1, "Intro"), (2, "Advanced")]


def test_quickstart_page(tmp_path: Path):
    from tests.support.fake_github import FakeGitHub

    page = "docs/quickstart.md"
    command = MATERIALIZE.format("quickstart.py")
    assert_on_page(
        page,
        "python example_api.py &",
        "export SOURCES__EXAMPLE__BASE_URL=http://127.0.0.1:8765/v1",
        f"export SOURCES__EXAMPLE__API_KEY={STAND_IN_KEY}",
        command,
        "export DESTINATION__SNOWFLAKE__DESTINATION_TYPE=duckdb",
        "export DESTINATION__SNOWFLAKE__CREDENTIALS=warehouse.duckdb",
        MATERIALIZE.format("github_snowflake.py"),
        MATERIALIZE.format("dlt_tutorial.py"),
        "python shop_db.py",
        MATERIALIZE.format("sql_database_deferred.py"),
    )
    folder = new_folder(tmp_path, page)
    # `dlt init github snowflake` downloads the verified source into github/; the page says this
    # repository's dlt_sources/github is a drop-in for it (with a base_url for a fake GitHub).
    shutil.copytree(REPO / "dlt_sources" / "github", folder / "github")
    env = outside_env(tmp_path)
    with FakeGitHub(owner="dagster-io", name="dagster") as github, stand_in_api(folder, env) as url:
        github.add_demo_data(issues=5, pull_requests=3)
        env.update(
            SOURCES__EXAMPLE__BASE_URL=url,
            SOURCES__EXAMPLE__API_KEY=STAND_IN_KEY,
            DESTINATION__SNOWFLAKE__DESTINATION_TYPE="duckdb",
            DESTINATION__SNOWFLAKE__CREDENTIALS="warehouse.duckdb",
            SOURCES__GITHUB__ACCESS_TOKEN=github.token,
            SOURCES__GITHUB__BASE_URL=github.base_url,
            SOURCES__GITHUB__REPO_NAME=github.repo_name,
        )

        done = run_driver("quickstart", folder, env, command=command)

    # "courses (3 rows), users (5 rows) and users__enrollments (5 rows) into
    # example_pipeline.duckdb, dataset example_data"
    assert {k: v["rows_loaded"] for k, v in done["quickstart"].items()} == {
        "dlt_example_courses": 3,
        "dlt_example_users": 5,
    }
    database = folder / "example_pipeline.duckdb"
    for table, rows in (("courses", 3), ("users", 5), ("users__enrollments", 5)):
        assert query(database, f"SELECT COUNT(*) FROM example_data.{table}") == [(rows,)]
    assert done["github"]["success"], done["github"]["failures"]
    assert query(folder / "warehouse.duckdb", "SELECT COUNT(*) FROM github.issues") == [(5,)]
    assert query(folder / "warehouse.duckdb", "SELECT COUNT(*) FROM github.pull_requests") == [(3,)]
    assert done["tutorial"]["success"], done["tutorial"]["failures"]
    tutorial = folder / "github_tutorial.duckdb"
    assert query(tutorial, "SELECT COUNT(*) FROM github_data.issues") == [(8,)]
    assert done["shop"]["success"], done["shop"]["failures"]
    assert set(done["shop"]["assets"]) == {"dlt_sql_database_customers", "dlt_sql_database_orders"}
    shop = folder / "shop_database.duckdb"
    assert query(shop, "SELECT COUNT(*) FROM shop.customers") == [(2,)]
    assert query(shop, "SELECT COUNT(*), SUM(total) FROM shop.orders") == [(3, 19.75)]


# The pages that need no server run in one process, each in its own folder (offline_pages).
OFFLINE = {
    "docs/how-it-works.md": ("how_it_works", ()),
    "docs/translator.md": ("translator", ()),
    "docs/lineage.md": ("lineage", ()),
    "docs/partitions.md": ("partitions", ()),
    "docs/migrating.md": ("migrating", ()),
    "docs/state-aware.md": ("state_aware", ("orders_drop/002.jsonl",)),
    "docs/data-access.md": ("data_access", ()),
    "docs/schema-backed-definitions.md": ("schema_backed", ()),
}


@pytest.fixture(scope="module")
def offline_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any]]:
    """Page -> (its folder, what its driver reported), all run in one process."""
    base = tmp_path_factory.mktemp("offline_pages")
    folders = {page: new_folder(base, page, leave_out) for page, (_, leave_out) in OFFLINE.items()}
    modules = sorted({Path(name).stem for page in OFFLINE for name in page_files(page)})
    done = run_driver(
        "pages",
        base,
        outside_env(base),
        pages={page: [OFFLINE[page][0], str(folder)] for page, folder in folders.items()},
        modules=modules,
        second_file=page_files("docs/state-aware.md")["orders_drop/002.jsonl"],
    )
    return {page: (folders[page], done[page]) for page in OFFLINE}


def rows_loaded(result: dict[str, Any]) -> dict[str, int]:
    assert result["success"], result["failures"]
    return {key: value.get("rows_loaded") for key, value in result["assets"].items()}


def test_how_it_works_page(offline_pages: dict):
    page = "docs/how-it-works.md"
    assert_on_page(
        page, "`python asset_specs.py` prints:", MATERIALIZE.format("row_counts.py"),
        MATERIALIZE.format("after_the_load.py"),
    )  # fmt: skip
    _, done = offline_pages[page]

    assert done["printed"].strip() == text_after(page, "`python asset_specs.py` prints:")
    counts = {k: v["dagster/row_count"] for k, v in done["row_counts"]["assets"].items()}
    assert counts == {"dlt_example_courses": 3, "dlt_example_users": 2}
    logs = done["after_the_load"]["logs"]
    load_id = done["after_the_load"]["assets"]["dlt_example_courses"]["load_ids"][0]
    assert f"dlt loaded {load_id}" in logs
    assert "3 courses now: Advanced, Expert, Intro" in logs
    assert "`3 courses now: Advanced, Expert, Intro`" in page_text(page)


def test_translator_page(offline_pages: dict):
    page = "docs/translator.md"
    assert_on_page(page, MATERIALIZE.format("translator_rename.py"))
    _, done = offline_pages[page]

    # "The assets become example/courses and example/users"
    assert rows_loaded(done["renamed"]) == {"example/courses": 3, "example/users": 2}
    assert "`example/courses` and `example/users`" in page_text(page)


def test_schema_backed_definitions_page(offline_pages: dict):
    page = "docs/schema-backed-definitions.md"
    assert_on_page(
        page,
        "dagster asset materialize -f blog_nested.py --select dlt_blog_posts",
        "dagster asset materialize -f blog_nested.py --select '*'",
        "dagster asset materialize -f sql_database_schema_backed.py --select '*'",
    )
    _, done = offline_pages[page]

    assert set(done["before"]) == {"dlt_blog_posts", "tag_counts"}
    posts = done["first"]["dlt_blog_posts"]
    assert sorted(posts["dagster_dlt/nested_tables_without_assets"]) == [
        "posts__comments",
        "posts__tags",
    ]
    assert done["after"]["dlt_blog_posts__tags"]["deps"] == ["dlt_blog_posts"]
    assert "value" in done["after"]["dlt_blog_posts__tags"]["columns"]
    assert done["everything"]["dlt_blog_posts__tags"]["rows_loaded"] == 3
    assert "tag_counts" in done["everything"]
    # Before the first run only the declared hints; after it every column, with no connection.
    assert done["sql_before"]["dlt_sql_database_orders"]["columns"] == []
    assert done["sql_run"]["dlt_sql_database_orders"]["rows_loaded"] == 1
    assert {"id", "customer_id", "total"} <= set(
        done["sql_after"]["dlt_sql_database_orders"]["columns"]
    )


def test_lineage_page(offline_pages: dict):
    page = "docs/lineage.md"
    assert_on_page(page, "`dagster asset materialize -f <file> --select '*'`")
    _, done = offline_pages[page]

    assert done["upstream_specs"]["dlt_example_courses"] == ["example_courses"]
    assert set(rows_loaded(done["upstream"])) == {"dlt_example_courses", "dlt_example_users"}
    assert done["custom_deps_specs"]["dlt_example_users"] == ["example_api"]
    assert set(rows_loaded(done["custom_deps"])) == {"dlt_example_courses", "dlt_example_users"}
    titles = done["downstream"]["assets"]["course_titles"]
    assert (titles["course_count"], titles["titles"]) == (3, ["Intro", "Advanced", "Expert"])
    assert done["downstream_guide"]["success"]
    assert "example_downstream_asset" in done["downstream_guide"]["assets"]


def test_partitions_page(offline_pages: dict):
    page = "docs/partitions.md"
    assert_on_page(
        page,
        MATERIALIZE.format("static_partitions.py") + " --partition green",
        MATERIALIZE.format("static_partitions.py") + " --partition blue",
        MATERIALIZE.format("partitions_time_window.py") + " --partition 2024-01-03",
        MATERIALIZE.format("single_writer_pool.py"),
    )
    folder, done = offline_pages[page]

    assert rows_loaded(done["blue"]) == {"dlt_paint_shop_paints[blue]": 2}
    paints = "SELECT color, COUNT(*) FROM paint_shop.paints GROUP BY 1 ORDER BY 1"
    assert query(folder / "paints_by_color.duckdb", paints) == [("blue", 2), ("green", 1)]
    assert rows_loaded(done["day"]) == {"dlt_shop_orders[2024-01-03]": 24}
    assert query(folder / "shop_orders.duckdb", "SELECT COUNT(*) FROM shop.orders") == [(24,)]
    rows_loaded(done["pool"])
    warehouse = folder / "warehouse.duckdb"
    assert query(warehouse, "SELECT COUNT(*) FROM example.courses") == [(3,)]
    assert query(warehouse, "SELECT COUNT(*) FROM paint_shop.paints") == [(5,)]
    # "On 2024-01-03 at 01:00 UTC, orders_every_night requests a run of orders_job for 2024-01-02"
    assert done["nightly"] == ["orders_job", "2024-01-02"]
    assert done["morning"] == ["example_job", "0 6 * * *"]


def test_migrating_page(offline_pages: dict):
    page = "docs/migrating.md"
    assert_on_page(page, MATERIALIZE.format("static_partitions.py") + " --partition red")
    folder, done = offline_pages[page]

    assert rows_loaded(done["red"]) == {"dlt_paint_shop_paints[red]": 2}
    assert query(folder / "paints_by_color.duckdb", "SELECT COUNT(*) FROM paint_shop.paints") == [
        (2,)
    ]


def test_state_aware_page(offline_pages: dict):
    page = "docs/state-aware.md"
    assert_on_page(
        page,
        MATERIALIZE.format("state_aware_downstream.py"),
        "dagster job execute -f state_aware_full_refresh.py -j orders_job",
        "dagster job execute -f state_aware_full_refresh.py -j orders_full_refresh",
    )
    folder, done = offline_pages[page]
    orders = "dlt_orders_drop_orders"
    second = done["loads"][2]

    # The page's table: rows 2, 0, 1; data version a, a, b.
    assert [rows_loaded(load)[orders] for load in done["loads"]] == [2, 0, 1]
    versions = [load["assets"][orders]["data_version"] for load in done["loads"]]
    assert versions[0] == versions[1] != versions[2]
    assert {
        k: v for k, v in second["assets"]["orders_by_status"].items() if k != "data_version"
    } == {
        "open": 1,
        "paid": 2,
    }
    # The observed source is the key the dlt asset depends on.
    assert done["freshness_specs"]["dlt_orders_drop_orders"] == ["orders_drop_orders"]
    assert done["observed"] == "orders_drop_orders"
    assert rows_loaded(done["orders_job"]) == {orders: 0}  # nothing new
    assert rows_loaded(done["full_refresh"]) == {orders: 3}  # every file again
    assert query(folder / "orders_drop.duckdb", "SELECT COUNT(*) FROM shop.orders") == [(3,)]
    # The progress lines the page shows, from the first load (2 rows); the run of
    # state_aware_progress.py, the page's last, finds nothing new: its extract line says so.
    shown = text_after(page, "and one line when it ends:").splitlines()
    logged = [line for line in done["loads"][0]["logs"] if line.startswith("dlt ")]
    for line in shown:
        lead = re.sub(r" in [\d.]+ finished", " in ", line.split(",")[0]).split(" in ")[0]
        assert any(entry.startswith(lead) for entry in logged), (lead, logged)
    assert "dlt Extract orders_drop finished: 0 rows, resources 1/1" in "\n".join(
        done["progress"]["logs"]
    )
    assert done["progress_interval"] == 30


def test_data_access_page(offline_pages: dict):
    page = "docs/data-access.md"
    assert_on_page(
        page, MATERIALIZE.format("data_access_input.py"), "`python data_access_catalog.py`",
        MATERIALIZE.format("data_access_save.py"), MATERIALIZE.format("data_access_checks.py"),
        'pip install "/path/to/dagster-dlt[duckdb]"',
    )  # fmt: skip
    folder, done = offline_pages[page]

    summary = done["input"]["assets"]["order_summary"]
    assert (summary["large_orders"], summary["sold"]) == (2, {"lamp": 2, "pen": 6})
    # The printed catalog, as the page shows it (with the real path of shop.duckdb).
    shown = text_after(page, "`python data_access_catalog.py`")
    shown = shown.replace("/path/to/shop.duckdb", str((folder / "shop.duckdb").resolve()))
    assert [line.split() for line in done["catalog"].strip().splitlines()] == [
        line.split() for line in shown.splitlines()
    ]
    saved = done["save"]["assets"]["revenue_by_customer"]
    assert saved["rows_loaded"] == 2
    assert query(
        folder / "shop.duckdb",
        "SELECT customer, revenue FROM shop_reports.revenue_by_customer ORDER BY customer",
    ) == [("ada", 144.0), ("grace", 12.5)]
    first, second = done["checks"]
    assert first["checks"]["dlt_schema_drift"] == [True, "first load: created tables prices"]
    assert second["checks"]["dlt_schema_drift"] == [True, "no change"]


def test_secrets_page(tmp_path: Path):
    from tests.support.fake_github import FakeGitHub

    page = "docs/secrets.md"
    assert_on_page(
        page,
        "export SOURCES__GITHUB__REPO_NAME=dlt-hub/dlt",
        MATERIALIZE.format("dlt_tutorial.py"),
        "python example_api.py &",
        "export SOURCES__EXAMPLE__BASE_URL=http://127.0.0.1:8765/v1",
        f"export EXAMPLE_API_KEY={STAND_IN_KEY}",
        MATERIALIZE.format("secrets_envvar.py"),
        MATERIALIZE.format("quickstart.py"),
    )
    folder = new_folder(tmp_path, page)
    # The page's .dlt/ files are in the folder as written; the variables below win over them.
    assert (folder / ".dlt" / "config.toml").is_file() and (
        folder / ".dlt" / "secrets.toml"
    ).is_file()
    env = outside_env(tmp_path)
    with FakeGitHub(private=True) as github, stand_in_api(folder, env) as url:
        github.add_demo_data(issues=5, pull_requests=3)
        env.update(
            SOURCES__GITHUB__REPO_NAME=github.repo_name,
            SOURCES__GITHUB__ACCESS_TOKEN=github.token,
            SOURCES__GITHUB__BASE_URL=github.base_url,
            SOURCES__EXAMPLE__BASE_URL=url,
            EXAMPLE_API_KEY=STAND_IN_KEY,
        )

        done = run_driver("secrets", folder, env)

    assert rows_loaded(done["tutorial"]) == {
        "dlt_github_source_issues": 8,
        "dlt_github_source_comments": query(
            folder / "github_tutorial.duckdb", "SELECT COUNT(*) FROM github_data.comments"
        )[0][0],
    }
    assert rows_loaded(done["keyed"]) == {"dlt_example_courses": 3, "dlt_example_users": 5}
    assert not done["missing"]["success"]
    [failure] = done["missing"]["failures"]
    assert "DltConfigurationError" in failure
    # The page's message; the configuration it names is that of whichever resource failed first.
    shown = " ".join(text_after(page, "with no\n`SOURCES__EXAMPLE__API_KEY` set").split())
    message = " ".join(failure.split()).replace(
        "ExampleCoursesConfiguration", "ExampleUsersConfiguration"
    )
    assert shown in message, failure[:1500]


def test_snowflake_page(tmp_path: Path, snowflake_emulator: Any, snowflake_database: str):
    page = "docs/snowflake.md"
    assert_on_page(page, MATERIALIZE.format("snowflake_shop.py"))
    folder = new_folder(tmp_path, page)
    assert_on_page(page, 'EnvVar("SNOWFLAKE_PASSWORD")')
    # (a) The credentials as the page's environment variables, pointed at the emulator (QUERY: its
    # host, port and protocol, instead of <account>.snowflakecomputing.com).
    env = outside_env(tmp_path, **snowflake_emulator.environment(snowflake_database))

    prefix = "DESTINATION__SNOWFLAKE__CREDENTIALS__"
    login = snowflake_emulator.environment(snowflake_database)
    dagster_env = {
        "SNOWFLAKE_ACCOUNT": login[f"{prefix}HOST"],
        "SNOWFLAKE_DATABASE": login[f"{prefix}DATABASE"],
        "SNOWFLAKE_USER": login[f"{prefix}USERNAME"],
        "SNOWFLAKE_PASSWORD": login[f"{prefix}PASSWORD"],
        "SNOWFLAKE_WAREHOUSE": login[f"{prefix}WAREHOUSE"],
        "SNOWFLAKE_ROLE": login[f"{prefix}ROLE"],
    }
    done = run_driver("snowflake", folder, env, dagster_env=dagster_env)

    assert rows_loaded(done["shop"]) == {"dlt_shop_products": 3}
    assert done["shop"]["assets"]["dlt_shop_products"]["dagster/table_name"] == (
        f"{snowflake_database.upper()}.RAW_SHOP.PRODUCTS"
    )
    assert snowflake_emulator.query(
        snowflake_database, "SELECT COUNT(*) FROM RAW_SHOP.PRODUCTS"
    ) == [(3,)]
    # (c) Dagster EnvVar: definitions load without the variables, and a run with only them (and
    # the emulator's QUERY) loads; the password is in no metadata.
    assert done["envvar_resources"] == ["dlt", "snowflake"]
    assert rows_loaded(done["keyed"]) == {"dlt_shop_products": 3}
    assert dagster_env["SNOWFLAKE_PASSWORD"] not in json.dumps(done["keyed"]["assets"])
    assert snowflake_emulator.query(
        snowflake_database, "SELECT COUNT(*) FROM RAW_SHOP.PRODUCTS"
    ) == [(3,)]


if __name__ == "__main__":
    main()
