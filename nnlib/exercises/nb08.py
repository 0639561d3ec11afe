"""Exercises of notebook 08, evaluating models."""
import numbers

import numpy as np

from nnlib.exercises import Exercise, ExerciseError, expect, expect_function, register
from nnlib.exercises.checks import NotAttempted, not_attempted
from nnlib.exercises.results import expect_results


# --- 08.1 per-class scores from a confusion matrix -----------------------------------------------
def _scores_from_confusion(cm):
    """The reference: expand the matrix back into label pairs and let nnlib.metrics score every class."""
    from nnlib.metrics import f1_score, precision, recall

    k = len(cm)
    true, pred = np.repeat(np.arange(k), k), np.tile(np.arange(k), k)
    y_t, y_p = np.repeat(true, cm.ravel()), np.repeat(pred, cm.ravel())
    # a class that appears nowhere is left out by the metrics; put its zeros back in its place
    present = np.union1d(y_t, y_p)
    out = []
    for metric in (precision, recall, f1_score):
        full = np.zeros(k)
        full[present] = metric(y_t, y_p, average=None)
        out.append(full)
    return tuple(out)


_CONFUSIONS = [
    np.array([[5, 1, 0], [2, 3, 0], [1, 0, 0]]),            # class 2 is never predicted: precision 0/0
    np.array([[50, 0], [9, 1]]),
    np.array([[7, 2, 1, 0], [0, 9, 0, 1], [3, 0, 4, 2], [0, 1, 1, 8]]),
    np.array([[3, 0, 0], [0, 0, 0], [1, 0, 2]]),             # class 1 never present nor predicted
]


def _careless_ratios(cm):
    tp = np.diag(cm).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p, r = tp / cm.sum(axis=0), tp / cm.sum(axis=1)
        return p, r, 2 * p * r / (p + r)


def _swapped(cm):
    p, r, f = _scores_from_confusion(cm)
    return r, p, f


def _arithmetic_f1(cm):
    p, r, _ = _scores_from_confusion(cm)
    return p, r, (p + r) / 2


register(Exercise(
    key="08.1", title="scores from a confusion matrix",
    judge=lambda fn: expect_results(
        fn, _scores_from_confusion, [(c,) for c in _CONFUSIONS], ("precision", "recall", "f1"), atol=1e-9,
        hint="TP is the diagonal; precision divides it by the COLUMN sums (everything predicted as the class), "
             "recall by the ROW sums (everything truly in the class); F1 = 2 TP / (column sum + row sum); "
             "np.divide(a, b, out=np.zeros(len(b)), where=b > 0) gives 0 instead of 0/0"),
    wrong_answers={
        "precision and recall swapped (rows for columns)": lambda: _swapped,
        "0/0 left as NaN": lambda: _careless_ratios,
        "F1 as the arithmetic mean of precision and recall": lambda: _arithmetic_f1,
    },
))


