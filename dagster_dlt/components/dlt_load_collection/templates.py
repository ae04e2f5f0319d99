"""The ``loads.py`` files that ``dg scaffold defs dagster_dlt.DltLoadCollectionComponent`` writes.

Every template is text in this module, so scaffolding needs no network and no package data. A
template is a source part (what to load, with the configuration it needs) and a destination part
(where to load it). Each source part reads its secrets only when a run starts.

Scaffolded into a project, a load gets names of its own (``project_names``): dlt keeps each
pipeline's state, and the destination it last used, in one folder per pipeline name for the whole
machine (``~/.dlt/pipelines``), so two projects whose loads share a pipeline name share that state.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

__all__ = [
    "DESTINATIONS",
    "SOURCES",
    "LoadsFile",
    "ProjectNames",
    "project_names",
    "render_loads",
    "unknown_destination",
    "unknown_source",
]


@dataclass(frozen=True)
class SourceTemplate:
    """What a load reads.

    Attributes:
        summary: the first line of the docstring of ``loads.py``.
        config: lines of the docstring that say which configuration and secrets it needs.
        imports: third-party import lines besides ``import dlt``.
        code: defines ``attribute``.
        attribute: the name ``defs.yaml``'s ``source:`` points at.
        name: the dataset name (so the first part of every asset key), and the pipeline name
            outside a project.
        pipeline_attribute: the name ``defs.yaml``'s ``pipeline:`` points at (default:
            ``<name>_pipeline``).
        stdlib_imports: import lines of the standard library.
    """

    summary: str
    config: str
    imports: tuple[str, ...]
    code: str
    attribute: str
    name: str
    pipeline_attribute: str = ""
    stdlib_imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class DestinationTemplate:
    """Where a load writes: the ``destination=`` expression and what it needs.

    Attributes:
        config: lines of the docstring that say where the data goes and what that needs.
        expression: the ``destination=`` argument.
        project_file: a DuckDB file at the project's root replaces ``config`` and
            ``expression`` when the load is scaffolded into a project.
    """

    config: str
    expression: str
    project_file: bool = False


@dataclass(frozen=True)
class ProjectNames:
    """The names of a load scaffolded into a project, which no other project on the machine uses.

    Attributes:
        pipeline_name: ``<project>_<load>_<hash>``: the project folder's name, the load's path
            under ``defs/`` and 6 hex digits of a hash of the project folder's absolute path, so
            that two projects of one name, in two folders, differ too.
        duckdb_file: the name of the project's DuckDB file, ``<project>.duckdb``, at its root.
        levels_up: how many folders the project's root is above the folder of ``loads.py``.
    """

    pipeline_name: str
    duckdb_file: str
    levels_up: int


def _identifier(text: str) -> str:
    """``text`` as a lowercase identifier: dlt names pipeline folders and DuckDB schemas so."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def project_names(project_root: Path, target_path: Path) -> Optional[ProjectNames]:
    """The names of a load scaffolded into ``target_path`` of the project at ``project_root``.

    Returns ``None`` when ``target_path`` is not inside ``project_root``.
    """
    root = project_root.resolve()
    try:
        parts = target_path.resolve().relative_to(root).parts
    except ValueError:
        return None
    # The load's path under the defs folder (src/my_project/defs/shop -> shop), which is unique
    # within the project.
    under_defs = parts[parts.index("defs") + 1 :] if "defs" in parts else parts[-1:]
    project = _identifier(root.name) or "project"
    load = _identifier("_".join(under_defs)) or "load"
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:6]
    return ProjectNames(
        pipeline_name=f"{project}_{load}_{digest}",
        duckdb_file=f"{project}.duckdb",
        levels_up=len(parts),
    )


@dataclass(frozen=True)
class LoadsFile:
    """A rendered ``loads.py`` and the attributes ``defs.yaml`` points at."""

    text: str
    source_attribute: str
    pipeline_attribute: str


