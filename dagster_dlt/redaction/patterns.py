"""What a secret looks like without knowing its value: secret config keys, credential query
parameters, URL passwords and auth headers, and the forms a known value takes in text."""

import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = [
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "SENSITIVE_QUERY_PARAMS",
    "SHELL_VARIABLES",
    "is_existing_path",
    "is_path",
    "is_secret_key",
    "redact_urls",
    "text_forms",
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


# Set by shells and agents, never by dlt users: `PWD` reads as a password key, `SSH_AUTH_SOCK`
# as an auth one, and redacting them hid the working directory in every message.
SHELL_VARIABLES = frozenset({"PWD", "OLDPWD", "SSH_AUTH_SOCK", "GPG_AGENT_INFO"})


def is_existing_path(value: str) -> bool:
    return os.path.isabs(value) and os.path.exists(value)


def is_path(value: str) -> bool:
    return value.startswith((".", "/", "~")) or value.endswith((".duckdb", ".db", ".sqlite"))


def redact_urls(text: str) -> str:
    """Mask credentials in URLs and auth headers in ``text`` without knowing their values."""
    text = _QUERY_PARAM.sub(lambda m: m.group(1) + REDACTED, text)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED, text)
    text = _MAPPING_ENTRY.sub(
        lambda m: m.group(1) + m.group(2) + m.group(3) + REDACTED + m.group(3), text
    )
    return _AUTH_SCHEME.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)


def text_forms(value: Any) -> Iterator[str]:
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
