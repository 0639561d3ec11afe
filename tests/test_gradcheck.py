"""nnlib.gradcheck: central differences agree with correct backward passes and catch wrong ones."""
import numpy as np
import pytest
import torch

import nnlib.numpy as nnp
import nnlib.torch as ntorch
from nnlib.gradcheck import gradcheck, gradcheck_loss, numerical_gradient, relative_error

TOL = 1e-6


def make(nn, factory, device):
    """Build with ``factory(nn)`` in float64 (on ``device`` for the torch backend)."""
    m = factory(nn)
    return m.to(dtype=np.float64) if nn is nnp else m.to(device=device, dtype=torch.float64)


def array(nn, a, device):
    return np.asarray(a, dtype=np.float64) if nn is nnp else torch.as_tensor(a, dtype=torch.float64, device=device)


# --- the numerical gradient itself ---------------------------------------------------------------
def test_numerical_gradient_of_a_quadratic_is_exact_up_to_rounding():
    x = np.random.default_rng(0).normal(size=(3, 4))
    grad = numerical_gradient(lambda v: np.sum(v**2 + 3 * v), x)
    np.testing.assert_allclose(grad, 2 * x + 3, atol=1e-7)


def test_numerical_gradient_restores_x_and_keeps_tensor_type(device):
    x = torch.randn(5, dtype=torch.float64, device=device)
    before = x.clone()
    grad = numerical_gradient(lambda v: (v.sin()).sum(), x)
    assert isinstance(grad, torch.Tensor) and grad.device == x.device
    torch.testing.assert_close(x, before, rtol=0, atol=0)
    torch.testing.assert_close(grad, x.cos(), rtol=1e-7, atol=1e-8)


def test_relative_error_is_scale_free_and_zero_for_equal_arrays():
    a = np.array([1.0, -2.0, 0.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a * 1e6, (a + [1e-3, 0, 0]) * 1e6) == pytest.approx(1e-3 / 2)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        relative_error(np.zeros(2), np.zeros(3))


# --- modules of both backends --------------------------------------------------------------------
BACKENDS = pytest.mark.parametrize("nn", [nnp, ntorch], ids=["numpy", "torch"])


@BACKENDS
def test_linear_backward_passes_gradcheck(nn, device):
    m = make(nn, lambda nn: nn.Linear(4, 3), device)
    x = array(nn, np.random.default_rng(0).normal(size=(5, 4)), device)
    result = gradcheck(m, x)
    assert result.passed(TOL), result
    assert set(result.errors) == {"input", "weight", "bias"}
    assert "weight" in repr(result) and "max relative error" in repr(result)


@BACKENDS
@pytest.mark.parametrize("name", ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "GELU", "SiLU", "Softmax"])
def test_mlp_with_each_activation_passes_gradcheck(nn, name, device):
    m = make(nn, lambda nn: nn.Sequential(nn.Linear(3, 4), getattr(nn, name)(), nn.Linear(4, 2)), device)
    x = array(nn, np.random.default_rng(1).normal(size=(6, 3)), device)
    result = gradcheck(m, x)
    assert result.passed(TOL), result
    assert set(result.param_errors) == {"0.weight", "0.bias", "2.weight", "2.bias"}


@BACKENDS
@pytest.mark.parametrize(
    "loss, target",
    [
        ("MSELoss", lambda rng: rng.normal(size=(4, 3))),
        ("L1Loss", lambda rng: rng.normal(size=(4, 3))),
        ("BCEWithLogitsLoss", lambda rng: rng.integers(0, 2, (4, 3)).astype(float)),
        ("CrossEntropyLoss", lambda rng: rng.integers(0, 3, 4)),
    ],
)
def test_losses_pass_gradcheck_loss(nn, loss, target, device):
    rng = np.random.default_rng(2)
    pred = array(nn, rng.normal(size=(4, 3)), device)
    t = target(rng)
    t = t if nn is nnp else torch.as_tensor(t, device=device, dtype=torch.float64 if t.dtype.kind == "f" else torch.long)
    result = gradcheck_loss(getattr(nn, loss)(), pred, t)
    assert result.passed(TOL), result
    assert list(result.errors) == ["pred"]


# --- it catches mistakes -------------------------------------------------------------------------
class _WrongBias:
    """A Linear whose backward forgets to sum the bias gradient over the batch (a classic bug)."""

    def backward(self, dy):
        dx = super().backward(dy)
        self.bias.grad = dy[0] * 1  # only the first row
        return dx


class _WrongInput:
    """A Linear whose backward returns twice the input gradient (a stray factor, as from d(x^2) = 2x)."""

    def backward(self, dy):
        return 2 * super().backward(dy)


@BACKENDS
def test_gradcheck_catches_a_wrong_bias_gradient(nn, device):
    Broken = type("BrokenLinear", (_WrongBias, nn.Linear), {})
    m = make(nn, lambda nn: Broken(3, 2), device)
    result = gradcheck(m, array(nn, np.random.default_rng(3).normal(size=(4, 3)), device))
    assert not result.passed(1e-2), result
    assert result.errors["bias"] > 0.1 and result.errors["weight"] < TOL and result.errors["input"] < TOL


@BACKENDS
def test_gradcheck_catches_a_wrong_input_gradient(nn, device):
    Broken = type("BrokenLinear", (_WrongInput, nn.Linear), {})
    m = make(nn, lambda nn: Broken(3, 2), device)
    result = gradcheck(m, array(nn, np.random.default_rng(4).normal(size=(4, 3)), device))
    assert result.errors["input"] == pytest.approx(0.5, rel=1e-4)  # twice the true gradient
    assert not result.passed(TOL)


# --- errors --------------------------------------------------------------------------------------
def test_torch_gradcheck_requires_float64(device):
    m = ntorch.Linear(3, 2, device=device)  # float32
    with pytest.raises(TypeError, match="float64.*torch.float64"):
        gradcheck(m, torch.zeros(2, 3, device=device))


def test_numpy_gradcheck_requires_float64():
    m = nnp.Linear(3, 2, dtype=np.float32)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(m, np.zeros((2, 3), dtype=np.float32))


def test_gradcheck_does_not_modify_the_callers_input():
    m = nnp.Linear(3, 2)
    x = np.random.default_rng(5).normal(size=(2, 3))
    before = x.copy()
    gradcheck(m, x)
    np.testing.assert_array_equal(x, before)
