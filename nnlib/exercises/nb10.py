"""Exercises of notebook 10, regularization (COURSE.md, section 5).

10.1 the L2 penalty and its gradient; 10.2 inverted dropout's training-mode forward; 10.3 early stopping by hand,
the rule ``nnlib.train.fit`` follows.
"""
import numpy as np

from nnlib.exercises import Exercise, expect, expect_close, expect_function, register
from nnlib.exercises.checks import NotAttempted


# --- 10.1 the L2 penalty and its gradient ------------------------------------------------------
def _l2_penalty_and_grad(w, strength):
    # lambda * sum(w^2) and its gradient 2 lambda w (nnlib.numpy.l2_penalty's convention)
    return strength * np.sum(w ** 2), 2 * strength * w


_rng = np.random.default_rng(10)
_L2_CASES = [(_rng.standard_normal((3, 4)), 0.1), (np.array([0.5, -2.0, 0.0]), 0.05), (_rng.standard_normal(7), 1e-3)]

register(Exercise(
    key="10.1", title="l2_penalty_and_grad",
    judge=lambda fn: expect_function(
        fn, _l2_penalty_and_grad, _L2_CASES, "l2_penalty_and_grad",
        hint="the penalty is strength * sum(w ** 2), with no 1/2 in front; the derivative of strength * w^2 is "
             "2 * strength * w, one entry per weight (the same shape as w)."),
    wrong_answers={
        "the gradient without the factor 2": lambda: (lambda w, s: (s * np.sum(w ** 2), s * w)),
        "the 1/2 convention (a different penalty)": lambda: (lambda w, s: (s / 2 * np.sum(w ** 2), s * w)),
        "L1's gradient, sign(w)": lambda: (lambda w, s: (s * np.sum(w ** 2), s * np.sign(w))),
    },
))


# --- 10.2 inverted dropout ---------------------------------------------------------------------
_P, _DRAWS = 0.3, 4000
_H = np.linspace(0.5, 2.0, 8).reshape(2, 4)


def _judge_dropout(fn):
    expect(callable(fn), f"my_dropout: expected a function, got {type(fn).__name__}.")
    first = fn(_H.copy(), _P, np.random.default_rng(0))
    if first is None or first is Ellipsis:
        raise NotAttempted("my_dropout")
    first = np.asarray(first)
    expect(first.shape == _H.shape, f"my_dropout: the output should have the input's shape {_H.shape}, got {first.shape}.")
    draws = np.stack([np.asarray(fn(_H.copy(), _P, np.random.default_rng(i))) for i in range(_DRAWS)])
    zeros = float(np.mean(draws == 0))
    expect(abs(zeros - _P) < 0.02,
           f"my_dropout: {zeros:.0%} of the entries are zero, but p = {_P}: each entry should be dropped with "
           "probability p. Hint: keep = rng.random(h.shape) >= p.")
    expect(np.ptp(draws, axis=0).max() > 0,
           "my_dropout: every call returns the same output: the mask must be drawn from the rng you are given.")
    # Each entry must be dropped on its own: a single draw for the whole array, or one mask per feature shared
    # by every example, also zeroes a fraction p and keeps the mean, but its entries fall together.
    masks = (draws == 0).reshape(_DRAWS, -1).astype(float)
    together = np.corrcoef(masks, rowvar=False)[~np.eye(masks.shape[1], dtype=bool)]
    expect(np.nanmax(np.abs(together)) < 0.15,
           "my_dropout: entries of one call are dropped together: each entry needs its own random number. "
           "Hint: draw a whole array of them, rng.random(h.shape), not one number or one per column.")
    mean = draws.mean(axis=0)
    expect(np.allclose(mean, _H, rtol=0.05),
           f"my_dropout: averaged over {_DRAWS} draws the output is {np.round(mean.ravel()[:3], 2)}..., not the input "
           f"{np.round(_H.ravel()[:3], 2)}...: the expected output must equal h. Hint: divide the survivors by (1 - p).")


def _dropout_wrong(scale):
    return lambda h, p, rng: h * (rng.random(h.shape) >= p) * scale(p)


register(Exercise(
    key="10.2", title="my_dropout",
    judge=_judge_dropout,
    wrong_answers={
        "no rescaling of the survivors": lambda: _dropout_wrong(lambda p: 1.0),
        "multiplies by (1 - p) instead of dividing": lambda: _dropout_wrong(lambda p: 1 - p),
        "keeps with probability p (drops 1 - p)": lambda: (lambda h, p, rng: h * (rng.random(h.shape) < p) / (1 - p)),
        "one draw for the whole array (rng.random() without a shape)":
            lambda: (lambda h, p, rng: h * (rng.random() >= p) / (1 - p)),
        "one mask per feature, shared by every example of the batch":
            lambda: (lambda h, p, rng: h * (rng.random(h.shape[-1]) >= p) / (1 - p)),
        "ignores rng (a fixed mask)":
            lambda: (lambda h, p, rng: h * (np.random.default_rng(0).random(h.shape) >= p) / (1 - p)),
    },
))


# --- 10.3 early stopping by hand ---------------------------------------------------------------
def _early_stop(val_losses, patience, ties_improve=False):
    # fit's rule: a strictly lower loss is an improvement; stop once `patience` epochs in a row were not
    best, waited = 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[best] or (ties_improve and val_losses[epoch] == val_losses[best]):
            best, waited = epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best
    return len(val_losses) - 1, best


_STOP_CASES = [([3.0, 2.0, 1.0, 1.5, 1.2, 1.1, 0.9], 3), ([3.0, 2.0, 1.0, 1.5, 1.2, 1.1, 0.9], 2),
               ([1.0, 1.0, 1.0], 2), ([2.0, 1.0, 0.5, 0.4], 1), ([1.0, 2.0, 0.5, 3.0, 3.0], 2)]


def _judge_early_stop(fn, val_losses, fit_stopped):
    expect_function(fn, _early_stop, _STOP_CASES + [(list(val_losses), 10)], "early_stop",
                    hint="walk the epochs in order; an epoch improves only if its loss is strictly below the best so "
                         "far (then best = that epoch and the count restarts at 0); otherwise count it, and stop at "
                         "the epoch where the count reaches patience. Return indices from 0.")
    expect_close(tuple(int(i) for i in fn(list(val_losses), 10)), tuple(fit_stopped),
                 "early_stop on the baseline's validation losses, against fit(patience=10)")


def _early_stop_context():
    # the shape of a real run: falling, then rising with noise (the notebook passes its baseline's losses)
    epochs = np.arange(60)
    losses = list(1.5 * np.exp(-epochs / 6) + 0.01 * epochs + 0.02 * np.random.default_rng(3).standard_normal(60))
    return {"val_losses": losses, "fit_stopped": _early_stop(losses, 10)}


register(Exercise(
    key="10.3", title="early_stop",
    judge=_judge_early_stop,
    wrong_answers={
        "counts a tie as an improvement (<= instead of <)": lambda **c: (
            lambda losses, patience: _early_stop(losses, patience, ties_improve=True)),
        "one epoch too late (waits for patience + 1)": lambda **c: (
            lambda losses, patience: _early_stop(losses, patience + 1)),
        "best = the lowest loss of the whole list, even after the stop": lambda **c: (
            lambda losses, patience: (_early_stop(losses, patience)[0], int(np.argmin(losses)))),
    },
    context=_early_stop_context,
))
