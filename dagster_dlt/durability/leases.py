"""Leases: which loads into the filesystem destination are running, so that a run on a fresh
machine takes back what a dead load left there, and never what a live load is writing.

A run killed in dlt's load step leaves files and no ``_dlt_loads`` entry for their load. A re-run
that cannot reach its working directory (another machine, a new pipelines directory) cannot tell
those from a live load's: the filesystem destination takes many writers at once (partitions,
split steps), unlike a DuckDB file, whose lock every load holds (``take_back.remove_orphans``).

So while a run loads into the filesystem destination it keeps a lease in the bucket,
``_dagster_dlt_loads/<dataset>/<load_id>.json`` (run, op, host, process, start time, the load's
schema and tables): written after normalize, before dlt's load step writes anything; its
``heartbeat_at`` refreshed every 10 s by a daemon thread; removed when the load ends or fails. A
kill leaves it. Before a run restores state and extracts, it settles the leases others left. A
completed load's (``_dlt_loads.status = 0``) goes. A **dead** holder's (heartbeat older than 90 s;
or on this machine, same host name and process namespace, with its process gone; or its Dagster
run finished and its heartbeat stopped) is taken back: the load's data files (dlt's layout puts
the load id in each file name) and state file are deleted, the load is recorded as aborted in
``_dlt_loads`` (status 1: a leftover of it found later is discarded, not resumed), the lease goes.
If the dead run's working directory is on this machine, the run that repairs it (``recovery.py``)
may resume the load instead: it holds the lease meanwhile (``standing_in_for``), then settles it.
Any other lease is a live load's: nothing of it is touched.
"""

import json
import os
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals
from dagster_dlt.durability.isolation import Isolation, RunDirectory
from dagster_dlt.durability.take_back import ABORTED_STATUS

__all__ = ["HEARTBEAT_INTERVAL", "HEARTBEAT_TIMEOUT", "LEASES_FOLDER", "LoadLeases"]

LEASES_FOLDER = "_dagster_dlt_loads"  # under the bucket, one folder per dataset
HEARTBEAT_INTERVAL = 10.0  # seconds between two refreshes of a held lease
HEARTBEAT_TIMEOUT = 90.0  # seconds after which a lease whose heartbeat stopped is a dead one's

_FILESYSTEM = "dlt.destinations.filesystem"
_STATE_TABLE = "_dlt_pipeline_state"
_NOT_BY_LOAD_ID = ("_dlt_loads", "_dlt_version")  # no file of theirs is named after a load
_OPEN_TABLE_FORMATS = ("delta", "iceberg")


@dataclass
class _Lease:
    path: str
    doc: dict[str, Any]
    client: Any  # the filesystem destination's job client, for its dataset

    @property
    def load_id(self) -> str:
        return str(self.doc["load_id"])

    def holder(self) -> str:
        get = self.doc.get
        return f"run {get('run_id')} (op {get('op')}, process {get('pid')} on {get('host')})"


