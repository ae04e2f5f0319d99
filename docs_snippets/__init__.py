"""Every example of the documentation, one module per example. Tests import and run each one.

Importing a module here does no network I/O, needs no secrets and queries no destination: the
pages under ``docs/`` include these files, and ``tests/test_docs_snippets.py`` runs them.
"""
