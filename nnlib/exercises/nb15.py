"""Exercises of notebook 15, recurrent networks (COURSE.md, section 5).

15.1 one step of the RNN cell; 15.2 how much gradient is left 10 steps back in the linear regime;
15.3 clipping a list of gradients by their joint norm; 15.4 the per-step factor of a recurrent matrix
whose norm and spectral radius disagree.
"""
import numpy as np

from nnlib.exercises import Exercise, NotAttempted, expect, expect_close, expect_function, register


# --- 15.1 one RNN step ------------------------------------------------------------------------------
def _rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).  x: (N, C), h: (N, H) -> (N, H)."""
    return np.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def _step_cases():
    rng = np.random.default_rng(15)
    C, H = 3, 5
    weights = (rng.uniform(-0.8, 0.8, (H, C)), rng.uniform(-0.8, 0.8, (H, H)),
               rng.uniform(-0.5, 0.5, H), rng.uniform(-0.5, 0.5, H))
    return [(rng.standard_normal((n, C)), rng.standard_normal((n, H)), *weights) for n in (1, 4)]


_STEP_CASES = _step_cases()

register(Exercise(
    key="15.1", title="rnn_step",
    judge=lambda fn: expect_function(
        fn, _rnn_step, _STEP_CASES, "rnn_step",
        hint="h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh): both products use the TRANSPOSED weight "
             "(torch stores W_hh as (H_out, H_in)), both biases are added, and the squashing is tanh."),
    wrong_answers={
        "forgets the recurrent bias b_hh":
            lambda: (lambda x, h, W_ih, W_hh, b_ih, b_hh: np.tanh(x @ W_ih.T + b_ih + h @ W_hh.T)),
        "h W_hh instead of h W_hh^T (the square matrix hides the mistake from the shapes)":
            lambda: (lambda x, h, W_ih, W_hh, b_ih, b_hh: np.tanh(x @ W_ih.T + b_ih + h @ W_hh + b_hh)),
        "a sigmoid instead of tanh":
            lambda: (lambda x, h, W_ih, W_hh, b_ih, b_hh: 1 / (1 + np.exp(-(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)))),
    },
))


# --- 15.2 the gradient left 10 steps back when W_hh = 0.8 Q and tanh' = 1 -------------------------
_SCALE, _STEPS_BACK = 0.8, 10

register(Exercise(
    key="15.2", title="shrink_after_10",
    judge=lambda answer: expect_close(
        answer, _SCALE ** _STEPS_BACK, "shrink_after_10", rtol=1e-3,
        hint="an orthogonal Q keeps a vector's length, so each step back multiplies the gradient's norm by "
             "s (tanh' = 1 here); count how many steps separate delta_T from delta_{T-10}."),
    wrong_answers={
        "one step only (s)": lambda: _SCALE,
        "one step too few (s^9)": lambda: _SCALE ** (_STEPS_BACK - 1),
        "s times 10 instead of s to the 10th": lambda: _SCALE * _STEPS_BACK,
    },
))


# --- 15.3 clipping by the global norm ---------------------------------------------------------------
def _clip_by_global_norm(grads, max_norm):
    """torch.nn.utils.clip_grad_norm_'s rule: one norm over all arrays, scale = min(1, max_norm / (norm + 1e-6))."""
    total = np.sqrt(sum(float(np.sum(np.asarray(g) ** 2)) for g in grads))
    return [np.asarray(g) * min(1.0, max_norm / (total + 1e-6)) for g in grads]


def _clip_cases():
    rng = np.random.default_rng(153)
    return [
        ([rng.standard_normal(4), 10 * rng.standard_normal((2, 3))], 1.0),   # joint norm far above 1
        ([0.01 * rng.standard_normal(5)], 1.0),                             # already below: untouched
        ([np.array([3.0, 0.0]), np.array([[0.0], [4.0]]), np.zeros(3)], 2.5),  # norm 5 -> 2.5
    ]


_CLIP_CASES = _clip_cases()


def _judge_clip(fn):
    expect(callable(fn), f"clip_by_global_norm: expected a function, got {type(fn).__name__}.")
    for i, (grads, max_norm) in enumerate(_CLIP_CASES):
        got = fn([g.copy() for g in grads], max_norm)
        if got is None or got is Ellipsis:
            raise NotAttempted("clip_by_global_norm")
        expect(isinstance(got, (list, tuple)) and len(got) == len(grads),
               f"clip_by_global_norm (test case {i + 1}): expected a list of {len(grads)} arrays, one per gradient, "
               f"got {type(got).__name__}{'' if not hasattr(got, '__len__') else f' of length {len(got)}'}.")
        expect_close(tuple(got), tuple(_clip_by_global_norm(grads, max_norm)),
                     f"clip_by_global_norm (test case {i + 1})", atol=1e-9, rtol=1e-6,
                     hint="ONE norm over all the arrays together, sqrt(sum of every squared entry); "
                          "scale = min(1, max_norm / norm); every array is multiplied by the same scale.")


register(Exercise(
    key="15.3", title="clip_by_global_norm",
    judge=_judge_clip,
    wrong_answers={
        "clips each array by its own norm":
            lambda: (lambda grads, max_norm: [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads]),
        "always rescales to max_norm, even when the norm is already smaller":
            lambda: (lambda grads, max_norm: [g * max_norm / np.sqrt(sum(np.sum(a ** 2) for a in grads))
                                              for g in grads]),
        "clips each entry to [-max_norm, max_norm] (value clipping)":
            lambda: (lambda grads, max_norm: [np.clip(g, -max_norm, max_norm) for g in grads]),
    },
))


# --- 15.4 the long-run factor per step: the spectral radius, not the norm -------------------------
LONG_RUN_W = np.array([[0.3, 2.0],
                       [0.0, -0.6]])   # eigenvalues 0.3 and -0.6; largest singular value about 2.1

register(Exercise(
    key="15.4", title="long_run_factor",
    judge=lambda answer: expect_close(
        answer, float(np.max(np.abs(np.linalg.eigvals(LONG_RUN_W)))), "long_run_factor", rtol=1e-3,
        hint="over many steps ||W^k||^(1/k) tends to the spectral radius, the largest ABSOLUTE value of the "
             "eigenvalues (np.linalg.eigvals), not to the largest singular value ||W||_2."),
    wrong_answers={
        "the spectral norm ||W||_2 (largest singular value)": lambda: float(np.linalg.norm(LONG_RUN_W, 2)),
        "the largest eigenvalue with its sign, not in absolute value":
            lambda: float(np.max(np.linalg.eigvals(LONG_RUN_W).real)),
        "the largest entry of W": lambda: float(np.max(np.abs(LONG_RUN_W))),
    },
))