_EXAMPLE = SourceTemplate(
    summary="An example dlt load: replace the source with your own.",
    config="It needs no configuration and no secrets.",
    imports=(),
    code='''
@dlt.source
def my_source():
    """Greetings: one asset, one table."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def hello_world():
        """One greeting per row."""
        yield [{"id": 1, "greeting": "hello, world!"}, {"id": 2, "greeting": "hallo, Welt!"}]

    return hello_world


my_load_source = my_source()
''',
    attribute="my_load_source",
    # As the published scaffold: assets example/hello_world, upstream my_source_hello_world,
    # and defs.yaml pointing at my_load_source and my_load_pipeline.
    name="example",
    pipeline_attribute="my_load_pipeline",
)

_SQL_DATABASE = SourceTemplate(
    summary="Tables of a SQL database, one asset per table, through dlt's sql_database source.",
    config="""Configuration (dlt reads it when a run starts, never when the definitions load):
    SOURCES__SQL_DATABASE__CREDENTIALS: the database's SQLAlchemy URL, for example
        postgresql://loader:<password>@db.example.com:5432/shop or sqlite:////data/shop.db
        (or credentials under [sources.sql_database] in .dlt/secrets.toml).
Install the database's SQLAlchemy driver too (psycopg2 for PostgreSQL, ...).""",
    imports=("from dlt.sources.sql_database import sql_table",),
    code='''
# The tables to load, one asset each.
TABLES = ["customers", "orders"]


@dlt.source(name="sql_database", section="sql_database")
def sql_database_tables(credentials: str = dlt.secrets.value):
    """The TABLES of the database at ``credentials``.

    defs.yaml names this function uncalled, so dlt resolves ``credentials`` when a run starts.
    The SQLAlchemy engine is made inside each resource, when the run reads the table.
    """

    def table(name: str):
        @dlt.resource(name=name, write_disposition="replace")
        def rows():
            yield from sql_table(credentials=credentials, table=name, defer_table_reflect=True)

        return rows

    return [table(name) for name in TABLES]
''',
    attribute="sql_database_tables",
    name="sql_database",
)

_REST_API = SourceTemplate(
    summary="Endpoints of a REST API, one asset per endpoint, through dlt's rest_api source.",
    config="""Configuration (dlt reads it when a run starts, never when the definitions load):
    SOURCES__REST_API__TOKEN (optional): a bearer token, for APIs that need one
        (or token under [sources.rest_api] in .dlt/secrets.toml).
The example reads the public PokeAPI, which needs no token.""",
    stdlib_imports=("from typing import Optional",),
    imports=("from dlt.sources.rest_api import rest_api_resources",),
    code='''
BASE_URL = "https://pokeapi.co/api/v2/"


@dlt.source(name="rest_api", section="rest_api")
def rest_api(token: Optional[str] = dlt.secrets.value):
    """The pokemon and berry endpoints; defs.yaml names this function uncalled, so dlt resolves
    ``token`` when a run starts."""
    client = {"base_url": BASE_URL}
    if token:
        client["auth"] = {"type": "bearer", "token": token}
    return rest_api_resources(
        {
            "client": client,
            "resource_defaults": {"endpoint": {"params": {"limit": 100}}},
            "resources": ["pokemon", "berry"],
        }
    )
''',
    attribute="rest_api",
    name="rest_api",
)

_FILESYSTEM = SourceTemplate(
    summary="CSV files from a folder or bucket into one table, through dlt's filesystem source.",
    config="""Configuration (dlt reads it when a run starts, never when the definitions load):
    SOURCES__FILESYSTEM__BUCKET_URL: where the files are: a local folder (/data/incoming),
        s3://bucket/path, gs://..., az://... (or bucket_url under [sources.filesystem] in
        .dlt/config.toml). Cloud buckets also need credentials under
        [sources.filesystem.credentials] in .dlt/secrets.toml.""",
    imports=("from dlt.sources.filesystem import filesystem, read_csv",),
    code='''
@dlt.source(name="filesystem", section="filesystem")
def csv_files(bucket_url: str = dlt.config.value, file_glob: str = "*.csv"):
    """Every CSV file matching ``file_glob`` under ``bucket_url``, into the table csv_files.

    defs.yaml names this function uncalled, so dlt resolves ``bucket_url`` when a run starts.
    """
    return (filesystem(bucket_url=bucket_url, file_glob=file_glob) | read_csv()).with_name(
        "csv_files"
    )
''',
    attribute="csv_files",
    name="filesystem",
)