# --- 08.2 a k-fold splitter ----------------------------------------------------------------------
def _judge_k_fold(fn):
    if not callable(fn):
        raise ExerciseError(f"expected a function my_k_fold(n_samples, k, seed), got {type(fn).__name__}.")
    hint = ("shuffle np.arange(n_samples), cut it into k nearly equal parts (np.array_split does it), and let part i "
            "be the validation indices of fold i and all the other parts its training indices")
    for n, k in [(103, 5), (10, 10), (7, 2)]:
        folds = fn(n, k, 0)
        if not_attempted(folds):
            raise NotAttempted("my_k_fold")
        expect(isinstance(folds, (list, tuple)) and len(folds) == k,
               f"my_k_fold({n}, {k}, seed=0) should return {k} (train_index, val_index) pairs, got "
               f"{len(folds) if isinstance(folds, (list, tuple)) else type(folds).__name__}. Hint: {hint}")
        vals = [np.asarray(v) for _, v in folds]
        every = np.concatenate(vals)
        expect(np.array_equal(np.sort(every), np.arange(n)),
               f"with n_samples={n}, k={k}: every sample must be in exactly one validation fold; "
               f"{n - len(np.unique(every))} are in none, {len(every) - len(np.unique(every))} are repeated. "
               f"Hint: {hint}")
        for i, (train, val) in enumerate(folds):
            train = np.asarray(train)
            expect(len(np.intersect1d(train, val)) == 0,
                   f"fold {i}: {len(np.intersect1d(train, val))} samples are both trained and validated on. Hint: {hint}")
            expect(np.array_equal(np.sort(np.concatenate([train, val])), np.arange(n)),
                   f"fold {i}: the training part must be every sample outside the validation part. Hint: {hint}")
        sizes = [len(v) for v in vals]
        expect(max(sizes) - min(sizes) <= 1, f"with n_samples={n}, k={k} the fold sizes {sizes} differ by more than "
                                             f"one. Hint: {hint}")
    first, again = fn(103, 5, 0), fn(103, 5, 0)
    expect(all(np.array_equal(a[1], b[1]) for a, b in zip(first, again)),
           "the same seed must give the same folds (use np.random.default_rng(seed)).")
    expect(not np.array_equal(np.asarray(first[0][1]), np.arange(len(first[0][1]))),
           "the samples must be shuffled before they are cut into folds (the first fold is 0, 1, 2, ...).")
    other = fn(103, 5, 1)
    expect(not all(np.array_equal(np.sort(a[1]), np.sort(b[1])) for a, b in zip(first, other)),
           "seed=0 and seed=1 gave the same folds: the shuffle must come from np.random.default_rng(seed), "
           "with the seed that was passed in.")


def _remainder_in_last(n, k, seed):
    order = np.random.default_rng(seed).permutation(n)
    size = n // k
    vals = [order[i * size:(i + 1) * size] for i in range(k - 1)] + [order[(k - 1) * size:]]
    return [(np.setdiff1d(order, v), v) for v in vals]


