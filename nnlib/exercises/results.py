"""Judging a function that returns several named results (a tuple of arrays), one result at a time.

``expect_function`` compares a tuple entry by entry as "result 0, result 1, ..."; when the entries have names
(``dX, dW, db``; ``precision, recall, f1``) the learner is told which one is wrong, in the order that helps most
(for gradients: the layer nearest the loss first, where a mistake shows up first).
"""
from nnlib.exercises.checks import ExerciseError, NotAttempted, expect_close, not_attempted


def expect_results(fn, reference, cases, names, *, check_order=None, atol=1e-6, rtol=1e-5, hint="") -> None:
    """``fn(*case)`` must return a tuple equal to ``reference(*case)``, entry by named entry, for every case.

    Each case is a tuple of arguments; the function gets copies, so it cannot change them for the next
    case. ``check_order``: the names in the order to compare (default: ``names``). A function whose body is
    still ``...`` (it returns ``None``) counts as not attempted.
    """
    if not callable(fn):
        raise ExerciseError(f"expected a function, got {type(fn).__name__}." + (f" Hint: {hint}" if hint else ""))
    for i, case in enumerate(cases):
        got = fn(*(a.copy() if hasattr(a, "copy") else a for a in case))
        if not_attempted(got):
            raise NotAttempted("your function")
        if not isinstance(got, tuple) or len(got) != len(names):
            length = f" of length {len(got)}" if isinstance(got, tuple) else ""
            raise ExerciseError(f"expected a tuple of {len(names)} results ({', '.join(names)}), got "
                                f"{type(got).__name__}{length}.")
        want = reference(*case)
        for name in check_order or names:
            k = names.index(name)
            expect_close(got[k], want[k], f"{name} (test case {i + 1})", atol=atol, rtol=rtol, hint=hint)
