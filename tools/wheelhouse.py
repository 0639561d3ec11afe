"""Download every wheel of the locked set into one folder, for installs with no network.

    python tools/wheelhouse.py                                   # this machine and this Python
    python tools/wheelhouse.py --platform macos windows --python 3.11 3.12 3.13

(``make wheelhouse PLATFORMS="native macos windows" PYTHONS="3.11 3.12"`` runs the same.) Every
target adds its wheels to the same folder; pure-Python wheels are shared. ``make setup`` then
installs from the folder with ``pip install --no-index --find-links wheelhouse``.

Targets:

- ``native``: this interpreter on this machine. pip's own resolver picks the wheels, under the lock
  (``-c requirements/lock.txt``), exactly as ``make setup`` would install them here.
- ``linux`` (x86-64), ``macos`` (Apple silicon, macOS 14 or newer, as torch's wheels), ``windows`` (64-bit): another
  machine. pip cannot resolve for another platform (it evaluates environment markers such as
  ``sys_platform == 'win32'`` for the machine it runs on), so the lock's lines are selected here by
  evaluating their markers for the target, and each is downloaded as a binary wheel with
  ``pip download --no-deps --only-binary=:all: --platform ... --python-version ...``. The lock is
  universal (``make lock`` resolves it for every platform), so this is the complete set. On
  ``linux`` that set is torch's CUDA build and its NVIDIA libraries (several GB); ``native`` on a
  machine whose pip finds a CPU build of torch takes that instead.

Only the standard library and pip are needed, so any ``python3`` with pip can run this.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

try:
    from packaging.requirements import Requirement
except ImportError:  # a bare interpreter: pip carries its own copy
    from pip._vendor.packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"
TOOLS = ROOT / "requirements" / "tools.in"

# Wheel platform tags (newest first; pip also accepts the older macOS versions a tag implies)
# and the marker values of each target.
TARGETS = {
    "linux": (["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
              dict(os_name="posix", sys_platform="linux", platform_system="Linux", platform_machine="x86_64")),
    "macos": (["macosx_14_0_arm64"],  # torch's macOS wheels need macOS 14
              dict(os_name="posix", sys_platform="darwin", platform_system="Darwin", platform_machine="arm64")),
    "windows": (["win_amd64"],
                dict(os_name="nt", sys_platform="win32", platform_system="Windows", platform_machine="AMD64")),
}


def project_requirements() -> list[str]:
    """The course package's requirements (with its dev extra), as pyproject.toml declares them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project["dependencies"] + project["optional-dependencies"]["dev"]


def tool_requirements() -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in TOOLS.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def locked_lines(path: Path = LOCK) -> list[Requirement]:
    """Every ``name==version [; marker]`` line of the lock."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def marker_environment(target: str, python: str, patch: int) -> dict:
    """The values environment markers see on ``target`` running CPython ``python`` (e.g. '3.12') at ``patch``."""
    return dict(TARGETS[target][1], python_version=python, python_full_version=f"{python}.{patch}",
                implementation_name="cpython", platform_python_implementation="CPython",
                implementation_version=f"{python}.{patch}", platform_release="", platform_version="", extra="")


PATCHES = (0, 99)  # an early and a late patch release of each Python version


def pins_by_patch(target: str, python: str, lock: Path = LOCK) -> dict[str, list[str]]:
    """The lock's ``name==version`` pins that a ``target`` machine installs, by Python version ``X.Y.patch``.

    A marker, or a wheel's Requires-Python, may split on the patch release (soupsieve:
    ``python_full_version < '3.11.5'``), so an early and a late patch release are both taken: every
    patch release of that Python then finds its wheels. A pin both need is listed once, under the first.
    """
    by_patch, seen = {}, set()
    for patch in PATCHES:
        environment = marker_environment(target, python, patch)
        pins = {f"{r.name}{r.specifier}" for r in locked_lines(lock) if r.marker is None or r.marker.evaluate(environment)}
        by_patch[f"{python}.{patch}"] = sorted(pins - seen)
        seen |= pins
    return by_patch


def pins_for(target: str, python: str, lock: Path = LOCK) -> list[str]:
    """Every pin a ``target`` machine with CPython ``python`` (any patch release) installs."""
    return sorted(pin for pins in pins_by_patch(target, python, lock).values() for pin in pins)


def one_version_each(pins: list[str]) -> list[list[str]]:
    """Split pins into groups that name each package once: pip takes one version of a package per call."""
    groups: list[list[str]] = []
    for pin in pins:
        name = pin.split("==")[0]
        group = next((g for g in groups if all(p.split("==")[0] != name for p in g)), None)
        if group is None:
            groups.append(group := [])
        group.append(pin)
    return groups


def pip_download(dest: Path, args: list[str]) -> None:
    command = [sys.executable, "-m", "pip", "download", "--dest", str(dest), "--only-binary=:all:", *args]
    print("+", " ".join(command[:12]), "..." if len(command) > 12 else "", flush=True)
    subprocess.run(command, check=True)


def main(argv=None) -> int:
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=ROOT / "wheelhouse", help="the folder (default: wheelhouse/)")
    parser.add_argument("--platform", nargs="+", default=["native"], choices=["native", *TARGETS],
                        help="native (default), linux, macos, windows")
    parser.add_argument("--python", nargs="+", default=[here],
                        help=f"CPython versions for the named platforms (default: {here}, this one)")
    args = parser.parse_args(argv)
    args.dest.mkdir(parents=True, exist_ok=True)
    for target in args.platform:
        if target == "native":
            pip_download(args.dest, ["-c", str(LOCK), *project_requirements(), *tool_requirements()])
            continue
        tags, _ = TARGETS[target]
        for python in args.python:
            platform_args = [arg for tag in tags for arg in ("--platform", tag)]
            for full_version, pins in pins_by_patch(target, python).items():
                for group in one_version_each(pins):
                    pip_download(args.dest, ["--no-deps", *platform_args, "--python-version", full_version,
                                             "--implementation", "cp", *group])
    wheels = sorted(args.dest.glob("*.whl"))
    size = sum(w.stat().st_size for w in wheels)
    print(f"{args.dest}: {len(wheels)} wheels, {size / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
