"""Exercises of notebook 14, transfer learning (COURSE.md, section 5).

14.1 the weights fine-tuning trains and the weights a linear probe trains; 14.2 a nearest-class-mean
classifier on frozen features; 14.3 the 2-D principal-component projection behind the feature-space
picture.
"""
import numpy as np

from nnlib.exercises import Exercise, ExerciseError, expect, expect_function, register
from nnlib.exercises._judging import expect_number
from nnlib.exercises.checks import NotAttempted

# --- 14.1 what each method trains ---------------------------------------------------------------------
# body: Conv2d(1, 8, 3) + BatchNorm2d(8) + Conv2d(8, 16, 3) + BatchNorm2d(16) + Linear(16 * 7 * 7, 64); head: Linear(64, 5)
_BODY = (8 * 1 * 9 + 8) + 2 * 8 + (16 * 8 * 9 + 16) + 2 * 16 + (784 * 64 + 64)
_HEAD = 64 * 5 + 5


def _judge_counts(answer):
    if not isinstance(answer, tuple) or len(answer) != 2:
        raise ExerciseError(f"expected the pair (finetune_params, frozen_params), got {type(answer).__name__}.")
    if any(a is None or a is Ellipsis for a in answer):
        raise NotAttempted("14.1")
    expect_number(answer[0], _BODY + _HEAD, "finetune_params", atol=0.5,
                  hint="fine-tuning trains every weight of the body and of the head: conv C_out*C_in*9 + C_out, "
                       "batch norm 2C, linear in*out + out")
    expect_number(answer[1], _HEAD, "frozen_params", atol=0.5, hint="only the new head is trained: 64 features to 5 classes")


register(Exercise(
    key="14.1", title="finetune_params and frozen_params",
    judge=_judge_counts,
    wrong_answers={
        "forgets the batch norms": lambda: (_BODY + _HEAD - 2 * (8 + 16), _HEAD),
        "counts the body only for fine-tuning": lambda: (_BODY, _HEAD),
        "forgets the head's biases": lambda: (_BODY + _HEAD, 64 * 5),
    },
))


# --- 14.2 nearest class mean ------------------------------------------------------------------------------
def _nearest_class_mean(features_train, y_train, features_test):
    classes = np.unique(y_train)
    means = np.stack([features_train[y_train == c].mean(axis=0) for c in classes])
    distances = ((features_test[:, None, :] - means[None]) ** 2).sum(axis=-1)
    return classes[distances.argmin(axis=1)]


def _ncm_cases():
    rng = np.random.default_rng(142)
    cases = []
    # the later cases use labels that are not 0, 1, 2, ...: the answer must be a class, not a row of the means
    for n_classes, per_class, dim, scale, labels in ((5, 6, 4, 3.0, [0, 1, 2, 3, 4]), (3, 2, 7, 1.0, [2, 5, 9]),
                                                     (4, 1, 3, 2.0, [1, 3, 4, 8])):
        centres = rng.normal(size=(n_classes, dim)) * scale
        y = np.repeat(np.array(labels), per_class)
        centres = dict(zip(labels, centres))
        features = np.stack([centres[c] for c in y]) + rng.normal(size=(len(y), dim))
        # a few features much larger than the others, so that the mean and the distance must use all of them
        features[:, 0] *= 5
        test = rng.normal(size=(15, dim)) * scale * 1.5
        test[:, 0] *= 5
        cases.append((features, y, test))
    return cases


_NCM_CASES = _ncm_cases()

register(Exercise(
    key="14.2", title="nearest_class_mean",
    judge=lambda fn: expect_function(
        fn, _nearest_class_mean, _NCM_CASES, "nearest_class_mean",
        hint="one mean per class over its training features, shape (classes, features); then the Euclidean "
             "distance from each test row to each mean, shape (N_test, classes); predict the class "
             "label (from np.unique(y_train), not the row number) of the smallest"),
    wrong_answers={
        "the farthest mean (argmax)": lambda: (lambda ftr, y, fte: np.unique(y)[(
            (fte[:, None, :] - np.stack([ftr[y == c].mean(axis=0) for c in np.unique(y)])[None]) ** 2).sum(-1).argmax(1)]),
        "the index of the nearest mean instead of its class label": lambda: (lambda ftr, y, fte: (
            (fte[:, None, :] - np.stack([ftr[y == c].mean(axis=0) for c in np.unique(y)])[None]) ** 2).sum(-1).argmin(1)),
        "the nearest single training example instead of the class mean": lambda: (lambda ftr, y, fte: y[(
            (fte[:, None, :] - ftr[None]) ** 2).sum(-1).argmin(1)]),
        "means over the features instead of over the examples": lambda: (lambda ftr, y, fte: np.unique(y)[np.abs(
            fte.mean(axis=1)[:, None] - np.array([ftr[y == c].mean() for c in np.unique(y)])[None]).argmin(1)]),
    },
))


# --- 14.3 the 2-D principal-component projection -----------------------------------------------------------
def _pca_2d(features):
    centred = features - features.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


_rng = np.random.default_rng(143)
_PCA_CASES = [_rng.normal(size=(40, 5)) @ np.diag([5.0, 3.0, 1.0, 0.5, 0.1]) + 7.0,
              _rng.normal(size=(30, 8)) @ _rng.normal(size=(8, 8)) - 2.0]


def _judge_pca(fn):
    if not callable(fn):
        raise ExerciseError(f"expected a function pca_2d(features), got {type(fn).__name__}.")
    for i, features in enumerate(_PCA_CASES):
        got = fn(features.copy())
        if got is None or got is Ellipsis:
            raise NotAttempted("14.3")
        got = np.asarray(got, dtype=np.float64)
        want = _pca_2d(features)
        expect(got.shape == want.shape, f"pca_2d (case {i + 1}): expected shape {want.shape} (one row per example, "
                                        f"two coordinates), got {got.shape}.")
        for axis in range(2):
            # a principal direction is defined up to its sign: compare with either sign
            close = min(np.abs(got[:, axis] - want[:, axis]).max(), np.abs(got[:, axis] + want[:, axis]).max())
            expect(close < 1e-6 * max(1.0, np.abs(want).max()),
                   f"pca_2d (case {i + 1}): coordinate {axis + 1} is not the projection on principal direction "
                   f"{axis + 1}. Hint: subtract the mean of each feature first; the directions are the first two "
                   f"rows of Vt from np.linalg.svd(centred), the largest singular values first; project: centred @ Vt[:2].T")


register(Exercise(
    key="14.3", title="pca_2d",
    judge=_judge_pca,
    wrong_answers={
        "forgets to centre the features": lambda: (lambda f: f @ np.linalg.svd(f, full_matrices=False)[2][:2].T),
        "projects on the last two directions (the smallest variance)": lambda: (lambda f: (f - f.mean(0)) @ np.linalg.svd(
            f - f.mean(0), full_matrices=False)[2][-2:].T),
        "uses the columns of Vt instead of its rows": lambda: (lambda f: (f - f.mean(0)) @ np.linalg.svd(
            f - f.mean(0), full_matrices=False)[2][:, :2]),
    },
))
