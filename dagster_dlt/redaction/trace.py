"""Secrets never reach what dlt writes to the pipeline directory: its trace and its load packages.

dlt pickles the text of a failed step's exception into ``trace.pickle`` (``step_exception``,
``exception_traces``, a failed job's message in the ``LoadInfo``) and writes a failed load job's
message into the package (``failed_jobs/*.exception``, ``.exceptions/*.exception``). The run
publishes that directory for dlt's own tools, so both are redacted with the run's
``SecretRedactor``:

- the trace before dlt saves it, through the collector hook dlt calls when a step ends (dlt saves
  the trace right after); the redacted trace keeps dlt's own types, so ``dlt pipeline trace``
  still reads it;
- the exception files of load packages after each load step, before the run's directory is
  published.
"""

import contextlib
import os
import tempfile
from copy import deepcopy
from pathlib import Path
from types import TracebackType
from typing import Any, Optional

from dlt.common.runtime.collector import Collector
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.redaction.secrets import SecretRedactor

__all__ = ["TraceRedactingCollector", "redact_package_exceptions", "redact_trace_value"]

# Shown instead of a message that could not be redacted: a trace without the text beats a leak.
UNREDACTABLE = "(message removed by dagster-dlt: it could not be checked for secrets)"
_EXCEPTION_SUFFIX = ".exception"
_MAX_DEPTH = 12


def redact_trace_value(value: Any, redactor: SecretRedactor, _depth: int = 0) -> Any:
    """``value`` with secrets replaced in every string it holds, keeping its types.

    Walks what dlt's traces are made of: named tuples (step traces, ``LoadInfo``, job infos),
    plain dicts (``ExceptionTrace``), lists and tuples. Anything else is kept as it is. A part
    with nothing to redact is returned unchanged, the same object.
    """
    if isinstance(value, str):
        return redactor.redact(value)
    if _depth > _MAX_DEPTH:
        return value
    depth = _depth + 1
    if isinstance(value, tuple) and hasattr(value, "_fields") and hasattr(value, "_replace"):
        changed = {}
        for name in value._fields:
            item = getattr(value, name)
            redacted = redact_trace_value(item, redactor, depth)
            if redacted is not item:
                changed[name] = redacted
        return value._replace(**changed) if changed else value
    if type(value) is dict:
        items = {key: redact_trace_value(item, redactor, depth) for key, item in value.items()}
        same = all(items[key] is item for key, item in value.items())
        return value if same else items
    if type(value) in (list, tuple):
        items = [redact_trace_value(item, redactor, depth) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if type(value) is list else tuple(items)
    return value


def _redacted_step(step: Any, redactor: SecretRedactor) -> Any:
    try:
        return redact_trace_value(step, redactor)
    except Exception:
        # The text could not be checked: drop it rather than keep a secret it may hold.
        with contextlib.suppress(Exception):
            return step._replace(
                step_exception=UNREDACTABLE if step.step_exception else None,
                exception_traces=None,
                step_info=None,
            )
        return step


class TraceRedactingCollector(Collector):
    """Passes everything to the run's collector, and redacts the trace when a dlt step ends.

    dlt calls ``on_end_trace_step`` once the step's trace (with the exception text of a failed
    step) is in ``trace.steps``, and saves the trace to ``trace.pickle`` after that; the step is
    replaced there by its redacted copy.

    Args:
        inner: the collector that shows progress (``collector_for_run``).
        redactor: the run's redactor.

    Example:
        .. code-block:: python

            run_pipeline.collector = TraceRedactingCollector(collector, redactor)
    """

    def __init__(self, inner: Collector, redactor: SecretRedactor) -> None:
        self.inner = inner
        self.redactor = redactor
        self.step = None  # type: ignore[assignment]

    def update(
        self,
        name: str,
        inc: int = 1,
        total: Optional[int] = None,
        inc_total: Optional[int] = None,
        message: Optional[str] = None,
        label: Optional[str] = None,
    ) -> None:
        self.inner.update(name, inc, total, inc_total, message, label)

    def __call__(self, step: str) -> "TraceRedactingCollector":
        self.step = step
        self.inner(step)
        return self

    def _start(self, step: str) -> None:
        self.inner.__enter__()

    def _stop(self) -> None:
        self.inner.__exit__(None, None, None)

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        self.inner.__exit__(exc_type, exc_val, exc_tb)

    def on_start_trace(self, *args: Any) -> None:
        self.inner.on_start_trace(*args)

    def on_start_trace_step(self, *args: Any) -> None:
        self.inner.on_start_trace_step(*args)

    def on_end_trace_step(self, trace: Any, step: Any, *args: Any) -> None:
        failed = getattr(step, "step_exception", None) is not None
        if failed:
            # dlt resolved some secrets during the step (injected resource arguments).
            with contextlib.suppress(Exception):
                self.redactor.refresh()
        steps = getattr(trace, "steps", None)
        redacted = _redacted_step(step, self.redactor)
        if isinstance(steps, list) and steps and steps[-1] is step:
            steps[-1] = redacted
        values = getattr(trace, "resolved_config_values", None)
        if isinstance(values, list):
            with contextlib.suppress(Exception):
                values[:] = redact_trace_value(list(values), self.redactor)
        self.inner.on_end_trace_step(trace, redacted, *args)

    def on_end_trace(self, *args: Any) -> None:
        self.inner.on_end_trace(*args)

    def __deepcopy__(self, memo: dict[int, Any]) -> "TraceRedactingCollector":
        # The redactor (with its lock) is the run's, shared by every copy dlt makes.
        return TraceRedactingCollector(deepcopy(self.inner, memo), self.redactor)


def redact_package_exceptions(pipeline: Pipeline, redactor: SecretRedactor) -> None:
    """Redact the exception files dlt wrote into the pipeline's load packages.

    dlt writes a failed or retried job's message into its package from the load step's worker
    threads; this rewrites each such file that holds a secret, atomically, before the run's
    directory is published. Nothing here fails a run.
    """
    try:
        root = Path(pipeline.working_dir)
        paths = [p for p in root.rglob(f"*{_EXCEPTION_SUFFIX}") if p.is_file()]
    except Exception:
        return
    for path in paths:
        with contextlib.suppress(Exception):
            _redact_file(path, redactor)


def _redact_file(path: Path, redactor: SecretRedactor) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    redacted = redactor.redact(text)
    if redacted == text:
        return
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(redacted)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
