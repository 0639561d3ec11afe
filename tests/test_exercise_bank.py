"""Every exercise of the course (COURSE.md, section 5): each declared wrong answer is rejected,
each notebook checks and solves every exercise it declares, and no solution shows its answer.

The solutions themselves are proven right where they live: nbval runs each notebook's hidden
solution cell, which calls the same check with ``required=True``.
"""
import json
import re
from pathlib import Path

import pytest

from nnlib.exercises import ExerciseError, all_exercises

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {p.name[:2]: p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
EXERCISES = all_exercises()
CASES = [(ex, label) for ex in EXERCISES for label in ex.wrong_answers]
CALL = re.compile(r"""exercise\(\s*["'](\d\d\.\d+)["']\s*\)\.check\(""")


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _is_solution(cell):
    return "solution" in cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("ex,label", CASES, ids=[f"{ex.key}-{label}" for ex, label in CASES])
def test_declared_wrong_answer_is_rejected(ex, label):
    context = ex.context() if ex.context else {}
    wrong = ex.wrong_answers[label](**context)
    with pytest.raises(ExerciseError):
        ex.check(wrong, required=True, **context)


@pytest.mark.parametrize("ex", EXERCISES, ids=[ex.key for ex in EXERCISES])
def test_every_exercise_is_checked_and_solved_in_its_notebook(ex):
    path = NOTEBOOKS.get(ex.key.split(".")[0])
    assert path is not None, f"exercise {ex.key} has no notebook"
    cells = [c for c in _cells(path) if c["cell_type"] == "code"]
    visible = [c for c in cells if not _is_solution(c) and ex.key in CALL.findall("".join(c["source"]))]
    hidden = [c for c in cells if _is_solution(c) and ex.key in CALL.findall("".join(c["source"]))]
    assert visible, f"{path.name}: no visible check cell for exercise {ex.key}"
    assert hidden, f"{path.name}: no solution cell checks exercise {ex.key}"
    assert all("required=True" in "".join(c["source"]) for c in hidden), \
        f"{path.name}: the solution of {ex.key} must call check(..., required=True)"


@pytest.mark.parametrize("path", list(NOTEBOOKS.values()), ids=lambda p: p.name)
def test_every_notebook_has_at_least_two_registered_exercises(path):
    keys = [ex.key for ex in EXERCISES if ex.key.startswith(path.name[:2] + ".")]
    assert len(keys) >= 2, f"{path.name} declares {len(keys)} exercises in nnlib/exercises/nb{path.name[:2]}.py"


@pytest.mark.parametrize("path", list(NOTEBOOKS.values()), ids=lambda p: p.name)
def test_notebook_checks_only_declared_exercises(path):
    declared = {ex.key for ex in EXERCISES}
    used = {k for c in _cells(path) if c["cell_type"] == "code" for k in CALL.findall("".join(c["source"]))}
    assert used <= declared, f"{path.name} checks undeclared exercises {sorted(used - declared)}"
    assert all(k.startswith(path.name[:2] + ".") for k in used), f"{path.name} checks another notebook's exercise"


def _last_statement_is_an_expression(source):
    import ast

    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and isinstance(body[-1], ast.Expr) and not (
        isinstance(body[-1].value, ast.Call) and getattr(body[-1].value.func, "attr", "") == "check"
    )


def _solution_cells():
    for path in NOTEBOOKS.values():
        for i, cell in enumerate(_cells(path)):
            if cell["cell_type"] == "code" and _is_solution(cell):
                yield path, i, "".join(cell["source"])


@pytest.mark.parametrize("path,index,source", list(_solution_cells()), ids=lambda v: str(v)[-40:] if isinstance(v, Path) else None)
def test_solution_cells_print_nothing_that_gives_the_answer_away(path, index, source):
    assert CALL.search(source), f"{path.name} cell {index}: a solution cell that checks no registered exercise"
    assert "print(" not in source and "display(" not in source, f"{path.name} cell {index}: a solution prints"
    assert not _last_statement_is_an_expression(source), f"{path.name} cell {index}: a solution echoes a value"
