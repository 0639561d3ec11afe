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


# --- ranking metrics: ROC and precision-recall curves ------------------------------------------
# scores drawn from a few values make ties common, which is where curve code usually goes wrong
ranked = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda y: 0 < sum(y) < len(y)),
        st.lists(st.sampled_from([-1.0, 0.0, 0.25, 0.5, 0.5, 0.75, 2.0]), min_size=n, max_size=n)
        | st.lists(st.floats(-5, 5, allow_nan=False), min_size=n, max_size=n),
    )
)


@settings(max_examples=80, deadline=None)
@given(pair=ranked, drop=st.booleans())
def test_roc_curve_and_auc_equal_sklearn_with_ties(pair, drop):
    y_true, y_score = map(np.array, pair)
    for ours, ref in zip(metrics.roc_curve(y_true, y_score, drop_intermediate=drop),
                         skm.roc_curve(y_true, y_score, drop_intermediate=drop)):
        np.testing.assert_allclose(ours, ref)
    assert metrics.roc_auc_score(y_true, y_score) == pytest.approx(skm.roc_auc_score(y_true, y_score))


@settings(max_examples=80, deadline=None)
@given(pair=ranked)
def test_precision_recall_curve_and_average_precision_equal_sklearn_with_ties(pair):
    y_true, y_score = map(np.array, pair)
    for ours, ref in zip(metrics.precision_recall_curve(y_true, y_score), skm.precision_recall_curve(y_true, y_score)):
        np.testing.assert_allclose(ours, ref)
    assert metrics.average_precision_score(y_true, y_score) == pytest.approx(
        skm.average_precision_score(y_true, y_score))


def test_roc_auc_is_the_probability_that_a_positive_outranks_a_negative_ties_counting_half():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, 200)
    y_score = rng.integers(0, 5, 200).astype(float)          # five values: many ties
    pos, neg = y_score[y_true == 1], y_score[y_true == 0]
    wins = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert metrics.roc_auc_score(y_true, y_score) == pytest.approx(wins)


def test_ranking_metrics_all_tied_scores_and_perfect_ranking():
    y = [0, 1, 0, 1]
    fpr, tpr, thresholds = metrics.roc_curve(y, [0.3] * 4)   # one threshold: the diagonal's two ends
    np.testing.assert_array_equal(fpr, [0, 1])
    np.testing.assert_array_equal(tpr, [0, 1])
    assert thresholds[0] == np.inf and thresholds[1] == 0.3
    assert metrics.roc_auc_score(y, [0.3] * 4) == 0.5 == skm.roc_auc_score(y, [0.3] * 4)
    assert metrics.average_precision_score(y, [0.3] * 4) == 0.5 == skm.average_precision_score(y, [0.3] * 4)
    assert metrics.roc_auc_score(y, [0.1, 0.9, 0.2, 0.8]) == 1.0
    assert metrics.average_precision_score(y, [0.1, 0.9, 0.2, 0.8]) == 1.0


def test_ranking_metrics_accept_pos_label_booleans_and_tensors(device):
    y, s = np.array([2, 5, 5, 2, 5]), np.array([0.2, 0.4, 0.9, 0.5, 0.7])
    assert metrics.roc_auc_score(y, s, pos_label=5) == pytest.approx(skm.roc_auc_score(y == 5, s))
    for ours, ref in zip(metrics.precision_recall_curve(y, s, pos_label=5), skm.precision_recall_curve(y, s, pos_label=5)):
        np.testing.assert_allclose(ours, ref)
    assert metrics.average_precision_score(y == 5, s) == pytest.approx(skm.average_precision_score(y == 5, s))
    t = torch.tensor(s, device=device)
    assert metrics.roc_auc_score(torch.tensor(y == 5, device=device), t) == pytest.approx(skm.roc_auc_score(y == 5, s))


def test_one_class_only_is_undefined_as_in_sklearn():
    with pytest.warns(UserWarning, match="only one class"):
        assert np.isnan(metrics.roc_auc_score([1, 1, 1], [0.1, 0.2, 0.3]))
    with pytest.warns(UserWarning, match="no negative"):
        fpr, tpr, _ = metrics.roc_curve([1, 1, 1], [0.1, 0.2, 0.3])
    assert np.isnan(fpr).all()
    with pytest.warns(UserWarning, match="no positive"):
        precision, recall, _ = metrics.precision_recall_curve([0, 0], [0.1, 0.2])
    with pytest.warns(UserWarning):
        ref_precision, ref_recall, _ = skm.precision_recall_curve([0, 0], [0.1, 0.2])
    np.testing.assert_allclose(precision, ref_precision)
    np.testing.assert_allclose(recall, ref_recall)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: metrics.roc_curve([0, 1, 2], [0.1, 0.2, 0.3]), ValueError, r"two classes.*y == c"),
        (lambda: metrics.roc_auc_score([0, 1], np.ones((2, 2))), ValueError, r"probs\[:, 1\]"),
        (lambda: metrics.roc_auc_score([0, 1], [0.1, np.nan]), ValueError, "finite"),
        (lambda: metrics.roc_curve([2, 3], [0.1, 0.2]), ValueError, "pos_label="),
        (lambda: metrics.roc_curve([2, 3], [0.1, 0.2], pos_label=1), ValueError, "pos_label=1 is not one"),
        (lambda: metrics.precision_recall_curve([0, 1], [0.1]), ValueError, "same length"),
        (lambda: metrics.average_precision_score([0, 1], ["a", "b"]), TypeError, "real-valued"),
    ],
)
def test_ranking_metrics_bad_input_raises_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


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
