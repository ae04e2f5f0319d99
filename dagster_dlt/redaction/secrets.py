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
        log.warning(f"retrying {url}")"""

import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

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
from dlt.common.configuration.providers import EnvironProvider
from dlt.common.configuration.specs.base_configuration import BaseConfiguration, is_secret_hint
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals
from dagster_dlt.redaction.patterns import (
    REDACTED,
    SHELL_VARIABLES,
    is_existing_path,
    is_path,
    is_secret_key,
    redact_urls,
    text_forms,
)

__all__ = ["SecretRedactor"]


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
        variants = {v for value in values for v in text_forms(value)}
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
        registered = internals.functions_registered_as(resource.section, resource.name)
        specs += [ref.SPEC for ref in registered]
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
                    if name in SHELL_VARIABLES or is_existing_path(value):
                        continue  # a folder or socket path is no secret, whatever its name
                    self._add_keyed(name.lower().split("__"), value)
                continue
            try:
                text = internals.document_of_provider(provider)
                document = tomlkit.loads(text).unwrap() if text is not None else None
            except Exception:
                continue
            if isinstance(document, Mapping):
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
        for ref in internals.functions_registered_as(section, name):
            config = internals.last_config_of(ref.factory)
            if config is not None:
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
        if "://" not in value and not value.lstrip().startswith("{") and not is_path(value):
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
