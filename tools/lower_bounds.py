"""Print constraints that pin each requirement of pyproject.toml (with the dev extra) at its lower bound.

    python tools/lower_bounds.py > constraints.txt     # used by tools/test_leg.sh oldest

``numpy>=2.0`` becomes ``numpy==2.0``. torch is held at the lock's version instead (its old
releases are CUDA builds of several GB on the course machines), and so are the packages named
with ``--hold``. Every requirement must have a ``>=`` lower bound (tests/test_repository.py checks).
"""
import argparse
import sys
import tomllib
from pathlib import Path

try:
    from packaging.requirements import Requirement
except ImportError:  # a bare interpreter: pip carries its own copy
    from pip._vendor.packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def lower_bound(requirement: Requirement) -> str:
    bounds = [spec.version for spec in requirement.specifier if spec.operator == ">="]
    if len(bounds) != 1:
        raise SystemExit(f"pyproject.toml: {requirement} needs exactly one '>=' lower bound")
    return bounds[0]


def locked_version(name: str) -> str:
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if line.split("==")[0].strip().lower() == name.lower() and "==" in line:
            return line.split("==")[1].split(";")[0].strip()
    raise SystemExit(f"requirements/lock.txt has no pin for {name}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hold", nargs="*", default=["torch"], help="held at the lock (default: torch)")
    args = parser.parse_args(argv)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for line in project["dependencies"] + project["optional-dependencies"]["dev"]:
        requirement = Requirement(line)
        version = locked_version(requirement.name) if requirement.name in args.hold else lower_bound(requirement)
        print(f"{requirement.name}=={version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
