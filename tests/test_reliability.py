"""What a hostile user found (issue 10), each now a law: torch's result, or a clear error naming the module.

Five wrong results (tied weights, chained schedulers, uint8 ids, BatchNorm on an empty batch, max
pooling on -inf and NaN), then the crashes and silent acceptances, in the order of the issue.
Every test that applies to both backends runs in both.
"""
import math
import re
import shutil
import subprocess
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch

import nnlib.numpy as nnp
import nnlib.torch as ntorch
from conftest import TEST_DEVICE
from nnlib import metrics
from nnlib.data import train_val_test_split
from nnlib.data.files import expected_checksums, sha256_of, verified_path
from nnlib.gradcheck import gradcheck
from nnlib.train import predict
from parity import assert_close, tensor, to_numpy

BACKENDS = [nnp, ntorch]


@pytest.fixture(params=BACKENDS, ids=lambda nn: nn.BACKEND)
def nn(request):
    return request.param


def build(nn, kind, *args, **kwargs):
    """Our module ``kind`` in backend ``nn``, float64 (on TEST_DEVICE for torch)."""
    if nn is ntorch:
        kwargs.update(device=TEST_DEVICE, dtype=torch.float64)
    return getattr(nn, kind)(*args, **kwargs)


def arr(nn, a, dtype=None):
    """A NumPy array as backend ``nn``'s array: float64 (or ``dtype``), on TEST_DEVICE for torch."""
    a = np.asarray(a, dtype=np.float64 if dtype is None else dtype)
    return torch.as_tensor(a, device=TEST_DEVICE) if nn is ntorch else a


def load_from(ours, ref):
    ours.load_state_dict({k: to_numpy(v) for k, v in ref.state_dict().items()})
    return ours


# === 1. tied weights ==============================================================================
def tied(lib, build_linear):
    m = lib.Sequential(build_linear(3, 3), lib.Tanh(), build_linear(3, 3))
    m[2].weight = m[0].weight
    return m


