"""Flatten, Dropout and batch normalization in both backends (Linear is covered by test_module.py)."""
import numpy as np
import pytest
import torch

import nnlib
import nnlib.numpy as nnp
import nnlib.torch as ntorch
from nnlib.gradcheck import gradcheck
from nnlib.gradcheck import numerical_gradient as finite_differences
from parity import assert_close, build_both, check_manual_backward_matches_autograd, check_parity, tensor, to_numpy

BACKENDS = [nnp, ntorch]


def numerical_gradient(f, x, dy, h=1e-6):
    """Central differences of sum(f(x) * dy) with respect to every entry of x."""
    return finite_differences(lambda v: (f(v) * dy).sum(), x, eps=h)

def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def as_input(nn, x):
    return x if nn is nnp else tensor(x)


# --- Flatten -----------------------------------------------------------------------------------
@pytest.mark.parametrize("start, end", [(1, -1), (0, -1), (1, 2), (2, 3), (-3, -2), (3, 3)])
def test_flatten_matches_torch_nn(start, end):
    check_parity(lambda nn: nn.Flatten(start, end), torch.nn.Flatten(start, end), randn(2, 3, 4, 5))


def test_flatten_manual_backward_matches_autograd():
    _, m = build_both(lambda nn: nn.Flatten())
    check_manual_backward_matches_autograd(m, randn(2, 3, 4))


def test_flatten_rejects_an_input_with_too_few_dimensions():
    for nn in BACKENDS:
        with pytest.raises(ValueError, match=r"Flatten\(start_dim=1, end_dim=-1\) needs an input with at least 2"):
            nn.Flatten()(as_input(nn, randn(5)))
        with pytest.raises(ValueError, match="start_dim comes after end_dim"):
            nn.Flatten(2, 1)(as_input(nn, randn(2, 3, 4)))


# --- Dropout -----------------------------------------------------------------------------------
@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_dropout_is_the_identity_in_eval(nn):
    x = as_input(nn, randn(10, 20))
    m = nn.Dropout(0.7).eval()
    assert m(x) is x
    dy = as_input(nn, randn(10, 20, seed=1))
    assert m.backward(dy) is dy


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_keeps_about_1_minus_p_of_units_scaled_by_1_over_1_minus_p(nn, p):
    x = as_input(nn, np.ones((200, 500)))
    y = to_numpy(nn.Dropout(p)(x))
    kept = y != 0
    assert abs(kept.mean() - (1 - p)) < 0.01  # 100 000 draws: the standard error is below 0.0016
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-12)


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_dropout_backward_uses_the_forward_mask(nn):
    m = nn.Dropout(0.5)
    x = as_input(nn, randn(30, 40))
    y = to_numpy(m(x))
    dy = randn(30, 40, seed=1)
    dx = to_numpy(m.backward(as_input(nn, dy)))
    mask = y / to_numpy(x)  # 0 or 2 where the forward pass dropped or kept a unit
    np.testing.assert_allclose(dx, dy * mask, rtol=1e-12)
    assert set(np.unique(np.round(mask, 12))) == {0.0, 2.0}


def test_torch_dropout_manual_backward_matches_autograd_through_the_same_mask():
    m = ntorch.Dropout(0.3).to(device=tensor(0).device)
    x = tensor(randn(8, 9), requires_grad=True)
    y = m(x)
    dy = tensor(randn(8, 9, seed=1))
    (y * dy).sum().backward()
    assert_close(m.backward(dy), x.grad, "manual vs autograd: dropout input gradient")


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_dropout_p_zero_is_the_identity_and_p_one_gives_zeros_like_torch(nn):
    x = as_input(nn, randn(4, 5))
    assert_close(nn.Dropout(0.0)(x), x, "p=0")
    m = nn.Dropout(1.0)
    y = m(x)
    assert_close(y, torch.nn.Dropout(1.0)(tensor(randn(4, 5))), "p=1")
    assert_close(m.backward(x), np.zeros((4, 5)), "p=1 backward")


