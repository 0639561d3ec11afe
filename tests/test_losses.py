"""Losses and weight penalties in both backends: values and gradients equal torch.nn's."""
import numpy as np
import pytest
import torch

import nnlib.numpy as nnp
import nnlib.torch as ntorch
from nnlib.gradcheck import numerical_gradient
from parity import assert_close, tensor, to_numpy
from conftest import TEST_DEVICE

BACKENDS = [nnp, ntorch]
REDUCTIONS = ["mean", "sum"]


def rng(seed=0):
    return np.random.default_rng(seed)


def regression_data():
    return rng(0).standard_normal((5, 3)), rng(1).standard_normal((5, 3))


def probability_data():
    return rng(0).uniform(0.02, 0.98, (6, 2)), rng(1).uniform(0, 1, (6, 2)).round()


def logit_data():
    return rng(0).standard_normal((6, 2)) * 3, rng(1).uniform(0, 1, (6, 2)).round()


def class_data(log_probs=False):
    z = rng(0).standard_normal((7, 4)) * 2
    if log_probs:
        z = torch.log_softmax(torch.from_numpy(z), dim=1).numpy()
    return z, np.array([0, 3, 1, 1, 2, 0, 3])


CLASS_WEIGHT = [0.5, 2.0, 1.0, 3.0]
# (name, our factory, torch reference factory, data)
LOSSES = [
    ("MSELoss", lambda nn, r: nn.MSELoss(reduction=r), lambda r: torch.nn.MSELoss(reduction=r), regression_data),
    ("L1Loss", lambda nn, r: nn.L1Loss(reduction=r), lambda r: torch.nn.L1Loss(reduction=r), regression_data),
    ("HuberLoss", lambda nn, r: nn.HuberLoss(reduction=r), lambda r: torch.nn.HuberLoss(reduction=r), regression_data),
    ("HuberLoss(delta=0.5)", lambda nn, r: nn.HuberLoss(reduction=r, delta=0.5),
     lambda r: torch.nn.HuberLoss(reduction=r, delta=0.5), regression_data),
    ("BCELoss", lambda nn, r: nn.BCELoss(reduction=r), lambda r: torch.nn.BCELoss(reduction=r), probability_data),
    ("BCEWithLogitsLoss", lambda nn, r: nn.BCEWithLogitsLoss(reduction=r),
     lambda r: torch.nn.BCEWithLogitsLoss(reduction=r), logit_data),
    ("BCEWithLogitsLoss(pos_weight)", lambda nn, r: nn.BCEWithLogitsLoss(reduction=r, pos_weight=[3.0, 0.5]),
     lambda r: torch.nn.BCEWithLogitsLoss(reduction=r, pos_weight=torch.tensor([3.0, 0.5], dtype=torch.float64)),
     logit_data),
    ("CrossEntropyLoss", lambda nn, r: nn.CrossEntropyLoss(reduction=r),
     lambda r: torch.nn.CrossEntropyLoss(reduction=r), class_data),
    ("CrossEntropyLoss(weight)", lambda nn, r: nn.CrossEntropyLoss(weight=CLASS_WEIGHT, reduction=r),
     lambda r: torch.nn.CrossEntropyLoss(weight=torch.tensor(CLASS_WEIGHT, dtype=torch.float64), reduction=r),
     class_data),
    ("NLLLoss", lambda nn, r: nn.NLLLoss(reduction=r), lambda r: torch.nn.NLLLoss(reduction=r),
     lambda: class_data(log_probs=True)),
    ("NLLLoss(weight)", lambda nn, r: nn.NLLLoss(weight=CLASS_WEIGHT, reduction=r),
     lambda r: torch.nn.NLLLoss(weight=torch.tensor(CLASS_WEIGHT, dtype=torch.float64), reduction=r),
     lambda: class_data(log_probs=True)),
    ("MultiMarginLoss", lambda nn, r: nn.MultiMarginLoss(reduction=r), lambda r: torch.nn.MultiMarginLoss(reduction=r),
     class_data),
    ("MultiMarginLoss(p=2, margin, weight)", lambda nn, r: nn.MultiMarginLoss(p=2, margin=0.5, weight=CLASS_WEIGHT,
                                                                              reduction=r),
     lambda r: torch.nn.MultiMarginLoss(p=2, margin=0.5, weight=torch.tensor(CLASS_WEIGHT, dtype=torch.float64),
                                        reduction=r),
     class_data),
]
IDS = [case[0] for case in LOSSES]


