"""Laws about the repository itself: ranges in pyproject.toml, one lock for every install path, clean notebooks."""
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


LOCK = ROOT / "requirements" / "lock.txt"


def _project_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]


def _tool_requirements():
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / "requirements" / "tools.in").read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def _lock():
    """{name: [(version, marker or None)]} from requirements/lock.txt."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"lock line {line!r} is not an exact pin"
            pins.setdefault(canonicalize_name(req.name), []).append((spec.version, req.marker))
    return pins


def test_pyproject_declares_ranges_not_pins():
    # Exact pins in a library break installs beside an existing numpy/torch (Colab); the lock pins instead.
    for req in _project_requirements():
        operators = sorted(spec.operator for spec in req.specifier)
        assert operators == [">="], f"pyproject.toml: {req} should be a range with one lower bound ('>=')"


def test_lock_pins_every_requirement_inside_its_range():
    pins = _lock()
    for req in _project_requirements() + _tool_requirements():
        entries = pins.get(canonicalize_name(req.name))
        assert entries, f"requirements/lock.txt has no pin for {req.name}: run `make lock`"
        unconditional = [version for version, marker in entries if marker is None]
        assert unconditional, f"{req.name} is locked only on some platforms"
        assert req.specifier.contains(unconditional[0], prereleases=True), \
            f"lock pins {req.name}=={unconditional[0]}, outside pyproject.toml's {req.specifier}: run `make lock`"


def test_lock_is_universal():
    # Resolved for every platform (a Windows laptop needs pywinpty, a Mac appnope), so one lock serves all.
    markers = " ".join(str(m) for entries in _lock().values() for _, m in entries if m is not None)
    assert "win32" in markers or "'nt'" in markers, "the lock has no Windows-only pins: was it resolved with --universal?"
    assert "darwin" in markers, "the lock has no macOS-only pins: was it resolved with --universal?"


def test_torch_is_pinned_exactly():
    # One exact release, with no local label (`+cpu`), so each platform takes its own build of it and the
    # course machines take the CPU build on their disk instead of a CUDA build of several GB.
    (entry,) = _lock()["torch"]
    version, marker = entry
    assert marker is None and re.fullmatch(r"\d+\.\d+\.\d+", version), entry
    assert f"torch=={version}" in (ROOT / "requirements" / "holds.txt").read_text().split()


def test_environment_yml_installs_the_lock():
    # The conda path installs the same packages and versions as `make setup`: the course package with its dev
    # extra, under the lock. Conda writes these lines to a requirements file beside environment.yml.
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section == ["-c requirements/lock.txt", "-e .[dev]"], pip_section
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires).contains(python.split("=")[1] + ".0"), (python, requires)


def _make_dry_run(*args):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    return subprocess.run(["make", "--no-print-directory", "-n", "-B", *args], cwd=ROOT, capture_output=True,
                          text=True, check=True, env=env).stdout


def test_make_setup_installs_the_lock_and_reads_a_wheelhouse_when_there_is_one(tmp_path):
    online = _make_dry_run("setup", f"WHEELHOUSE={tmp_path}")
    assert "-c requirements/lock.txt -e '.[dev]'" in online and "--no-index" not in online
    (tmp_path / "pip-0-py3-none-any.whl").touch()
    offline = _make_dry_run("setup", f"WHEELHOUSE={tmp_path}")
    assert f"--no-index --find-links {tmp_path} -c requirements/lock.txt -e '.[dev]'" in offline
    assert "tools/lab_settings.py" in offline


def test_wheelhouse_takes_each_platforms_own_pins():
    import wheelhouse

    windows, macos, linux = (set(wheelhouse.pins_for(t, "3.11")) for t in ("windows", "macos", "linux"))
    torch_pin = next(p for p in linux if p.startswith("torch=="))
    assert torch_pin in windows and torch_pin in macos
    assert any(p.startswith("pywinpty==") for p in windows) and not any(p.startswith("pywinpty==") for p in macos)
    assert any(p.startswith("appnope==") for p in macos) and not any(p.startswith("appnope==") for p in linux)
    assert any(p.startswith("nvidia-") for p in linux) and not any(p.startswith("nvidia-") for p in windows | macos)
    names = {p.split("==")[0] for p in windows}
    assert {canonicalize_name(r.name) for r in _project_requirements() + _tool_requirements()} <= names


def test_lower_bounds_leg_pins_the_lower_bounds():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "lower_bounds.py")], capture_output=True, text=True,
                         check=True).stdout.split()
    torch_version = _lock()["torch"][0][0]
    assert f"torch=={torch_version}" in out
    for req in _project_requirements():
        if req.name != "torch":
            assert f"{req.name}=={next(iter(req.specifier)).version}" in out


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / "README.md").read_text()
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)


def test_notebooks_exist_and_are_numbered_in_order():
    names = [p.name for p in NOTEBOOKS]
    assert names and names[0].startswith("00_")
    numbers = [int(n[:2]) for n in names]
    assert numbers == sorted(set(numbers)), f"notebook numbers repeat or are out of order: {names}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: cell {i} has stored outputs (clear them)"
            assert cell.get("execution_count") is None, f"{path.name}: cell {i} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_asserts_its_claims_and_has_exercises(path):
    nb = json.loads(path.read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert any("assert" in c for c in code), f"{path.name} asserts nothing"
    assert "Exercise" in text, f"{path.name} has no exercises"
    assert "import nnlib" in "".join(code) or "from nnlib" in "".join(code), f"{path.name} does not use nnlib"
