"""book/editions.py's transformations of a notebook, on small notebooks made here (fast; the built
editions themselves are tested by test_book.py and test_student.py)."""
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book"))
import editions  # noqa: E402


def _notebook():
    solution = nbformat.v4.new_code_cell("answer_solution = 42\ncheck(answer_solution, 42, 'Exercise 1: x', required=True)")
    solution.metadata = {"jupyter": {"source_hidden": True}, "tags": ["solution"]}
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("**Exercise 1.** Give the answer."),
        nbformat.v4.new_code_cell("answer = ..."),
        nbformat.v4.new_code_cell("check(answer, 42, 'Exercise 1: x')"),
        solution,
    ])


def test_student_notebook_drops_only_the_solution_cells():
    nb = _notebook()
    student = editions.student_notebook(nb)
    assert [c.source for c in student.cells] == [c.source for c in nb.cells[:3]]
    assert len(nb.cells) == 4, "the instructor's notebook is left as it was"


def test_solutions_are_collapsed_behind_show_solution():
    nb = _notebook()
    editions._collapse_solutions(nb)
    cell = nb.cells[3]
    assert "hide-input" in cell.metadata["tags"] and "solution" in cell.metadata["tags"]
    assert cell.metadata["mystnb"]["code_prompt_show"] == "Show solution"
    assert all("mystnb" not in c.metadata for c in nb.cells[:3])


def test_a_progress_bar_widget_becomes_its_final_text():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("fit(...)")])
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={
        editions.WIDGET_VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0},
        "text/plain": "epochs:   0%|          | 0/4 [00:00<?, ?it/s]"})]
    model = {"box": {"children": ["IPY_MODEL_left", "IPY_MODEL_bar", "IPY_MODEL_right"], "_model_name": "HBoxModel"},
             "left": {"_model_name": "HTMLModel", "value": "epochs: 75%"},
             "bar": {"_model_name": "FloatProgressModel", "value": 3.0, "max": 4.0},
             "right": {"_model_name": "HTMLModel", "value": " 3/4 [00:01&lt;00:00]"}}
    nb.metadata["widgets"] = {editions.WIDGET_STATE: {"state": {k: {"state": v} for k, v in model.items()}}}
    editions._static_progress_bars(nb)
    assert nb.cells[0].outputs[0]["data"] == {"text/plain": "epochs: 75%|████████  |3/4 [00:01<00:00]"}
    assert "widgets" not in nb.metadata