def target_for(nn, target):
    """The target as each backend takes it: integer classes stay integer (int64 tensors for torch)."""
    if nn is nnp:
        return target
    return torch.as_tensor(target, device=TEST_DEVICE) if target.dtype.kind == "i" else tensor(target)


def pair(nn, pred, target):
    """``(pred, target)`` as each backend takes them."""
    return (pred if nn is nnp else tensor(pred)), target_for(nn, target)


def torch_reference(ref_factory, reduction, pred, target):
    ref = ref_factory(reduction).to(TEST_DEVICE)
    p = tensor(pred, requires_grad=True)
    value = ref(p, target_for(ntorch, target))
    value.backward()
    return value, p.grad


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, factory, ref_factory, data", LOSSES, ids=IDS)
def test_loss_value_and_gradient_match_torch_nn(name, factory, ref_factory, data, reduction):
    pred, target = data()
    value_ref, grad_ref = torch_reference(ref_factory, reduction, pred, target)
    for nn in BACKENDS:
        loss = factory(nn, reduction)
        value = loss(*pair(nn, pred, target))
        assert np.ndim(to_numpy(value)) == 0, f"{nn.BACKEND}: the loss is not a scalar"
        assert_close(value, value_ref, f"{nn.BACKEND}: {name} value")
        assert_close(loss.backward(), grad_ref, f"{nn.BACKEND}: {name} gradient")
        assert_close(loss.backward(2.5), 2.5 * grad_ref, f"{nn.BACKEND}: {name} gradient scaled by grad")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, factory, ref_factory, data", LOSSES, ids=IDS)
def test_loss_backward_matches_finite_differences(name, factory, ref_factory, data, reduction):
    pred, target = data()
    loss = factory(nnp, reduction)
    loss(pred, target)
    grad = loss.backward()
    # L1 has kinks at pred == target only, which these random data stay far from
    np.testing.assert_allclose(grad, numerical_gradient(lambda p: loss(p, target), pred.copy()), atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("name, factory, ref_factory, data", LOSSES, ids=IDS)
def test_torch_loss_manual_backward_matches_autograd(name, factory, ref_factory, data):
    pred, target = data()
    loss = factory(ntorch, "mean").to(device=TEST_DEVICE)
    p = tensor(pred, requires_grad=True)
    loss(p, target_for(ntorch, target)).backward()
    assert_close(loss.backward(), p.grad, f"{name}: manual vs autograd")


def test_cross_entropy_is_finite_and_exact_at_logits_of_1e4():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, 0.0, -1e4]])
    t = np.array([1, 2, 0])
    value_ref, grad_ref = torch_reference(lambda r: torch.nn.CrossEntropyLoss(reduction=r), "mean", z, t)
    for nn in BACKENDS:
        loss = nn.CrossEntropyLoss()
        value = loss(*pair(nn, z, t))
        assert np.isfinite(to_numpy(value)) and np.all(np.isfinite(to_numpy(loss.backward())))
        assert_close(value, value_ref, f"{nn.BACKEND}: value")
        assert_close(loss.backward(), grad_ref, f"{nn.BACKEND}: gradient")


def test_cross_entropy_equals_log_softmax_followed_by_nll():
    z, t = class_data()
    for nn in BACKENDS:
        zz, tt = pair(nn, z, t)
        lsm = nn.LogSoftmax(dim=1)
        nll, ce = nn.NLLLoss(), nn.CrossEntropyLoss()
        assert_close(ce(zz, tt), nll(lsm(zz), tt), f"{nn.BACKEND}: value")
        assert_close(ce.backward(), lsm.backward(nll.backward()), f"{nn.BACKEND}: gradient")


def test_bce_clamps_its_logs_at_minus_100_like_torch():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    value_ref, grad_ref = torch_reference(lambda r: torch.nn.BCELoss(reduction=r), "sum", p, t)
    assert value_ref.item() == pytest.approx(200 + np.log(2))
    for nn in BACKENDS:
        loss = nn.BCELoss(reduction="sum")
        assert_close(loss(*pair(nn, p, t)), value_ref, f"{nn.BACKEND}: value")
        assert_close(loss.backward(), grad_ref, f"{nn.BACKEND}: gradient")


def test_bce_with_logits_does_not_overflow_at_logits_of_1000():
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    value_ref, grad_ref = torch_reference(lambda r: torch.nn.BCEWithLogitsLoss(reduction=r), "mean", x, t)
    with np.errstate(all="raise", under="ignore"):
        loss = nnp.BCEWithLogitsLoss()
        assert_close(loss(x, t), value_ref, "value")
        assert_close(loss.backward(), grad_ref, "gradient")


