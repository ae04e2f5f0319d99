"""Give every run its own dlt working directory, find those that dead runs left, and show each run
to dlt's own tools.

Two runs of one pipeline that share ``~/.dlt/pipelines/<name>`` overwrite each other's packages,
schemas and state (dagster-io/dagster#21022). When dlt can restore state from the destination, a
run therefore works on a copy of the user's pipeline in a directory of its own,
``<pipelines_dir>/.dagster-dlt/<name>/runs/<id>/``, with state and schemas restored from the
destination. While the run lives it holds an advisory lock on ``<id>.lock``; the kernel releases
it when the process dies, however it dies. A later run that can take that lock knows the run is
dead and repairs what it left (``durability/recovery.py``).

When the run ends, what dlt's tools read from its working directory (state, schemas, trace and
the finished packages) is copied into the user's pipeline directory, so that ``dlt pipeline
<name> info``, ``trace``, ``failed-jobs`` and ``load-package`` show it. That directory is never
renamed or replaced: ``dlt.pipeline()`` in other processes creates and reads it without our lock.
Each file arrives with one atomic ``rename`` and ``state.json`` last; parallel runs publish one
after another under a lock of ours (the last one wins).

When dlt cannot restore from the destination (``restore_from_destination=false``, or a destination
without state sync such as a ``@dlt.destination`` sink), local state is the only copy of the
incremental cursors, so the run uses the user's own working directory; pending packages left by a
crashed run are aborted first, which restores local state to before them, so nothing is lost.
"""

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Optional

from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals
from dagster_dlt.durability.destinations import anchor_local_files

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, so no way to tell a dead run from a live one.
    fcntl = None  # type: ignore[assignment]

__all__ = ["Isolation", "RunDirectory", "isolated_pipeline", "restores_from_destination"]

STATE_FILE = "state.json"


def restores_from_destination(pipeline: Pipeline) -> bool:
    """Whether dlt restores this pipeline's state and schemas from its destination."""
    return bool(pipeline.config.restore_from_destination) and internals.syncs_state(pipeline)


def runs_root(pipeline: Pipeline) -> Path:
    """Where the runs of ``pipeline`` keep their working directories and published versions."""
    return Path(pipeline.pipelines_dir) / ".dagster-dlt" / pipeline.pipeline_name


