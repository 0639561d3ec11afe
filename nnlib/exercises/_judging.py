"""Helpers for the judges of notebooks 00-04: a seeded reference that leaves the learner's random
state alone, and a number compared without giving the expected value away."""
from contextlib import contextmanager
from numbers import Real

import numpy as np

from nnlib.exercises.checks import ExerciseError, expect_close


@contextmanager
def generators_kept():
    """Restore nnlib's NumPy generator and torch's global generator after the block."""
    import torch

    import nnlib.random

    saved, saved_torch = nnlib.random._generator, torch.get_rng_state()
    try:
        yield
    finally:
        nnlib.random._generator = saved
        torch.set_rng_state(saved_torch)


def expect_number(answer, target, what, *, atol, hint="") -> None:
    """``answer`` must be one real number within ``atol`` of ``target``.

    The message says "too large" or "too small", never the target: for an exercise whose answer is
    one number, printing the expected value would hand it over after the first wrong try.
    """
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if hasattr(answer, "item") and not isinstance(answer, np.ndarray):   # a 0-d tensor or a NumPy scalar
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, Real):
        raise ExerciseError(f"{what}: expected one number, got {answer!r}.")
    if not np.isfinite(answer):
        raise ExerciseError(f"{what}: expected a finite number, got {answer}.")
    expect_close(answer, target, what, atol=atol, rtol=0, hint=hint)  # says too large / too small, never the target
