"""Secrets never reach logs, metadata, errors or what dlt writes: the values a run must hide
(``secrets``), what secrets look like (``patterns``), and their removal from exceptions
(``exceptions``), log records (``logs``) and dlt's trace (``trace``)."""

from dagster_dlt.redaction.exceptions import redact_exception, redacting
from dagster_dlt.redaction.logs import RedactingFilter, RedactingLogger
from dagster_dlt.redaction.patterns import (
    MIN_SECRET_LENGTH,
    REDACTED,
    SENSITIVE_QUERY_PARAMS,
    is_secret_key,
    redact_urls,
)
from dagster_dlt.redaction.secrets import SecretRedactor

__all__ = [
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "SENSITIVE_QUERY_PARAMS",
    "RedactingFilter",
    "RedactingLogger",
    "SecretRedactor",
    "is_secret_key",
    "redact_exception",
    "redact_urls",
    "redacting",
]