def test_a_tied_weight_is_one_parameter_stepped_once_like_torch(nn):
    ref = tied(torch.nn, lambda i, o: torch.nn.Linear(i, o).double())
    ours = load_from(tied(nn, lambda i, o: build(nn, "Linear", i, o)), ref)
    assert ours[2].weight is ours[0].weight
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in ref.named_parameters()] == ["0.weight", "0.bias", "2.bias"]
    assert ours.num_parameters() == sum(p.numel() for p in ref.parameters()) == 15
    assert list(ours.state_dict()) == list(ref.state_dict())  # the state keeps every name, as torch's

    x, t = np.random.default_rng(0).standard_normal((2, 4, 3))
    opt_ref = torch.optim.SGD(ref.parameters(), lr=0.1)
    loss = ((ref(tensor(x)) - tensor(t)) ** 2).mean()
    loss.backward()
    opt_ref.step()
    opt = nn.SGD(ours.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()
    loss_fn(ours(arr(nn, x)), arr(nn, t))
    ours.backward(loss_fn.backward())
    opt.step()
    for (name, p), p_ref in zip(ours.state_dict().items(), ref.state_dict().values()):
        assert_close(p, p_ref, f"{name} after one SGD step")


def test_sgd_warns_about_duplicate_parameters_and_steps_them_once(nn):
    w = build(nn, "Linear", 2, 1).weight
    with pytest.warns(UserWarning, match="duplicate parameters"):
        opt = nn.SGD([w, w], lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 1
    before = to_numpy(w.data).copy()
    w.grad = w.data * 0 + 1
    opt.step()
    np.testing.assert_allclose(to_numpy(w.data), before - 0.1)


def test_clip_grad_norm_counts_a_shared_parameter_once(nn):
    w = build(nn, "Linear", 2, 2).weight
    w.grad = arr(nn, [[3.0, 0.0], [0.0, 4.0]])
    assert float(nn.clip_grad_norm_([w, w], max_norm=100.0)) == pytest.approx(5.0)


# === 2. schedulers compose =======================================================================
def lr_trajectory(lib, schedulers, epochs, lr_set_by_hand=None):
    """The lr after each epoch with several schedulers on one SGD optimizer (torch.optim or ours)."""
    if lib is torch.optim.lr_scheduler:
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
    else:
        p = nnp.Parameter(np.zeros(1))
        opt = nnp.SGD([p], lr=0.1)
    scheds = [make(lib, opt) for make in schedulers]
    lrs = []
    for epoch in range(epochs):
        if lr_set_by_hand is not None and epoch == lr_set_by_hand[0]:
            opt.param_groups[0]["lr"] = lr_set_by_hand[1]
        opt.step()
        for s in scheds:
            s.step()
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


CHAINS = {
    "step+exponential": [lambda lib, o: lib.StepLR(o, step_size=5, gamma=0.5), lambda lib, o: lib.ExponentialLR(o, 0.9)],
    "exponential+step": [lambda lib, o: lib.ExponentialLR(o, 0.9), lambda lib, o: lib.StepLR(o, step_size=3, gamma=0.1)],
    "warm-up+cosine": [lambda lib, o: lib.LinearLR(o, 0.2, total_iters=4), lambda lib, o: lib.CosineAnnealingLR(o, 12, 1e-3)],
    "cosine+exponential": [lambda lib, o: lib.CosineAnnealingLR(o, 7), lambda lib, o: lib.ExponentialLR(o, 0.95)],
}


@pytest.mark.parametrize("chain", list(CHAINS))
def test_two_schedulers_on_one_optimizer_compose_like_torch(chain):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = lr_trajectory(torch.optim.lr_scheduler, CHAINS[chain], 25)
    np.testing.assert_allclose(lr_trajectory(nnp, CHAINS[chain], 25), theirs, rtol=1e-12, atol=1e-15)


def test_step_and_exponential_schedulers_give_torch_s_0_0087_after_10_epochs():
    lrs = lr_trajectory(nnp, CHAINS["step+exponential"], 10)
    assert round(lrs[-1], 4) == 0.0087  # 0.1 * 0.9**10 * 0.5**2, not 0.0349 (ExponentialLR alone)


@pytest.mark.parametrize("chain", ["step+exponential", "warm-up+cosine"])
def test_an_lr_set_by_hand_survives_the_next_scheduler_step_like_torch(chain):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = lr_trajectory(torch.optim.lr_scheduler, CHAINS[chain], 20, lr_set_by_hand=(8, 0.5))
    ours = lr_trajectory(nnp, CHAINS[chain], 20, lr_set_by_hand=(8, 0.5))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


# === 3. Embedding ids ============================================================================
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "float64", "bool"])
def test_embedding_refuses_the_id_dtypes_torch_refuses(nn, dtype):
    emb = build(nn, "Embedding", 10, 2)
    ids = np.array([1, 0, 1, 1, 0]).astype(dtype)
    ids = torch.as_tensor(ids, device=TEST_DEVICE) if nn is ntorch else ids
    with pytest.raises(TypeError, match=r"Embedding\(.*int64 or .*int32.*got dtype .*" + dtype.removesuffix("64")):
        emb(ids)


def test_embedding_reads_int32_ids_as_int64_ones(nn):
    emb = build(nn, "Embedding", 10, 2)
    ids = np.array([[1, 2], [9, 1]])
    as_ = lambda a: torch.as_tensor(a, device=TEST_DEVICE) if nn is ntorch else a
    y64 = to_numpy(emb(as_(ids)))
    y32 = emb(as_(ids.astype(np.int32)))
    np.testing.assert_array_equal(to_numpy(y32), y64)
    emb.backward(y32 * 0 + 1)
    np.testing.assert_array_equal(to_numpy(emb.weight.grad)[[0, 1, 2, 9], 0], [0, 2, 1, 1])


