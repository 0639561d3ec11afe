"""Evaluation metrics, equal to scikit-learn's: classification (accuracy, precision, recall, F1,
confusion matrix) and regression (MAE, MSE, R^2).

Inputs may be lists, NumPy arrays or torch tensors on any device. Class labels are
integers (floats holding whole numbers are accepted); for predicted scores of shape
(N, C), take ``scores.argmax(1)`` first.
"""
import numpy as np

from nnlib._checks import to_numpy

__all__ = [
    "accuracy",
    "precision",
    "recall",
    "f1_score",
    "confusion_matrix",
    "mean_absolute_error",
    "mean_squared_error",
    "r2_score",
]


def _check_pair(who, y_true, y_pred):
    y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
    if y_true.shape[:1] != y_pred.shape[:1]:
        raise ValueError(
            f"{who} expects y_true and y_pred of the same length, got {len(y_true) if y_true.ndim else 'a scalar'} "
            f"and {len(y_pred) if y_pred.ndim else 'a scalar'} (shapes {y_true.shape} and {y_pred.shape})"
        )
    if y_true.size == 0:
        raise ValueError(f"{who} got empty inputs (no samples to score)")
    return y_true, y_pred


def _labels(who, y, name):
    """A 1-D int64 array of class labels, or a clear error."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        hint = "; for scores of shape (N, C) pass scores.argmax(1)" if y.ndim == 2 else ""
        raise ValueError(f"{who} expects {name} as class labels of shape (N,), got shape {y.shape}{hint}")
    if y.dtype == bool:
        return y.astype(np.int64)
    if np.issubdtype(y.dtype, np.integer):
        return y.astype(np.int64)
    if np.issubdtype(y.dtype, np.floating):
        whole = np.isfinite(y) & (y == np.round(y))
        if whole.all():
            return y.astype(np.int64)
        raise ValueError(
            f"{who} expects integer class labels in {name}, got non-integer values such as "
            f"{y[~whole][:3].tolist()}; threshold probabilities (p > 0.5) or take argmax of scores first"
        )
    raise TypeError(f"{who} expects integer class labels in {name}, got dtype {y.dtype}")


def _label_pair(who, y_true, y_pred):
    y_true, y_pred = _check_pair(who, y_true, y_pred)
    return _labels(who, y_true, "y_true"), _labels(who, y_pred, "y_pred")


def accuracy(y_true, y_pred) -> float:
    """Fraction of samples whose predicted label equals the true one.  y_true, y_pred: (N,)."""
    y_true, y_pred = _label_pair("accuracy", y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def _divide(num, den, zero_division):
    """num / den elementwise, with ``zero_division`` where den == 0 (sklearn's zero_division)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), float(zero_division))


AVERAGES = ("binary", "macro", "micro", "weighted", None)


def _counts(who, y_true, y_pred, average, pos_label):
    """Per-label true positives, predicted counts and true counts, for the labels ``average`` scores."""
    if average not in AVERAGES:
        raise ValueError(f"{who} expects average='binary', 'macro', 'micro', 'weighted' or None, got {average!r}")
    y_true, y_pred = _label_pair(who, y_true, y_pred)
    present = np.union1d(y_true, y_pred)
    if average == "binary":
        if len(present) > 2:
            raise ValueError(
                f"{who}(average='binary') needs at most two classes, got labels {present.tolist()}; "
                f"use average='macro', 'micro', 'weighted' or None for multiclass problems"
            )
        if pos_label not in present and len(present) == 2:
            raise ValueError(f"{who}: pos_label={pos_label} is not one of the labels {present.tolist()}")
        labels = np.array([pos_label])
    else:
        labels = present
    tp = np.array([np.sum((y_pred == c) & (y_true == c)) for c in labels])
    predicted = np.array([np.sum(y_pred == c) for c in labels])
    actual = np.array([np.sum(y_true == c) for c in labels])
    if average == "micro":
        tp, predicted, actual = tp.sum(keepdims=True), predicted.sum(keepdims=True), actual.sum(keepdims=True)
    return tp, predicted, actual


def _average(scores, actual, average):
    """One score per label -> the requested summary: the array itself (None), support-weighted, or the mean."""
    if average is None:
        return scores
    if average == "weighted":
        # weights = each label's number of true samples; no true samples at all scores 0, as sklearn
        return float(np.sum(scores * actual) / actual.sum()) if actual.sum() > 0 else 0.0
    return float(np.mean(scores))


def precision(y_true, y_pred, average="binary", pos_label=1, zero_division=0.0):
    """Precision = TP / (TP + FP): of the samples predicted as a class, the fraction that are.

    average: 'binary' (the class ``pos_label``), 'macro' (unweighted mean over the labels
    present in y_true or y_pred), 'micro' (global counts), 'weighted' (mean weighted by each
    label's number of true samples), or None (an array, one score per label present, sorted).
    ``zero_division`` is the value of a 0/0 ratio (a class never predicted). Returns a float,
    or a NumPy array (K,) for ``average=None``.
    """
    tp, predicted, actual = _counts("precision", y_true, y_pred, average, pos_label)
    return _average(_divide(tp, predicted, zero_division), actual, average)


def recall(y_true, y_pred, average="binary", pos_label=1, zero_division=0.0):
    """Recall = TP / (TP + FN): of the samples of a class, the fraction found. Arguments as :func:`precision`."""
    tp, _, actual = _counts("recall", y_true, y_pred, average, pos_label)
    return _average(_divide(tp, actual, zero_division), actual, average)


def f1_score(y_true, y_pred, average="binary", pos_label=1, zero_division=0.0):
    """F1 = 2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall. Arguments as :func:`precision`."""
    tp, predicted, actual = _counts("f1_score", y_true, y_pred, average, pos_label)
    return _average(_divide(2 * tp, predicted + actual, zero_division), actual, average)


def confusion_matrix(y_true, y_pred, num_classes=None) -> np.ndarray:
    """Counts C[i, j] of samples of true class i predicted as class j (rows true, columns predicted).

    With ``num_classes``, the classes are 0..num_classes-1 (an absent class gets a zero row and
    column). Without it, the classes are the sorted labels present in y_true or y_pred, exactly as
    ``sklearn.metrics.confusion_matrix``. Returns int64 (K, K).
    """
    y_true, y_pred = _label_pair("confusion_matrix", y_true, y_pred)
    if num_classes is None:
        labels = np.union1d(y_true, y_pred)
    else:
        labels = np.arange(num_classes)
        for name, y in (("y_true", y_true), ("y_pred", y_pred)):
            bad = (y < 0) | (y >= num_classes)
            if bad.any():
                raise ValueError(
                    f"confusion_matrix(num_classes={num_classes}) expects labels in 0..{num_classes - 1}, "
                    f"got {name} values {np.unique(y[bad])[:5].tolist()}"
                )
    k = len(labels)
    i, j = np.searchsorted(labels, y_true), np.searchsorted(labels, y_pred)
    return np.bincount(i * k + j, minlength=k * k).reshape(k, k).astype(np.int64)


def _regression_pair(who, y_true, y_pred):
    y_true, y_pred = _check_pair(who, y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{who} expects y_true and y_pred of the same shape, got {y_true.shape} and {y_pred.shape}")
    if y_true.ndim > 2:
        raise ValueError(f"{who} expects targets of shape (N,) or (N, outputs), got {y_true.shape}")
    return y_true.astype(np.float64), y_pred.astype(np.float64)


def mean_absolute_error(y_true, y_pred) -> float:
    """MAE = mean |y - y_hat| (averaged over outputs too).  y_true, y_pred: (N,) or (N, outputs)."""
    y_true, y_pred = _regression_pair("mean_absolute_error", y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def mean_squared_error(y_true, y_pred) -> float:
    """MSE = mean (y - y_hat)^2 (averaged over outputs too).  y_true, y_pred: (N,) or (N, outputs)."""
    y_true, y_pred = _regression_pair("mean_squared_error", y_true, y_pred)
    return float(np.mean((y_true - y_pred) ** 2))


def r2_score(y_true, y_pred) -> float:
    """R^2 = 1 - sum (y - y_hat)^2 / sum (y - mean y)^2, averaged over outputs.

    1 is perfect, 0 is the constant mean predictor. A constant y_true scores 1.0 if predicted
    exactly and 0.0 otherwise (sklearn's ``force_finite=True``).
    """
    y_true, y_pred = _regression_pair("r2_score", y_true, y_pred)
    if len(y_true) < 2:
        raise ValueError("r2_score needs at least two samples (R^2 is not defined for one)")
    y_true, y_pred = y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_pred), -1)
    ss_res = np.sum((y_true - y_pred) ** 2, axis=0)
    ss_tot = np.sum((y_true - y_true.mean(axis=0)) ** 2, axis=0)
    r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(r2))
