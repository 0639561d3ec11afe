"""Exercises of notebook 04 (gradient descent and optimizers)."""
import numpy as np

from nnlib.exercises import Exercise, ExerciseError, expect, expect_close, expect_function, register
from nnlib.exercises._judging import expect_number

_RNG = np.random.default_rng(4)


# --- 04.1: one step of gradient descent --------------------------------------------------------------
def _gd_step(theta, grad, lr):
    return theta - lr * grad


_STEP_CASES = [
    (np.array([1.0, -2.0]), np.array([0.5, 0.5]), 0.1),
    (np.zeros(3), np.ones(3), 1.0),
    (np.array([-4.0, 1.0]), np.array([-4.0, 20.0]), 0.08),
    (_RNG.normal(size=(2, 3)), _RNG.normal(size=(2, 3)), 0.03),
]


def _judge_gd_step(fn):
    if callable(fn):
        theta = np.array([1.0, -2.0])
        fn(theta, np.array([0.5, 0.5]), 0.1)
        expect(np.array_equal(theta, [1.0, -2.0]),
               "your gd_step changed theta in place (theta -= ...); return a new array instead (theta - ...).")
    cases = [tuple(a.copy() if isinstance(a, np.ndarray) else a for a in case) for case in _STEP_CASES]
    expect_function(fn, _gd_step, cases, hint="the gradient points uphill; the learning rate scales the step")


def _gd_step_in_place(theta, grad, lr):
    theta -= lr * grad
    return theta


register(Exercise(
    key="04.1", title="gd_step",
    judge=_judge_gd_step,
    wrong_answers={
        "steps uphill": lambda: (lambda theta, grad, lr: theta + lr * grad),
        "forgets the learning rate": lambda: (lambda theta, grad, lr: theta - grad),
        "changes theta in place": lambda: _gd_step_in_place,
    },
))


# --- 04.2: the largest stable learning rate on a quadratic ---------------------------------------
H = np.array([[3.0, 1.0], [1.0, 3.0]])   # the notebook's matrix


register(Exercise(
    key="04.2", title="the largest stable learning rate",
    judge=lambda lr_limit: expect_number(lr_limit, 2 / np.linalg.eigvalsh(H).max(), "lr_limit", atol=1e-3,
                                        hint="in the direction of each eigenvector, one step multiplies the "
                                             "error by (1 - lr * eigenvalue); which eigenvalue breaks first?"),
    wrong_answers={
        "2 / the smallest eigenvalue": lambda: 2 / np.linalg.eigvalsh(H).min(),
        "1 / the largest eigenvalue (where the zig-zag starts)": lambda: 1 / np.linalg.eigvalsh(H).max(),
        "2 / the largest diagonal entry": lambda: 2 / 3.0,
    },
))


# --- 04.3: one step of SGD with momentum -------------------------------------------------------------
_START = np.array([-4.0, 1.0])


def _bowl_grad(theta):
    return np.array([theta[0], 20 * theta[1]])


def _momentum_path(step_fn, lr=0.01, mu=0.9, steps=40):
    theta, velocity, path = _START.copy(), np.zeros(2), [_START.copy()]
    for _ in range(steps):
        result = step_fn(theta.copy(), velocity.copy(), _bowl_grad(theta), lr, mu)
        if result is None or result is Ellipsis:
            return None
        if not (isinstance(result, tuple) and len(result) == 2):
            raise ExerciseError(f"momentum_step must return a pair (new_theta, new_velocity), got {type(result).__name__}.")
        theta, velocity = (np.asarray(r, dtype=np.float64) for r in result)
        path.append(theta)
    return np.array(path)


def _reference_path():
    from nnlib.numpy import SGD
    from nnlib.widgets import descend

    return descend(_bowl_grad, _START, lambda ps: SGD(ps, lr=0.01, momentum=0.9), steps=40)


def _judge_momentum(fn):
    if not callable(fn):
        raise ExerciseError(f"expected a function momentum_step(theta, velocity, grad, lr, mu), got {type(fn).__name__}.")
    path = _momentum_path(fn)
    if path is None:
        from nnlib.exercises.checks import NotAttempted

        raise NotAttempted("momentum_step")
    expect_close(path, _reference_path(), "the 41 points of your path on the bowl",
                 hint="torch's form: the velocity accumulates the raw gradient (no (1 - mu) factor), "
                      "and theta moves by lr times the new velocity")


register(Exercise(
    key="04.3", title="momentum_step",
    judge=_judge_momentum,
    wrong_answers={
        "averages the gradient (velocity = mu v + (1 - mu) g)":
            lambda: (lambda th, v, g, lr, mu: (th - lr * (mu * v + (1 - mu) * g), mu * v + (1 - mu) * g)),
        "steps with the old velocity": lambda: (lambda th, v, g, lr, mu: (th - lr * v, mu * v + g)),
        "forgets the velocity (plain SGD)": lambda: (lambda th, v, g, lr, mu: (th - lr * g, v)),
        "returns only theta": lambda: (lambda th, v, g, lr, mu: th - lr * (mu * v + g)),
    },
))
