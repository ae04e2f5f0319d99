"""Log records and messages with secrets removed: a filter for loggers and an adapter for the
run's event log."""

import logging
import sys
from typing import Any

from dagster_dlt.redaction.secrets import SecretRedactor

__all__ = ["RedactingFilter", "RedactingLogger"]


class RedactingFilter(logging.Filter):
    """A ``logging.Filter`` that redacts each record in place; it never drops one.

    Attach it to a logger or handler whose records may carry secrets.

    Example:
        .. code-block:: python

            logging.getLogger("dlt").addFilter(RedactingFilter(redactor))
    """

    def __init__(self, redactor: SecretRedactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True  # a broken record: logging reports it itself
        record.msg = self.redactor.redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = self.redactor.redact(
                logging.Formatter().formatException(record.exc_info)
            )
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        return True


class RedactingLogger(logging.LoggerAdapter):
    """Wraps a logger (Dagster's ``context.log``) so that what is logged through it is redacted.

    ``msg % args`` is formatted first, then redacted; ``exc_info`` is formatted into the message
    and redacted too.

    Args:
        logger: the logger to write to, e.g. ``context.log``.
        redactor: the run's redactor.

    Example:
        .. code-block:: python

            log = RedactingLogger(context.log, redactor)
            log.warning("request to %s failed", url)
    """

    def __init__(self, logger: logging.Logger, redactor: SecretRedactor) -> None:
        super().__init__(logger, {})
        self.redactor = redactor

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        text = str(msg) % args if args else str(msg)
        exc_info = kwargs.pop("exc_info", None)
        if exc_info:
            if isinstance(exc_info, BaseException):
                exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
            elif not isinstance(exc_info, tuple):
                exc_info = sys.exc_info()
            if exc_info and exc_info[1] is not None:
                text += "\n" + logging.Formatter().formatException(exc_info)
        kwargs.pop("stack_info", None)
        kwargs.pop("stacklevel", None)
        self.logger.log(level, self.redactor.redact(text), **kwargs)
