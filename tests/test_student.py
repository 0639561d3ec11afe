"""The student edition (``make student``): the notebooks without their solutions still run.

Run by ``make test-student`` (pytest ``-m student``, one notebook per worker). Each notebook of
build/student/ runs top to bottom from a fresh kernel: nothing fails, every exercise left
untouched prints its reminder instead of passing or raising, and no solution is left in it.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.student

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "build" / "student"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REMINDER = "not attempted yet"  # what nnlib.exercises prints for an untouched exercise
sys.path.insert(0, str(ROOT / "book"))
from editions import execute, is_solution  # noqa: E402


@pytest.fixture(scope="module")
def student():
    if not all((STUDENT / p.name).exists() for p in NOTEBOOKS):
        subprocess.run([sys.executable, str(ROOT / "book" / "editions.py"), "student"], check=True, cwd=ROOT)
    return STUDENT


def _exercises(cells):
    """The exercises the solution cells check, as their reminders name them: ``exercise("07.1")`` ->
    "Exercise 07.1"; an older check named in a string, "Exercise 2: NAND" -> "Exercise 2"."""
    names = set()
    for cell in cells:
        source = "".join(cell["source"])
        names.update(f"Exercise {key}" for key in re.findall(r"exercise\([\"'](\d+\.\d+)[\"']\)", source))
        names.update(re.findall(r"[\"'](Exercise \d+)\b", source))
    return names


def _output_text(nb):
    chunks = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            chunks.append(output.get("text", ""))
            chunks.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(chunks)


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebook_has_no_solution_and_runs_with_untouched_exercises(student, source, tmp_path):
    path = student / source.name
    nb = nbformat.read(path, as_version=4)
    original = json.loads(source.read_text())["cells"]
    solutions = [c for c in original if is_solution(c)]
    assert solutions, f"{source.name}: the instructor's notebook has no solution cell to remove"
    assert not any(is_solution(c) or c.get("metadata", {}).get("jupyter", {}).get("source_hidden") for c in nb.cells)
    assert len(nb.cells) == len(original) - len(solutions), "only the solution cells are removed"
    out = tmp_path / source.name
    execute(path, out)  # from a fresh kernel in build/student/; raises, naming the cell, if anything fails
    text = _output_text(nbformat.read(out, as_version=4))

    reminders = [line for line in text.splitlines() if REMINDER in line]
    assert len(reminders) >= len(solutions), (
        f"{source.name}: {len(solutions)} exercises but {len(reminders)} reminders:\n" + "\n".join(reminders))
    missing = [name for name in sorted(_exercises(solutions))
               if not any(re.search(re.escape(name) + r"[: (]", r) for r in reminders)]
    assert missing == [], f"{source.name}: untouched exercises that printed no reminder: {missing}"
    assert "✓" not in text, f"{source.name}: an exercise passed without an answer"
