"""nnlib.metrics equals scikit-learn's metrics on random and edge-case inputs."""
import numpy as np
import pytest
import sklearn.metrics as skm
import torch
from hypothesis import given, settings, strategies as st

from nnlib import metrics

# sklearn warns that a one-label confusion matrix may be smaller than intended: that is the case tested
pytestmark = pytest.mark.filterwarnings("ignore:A single label was found")

labels = st.integers(1, 40).flatmap(
    lambda n: st.tuples(st.lists(st.integers(0, 4), min_size=n, max_size=n), st.lists(st.integers(0, 4), min_size=n, max_size=n))
)
binary = st.integers(1, 40).flatmap(
    lambda n: st.tuples(st.lists(st.integers(0, 1), min_size=n, max_size=n), st.lists(st.integers(0, 1), min_size=n, max_size=n))
)
SCORES = [
    (metrics.precision, skm.precision_score),
    (metrics.recall, skm.recall_score),
    (metrics.f1_score, skm.f1_score),
]


@settings(max_examples=60, deadline=None)
@given(pair=labels, average=st.sampled_from(["macro", "micro", "weighted", None]), zero_division=st.sampled_from([0.0, 1.0]))
def test_multiclass_scores_equal_sklearn(pair, average, zero_division):
    y_true, y_pred = map(np.array, pair)
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    for ours, ref in SCORES:
        expected = ref(y_true, y_pred, average=average, zero_division=zero_division)
        assert ours(y_true, y_pred, average=average, zero_division=zero_division) == pytest.approx(expected), ours.__name__


@settings(max_examples=60, deadline=None)
@given(pair=binary, pos_label=st.sampled_from([0, 1]))
def test_binary_scores_equal_sklearn(pair, pos_label):
    y_true, y_pred = map(np.array, pair)
    for ours, ref in SCORES:
        expected = ref(y_true, y_pred, pos_label=pos_label, zero_division=0)
        assert ours(y_true, y_pred, pos_label=pos_label) == pytest.approx(expected), ours.__name__


@settings(max_examples=60, deadline=None)
@given(pair=labels)
def test_confusion_matrix_equals_sklearn(pair):
    y_true, y_pred = map(np.array, pair)
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred))
    np.testing.assert_array_equal(
        metrics.confusion_matrix(y_true, y_pred, num_classes=6), skm.confusion_matrix(y_true, y_pred, labels=range(6))
    )


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 30), outputs=st.sampled_from([None, 1, 3]), seed=st.integers(0, 10_000))
def test_regression_metrics_equal_sklearn(n, outputs, seed):
    rng = np.random.default_rng(seed)
    shape = (n,) if outputs is None else (n, outputs)
    y, p = rng.normal(size=shape), rng.normal(size=shape)
    assert metrics.mean_absolute_error(y, p) == pytest.approx(skm.mean_absolute_error(y, p))
    assert metrics.mean_squared_error(y, p) == pytest.approx(skm.mean_squared_error(y, p))
    assert metrics.r2_score(y, p) == pytest.approx(skm.r2_score(y, p))


# --- edge cases ---------------------------------------------------------------------------------
EDGE_CASES = {
    "a class never predicted": ([0, 1, 2, 2], [0, 1, 1, 1]),
    "all one class": ([1, 1, 1], [1, 1, 1]),
    "labels absent from y_true": ([0, 0, 1], [0, 2, 3]),
    "nothing right": ([0, 1, 2], [1, 2, 0]),
}


@pytest.mark.parametrize("case", EDGE_CASES, ids=list(EDGE_CASES))
@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_edge_cases_equal_sklearn(case, average):
    y_true, y_pred = EDGE_CASES[case]
    for ours, ref in SCORES:
        assert ours(y_true, y_pred, average=average) == pytest.approx(ref(y_true, y_pred, average=average, zero_division=0))
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred))


def test_average_none_gives_one_score_per_label_and_macro_is_their_mean():
    y_true, y_pred = [0, 1, 2, 2, 1], [0, 2, 2, 2, 1]
    per_label = metrics.f1_score(y_true, y_pred, average=None)
    assert isinstance(per_label, np.ndarray) and per_label.shape == (3,)
    assert metrics.f1_score(y_true, y_pred, average="macro") == pytest.approx(per_label.mean())


def test_binary_with_positive_class_never_present_scores_zero_division():
    assert metrics.precision([0, 0], [0, 0]) == 0.0
    assert metrics.recall([0, 0], [0, 0], zero_division=1.0) == 1.0


def test_r2_of_constant_target_follows_sklearn():
    assert metrics.r2_score([2.0, 2.0], [2.0, 2.0]) == skm.r2_score([2.0, 2.0], [2.0, 2.0]) == 1.0
    assert metrics.r2_score([2.0, 2.0], [1.0, 2.0]) == skm.r2_score([2.0, 2.0], [1.0, 2.0]) == 0.0


# --- input types and errors ---------------------------------------------------------------------
def test_metrics_accept_lists_arrays_and_tensors_on_any_device(device):
    y_true, y_pred = [0, 1, 2, 1], [0, 2, 2, 1]
    as_tensor = lambda a: torch.tensor(a, device=device)
    for convert in (list, np.array, as_tensor):
        assert metrics.accuracy(convert(y_true), convert(y_pred)) == 0.75
        assert metrics.f1_score(convert(y_true), convert(y_pred), average="macro") == pytest.approx(
            skm.f1_score(y_true, y_pred, average="macro")
        )
    yt = torch.tensor([1.0, 2.0], device=device)
    assert metrics.mean_squared_error(yt, yt * 2) == 2.5


def test_whole_number_floats_count_as_labels():
    assert metrics.accuracy(np.array([0.0, 1.0]), np.array([0, 1])) == 1.0


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: metrics.accuracy([0, 1], [0]), ValueError, "same length"),
        (lambda: metrics.accuracy([], []), ValueError, "empty"),
        (lambda: metrics.accuracy([0.5, 1], [0, 1]), ValueError, "non-integer"),
        (lambda: metrics.accuracy([0, 1], np.zeros((2, 3))), ValueError, "argmax"),
        (lambda: metrics.accuracy(["a"], ["a"]), TypeError, "integer class labels"),
        (lambda: metrics.precision([0, 1, 2], [0, 1, 2]), ValueError, "average='macro'"),
        (lambda: metrics.precision([0, 2], [0, 2]), ValueError, "pos_label=1"),
        (lambda: metrics.recall([0, 1], [0, 1], average="samples"), ValueError, "average="),
        (lambda: metrics.confusion_matrix([0, 3], [0, 1], num_classes=3), ValueError, "0..2"),
        (lambda: metrics.mean_squared_error([1.0, 2.0], [1.0]), ValueError, "same length"),
        (lambda: metrics.r2_score([1.0], [1.0]), ValueError, "two samples"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()
