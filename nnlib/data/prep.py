"""Data preparation: splits, scaling, one-hot codes, missing values, outliers, mini-batches, k folds.

Every statistic (mean, std, min, max, percentiles) is computed on the TRAINING data only
and then applied unchanged to validation and test data: anything else leaks the test set
into the model. Features run along the last axis; statistics are taken over axis 0.

Functions that take ``train, *others`` return one array when given one array, and a
tuple (in the same order) when given several.
"""
import warnings

import numpy as np

from nnlib._checks import to_numpy
from nnlib.random import get_generator

__all__ = [
    "train_val_test_split",
    "k_fold",
    "Standardizer",
    "standardize",
    "MinMaxScaler",
    "min_max_scale",
    "one_hot",
    "batches",
    "impute_missing",
    "clip_outliers",
]


def _length(arrays, who):
    if not arrays:
        raise ValueError(f"{who} needs at least one array")
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) != 1:
        raise ValueError(f"{who} needs arrays of the same length (first dimension), got lengths {lengths}")
    return lengths[0]


def _take(a, index):
    """``a[index]`` for a NumPy array, a torch tensor (index moved to its device) or a list."""
    if hasattr(a, "detach"):  # a torch tensor: index it with a tensor on its own device
        import torch

        return a[torch.as_tensor(index, device=a.device)]
    if isinstance(a, np.ndarray):
        return a[index]
    return [a[i] for i in index]


def _one_or_tuple(results):
    return results[0] if len(results) == 1 else tuple(results)


def train_val_test_split(*arrays, val=0.15, test=0.15, seed=0, stratify=None):
    """Shuffle and split arrays of equal length into train / validation / test parts.

    val, test: fractions in [0, 1) of the samples (their sum below 1). ``stratify``: class
    labels (N,); each class is then split in the same proportions. Returns
    ``a_train, a_val, a_test, b_train, b_val, b_test, ...`` (three parts per array, in order).
    """
    n = _length(arrays, "train_val_test_split")
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise ValueError(f"train_val_test_split expects 0 <= val, test and val + test < 1, got val={val}, test={test}")
    rng = get_generator(seed)
    if stratify is None:
        groups = [rng.permutation(n)]
    else:
        labels = to_numpy(stratify)
        if labels.shape != (n,):
            raise ValueError(f"stratify must hold one label per sample, shape ({n},), got shape {labels.shape}")
        groups = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    parts = ([], [], [])
    for idx in groups:
        n_test = int(round(test * len(idx)))
        n_val = int(round(val * len(idx)))
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test:n_test + n_val])
        parts[0].append(idx[n_test + n_val:])
    # shuffle again so stratified parts do not come sorted by class
    index = [rng.permutation(np.concatenate(p)) for p in parts]
    return tuple(_take(a, i) for a in arrays for i in index)


def k_fold(n_samples, k=5, shuffle=True, seed=0, stratify=None):
    """Yield ``(train_index, val_index)`` for k-fold cross-validation; every sample is validated once.

    With ``stratify`` (labels (n_samples,)), each fold holds the classes in the same proportions.
    """
    if not 2 <= k <= n_samples:
        raise ValueError(f"k_fold needs 2 <= k <= n_samples, got k={k}, n_samples={n_samples}")
    rng = get_generator(seed)
    order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    if stratify is not None:
        labels = to_numpy(stratify)[order]
        # dealing each class out round-robin keeps its share equal in every fold
        order = order[np.argsort(labels, kind="stable")]
    folds = [order[i::k] for i in range(k)]
    for i in range(k):
        train = np.concatenate([folds[j] for j in range(k) if j != i])
        yield np.sort(train), np.sort(folds[i])


class Standardizer:
    """z = (x - mean) / std, with mean and std per feature from the training data.

    A feature with zero variance keeps std = 1 (it maps to 0 rather than to NaN).
    """

    def __init__(self, axis=0):
        self.axis = axis
        self.mean = self.std = None

    def fit(self, X):
        X = np.asarray(X, dtype=np.float64)
        self.mean = X.mean(axis=self.axis, keepdims=True)
        std = X.std(axis=self.axis, keepdims=True)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def _check(self):
        if self.mean is None:
            raise RuntimeError("Standardizer: call fit(X_train) before transform")

    def transform(self, X):
        self._check()
        return (np.asarray(X, dtype=np.float64) - self.mean) / self.std

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        self._check()
        return np.asarray(Z, dtype=np.float64) * self.std + self.mean

    def __repr__(self):
        shape = None if self.mean is None else self.mean.shape
        return f"Standardizer(axis={self.axis}, fitted={'no' if shape is None else shape})"


def standardize(train, *others):
    """Standardize ``train``, and each of ``others`` with train's mean and std (see :class:`Standardizer`).

    Use the class itself when you need ``inverse_transform`` (e.g. to map predictions back).
    """
    scaler = Standardizer().fit(train)
    return _one_or_tuple([scaler.transform(a) for a in (train, *others)])