_GITHUB = SourceTemplate(
    summary="Issues, comments and clone traffic of a GitHub repository (dlt_sources.github).",
    config="""Configuration (dlt reads it when a run starts, never when the definitions load):
    SOURCES__GITHUB__ACCESS_TOKEN (optional for public repositories, required for clone
        traffic): a GitHub token (or access_token under [sources.github] in
        .dlt/secrets.toml).
dlt_sources is the sources package of the dagster-dlt repository: keep it importable.""",
    stdlib_imports=("from typing import Optional",),
    imports=("from dlt_sources.github import github_source",),
    code='''
REPO_NAME = "dagster-io/dagster"


@dlt.source(name="github", section="github")
def github(access_token: Optional[str] = dlt.secrets.value):
    """The resources of github_source for REPO_NAME; defs.yaml names this function uncalled, so
    dlt resolves ``access_token`` when a run starts."""
    return list(github_source(repo_name=REPO_NAME, access_token=access_token).resources.values())
''',
    attribute="github",
    name="github",
)

_GHARCHIVE = SourceTemplate(
    summary="Public GitHub events from GH Archive, one asset per event type (dlt_sources.gharchive).",
    config="""It needs no secrets. It reads the sample bundled with dlt_sources, offline; set
base_url=GHARCHIVE_URL to read https://data.gharchive.org instead.
dlt_sources is the sources package of the dagster-dlt repository: keep it importable.""",
    imports=("from dlt_sources.gharchive import SAMPLE_DIR, gharchive_source",),
    code="""
# The days to load, [start, end), and the event types, one asset each.
gharchive_load_source = gharchive_source(
    "2024-01-01", "2024-01-05", base_url=SAMPLE_DIR, event_types=["PushEvent", "WatchEvent"]
)
""",
    attribute="gharchive_load_source",
    name="gharchive",
)

SOURCES: dict[str, SourceTemplate] = {
    "sql_database": _SQL_DATABASE,
    "rest_api": _REST_API,
    "filesystem": _FILESYSTEM,
    "github": _GITHUB,
    "gharchive": _GHARCHIVE,
}
"""The sources ``--source`` accepts."""

DESTINATIONS: dict[str, DestinationTemplate] = {
    "duckdb": DestinationTemplate(
        config="""Destination: the DuckDB file warehouse.duckdb in the working directory. Each dataset
is a schema in it.""",
        expression='dlt.destinations.duckdb("warehouse.duckdb")',
        project_file=True,
    ),
    "snowflake": DestinationTemplate(
        config="""Destination: Snowflake. dlt reads its credentials when a run starts:
    DESTINATION__SNOWFLAKE__CREDENTIALS__DATABASE, __USERNAME, __PASSWORD, __HOST, __WAREHOUSE
    and __ROLE (or [destination.snowflake.credentials] in .dlt/secrets.toml).
Install dlt[snowflake].""",
        expression='"snowflake"',
    ),
    "filesystem": DestinationTemplate(
        config="""Destination: files. dlt reads where when a run starts:
    DESTINATION__FILESYSTEM__BUCKET_URL: a local folder or s3://, gs://, az:// URL (or
        bucket_url under [destination.filesystem] in .dlt/config.toml).""",
        expression='"filesystem"',
    ),
}
"""The destinations ``--destination`` accepts."""