class LoadLeases:
    """The leases of one run's loads into the filesystem destination, and the settling of those
    other runs left. On any other destination every method does nothing.

    Args:
        pipeline: the pipeline the run loads with.
        holder: who holds the leases this run writes: ``this_process()``, the Dagster run id
            (``run_id``) and op (``op``), the run's working directory (``run_dir``) and the
            pipelines directory it is in (``pipelines_dir``).
        instance: the Dagster instance, to tell whether a holder's Dagster run has finished.
    """

    def __init__(self, pipeline: Pipeline, holder: dict[str, Any], instance: Any = None) -> None:
        self.pipeline = pipeline
        self.holder = dict(holder)
        self.instance = instance
        destination = pipeline.destination
        self.enabled = destination is not None and destination.destination_type == _FILESYSTEM

    @classmethod
    def of(cls, context: Any, pipeline: Pipeline, isolation: Isolation) -> "LoadLeases":
        """The leases of the run of ``context`` (a Dagster op context) that loads with
        ``pipeline`` in ``isolation``."""
        # The run's own directory: <pipelines_dir>/.dagster-dlt/<name>/runs/<id>.
        own = isolation.own.path if isolation.own is not None else None
        holder = {**cls.this_process(), "run_id": context.run_id, "op": context.op_def.name}
        holder.update(run_dir=str(own) if own else None)
        holder.update(pipelines_dir=str(own.parents[3] if own else pipeline.pipelines_dir))
        return cls(pipeline, holder, getattr(context, "instance", None))

    @staticmethod
    def this_process() -> dict[str, Any]:
        """This process as a lease names its holder: host, process namespace, pid, start time."""
        pid, stat = os.getpid(), _process_stat(os.getpid())
        holder = {"host": socket.gethostname(), "pid_namespace": _pid_namespace(), "pid": pid}
        return {**holder, "pid_started": stat[1] if stat else None}

    def take_back_dead(self, log: Any) -> None:
        """Settle the dataset's leases that other runs left: remove those of completed loads, take
        back the loads of dead holders (unless a run on this machine can repair them), leave live
        loads alone. Never raises: a lease that could not be settled stays for the next run."""
        for lease in self._leases(log) if self.enabled else []:
            try:
                self._settle(lease, log)
            except Exception as error:
                log.warning(f"Could not settle the lease of load {lease.load_id}: {error}")

    @contextmanager
    def holding(self, pipeline: Pipeline, log: Any) -> Iterator[None]:
        """Hold a lease on each normalized package of ``pipeline`` while the block loads them: they
        go when it ends or fails; an interruption (a terminated run, whose package stays for a
        re-run to resume) leaves them, as a kill does."""
        if not self.enabled:
            yield
            return
        loads = pipeline.list_normalized_load_packages()
        held = [lease for load in loads if (lease := self._new_lease(pipeline, load, log))]
        heartbeat, interrupted = _Heartbeat(held), False
        try:
            yield
        except Exception:
            raise
        except BaseException:
            interrupted = True
            raise
        finally:
            heartbeat.stop()
            for lease in [] if interrupted else held:
                if lease.path not in heartbeat.lost:
                    _remove(lease)
                    continue
                log.warning(
                    f"Another run took back load {lease.load_id} while this run loaded it: the "
                    f"lease's heartbeat had stopped for over {HEARTBEAT_TIMEOUT:.0f} s (was this "
                    "process suspended?). Files of this load may be missing."
                )

    def _new_lease(self, pipeline: Pipeline, load_id: str, log: Any) -> Optional[_Lease]:
        try:
            package = pipeline.get_load_package_info(load_id)
            schema = pipeline.schemas[package.schema_name]
            client = pipeline.destination_client(schema.name)
            names = [job.job_file_info.table_name for jobs in package.jobs.values() for job in jobs]
            tables = {name: schema.tables.get(name, {}).get("table_format") for name in names}
            now, folder = _now(), _folder(client)
            doc = {"load_id": load_id, "schema": schema.name, "dataset": client.dataset_name}
            doc.update(schema_version_hash=schema.version_hash, tables=tables)
            doc.update(pipeline=pipeline.pipeline_name, **self.holder)
            doc.update(started_at=now, heartbeat_at=now)
            if client.is_local_filesystem:
                client.fs_client.makedirs(folder, exist_ok=True)
            lease = _Lease(str(client.pathlib.join(folder, f"{load_id}.json")), doc, client)
            _write(lease)
            return lease
        except Exception as error:
            log.warning(
                f"Could not write the lease of load {load_id}: {error}. Should this run be "
                "killed while loading, a run on another machine cannot take back its files."
            )
            return None

    @contextmanager
    def standing_in_for(self, dead: RunDirectory, log: Any) -> Iterator[None]:
        """Hold the leases of ``dead``'s loads as this run's while the block repairs its directory
        (a resume loads into the destination again), and settle them once it is repaired."""
        if not self.enabled:
            yield
            return
        theirs = [
            lease for lease in self._leases(log) if lease.doc.get("run_dir") == str(dead.path)
        ]
        for lease in theirs:
            lease.doc.update({k: v for k, v in self.holder.items() if k != "run_dir"})
            lease.doc["heartbeat_at"] = _now()
            with suppress(Exception):
                _write(lease)  # else the heartbeat writes it
        heartbeat = _Heartbeat(theirs)
        try:
            yield
        finally:
            heartbeat.stop()
        for lease in theirs if dead.repaired else []:
            self._settle(lease, log, repaired=True)

    def _leases(self, log: Any) -> list[_Lease]:
        """The dataset's leases, as they are now."""
        try:
            client = self.pipeline.destination_client()
            paths = sorted(str(path) for path in client.fs_client.ls(_folder(client), detail=False))
        except FileNotFoundError:
            return []
        except Exception as error:
            log.warning(f"Could not read the leases of the loads other runs hold: {error}")
            return []
        leases = []
        for path in [path for path in paths if path.endswith(".json")]:  # not one written aside
            try:
                doc = json.loads(client.fs_client.read_text(path, encoding="utf-8"))
            except (FileNotFoundError, ValueError):
                continue  # removed meanwhile, or unreadable: never taken for a dead one
            if isinstance(doc, dict) and "load_id" in doc:
                leases.append(_Lease(path, doc, client))
        return leases

    def _settle(self, lease: _Lease, log: Any, repaired: bool = False) -> None:
        status = _load_status(lease)
        if status == 0:
            _remove(lease)
            log.info(f"Removed the lease of load {lease.load_id}: the load completed.")
            return
        reason = "this run repaired its working directory" if repaired else self._why_dead(lease)
        if reason is None:
            return  # a live load: nothing of it is touched
        # A run of its pipeline in this pipelines directory finds the dead run's directory and
        # may resume the load; that run settles the lease (``standing_in_for``).
        doc, run_dir = lease.doc, lease.doc.get("run_dir")
        here = _same_host(doc) and doc.get("pipelines_dir") == self.holder.get("pipelines_dir")
        if not repaired and here and run_dir and Path(run_dir).exists():
            return
        self._take_back(lease, reason, status, log, quiet=repaired)

    def _why_dead(self, lease: _Lease) -> Optional[str]:
        try:
            beat = datetime.fromisoformat(str(lease.doc.get("heartbeat_at")))
        except ValueError:
            return None  # cannot tell: treated as live
        age = (datetime.now(timezone.utc) - beat).total_seconds()
        if age > HEARTBEAT_TIMEOUT:
            return f"its heartbeat stopped {age:.0f} s ago (timeout {HEARTBEAT_TIMEOUT:.0f} s)"
        if _same_host(lease.doc):
            if _alive(lease.doc.get("pid"), lease.doc.get("pid_started")):
                return None
            return f"its process {lease.doc.get('pid')} on this machine is gone"
        # A finished run's step may live on in a pod of its own: the heartbeat must have stopped.
        run = None
        if self.instance is not None and age > 2.5 * HEARTBEAT_INTERVAL:
            with suppress(Exception):
                run = self.instance.get_run_by_id(str(lease.doc.get("run_id")))
        if run is None or not run.is_finished:
            return None
        return f"its Dagster run is {run.status.value} and its heartbeat stopped {age:.0f} s ago"

    def _take_back(
        self, lease: _Lease, reason: str, status: Optional[int], log: Any, quiet: bool
    ) -> None:
        client, schema, load_id = lease.client, lease.doc.get("schema"), lease.load_id
        tables: dict[str, Optional[str]] = dict(lease.doc.get("tables") or {})
        layout = internals.filesystem_file_name_layout(client)
        if "{load_id}" not in layout:
            _remove(lease)
            log.warning(
                f"Cannot take back load {load_id} of dead {lease.holder()} ({reason}): the "
                f"filesystem layout '{client.config.layout}' does not put the load id in file "
                f"names, so its files of {', '.join(sorted(tables))} cannot be told from other "
                "loads' and stay (an append resource may hold their rows twice). Its lease goes."
            )
            return
        kept = sorted(name for name, kind in tables.items() if kind in _OPEN_TABLE_FORMATS)
        removed: dict[str, int] = {}
        for table in dict.fromkeys([*tables, _STATE_TABLE]):
            if table in kept or table in _NOT_BY_LOAD_ID:
                continue
            of_load = _matcher(layout, table, schema, load_id)
            for path in filter(of_load, _table_files(client, table, schema)):
                with suppress(FileNotFoundError):  # taken back by another run at the same time
                    client.fs_client.rm(path)
                    removed[table] = removed.get(table, 0) + 1
        if status is None and client.is_storage_initialized():
            _record_aborted(lease)
        _remove(lease)
        files = sum(removed.values())
        if quiet and not files:
            log.info(f"Removed the lease of load {load_id}: {reason}.")
            return
        what = ", ".join(f"{table} ({count})" for table, count in sorted(removed.items()))
        what = f" of {what}" if what else ""
        note = f" Not taken back (open tables): {', '.join(kept)}." if kept else ""
        log.warning(
            f"Took back load {load_id} of dead {lease.holder()}: {reason}; removed {files} "
            f"file(s){what} from dataset '{client.dataset_name}' and "
            f"recorded the load as aborted in _dlt_loads. A re-run of that work loads its data "
            f"again.{note}"
        )


