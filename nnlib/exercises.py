"""Automatic checks for the notebooks' exercises.

An exercise cell leaves a function or value for the learner to write; the cell after it
calls a checker from here. An untouched exercise (``None`` or ``...``) prints a reminder and
does not fail, so notebooks still run top to bottom; a wrong answer raises
:class:`ExerciseError` saying what is wrong (type, shape, which entries, a hint); a right
one prints a tick. The hidden solution cell calls the same checker with ``required=True``,
so CI proves every solution passes its own check.
"""
import numpy as np

from nnlib._arrays import to_numpy


class ExerciseError(AssertionError):
    """A learner's answer is wrong; the message says how."""


def _not_attempted(answer) -> bool:
    return answer is None or answer is Ellipsis


def _pending(name, required):
    if required:
        raise ExerciseError(f"{name}: no answer given (got None or ...)")
    print(f"… {name}: not attempted yet. Replace the `...` and run the cell again.")
    return False


def check(answer, expected, name, *, atol=1e-6, rtol=1e-5, hint="", required=False) -> bool:
    """Compare ``answer`` (number, array or tensor) with ``expected``; raise with a reason if wrong."""
    if _not_attempted(answer):
        return _pending(name, required)
    hint = f" Hint: {hint}" if hint else ""
    if isinstance(expected, tuple):  # several results, e.g. (weight, bias): check each in turn
        if not isinstance(answer, tuple) or len(answer) != len(expected):
            raise ExerciseError(f"{name}: expected a tuple of {len(expected)} results, got {type(answer).__name__}.{hint}")
        for i, (a, e) in enumerate(zip(answer, expected)):
            check(a, e, f"{name} [result {i}]", atol=atol, rtol=rtol, hint=hint, required=True)
        return True
    if isinstance(expected, str):
        if answer != expected:
            raise ExerciseError(f"{name}: {answer!r} is not the answer.{hint}")
        print(f"✓ {name}: correct.")
        return True
    got, want = to_numpy(answer), to_numpy(expected)
    if got.shape != want.shape:
        raise ExerciseError(f"{name}: expected shape {want.shape}, got {got.shape}.{hint}")
    if want.dtype == bool or np.issubdtype(want.dtype, np.integer):
        wrong = got != want
    else:
        if not np.all(np.isfinite(got)):
            raise ExerciseError(f"{name}: your answer contains NaN or inf.{hint}")
        wrong = ~np.isclose(got, want, atol=atol, rtol=rtol)
    if np.any(wrong):
        idx = tuple(int(i) for i in np.argwhere(wrong)[0]) if got.ndim else ()
        where = f" at index {idx}" if idx else ""
        raise ExerciseError(
            f"{name}: {int(np.sum(wrong))} of {wrong.size} values are wrong; "
            f"first{where}: expected {want[idx] if idx else want}, got {got[idx] if idx else got}.{hint}"
        )
    print(f"✓ {name}: correct.")
    return True


def check_function(fn, reference, inputs, name, *, atol=1e-6, rtol=1e-5, hint="", required=False) -> bool:
    """Call ``fn`` and ``reference`` on each input (a tuple of arguments, or one argument) and compare."""
    if _not_attempted(fn):
        return _pending(name, required)
    for i, args in enumerate(inputs):
        args = args if isinstance(args, tuple) else (args,)
        got = fn(*args)
        if _not_attempted(got):
            return _pending(name, required)
        check(got, reference(*args), f"{name} (test case {i + 1})", atol=atol, rtol=rtol, hint=hint, required=True)
    print(f"✓ {name}: all {len(inputs)} test cases pass.")
    return True


def check_true(condition, name, message, *, required=False) -> bool:
    """For answers judged by a property (e.g. 'your network reaches 95 %'): raise ``message`` if false."""
    if _not_attempted(condition):
        return _pending(name, required)
    if not condition:
        raise ExerciseError(f"{name}: {message}")
    print(f"✓ {name}: correct.")
    return True


def check_that(answer, predicate, name, message, *, required=False) -> bool:
    """For answers judged by a property of the answer: ``predicate(answer)`` must hold (e.g. ``lambda gap: gap < 1e-9``)."""
    if _not_attempted(answer):
        return _pending(name, required)
    return check_true(bool(predicate(answer)), name, message, required=True)
