"""Secrets never reach logs, metadata, errors or what dlt writes: the values a run must hide,
and their removal from text, exceptions, log records and dlt's trace."""
