"""Keep secrets out of every text a run emits: exceptions, event-log messages, metadata, warnings.

A ``SecretRedactor`` knows the secret values of a run and replaces them, wherever they appear in a
text, with ``***``, the placeholder dlt itself uses (``sanitize_url`` in
``dlt/sources/helpers/rest_client/redaction.py``, and ``to_url(hide_password=True)`` of dlt's
connection-string credentials). It also masks, without knowing their values:

- URL query parameters that carry credentials (``?access_token=...``, ``&sig=...``; see
  ``SENSITIVE_QUERY_PARAMS``), also URL-encoded inside another URL, so the ``requests`` error text
  ``401 Client Error: Unauthorized for url: https://host/x?access_token=abc`` loses its token;
- the password of a URL (``postgresql://user:***@host/db``), and ``Bearer``/``Basic`` tokens;
- the values of secret keys in mapping reprs and JSON (``'access_token': '***'``).

Where the secret values come from (``SecretRedactor.for_run``):

1. dlt's secret providers: environment variables, and ``secrets.toml`` documents. A value counts
   when its key names a secret (``is_secret_key``: ``password``, ``*_token``, ``private_key``,
   ``client_secret``, ``api_key``, ...) or is a whole ``credentials`` value (a connection string
   or a JSON document, whose own secret fields and URL password are added too). Host, database
   or user names stay readable. Values dlt reads from other providers (vaults, Airflow) are found
   through 2 and 3 once resolved.
2. The pipeline's destination and staging credentials, as dlt resolves them: every field a
   credentials spec types as a secret (``TSecretStrValue``: ``password``, ``private_key``, ...).
3. Secret arguments of the source function and of standalone resources (``dlt.secrets.value`` or
   ``TSecretValue`` arguments), whether dlt injected them or code passed them. dlt remembers them
   only for functions defined at module level (it does not register those defined inside another
   function); for those, injected values are still found through 1, and values passed in code
   must be given with ``secrets=``.
4. Values given explicitly (``add``).

Values shorter than 4 characters, and ``true``/``false``/``none``/``null``, are never redacted as
literals: replacing them everywhere would mangle text and hide nothing. Only strings count. Each
value is also redacted URL-encoded and JSON-escaped, and a multi-line value (a PEM key) line by
line, so a partial quote of it is masked too.

Example:
    .. code-block:: python

        redactor = SecretRedactor.for_run(pipeline=pipeline, source=source)
        with redacting(redactor):
            pipeline.run(source)  # an error raised here reaches Dagster with secrets as ***
        log = RedactingLogger(context.log, redactor)
        log.warning(f"retrying {url}")
"""

import contextlib
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Optional
from urllib.parse import quote, quote_plus, unquote, urlsplit

import dlt
import tomlkit
from dagster import (
    JsonMetadataValue,
    MarkdownMetadataValue,
    MetadataValue,
    PathMetadataValue,
    TextMetadataValue,
    UrlMetadataValue,
)
from dlt.common.configuration.inject import get_fun_last_config
from dlt.common.configuration.providers import EnvironProvider
from dlt.common.configuration.providers.doc import BaseDocProvider
from dlt.common.configuration.specs.base_configuration import BaseConfiguration, is_secret_hint
from dlt.extract.reference import SourceReference
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

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

REDACTED = "***"
"""The placeholder for a hidden secret, as dlt writes it."""

MIN_SECRET_LENGTH = 4
"""Shorter values are not redacted as literals (they would mangle ordinary text)."""

SENSITIVE_QUERY_PARAMS = frozenset(
    {
        # dlt's own list (dlt.sources.helpers.rest_client.redaction.SENSITIVE_PARAMS)...
        "access_token", "access-token", "api_key", "api-key", "apikey", "client_secret",
        "key", "password", "pwd", "secret", "token",
        # ...and OAuth, cloud signed URLs and common API spellings.
        "api_token", "auth", "auth_token", "code", "id_token", "jwt", "passwd", "private_token",
        "refresh_token", "secret_key", "session_token", "sig", "signature", "x-amz-credential",
        "x-amz-security-token", "x-amz-signature", "x-goog-credential", "x-goog-signature",
    }
)  # fmt: skip
"""Query parameters whose value is masked in any URL, compared case-insensitively."""

