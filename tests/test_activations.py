"""Activations in both backends: parity with torch.nn, finite differences, autograd, and their laws."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

import nnlib.numpy as nnp
import nnlib.torch as ntorch
from nnlib.gradcheck import numerical_gradient as finite_differences
from conftest import TEST_DEVICE
from parity import assert_close, build_both, check_manual_backward_matches_autograd, check_parity, tensor

BACKENDS = [nnp, ntorch]

# (name, our factory, torch.nn reference)
ACTIVATIONS = [
    ("Sigmoid", lambda nn: nn.Sigmoid(), torch.nn.Sigmoid()),
    ("Tanh", lambda nn: nn.Tanh(), torch.nn.Tanh()),
    ("ReLU", lambda nn: nn.ReLU(), torch.nn.ReLU()),
    ("LeakyReLU", lambda nn: nn.LeakyReLU(), torch.nn.LeakyReLU()),
    ("LeakyReLU(0.2)", lambda nn: nn.LeakyReLU(negative_slope=0.2), torch.nn.LeakyReLU(negative_slope=0.2)),
    ("GELU", lambda nn: nn.GELU(), torch.nn.GELU()),
    ("GELU(tanh)", lambda nn: nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
    ("SiLU", lambda nn: nn.SiLU(), torch.nn.SiLU()),
    ("Softmax", lambda nn: nn.Softmax(), torch.nn.Softmax(dim=-1)),
    ("Softmax(dim=0)", lambda nn: nn.Softmax(dim=0), torch.nn.Softmax(dim=0)),
    ("LogSoftmax", lambda nn: nn.LogSoftmax(), torch.nn.LogSoftmax(dim=-1)),
    ("LogSoftmax(dim=1)", lambda nn: nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
]
IDS = [a[0] for a in ACTIVATIONS]


def numerical_gradient(f, x, dy, h=1e-6):
    """Central differences of sum(f(x) * dy) with respect to every entry of x."""
    return finite_differences(lambda v: (f(v) * dy).sum(), x, eps=h)

def inputs(shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    # keep clear of ReLU's kink, where a finite difference straddles two slopes
    return np.where(np.abs(x) < 1e-3, 0.5, x)


@pytest.mark.parametrize("name, factory, ref", ACTIVATIONS, ids=IDS)
def test_activation_matches_torch_nn(name, factory, ref):
    check_parity(factory, ref, inputs((4, 3, 5)))


@pytest.mark.parametrize("name, factory, ref", ACTIVATIONS, ids=IDS)
def test_activation_backward_matches_finite_differences(name, factory, ref):
    m = factory(nnp)
    x, dy = inputs((3, 4), seed=1), inputs((3, 4), seed=2)
    m(x)
    dx = m.backward(dy)
    np.testing.assert_allclose(dx, numerical_gradient(m, x.copy(), dy), atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("name, factory, ref", ACTIVATIONS, ids=IDS)
def test_torch_activation_manual_backward_matches_autograd(name, factory, ref):
    _, m = build_both(factory)
    check_manual_backward_matches_autograd(m, inputs((5, 6), seed=3))


@settings(max_examples=25, deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=st.floats(-50, 50)))
def test_softmax_rows_are_probabilities_that_sum_to_one(x):
    for nn in BACKENDS:
        y = nn.Softmax(dim=1)(x if nn is nnp else tensor(x))
        y = y if nn is nnp else y.cpu().numpy()
        assert np.all(y >= 0) and np.all(y <= 1)
        np.testing.assert_allclose(y.sum(axis=1), 1.0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    x=arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 6)), elements=st.floats(-1e4, 1e4)),
    big=st.sampled_from([1e4, -1e4]),
)
def test_log_softmax_is_finite_and_exact_for_logits_of_1e4(x, big):
    x = x.copy()
    x[:, 0] = big  # at least one extreme logit per row
    expected = torch.log_softmax(torch.from_numpy(x), dim=1).numpy()
    for nn in BACKENDS:
        y = nn.LogSoftmax(dim=1)(x if nn is nnp else tensor(x))
        y = y if nn is nnp else y.cpu().numpy()
        assert np.all(np.isfinite(y)), "log-softmax produced NaN or inf"
        assert np.all(y <= 0)
        np.testing.assert_allclose(y, expected, atol=1e-9, rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(x=arrays(np.float64, st.integers(1, 20), elements=st.floats(-30, 30)))
def test_sigmoid_lies_strictly_between_zero_and_one(x):
    for nn in BACKENDS:
        y = nn.Sigmoid()(x if nn is nnp else tensor(x))
        y = y if nn is nnp else y.cpu().numpy()
        assert np.all((y > 0) & (y < 1))


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_sigmoid_and_softmax_do_not_overflow_at_1000(nn):
    x = np.array([[-1000.0, 0.0, 1000.0]])
    x = x if nn is nnp else tensor(x)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = nn.Sigmoid()
        y = s(x)
        dx = s.backward(x * 0 + 1)
        p = nn.Softmax()(x)
    assert_close(y, np.array([[0.0, 0.5, 1.0]]), "sigmoid at -1000, 0, 1000")
    assert_close(dx, np.array([[0.0, 0.25, 0.0]]), "sigmoid slope at -1000, 0, 1000")
    assert_close(p, np.array([[0.0, 0.0, 1.0]]), "softmax of (-1000, 0, 1000)")


def test_relu_and_leaky_relu_take_the_slope_at_zero_from_the_left_like_torch():
    x = np.array([-1.0, 0.0, 2.0])
    for nn in BACKENDS:
        for m, expected in ((nn.ReLU(), [0.0, 0.0, 1.0]), (nn.LeakyReLU(0.1), [0.1, 0.1, 1.0])):
            m(x if nn is nnp else tensor(x))
            assert_close(m.backward(x * 0 + 1 if nn is nnp else tensor(np.ones(3))), np.array(expected), repr(m))


def test_activation_reprs_show_their_arguments_like_torch():
    for nn in BACKENDS:
        assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
        assert repr(nn.Softmax()) == "Softmax(dim=-1)"
        assert repr(nn.ReLU()) == "ReLU()"
        assert list(nn.Sigmoid().state_dict()) == []


@pytest.mark.parametrize("name, factory, ref", ACTIVATIONS, ids=IDS)
def test_activation_rejects_integer_and_non_array_input(name, factory, ref):
    with pytest.raises(TypeError, match=f"{name.split('(')[0]}.*floating-point input"):
        factory(nnp)(np.arange(6).reshape(2, 3))
    with pytest.raises(TypeError, match="expects a NumPy array"):
        factory(nnp)([[1.0, 2.0]])
    with pytest.raises(TypeError, match="expects a torch.Tensor"):
        factory(ntorch)(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="floating-point input"):
        factory(ntorch)(torch.arange(6).reshape(2, 3))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_is_x_times_the_normal_cdf_and_tends_to_relu(approximate):
    import math

    x = np.linspace(-8, 8, 33)
    for nn in BACKENDS:
        y = nn.GELU(approximate=approximate)(x if nn is nnp else tensor(x))
        y = y if nn is nnp else y.cpu().numpy()
        cdf = np.array([(1 + math.erf(v / math.sqrt(2))) / 2 for v in x])
        np.testing.assert_allclose(y, x * cdf, atol=1e-3 if approximate == "tanh" else 1e-15)
        np.testing.assert_allclose(y[np.abs(x) >= 6], np.maximum(x, 0)[np.abs(x) >= 6], atol=1e-7)


def test_silu_is_x_times_sigmoid_and_its_minimum_is_near_minus_1_28():
    x = np.linspace(-5, 5, 100001)
    y = nnp.SiLU()(x)
    np.testing.assert_allclose(y, x / (1 + np.exp(-x)), atol=1e-15)
    assert abs(x[np.argmin(y)] + 1.2785) < 1e-3      # where x sigmoid(x) turns: 1 + x (1 - sigmoid(x)) = 0


def test_gelu_rejects_an_unknown_approximation_and_shows_its_choice():
    for nn in BACKENDS:
        with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got 'fast'"):
            nn.GELU(approximate="fast")
        assert repr(nn.GELU(approximate="tanh")) == repr(torch.nn.GELU(approximate="tanh"))
        assert repr(nn.SiLU()) == repr(torch.nn.SiLU())


def test_torch_gelu_keeps_float32_and_the_device():
    x = torch.randn(4, 3, device=TEST_DEVICE)
    for module in (ntorch.GELU(), ntorch.GELU(approximate="tanh"), ntorch.SiLU()):
        y = module(x)
        dx = module.backward(torch.ones_like(y))
        assert y.dtype == dx.dtype == torch.float32 and y.device == dx.device == x.device
