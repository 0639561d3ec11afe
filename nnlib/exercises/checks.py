"""The comparisons exercises are judged by, silent and loud.

The silent ``expect_*`` functions raise :class:`ExerciseError` with a reason when an answer is
wrong and return ``None`` when it is right: an :class:`~nnlib.exercises.Exercise` judge is built from
them. The loud ``check*`` functions wrap them for use directly in a notebook cell: a reminder for
an untouched answer, a tick for a right one, the error for a wrong one. None of them returns a
value, so a check cell never echoes ``True`` or ``False`` under an exercise.
"""
import numpy as np

from nnlib._checks import to_numpy


class ExerciseError(AssertionError):
    """A learner's answer is wrong; the message says how."""


def not_attempted(answer) -> bool:
    """``None`` or ``...``: the learner has not written this answer yet."""
    return answer is None or answer is Ellipsis


def _with_hint(message, hint):
    return f"{message} Hint: {hint}" if hint else message


def expect_close(answer, expected, what="your answer", *, atol=1e-6, rtol=1e-5, hint="") -> None:
    """``answer`` (number, array, tensor, text, or a tuple of these) must equal ``expected``.

    Numbers are compared with ``np.isclose(answer, expected, atol, rtol)``; integers, booleans and
    text exactly. A tuple is compared entry by entry.
    """
    if isinstance(expected, tuple):  # several results, e.g. (weight, bias): check each in turn
        if not isinstance(answer, tuple) or len(answer) != len(expected):
            raise ExerciseError(_with_hint(
                f"{what}: expected a tuple of {len(expected)} results, got {type(answer).__name__}.", hint))
        for i, (a, e) in enumerate(zip(answer, expected)):
            expect_close(a, e, f"{what} [result {i}]", atol=atol, rtol=rtol, hint=hint)
        return
    if isinstance(expected, str):
        if answer != expected:
            raise ExerciseError(_with_hint(f"{what}: {answer!r} is not the answer.", hint))
        return
    if isinstance(answer, str):
        raise ExerciseError(_with_hint(f"{what}: expected a number or an array, got the text {answer!r}.", hint))
    got, want = to_numpy(answer), to_numpy(expected)
    if got.dtype == object or not (np.issubdtype(got.dtype, np.number) or got.dtype == bool):
        raise ExerciseError(_with_hint(f"{what}: expected numbers, got {type(answer).__name__} of dtype {got.dtype}.", hint))
    if got.shape != want.shape:
        raise ExerciseError(_with_hint(f"{what}: expected shape {want.shape}, got {got.shape}.", hint))
    if want.dtype == bool or np.issubdtype(want.dtype, np.integer):
        wrong = got != want
    else:
        if not np.all(np.isfinite(got)):
            raise ExerciseError(_with_hint(f"{what}: contains NaN or inf.", hint))
        wrong = ~np.isclose(got, want, atol=atol, rtol=rtol)
    if np.any(wrong):
        # Never print the expected value: for a one-number answer that would hand it over.
        idx = tuple(int(i) for i in np.argwhere(wrong)[0]) if got.ndim else ()
        g, w = (got[idx], want[idx]) if idx else (got[()], want[()])
        side = "" if want.dtype == bool else (" (too large)" if g > w else " (too small)")
        if wrong.size == 1:
            raise ExerciseError(_with_hint(f"{what}: {g} is wrong{side}.", hint))
        raise ExerciseError(_with_hint(
            f"{what}: {int(np.sum(wrong))} of {wrong.size} values are wrong; "
            f"the first at index {idx} is {g}{side}.", hint))


def expect_function(fn, reference, inputs, what="your function", *, atol=1e-6, rtol=1e-5, hint="") -> None:
    """``fn(*args)`` must equal ``reference(*args)`` for every ``args`` in ``inputs``.

    Each input is a tuple of arguments or a single argument. A function whose body is still ``...``
    (it returns ``None``) counts as not attempted: :class:`NotAttempted` is raised. A function that raises
    (say NumPy's shape error from a forgotten transpose) gets an :class:`ExerciseError` naming the test case
    and the exception, instead of a traceback from deep inside the learner's code.
    """
    if not callable(fn):
        raise ExerciseError(_with_hint(f"{what}: expected a function, got {type(fn).__name__}.", hint))
    for i, args in enumerate(inputs):
        args = args if isinstance(args, tuple) else (args,)
        try:
            got = fn(*args)
        except (ExerciseError, NotAttempted):
            raise
        except Exception as error:              # the learner's bug, reported in the house style
            shapes = ", ".join(str(getattr(a, "shape", type(a).__name__)) for a in args)
            raise ExerciseError(_with_hint(
                f"{what} (test case {i + 1}) raised {type(error).__name__}: {error} "
                f"(its arguments had shapes/types: {shapes}).", hint)) from None
        if not_attempted(got):
            raise NotAttempted(what)
        expect_close(got, reference(*args), f"{what} (test case {i + 1})", atol=atol, rtol=rtol, hint=hint)


def expect(condition, message) -> None:
    """For answers judged by a property: raise ``message`` when ``condition`` is false."""
    if not condition:
        raise ExerciseError(message)


class NotAttempted(Exception):
    """Raised inside a judge when the answer turns out to be untouched (a function returning ``...``)."""


def _pending(name, required):
    if required:
        raise ExerciseError(f"{name}: no answer given (got None or ...)")
    print(f"… {name}: not attempted yet. Replace the `...` and run the cell again.")


def _loud(name, required, answer, judge) -> None:
    if not_attempted(answer):
        return _pending(name, required)
    try:
        judge()
    except NotAttempted:
        return _pending(name, required)
    except ExerciseError as error:
        raise ExerciseError(f"{name}: {error}") from None
    print(f"✓ {name}: correct.")


def check(answer, expected, name, *, atol=1e-6, rtol=1e-5, hint="", required=False) -> None:
    """Compare ``answer`` with ``expected`` (see :func:`expect_close`) and say so."""
    _loud(name, required, answer, lambda: expect_close(answer, expected, "your answer", atol=atol, rtol=rtol, hint=hint))


def check_function(fn, reference, inputs, name, *, atol=1e-6, rtol=1e-5, hint="", required=False) -> None:
    """Call ``fn`` and ``reference`` on each input and compare (see :func:`expect_function`)."""
    _loud(name, required, fn, lambda: expect_function(fn, reference, inputs, "your function", atol=atol, rtol=rtol, hint=hint))


def check_true(condition, name, message, *, required=False) -> None:
    """For answers judged by a property (e.g. 'your network reaches 95 %'): raise ``message`` if false."""
    _loud(name, required, condition, lambda: expect(condition, message))


def check_that(answer, predicate, name, message, *, required=False) -> None:
    """``predicate(answer)`` must hold (e.g. ``lambda gap: gap < 1e-9``)."""
    _loud(name, required, answer, lambda: expect(bool(predicate(answer)), message))
