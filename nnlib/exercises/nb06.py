"""Exercises of notebook 06, backpropagation."""
import numpy as np

from nnlib.exercises import Exercise, ExerciseError, expect, expect_function, register
from nnlib.exercises.results import expect_results


def _cases(shapes, seed):
    rng = np.random.default_rng(seed)
    return [tuple(rng.standard_normal(s) for s in case) for case in shapes]


# --- 06.1 the backward of a linear layer ---------------------------------------------------------
# (X, W, G) with X (N, d_in), W (d_out, d_in), G (N, d_out); never square, so a transpose shows
_LINEAR_CASES = _cases([[(4, 3), (2, 3), (4, 2)], [(1, 5), (3, 5), (1, 3)], [(6, 2), (4, 2), (6, 4)]], seed=61)


def _linear_backward(X, W, G):
    return G @ W, G.T @ X, G.sum(axis=0)


register(Exercise(
    key="06.1", title="linear backward",
    judge=lambda fn: expect_results(
        fn, _linear_backward, _LINEAR_CASES, ("dX", "dW", "db"), check_order=("dW", "db", "dX"), atol=1e-10,
        hint="each gradient has the shape of what it differentiates: dX like X (N, d_in), dW like W "
             "(d_out, d_in), db like b (d_out,); W is used once per example, so db and dW sum over the N rows"),
    wrong_answers={
        "dW transposed (X^T G)": lambda: (lambda X, W, G: (G @ W, X.T @ G, G.sum(axis=0))),
        "db averaged over the batch instead of summed": lambda: (lambda X, W, G: (G @ W, G.T @ X, G.mean(axis=0))),
        "dW averaged over the batch": lambda: (lambda X, W, G: (G @ W, G.T @ X / len(X), G.sum(axis=0))),
    },
))


# --- 06.2 the sigmoid's backward from its output -------------------------------------------------
_SIGMOID_CASES = [(1 / (1 + np.exp(-np.linspace(-4, 4, 9))), np.random.default_rng(62).standard_normal(9)),
                  (np.array([[0.1, 0.5], [0.9, 0.99]]), np.array([[1.0, -2.0], [0.5, 3.0]]))]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


register(Exercise(
    key="06.2", title="sigmoid backward",
    judge=lambda fn: expect_function(
        fn, lambda y, g: g * y * (1 - y), _SIGMOID_CASES, atol=1e-12,
        hint="y is already sigma(z): the local derivative is y (1 - y), and the chain rule multiplies it by "
             "the gradient g that arrives from above"),
    wrong_answers={
        "applies the sigmoid again to the cached output": lambda: (
            lambda y, g: g * _sigmoid(y) * (1 - _sigmoid(y))),
        "forgets the upstream gradient": lambda: (lambda y, g: y * (1 - y)),
        "divides by g instead of multiplying": lambda: (lambda y, g: y * (1 - y) / g),
    },
))


# --- 06.3 bug hunt -------------------------------------------------------------------------------
def _judge_bug_hunt(answer):
    if not isinstance(answer, str):
        raise ExerciseError(f"expected one of the strings 'input', 'weight', 'bias', got {type(answer).__name__}.")
    name = answer.strip().lower()
    expect(name in ("input", "weight", "bias"), f"expected 'input', 'weight' or 'bias', got {answer!r}.")
    expect(name == "bias", f"the gradient of {name!r} passes the check. Hint: in the report, a correct gradient has "
                           f"a relative error of about 1e-9 or less; look for the entry far above 1e-6.")


register(Exercise(
    key="06.3", title="bug hunt",
    judge=_judge_bug_hunt,
    wrong_answers={
        "the weight (the first parameter in the code)": lambda: "weight",
        "the input": lambda: "input",
        "not one of the three names": lambda: "db",
    },
))


# --- 06.4 a two-layer MLP with softmax cross-entropy, backward by hand ----------------------------
def _mlp_case(n, d, hidden, classes, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.integers(0, classes, size=n)
    y[:classes] = np.arange(classes)        # every class appears
    return (X, y, rng.standard_normal((hidden, d)), rng.standard_normal(hidden),
            rng.standard_normal((classes, hidden)), rng.standard_normal(classes))


_MLP_CASES = [_mlp_case(5, 3, 4, 3, seed=64), _mlp_case(8, 6, 5, 4, seed=65), _mlp_case(3, 2, 7, 3, seed=66)]


def _mlp_backward(X, y, W1, b1, W2, b2):
    """The reference: torch.autograd through the same forward pass, in float64."""
    import torch

    params = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (W1, b1, W2, b2)]
    tW1, tb1, tW2, tb2 = params
    hidden = torch.relu(torch.from_numpy(X) @ tW1.T + tb1)
    loss = torch.nn.functional.cross_entropy(hidden @ tW2.T + tb2, torch.from_numpy(y))
    loss.backward()
    return tuple(p.grad.numpy() for p in params)


def _by_hand(X, y, W1, b1, W2, b2, *, mean=True, mask=True, one_hot=True):
    """A manual backward with switches for the typical mistakes (all on: the right answer)."""
    Z1 = X @ W1.T + b1
    H = np.maximum(Z1, 0)
    S = H @ W2.T + b2
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    dS = P - (np.eye(W2.shape[0])[y] if one_hot else 0)
    dS = dS / len(X) if mean else dS
    dH = dS @ W2
    dZ1 = dH * (Z1 > 0) if mask else dH
    return dZ1.T @ X, dZ1.sum(axis=0), dS.T @ H, dS.sum(axis=0)


register(Exercise(
    key="06.4", title="backward through a two-layer MLP",
    judge=lambda fn: expect_results(
        fn, _mlp_backward, _MLP_CASES, ("dW1", "db1", "dW2", "db2"), check_order=("db2", "dW2", "db1", "dW1"),
        atol=1e-9, hint="go right to left: dS = (softmax(S) - onehot(y)) / N; dW2 = dS^T H, db2 = sum of dS over rows; "
             "dH = dS W2; dZ1 = dH where Z1 > 0, else 0; dW1 = dZ1^T X, db1 = sum of dZ1 over rows"),
    wrong_answers={
        "forgets the 1/N of the mean loss": lambda: (lambda *a: _by_hand(*a, mean=False)),
        "forgets the ReLU's mask on the way back": lambda: (lambda *a: _by_hand(*a, mask=False)),
        "uses softmax(S) without subtracting the one-hot targets": lambda: (lambda *a: _by_hand(*a, one_hot=False)),
    },
))
