"""Exceptions with secrets removed, whole chains of them, keeping their types: what Dagster
shows of a failed run."""

import contextlib
from types import TracebackType
from typing import Optional

from dagster_dlt.redaction.secrets import SecretRedactor

__all__ = ["redact_exception", "redacting"]


def redact_exception(exc: BaseException, redactor: SecretRedactor) -> BaseException:
    """Redact an exception and every exception chained to it, keeping their types.

    Messages are redacted in place (``args``, string attributes, notes), along the chain Dagster
    serializes (``__cause__``, ``__context__``) and dlt's ``PipelineStepFailed.exception``. An
    exception whose text comes from elsewhere (a custom ``__str__``) is replaced by a copy of a
    subclass of its type with the same name, so ``isinstance`` checks and the name Dagster shows
    still hold.

    Returns:
        ``exc`` itself, or its replacement when it had to be replaced.

    Example:
        .. code-block:: python

            try:
                pipeline.run(source)
            except Exception as error:
                raise redact_exception(error, redactor) from None
    """
    return _redact_chain(exc, redactor, {})


def _redact_chain(
    exc: BaseException, redactor: SecretRedactor, done: dict[int, BaseException]
) -> BaseException:
    if id(exc) in done:
        return done[id(exc)]
    done[id(exc)] = exc  # guards cycles while the chain is walked
    suppress = exc.__suppress_context__
    if exc.__cause__ is not None:
        exc.__cause__ = _redact_chain(exc.__cause__, redactor, done)
    if exc.__context__ is not None:
        exc.__context__ = _redact_chain(exc.__context__, redactor, done)
    exc.__suppress_context__ = suppress  # setting __cause__ sets it; keep what it was
    inner = getattr(exc, "exception", None)  # dlt's PipelineStepFailed and friends
    if isinstance(inner, BaseException):
        with contextlib.suppress(AttributeError):
            exc.exception = _redact_chain(inner, redactor, done)
    for member in getattr(exc, "exceptions", None) or ():  # exception groups: in place only
        if isinstance(member, BaseException):
            _redact_chain(member, redactor, done)
    redacted = _redact_one(exc, redactor)
    done[id(exc)] = redacted
    return redacted


def _redact_one(exc: BaseException, redactor: SecretRedactor) -> BaseException:
    with contextlib.suppress(Exception):
        exc.args = tuple(redactor.redact_value(arg) for arg in exc.args)
    for name, value in list(vars(exc).items()):
        if isinstance(value, str) and redactor.contains_secret(value):
            with contextlib.suppress(Exception):
                setattr(exc, name, redactor.redact(value))
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):
        exc.__notes__ = [redactor.redact(n) if isinstance(n, str) else n for n in notes]
    try:
        text = str(exc)
    except Exception:
        return exc
    if not redactor.contains_secret(text):
        return exc
    return _with_message(exc, redactor.redact(text))


_PROXY_CLASSES: dict[type, type] = {}


def _with_message(exc: BaseException, message: str) -> BaseException:
    """A copy of ``exc`` whose ``str`` is ``message``: same type name, a subclass of its type."""
    cls = type(exc)
    proxy_cls = _PROXY_CLASSES.get(cls)
    if proxy_cls is None:
        try:
            proxy_cls = type(
                cls.__name__,
                (cls,),
                {
                    "__module__": cls.__module__,
                    "__qualname__": cls.__qualname__,
                    "__str__": lambda self: self._dagster_dlt_redacted,
                    "__doc__": cls.__doc__,
                },
            )
        except TypeError:
            proxy_cls = _RedactedError
        _PROXY_CLASSES[cls] = proxy_cls
    try:
        proxy = BaseException.__new__(proxy_cls) if proxy_cls is _RedactedError else None
        if proxy is None:
            proxy = cls.__new__(proxy_cls, *exc.args)
    except Exception:
        proxy = BaseException.__new__(_RedactedError)
    with contextlib.suppress(Exception):
        proxy.__dict__.update(vars(exc))
    proxy.args = (message,)
    proxy._dagster_dlt_redacted = message  # type: ignore[attr-defined]
    proxy.__cause__ = exc.__cause__
    proxy.__context__ = exc.__context__
    proxy.__suppress_context__ = exc.__suppress_context__
    proxy.__traceback__ = exc.__traceback__
    return proxy


class _RedactedError(Exception):
    """Stands in for an exception whose type cannot be subclassed; its message is redacted."""

    def __str__(self) -> str:
        return getattr(self, "_dagster_dlt_redacted", super().__str__())


class redacting:  # lowercase: used as a context manager, like contextlib.suppress
    """Context manager: an exception leaving the block is redacted before Dagster sees it.

    Only ``Exception`` is redacted; ``KeyboardInterrupt``, ``GeneratorExit`` and other
    ``BaseException`` pass untouched. The redactor is refreshed first, so values dlt resolved
    during the run count.

    Args:
        redactor: the run's redactor.

    Example:
        .. code-block:: python

            with redacting(redactor):
                pipeline.run(source)
    """

    def __init__(self, redactor: SecretRedactor) -> None:
        self.redactor = redactor

    def __enter__(self) -> SecretRedactor:
        return self.redactor

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        self.redactor.refresh()
        redacted = redact_exception(exc, self.redactor)
        if redacted is exc:
            return False  # redacted in place: re-raised as it is, traceback intact
        # Raising here makes the original (unredacted) exception the replacement's __context__.
        # Hide it: the replacement carries the original's redacted cause or context instead.
        if redacted.__cause__ is None and not redacted.__suppress_context__:
            redacted.__cause__ = redacted.__context__
        redacted.__suppress_context__ = True
        raise redacted.with_traceback(tb)
