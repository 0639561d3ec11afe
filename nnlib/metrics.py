"""Evaluation metrics, equal to scikit-learn's: classification (accuracy, precision, recall, F1,
confusion matrix), ranking by a score (ROC and precision-recall curves, ROC AUC, average precision)
and regression (MAE, MSE, R^2).

Inputs may be lists, NumPy arrays or torch tensors on any device. Class labels are
integers (floats holding whole numbers are accepted); for predicted scores of shape
(N, C), take ``scores.argmax(1)`` first.
"""
import warnings

import numpy as np

from nnlib._checks import to_numpy

__all__ = [
    "accuracy",
    "precision",
    "recall",
    "f1_score",
    "confusion_matrix",
    "roc_curve",
    "roc_auc_score",
    "precision_recall_curve",
    "average_precision_score",
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


# --- ranking metrics: a binary truth and a real-valued score per sample ---------------------------
def _binary_scores(who, y_true, y_score, pos_label):
    """(is_positive, score) as 1-D arrays, after checking that y_true has at most two labels."""
    y_true, y_score = _check_pair(who, y_true, y_score)
    if y_true.ndim == 2 and y_true.shape[1] == 1:
        y_true = y_true[:, 0]
    if y_score.ndim == 2 and y_score.shape[1] == 1:
        y_score = y_score[:, 0]
    if y_true.ndim != 1 or y_score.ndim != 1:
        raise ValueError(
            f"{who} expects y_true and y_score of shape (N,) (one score per sample, for the positive class), "
            f"got shapes {y_true.shape} and {y_score.shape}; for (N, 2) probabilities pass probs[:, 1]"
        )
    if not np.issubdtype(y_score.dtype, np.number) or np.issubdtype(y_score.dtype, np.complexfloating):
        raise TypeError(f"{who} expects real-valued scores in y_score, got dtype {y_score.dtype}")
    if not np.all(np.isfinite(y_score)):
        raise ValueError(f"{who} expects finite scores, got NaN or inf in y_score")
    present = np.unique(y_true)
    if len(present) > 2:
        raise ValueError(
            f"{who} is for two classes, got labels {present.tolist()}; for several classes score one class "
            f"against the rest: {who}(y == c, scores[:, c])"
        )
    if pos_label is None:
        # as scikit-learn: without pos_label, the labels must be {0, 1} or {-1, 1} and the positive is 1
        if not (set(present.tolist()) <= {0, 1} or set(present.tolist()) <= {-1, 1}):
            raise ValueError(f"{who}: y_true has labels {present.tolist()}, which are not {{0, 1}} or {{-1, 1}}; "
                             f"say which is the positive class with pos_label=")
        pos_label = 1
    elif len(present) == 2 and pos_label not in present.tolist():
        raise ValueError(f"{who}: pos_label={pos_label!r} is not one of the labels {present.tolist()}")
    return (y_true == pos_label), y_score.astype(np.float64)


def _counts_at_thresholds(is_positive, score):
    """False and true positives when predicting 'positive' for score >= t, for each distinct score t.

    Sorted from the highest threshold to the lowest: (fps, tps, thresholds), each (T,). Samples with
    equal (tied) scores switch to 'positive' together, so a threshold is only placed where the sorted
    scores change.
    """
    order = np.argsort(-score, kind="stable")
    score, is_positive = score[order], is_positive[order]
    last_of_each_value = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    tps = np.cumsum(is_positive, dtype=np.float64)[last_of_each_value]
    fps = (last_of_each_value + 1) - tps
    return fps, tps, score[last_of_each_value]


def roc_curve(y_true, y_score, pos_label=None, drop_intermediate=True):
    """Receiver operating characteristic: (fpr, tpr, thresholds), as ``sklearn.metrics.roc_curve``.

    For each threshold t (the distinct scores, highest first, after a first threshold of +inf that
    predicts nothing positive), predicting 'positive' for score >= t gives
    TPR = TP / (all positives) (recall) and FPR = FP / (all negatives).
    y_true: (N,) two labels; y_score: (N,) any real scores, higher meaning 'more positive'.
    drop_intermediate: drop thresholds whose point lies on a straight segment between its
    neighbours (they change neither the plotted curve nor its area). Returns three arrays (T,).
    """
    is_positive, score = _binary_scores("roc_curve", y_true, y_score, pos_label)
    fps, tps, thresholds = _counts_at_thresholds(is_positive, score)
    if drop_intermediate and len(fps) > 2:
        # a point is a corner when the second difference of fps or of tps is not zero there
        corner = np.r_[True, (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0), True]
        fps, tps, thresholds = fps[corner], tps[corner], thresholds[corner]
    fps, tps, thresholds = np.r_[0.0, fps], np.r_[0.0, tps], np.r_[np.inf, thresholds]
    fpr, tpr = np.full(len(fps), np.nan), np.full(len(tps), np.nan)
    if fps[-1] > 0:
        fpr = fps / fps[-1]
    else:
        warnings.warn("roc_curve: no negative samples in y_true, so the false positive rate is undefined (NaN)")
    if tps[-1] > 0:
        tpr = tps / tps[-1]
    else:
        warnings.warn("roc_curve: no positive samples in y_true, so the true positive rate is undefined (NaN)")
    return fpr, tpr, thresholds


def roc_auc_score(y_true, y_score, pos_label=None) -> float:
    """Area under the ROC curve (trapezoidal rule), as ``sklearn.metrics.roc_auc_score`` for two classes.

    It equals the probability that a random positive scores higher than a random negative, ties
    counting one half (the Mann-Whitney U statistic; Hanley & McNeil 1982): 0.5 is chance, 1 a
    perfect ranking. Undefined (NaN, with a warning, as scikit-learn) when y_true holds one class.
    """
    is_positive, score = _binary_scores("roc_auc_score", y_true, y_score, pos_label)
    if is_positive.all() or not is_positive.any():
        warnings.warn("roc_auc_score: only one class is present in y_true; ROC AUC is not defined there (NaN)")
        return float("nan")
    fpr, tpr, _ = roc_curve(is_positive.astype(int), score)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def precision_recall_curve(y_true, y_score, pos_label=None):
    """(precision, recall, thresholds), as ``sklearn.metrics.precision_recall_curve``.

    For each distinct score t (lowest first), predicting 'positive' for score >= t gives
    precision = TP / (TP + FP) (0 when nothing is predicted positive) and recall = TP / (all positives).
    The curves end with the point (recall 0, precision 1), which has no threshold: precision and
    recall are (T + 1,), thresholds (T,); recall is decreasing. Without positives in y_true, recall
    is 1 everywhere (with a warning), as scikit-learn.
    """
    is_positive, score = _binary_scores("precision_recall_curve", y_true, y_score, pos_label)
    fps, tps, thresholds = _counts_at_thresholds(is_positive, score)
    predicted = tps + fps
    precision_ = np.where(predicted > 0, tps / np.where(predicted > 0, predicted, 1.0), 0.0)
    if tps[-1] > 0:
        recall_ = tps / tps[-1]
    else:
        warnings.warn("precision_recall_curve: no positive samples in y_true; recall is set to 1 for all thresholds")
        recall_ = np.ones_like(tps)
    return np.r_[precision_[::-1], 1.0], np.r_[recall_[::-1], 0.0], thresholds[::-1]


def average_precision_score(y_true, y_score, pos_label=1) -> float:
    """Average precision, as ``sklearn.metrics.average_precision_score`` for two classes.

    AP = sum_k (R_k - R_{k-1}) P_k over the thresholds of :func:`precision_recall_curve`: the precision
    at each threshold, weighted by the recall gained there (a step function, not the trapezoidal
    rule, which would be optimistic). 1 for a perfect ranking; about the share of positives for a
    random one.
    """
    precision_, recall_, _ = precision_recall_curve(y_true, y_score, pos_label=pos_label)
    # recall decreases along the arrays, so -diff(recall) are the recall gains; clip -0.0 to 0
    return float(max(0.0, -np.sum(np.diff(recall_) * precision_[:-1])))


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