class MinMaxScaler:
    """x' = lo + (x - min) (hi - lo) / (max - min), with min and max per feature from the training data.

    A constant feature maps to ``lo``.
    """

    def __init__(self, feature_range=(0.0, 1.0)):
        lo, hi = feature_range
        if not lo < hi:
            raise ValueError(f"MinMaxScaler expects feature_range (lo, hi) with lo < hi, got {feature_range}")
        self.feature_range = (float(lo), float(hi))
        self.data_min = self.scale = None

    def fit(self, X):
        X = np.asarray(X, dtype=np.float64)
        self.data_min = X.min(axis=0, keepdims=True)
        span = X.max(axis=0, keepdims=True) - self.data_min
        lo, hi = self.feature_range
        self.scale = (hi - lo) / np.where(span > 0, span, 1.0)
        return self

    def transform(self, X):
        if self.data_min is None:
            raise RuntimeError("MinMaxScaler: call fit(X_train) before transform")
        return self.feature_range[0] + (np.asarray(X, dtype=np.float64) - self.data_min) * self.scale

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        return (np.asarray(Z, dtype=np.float64) - self.feature_range[0]) / self.scale + self.data_min


def min_max_scale(train, *others, feature_range=(0.0, 1.0)):
    """Scale ``train`` to ``feature_range`` per feature, and ``others`` with train's min and max."""
    scaler = MinMaxScaler(feature_range).fit(train)
    return _one_or_tuple([scaler.transform(a) for a in (train, *others)])


def one_hot(labels, num_classes=None, dtype=np.float64):
    """One-hot codes: labels (N,) integers in 0..num_classes-1 -> (N, num_classes) of 0/1.

    ``num_classes`` defaults to ``max(labels) + 1`` (as ``torch.nn.functional.one_hot``).
    Accepts lists, NumPy arrays or torch tensors; returns a NumPy array of ``dtype``.
    """
    y = to_numpy(labels)
    if y.dtype == bool or not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise TypeError(f"one_hot expects integer class labels, got dtype {y.dtype}")
    if np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y) & (y == np.round(y))):
            bad = y[~(np.isfinite(y) & (y == np.round(y)))][:5]
            raise ValueError(f"one_hot expects integer class labels, got non-integer values such as {bad.tolist()}")
        y = y.astype(np.int64)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    out_of_range = (y < 0) | (y >= num_classes)
    if np.any(out_of_range):
        raise ValueError(
            f"one_hot(num_classes={num_classes}) expects labels in 0..{num_classes - 1}, "
            f"got {sorted(set(y[out_of_range].tolist()))[:5]}"
        )
    return np.eye(num_classes, dtype=dtype)[y]


def batches(*arrays, batch_size, shuffle=True, seed=0, drop_last=False):
    """Yield mini-batches of ``arrays`` (equal lengths): ``(xb, yb)`` for two arrays, ``xb`` for one.

    ``seed``: an int or a ``numpy.random.Generator`` (pass one generator to get a new order
    every epoch). Works on NumPy arrays and torch tensors (batches stay on the tensor's device).
    The last, smaller batch is kept unless ``drop_last``.
    """
    n = _length(arrays, "batches")
    if batch_size < 1:
        raise ValueError(f"batches expects batch_size >= 1, got {batch_size}")
    order = get_generator(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        index = order[start:start + batch_size]
        yield _one_or_tuple([_take(a, index) for a in arrays])


def impute_missing(train, *others, strategy="mean"):
    """Replace NaN in ``train`` and ``others`` by the per-feature mean or median of ``train``."""
    train = np.asarray(train, dtype=np.float64)
    if strategy not in ("mean", "median"):
        raise ValueError(f"impute_missing expects strategy 'mean' or 'median', got {strategy!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN feature: reported below, clearly
        fill = np.nanmean(train, axis=0) if strategy == "mean" else np.nanmedian(train, axis=0)
    if np.any(np.isnan(fill)):
        raise ValueError(
            f"impute_missing: features {np.flatnonzero(np.isnan(fill)).tolist()} are missing in every "
            f"training sample, so there is nothing to fill them with; drop those features"
        )
    results = []
    for a in (train, *others):
        a = np.array(a, dtype=np.float64)
        missing = np.isnan(a)
        a[missing] = np.broadcast_to(fill, a.shape)[missing]
        results.append(a)
    return _one_or_tuple(results)


def clip_outliers(train, *others, method="percentile", lower=1.0, upper=99.0, z=3.0):
    """Clip each feature to bounds computed on ``train``.

    method='percentile': bounds are train's ``lower``-th and ``upper``-th percentiles;
    method='zscore': bounds are mean -/+ ``z`` standard deviations of train.
    """
    train = np.asarray(train, dtype=np.float64)
    if method == "percentile":
        if not 0 <= lower < upper <= 100:
            raise ValueError(f"clip_outliers expects 0 <= lower < upper <= 100, got lower={lower}, upper={upper}")
        lo, hi = np.percentile(train, [lower, upper], axis=0)
    elif method == "zscore":
        if z <= 0:
            raise ValueError(f"clip_outliers expects z > 0, got {z}")
        mean, std = train.mean(axis=0), train.std(axis=0)
        lo, hi = mean - z * std, mean + z * std
    else:
        raise ValueError(f"clip_outliers expects method 'percentile' or 'zscore', got {method!r}")
    return _one_or_tuple([np.clip(np.asarray(a, dtype=np.float64), lo, hi) for a in (train, *others)])
