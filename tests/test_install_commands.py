"""The README's commands for learners without make (Windows) are the Makefile's, and they run.

The pip/venv block is run here as written (Windows paths turned into POSIX ones) in a copy of the
repository: a real venv, real pip installs under the lock, the kernel and the JupyterLab settings. To
keep it fast, the new venv also sees this environment's packages (a ``.pth`` file), so pip finds the
locked versions already installed and only installs the course package itself. The conda path's
install is what conda runs for the ``pip:`` section of environment.yml: those lines in a requirements
file beside it, ``pip install -U -r``. Both need the package index that `make setup` needs.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COPIED = ["pyproject.toml", "README.md", "LICENSE", "environment.yml", "nnlib", "requirements", "tools"]


def _differs_from_lock() -> list[str]:
    """Top-level packages whose installed version is not the lock's (as in the newest and oldest test legs)."""
    from importlib.metadata import version

    lock = dict(line.split("==") for line in (ROOT / "requirements/lock.txt").read_text().splitlines()
                if line and not line.startswith(("#", " ")) and ";" not in line)
    names = ("numpy", "torch", "matplotlib", "jupyterlab", "ipykernel", "pytest", "scikit-learn", "hypothesis")
    return [f"{n} {version(n)}" for n in names if version(n).split("+")[0] != lock[n]]


def _block(marker: str) -> list[str]:
    """The lines of the fenced code block that follows ``<!-- marker ... -->`` in README.md."""
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker}[^>]*-->\s*```\w*\n(.*?)```", text, re.S)
    assert match, f"README.md has no block marked {marker}"
    return [line.strip() for line in match.group(1).splitlines() if line.strip()]


def _posix(line: str) -> list[str]:
    return shlex.split(line.replace("\\Scripts\\", "/bin/").replace(".venv\\", ".venv/"))


def _normalized(words: list[str]) -> str:
    return " ".join(w for w in words if w not in ("--quiet",))


def _without_make_flags():
    """The environment, less what a calling make passes down (a test leg runs under `make test-oldest`)."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}


def _makefile_setup_commands() -> list[str]:
    out = subprocess.run(["make", "--no-print-directory", "-n", "-B", "setup", "VENV=.venv", "WHEELHOUSE=/nonexistent"],
                         cwd=ROOT, capture_output=True, text=True, check=True, env=_without_make_flags()).stdout
    commands = []
    for line in out.splitlines():
        line = line.split("||", 1)[-1].strip().strip("()")  # `test -x .venv/bin/python || python3 -m venv .venv`
        if line and not line.startswith("touch"):
            commands.append(_normalized(shlex.split(line)).replace("python3 -m venv", "python -m venv"))
    return commands


def test_readme_commands_are_the_makefile_commands():
    readme = [_normalized(_posix(line)) for line in _block("pip-venv-commands")]
    setup = _makefile_setup_commands()
    assert readme[: len(setup)] == setup, "README's pip/venv commands differ from `make setup`'s"
    lab = readme[len(setup):]
    assert len(lab) == 1 and lab[0].startswith(".venv/bin/jupyter lab notebooks/00_tour_and_setup.ipynb")
    assert "notebooks/00_tour_and_setup.ipynb" in (ROOT / "Makefile").read_text()
    conda = _block("conda-commands")
    assert conda[:2] == ["conda env create -f environment.yml", f"conda activate {_env()['name']}"]
    # After activation the conda path runs the same kernel and settings steps, and the same lab.
    assert [[".venv/bin/python", *shlex.split(line)[1:]] for line in conda[2:4]] == \
        [_posix(line) for line in _block("pip-venv-commands")[3:5]]
    assert conda[4] == "jupyter lab notebooks/00_tour_and_setup.ipynb"


def _env():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


@pytest.fixture
def course(tmp_path):
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy(source, tmp_path / name)
    return tmp_path


def _run(words, cwd):
    result = subprocess.run(words, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(words)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_readme_install_commands_run(course):
    if _differs_from_lock():  # pip would install the lock's versions in the new venv: minutes, and not this test's point
        pytest.skip(f"this environment is not the lock's ({', '.join(_differs_from_lock())}): a test leg")
    """The pip/venv block as written, then what conda runs for environment.yml's pip section, in one venv."""
    lines = _block("pip-venv-commands")
    assert lines[0] == "python -m venv .venv"
    _run([sys.executable, "-m", "venv", ".venv"], course)
    python = course / ".venv/bin/python"
    # This environment's packages, visible to the new venv (after its own): pip finds the lock satisfied.
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], course).strip())
    (purelib / "zz_course_test.pth").write_text(sysconfig.get_path("purelib") + "\n")
    for line in lines[1:5]:
        _run(_posix(line), course)
    # The last line starts JupyterLab; here its entry point only answers (its script lives in the other venv).
    assert _posix(lines[5])[:2] == [".venv/bin/jupyter", "lab"]
    assert re.fullmatch(r"\d+\.\d+\.\d+\s*", _run([str(python), "-m", "jupyterlab", "--version"], course))
    where = _run([str(python), "-c", "import nnlib; print(nnlib.__file__)"], course)
    assert Path(where.strip()).is_relative_to(course), f"the venv imports nnlib from {where}, not from the copy"
    kernel = json.loads((course / ".venv/share/jupyter/kernels/nnlib/kernel.json").read_text())
    assert kernel["argv"][0] == str(python) and kernel["display_name"] == "Python (nnlib)"
    overrides = json.loads((course / ".venv/share/jupyter/lab/settings/overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false", "checkForUpdates": False}

    # conda env create: the pip section's lines in a requirements file beside environment.yml, `pip install -U -r`.
    pip_section = next(d["pip"] for d in _env()["dependencies"] if isinstance(d, dict))
    (course / "condaenv.test.requirements.txt").write_text("\n".join(pip_section) + "\n")
    _run([str(python), "-m", "pip", "install", "-U", "-r", "condaenv.test.requirements.txt"], course)
    installed = {p["name"].lower(): p["version"]
                 for p in json.loads(_run([str(python), "-m", "pip", "list", "--format=json"], course))}
    lock = dict(line.split("==") for line in (ROOT / "requirements/lock.txt").read_text().splitlines()
                if line and not line.startswith(("#", " ")) and ";" not in line)
    for name in ("numpy", "torch", "jupyterlab", "pytest", "pip"):
        assert installed[name].split("+")[0] == lock[name], (name, installed[name], lock[name])
