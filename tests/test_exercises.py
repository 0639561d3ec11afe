"""The exercise checkers: untouched answers pass quietly, wrong ones explain themselves."""
import numpy as np
import pytest
import torch

from nnlib.exercises import ExerciseError, check, check_function, check_that, check_true


def test_untouched_exercise_prints_a_reminder_and_does_not_fail(capsys):
    assert check(None, 1.0, "ex") is False
    assert check(..., 1.0, "ex") is False
    assert "not attempted" in capsys.readouterr().out


def test_required_answer_must_be_given():
    with pytest.raises(ExerciseError, match="no answer"):
        check(None, 1.0, "ex", required=True)


def test_wrong_shape_and_wrong_value_are_named():
    with pytest.raises(ExerciseError, match=r"expected shape \(3,\), got \(2,\)"):
        check(np.zeros(2), np.zeros(3), "ex")
    with pytest.raises(ExerciseError, match=r"1 of 3 values are wrong; first at index \(1,\).*Hint: think"):
        check(np.array([0.0, 2.0, 0.0]), np.zeros(3), "ex", hint="think")
    with pytest.raises(ExerciseError, match="NaN"):
        check(np.array([np.nan]), np.zeros(1), "ex")


def test_right_answers_pass_for_arrays_tensors_and_functions():
    assert check(torch.ones(2), np.ones(2), "ex")
    assert check_function(lambda x: 2 * x, lambda x: x + x, [np.arange(3.0), (np.ones(2),)], "double")
    with pytest.raises(ExerciseError, match="test case 2"):
        check_function(lambda x: 2 * x if x.size == 3 else x, lambda x: x + x, [np.arange(3.0), np.ones(2)], "double")
    assert check_true(True, "ex", "never shown")
    with pytest.raises(ExerciseError, match="too slow"):
        check_true(False, "ex", "too slow")


def test_tuples_of_results_are_checked_one_by_one():
    assert check((np.ones(2), 3.0), (np.ones(2), 3.0), "pair")
    with pytest.raises(ExerciseError, match=r"\[result 1\]"):
        check((np.ones(2), 2.0), (np.ones(2), 3.0), "pair")
    with pytest.raises(ExerciseError, match="tuple of 2"):
        check(np.ones(2), (np.ones(2), 3.0), "pair")


def test_text_answers_and_property_checks():
    assert check("bias", "bias", "ex")
    with pytest.raises(ExerciseError, match="'weight' is not the answer"):
        check("weight", "bias", "ex")
    assert check_that(..., lambda g: g < 1, "ex", "too big") is False
    assert check_that(0.5, lambda g: g < 1, "ex", "too big")
    with pytest.raises(ExerciseError, match="too big"):
        check_that(2.0, lambda g: g < 1, "ex", "too big")