# === 4. BatchNorm on an empty batch ==============================================================
@pytest.mark.parametrize("kind, shape", [("BatchNorm1d", (0, 3)), ("BatchNorm1d", (2, 3, 0)), ("BatchNorm2d", (0, 3, 4, 4))])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_on_an_empty_batch_leaves_the_running_statistics_like_torch(nn, kind, shape, momentum):
    ref = getattr(torch.nn, kind)(3, momentum=momentum).double()
    ours = load_from(build(nn, kind, 3, momentum=momentum), ref)
    full = np.random.default_rng(0).standard_normal((5,) + shape[1:] if shape[0] == 0 else (5, 3) + shape[2:-1] + (2,))
    for x in (full, np.zeros(shape), full):  # a real batch, the empty one, a real one again
        xt = tensor(x, requires_grad=True)
        y_ref = ref(xt)
        y_ref.sum().backward() if y_ref.numel() else None
        y = ours(arr(nn, x))
        assert tuple(y.shape) == tuple(y_ref.shape)
        if not y_ref.numel():
            dx = ours.backward(y * 0)
            assert tuple(dx.shape) == shape
            np.testing.assert_array_equal(to_numpy(ours.weight.grad), 0.0)
        for key, value in ref.state_dict().items():
            assert_close(ours.state_dict()[key], value, f"{key} after a batch of shape {x.shape}")
        ours.zero_grad()
    ref.eval(), ours.eval()
    y = to_numpy(ours(arr(nn, full)))
    assert np.isfinite(y).all()
    assert_close(y, ref(tensor(full)), "eval output after an empty batch")


# === 5. max pooling on -inf and NaN ==============================================================
def pool_gradients(nn, x, **options):
    """(ours dx, torch's dx) of MaxPool2d(**options) with dy = 1."""
    xt = tensor(x, requires_grad=True)
    torch.nn.MaxPool2d(**options)(xt).sum().backward()
    pool = nn.MaxPool2d(**options)
    y = pool(arr(nn, x))
    return to_numpy(pool.backward(arr(nn, np.ones(tuple(y.shape))))), to_numpy(xt.grad), to_numpy(y)


def test_maxpool_sends_the_gradient_of_an_all_minus_inf_window_to_its_first_real_pixel(nn):
    dx, dx_ref, y = pool_gradients(nn, np.full((1, 1, 2, 2), -np.inf), kernel_size=2, stride=1, padding=1)
    np.testing.assert_array_equal(dx_ref.ravel(), [4, 2, 2, 1])  # torch's: the padding never takes a gradient
    np.testing.assert_array_equal(dx, dx_ref)
    assert (y == -np.inf).all()


def test_maxpool_sends_the_gradient_to_the_last_nan_of_a_window_like_torch(nn):
    x = np.array([[[[np.nan, 5.0, 1.0, np.nan], [np.nan, 2.0, 7.0, 3.0]]]])
    dx, dx_ref, y = pool_gradients(nn, x, kernel_size=2)
    np.testing.assert_array_equal(dx_ref.ravel(), [0, 0, 0, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(dx, dx_ref)
    assert np.isnan(y).all()


def test_maxpool_sends_the_gradient_to_the_first_of_tied_maxima_like_torch(nn):
    x = np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 3.0], [-np.inf, 3.0, 2.0]]]])
    dx, dx_ref, _ = pool_gradients(nn, x, kernel_size=2, stride=1, padding=1)
    np.testing.assert_array_equal(dx, dx_ref)


# === crashes and silent acceptance: empty batches =================================================
EMPTY = {
    "Linear": (lambda lib, **kw: lib.Linear(4, 3, **kw), (0, 4)),
    "Conv2d": (lambda lib, **kw: lib.Conv2d(2, 3, 3, stride=2, padding=1, **kw), (0, 2, 5, 5)),
    "MaxPool2d": (lambda lib, **kw: lib.MaxPool2d(2, padding=1), (0, 2, 5, 5)),
    "AvgPool2d": (lambda lib, **kw: lib.AvgPool2d(3, stride=2, padding=1), (0, 2, 5, 5)),
    "Flatten": (lambda lib, **kw: lib.Flatten(), (0, 2, 3)),
    "Softmax": (lambda lib, **kw: lib.Softmax(dim=1), (0, 4)),
    "ReLU": (lambda lib, **kw: lib.ReLU(), (0, 4)),
    "GELU": (lambda lib, **kw: lib.GELU(), (0, 4)),
    "LayerNorm": (lambda lib, **kw: lib.LayerNorm(4, **kw), (0, 4)),
    "Dropout": (lambda lib, **kw: lib.Dropout(0.5), (0, 4)),
    "BatchNorm2d": (lambda lib, **kw: lib.BatchNorm2d(2, **kw), (0, 2, 3, 3)),
    "RNNCell": (lambda lib, **kw: lib.RNNCell(4, 3, **kw), (0, 4)),
}


