"""Print the lowest versions pyproject.toml allows, as pip constraints, for the minimum-versions job.

Takes the lower bound (``>=``) of each runtime dependency and of the ``duckdb`` extra: the range
this package promises its users. Test tools are left to resolve to their newest.
"""

import re
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
LOWER = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?P<spec>.*)$")


def lowest_pins(pyproject: dict) -> dict[str, str]:
    project = pyproject["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["duckdb"]]
    pins: dict[str, str] = {}
    for requirement in requirements:
        match = LOWER.match(requirement.strip())
        if not match:
            continue
        bound = re.search(r">=\s*([0-9][0-9A-Za-z.]*)", match["spec"])
        if bound:
            version = bound.group(1)
            # "1.13" means 1.13.0 to pip's == as well; spell it out for readers of the log.
            pins[match["name"].lower()] = version if version.count(".") >= 2 else f"{version}.0"
    return pins


if __name__ == "__main__":
    pins = lowest_pins(tomllib.loads((ROOT / "pyproject.toml").read_text()))
    sys.stdout.write("".join(f"{name}=={version}\n" for name, version in sorted(pins.items())))
