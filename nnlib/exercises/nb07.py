"""Exercises of notebook 07, training on real data."""
import math

import numpy as np

from nnlib.exercises import Exercise, ExerciseError, expect_function, register
from nnlib.exercises.results import expect_results


def _with_constant_column(rng, shape, missing=0.0):
    a = rng.normal(5.0, 3.0, size=shape)
    a[:, 1] = 0.0                                   # a feature that never varies in the data
    if missing:
        a[rng.random(shape) < missing] = np.nan
    return a


_rng = np.random.default_rng(71)
_SCALE_CASES = [(_with_constant_column(_rng, (20, 4)), _rng.normal(5.0, 3.0, size=(7, 4))),
                (_with_constant_column(_rng, (9, 3)), _rng.normal(size=(3, 3)))]


# --- 07.1 standardization by hand ----------------------------------------------------------------
def _standardize(train, other):
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (train - mean) / std, (other - mean) / std


def _each_own_statistics(train, other):
    own = lambda a: (a - a.mean(axis=0)) / np.where(a.std(axis=0) > 0, a.std(axis=0), 1.0)
    return own(train), own(other)


def _unguarded(train, other):
    with np.errstate(divide="ignore", invalid="ignore"):
        return (train - train.mean(0)) / train.std(0), (other - train.mean(0)) / train.std(0)


register(Exercise(
    key="07.1", title="standardization",
    judge=lambda fn: expect_results(
        fn, _standardize, _SCALE_CASES, ("train_z", "other_z"), atol=1e-9,
        hint="both arrays use the mean and standard deviation of the TRAINING array, per feature (axis=0); "
             "a feature that is constant in the training array keeps sigma = 1"),
    wrong_answers={
        "each array standardized with its own statistics": lambda: _each_own_statistics,
        "divides by a zero standard deviation": lambda: _unguarded,
        "divides by the variance": lambda: (
            lambda train, other: tuple((a - train.mean(0)) / np.where(train.var(0) > 0, train.var(0), 1.0)
                                       for a in (train, other))),
    },
))


# --- 07.2 mean imputation by hand ----------------------------------------------------------------
_IMPUTE_CASES = [(_with_constant_column(_rng, (30, 5), missing=0.2), _with_constant_column(_rng, (8, 5), missing=0.3)),
                 (_with_constant_column(_rng, (12, 3), missing=0.1), _rng.normal(size=(4, 3)))]


def _impute(train, other):
    fill = np.nanmean(train, axis=0)
    return np.where(np.isnan(train), fill, train), np.where(np.isnan(other), fill, other)


register(Exercise(
    key="07.2", title="mean imputation",
    judge=lambda fn: expect_results(
        fn, _impute, _IMPUTE_CASES, ("train_filled", "other_filled"), atol=1e-9,
        hint="a missing value of feature j becomes the mean of the values of feature j that the TRAINING array "
             "does have (NumPy has a mean that skips NaN); the other array is filled with the same values"),
    wrong_answers={
        "fills the holes with 0": lambda: (lambda train, other: (np.nan_to_num(train), np.nan_to_num(other))),
        "fills the other array with its own means": lambda: (
            lambda train, other: (_impute(train, train)[0], _impute(other, other)[0])),
        "one mean over all features": lambda: (
            lambda train, other: tuple(np.where(np.isnan(a), np.nanmean(train), a) for a in (train, other))),
    },
))


# --- 07.3 how many optimizer steps fit takes -----------------------------------------------------
def _steps_taken(n_samples, batch_size, epochs):
    """Count the optimizer steps of a real nnlib.train.fit on n_samples examples (the reference)."""
    import nnlib.numpy as nn
    from nnlib.train import fit

    class CountingSGD(nn.SGD):
        steps = 0

        def step(self):
            CountingSGD.steps += 1
            super().step()

    model = nn.Linear(2, 3)
    data = (np.zeros((n_samples, 2)), np.arange(n_samples) % 3)
    fit(model, nn.CrossEntropyLoss(), CountingSGD(model.parameters(), lr=0.0), data, epochs=epochs,
        batch_size=batch_size, progress=False)
    return CountingSGD.steps


_STEP_CASES = [(100, 32, 1), (96, 32, 2), (10, 64, 5), (65, 8, 3), (1, 1, 4)]


def _judge_steps(fn):
    expect_function(fn, _steps_taken, _STEP_CASES, atol=0, rtol=0,
                    hint="each epoch makes one step per mini-batch, and the last, smaller batch is a batch too")
    for case in _STEP_CASES:
        if not isinstance(fn(*case), (int, np.integer)):
            raise ExerciseError(f"a number of steps is a whole number, got {fn(*case)!r} for {case}.")


register(Exercise(
    key="07.3", title="steps per run",
    judge=_judge_steps,
    wrong_answers={
        "drops the last, smaller batch": lambda: (lambda n, b, e: n // b * e),
        "a fractional number of batches": lambda: (lambda n, b, e: n / b * e),
        "forgets the epochs": lambda: (lambda n, b, e: math.ceil(n / b)),
    },
))