def test_dropout_masks_are_reproducible_from_one_seed():
    for nn in BACKENDS:
        x = as_input(nn, np.ones((6, 7)))
        nnlib.manual_seed(5)
        a = to_numpy(nn.Dropout(0.5)(x))
        nnlib.manual_seed(5)
        b = to_numpy(nn.Dropout(0.5)(x))
        c = to_numpy(nn.Dropout(0.5)(x))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(b, c)


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", None, True])
def test_dropout_rejects_a_probability_outside_0_1(p):
    for nn in BACKENDS:
        with pytest.raises(ValueError, match="between 0 and 1, but got"):
            nn.Dropout(p)


# --- BatchNorm ---------------------------------------------------------------------------------
BN_CASES = [
    ("1d (N, C)", lambda nn, **kw: nn.BatchNorm1d(3, **kw), torch.nn.BatchNorm1d, (6, 3)),
    ("1d (N, C, L)", lambda nn, **kw: nn.BatchNorm1d(3, **kw), torch.nn.BatchNorm1d, (4, 3, 5)),
    ("2d", lambda nn, **kw: nn.BatchNorm2d(3, **kw), torch.nn.BatchNorm2d, (4, 3, 2, 5)),
]
BN_IDS = [c[0] for c in BN_CASES]
BN_OPTIONS = [{}, {"affine": False}, {"track_running_stats": False}, {"momentum": None}, {"eps": 1e-2, "momentum": 0.3}]


def _randomized_reference(ref_cls, **kw):
    """A torch.nn batch norm with random affine parameters and non-trivial running statistics."""
    ref = ref_cls(3, **kw).double()
    rng = np.random.default_rng(11)
    with torch.no_grad():
        if ref.affine:
            ref.weight.copy_(torch.from_numpy(rng.uniform(0.5, 2, 3)))
            ref.bias.copy_(torch.from_numpy(rng.standard_normal(3)))
        if ref.track_running_stats:
            ref.running_mean.copy_(torch.from_numpy(rng.standard_normal(3)))
            ref.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2, 3)))
            ref.num_batches_tracked.fill_(4)
    return ref


