"""The exercise checkers: untouched answers pass quietly, wrong ones explain themselves."""
import numpy as np
import pytest
import torch

from nnlib.exercises import (
    Exercise,
    ExerciseError,
    check,
    check_function,
    check_that,
    check_true,
    expect_close,
    expect_function,
)


def test_untouched_exercise_prints_a_reminder_and_does_not_fail(capsys):
    assert check(None, 1.0, "ex") is None
    assert check(..., 1.0, "ex") is None
    assert "not attempted" in capsys.readouterr().out


def test_checks_return_nothing_so_a_cell_never_echoes_true_or_false(capsys):
    assert check(1.0, 1.0, "ex") is None
    assert "✓ ex: correct." in capsys.readouterr().out


def test_required_answer_must_be_given():
    with pytest.raises(ExerciseError, match="no answer"):
        check(None, 1.0, "ex", required=True)


def test_wrong_shape_and_wrong_value_are_named():
    with pytest.raises(ExerciseError, match=r"expected shape \(3,\), got \(2,\)"):
        check(np.zeros(2), np.zeros(3), "ex")
    with pytest.raises(ExerciseError, match=r"1 of 3 values are wrong; the first at index \(1,\) is 2.0 \(too large\).*Hint: think"):
        check(np.array([0.0, 2.0, 0.0]), np.zeros(3), "ex", hint="think")
    with pytest.raises(ExerciseError, match="NaN"):
        check(np.array([np.nan]), np.zeros(1), "ex")


def test_a_wrong_number_is_named_too_large_or_too_small_never_with_the_answer():
    with pytest.raises(ExerciseError, match=r"^ex: your answer: 0.5 is wrong \(too small\).$") as error:
        check(0.5, 0.693, "ex")
    assert "0.693" not in str(error.value)


def test_text_where_a_number_is_expected_is_refused_clearly():
    with pytest.raises(ExerciseError, match="expected a number or an array, got the text '0.5'"):
        expect_close("0.5", 0.5)


def test_right_answers_pass_for_arrays_tensors_and_functions():
    check(torch.ones(2), np.ones(2), "ex")
    check_function(lambda x: 2 * x, lambda x: x + x, [np.arange(3.0), (np.ones(2),)], "double")
    with pytest.raises(ExerciseError, match="test case 2"):
        check_function(lambda x: 2 * x if x.size == 3 else x, lambda x: x + x, [np.arange(3.0), np.ones(2)], "double")
    check_true(True, "ex", "never shown")
    with pytest.raises(ExerciseError, match="too slow"):
        check_true(False, "ex", "too slow")


def test_a_function_whose_body_is_still_dots_counts_as_not_attempted(capsys):
    def untouched(x):
        ...

    check_function(untouched, lambda x: x, [np.ones(2)], "ex")
    assert "not attempted" in capsys.readouterr().out


def test_a_function_that_raises_gets_a_house_style_message_naming_the_case_and_the_error():
    def forgot_the_transpose(x, W):
        return x @ W                                     # W is (H, C): x @ W.T was meant

    cases = [(np.ones((2, 3)), np.ones((3, 3))), (np.ones((2, 3)), np.ones((4, 3)))]
    with pytest.raises(ExerciseError, match=r"ex: your function \(test case 2\) raised ValueError: .*matmul") as error:
        check_function(forgot_the_transpose, lambda x, W: x @ W.T, cases, "ex", hint="mind the transpose")
    assert "(2, 3), (4, 3)" in str(error.value) and "Hint: mind the transpose" in str(error.value)
    assert error.value.__cause__ is None                  # the learner sees one message, not a chained traceback


def test_tuples_of_results_are_checked_one_by_one_and_the_hint_appears_once():
    check((np.ones(2), 3.0), (np.ones(2), 3.0), "pair")
    with pytest.raises(ExerciseError, match=r"\[result 1\]") as error:
        check((np.ones(2), 2.0), (np.ones(2), 3.0), "pair", hint="look again")
    assert str(error.value).count("Hint:") == 1
    with pytest.raises(ExerciseError, match="tuple of 2"):
        check(np.ones(2), (np.ones(2), 3.0), "pair")


def test_text_answers_and_property_checks():
    check("bias", "bias", "ex")
    with pytest.raises(ExerciseError, match="'weight' is not the answer"):
        check("weight", "bias", "ex")
    assert check_that(..., lambda g: g < 1, "ex", "too big") is None
    check_that(0.5, lambda g: g < 1, "ex", "too big")
    with pytest.raises(ExerciseError, match="too big"):
        check_that(2.0, lambda g: g < 1, "ex", "too big")


def _square_exercise():
    return Exercise(
        key="99.1", title="square",
        judge=lambda fn: expect_function(fn, np.square, [np.arange(3.0)], hint="multiply x by itself"),
        wrong_answers={"doubles": lambda: (lambda x: 2 * x), "identity": lambda: (lambda x: x)},
    )


def test_an_exercise_names_itself_in_every_message(capsys):
    ex = _square_exercise()
    ex.check(...)
    ex.check(lambda x: x * x)
    out = capsys.readouterr().out
    assert "… Exercise 99.1 (square): not attempted" in out and "✓ Exercise 99.1 (square): correct." in out
    with pytest.raises(ExerciseError, match=r"^Exercise 99.1 \(square\): .*Hint: multiply x by itself"):
        ex.check(lambda x: 2 * x)
    with pytest.raises(ExerciseError, match="no answer"):
        ex.check(None, required=True)