class _Heartbeat:
    """Refreshes ``heartbeat_at`` of ``leases`` every ``HEARTBEAT_INTERVAL`` from a daemon
    thread until stopped. A lease found removed (taken back by a run that held its holder for
    dead) is not written again: its path is noted in ``lost``."""

    def __init__(self, leases: list[_Lease]) -> None:
        self.leases, self.lost = leases, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="dagster-dlt-lease", daemon=True)
        if leases:
            self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_INTERVAL):
            for lease in [lease for lease in self.leases if lease.path not in self.lost]:
                # A storage hiccup is let be: the next beat tries again.
                with suppress(Exception):
                    if not lease.client.fs_client.exists(lease.path):
                        self.lost.append(lease.path)
                        continue
                    lease.doc["heartbeat_at"] = _now()
                    _write(lease)

    def stop(self) -> None:
        """Stop refreshing; returns once no refresh is under way, so none re-creates a lease."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def _folder(client: Any) -> str:
    return str(client.pathlib.join(client.bucket_path, LEASES_FOLDER, client.dataset_name))


def _write(lease: _Lease) -> None:
    text, fs = json.dumps(lease.doc, default=str), lease.client.fs_client
    if not lease.client.is_local_filesystem:
        fs.write_text(lease.path, text, encoding="utf-8")  # one PUT: atomic on object stores
        return
    # Written aside, then renamed over the lease: a reader never sees half of one.
    aside = f"{lease.path}.{uuid.uuid4().hex}.tmp"
    fs.write_text(aside, text, encoding="utf-8")
    os.replace(aside, lease.path)


def _remove(lease: _Lease) -> None:
    with suppress(FileNotFoundError):  # settled by another run at the same time
        lease.client.fs_client.rm(lease.path)


def _loads_entry(lease: _Lease) -> str:
    """The file of the load's ``_dlt_loads`` entry: ``{schema_name}__{load_id}.jsonl``."""
    client, separator = lease.client, internals.filesystem_name_separator()
    name = f"{lease.doc.get('schema')}{separator}{lease.load_id}.jsonl"
    return str(client.pathlib.join(client.dataset_path, client.schema.loads_table_name, name))