@pytest.mark.parametrize("kind", list(EMPTY))
def test_an_empty_batch_runs_forward_and_backward_like_torch(nn, kind):
    make, shape = EMPTY[kind]
    ref = make(torch.nn).double()
    ours = load_from(make(nn, **({"device": TEST_DEVICE, "dtype": torch.float64} if nn is ntorch and kind in
                                   ("Linear", "Conv2d", "BatchNorm2d", "RNNCell", "LayerNorm") else {})), ref)
    xt = tensor(np.zeros(shape), requires_grad=True)
    y_ref = ref(xt)
    y_ref.sum().backward()
    y = ours(arr(nn, np.zeros(shape)))
    assert tuple(y.shape) == tuple(y_ref.shape)
    assert tuple(ours.backward(y * 0).shape) == shape
    for name, p in ref.named_parameters():
        grad = dict(ours.named_parameters())[name].grad
        assert_close(grad, p.grad if p.grad is not None else torch.zeros_like(p), f"gradient of {name}")


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_recurrent_layers_run_an_empty_batch_like_torch_and_refuse_zero_time_steps(nn, kind):
    layer = build(nn, kind, 2, 3)
    out, _ = layer(arr(nn, np.zeros((0, 5, 2))))
    assert tuple(out.shape) == tuple(getattr(torch.nn, kind)(2, 3, batch_first=True)(torch.zeros(0, 5, 2))[0].shape)
    assert tuple(layer.backward(out * 0).shape) == (0, 5, 2)
    with pytest.raises(ValueError, match=rf"{kind}\(.*at least one step.*\(4, 0, 2\)"):
        layer(arr(nn, np.zeros((4, 0, 2))))


