"""Exercises of notebook 02 (activation functions)."""
from contextlib import contextmanager

import numpy as np

from nnlib.exercises import Exercise, ExerciseError, expect_function, register
from nnlib.exercises._judging import expect_number

_INPUTS = [np.array([0.0]), np.linspace(-10, 10, 41), np.random.default_rng(2).normal(0, 3, size=(4, 6))]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- 02.1: the sigmoid's derivative --------------------------------------------------------------
def _sigmoid_prime(z):
    import nnlib.numpy as nn

    sigmoid = nn.Sigmoid()
    sigmoid(z)
    return sigmoid.backward(np.ones_like(z))   # what the library's backward computes


register(Exercise(
    key="02.1", title="sigmoid_prime",
    judge=lambda fn: expect_function(fn, _sigmoid_prime, _INPUTS,
                                     hint="the table of section 2 writes sigma' in terms of sigma's output; compute "
                                          "sigma(z) first"),
    wrong_answers={
        "the sigmoid itself": lambda: _sigmoid,
        "z (1 - z): the input in place of the output": lambda: (lambda z: z * (1 - z)),
        "sigma squared": lambda: (lambda z: _sigmoid(z) ** 2),
    },
))


# --- 02.2: tanh from the sigmoid, and only from it ---------------------------------------------------
@contextmanager
def _stretched_sigmoids():
    """While inside, every nnlib ``Sigmoid`` computes sigma(x / 2) instead of sigma(x).

    A function built from ``nn.Sigmoid`` then returns tanh(z / 2) instead of tanh(z) (every identity
    tanh(z) = g(sigma(a z)) turns into g(sigma(a z / 2)) = tanh(z / 2)); one that calls ``np.tanh`` or
    ``np.exp`` directly does not notice the change.
    """
    import nnlib.numpy
    import nnlib.torch

    classes = {nnlib.numpy.Sigmoid, nnlib.torch.Sigmoid}
    saved = {cls: cls.__dict__.get("forward") for cls in classes}
    originals = {cls: cls.forward for cls in classes}     # all looked up before any is replaced
    try:
        for cls, original in originals.items():
            cls.forward = lambda self, x, original=original: original(self, x / 2)
        yield
    finally:
        for cls, forward in saved.items():
            if forward is None:
                del cls.forward
            else:
                cls.forward = forward


def _judge_tanh_from_sigmoid(fn):
    expect_function(fn, np.tanh, _INPUTS, hint="compare the ranges (0, 1) and (-1, 1): stretch and shift the output; "
                                               "compare the slopes at 0 (1/4 and 1): scale the input")
    with _stretched_sigmoids():
        got = [np.asarray(fn(z.copy()), dtype=np.float64) for z in _INPUTS]
    if not all(np.allclose(g, np.tanh(z / 2), atol=1e-6) for g, z in zip(got, _INPUTS)):
        raise ExerciseError("your function gives tanh without going through nn.Sigmoid (its answer did not change "
                            "when nn.Sigmoid was replaced by another function); build it from nn.Sigmoid() only, "
                            "without np.tanh or np.exp.")


register(Exercise(
    key="02.2", title="tanh_from_sigmoid",
    judge=_judge_tanh_from_sigmoid,
    wrong_answers={
        "np.tanh itself, which the exercise forbids": lambda: np.tanh,
        "tanh from np.exp": lambda: (lambda z: (np.exp(2 * z) - 1) / (np.exp(2 * z) + 1)),
        "forgets the 2 inside: 2 sigma(z) - 1": lambda: (lambda z: 2 * _nn_sigmoid(z) - 1),
        "forgets the - 1: 2 sigma(2z)": lambda: (lambda z: 2 * _nn_sigmoid(2 * z)),
    },
))


def _nn_sigmoid(z):
    import nnlib.numpy as nn

    return nn.Sigmoid()(z)


# --- 02.3: where the sigmoid saturates -------------------------------------------------------------
_S_EDGE = (1 + np.sqrt(1 - 4 * 0.01)) / 2          # the larger root of s (1 - s) = 0.01

register(Exercise(
    key="02.3", title="where the sigmoid saturates",
    judge=lambda z: expect_number(z, np.log(_S_EDGE / (1 - _S_EDGE)), "z_saturation", atol=0.006,
                                 hint="sigma (1 - sigma) = 0.01 is a quadratic in sigma: take its root above 1/2, "
                                      "then invert the sigmoid"),
    wrong_answers={
        "ln 99, where sigma itself reaches 0.99": lambda: np.log(99.0),
        "the negative edge": lambda: -np.log(_S_EDGE / (1 - _S_EDGE)),
        "the root sigma, not z": lambda: _S_EDGE,
    },
))