def _independent_draws(n, k, seed):
    rng = np.random.default_rng(seed)
    vals = [rng.choice(n, size=n // k, replace=False) for _ in range(k)]
    return [(np.setdiff1d(np.arange(n), v), v) for v in vals]


def _train_includes_val(n, k, seed):
    vals = np.array_split(np.random.default_rng(seed).permutation(n), k)
    return [(np.arange(n), v) for v in vals]


register(Exercise(
    key="08.2", title="a k-fold splitter",
    judge=_judge_k_fold,
    wrong_answers={
        "the remainder all goes to the last fold": lambda: _remainder_in_last,
        "each fold drawn independently (overlapping folds)": lambda: _independent_draws,
        "the training part keeps the validation fold": lambda: _train_includes_val,
        "ignores the seed (always shuffles with seed 0)": lambda: (
            lambda n, k, seed: [(np.setdiff1d(np.arange(n), v), v)
                                for v in np.array_split(np.random.default_rng(0).permutation(n), k)]),
        "no shuffling": lambda: (lambda n, k, seed: [(np.setdiff1d(np.arange(n), v), v)
                                                      for v in np.array_split(np.arange(n), k)]),
    },
))


# --- 08.3 the constant that minimizes the MAE ----------------------------------------------------
def _diabetes_train_targets():
    from nnlib.data import load_diabetes, train_val_test_split

    d = load_diabetes()
    _, _, _, r_train, _, _ = train_val_test_split(d.data, d.target, val=0.2, test=0.2, seed=0)
    return {"r_train": r_train}


def _judge_best_constant(c, r_train):
    expect(isinstance(c, numbers.Real) or (isinstance(c, np.ndarray) and c.size == 1),
           f"expected a number, got {type(c).__name__}.")
    c = float(np.asarray(c).ravel()[0])
    mae = np.mean(np.abs(r_train - c))
    lowest = min(np.mean(np.abs(r_train - v)) for v in np.linspace(r_train.min(), r_train.max(), 2001))
    expect(mae <= lowest + 1e-9,
           f"the constant {c:.4g} has a training MAE of {mae:.4f}, but another constant gets {lowest:.4f}. "
           "Hint: as c grows, the MAE changes at a rate proportional to (number of targets below c) - "
           "(number above c); where is that zero?")


register(Exercise(
    key="08.3", title="the best constant for MAE",
    judge=_judge_best_constant,
    context=_diabetes_train_targets,
    wrong_answers={
        "the mean (best for the MSE)": lambda r_train: float(np.mean(r_train)),
        "the middle of the range": lambda r_train: float((r_train.min() + r_train.max()) / 2),
        "the most common value": lambda r_train: float(np.bincount(r_train.astype(int)).argmax()),
    },
))


# --- 08.4 choosing the metric --------------------------------------------------------------------
_CHOICES = ("accuracy", "precision", "recall", "MAE", "MSE")
_WHY = (
    "scenario 1: a missed sick patient is the costly error, so the share of the sick that the test finds matters",
    "scenario 2: deleting a real email is the costly error, so of the emails flagged, the share that really are "
    "spam matters",
    "scenario 3: squaring lets a few huge delays dominate the score; the typical error in minutes is another metric",
)


def _judge_metric_choices(answer):
    expect(isinstance(answer, tuple) and len(answer) == 3,
           f"expected a tuple of three strings, got {type(answer).__name__}"
           f"{f' of length {len(answer)}' if isinstance(answer, tuple) else ''}.")
    for i, (a, want, why) in enumerate(zip(answer, ("recall", "precision", "MAE"), _WHY)):
        expect(a in _CHOICES, f"answer {i + 1}: {a!r} is not one of {_CHOICES}.")
        expect(a == want, f"answer {i + 1}: {a!r} is not the number to watch. Hint: {why}.")


register(Exercise(
    key="08.4", title="choosing the metric",
    judge=_judge_metric_choices,
    wrong_answers={
        "precision and recall swapped": lambda: ("precision", "recall", "MAE"),
        "MSE for the delivery times": lambda: ("recall", "precision", "MSE"),
        "accuracy for the rare disease": lambda: ("accuracy", "precision", "MAE"),
    },
))


# --- 08.5 ROC AUC as a probability over pairs ----------------------------------------------------
_rng = np.random.default_rng(85)
_AUC_CASES = [
    (np.array([0, 0, 1, 1, 0, 1]), np.array([0.1, 0.4, 0.35, 0.8, 0.8, 0.9])),
    (_rng.integers(0, 2, 40), _rng.integers(0, 4, 40) / 3.0),                 # four score values: many ties
    (np.r_[np.ones(5, int), np.zeros(15, int)], _rng.normal(size=20)),
]


def _auc(y_true, y_score):
    from nnlib.metrics import roc_auc_score

    return roc_auc_score(y_true, y_score)


def _pairs(y_true, y_score, tie):
    pos, neg = y_score[y_true == 1], y_score[y_true == 0]
    return float(np.mean((pos[:, None] > neg[None, :]) + tie * (pos[:, None] == neg[None, :])))


def _all_pairs(y_true, y_score):
    s, t = y_score, y_true
    higher = (s[:, None] > s[None, :]) & (t[:, None] > t[None, :])
    return float(higher.sum() / (len(s) * (len(s) - 1) / 2))


register(Exercise(
    key="08.5", title="ROC AUC by counting pairs",
    judge=lambda fn: expect_function(
        fn, _auc, _AUC_CASES, atol=1e-12,
        hint="take every pair of one positive and one negative sample; count 1 when the positive has the higher "
             "score and 1/2 when the two scores are equal; divide by the number of such pairs"),
    wrong_answers={
        "ties count as wins": lambda: (lambda y, s: _pairs(y, s, tie=1.0)),
        "ties count as losses": lambda: (lambda y, s: _pairs(y, s, tie=0.0)),
        "divides by all pairs of samples": lambda: _all_pairs,
    },
))