@pytest.mark.parametrize("kind", ["MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
                                  "NLLLoss", "MultiMarginLoss"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_losses_of_an_empty_batch_are_nan_for_the_mean_and_0_for_the_sum_like_torch(nn, kind, reduction):
    classes = kind in ("CrossEntropyLoss", "NLLLoss", "MultiMarginLoss")
    pred, target = (np.zeros((0, 3)), np.zeros(0, dtype=np.int64)) if classes else (np.zeros((0, 2)), np.zeros((0, 2)))
    expected = getattr(torch.nn, kind)(reduction=reduction)(torch.as_tensor(pred), torch.as_tensor(target))
    if kind == "MultiMarginLoss":  # torch 2.13 returns uninitialized memory here (e.g. 6.9e-310)
        expected = torch.tensor(float("nan") if reduction == "mean" else 0.0)
    loss_fn = getattr(nn, kind)(reduction=reduction)
    t = (torch.as_tensor(target, device=TEST_DEVICE) if nn is ntorch else target) if classes else arr(nn, target)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a 0 / 0
        loss = float(loss_fn(arr(nn, pred), t))
        assert tuple(loss_fn.backward().shape) == pred.shape
    assert (math.isnan(loss) and math.isnan(float(expected))) or loss == float(expected) == 0.0


def test_predict_on_an_empty_X_gives_an_empty_output(nn):
    model = nn.Sequential(build(nn, "Linear", 3, 4), nn.ReLU(), build(nn, "Linear", 4, 2))
    out = predict(model, np.zeros((0, 3)))
    assert isinstance(out, np.ndarray) and out.shape == (0, 2)


# === backward before forward, and a dy of the wrong shape =========================================
def user_layer(nn):
    class Double(nn.Module):
        """A layer written in a notebook: it gets the checks without a line of its own."""

        def forward(self, x):
            return 2 * x

        def backward(self, dy):
            return 2 * dy

    return Double()


LAYERS = {  # kind -> (make, input shape, a wrong dy shape)
    "Linear": (lambda nn: build(nn, "Linear", 3, 2), (4, 3), (4, 3)),
    "Conv2d": (lambda nn: build(nn, "Conv2d", 1, 2, 3), (2, 1, 5, 5), (2, 2, 3, 2)),
    "MaxPool2d": (lambda nn: nn.MaxPool2d(2), (2, 2, 4, 4), (2, 2, 1, 1)),
    "AvgPool2d": (lambda nn: nn.AvgPool2d(2), (2, 2, 4, 4), (2, 2, 1, 1)),
    "BatchNorm2d": (lambda nn: build(nn, "BatchNorm2d", 2), (2, 2, 2, 2), (2, 2, 1, 1)),
    "ReLU": (lambda nn: nn.ReLU(), (2, 3), (1, 3)),
    "Sigmoid": (lambda nn: nn.Sigmoid(), (2, 3), (3,)),
    "SiLU": (lambda nn: nn.SiLU(), (2, 3), (2, 3, 1)),
    "LayerNorm": (lambda nn: build(nn, "LayerNorm", 3), (2, 3), (1, 3)),
    "Softmax": (lambda nn: nn.Softmax(dim=1), (2, 3), (2, 1)),
    "Dropout": (lambda nn: nn.Dropout(0.5), (2, 3), (2, 1)),
    "Flatten": (lambda nn: nn.Flatten(), (2, 3, 2), (2, 3, 2)),
    "Sequential": (lambda nn: nn.Sequential(build(nn, "Linear", 3, 2), nn.Tanh()), (4, 3), (4, 1)),
    "GRUCell": (lambda nn: build(nn, "GRUCell", 3, 2), (4, 3), (4, 3)),
    "user-defined": (user_layer, (2, 3), (2, 1)),
}


@pytest.mark.parametrize("kind", list(LAYERS))
def test_backward_before_forward_is_a_clear_error(nn, kind):
    make, shape, _ = LAYERS[kind]
    layer = make(nn)
    with pytest.raises(RuntimeError, match=r"\.backward called before forward: run the forward pass first"):
        layer.backward(arr(nn, np.ones(shape)))


@pytest.mark.parametrize("kind", list(LAYERS))
def test_backward_refuses_a_dy_of_another_shape_than_the_output(nn, kind):
    make, shape, bad = LAYERS[kind]
    layer = make(nn)
    y = layer(arr(nn, np.random.default_rng(0).standard_normal(shape)))
    with pytest.raises(ValueError, match=rf"\.backward expects \w+ of shape {re.escape(str(tuple(y.shape)))}, "
                                         rf"got {re.escape(str(bad))}"):
        layer.backward(arr(nn, np.ones(bad)))
    layer.backward(y * 0 + 1)  # the right shape still works


def test_backward_refuses_a_dy_from_the_other_backend():
    layer = ntorch.Linear(3, 2, device=TEST_DEVICE)
    layer(torch.zeros(4, 3, device=TEST_DEVICE))
    with pytest.raises(TypeError, match=r"Linear\(.*backward expects dy as a torch.Tensor.*got numpy.ndarray"):
        layer.backward(np.ones((4, 2)))


def test_loss_backward_before_forward_is_a_clear_error(nn):
    with pytest.raises(RuntimeError, match=r"MSELoss\(.*before forward"):
        nn.MSELoss().backward()


# === sizes, arguments and options =================================================================
@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors:UserWarning")  # torch.nn.Linear(0, 3)'s
def test_linear_with_no_input_features_is_its_bias_like_torch(nn):
    ref = torch.nn.Linear(0, 3).double()
    ours = build(nn, "Linear", 0, 3)
    np.testing.assert_array_equal(to_numpy(ours.bias.data), to_numpy(ref.bias))  # torch's bound 0: zeros
    y = ours(arr(nn, np.zeros((2, 0))))
    assert tuple(y.shape) == (2, 3) and tuple(ours.backward(y * 0 + 1).shape) == (2, 0)


@pytest.mark.parametrize("args, error, match", [
    ((-1, 3), ValueError, r"Linear expects in_features >= 0, got -1"),
    ((3, -2), ValueError, r"Linear expects out_features >= 0, got -2"),
    ((2.5, 3), TypeError, r"Linear expects in_features to be an int, got 2.5"),
])
def test_linear_refuses_sizes_torch_cannot_build(nn, args, error, match):
    with pytest.raises(error, match=match):
        nn.Linear(*args)


@pytest.mark.parametrize("kind", ["RNN", "LSTMCell", "GRU"])
def test_recurrent_layers_refuse_a_size_of_zero_like_torch(nn, kind):
    with pytest.raises(ValueError, match=rf"{kind} expects hidden_size >= 1, got 0"):
        getattr(nn, kind)(3, 0)
    with pytest.raises(ValueError, match=rf"{kind} expects input_size >= 1, got 0"):
        getattr(nn, kind)(0, 3)


def test_schedules_and_clipping_refuse_what_would_divide_by_zero(nn):
    opt = nn.SGD([nn.Parameter(arr(nn, np.zeros(1)))], lr=0.1)
    with pytest.raises(ValueError, match="StepLR expects step_size to be a positive int, got 0"):
        nn.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match=r"CosineAnnealingLR expects T_max > 0.*got 0"):
        nn.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="LinearLR expects total_iters to be a positive int, got 0"):
        nn.LinearLR(opt, total_iters=0)
    p = nn.Parameter(arr(nn, np.ones(3)))
    p.grad = arr(nn, [1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match=r"clip_grad_norm_ expects norm_type > 0.*got 0.0"):
        nn.clip_grad_norm_([p], 1.0, norm_type=0)


@pytest.mark.parametrize("lr", ["0.1", None, [0.1]])
def test_an_optimizer_option_that_is_not_a_number_is_a_type_error_naming_it(nn, lr):
    p = nn.Parameter(arr(nn, np.zeros(2)))
    with pytest.raises(TypeError, match=r"SGD expects lr to be a number, got"):
        nn.SGD([p], lr=lr)
    with pytest.raises(TypeError, match=r"Adam expects weight_decay to be a number"):
        nn.Adam([{"params": [p], "weight_decay": lr}])


@pytest.mark.parametrize("betas", [(0.9,), (0.9, 0.99, 0.999), 0.9])
def test_adam_refuses_betas_that_are_not_a_pair_when_built(nn, betas):
    with pytest.raises(ValueError, match=r"Adam expects betas as a pair \(beta1, beta2\)"):
        nn.Adam([nn.Parameter(arr(nn, np.zeros(2)))], betas=betas)


@pytest.mark.parametrize("kind", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("dim", [3, -3])
def test_softmax_over_a_dimension_the_input_lacks_is_a_clear_error(nn, kind, dim):
    layer = getattr(nn, kind)(dim=dim)
    with pytest.raises(IndexError) as error:  # torch raises IndexError; ours is a ValueError too
        layer(arr(nn, np.zeros((2, 3))))
    assert isinstance(error.value, ValueError)
    assert re.search(rf"{kind}\(dim={dim}\) expects dim in \[-2, 1\] for a 2-D input of shape \(2, 3\)", str(error.value))
    with pytest.raises(TypeError, match=rf"{kind} expects dim to be an int"):
        getattr(nn, kind)(dim=None)


def test_a_pos_weight_that_does_not_broadcast_is_a_clear_error(nn):
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss\(.*pos_weight broadcastable to the input .*\(4, 2\).*"
                                         r"got pos_weight of shape \(3,\)"):
        loss_fn(arr(nn, np.zeros((4, 2))), arr(nn, np.zeros((4, 2))))


def test_a_pos_weight_per_row_broadcasts_like_torch(nn):
    x, t = np.random.default_rng(0).standard_normal((4, 2)), np.random.default_rng(1).random((4, 2))
    w = np.array([[1.0], [2.0], [0.5], [3.0]])
    expected = torch.nn.BCEWithLogitsLoss(pos_weight=torch.as_tensor(w))(torch.as_tensor(x), torch.as_tensor(t))
    assert float(nn.BCEWithLogitsLoss(pos_weight=w)(arr(nn, x), arr(nn, t))) == pytest.approx(float(expected), rel=1e-12)


def test_torch_backend_to_accepts_a_numpy_dtype():
    m = ntorch.Sequential(ntorch.Linear(2, 3, device=TEST_DEVICE), ntorch.BatchNorm1d(3, device=TEST_DEVICE))
    m.to(dtype=np.float64)
    assert all(p.data.dtype == torch.float64 for p in m.parameters())
    assert m[1].num_batches_tracked.dtype == torch.int64  # integer buffers keep their dtype
    with pytest.raises(TypeError, match="casts parameters to a floating dtype"):
        m.to(dtype=np.int32)
    with pytest.raises(TypeError, match="nnlib.torch expects a dtype such as torch.float32, got 'banana'"):
        m.to(dtype="banana")


# === saving and loading ===========================================================================
@pytest.mark.parametrize("name", ["weights", "weights.npz", "weights.bin"])
def test_numpy_save_and_load_are_inverses_whatever_the_file_name(tmp_path, name):
    a = nnp.Sequential(nnp.Linear(3, 4), nnp.BatchNorm1d(4))
    nnp.save(a, tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no '.npz' added
    b = nnp.Sequential(nnp.Linear(3, 4), nnp.BatchNorm1d(4))
    b.load_state_dict(nnp.load(tmp_path / name))
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[key], value, err_msg=key)


def test_numpy_load_refuses_a_torch_file_and_torch_load_an_npz_file(tmp_path):
    ntorch.save(ntorch.Linear(3, 2, device="cpu"), tmp_path / "w.pt")
    with pytest.raises(ValueError, match=r"not a state dict saved by nnlib.numpy.save.*torch.save file.*nnlib.torch.load"):
        nnp.load(tmp_path / "w.pt")
    nnp.save(nnp.Linear(3, 2), tmp_path / "w.npz")
    with pytest.raises(ValueError, match=r"\.npz archive \(saved by nnlib.numpy.save\).*nnlib.numpy.load"):
        ntorch.load(tmp_path / "w.npz")
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single array file"):
        nnp.load(tmp_path / "one.npy")


def test_load_state_dict_returns_missing_and_unexpected_keys_like_torch(nn):
    ref = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)).double()
    ours = nn.Sequential(build(nn, "Linear", 3, 2), build(nn, "BatchNorm1d", 2))
    state = {"0.weight": np.ones((2, 3)), "1.running_mean": np.ones(2), "2.weight": np.zeros(1)}
    expected = ref.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()}, strict=False)
    result = ours.load_state_dict(state, strict=False)
    # torch lets a state dict omit BatchNorm's num_batches_tracked (old checkpoints lack it): not missing
    assert result.missing_keys == expected.missing_keys == ["0.bias", "1.weight", "1.bias", "1.running_var"]
    assert result.unexpected_keys == expected.unexpected_keys == ["2.weight"]
    np.testing.assert_array_equal(to_numpy(ours[0].weight.data), 1.0)
    assert repr(ours.load_state_dict(ours.state_dict())) == repr(ref.load_state_dict(ref.state_dict()))


