"""docs/components.md's "From zero" path, run as written, and the names a scaffold gives a load.

The page marks each block that a new user runs after installing dagster-dlt with
``<!-- from zero: tests/components/test_components_from_zero.py runs this block -->``; the test runs them in
order, in one shell, in an empty folder: the real ``create-dagster``, ``pip``, ``dg`` and DuckDB.
The project is installed into a throwaway virtual environment that sees this one's packages, so
this environment never gets the test's project, and nothing but the project is installed (pip
fetches the project's build backend, hatchling, from the package index or its cache).
"""

import importlib.util
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.dlt_fixtures import count_rows

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "components.md"
BIN = Path(sys.executable).parent
RUN_MARKER = "<!-- from zero: tests/components/test_components_from_zero.py runs this block -->"
# What the page says the steps make.
PROJECT = "my-dlt-project"
DUCKDB_FILE = f"{PROJECT}/my_dlt_project.duckdb"
# The console scripts the page's blocks call, besides python.
SCRIPTS = ("create-dagster", "dg", "dagster", "pip")


def page_blocks() -> list[str]:
    """The bash blocks that the page marks as run by this test, in order."""
    lines = PAGE.read_text().splitlines()
    blocks = []
    for index, line in enumerate(lines):
        if line != RUN_MARKER:
            continue
        assert lines[index + 1] == "```bash", f"docs/components.md:{index + 2}: not a bash block"
        closing = next(j for j in range(index + 2, len(lines)) if lines[j] == "```")
        blocks.append("\n".join(lines[index + 2 : closing]))
    return blocks


def venv_site_packages(venv: Path) -> Path:
    (site_packages,) = (venv / "lib").glob("python*/site-packages")
    return site_packages


def throwaway_venv(where: Path) -> Path:
    """A virtual environment whose own site-packages come first, then this venv's.

    ``venv --system-site-packages`` would not do: from a venv's Python it shares the base
    interpreter's packages, not the venv's. A ``.pth`` line that calls ``site.addsitedir``
    adds this venv's site-packages with their own ``.pth`` files (the editable dagster-dlt).
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    ours = sysconfig.get_paths()["purelib"]
    (venv_site_packages(where) / "_dagster_dlt_test_parent.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n"
    )
    # The console scripts, run by the throwaway venv's Python: dg's code servers and runs are
    # that Python too, so they import the project installed there.
    for name in SCRIPTS:
        script = (BIN / name).read_text().splitlines(keepends=True)
        assert script[0].startswith("#!"), f"{BIN / name} is not a Python console script"
        target = where / "bin" / name
        target.write_text(f"#!{python}\n" + "".join(script[1:]))
        target.chmod(0o755)
    return where


def shell_env(tmp_path: Path, venv: Path) -> dict[str, str]:
    """The throwaway venv active; Dagster's and dlt's state inside tmp_path; no network look-ups
    or telemetry."""
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        name: value
        for name, value in os.environ.items()
        # The page sets the credentials itself; a stray PYTHONPATH would hide a missing install.
        if name not in ("SOURCES__SQL_DATABASE__CREDENTIALS", "PYTHONPATH", "PYTHONHOME")
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        DAGSTER_HOME=str(dagster_home),
        # create-dagster would ask PyPI for its newest version.
        DAGSTER_DG_UPDATE_CHECK_ENABLED="0",
        DAGSTER_DISABLE_TELEMETRY="1",
        RUNTIME__DLTHUB_TELEMETRY="false",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    # DLT_DATA_DIR is tmp_path's (tests/conftest.py): the pipelines stay out of ~/.dlt.
    assert env["DLT_DATA_DIR"].startswith(str(tmp_path))
    return env


def test_the_page_marks_the_from_zero_steps():
    blocks = page_blocks()

    commands = "\n".join(blocks)
    for step in ("create-dagster project", "pip install -e .", "dg scaffold defs", "dg check defs"):
        assert step in commands
    for step in ("dg list defs", "dg launch --assets", "duckdb.connect"):
        assert step in commands
    text = PAGE.read_text()
    assert f"**`{DUCKDB_FILE}`**" in text, "the page no longer says where the DuckDB file is"


@pytest.mark.slow
@pytest.mark.extended
def test_from_zero_as_written(tmp_path: Path):
    venv = throwaway_venv(tmp_path / "venv")
    work = tmp_path / "work"
    work.mkdir()
    script = "set -euxo pipefail\n" + "\n".join(page_blocks()) + "\n"

    result = subprocess.run(
        ["bash", "-c", script],
        cwd=work,
        env=shell_env(tmp_path, venv),
        capture_output=True,
        text=True,
        timeout=400,
    )

    assert result.returncode == 0, f"the page's steps failed:\n{result.stdout}\n{result.stderr}"
    # dg list defs, then the page's query of the rows.
    assert "sql_database/customers" in result.stdout
    assert re.search(r"│\s+2\s+│\s+grace\s+│", result.stdout), result.stdout
    # The rows are in the file the page names, which no other project's load writes.
    assert count_rows(work / DUCKDB_FILE, "sql_database", "customers") == 2
    assert count_rows(work / DUCKDB_FILE, "sql_database", "orders") == 3
    loads = (work / PROJECT / "src" / "my_dlt_project" / "defs" / "shop" / "loads.py").read_text()
    assert re.search(r'pipeline_name="my_dlt_project_shop_[0-9a-f]{6}"', loads)
    # pip installed the project into the throwaway venv, not into this one, and nothing else:
    # the page's environment (here, this venv's packages) already has every dependency.
    assert importlib.util.find_spec("my_dlt_project") is None
    installed = {path.name.split("-")[0] for path in venv_site_packages(venv).glob("*.dist-info")}
    assert installed == {"my_dlt_project"}


def scaffolded_shop(parent: Path, env: dict[str, str]) -> Path:
    """The loads.py of `shop`, scaffolded as the page does in a new project `shop-project`."""
    parent.mkdir()
    scaffold = ["dg", "scaffold", "defs", "dagster_dlt.DltLoadCollectionComponent", "shop"]
    for cwd, command in (
        (parent, ["create-dagster", "project", "shop-project", "--no-uv-sync"]),
        (
            parent / "shop-project",
            [*scaffold, "--source", "sql_database", "--destination", "duckdb"],
        ),
    ):
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
    return parent / "shop-project" / "src" / "shop_project" / "defs" / "shop" / "loads.py"


@pytest.mark.slow
@pytest.mark.extended
def test_two_projects_of_one_name_get_pipelines_and_duckdb_files_of_their_own(tmp_path: Path):
    # The scaffold needs no install of the project: this venv's scripts do.
    env = shell_env(tmp_path, BIN.parent)
    first, second = (scaffolded_shop(tmp_path / folder, env) for folder in ("a", "b"))

    names = []
    for loads in (first, second):
        text = loads.read_text()
        (name,) = re.findall(r'pipeline_name="([^"]+)"', text)
        names.append(name)
        # DUCKDB_FILE is at the root of the loads.py's own project.
        (levels,) = re.findall(
            r"PROJECT_ROOT = Path\(__file__\).resolve\(\).parents\[(\d+)\]", text
        )
        assert 'DUCKDB_FILE = PROJECT_ROOT / "shop_project.duckdb"' in text
        assert loads.resolve().parents[int(levels)] == loads.parents[4].resolve()
        assert (loads.parents[4] / "pyproject.toml").is_file()
    assert names[0] != names[1]
    assert all(re.fullmatch(r"shop_project_shop_[0-9a-f]{6}", name) for name in names), names