@pytest.mark.parametrize("name, factory, ref_cls, shape", BN_CASES, ids=BN_IDS)
@pytest.mark.parametrize("options", BN_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_batchnorm_matches_torch_nn(name, factory, ref_cls, shape, options, train):
    ref = _randomized_reference(ref_cls, **options)
    x = randn(*shape) * 2 + 1
    check_parity(lambda nn: factory(nn, **options), ref, x, train=train)


@pytest.mark.parametrize("name, factory, ref_cls, shape", BN_CASES, ids=BN_IDS)
def test_batchnorm_running_statistics_follow_torch_over_several_steps(name, factory, ref_cls, shape):
    ref = ref_cls(3).double()
    ours = build_both(factory)
    for step in range(5):
        x = randn(*shape, seed=step) * (step + 1) + step
        y_ref = ref(torch.from_numpy(x))
        for m, nn in zip(ours, BACKENDS):
            assert_close(m(as_input(nn, x)), y_ref, f"{nn.BACKEND}: train output, step {step}")
            for key, value in ref.state_dict().items():
                assert_close(m.state_dict()[key], value, f"{nn.BACKEND}: {key} after step {step}")
    ref.eval()
    x = randn(*shape, seed=9)
    for m, nn in zip(ours, BACKENDS):
        m.eval()
        assert_close(m(as_input(nn, x)), ref(torch.from_numpy(x)), "eval output uses the running statistics")
        assert to_numpy(m.state_dict()["num_batches_tracked"]) == 5
        assert m.state_dict()["num_batches_tracked"].dtype in (np.int64, torch.int64)


@pytest.mark.parametrize("name, factory, ref_cls, shape", BN_CASES, ids=BN_IDS)
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_batchnorm_backward_matches_finite_differences(name, factory, ref_cls, shape, train):
    m = factory(nnp).train(train)
    m.load_state_dict({k: to_numpy(v) for k, v in _randomized_reference(ref_cls).state_dict().items()})
    x, dy = randn(*shape, seed=1), randn(*shape, seed=2)
    m(x)
    dx = m.backward(dy)
    # running statistics move with each call in train mode, but the outputs do not depend on them
    np.testing.assert_allclose(dx, numerical_gradient(m, x.copy(), dy), atol=1e-6, rtol=1e-5)
    for p in (m.weight, m.bias):
        grad, p.data = p.grad, p.data.copy()

        def f(values, p=p):
            p.data = values
            return m(x)

        np.testing.assert_allclose(grad, numerical_gradient(f, p.data, dy), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name, factory, ref_cls, shape", BN_CASES, ids=BN_IDS)
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_torch_batchnorm_manual_backward_matches_autograd(name, factory, ref_cls, shape, train):
    _, m = build_both(factory)
    m.load_state_dict(_randomized_reference(ref_cls).state_dict())
    m.train(train)
    check_manual_backward_matches_autograd(m, randn(*shape))


def test_batchnorm_state_dict_keys_and_dtypes_match_torch():
    for name, options in (("BatchNorm1d", {}), ("BatchNorm2d", {"affine": False}),
                          ("BatchNorm2d", {"track_running_stats": False})):
        ref = getattr(torch.nn, name)(4, **options)
        for nn in BACKENDS:
            m = getattr(nn, name)(4, **options)
            assert list(m.state_dict()) == list(ref.state_dict())
            assert [n for n, _ in m.named_parameters()] == [n for n, _ in ref.named_parameters()]
            for key, value in ref.state_dict().items():
                assert_close(m.state_dict()[key], value, key)
    assert nnp.BatchNorm1d(2).num_batches_tracked.dtype == np.int64
    assert ntorch.BatchNorm1d(2).to(dtype=torch.float64).num_batches_tracked.dtype == torch.int64


def test_batchnorm_rejects_a_wrong_rank_or_channel_count():
    bn1, bn2 = build_both(lambda nn: nn.BatchNorm1d(3)), build_both(lambda nn: nn.BatchNorm2d(3))
    for nn, m1, m2 in zip(BACKENDS, bn1, bn2):
        with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*\(N, C\) or \(N, C, L\).*got a 4-D input"):
            m1(as_input(nn, randn(2, 3, 4, 5)))
        with pytest.raises(ValueError, match=r"BatchNorm2d\(3.*\(N, C, H, W\).*got a 2-D input"):
            m2(as_input(nn, randn(4, 3)))
        with pytest.raises(ValueError, match=r"expects 3 channels in dimension 1, got input of shape \(4, 5\)"):
            m1(as_input(nn, randn(4, 5)))
    with pytest.raises(TypeError, match="dtype torch.float32"):
        ntorch.BatchNorm1d(3, device="cpu")(torch.zeros(4, 3, dtype=torch.float64))


def test_batchnorm_refuses_one_value_per_channel_when_training_like_torch():
    x = randn(1, 3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        torch.nn.BatchNorm1d(3).double()(torch.from_numpy(x))
    for nn, m in zip(BACKENDS, build_both(lambda nn: nn.BatchNorm1d(3))):
        with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*Expected more than 1 value per channel when training"):
            m(as_input(nn, x))
        m.eval()
        assert to_numpy(m(as_input(nn, x))).shape == (1, 3)  # eval uses running statistics: one example is fine


def test_batchnorm_gives_each_channel_mean_zero_and_spread_one():
    x = randn(64, 3, 4, 4) * np.array([0.1, 10, 1000]).reshape(1, 3, 1, 1) + 5
    for nn, m in zip(BACKENDS, build_both(lambda nn: nn.BatchNorm2d(3))):
        y = to_numpy(m(as_input(nn, x)))
        np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-10)
        np.testing.assert_allclose(y.std(axis=(0, 2, 3)), 1, atol=1e-3)


# --- LayerNorm ---------------------------------------------------------------------------------
LN_CASES = [  # (normalized_shape, input shape)
    (5, (4, 5)),
    (5, (3, 2, 5)),
    ((3, 4), (2, 3, 4)),
    ((2, 3, 4), (3, 2, 3, 4)),
    (6, (6,)),
]
LN_OPTIONS = [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-2}]


def _randomized_layer_norm(normalized_shape, **kw):
    """A torch.nn.LayerNorm with random weight and bias (so that their gradients are not trivial)."""
    ref = torch.nn.LayerNorm(normalized_shape, **kw).double()
    rng = np.random.default_rng(12)
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.from_numpy(rng.uniform(0.5, 2, tuple(p.shape))))
    return ref