def test_class_weights_are_kept_in_the_state_dict_like_torch():
    ref = torch.nn.CrossEntropyLoss(weight=torch.tensor(CLASS_WEIGHT))
    for nn in BACKENDS:
        assert list(nn.CrossEntropyLoss(weight=CLASS_WEIGHT).state_dict()) == list(ref.state_dict()) == ["weight"]
        assert list(nn.MSELoss().state_dict()) == list(torch.nn.MSELoss().state_dict()) == []


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_bce_rejects_probabilities_outside_0_1_and_reports_the_range(nn):
    p, t = np.array([0.2, 1.3, -0.1]), np.array([0.0, 1.0, 1.0])
    expected = r"BCELoss\(reduction='mean'\) expects probabilities in \[0, 1\].*got values in \[-0\.1, 1\.3\]"
    with pytest.raises(ValueError, match=expected):
        nn.BCELoss()(*pair(nn, p, t))


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
@pytest.mark.parametrize("make", [lambda nn: nn.CrossEntropyLoss(), lambda nn: nn.NLLLoss(), lambda nn: nn.MultiMarginLoss()],
                         ids=["CE", "NLL", "MultiMargin"])
def test_class_losses_reject_float_or_out_of_range_targets(nn, make):
    z = np.zeros((3, 4))
    zz = z if nn is nnp else tensor(z)
    with pytest.raises(TypeError, match="Loss.*expects integer class indices as target, got .*float"):
        make(nn)(zz, np.array([0.0, 1.0, 2.0]) if nn is nnp else tensor([0.0, 1.0, 2.0]))
    for bad in (4, -1):
        with pytest.raises(ValueError, match=rf"Loss.*target {bad} is out of bounds.*\[0, 4\) for C = 4"):
            make(nn)(zz, target_for(nn, np.array([0, bad, 1])))
    with pytest.raises(ValueError, match=r"expects target of shape \(3,\).*got target of shape \(3, 1\)"):
        make(nn)(zz, target_for(nn, np.array([[0], [1], [2]])))
    with pytest.raises(ValueError, match=r"expects input of shape \(N, C\).*got shape \(12,\)"):
        make(nn)(zz.reshape(-1), target_for(nn, np.array([0, 1, 2])))


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_losses_reject_mismatched_shapes_and_nan_predictions(nn):
    a, b = np.zeros((4, 1)), np.zeros(4)
    with pytest.raises(ValueError, match=r"MSELoss.*same shape, got input \(prediction\) \(4, 1\) and target \(4,\)"):
        nn.MSELoss()(*pair(nn, a, b))
    bad = np.array([0.5, np.nan])
    with pytest.raises(ValueError, match="L1Loss.*got NaN in its input"):
        nn.L1Loss()(*pair(nn, bad, np.zeros(2)))
    with pytest.raises(ValueError, match="CrossEntropyLoss.*got NaN"):
        nn.CrossEntropyLoss()(*pair(nn, bad[None], np.array([0])))
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum', got 'avg'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="2 class weights, got input with C = 3"):
        nn.CrossEntropyLoss(weight=[1.0, 2.0])(*pair(nn, np.zeros((2, 3)), np.array([0, 1])))


# --- penalties ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, torch_penalty", [
    ("l1_penalty", lambda w, s: s * w.abs().sum()),
    ("l2_penalty", lambda w, s: s * (w**2).sum()),
])
def test_penalties_return_their_value_and_add_their_gradient_like_autograd(name, torch_penalty):
    weights = [rng(0).standard_normal((3, 4)), rng(1).standard_normal(5)]
    strength = 0.03
    refs = [tensor(w, requires_grad=True) for w in weights]
    value_ref = sum(torch_penalty(w, strength) for w in refs)
    value_ref.backward()
    for nn in BACKENDS:
        params = [nn.Parameter(w.copy() if nn is nnp else tensor(w)) for w in weights]
        params[0].accumulate(np.ones((3, 4)) if nn is nnp else tensor(np.ones((3, 4))))  # an earlier loss gradient
        value = getattr(nn, name)(iter(params), strength)
        assert_close(value, value_ref, f"{nn.BACKEND}: {name} value")
        assert_close(params[0].grad, refs[0].grad + 1, f"{nn.BACKEND}: {name} adds to the existing gradient")
        assert_close(params[1].grad, refs[1].grad, f"{nn.BACKEND}: {name} gradient")
    assert isinstance(getattr(ntorch, name)([ntorch.Parameter(tensor(weights[1]))], strength), torch.Tensor)


