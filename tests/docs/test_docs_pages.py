"""The pages under ``docs/`` show the tested snippets, verbatim.

A page includes a snippet with a marker line followed by a fenced block holding the file's text:

    <!-- snippet: docs_snippets/quickstart.py -->
    ```python
    ...the whole file...
    ```

After editing a snippet, refresh every page's copy with ``python tests/docs/test_docs_pages.py``.
"""

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
SNIPPETS = REPO / "docs_snippets"

MARKER = re.compile(r"^<!-- snippet: (?P<path>\S+) -->$")
# A snippet under a folder of docs_snippets/ (orders_drop/001.jsonl) is a file in that folder of
# the reader's project; docs_snippets/components/ has its own marker and test.
LANGUAGES = {".py": "python", ".toml": "toml", ".jsonl": "json"}


@dataclass(frozen=True)
class Inclusion:
    page: Path
    line: int  # 1-based line of the marker
    path: str  # as written after "snippet:"
    fence: str  # the line after the marker, which should open the block
    block: str  # the block's text, or "" when there is no closed block
    closing: Optional[int] = None  # 0-based index of the line that closes the block


def inclusions(page: Path) -> list[Inclusion]:
    """The markers of a page, outside fenced blocks (a page may show the convention itself)."""
    lines = page.read_text().splitlines()
    found = []
    fence = ""  # the fence of the block being skipped, "" outside blocks
    index = 0
    while index < len(lines):
        line = lines[index]
        if fence:
            fence = "" if line.strip() == fence else fence
        elif line.startswith("```"):
            fence = "`" * (len(line) - len(line.lstrip("`")))
        elif match := MARKER.match(line):
            opening = lines[index + 1] if index + 1 < len(lines) else ""
            closing = next((j for j in range(index + 2, len(lines)) if lines[j] == "```"), None)
            closed = opening.startswith("```") and closing is not None
            block = "\n".join(lines[index + 2 : closing]) + "\n" if closed else ""
            found.append(
                Inclusion(
                    page, index + 1, match["path"], opening, block, closing if closed else None
                )
            )
            if closed:
                index = closing
        index += 1
    return found


def pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def snippet_files() -> set[str]:
    """Every snippet, as pages name it: ``docs_snippets/<file>``."""
    return {
        f"docs_snippets/{path.relative_to(SNIPPETS).as_posix()}"
        for path in SNIPPETS.rglob("*")
        if path.is_file()
        and path.suffix in LANGUAGES
        and path.name not in ("__init__.py", "ruff.toml")
        and path.relative_to(SNIPPETS).parts[0] != "components"
        and not path.relative_to(SNIPPETS).parts[0].startswith(".")  # caches
    }


def all_inclusions() -> list[Inclusion]:
    return [inclusion for page in pages() for inclusion in inclusions(page)]


def where(inclusion: Inclusion) -> str:
    return f"{inclusion.page.relative_to(REPO)}:{inclusion.line}"


def test_docs_pages_exist_and_include_snippets():
    assert (DOCS / "README.md").exists()
    assert all_inclusions(), "no page includes a snippet"


@pytest.mark.parametrize("inclusion", all_inclusions(), ids=where)
def test_included_snippet_exists_and_is_shown_verbatim(inclusion: Inclusion):
    path = REPO / inclusion.path
    assert inclusion.path in snippet_files() and path.is_file(), (
        f"{where(inclusion)} includes {inclusion.path}, which is not a file under docs_snippets/"
    )
    language = LANGUAGES[path.suffix]
    assert inclusion.fence == f"```{language}", (
        f"{where(inclusion)}: the marker must be followed by a ```{language} block"
    )
    assert inclusion.block == path.read_text(), (
        f"{where(inclusion)} shows an outdated copy of {inclusion.path}: run "
        "`python tests/docs/test_docs_pages.py` to refresh the pages"
    )


def test_every_snippet_is_included_by_a_page():
    included = {inclusion.path for inclusion in all_inclusions()}

    assert snippet_files() - included == set(), "snippets no page shows"


def refresh_pages() -> list[Path]:
    """Replace the block after each marker with the current text of its snippet."""
    changed = []
    for page in pages():
        text = page.read_text()
        lines = text.splitlines()
        # Bottom up, so that earlier line numbers stay valid.
        for inclusion in reversed(inclusions(page)):
            path = REPO / inclusion.path
            if not path.is_file():
                continue
            block = [f"```{LANGUAGES[path.suffix]}", *path.read_text().splitlines(), "```"]
            start = inclusion.line  # the line after the marker, 0-based
            end = start  # no block yet: insert one
            if inclusion.closing is not None:
                end = inclusion.closing + 1
            elif inclusion.fence.startswith("```"):
                end = start + 1  # an opening fence without its block: replace it
            lines[start:end] = block
        new = "\n".join(lines) + "\n"
        if new != text:
            page.write_text(new)
            changed.append(page)
    return changed


if __name__ == "__main__":
    for page in refresh_pages():
        print(f"refreshed {page.relative_to(REPO)}")
    sys.exit(0)
