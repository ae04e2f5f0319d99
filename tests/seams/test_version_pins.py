"""The version pins in pyproject.toml, and what breaks without them.

- sqlglot below 30.22: dlt 1.31's ``pipeline.dataset()`` passes ``qualify(infer_schema=...)``,
  which sqlglot 30.22 removed (``TypeError: qualify() got an unexpected keyword argument
  'infer_schema'``).
- duckdb below 2: duckdb 2 relations lost ``fetchmany()``, which dlt 1.31's ``read_csv_duckdb``
  calls.
- fakesnow 0.11.20 in the test extra: later releases pin sqlglot 30.22+ (0.11.21) or duckdb 2
  (0.12), both outside our pins; the conflict is shown below with their recorded requirements.
"""

import inspect
from importlib.metadata import requires, version
from pathlib import Path

import dlt
import pytest
import sqlglot.optimizer.qualify
from dlt.sources.filesystem import filesystem, read_csv_duckdb
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[2]

# The requirements of the fakesnow releases after the one we pin, as their wheels' METADATA
# records them (fakesnow 0.11.21 and 0.12.1 on PyPI); the tests run offline, so they are recorded.
FAKESNOW_LATER = {
    "0.11.21": ["sqlglot~=30.22.0", "duckdb~=1.5.6"],
    "0.12.1": ["sqlglot~=30.22.0", "duckdb~=2.0.0"],
}


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _specifier(requirements: list[str], name: str) -> SpecifierSet:
    """Every specifier the requirements put on ``name``, intersected."""
    combined = SpecifierSet()
    for line in requirements:
        requirement = Requirement(line)
        if requirement.name == name:
            combined &= requirement.specifier
    return combined


def _allowed(name: str, extra: str = "test") -> SpecifierSet:
    project = _project()
    return _specifier(project["dependencies"] + project["optional-dependencies"][extra], name)


def _satisfiable_together(ours: SpecifierSet, theirs: SpecifierSet, candidates: list[str]) -> bool:
    return any(
        Version(candidate) in ours and Version(candidate) in theirs for candidate in candidates
    )


# Versions around the boundaries that matter, to probe whether two specifier sets overlap.
SQLGLOT_PROBES = ["26.32.0", "29.0.0", "30.20.0", "30.21.0", "30.21.9", "30.22.0", "30.23.0"]
DUCKDB_PROBES = ["1.4.0", "1.5.6", "1.5.9", "2.0.0", "2.0.1", "2.1.0"]


def test_the_pins_exclude_sqlglot_30_22_and_duckdb_2():
    sqlglot = _allowed("sqlglot")
    duckdb = _allowed("duckdb")

    assert Version("30.21.0") in sqlglot
    assert Version("30.22.0") not in sqlglot
    assert Version("1.5.6") in duckdb
    assert Version("2.0.0") not in duckdb
    for extra in ("duckdb", "demo"):
        assert Version("2.0.0") not in _allowed("duckdb", extra), extra


def test_installed_versions_are_within_the_pins():
    assert Version(version("sqlglot")) in _allowed("sqlglot")
    assert Version(version("duckdb")) in _allowed("duckdb")


def test_installed_fakesnow_requirements_fit_our_pins():
    theirs = requires("fakesnow") or []

    for name, probes in (("sqlglot", SQLGLOT_PROBES), ("duckdb", DUCKDB_PROBES)):
        fakesnow_wants = _specifier(theirs, name)
        installed = Version(version(name))
        assert installed in fakesnow_wants, f"fakesnow wants {name}{fakesnow_wants}"
        assert _satisfiable_together(_allowed(name), fakesnow_wants, [*probes, str(installed)])


@pytest.mark.parametrize("release", sorted(FAKESNOW_LATER))
def test_later_fakesnow_releases_conflict_with_our_pins(release: str):
    recorded = FAKESNOW_LATER[release]
    conflicts = [
        name
        for name, probes in (("sqlglot", SQLGLOT_PROBES), ("duckdb", DUCKDB_PROBES))
        if not _satisfiable_together(_allowed(name), _specifier(recorded, name), probes)
    ]

    assert "sqlglot" in conflicts, f"fakesnow {release} pins {recorded}"
    if release.startswith("0.12"):
        assert "duckdb" in conflicts
    assert Requirement("fakesnow[server]==0.11.20") in [
        Requirement(line) for line in _project()["optional-dependencies"]["test"]
    ]


def test_installed_sqlglot_still_takes_the_argument_dlt_passes():
    # dlt 1.31's dataset calls qualify(..., infer_schema=...); sqlglot 30.22 dropped it.
    assert "infer_schema" in inspect.signature(sqlglot.optimizer.qualify.qualify).parameters


def test_pipeline_dataset_reads_what_dlt_loaded(tmp_path: Path):
    pipeline = dlt.pipeline(
        "pins",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "pins.duckdb")),
        dataset_name="pins_data",
    )
    pipeline.run([{"id": 1, "tags": ["a", "b"]}, {"id": 2, "tags": ["c"]}], table_name="items")

    dataset = pipeline.dataset()

    assert dataset.items.select("id").order_by("id").fetchall() == [(1,), (2,)]
    assert dataset.query("SELECT COUNT(*) FROM items__tags").fetchscalar() == 3


def test_read_csv_duckdb_loads_csv_files_into_duckdb(tmp_path: Path):
    # Issue #11: under duckdb 2 this fails with "Relations no longer have fetchmany()".
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "a.csv").write_text("id,name\n1,ada\n2,grace\n")
    (folder / "b.csv").write_text("id,name\n3,linus\n")
    pipeline = dlt.pipeline(
        "csv_pins",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "csv.duckdb")),
        dataset_name="csv_data",
    )

    files = filesystem(bucket_url=folder.as_uri(), file_glob="*.csv") | read_csv_duckdb()
    pipeline.run(files.with_name("people"))

    with pipeline.sql_client() as client:
        rows = client.execute_sql(
            f"SELECT COUNT(*) FROM {client.make_qualified_table_name('people')}"
        )
    assert rows[0][0] == 3