def test_load_state_dict_refuses_text_and_leaves_the_module_as_it_was(nn):
    layer = build(nn, "Linear", 2, 2)
    before = {k: to_numpy(v).copy() for k, v in layer.state_dict().items()}
    with pytest.raises(TypeError, match=r"load_state_dict: 'bias' .*(dtype <U3|does not hold numbers)"):
        layer.load_state_dict({"weight": np.zeros((2, 2)), "bias": np.array(["1.0", "2.0"])})
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(to_numpy(value), before[key], err_msg=key)


# === gradcheck ====================================================================================
def test_gradcheck_passes_batchnorm_on_an_input_drawn_the_common_way(nn):
    bn = build(nn, "BatchNorm1d", 4)
    x = np.random.default_rng(0).standard_normal((6, 4))  # the default dy must not equal this x
    result = gradcheck(bn, arr(nn, x))
    assert result.passed(1e-6), result


def test_gradcheck_restores_batchnorm_s_running_statistics(nn):
    bn = build(nn, "BatchNorm2d", 2)
    x = arr(nn, np.random.default_rng(1).standard_normal((3, 2, 2, 2)))
    before = {k: to_numpy(v).copy() for k, v in bn.state_dict().items()}
    for _ in range(2):
        gradcheck(bn, x)
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(to_numpy(value), before[key], err_msg=key)


