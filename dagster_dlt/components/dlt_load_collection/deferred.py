"""Uncalled ``@dlt.source`` functions: specs at definitions load, secrets only when a run starts.

dlt resolves a source function's configuration and secrets when the function is called. To know
the resources (and so the assets) without the secrets, the definitions call the function with a
stand-in for each secret argument: a string that refuses to be read. Source functions that only
capture their secrets in closures, as most API sources do, build their resources unchanged. Each
run calls the function again, and dlt resolves the real values then, from the environment or
``.dlt/secrets.toml``.
"""

import inspect
from typing import Any, NoReturn

from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.configuration.specs.base_configuration import is_secret_hint
from dlt.extract.decorators import DltSourceFactoryWrapper
from dlt.extract.source import DltSource

from dagster_dlt._seams import internals
from dagster_dlt.errors import DltConfigurationError

__all__ = ["call_for_run", "call_for_specs", "is_source_function", "source_function_name"]


def is_source_function(value: Any) -> bool:
    """True for a ``@dlt.source`` function that has not been called."""
    return isinstance(value, DltSourceFactoryWrapper)


class _Unresolved(str):
    """Stands in for a secret or config value while the definitions load.

    Formatting or encoding it, as a request header or a URL would, raises an error that says why.
    """

    def __new__(cls, source: str, field: str) -> "_Unresolved":
        unresolved = super().__new__(cls, f"<{field} of dlt source {source}: resolved at run time>")
        unresolved.source = source
        unresolved.field = field
        return unresolved

    def __reduce__(self) -> tuple[Any, ...]:
        # Sources deep-copy their configuration (rest_api does): copies stay stand-ins.
        return (_Unresolved, (self.source, self.field))

    def __copy__(self) -> "_Unresolved":
        return self

    def __deepcopy__(self, memo: Any) -> "_Unresolved":
        return self

    def __bool__(self) -> bool:
        # ``token or None`` and ``if token:`` keep the stand-in without reading it.
        return True

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise DltConfigurationError(
            f"dlt source function '{self.source}' reads its argument '{self.field}' while it is "
            "called, but the component calls it without its secrets when the definitions load, "
            "to keep secrets out of that step. Read the value only inside the source's resources "
            "(when they yield data), or call the source yourself in your loads module, e.g. "
            f"my_source = {self.source}(), and point 'source:' at that."
        )

    # What would put the value into a request, a URL or a file. Inspecting it (len, slicing, as
    # rest_api does to mask secrets) stays allowed.
    __str__ = __format__ = __add__ = __radd__ = __mod__ = encode = format = _refuse


def source_function_name(function: DltSourceFactoryWrapper) -> str:
    """The source's name: given to ``@dlt.source(name=...)``, else the function's."""
    return function.name or getattr(function, "__name__", "source")


def _secret_arguments(function: DltSourceFactoryWrapper) -> list[str]:
    spec = internals.signature_spec_of_source(function)
    parameters = inspect.signature(function).parameters
    if spec is None:
        return []
    return [
        name
        for name, hint in spec.get_resolvable_fields().items()
        if name in parameters and is_secret_hint(hint)
    ]


def call_for_specs(function: DltSourceFactoryWrapper, where: str) -> DltSource:
    """Call a source function to learn its resources, with stand-ins for its secrets.

    Configuration that is not secret resolves as usual; a value that is missing gets a stand-in
    too, as its value may only be set where the runs happen.

    Raises:
        ValueError: the function cannot be called without its secrets; the message says why
            and how to fix it.
    """
    name = source_function_name(function)
    stand_ins: dict[str, Any] = {
        field: _Unresolved(name, field) for field in _secret_arguments(function)
    }
    parameters = inspect.signature(function).parameters
    for _attempt in range(2):
        try:
            return _check_source(function(**stand_ins), name, where)
        except ConfigFieldMissingException as missing:
            fields = [field for field in missing.fields if field in parameters]
            if not fields or all(field in stand_ins for field in fields):
                raise ValueError(_cannot_call(name, where, _describe_missing(missing))) from None
            stand_ins.update({field: _Unresolved(name, field) for field in fields})
        except DltConfigurationError as refused:
            raise ValueError(f"{where}: {refused}") from None
        except Exception as error:
            raise ValueError(
                _cannot_call(name, where, f"{type(error).__name__}: {error}")
            ) from error
    raise ValueError(_cannot_call(name, where, "its configuration kept missing values"))


def call_for_run(function: DltSourceFactoryWrapper, where: str) -> DltSource:
    """Call a source function when a run starts: dlt resolves its configuration and secrets.

    Raises:
        DltConfigurationError: a value is missing; the message names where to set it.
    """
    try:
        return _check_source(function(), source_function_name(function), where)
    except ConfigFieldMissingException as missing:
        raise DltConfigurationError(
            f"dlt source function '{source_function_name(function)}' ({where}) cannot start: "
            f"{_describe_missing(missing)}"
        ) from None


def _check_source(source: Any, name: str, where: str) -> DltSource:
    if not isinstance(source, DltSource):
        raise ValueError(
            f"{where}: calling dlt source function '{name}' returned {type(source).__name__}, "
            "not a dlt source. Async source functions are not supported: call them in your "
            "loads module and point 'source:' at the result."
        )
    return source


def _describe_missing(missing: ConfigFieldMissingException) -> str:
    """Which values are missing and where dlt looked: key names only, never values."""
    parts = []
    for field, traces in missing.traces.items():
        keys = [trace.key for trace in traces if hasattr(trace, "key")]
        sections = next(
            (list(trace.sections) for trace in traces if getattr(trace, "sections", None)), []
        )
        # Keys scoped to a pipeline name come first in dlt's order; the source's own are enough.
        env_keys = [key for key in keys if key.isupper()]
        env = ", ".join([key for key in env_keys if key.startswith("SOURCES__")] or env_keys)
        toml = f"[{'.'.join(sections)}] {field}" if sections else field
        parts.append(
            f"'{field}' is not set: set one of the environment variables {env} (most specific "
            f"first) or add {toml} "
            "to .dlt/secrets.toml (or .dlt/config.toml if it is not a secret)"
        )
    return "; ".join(parts) + "."


def _cannot_call(name: str, where: str, reason: str) -> str:
    return (
        f"{where}: dlt source function '{name}' cannot be called without its secrets to learn "
        f"its resources ({reason}). The component calls an uncalled source function with "
        "stand-ins for its secrets when the definitions load, and with the real values when a "
        "run starts. Make the function build its resources without reading its secrets (read "
        "them inside the resources), or call it in your loads module (my_source = "
        f"{name}(...)) and point 'source:' at the result."
    )