def _load_status(lease: _Lease) -> Optional[int]:
    try:
        text = lease.client.fs_client.read_text(_loads_entry(lease), encoding="utf-8")
    except FileNotFoundError:
        return None
    return int(json.loads(text)["status"])


def _record_aborted(lease: _Lease) -> None:
    """Write the load's ``_dlt_loads`` entry as dlt writes a completed load's, with status 1."""
    path, client, get = _loads_entry(lease), lease.client, lease.doc.get
    entry = {"load_id": lease.load_id, "schema_name": get("schema"), "status": ABORTED_STATUS}
    entry.update(inserted_at=_now(), schema_version_hash=get("schema_version_hash"))
    if client.is_local_filesystem:
        client.fs_client.makedirs(client.pathlib.dirname(path), exist_ok=True)
    client.fs_client.write_text(path, json.dumps(entry), encoding="utf-8")


def _table_files(client: Any, table: str, schema_name: Optional[str]) -> list[str]:
    try:
        return [str(path) for path in client.list_table_files(table, schema_name=schema_name)]
    except Exception:
        return []  # no folder for the table: the load wrote nothing there


def _matcher(
    layout: str, table: str, schema_name: Optional[str], load_id: str
) -> Callable[[str], bool]:
    """Whether a file of ``table`` is one of load ``load_id``'s: a state file by the load id in
    its name, a data file by the file-name part of the layout, in which the load id, table and
    schema stand as they are, any other placeholder (file id, extension, dates, the user's own)
    as any text without a path separator."""
    if table == _STATE_TABLE:
        separator = internals.filesystem_name_separator()
        return lambda path: (
            re.split(r"[/\\]", path)[-1].rsplit(".", 1)[0].rsplit(separator, 2)[1:2] == [load_id]
        )
    known = {"load_id": load_id, "table_name": table, "schema_name": schema_name}
    pattern = ""
    for part in re.split(r"(\{[^{}]*\})", layout):
        value = known.get(part[1:-1]) if part.startswith("{") else None
        if not part.startswith("{"):
            pattern += re.escape(part)
        else:
            pattern += re.escape(str(value)) if value is not None else r"[^/\\]*"
    compiled = re.compile(pattern)
    return lambda path: compiled.fullmatch(re.split(r"[/\\]", path)[-1]) is not None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _same_host(doc: dict[str, Any]) -> bool:
    """Whether the holder ran on this machine, where its process id means the same process: the
    same host name and process namespace (containers may share a host name)."""
    return doc.get("host") == socket.gethostname() and doc.get("pid_namespace") == _pid_namespace()


def _pid_namespace() -> Optional[str]:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _process_stat(pid: int) -> Optional[tuple[str, str]]:
    """State and start time (clock ticks after boot) of process ``pid``, from ``/proc``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (fields[0], fields[19]) if len(fields) > 19 else None


def _alive(pid: Any, started: Any) -> bool:
    """Whether process ``pid`` of this machine still runs and is the one that took the lease (not
    a zombie, not a later process given the same id)."""
    if os.name == "nt" or not isinstance(pid, int) or pid <= 0:
        return True  # cannot tell (on Windows os.kill(pid, 0) sends Ctrl-C): the heartbeat decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    stat = _process_stat(pid)
    return stat is None or (stat[0] not in ("Z", "X") and started in (None, stat[1]))
