"""The docs' snippets (docs_snippets/), imported as the reader's folder imports them."""

import importlib
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["SNIPPETS", "load_snippet"]

SNIPPETS = Path(__file__).resolve().parents[2] / "docs_snippets"


def load_snippet(name: str) -> ModuleType:
    """Import the snippet ``docs_snippets/<name>.py`` afresh, with every snippet it imports.

    The snippets import each other by plain module name (``from example_source import example``),
    as the files of the reader's folder do, so the folder goes on ``sys.path`` and every snippet
    module is dropped first: each test gets sources and pipelines built from its own environment.
    """
    if str(SNIPPETS) not in sys.path:
        sys.path.insert(0, str(SNIPPETS))
    names = {path.stem for path in SNIPPETS.glob("*.py")} - {"__init__"}
    for module in [m for m in sys.modules if m in names]:
        del sys.modules[module]
    return importlib.import_module(name)
