"""Stop a process at a deterministic point of dlt's run, for a test to SIGKILL it there.

``StopAt`` is a dlt progress collector (dlt's public ``Collector`` interface), so nothing in
dagster-dlt knows about tests. When the run reaches the point it writes ``marker`` and stops
itself with SIGSTOP; the test waits for the marker and kills the process: a kill at exactly that
point, however fast or slow the machine.

Points:
- ``normalize``: extract is done, normalize starts (an extracted package is pending);
- ``load:<k>``: after the k-th completed load job;
- ``committed:<table>``: a load job of ``table`` has committed its rows in the destination, and
  dlt has not yet recorded that (its pending-transition marker): the instant at which a resume that runs the
  job again loads its rows twice. This one patches dlt's ``PackageStorage.save_pending_transition``
  in the process being killed: no public hook exists between a job's commit and its record.
"""

import os
import signal
from pathlib import Path
from typing import Any, Optional

from dlt.common.runtime.collector import Collector


def stop_here(marker: Optional[str], what: str) -> None:
    """Write ``what`` to ``marker`` (when given), then stop this process until it is killed."""
    if marker:
        Path(marker).write_text(what)
    os.kill(os.getpid(), signal.SIGSTOP)


class StopAt(Collector):
    """Stops the process when dlt reaches ``at``: normalize starting, or the k-th load job.

    Args:
        at: ``normalize`` or ``load:<k>``; empty stops nowhere.
        marker: the file written when the point is reached.
    """

    def __init__(self, at: str = "", marker: Optional[str] = None) -> None:
        self.step = ""
        self.jobs = 0
        self.marker = marker
        self.kind, _, count = at.partition(":")
        self.count = int(count) if count.isdigit() else 0
        if self.kind == "committed":
            _stop_before_recording(count, marker)

    def update(self, name, inc=1, total=None, inc_total=None, message=None, label=None) -> None:
        if self.kind == "load" and self.step.startswith("Load") and name == "Jobs" and not label:
            self.jobs += inc
            if inc and self.jobs >= self.count:
                stop_here(self.marker, f"after {self.jobs} load jobs")

    def _start(self, step: str) -> None:
        self.step = step
        if self.kind == "normalize" and step.startswith("Normalize"):
            stop_here(self.marker, "after extract")

    def _stop(self) -> None:
        pass


def _stop_before_recording(table: str, marker: Optional[str]) -> None:
    """Stop the process when a job of ``table`` committed and is about to be recorded as such."""
    from dlt.common.storages.load_package import PackageStorage, ParsedLoadJobFileName

    record = PackageStorage.save_pending_transition

    def stop_before_recording(
        self: Any, load_id: str, file_name: str, *args: Any, **kw: Any
    ) -> Any:
        job = ParsedLoadJobFileName.parse(file_name)
        if args and args[0] == "completed" and job.table_name == table and job.file_format != "sql":
            stop_here(marker, f"{file_name} committed, not recorded")
        return record(self, load_id, file_name, *args, **kw)

    PackageStorage.save_pending_transition = stop_before_recording  # type: ignore[method-assign]
