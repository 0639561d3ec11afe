"""Exercises of notebook 01 (the single neuron)."""
from functools import lru_cache
from itertools import product

import numpy as np

from nnlib.exercises import Exercise, ExerciseError, expect, expect_close, expect_function, register
from nnlib.exercises._judging import expect_number, generators_kept

_CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
_RNG = np.random.default_rng(1)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- 01.1: the sigmoid neuron's output -------------------------------------------------------------
def _neuron_output(x, w, b):
    import nnlib.numpy as nn

    return nn.Sigmoid()(x @ w + b)


_NEURON_CASES = [
    (_RNG.normal(size=(20, 2)), np.array([1.0, -2.0]), 0.5),
    (_CORNERS, np.array([3.0, 3.0]), -4.0),
    (_CORNERS, np.zeros(2), 0.0),
]

register(Exercise(
    key="01.1", title="neuron_output",
    judge=lambda fn: expect_function(fn, _neuron_output, _NEURON_CASES,
                                     hint="first the weighted vote z = x @ w + b (shape (N,)), then the sigmoid of z"),
    wrong_answers={
        "forgets the bias": lambda: (lambda x, w, b: _sigmoid(x @ w)),
        "returns z, no sigmoid": lambda: (lambda x, w, b: x @ w + b),
        "returns shape (N, 1)": lambda: (lambda x, w, b: _sigmoid(x @ w + b)[:, None]),
        "sigmoid with the wrong sign": lambda: (lambda x, w, b: 1 / (1 + np.exp(x @ w + b))),
    },
))


# --- 01.2: NAND by hand --------------------------------------------------------------------------
_NAND = np.array([1.0, 1.0, 1.0, 0.0])


def _judge_nand(weights):
    expect(isinstance(weights, (tuple, list, np.ndarray)) and len(weights) == 3,
           f"expected three numbers (w1, w2, b), got {weights!r}.")
    w1, w2, b = (float(v) for v in weights)
    out = (_CORNERS @ np.array([w1, w2]) + b > 0).astype(float)
    wrong = [tuple(int(v) for v in _CORNERS[i]) for i in np.flatnonzero(out != _NAND)]
    expect(not wrong, f"wrong output for input(s) {wrong}. Hint: write the inequality each of the four inputs "
                      "demands (output 1 needs w . x + b > 0, output 0 needs <= 0) and pick numbers that meet all four.")


register(Exercise(
    key="01.2", title="NAND",
    judge=_judge_nand,
    wrong_answers={
        "AND's weights": lambda: (1.0, 1.0, -1.5),
        "no bias: (0, 0) cannot fire": lambda: (-1.0, -1.0, 0.0),
        "bias too small: single inputs fall below": lambda: (-1.0, -1.0, 0.5),
        "bias too large: (1, 1) fires too": lambda: (-1.0, -1.0, 2.5),
    },
))


# --- 01.3: how many truth tables one perceptron computes -----------------------------------------
@lru_cache(maxsize=None)
def _n_separable():
    """Count the 16 truth tables that some (w1, w2, b) on a grid reproduces (the notebook's brute force)."""
    grid = np.linspace(-3, 3, 61)
    W1, W2, B = (a.ravel() for a in np.meshgrid(grid, grid, grid))
    fires = (_CORNERS @ np.stack([W1, W2]) + B > 0)                  # (4, number of settings)
    codes = set((fires * np.array([[1], [2], [4], [8]])).sum(axis=0).tolist())
    return sum(1 for table in product([0, 1], repeat=4) if sum(v << i for i, v in enumerate(table)) in codes)


register(Exercise(
    key="01.3", title="learnable truth tables",
    judge=lambda n: expect_number(n, _n_separable(), "n_learnable", atol=0,
                                 hint="all but the tables that are not linearly separable; section 3 proved one of "
                                      "them, and its opposite fails for the same reason"),
    wrong_answers={
        "all of them": lambda: 16,
        "all but XOR": lambda: 15,
        "only AND, OR, NAND and NOR": lambda: 4,
    },
))


# --- 01.4: one gradient-descent step of logistic regression ---------------------------------------
def _logistic_step(w, b, X, t, lr):
    """nnlib's step: Linear(d, 1), BCEWithLogitsLoss, SGD(lr)."""
    import nnlib.numpy as nn

    with generators_kept():
        layer = nn.Linear(X.shape[1], 1)
    layer.weight.data[...] = w
    layer.bias.data[...] = b
    loss_fn, optimizer = nn.BCEWithLogitsLoss(), nn.SGD(layer.parameters(), lr=lr)
    loss_fn(layer(X), t[:, None])
    layer.backward(loss_fn.backward())
    optimizer.step()
    return layer.weight.data[0].copy(), float(layer.bias.data[0])


def _logistic_cases():
    rng = np.random.default_rng(11)
    cases = []
    for n, d in ((8, 2), (30, 3), (5, 1)):
        X = rng.normal(size=(n, d))
        t = (rng.uniform(size=n) < 0.5).astype(np.float64)
        cases.append((rng.normal(size=d), float(rng.normal()), X, t, 0.3))
    return cases


def _judge_logistic_step(fn):
    if not callable(fn):
        raise ExerciseError(f"expected a function logistic_step(w, b, X, t, lr), got {type(fn).__name__}.")
    for i, (w, b, X, t, lr) in enumerate(_logistic_cases()):
        got = fn(w.copy(), b, X.copy(), t.copy(), lr)
        if got is None or got is Ellipsis:
            from nnlib.exercises.checks import NotAttempted

            raise NotAttempted("logistic_step")
        expect(isinstance(got, tuple) and len(got) == 2, f"logistic_step must return a pair (new_w, new_b), got {got!r}.")
        want = _logistic_step(w, b, X, t, lr)
        expect_close((np.asarray(got[0], dtype=float), float(np.asarray(got[1]).reshape(-1)[0])), want,
                     f"(new_w, new_b) for test case {i + 1}",
                     hint="p = sigmoid(X @ w + b); the gradient is minus the average of (t - p) times x (and of "
                          "(t - p) for b); step against the gradient")


register(Exercise(
    key="01.4", title="logistic_step",
    judge=_judge_logistic_step,
    wrong_answers={
        "the perceptron's step instead of the sigmoid":
            lambda: (lambda w, b, X, t, lr: (w + lr * (t - (X @ w + b > 0)) @ X / len(X), b + lr * np.mean(t - (X @ w + b > 0)))),
        "steps uphill": lambda: (lambda w, b, X, t, lr: (w - lr * (t - _sigmoid(X @ w + b)) @ X / len(X),
                                                         b - lr * np.mean(t - _sigmoid(X @ w + b)))),
        "sums instead of averaging": lambda: (lambda w, b, X, t, lr: (w + lr * (t - _sigmoid(X @ w + b)) @ X,
                                                                      b + lr * np.sum(t - _sigmoid(X @ w + b)))),
        "forgets to update the bias": lambda: (lambda w, b, X, t, lr: (w + lr * (t - _sigmoid(X @ w + b)) @ X / len(X), b)),
    },
))