def unknown_source(source: str) -> str:
    """The error message for a ``--source`` that no template has: the templates, and how to
    start by hand."""
    return (
        f"No template for dlt source '{source}'. Templates: {', '.join(SOURCES)}. To load "
        "another source, scaffold without --source and edit loads.py: point "
        "my_load_source at your source (a called @dlt.source function, or the function "
        "itself to resolve its secrets when a run starts), e.g. "
        "`from my_sources import my_api` then `my_load_source = my_api`."
    )


def unknown_destination(destination: str) -> str:
    """The error message for a ``--destination`` that no template has."""
    return (
        f"No template for dlt destination '{destination}'. Templates: "
        f"{', '.join(DESTINATIONS)}. For another destination, scaffold with one of these and "
        'change destination= in loads.py (any name dlt.pipeline accepts, e.g. "postgres").'
    )


def render_loads(
    source: Optional[str],
    destination: Optional[str],
    names: Optional[ProjectNames] = None,
) -> LoadsFile:
    """The ``loads.py`` of a source and destination template (``None`` for the defaults).

    Args:
        source: a key of ``SOURCES``, or ``None`` for the example source.
        destination: a key of ``DESTINATIONS``, or ``None`` for DuckDB.
        names: the project's names (``project_names``) when the load goes into a project: they
            name the pipeline, and the DuckDB file at the project's root. Without them the
            pipeline is named after the template and DuckDB writes ``warehouse.duckdb`` in the
            working directory. Neither changes the dataset, so the asset keys stay the same.

    Raises:
        ValueError: no template has that name; the message lists the templates and how to write
            ``loads.py`` by hand.
    """
    if source is not None and source not in SOURCES:
        raise ValueError(unknown_source(source))
    if destination is not None and destination not in DESTINATIONS:
        raise ValueError(unknown_destination(destination))
    template = SOURCES[source] if source is not None else _EXAMPLE
    target = DESTINATIONS[destination or "duckdb"]
    pipeline_attribute = template.pipeline_attribute or f"{template.name}_pipeline"
    stdlib_imports = list(template.stdlib_imports)
    pipeline_name = template.name
    destination_config = target.config
    destination_expression = target.expression
    preamble = ""
    if names is not None:
        pipeline_name = names.pipeline_name
        if target.project_file:
            stdlib_imports.append("from pathlib import Path")
            destination_config = (
                f"Destination: the DuckDB file {names.duckdb_file} at the project's root\n"
                "(DUCKDB_FILE). Each dataset is a schema in it."
            )
            destination_expression = "dlt.destinations.duckdb(str(DUCKDB_FILE))"
            preamble += f"""# The project's DuckDB file, at its root: the same file whichever folder dg, the webserver
# or a run starts in. Installed without -e (into site-packages), the code has no project root
# above it: the file is then in the working directory.
PROJECT_ROOT = Path(__file__).resolve().parents[{names.levels_up}]
if "site-packages" in Path(__file__).parts:
    PROJECT_ROOT = Path.cwd()
DUCKDB_FILE = PROJECT_ROOT / "{names.duckdb_file}"

"""
        preamble += """# Named after the project and this load: dlt keeps each pipeline's state in a folder named
# after the pipeline, one for the whole machine (~/.dlt/pipelines), so no other project may
# share it.
"""
    groups = [sorted(stdlib_imports), ["import dlt", *template.imports]]
    imports = "\n\n".join("\n".join(group) for group in groups if group)
    code = template.code.strip()
    # As isort and ruff format lay a module out: two blank lines before a function, one before
    # other statements.
    after_imports = "\n\n" if code.startswith(("@", "def ")) else "\n"
    text = f'''"""{template.summary}

{template.config}

{destination_config}

defs.yaml points at {template.attribute} and {pipeline_attribute}.
"""

{imports}
{after_imports}{code}


{preamble}{pipeline_attribute} = dlt.pipeline(
    pipeline_name="{pipeline_name}",
    destination={destination_expression},
    dataset_name="{template.name}",
)
'''
    return LoadsFile(
        text=text,
        source_attribute=template.attribute,
        pipeline_attribute=pipeline_attribute,
    )