# Words that make a config key secret: `access_token`, `client_secret`, `db_password`.
_SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "secret", "token", "passphrase", "apikey", "dsn", "auth"}
    | {"authorization", "credentials", "sas", "signature", "connection_string"}
)
# `..._key` names a secret after these words (`api_key`, `private_key`, `aws_secret_access_key`);
# schema hints such as `primary_key` or `merge_key` do not.
_KEY_OWNERS = frozenset(
    {"api", "private", "access", "account", "secret", "client", "master", "encryption"}
    | {"signing", "subscription", "shared", "storage", "service", "app", "license"}
)
# Text that is never a secret, even under a secret key.
_NOT_SECRETS = frozenset({"true", "false", "none", "null"})


def is_secret_key(name: str) -> bool:
    """Whether a dlt config key (its last section) names a secret value.

    Example:
        .. code-block:: python

            assert is_secret_key("access_token") and is_secret_key("private_key")
            assert not is_secret_key("host") and not is_secret_key("primary_key")
    """
    name = name.lower().replace("-", "_")
    if name in ("key", "connection_string"):
        return True
    words = name.split("_")
    if any(word in _SECRET_WORDS for word in words):
        return True
    return len(words) > 1 and words[-1] == "key" and words[-2] in _KEY_OWNERS


_SEPARATOR = r"(?:[?&;]|%3[Ff]|%26)"  # before a query parameter, plain or URL-encoded
_EQUALS = r"(?:=|%3[Dd])"
_QUERY_VALUE = r"(?:[^\s&#;'\"<>%]|%(?!26|3[Bb])[0-9A-Fa-f]{2})+"
_PARAM_NAMES = "|".join(re.escape(p) for p in sorted(SENSITIVE_QUERY_PARAMS, key=len, reverse=True))
_QUERY_PARAM = re.compile(
    rf"({_SEPARATOR}(?:{_PARAM_NAMES}){_EQUALS})({_QUERY_VALUE})", re.IGNORECASE
)
# Quoted keys whose value is masked in a mapping's repr or JSON. Narrower than the query
# parameters: `code`, `key` or `signature` in an API's error body are seldom secrets.
_MAPPING_KEYS = (
    "access_token|refresh_token|id_token|auth_token|session_token|private_token|api_token"
    "|api_key|api-key|apikey|client_secret|secret_key|private_key|password|passwd|secret|token"
    "|authorization"
)
_MAPPING_ENTRY = re.compile(
    rf"""(["'])((?:{_MAPPING_KEYS})\1\s*[:=]\s*)"""
    # One way to match each character (an escape pair, or anything but a backslash, the quote
    # and a line end), so that text without a closing quote cannot backtrack exponentially.
    r"""(["'])((?:\\.|(?!\3)[^\\\n])*)\3""",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@?#]*:)([^\s/@?#]+)(?=@)")
_AUTH_SCHEME = re.compile(r"\b(Bearer|Basic)(\s+)([A-Za-z0-9\-._~+/]{8,}=*)")


class SecretRedactor:
    """Replaces a run's secret values, and credentials in URLs, with ``***``.

    Build it with ``for_run`` to collect what dlt resolved for the run, or pass values yourself.
    It is thread-safe: dlt logs from worker threads.

    Args:
        secrets: values to redact in addition to what ``add_*`` collects.

    Example:
        .. code-block:: python

            redactor = SecretRedactor(["s3cr3t-value"])
            redactor.redact("token s3cr3t-value for https://h/x?api_key=abc")
            # 'token *** for https://h/x?api_key=***'
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: Optional[re.Pattern[str]] = None
        self._pipelines: list[Pipeline] = []
        self._sources: list[Any] = []
        self._with_providers = False
        self.uninspected: list[str] = []
        """What ``add_source`` could not read secret arguments from, for the run to log."""
        self.add(*secrets)

    @classmethod
    def for_run(
        cls,
        *,
        pipeline: Optional[Pipeline] = None,
        source: Optional[Any] = None,
        secrets: Iterable[str] = (),
        credentials: Any = None,
    ) -> "SecretRedactor":
        """A redactor for one dlt run: providers, destination, source secrets, given values.

        Args:
            pipeline: the pipeline of the run; its destination and staging credentials count.
            source: the ``DltSource`` or ``DltResource`` run; its secret arguments count.
            secrets: further values to redact.
            credentials: credentials passed to ``pipeline.run`` (a string, mapping or spec).

        Example:
            .. code-block:: python

                redactor = SecretRedactor.for_run(pipeline=pipeline, source=source)
        """
        redactor = cls(secrets)
        # Each part on its own: a part that cannot be read never stops the run or the others.
        steps: list[tuple[str, Any]] = [("dlt's secret providers", redactor.add_from_providers)]
        if pipeline is not None:
            steps.append(("the pipeline's credentials", lambda: redactor.add_pipeline(pipeline)))
        if source is not None:
            steps.append(("the source", lambda: redactor.add_source(source)))
        if credentials is not None:
            steps.append(("the run's credentials", lambda: redactor.add_credentials(credentials)))
        for what, step in steps:
            try:
                step()
            except Exception as error:
                redactor._not_inspected(what, error)
        return redactor

    def add(self, *values: Any) -> None:
        """Redact these values (strings; shorter than ``MIN_SECRET_LENGTH`` are ignored)."""
        variants = {v for value in values for v in _variants(value)}
        with self._lock:
            new = variants - self._values
            if not new:
                return
            self._values |= new
            # Longest first, so that a secret containing another is replaced whole.
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def add_credentials(self, credentials: Any) -> None:
        """Redact the secret parts of credentials: a dlt credentials spec, a mapping or a string.

        A string is a native credentials value (connection string, JSON): it is redacted whole,
        and so are its URL password and its secret JSON fields.
        """
        if credentials is None:
            return
        if isinstance(credentials, BaseConfiguration):
            self.add_config(credentials)
        elif isinstance(credentials, Mapping):
            self._add_mapping(credentials, under_credentials=True)
        elif isinstance(credentials, str):
            self._add_native(credentials)

    def add_config(self, config: BaseConfiguration) -> None:
        """Redact the fields a resolved dlt configuration types as secrets, nested ones too."""
        for name, hint in type(config).get_resolvable_fields().items():
            value = getattr(config, name, None)
            if isinstance(value, BaseConfiguration):
                self.add_config(value)
            elif value is not None and is_secret_hint(hint):
                self.add_credentials(value)

    def add_pipeline(self, pipeline: Pipeline) -> None:
        """Redact the pipeline's destination and staging credentials, once dlt can resolve them.

        Resolution failures are ignored here: the run reports them itself. ``refresh`` tries again.
        """
        if pipeline not in self._pipelines:
            self._pipelines.append(pipeline)
        for destination in (pipeline.destination, pipeline.staging):
            if destination is None:
                continue
            self.add_credentials(destination.config_params.get("credentials"))
            try:
                config = destination.configuration(None, accept_partial=True)
            except Exception:
                continue  # missing or invalid configuration fails the run with dlt's own error
            self.add_config(config)

    def add_source(self, source: Any) -> None:
        """Redact the secret arguments of a source function and of standalone resources.

        For a ``DltSource``, the arguments dlt last resolved for its source function; for each
        of its resources made by a ``@dlt.resource`` function and called with arguments, the
        secret arguments it was called with.

        Redaction is a safety net: nothing here fails a run. A resource whose arguments cannot be
        read (not called yet, or of a shape dlt does not describe) is skipped and named in
        ``uninspected``; its secrets are still found through the providers when dlt injects them.
        """
        if not any(source is s for s in self._sources):
            self._sources.append(source)
        resources: Iterable[DltResource] = ()
        if isinstance(source, DltSource):
            try:
                self._add_function_config(source.section, source.name)
                resources = list(source.resources.values())
            except Exception as error:  # a source dlt cannot describe still runs
                self._not_inspected(f"source '{getattr(source, 'name', source)}'", error)
        elif isinstance(source, DltResource):
            resources = (source,)
        for resource in resources:
            try:
                self._add_resource_args(resource)
            except Exception as error:
                self._not_inspected(f"resource '{getattr(resource, 'name', resource)}'", error)

    def _add_resource_args(self, resource: DltResource) -> None:
        # The resource's own signature spec: a lookup by section and name would find another
        # function of the same name (a source named like its resource).
        if not resource.args_bound:
            return  # nothing passed in code: injected values come from the providers
        specs = [getattr(resource, "SPEC", None)]
        specs += [ref.SPEC for ref in _references(resource.section, resource.name)]
        secret_args = {
            name
            for spec in specs
            if spec is not None
            for name, hint in spec.get_resolvable_fields().items()
            if is_secret_hint(hint)
        }
        for name, value in (resource.explicit_args or {}).items():
            if name in secret_args:
                self.add_credentials(value)

    def _not_inspected(self, what: str, error: Exception) -> None:
        # The error's type only: its text could quote the very values we failed to collect.
        note = f"{what} ({type(error).__name__})"
        if note not in self.uninspected:
            self.uninspected.append(note)

    def add_from_providers(self) -> None:
        """Redact secrets held by dlt's secret providers: env variables and secrets.toml files."""
        self._with_providers = True
        for provider in dlt.secrets.config_providers:
            if isinstance(provider, EnvironProvider):
                for name, value in os.environ.items():
                    if name in _SHELL_VARIABLES or _is_existing_path(value):
                        continue  # a folder or socket path is no secret, whatever its name
                    self._add_keyed(name.lower().split("__"), value)
            elif isinstance(provider, BaseDocProvider):
                try:
                    document = tomlkit.loads(provider.to_toml()).unwrap()
                except Exception:
                    continue
                self._add_mapping(document, under_credentials=False)

    def refresh(self) -> None:
        """Collect again from providers, pipelines and sources: dlt resolves some values late."""
        if self._with_providers:
            self.add_from_providers()
        for pipeline in list(self._pipelines):
            self.add_pipeline(pipeline)
        for source in list(self._sources):
            self.add_source(source)

    def redact(self, text: str) -> str:
        """``text`` with secrets and credentials in URLs replaced by ``***``."""
        if not text:
            return text
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(REDACTED, text)
        return redact_urls(text)

    def contains_secret(self, text: str) -> bool:
        """Whether ``redact`` would change ``text``."""
        return bool(text) and self.redact(text) != text

    def redact_value(self, value: Any) -> Any:
        """Redact strings inside a value: mappings, lists, tuples and Dagster metadata values.

        Example:
            .. code-block:: python

                metadata = redactor.redact_value({"url": MetadataValue.url(url), "rows": 3})
        """
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, TextMetadataValue):
            return MetadataValue.text(self.redact(value.text))
        if isinstance(value, UrlMetadataValue):
            return MetadataValue.url(self.redact(value.url))
        if isinstance(value, MarkdownMetadataValue):
            return MetadataValue.md(self.redact(value.md_str))
        if isinstance(value, PathMetadataValue):
            return MetadataValue.path(self.redact(value.path))
        if isinstance(value, JsonMetadataValue):
            return MetadataValue.json(self.redact_value(value.data))
        if isinstance(value, Mapping):
            return {key: self.redact_value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.redact_value(item) for item in value]
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return tuple(self.redact_value(item) for item in value)
        return value

    def _add_function_config(self, section: str, name: str) -> None:
        # Every function registered under this section and name: a source and its resource may
        # share both, and extra values to redact hide nothing that should show.
        for ref in _references(section, name):
            config = get_fun_last_config(ref.factory)
            if isinstance(config, BaseConfiguration):
                self.add_config(config)

    def _add_keyed(self, path: list[str], value: Any) -> None:
        if not path or not isinstance(value, str):
            return
        if path[-1] == "credentials":
            self._add_native(value)
        elif is_secret_key(path[-1]):
            self.add(value)

    def _add_mapping(self, mapping: Mapping[str, Any], *, under_credentials: bool) -> None:
        for key, value in mapping.items():
            key = str(key)
            if isinstance(value, Mapping):
                self._add_mapping(
                    value, under_credentials=under_credentials or key == "credentials"
                )
            elif key == "credentials":
                self.add_credentials(value)  # a native value: connection string, JSON
            elif is_secret_key(key):
                self.add(value)

    def _add_native(self, value: str) -> None:
        # A URL is redacted by its password and a JSON document by its secret fields, below; a
        # file path (a DuckDB database) is no secret and stays readable in error messages. Any
        # other string (a bare token) is redacted whole.
        if "://" not in value and not value.lstrip().startswith("{") and not _is_path(value):
            self.add(value)
        try:
            password = urlsplit(value).password
        except ValueError:
            password = None
        if password:
            self.add(password, unquote(password))
        if value.lstrip().startswith("{"):
            try:
                document = json.loads(value)
            except ValueError:
                return
            if isinstance(document, Mapping):
                self._add_mapping(document, under_credentials=True)


