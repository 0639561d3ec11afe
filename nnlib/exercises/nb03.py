"""Exercises of notebook 03 (loss functions)."""
import numpy as np

from nnlib.exercises import Exercise, ExerciseError, expect, expect_function, register
from nnlib.exercises._judging import expect_number


# --- 03.1: a stable log-sum-exp ---------------------------------------------------------------------
def _logsumexp(z):
    import torch

    return torch.logsumexp(torch.as_tensor(z), dim=1).numpy()


_LSE_CASES = [
    np.random.default_rng(3).normal(size=(4, 6)),
    np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]]),
    np.array([[-1e4, -1e4 + 1.0]]),
    np.zeros((3, 1)),
]


def _naive(z):
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return np.log(np.exp(z).sum(axis=1))


register(Exercise(
    key="03.1", title="my_logsumexp",
    judge=lambda fn: expect_function(fn, _logsumexp, [z.copy() for z in _LSE_CASES],
                                     hint="shift every row by its largest entry m before exponentiating (no term "
                                          "then exceeds e^0 = 1), and add m back at the end"),
    wrong_answers={
        "the naive formula (overflows)": lambda: _naive,
        "forgets to add the maximum back": lambda: (lambda z: np.log(np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1))),
        "the maximum alone": lambda: (lambda z: z.max(axis=1)),
        "keeps the reduced axis: shape (N, 1)": lambda: (lambda z: z.max(axis=1, keepdims=True) + np.log(
            np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True))),
    },
))


# --- 03.2: binary cross-entropy by hand ----------------------------------------------------------------
_P, _T = np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 0.0])
_BCE = float(np.mean(-(_T * np.log(_P) + (1 - _T) * np.log(1 - _P))))

register(Exercise(
    key="03.2", title="binary cross-entropy",
    judge=lambda value: expect_number(value, _BCE, "bce_by_hand", atol=1e-6,
                                      hint="each example contributes -log of the probability the model gave to what "
                                           "happened: p for label 1, 1 - p for label 0; then average"),
    wrong_answers={
        "sums instead of averaging": lambda: float(np.sum(-(_T * np.log(_P) + (1 - _T) * np.log(1 - _P)))),
        "-log(p) for every example, whatever the label": lambda: float(np.mean(-np.log(_P))),
        "log base 10": lambda: float(np.mean(-(_T * np.log10(_P) + (1 - _T) * np.log10(1 - _P)))),
    },
))


# --- 03.3: which loss for which task ---------------------------------------------------------------
_TASKS = {
    "predict a house price; a few listings have wildly wrong prices": {"L1Loss", "HuberLoss"},
    "spam or not spam, from one logit": {"BCEWithLogitsLoss"},
    "which digit 0-9, from 10 logits": {"CrossEntropyLoss"},
    "tomorrow's temperature, errors roughly Gaussian": {"MSELoss"},
}
_WHY = {
    "predict a house price; a few listings have wildly wrong prices": "outliers call for a loss whose best constant "
                                                                      "is the median, not the mean",
    "spam or not spam, from one logit": "one logit: the binary loss that applies the sigmoid itself",
    "which digit 0-9, from 10 logits": "C logits and an integer label: the loss that applies the softmax itself",
    "tomorrow's temperature, errors roughly Gaussian": "Gaussian errors: the loss that is their negative "
                                                       "log-likelihood",
}


def _judge_losses(answers):
    expect(isinstance(answers, dict), f"expected the dict loss_for, got {type(answers).__name__}.")
    expect(set(answers) == set(_TASKS), "loss_for must keep the notebook's four tasks as its keys.")
    if all(v is Ellipsis or v is None for v in answers.values()):
        from nnlib.exercises.checks import NotAttempted

        raise NotAttempted("loss_for")
    for task, answer in answers.items():
        if not isinstance(answer, str):
            raise ExerciseError(f"for {task!r}: expected a class name as a string such as 'MSELoss', got {answer!r}.")
    wrong = [task for task, answer in answers.items() if answer not in _TASKS[task]]
    if wrong:
        raise ExerciseError("reconsider: " + "; ".join(f"{task!r} (hint: {_WHY[task]})" for task in wrong))


def _answers(**changes):
    chosen = {task: sorted(names)[0] if task.startswith("predict") else next(iter(names)) for task, names in _TASKS.items()}
    return {**chosen, **changes}


register(Exercise(
    key="03.3", title="loss for the task",
    judge=_judge_losses,
    wrong_answers={
        "MSE for the prices with outliers":
            lambda: _answers(**{"predict a house price; a few listings have wildly wrong prices": "MSELoss"}),
        "BCELoss, which expects probabilities, for the logit":
            lambda: _answers(**{"spam or not spam, from one logit": "BCELoss"}),
        "NLLLoss, which expects log-probabilities, for the logits":
            lambda: _answers(**{"which digit 0-9, from 10 logits": "NLLLoss"}),
        "L1Loss for Gaussian errors":
            lambda: _answers(**{"tomorrow's temperature, errors roughly Gaussian": "L1Loss"}),
    },
))


# --- 03.4: the initial loss of a 26-class classifier -------------------------------------------------
register(Exercise(
    key="03.4", title="initial loss of a 26-class classifier",
    judge=lambda value: expect_number(value, float(np.log(26)), "initial_loss_26", atol=0.01,
                                      hint="a fresh network gives every class about the same probability; the loss "
                                           "is -log of the probability of the true class"),
    wrong_answers={
        "the probability 1/26, not its negative log": lambda: 1 / 26,
        "log base 10": lambda: float(np.log10(26)),
        "zero, as for a perfect model": lambda: 0.0,
    },
))
