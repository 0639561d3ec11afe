"""The exercises of notebook 20 (from recurrence to attention), each with its typical wrong answers."""
import numpy as np

from nnlib.exercises import Exercise, register
from nnlib.exercises.checks import NotAttempted, expect, expect_function

# --- 20.1: the causal mask --------------------------------------------------------------------------


def _judge_causal_mask(fn):
    expect(callable(fn), f"expected a function causal_mask(T), got {type(fn).__name__}.")
    for T in (1, 4, 7):
        mask = fn(T)
        if mask is None or mask is Ellipsis:
            raise NotAttempted("causal_mask")
        mask = np.asarray(mask)
        expect(mask.shape == (T, T), f"causal_mask({T}) should have shape ({T}, {T}), got {mask.shape}.")
        expect(mask.dtype == bool, f"causal_mask({T}) should be boolean (True = may not attend), got dtype {mask.dtype}. "
                                   "Hint: a comparison of two index arrays gives booleans.")
        if T > 1:
            expect(not mask.diagonal().any(), "your mask forbids a position to attend to itself: the diagonal must stay "
                                              "False. Hint: position i may attend to every j <= i.")
            expect(not mask[-1, 0], "your mask forbids the last position to look at the first one, which lies in its past. "
                                    "Hint: True marks what is NOT allowed, and only the future is.")
        expected = np.triu(np.ones((T, T), dtype=bool), 1)
        expect(np.array_equal(mask, expected), f"causal_mask({T}) is not the causal mask: row i must be True exactly at "
                                               "the columns j > i.")


register(Exercise(
    key="20.1", title="the causal mask",
    judge=_judge_causal_mask,
    wrong_answers={
        "True where attending is allowed (the lower triangle)": lambda: (lambda T: np.tril(np.ones((T, T), dtype=bool))),
        "the diagonal masked too": lambda: (lambda T: np.triu(np.ones((T, T), dtype=bool))),
        "a float mask of ones": lambda: (lambda T: np.triu(np.ones((T, T)), 1)),
        "the past masked, not the future": lambda: (lambda T: np.tril(np.ones((T, T), dtype=bool), -1)),
    },
))

# --- 20.2: attention weights of a tiny example ------------------------------------------------------


def _attention_weights(q, k):
    scores = q @ k.T / np.sqrt(q.shape[-1])
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_QK = [
    (np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([[1.0, 1.0], [2.0, 0.0], [0.0, -1.0]])),
    (np.random.default_rng(20).standard_normal((3, 4)), np.random.default_rng(21).standard_normal((5, 4))),
    (np.random.default_rng(22).standard_normal((2, 16)) * 3, np.random.default_rng(23).standard_normal((4, 16))),
]

register(Exercise(
    key="20.2", title="attention weights",
    judge=lambda fn: expect_function(
        fn, _attention_weights, _QK, "attention_weights",
        hint="softmax over the keys (the last axis) of q @ k.T / sqrt(d), with d the number of columns of q"),
    wrong_answers={
        "no 1/sqrt(d) scaling": lambda: (lambda q, k: _softmax_rows(q @ k.T)),
        "divided by d instead of sqrt(d)": lambda: (lambda q, k: _softmax_rows(q @ k.T / q.shape[-1])),
        "softmax over the queries (axis 0)": lambda: (lambda q, k: _softmax_cols(q @ k.T / np.sqrt(q.shape[-1]))),
        "the scaled scores, no softmax": lambda: (lambda q, k: q @ k.T / np.sqrt(q.shape[-1])),
    },
))


def _softmax_rows(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_cols(s):
    return _softmax_rows(s.T).T


# --- 20.3: the backward of a row-wise softmax -------------------------------------------------------


def _softmax_backward(dA, A):
    # dP_ik = A_ik (dA_ik - sum_j dA_ij A_ij): the softmax Jacobian applied row by row
    return A * (dA - (dA * A).sum(axis=-1, keepdims=True))


def _softmax_backward_cases():
    cases = []
    for seed, (L, S) in zip((30, 31, 32), ((2, 3), (3, 5), (4, 6))):
        rng = np.random.default_rng(seed)
        cases.append((rng.standard_normal((L, S)), _softmax_rows(2 * rng.standard_normal((L, S)))))
    return cases


_DA_A = _softmax_backward_cases()

register(Exercise(
    key="20.3", title="the softmax backward",
    judge=lambda fn: expect_function(
        fn, _softmax_backward, _DA_A, "softmax_backward",
        hint="dP_ik = A_ik (dA_ik - sum_j dA_ij A_ij): the sum runs along each row (the last axis), weighted by A"),
    wrong_answers={
        "only the Jacobian's diagonal, A(1 - A) dA": lambda: (lambda dA, A: dA * A * (1 - A)),
        "the row sum of dA not weighted by A": lambda: (lambda dA, A: A * (dA - dA.sum(axis=-1, keepdims=True))),
        "the weighted sum taken down the columns": lambda: (lambda dA, A: A * (dA - (dA * A).sum(axis=0, keepdims=True))),
        "the leading factor A forgotten": lambda: (lambda dA, A: dA - (dA * A).sum(axis=-1, keepdims=True)),
        "dA passed through unchanged": lambda: (lambda dA, A: dA),
    },
))
