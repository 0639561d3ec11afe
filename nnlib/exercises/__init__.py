"""Exercises that check themselves and cannot be fooled (COURSE.md, section 5).

Every exercise of the course is declared once, in ``nnlib/exercises/nbNN.py`` for notebook NN, as an
:class:`Exercise`: a key (``"02.1"``: notebook 02, exercise 1), a title, a *judge* that raises
:class:`ExerciseError` with a reason when an answer is wrong, and at least two *typical wrong
answers* a learner might give. The test suite proves that each declared wrong answer is rejected;
running the notebook proves that its hidden solution is accepted.

In a notebook, the visible check cell after an exercise is one line::

    from nnlib.exercises import exercise
    exercise("02.1").check(sigmoid_prime)

It prints a reminder while the answer is still ``...`` (so Run All never fails on an untouched
exercise), a tick when the answer is right, and raises an error that says what is wrong (with a
hint) otherwise. It returns nothing, so the cell never echoes ``True`` or ``False``. The hidden
solution cell (tags ``["solution"]``, source hidden) uses its own names and calls::

    exercise("02.1").check(sigmoid_prime_solution, required=True)

Judges that need the notebook's data receive it as keywords: ``exercise("07.2").check(model,
X_val=X_val, y_val=y_val)``; such an exercise also declares ``context``, a function that builds the
same keywords for the tests. Wrong answers are declared as factories ``lambda **context: answer``, so
they can be built from that context too.

Declaring one::

    register(Exercise(
        key="02.1", title="sigmoid_prime",
        judge=lambda fn: expect_function(fn, _sigmoid_prime, _INPUTS, hint="sigma'(z) = ..."),
        wrong_answers={
            "the sigmoid itself": lambda: (lambda z: 1 / (1 + np.exp(-z))),
            "forgets the 1 -": lambda: (lambda z: (1 / (1 + np.exp(-z))) ** 2),
        },
    ))
"""
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable

from nnlib.exercises.checks import (
    ExerciseError,
    NotAttempted,
    check,
    check_function,
    check_that,
    check_true,
    expect,
    expect_close,
    expect_function,
    not_attempted,
)

__all__ = [
    "Exercise", "ExerciseError", "exercise", "register", "all_exercises",
    "expect", "expect_close", "expect_function",
    "check", "check_function", "check_true", "check_that",
]

_REGISTRY: dict = {}


@dataclass(frozen=True)
class Exercise:
    """One exercise: how it is judged, and the wrong answers it must reject.

    ``judge(answer, **context)`` returns nothing when ``answer`` is right and raises
    :class:`ExerciseError` (from the ``expect*`` functions) saying what is wrong otherwise; hints go
    in that message only. ``wrong_answers`` maps a description to a factory ``(**context) -> answer``.
    ``context`` builds the keywords the judge needs (for the tests), or is ``None``.
    """

    key: str
    title: str
    judge: Callable
    wrong_answers: dict
    context: Callable | None = None
    notes: str = field(default="", compare=False)

    @property
    def name(self) -> str:
        return f"Exercise {self.key} ({self.title})"

    def check(self, answer, *, required: bool = False, **context) -> None:
        """Judge ``answer``: a reminder if untouched, a tick if right, an :class:`ExerciseError` if wrong."""
        if not_attempted(answer):
            return self._pending(required)
        try:
            self.judge(answer, **context)
        except NotAttempted:
            return self._pending(required)
        except ExerciseError as error:
            raise ExerciseError(f"{self.name}: {error}") from None
        print(f"✓ {self.name}: correct.")

    def _pending(self, required):
        if required:
            raise ExerciseError(f"{self.name}: no answer given (got None or ...)")
        print(f"… {self.name}: not attempted yet. Replace the `...` and run the cell again.")


def register(ex: Exercise) -> Exercise:
    """Add ``ex`` to the course's exercises (keys are unique; at least two wrong answers)."""
    if ex.key in _REGISTRY and _REGISTRY[ex.key] != ex:
        raise ValueError(f"exercise {ex.key!r} is declared twice")
    if len(ex.wrong_answers) < 2:
        raise ValueError(f"exercise {ex.key!r} declares {len(ex.wrong_answers)} wrong answers; at least 2 are needed")
    _REGISTRY[ex.key] = ex
    return ex


def exercise(key: str) -> Exercise:
    """The exercise ``key`` (``"NN.k"``), loading ``nnlib.exercises.nbNN`` on first use."""
    notebook = key.split(".")[0]
    if key not in _REGISTRY:
        try:
            importlib.import_module(f"nnlib.exercises.nb{notebook}")
        except ModuleNotFoundError:
            pass
    if key not in _REGISTRY:
        raise KeyError(f"no exercise {key!r}; known: {sorted(_REGISTRY)}")
    return _REGISTRY[key]


def all_exercises() -> list:
    """Every declared exercise of the course, in key order (imports every ``nbNN`` module)."""
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("nb"):
            importlib.import_module(f"{__name__}.{info.name}")
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
