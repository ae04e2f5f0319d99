"""Every example of the documentation, one file per example, as it would sit in a project folder.

The files import each other by plain module name (``from example_source import example``), as they
do when a reader copies a page's files into an empty folder and runs them there; the pages under
``docs/`` show each file in full. Importing a module here does no network I/O, needs no secrets
and queries no destination. ``tests/docs/test_docs_snippets.py`` and the feature tests import them with
this folder on ``sys.path``; ``tests/docs/test_docs_outside_repo.py`` copies each page's files into an
empty folder and runs them there.
"""
