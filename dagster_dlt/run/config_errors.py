"""Turn dlt's configuration failures into messages that say which variables to set, and where.

dlt reports a missing secret as a long trace of every key it tried, and rejects incomplete
credentials (Snowflake without a password) only after resolving them. Both become one line naming
the environment variables and the ``.dlt/secrets.toml`` keys. Values are never included.

A leaf: it depends on nothing of this package but the seam (``internals``) for dlt's lookup traces.
"""

import re
from collections.abc import Iterator, Mapping
from typing import Any, Optional, Union

import dlt
from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigurationValueError,
)
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams.internals import LookupTrace, LookupTraces

__all__ = ["configuration_problem", "describe_config_problem"]


def configuration_problem(
    error: BaseException,
) -> Optional[Union[ConfigFieldMissingException, ConfigurationValueError]]:
    """The missing or invalid configuration behind a dlt failure, if that is what it was."""
    seen = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (ConfigFieldMissingException, ConfigurationValueError)):
            return current
        inner = getattr(current, "exception", None)
        current = inner if isinstance(inner, BaseException) else current.__cause__
    return None


def describe_config_problem(
    problem: Union[ConfigFieldMissingException, ConfigurationValueError], pipeline: Pipeline
) -> str:
    if isinstance(problem, ConfigFieldMissingException):
        return _describe_missing(problem, pipeline)
    return _describe_invalid(problem, pipeline)


def _describe_invalid(problem: ConfigurationValueError, pipeline: Pipeline) -> str:
    # dlt validates credentials after resolving them (e.g. Snowflake needs a username and a
    # password unless it has a private key) and names the fields in backticks.
    destination = pipeline.destination.destination_name if pipeline.destination else None
    reason = (
        str(problem).strip().splitlines()[0] if str(problem).strip() else type(problem).__name__
    )
    if destination is None:
        return f"dlt pipeline '{pipeline.pipeline_name}' has invalid configuration: {reason}"
    section = f"destination.{destination}.credentials"
    named = [f for f in re.findall(r"`([a-z_]+)`", reason)]
    missing = [f for f in named if dlt.secrets.get(f"{section}.{f}") is None] or named
    env_vars = [f"{section}.{f}".replace(".", "__").upper() for f in missing]
    hint = (
        f" Missing: {', '.join(env_vars)}. Set these environment variables, or add "
        f"{', '.join(missing)} under [{section}] in .dlt/secrets.toml."
        if missing
        else ""
    )
    return (
        f"dlt pipeline '{pipeline.pipeline_name}' cannot configure destination "
        f"'{destination}': {reason}{hint}"
    )


def _describe_missing(missing: ConfigFieldMissingException, pipeline: Pipeline) -> str:
    env_vars: list[str] = []
    toml: dict[str, list[str]] = {}
    sections_of: dict[int, tuple[LookupTraces, list[str]]] = {}
    for field, traces, spec in _missing_leaves(missing.traces):
        best = _most_specific(traces, pipeline.pipeline_name)
        if best is None:
            env_vars.append(field.upper())
            continue
        env_vars.append(best.key)
        toml.setdefault(".".join(best.sections), []).append(field)
        if spec is not None:
            sections_of.setdefault(id(spec), (spec, best.sections))
    for spec, sections in sections_of.values():
        for field in _also_needed(spec):
            env_vars.append("__".join([*sections, field]).upper())
            toml.setdefault(".".join(sections), []).append(field)
    where = "; ".join(
        f"{', '.join(fields)} under [{section}]" if section else ", ".join(fields)
        for section, fields in toml.items()
    )
    return (
        f"dlt pipeline '{pipeline.pipeline_name}' is missing configuration "
        f"({missing.spec_name}): {', '.join(env_vars)}. Set these environment variables, or add "
        f"{where or 'them'} in .dlt/secrets.toml."
    )


# Snowflake's credentials declare username and password optional, because key-pair, OAuth and
# external-browser logins need neither, and check them only once the required fields resolved. A
# first run with no credentials would name only DATABASE and HOST, the next one USERNAME and
# PASSWORD: name them together unless another login method is configured.
_OTHER_LOGINS = frozenset({"private_key", "private_key_path", "authenticator", "token"})


def _also_needed(spec: LookupTraces) -> list[str]:
    """Fields of a credentials spec that dlt will ask for next, once the missing ones are set."""
    if not spec.spec_name.startswith("SnowflakeCredentials"):
        return []
    resolved = set(spec.resolved_fields_set)
    if resolved & _OTHER_LOGINS:
        return []
    return [f for f in ("username", "password") if f not in resolved and f not in spec.traces]


def _missing_leaves(
    traces: Mapping[str, Any], spec: Optional[LookupTraces] = None
) -> Iterator[tuple[str, list[LookupTrace], Optional[LookupTraces]]]:
    """Flatten dlt's nested lookup traces into (field, traces tried for it, nested spec)."""
    for field, field_traces in traces.items():
        nested = [t for t in field_traces if isinstance(t, LookupTraces)]
        if nested:
            # For a union of credential types, the first alternative is the usual one.
            yield from _missing_leaves(nested[0].traces, nested[0])
        else:
            yield field, [t for t in field_traces if isinstance(t, LookupTrace)], spec


def _most_specific(traces: list[LookupTrace], pipeline_name: str) -> Optional[LookupTrace]:
    # dlt tries several keys per field. Users set the one not prefixed by the pipeline name; for a
    # source that is the source-level key (SOURCES__GITHUB__ACCESS_TOKEN serves every resource of
    # the source), elsewhere the most specific one (DESTINATION__SNOWFLAKE__CREDENTIALS__PASSWORD).
    env = [t for t in traces if t.provider == "Environment Variables"]
    prefix = f"{pipeline_name}__".upper()
    preferred = [t for t in env if not t.key.upper().startswith(prefix)] or env
    source_level = [t for t in preferred if len(t.sections) == 2 and t.sections[0] == "sources"]
    if source_level:
        return source_level[0]
    return max(preferred, key=lambda t: len(t.sections), default=None)