# === metrics and data =============================================================================
REGRESSION = [metrics.mean_absolute_error, metrics.mean_squared_error, metrics.r2_score]


@pytest.mark.parametrize("metric", REGRESSION, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad, match", [
    (np.array([1.0, np.nan, 0.0]), "contains NaN"),
    (np.array([1.0, np.inf, 0.0]), "contains infinity"),
    (np.array([1 + 1j, 0, 1]), "complex data not supported"),
    (np.array(["1.0", "nan", "0"]), "contains NaN"),
    (np.array(["a", "b", "c"]), "expects numbers"),
    (np.array([1, None, 0], dtype=object), "contains NaN"),
])
def test_regression_metrics_raise_where_scikit_learn_raises(metric, bad, match):
    import sklearn.metrics

    good = np.array([1.0, 0.0, 0.0])
    sk = getattr(sklearn.metrics, metric.__name__)
    for y_true, y_pred in ((bad, good), (good, bad)):
        with pytest.raises(ValueError):
            sk(y_true, y_pred)
        with pytest.raises(ValueError, match=rf"{metric.__name__}.*{match}"):
            metric(y_true, y_pred)


@pytest.mark.parametrize("metric", [metrics.accuracy, metrics.precision, metrics.confusion_matrix], ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", [np.array([1.0, np.nan, 0.0]), np.array([1.0, np.inf, 0.0]), np.array([1 + 1j, 0, 1])])
def test_classification_metrics_raise_a_value_error_where_scikit_learn_does(metric, bad):
    with pytest.raises(ValueError):
        metric(bad, np.array([1, 0, 0]))


def test_a_split_of_two_samples_refuses_to_give_empty_validation_and_test_sets():
    with pytest.raises(ValueError, match=r"val=0.15 of 2 samples rounds to an empty val set"):
        train_val_test_split(np.arange(2))
    with pytest.raises(ValueError, match=r"leave no training samples"):
        train_val_test_split(np.arange(2), val=0.45, test=0.45)
    train, val, test = train_val_test_split(np.arange(2), val=0.0, test=0.5)
    assert (len(train), len(val), len(test)) == (1, 0, 1)


def test_checksum_list_accepts_sha256sum_binary_mode_lines(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    for name in ("a b.csv", "sub/c.csv"):
        (tmp_path / name).write_text(f"contents of {name}\n")
    if shutil.which("sha256sum"):
        lines = subprocess.run(["sha256sum", "-b", "a b.csv", "sub/c.csv"], cwd=tmp_path, capture_output=True,
                               text=True, check=True).stdout
    else:
        lines = "".join(f"{sha256_of(tmp_path / n)} *{n}\n" for n in ("a b.csv", "sub/c.csv"))
    lines = lines.replace(f"{sha256_of(tmp_path / 'sub/c.csv')} *", f"{sha256_of(tmp_path / 'sub/c.csv')}  ")  # one text-mode line
    (tmp_path / "SHA256SUMS").write_text(lines)
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path))
    assert expected_checksums() == {"a b.csv": sha256_of(tmp_path / "a b.csv"), "sub/c.csv": sha256_of(tmp_path / "sub/c.csv")}
    assert verified_path("a b.csv") == tmp_path / "a b.csv"
    (tmp_path / "SHA256SUMS").write_text("abc  a b.csv\n")
    with pytest.raises(ValueError, match=r"line 1: expected '<64 hex digits>  <path>'"):
        expected_checksums()


def test_a_slice_of_a_sequential_keeps_torch_s_state_dict_keys(nn):
    ref = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3), torch.nn.Linear(3, 1))
    ours = nn.Sequential(build(nn, "Linear", 2, 3), nn.ReLU(), build(nn, "Linear", 3, 3), build(nn, "Linear", 3, 1))
    for part in (slice(2, None), slice(1, 3), slice(None, None, 2)):
        assert list(ours[part].state_dict()) == list(ref[part].state_dict())
    tail = ours[2:]
    assert tail[0] is ours[2] and len(tail) == 2
    named = nn.Sequential(OrderedDict(fc=build(nn, "Linear", 2, 2), act=nn.Tanh()))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    with pytest.raises(ValueError, match="module names"):
        nn.Sequential(OrderedDict([("a.b", nn.Tanh())]))
