"""The exercises of notebook 19 (experiments and hyperparameters), each with its typical wrong answers."""
import numpy as np

from nnlib.exercises import Exercise, register
from nnlib.exercises.checks import NotAttempted, expect, expect_function
from nnlib.experiments import t_quantile

# --- 19.1: the t-interval of a mean over seeds -----------------------------------------------------


def _t_interval(values):
    x = np.asarray(values, dtype=np.float64)
    half = t_quantile(0.95, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return float(x.mean() - half), float(x.mean() + half)


_SAMPLES = [np.array([0.91, 0.93, 0.92]),
            np.array([0.905, 0.931, 0.887, 0.94, 0.921]),
            np.random.default_rng(19).normal(0.93, 0.02, 20)]

register(Exercise(
    key="19.1", title="a 95 % t-interval",
    judge=lambda fn: expect_function(
        fn, _t_interval, _SAMPLES, "mean_interval",
        hint="mean +- t_quantile(0.95, n - 1) * s / sqrt(n), with s = x.std(ddof=1)"),
    wrong_answers={
        "the normal quantile 1.96 instead of t": lambda: (
            lambda x: (np.mean(x) - 1.96 * np.std(x, ddof=1) / np.sqrt(len(x)),
                       np.mean(x) + 1.96 * np.std(x, ddof=1) / np.sqrt(len(x)))),
        "np.std's default ddof=0": lambda: (
            lambda x: (np.mean(x) - t_quantile(0.95, len(x) - 1) * np.std(x) / np.sqrt(len(x)),
                       np.mean(x) + t_quantile(0.95, len(x) - 1) * np.std(x) / np.sqrt(len(x)))),
        "the spread of the runs, not of their mean (no sqrt(n))": lambda: (
            lambda x: (np.mean(x) - t_quantile(0.95, len(x) - 1) * np.std(x, ddof=1),
                       np.mean(x) + t_quantile(0.95, len(x) - 1) * np.std(x, ddof=1))),
        "n degrees of freedom instead of n - 1": lambda: (
            lambda x: (np.mean(x) - t_quantile(0.95, len(x)) * np.std(x, ddof=1) / np.sqrt(len(x)),
                       np.mean(x) + t_quantile(0.95, len(x)) * np.std(x, ddof=1) / np.sqrt(len(x)))),
    },
))

# --- 19.2: drawing learning rates for a random search ----------------------------------------------

_LOW, _HIGH, _DRAWS = 1e-4, 1e-1, 20_000


def _judge_sampler(fn):
    expect(callable(fn), f"expected a function sample_lr(rng, n), got {type(fn).__name__}.")
    draws = fn(np.random.default_rng(0), _DRAWS)
    if draws is None or draws is Ellipsis:
        raise NotAttempted("sample_lr")
    draws = np.asarray(draws, dtype=np.float64)
    expect(draws.shape == (_DRAWS,), f"sample_lr(rng, {_DRAWS}) should return {_DRAWS} learning rates, got shape {draws.shape}.")
    outside = (draws < _LOW) | (draws > _HIGH)
    if outside.any():
        expect(False, f"{outside.mean():.0%} of your learning rates lie outside [1e-4, 1e-1] (e.g. {draws[outside][0]:.3g}). "
                      "Hint: an exponent drawn from [-4, -1] is not yet a learning rate.")
    expect(not np.array_equal(draws, fn(np.random.default_rng(1), _DRAWS)),
           "two different generators gave the same learning rates: that is a grid, not a random search. Hint: draw with rng.")
    expect(np.array_equal(draws, np.asarray(fn(np.random.default_rng(0), _DRAWS), dtype=np.float64)),
           "two generators with the same seed gave different learning rates: the draws must come from rng, so that a "
           "search can be repeated. Hint: call rng's own methods, not np.random's global ones.")
    per_decade = [np.mean(draws < 1e-3), np.mean(draws < 1e-2)]
    expect(abs(per_decade[0] - 1 / 3) < 0.02 and abs(per_decade[1] - 2 / 3) < 0.02,
           f"{per_decade[0]:.0%} of your draws are below 1e-3 and {per_decade[1]:.0%} below 1e-2; log-uniform puts a third "
           "in each decade (33 % and 67 %). Hint: draw the exponent uniformly, then take 10 ** exponent.")


register(Exercise(
    key="19.2", title="log-uniform learning rates",
    judge=_judge_sampler,
    wrong_answers={
        "uniform on [1e-4, 1e-1]": lambda: (lambda rng, n: rng.uniform(1e-4, 1e-1, n)),
        "the exponent, not the learning rate": lambda: (lambda rng, n: rng.uniform(-4, -1, n)),
        "a log-spaced grid, not random": lambda: (lambda rng, n: np.logspace(-4, -1, n)),
        "ignores rng: draws from NumPy's global generator": lambda: (lambda rng, n: 10.0 ** np.random.uniform(-4, -1, n)),
        "the natural log's range with base 10": lambda: (lambda rng, n: 10 ** rng.uniform(np.log(1e-4), np.log(1e-1), n)),
    },
))

# --- 19.3: comparing two configurations on the same splits ----------------------------------------


def _paired_interval(a, b):
    return _t_interval(np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64))


def _unpaired_interval(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    n = len(a)
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    half = t_quantile(0.95, 2 * n - 2) * pooled * np.sqrt(2 / n)
    return float(b.mean() - a.mean() - half), float(b.mean() - a.mean() + half)


_rng = np.random.default_rng(3)
_split_effect = _rng.normal(0, 0.02, (3, 8))   # some splits are harder for both configurations
_PAIRS = [(0.90 + e + _rng.normal(0, 0.005, 8), 0.91 + e + _rng.normal(0, 0.005, 8)) for e in _split_effect]

register(Exercise(
    key="19.3", title="a paired interval",
    judge=lambda fn: expect_function(
        fn, _paired_interval, _PAIRS, "paired_interval",
        hint="one difference per split, d = b - a, then the t-interval of the mean of d"),
    wrong_answers={
        "unpaired (two independent samples)": lambda: _unpaired_interval,
        "pairs the runs after sorting each side": lambda: (lambda a, b: _paired_interval(np.sort(a), np.sort(b))),
        "a minus b": lambda: (lambda a, b: _paired_interval(b, a)),
    },
))