def test_penalties_reject_non_parameters_and_negative_strength():
    for nn in BACKENDS:
        with pytest.raises(TypeError, match="l2_penalty expects Parameters .*got ndarray"):
            nn.l2_penalty([np.zeros(3)], 0.1)
        with pytest.raises(ValueError, match="l1_penalty expects a strength >= 0, got -1"):
            nn.l1_penalty(nn.Linear(2, 2).parameters(), -1)


def test_loss_gradient_keeps_the_dtype_of_a_float32_prediction():
    pred, target = regression_data()
    for nn, p in ((nnp, pred.astype(np.float32)), (ntorch, torch.as_tensor(pred, dtype=torch.float32))):
        loss = nn.MSELoss()
        loss(p, target if nn is nnp else torch.as_tensor(target))  # a float64 target, as data often is
        assert loss.backward().dtype == p.dtype


def test_a_small_network_gives_the_gradients_of_its_torch_nn_twin():
    """Flatten -> Linear -> BatchNorm1d -> LeakyReLU -> Dropout (eval) -> Linear -> CrossEntropyLoss."""
    ref = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 5), torch.nn.BatchNorm1d(5),
                              torch.nn.LeakyReLU(0.1), torch.nn.Dropout(0.5), torch.nn.Linear(5, 3)).double()
    ref[4].eval()
    x, t = rng(0).standard_normal((8, 2, 3)), np.array([0, 1, 2, 2, 1, 0, 0, 1])
    initial = {k: v.clone() for k, v in ref.state_dict().items()}
    torch.nn.CrossEntropyLoss()(ref(torch.from_numpy(x)), torch.from_numpy(t)).backward()
    for nn in BACKENDS:
        model = nn.Sequential(nn.Flatten(), nn.Linear(6, 5), nn.BatchNorm1d(5), nn.LeakyReLU(0.1), nn.Dropout(0.5),
                              nn.Linear(5, 3))
        model.to(dtype=np.float64 if nn is nnp else torch.float64, device=None if nn is nnp else TEST_DEVICE)
        model.load_state_dict({k: v if nn is ntorch else to_numpy(v) for k, v in initial.items()})
        model[4].eval()
        loss = nn.CrossEntropyLoss()
        pred, target = pair(nn, x, t)
        loss(model(pred), target)
        model.backward(loss.backward())
        for name, p in ref.named_parameters():
            assert_close(dict(model.named_parameters())[name].grad, p.grad, f"{nn.BACKEND}: gradient of {name}")
        for key, value in ref.state_dict().items():
            assert_close(model.state_dict()[key], value, f"{nn.BACKEND}: {key}")


def test_huber_is_half_squared_error_inside_delta_and_shifted_absolute_error_outside():
    d = np.linspace(-4, 4, 81)
    for delta in (0.5, 1.0, 2.0):
        loss = nnp.HuberLoss(reduction="sum", delta=delta)
        per_point = [float(loss(np.array([v]), np.zeros(1))) for v in d]
        expected = np.where(np.abs(d) < delta, d**2 / 2, delta * (np.abs(d) - delta / 2))
        np.testing.assert_allclose(per_point, expected, atol=1e-15)
    # its best constant lies between the median (MAE) and the mean (MSE): one outlier pulls it only a little
    y = np.r_[np.zeros(9), 100.0]
    grid = np.linspace(-1, 11, 12001)
    best = grid[np.argmin([float(nnp.HuberLoss()(np.full(10, c), y)) for c in grid])]
    assert np.median(y) <= best < 0.2 < np.mean(y)


def test_multi_margin_is_zero_once_the_true_class_leads_by_the_margin():
    x = np.array([[3.0, 1.9, 0.0], [3.0, 2.1, 0.0]])        # leads by 1.1, then by 0.9
    for nn in BACKENDS:
        loss = nn.MultiMarginLoss(reduction="sum")
        value = loss(*pair(nn, x[:1], np.array([0])))
        assert float(to_numpy(value)) == 0.0 and not to_numpy(loss.backward()).any()
        value = loss(*pair(nn, x[1:], np.array([0])))
        np.testing.assert_allclose(float(to_numpy(value)), 0.1 / 3, rtol=1e-12)


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_new_losses_reject_bad_hyper_parameters(nn):
    with pytest.raises(ValueError, match="HuberLoss: delta must be > 0, got 0"):
        nn.HuberLoss(delta=0)
    with pytest.raises(ValueError, match=r"MultiMarginLoss: only p = 1 and p = 2 are supported.*got p=3"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match=r"MultiMarginLoss\(.*\) has 3 class weights, got input with C = 4 classes"):
        nn.MultiMarginLoss(weight=[1.0, 2.0, 3.0])(*pair(nn, np.zeros((2, 4)), np.array([0, 1])))