@pytest.mark.parametrize("normalized_shape, shape", LN_CASES, ids=[str(c[1]) for c in LN_CASES])
@pytest.mark.parametrize("options", LN_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_layernorm_matches_torch_nn(normalized_shape, shape, options, train):
    ref = _randomized_layer_norm(normalized_shape, **options)
    x = randn(*shape) * 3 + 2
    check_parity(lambda nn: nn.LayerNorm(normalized_shape, **options), ref, x, train=train)


@pytest.mark.parametrize("normalized_shape, shape", LN_CASES, ids=[str(c[1]) for c in LN_CASES])
@pytest.mark.parametrize("options", LN_OPTIONS[:3], ids=["default", "no affine", "no bias"])
def test_layernorm_backward_matches_finite_differences(normalized_shape, shape, options):
    for nn in BACKENDS:
        m = nn.LayerNorm(normalized_shape, **options).to(dtype=np.float64 if nn is nnp else torch.float64)
        m.load_state_dict(_randomized_layer_norm(normalized_shape, **options).state_dict()
                          if nn is ntorch else
                          {k: to_numpy(v) for k, v in _randomized_layer_norm(normalized_shape, **options).state_dict().items()})
        result = gradcheck(m, as_input(nn, randn(*shape, seed=3) * 2 - 1))
        assert result.passed(1e-7), f"{nn.BACKEND}: {result}"


def test_torch_layernorm_manual_backward_matches_autograd():
    _, m = build_both(lambda nn: nn.LayerNorm((3, 4)))
    m.load_state_dict(_randomized_layer_norm((3, 4)).state_dict())
    check_manual_backward_matches_autograd(m, randn(2, 5, 3, 4))


def test_layernorm_state_dict_keys_defaults_and_repr_match_torch():
    for options in ({}, {"elementwise_affine": False}, {"bias": False}):
        ref = torch.nn.LayerNorm((2, 3), **options)
        for nn in BACKENDS:
            m = nn.LayerNorm((2, 3), **options)
            assert list(m.state_dict()) == list(ref.state_dict())
            assert [n for n, _ in m.named_parameters()] == [n for n, _ in ref.named_parameters()]
            for key, value in ref.state_dict().items():
                assert_close(m.state_dict()[key], value, key)
            assert repr(m) == repr(ref)
    assert nnp.LayerNorm(4).normalized_shape == torch.nn.LayerNorm(4).normalized_shape == (4,)


def test_layernorm_normalizes_each_example_alone_and_the_same_in_train_and_eval():
    x = randn(6, 8) * np.linspace(0.1, 10, 8) + 3
    for nn, m in zip(BACKENDS, build_both(lambda nn: nn.LayerNorm(8))):
        y = to_numpy(m(as_input(nn, x)))
        np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-10)
        np.testing.assert_allclose(y.std(axis=1), 1, atol=1e-3)
        assert_close(m(as_input(nn, x[2:3])), y[2:3], f"{nn.BACKEND}: one example alone")
        m.eval()
        assert_close(m(as_input(nn, x)), y, f"{nn.BACKEND}: eval computes the same")


def test_layernorm_is_batchnorm_of_the_transpose():
    # without affine parameters, normalizing each row is normalizing each column of x.T (notebook 11, section 5)
    x, dy = randn(5, 7, seed=4) * 2 + 1, randn(5, 7, seed=5)
    ln, bn = nnp.LayerNorm(7, elementwise_affine=False), nnp.BatchNorm1d(5, affine=False)
    np.testing.assert_allclose(ln(x), bn(x.T).T, atol=1e-12)
    np.testing.assert_allclose(ln.backward(dy), bn.backward(dy.T).T, atol=1e-12)


def test_layernorm_rejects_an_input_whose_last_axes_differ():
    for nn, m in zip(BACKENDS, build_both(lambda nn: nn.LayerNorm((3, 4)))):
        with pytest.raises(ValueError, match=r"LayerNorm\(\(3, 4\).*expects an input of shape \(\*, 3, 4\), got shape \(2, 4, 3\)"):
            m(as_input(nn, randn(2, 4, 3)))
        with pytest.raises(ValueError, match=r"got shape \(4,\)"):
            m(as_input(nn, randn(4)))
    with pytest.raises(ValueError, match="positive sizes"):
        nnp.LayerNorm((3, 0))
    with pytest.raises(TypeError, match="dtype torch.float32"):
        ntorch.LayerNorm(3, device="cpu")(torch.zeros(4, 3, dtype=torch.float64))
