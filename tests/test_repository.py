"""Laws about the repository itself: one set of packages on both install paths, clean notebooks."""
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _requirement(line: str):
    """'numpy==2.4.6' -> ('numpy', '==2.4.6'); names compared the way pip normalizes them."""
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", line)
    return re.sub(r"[-_.]+", "-", m.group(1)).lower(), m.group(2).replace(" ", "")


def test_environment_yml_installs_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_path = dict(map(_requirement, project["dependencies"] + project["optional-dependencies"]["dev"]))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_path = dict(_requirement(r) for r in pip_section if not r.startswith("-e"))
    assert conda_path == pip_path, "environment.yml and pyproject.toml disagree (names or pins)"
    assert "-e ." in pip_section, "environment.yml must install the course package itself"


def test_torch_is_pinned_exactly():
    # An unpinned torch pulls a multi-GB CUDA build on machines with a local CPU wheel.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(re.fullmatch(r"torch==\d+\.\d+\.\d+", d) for d in project["dependencies"])


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
