"""Exercises of notebook 00 (tour and setup)."""
from functools import lru_cache

import numpy as np

from nnlib.exercises import Exercise, ExerciseError, expect, expect_close, register
from nnlib.exercises._judging import expect_number
from nnlib.exercises._judging import generators_kept as _generators_kept

# --- 00.1: counting parameters -------------------------------------------------------------------
# The notebook's model: Linear(64, 32) -> Tanh -> Linear(32, 10).
register(Exercise(
    key="00.1", title="parameter count",
    judge=lambda n: expect_number(n, (64 * 32 + 32) + (32 * 10 + 10), "n_parameters", atol=0,
                                 hint="a Linear(in, out) has in * out weights and out biases; add up both layers "
                                      "(Tanh has none)"),
    wrong_answers={
        "weights only, no biases": lambda: 64 * 32 + 32 * 10,
        "the first layer only": lambda: 64 * 32 + 32,
        "multiplies the layer sizes": lambda: 64 * 32 * 10,
    },
))


# --- 00.2: train both backends again -------------------------------------------------------------
def _digits():
    import nnlib.data

    digits = nnlib.data.load_digits()
    return digits.data[:200] / 16.0, digits.target[:200]


def _make_model(nn, **where):
    import nnlib

    nnlib.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 32, **where), nn.Tanh(), nn.Linear(32, 10, **where))


def _train(nn, model, inputs, targets, steps, lr):
    loss_fn, opt = nn.CrossEntropyLoss(), nn.SGD(model.parameters(), lr=lr, momentum=0.9)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(inputs), targets)
        model.backward(loss_fn.backward())
        opt.step()
    return model


def _weights(model):
    from nnlib._checks import to_numpy

    return {name: to_numpy(p.data) for name, p in model.named_parameters()}


@lru_cache(maxsize=None)
def _reference(steps=30, lr=0.1):
    import nnlib.numpy as nnp

    with _generators_kept():
        X, y = _digits()
        return _weights(_train(nnp, _make_model(nnp), X, y, steps, lr))


def _backend_of(model):
    import torch

    datas = [p.data for p in model.parameters()] if hasattr(model, "parameters") else []
    if not datas:
        return None
    if all(isinstance(d, np.ndarray) for d in datas):
        return "numpy"
    if all(isinstance(d, torch.Tensor) for d in datas):
        return "torch"
    return None


def _judge_retrained(models):
    expect(isinstance(models, tuple) and len(models) == 2,
           f"expected a pair (numpy_model, torch_model), got {type(models).__name__}.")
    numpy_model, torch_model = models
    expect(_backend_of(numpy_model) == "numpy", "the first model must be an nnlib.numpy model (make_model(nnp)).")
    expect(_backend_of(torch_model) == "torch",
           "the second model must be an nnlib.torch model (make_model(ntorch, device=device, dtype=torch.float64)).")
    reference = _reference()
    ours, theirs = _weights(numpy_model), _weights(torch_model)
    expect(set(ours) == set(reference) and set(theirs) == set(reference),
           f"expected the notebook's model with parameters {sorted(reference)}, got {sorted(ours)} and {sorted(theirs)}.")
    for name, want in reference.items():
        if ours[name].shape != want.shape or not np.allclose(ours[name], want, atol=1e-9, rtol=0):
            raise ExerciseError(
                f"the numpy model's {name} differs from a fresh model trained for 30 steps at lr 0.1. "
                "Hint: start each backend from make_model (a fresh, seeded model) and call train(..., steps=30, lr=0.1).")
    for name in reference:
        gap = np.abs(theirs[name] - ours[name]).max()
        expect(gap < 1e-9, f"the two backends' {name} differ by {gap:.1e} (more than 1e-9): was the torch model "
                           "built with dtype=torch.float64 and trained the same way?")


def _first_training_pair():
    import torch

    import nnlib.numpy as nnp
    import nnlib.torch as ntorch

    with _generators_kept():
        X, y = _digits()
        return (_train(nnp, _make_model(nnp), X, y, steps=60, lr=0.5),
                _train(ntorch, _make_model(ntorch, dtype=torch.float64), torch.as_tensor(X), torch.as_tensor(y), 60, 0.5))


def _untrained_pair():
    import torch

    import nnlib.numpy as nnp
    import nnlib.torch as ntorch

    with _generators_kept():
        return _make_model(nnp), _make_model(ntorch, dtype=torch.float64)


def _numpy_twice():
    import nnlib.numpy as nnp

    with _generators_kept():
        X, y = _digits()
        model = _train(nnp, _make_model(nnp), X, y, steps=30, lr=0.1)
    return model, model


register(Exercise(
    key="00.2", title="train both backends again",
    judge=_judge_retrained,
    wrong_answers={
        "the models of the first training (lr 0.5, 60 steps)": lambda: _first_training_pair(),
        "fresh models, never retrained": lambda: _untrained_pair(),
        "the numpy model twice": lambda: _numpy_twice(),
        "a number instead of the models": lambda: 0.0,
    },
))


# --- 00.3: broadcasting: all pairwise squared distances -------------------------------------------
def _pairwise(A, B):
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=-1)


def _judge_distances(distances, A, B):
    expect(not isinstance(distances, (list, tuple)),
           "expected one array of shape (len(A), len(B)), not a list: let broadcasting build it.")
    expect_close(distances, _pairwise(np.asarray(A), np.asarray(B)), "distances",
                 hint="give A a middle axis of length 1 (A[:, None, :], shape (5, 1, 3)) and B a first one "
                      "(B[None, :, :], shape (1, 4, 3)); their difference has shape (5, 4, 3)")


def _context_03():
    rng = np.random.default_rng(0)
    return {"A": rng.integers(-3, 4, size=(5, 3)).astype(float), "B": rng.integers(-3, 4, size=(4, 3)).astype(float)}


register(Exercise(
    key="00.3", title="pairwise squared distances",
    judge=_judge_distances,
    context=_context_03,
    wrong_answers={
        "B against A (the transpose)": lambda A, B: _pairwise(B, A),
        "distances, not squared": lambda A, B: np.sqrt(_pairwise(A, B)),
        "the square of the summed differences": lambda A, B: ((A[:, None, :] - B[None, :, :]).sum(axis=-1)) ** 2,
        "only matching rows (A - B on the first four)": lambda A, B: ((A[:4] - B) ** 2).sum(axis=1),
    },
))