@dataclass
class RunDirectory:
    """One run's working directory, its liveness lock and what it was doing.

    Attributes:
        path: the ``pipelines_dir`` of the run's copy of the pipeline.
        descriptor: who ran it (Dagster run id, process, host) and what (``work``).
    """

    path: Path
    descriptor: dict[str, Any] = field(default_factory=dict)
    _handle: Optional[IO[str]] = None
    repaired: bool = False

    @property
    def lock_file(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @property
    def descriptor_file(self) -> Path:
        return self.path.with_name(self.path.name + ".json")

    def working_dir(self, pipeline_name: str) -> Path:
        return self.path / pipeline_name

    @classmethod
    def create(cls, root: Path, descriptor: dict[str, Any]) -> "RunDirectory":
        """A new directory under ``root/runs``, locked by this process for as long as it lives."""
        runs = root / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        directory = cls(runs / uuid.uuid4().hex, dict(descriptor))
        directory.path.mkdir()
        directory._handle = open(directory.lock_file, "a+")  # noqa: SIM115 - held until release
        if fcntl is not None:
            fcntl.flock(directory._handle.fileno(), fcntl.LOCK_EX)
        directory.descriptor_file.write_text(json.dumps(directory.descriptor, default=str))
        return directory

    def release(self) -> None:
        """Let go of the liveness lock; the directory stays for a later run to repair."""
        if self._handle is not None:
            self._handle.close()  # closing the file releases the lock
            self._handle = None

    def remove(self) -> None:
        """Delete the directory, its descriptor and, last, its lock file."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.descriptor_file.unlink(missing_ok=True)
        self.lock_file.unlink(missing_ok=True)
        self.release()


def claim_dead_runs(root: Path, exclude: Optional[RunDirectory] = None) -> list[RunDirectory]:
    """The run directories under ``root`` whose process is gone, each now locked by this process.

    A directory whose lock another process holds belongs to a live run and is never touched: a
    concurrent run's in-flight load cannot be mistaken for a dead one.
    """
    if fcntl is None:
        return []
    claimed = []
    for lock_file in sorted((root / "runs").glob("*.lock")):
        path = lock_file.with_suffix("")
        if exclude is not None and path == exclude.path:
            continue
        handle = open(lock_file, "a+")  # noqa: SIM115 - kept open while the claim lasts
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        if not lock_file.exists():
            # Removed by the run that repaired it just before we opened the file.
            handle.close()
            continue
        directory = RunDirectory(path, _read_descriptor(path), handle)
        claimed.append(directory)
    return claimed


def _read_descriptor(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.with_name(path.name + ".json").read_text())
    except (OSError, ValueError):
        return {}


@dataclass
class Isolation:
    """The pipeline a run loads with, its own directory and the dead runs it claimed.

    Attributes:
        pipeline: the pipeline to run with (a copy in ``own``, or the user's own pipeline).
        own: this run's directory, or ``None`` when the run uses the user's directory.
        dead: directories of dead runs of this pipeline, claimed for repair.
        keep_for_resume: set when the run stops with a package that a later run should finish.
        publish: the pipeline whose working directory becomes the user's when the run ends.
    """

    pipeline: Pipeline
    own: Optional[RunDirectory] = None
    dead: list[RunDirectory] = field(default_factory=list)
    keep_for_resume: bool = False
    publish: Optional[Pipeline] = None


@contextmanager
def isolated_pipeline(
    pipeline: Pipeline,
    log: Any,
    descriptor: Optional[dict[str, Any]] = None,
    collector: Optional[Any] = None,
) -> Iterator[Isolation]:
    """The pipeline a run should use, in a working directory no other run shares.

    ``collector`` is the progress collector the run gives dlt; the user's pipeline keeps its own.
    """
    anchored = anchor_local_files(pipeline)
    if anchored is not None:
        remembered, here = anchored
        log.warning(
            f"dlt pipeline '{pipeline.pipeline_name}' remembered {remembered} from an earlier run "
            "of a pipeline with this name (possibly another project's), and dlt would put this "
            "run's local destination files there. This run resolves them against its working "
            f"directory {here} instead, as the code implies. Give each "
            "project's pipelines their own names, or an absolute path, to keep them apart."
        )
    if not restores_from_destination(pipeline):
        _abort_leftover_packages(pipeline, log)
        own_collector = pipeline.collector
        if collector is not None:
            pipeline.collector = collector
        try:
            yield Isolation(pipeline)
        finally:
            pipeline.collector = own_collector
        return
    root = runs_root(pipeline)
    previous = internals.active_pipeline()
    own = RunDirectory.create(root, descriptor or {})
    isolation: Optional[Isolation] = None
    try:
        copy = internals.copy_pipeline(pipeline, str(own.path), progress=collector)
        copy.activate()
        isolation = Isolation(copy, own, claim_dead_runs(root, exclude=own))
        yield isolation
    finally:
        # The copy was dlt's active pipeline during the run; hand dlt.current.pipeline() back.
        internals.reactivate(previous)
        if isolation is not None and isolation.keep_for_resume:
            own.release()
            log.warning(
                f"The run stopped with an unfinished load package in {own.path}; the next run of "
                f"dlt pipeline '{pipeline.pipeline_name}' on this machine resumes it."
            )
        else:
            published = isolation.publish or isolation.pipeline if isolation else None
            if published is not None:
                _publish(Path(published.working_dir), pipeline, log)
            own.remove()
        for dead in isolation.dead if isolation else []:
            # Repaired directories go; any other stays for a later run, unlocked again.
            dead.remove() if dead.repaired else dead.release()


def _publish(working_dir: Path, pipeline: Pipeline, log: Any) -> None:
    """Copy what dlt's tools read from ``working_dir`` into the user's pipeline directory.

    The user's directory stays a plain directory that is never renamed or removed: ``dlt.pipeline()``
    in every other process (the code server, the daemon, other runs, dlt's CLI, an older version
    of this package) creates and reads it without our lock. Each file is replaced with one atomic
    ``rename``, and ``state.json`` goes last, so a reader that sees the new state also sees the
    schemas it names. Parallel runs publish one after another under a lock; the last one wins.
    Publishing never fails a run: what could not be copied is logged.
    """
    if fcntl is None or not (working_dir / STATE_FILE).exists():
        return
    root = runs_root(pipeline)
    root.mkdir(parents=True, exist_ok=True)
    target = Path(pipeline.pipelines_dir) / pipeline.pipeline_name
    with open(root / "publish.lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        # Under the lock nobody else stages: what is there, a killed publish left.
        shutil.rmtree(root / "staging", ignore_errors=True)
        for attempt in range(3):
            try:
                _replace_symlink_of_earlier_versions(target, root)
                _copy_into(working_dir, target, root / "staging")
            except OSError as error:
                # dlt.pipeline() elsewhere wipes a directory without state.json before it makes
                # its own: on the first publish, that can remove what was just copied.
                if attempt == 2:
                    log.warning(f"Could not publish the run to {target} for dlt's tools: {error}")
                continue
            if (target / STATE_FILE).exists():
                return


def _copy_into(working_dir: Path, target: Path, staging_dir: Path) -> None:
    """Make dlt's folders, copy the finished packages, then replace the files (schemas, the
    trace, state), each atomically.

    Copies are staged in ``staging_dir`` (on the same file system), where dlt lists nothing.
    """
    staging_dir.mkdir(parents=True, exist_ok=True)
    files = [path.name for path in working_dir.iterdir() if path.is_file()]
    for storage in ("load", "normalize", "schemas"):
        # dlt's CLI lists these folders (load/normalized, ...) and expects them, and their
        # .version files, to be there.
        for path in (working_dir / storage).iterdir() if (working_dir / storage).is_dir() else []:
            if path.is_dir():
                (target / storage / path.name).mkdir(parents=True, exist_ok=True)
            else:
                files.append(f"{storage}/{path.name}")
    loaded = working_dir / "load" / "loaded"
    for package in sorted(loaded.iterdir()) if loaded.is_dir() else []:
        destination = target / "load" / "loaded" / package.name
        if package.is_dir() and not destination.exists():
            # A package is new in the target: copied aside, then moved into place whole.
            destination.parent.mkdir(parents=True, exist_ok=True)
            staging = staging_dir / uuid.uuid4().hex
            shutil.copytree(package, staging)
            try:
                os.rename(staging, destination)
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)  # placed meanwhile by another writer
    # state.json last: it names the schemas, so it must not arrive before them.
    for relative in sorted(files, key=lambda name: name == STATE_FILE):
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        staging = staging_dir / uuid.uuid4().hex
        shutil.copyfile(working_dir / relative, staging)
        os.replace(staging, destination)


def _replace_symlink_of_earlier_versions(target: Path, root: Path) -> None:
    """Earlier versions of this package made ``target`` a symbolic link into ``root/versions``:
    make it a plain directory again, with the content it pointed to."""
    if not target.is_symlink():
        return
    pointed = Path(os.path.realpath(target))
    staging = root / "staging" / uuid.uuid4().hex
    staging.parent.mkdir(parents=True, exist_ok=True)
    if pointed.is_dir():
        shutil.copytree(pointed, staging, symlinks=True)
    else:
        staging.mkdir()
    target.unlink()
    try:
        os.rename(staging, target)
    except OSError:
        # dlt.pipeline() elsewhere made the directory in between: copy into it instead.
        _copy_into(staging, target, root / "staging")
        shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(root / "versions", ignore_errors=True)


def _abort_leftover_packages(pipeline: Pipeline, log: Any) -> None:
    if not pipeline.has_pending_data:
        return
    pending = pipeline.list_extracted_load_packages() + pipeline.list_normalized_load_packages()
    log.warning(
        f"dlt pipeline '{pipeline.pipeline_name}' has {len(pending)} unfinished load package(s) "
        f"from an earlier run ({', '.join(pending)}). Aborting them and restoring local state to "
        "before them, so this run extracts that data again."
    )
    pipeline.abort_packages()