# Set by shells and agents, never by dlt users: `PWD` reads as a password key, `SSH_AUTH_SOCK`
# as an auth one, and redacting them hid the working directory in every message.
_SHELL_VARIABLES = frozenset({"PWD", "OLDPWD", "SSH_AUTH_SOCK", "GPG_AGENT_INFO"})


def _is_existing_path(value: str) -> bool:
    return os.path.isabs(value) and os.path.exists(value)


def _is_path(value: str) -> bool:
    return value.startswith((".", "/", "~")) or value.endswith((".duckdb", ".db", ".sqlite"))


def redact_urls(text: str) -> str:
    """Mask credentials in URLs and auth headers in ``text`` without knowing their values."""
    text = _QUERY_PARAM.sub(lambda m: m.group(1) + REDACTED, text)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED, text)
    text = _MAPPING_ENTRY.sub(
        lambda m: m.group(1) + m.group(2) + m.group(3) + REDACTED + m.group(3), text
    )
    return _AUTH_SCHEME.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)


def _variants(value: Any) -> Iterator[str]:
    """The forms a secret takes in text: as is, URL-encoded, escaped, and line by line."""
    if not isinstance(value, str):
        return
    value = value.strip()
    if len(value) < MIN_SECRET_LENGTH or value.lower() in _NOT_SECRETS:
        return
    forms = {value, quote(value), quote(value, safe=""), quote_plus(value)}
    forms.add(json.dumps(value)[1:-1])
    forms.add(repr(value)[1:-1])
    if "\n" in value:
        # A PEM key: its base64 lines, without the armor lines every key shares.
        forms.update(
            line.strip() for line in value.splitlines()
            if len(line.strip()) >= 16 and not line.strip().startswith("-----")
        )  # fmt: skip
    yield from (form for form in forms if len(form) >= MIN_SECRET_LENGTH)


def _references(section: str, name: str) -> list[SourceReference]:
    return [
        ref
        for ref in list(SourceReference.SOURCES.values())
        if ref.section == section and ref.name == name
    ]


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
