"""Initializers of both backends: torch.nn.init's gains, fans and bounds; one seed, identical weights."""
import math

import numpy as np
import pytest
import torch

import nnlib
import nnlib.numpy as nnp
import nnlib.torch as ntorch
from conftest import TEST_DEVICE
from nnlib._init_math import calculate_fan_in_and_fan_out
from parity import to_numpy

BACKENDS = [nnp, ntorch]
FUNCTIONS = ["calculate_gain", "uniform_", "normal_", "constant_", "ones_", "zeros_",
             "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


def empty(nn, shape, dtype=np.float64):
    if nn is nnp:
        return np.full(shape, np.nan, dtype=dtype)
    return torch.full(shape, float("nan"), dtype=getattr(torch, np.dtype(dtype).name), device=TEST_DEVICE)


def test_both_backends_offer_the_same_initializers_with_torch_s_signatures():
    import inspect

    for name in FUNCTIONS:
        a, b = getattr(nnp.init, name), getattr(ntorch.init, name)
        ref = inspect.signature(getattr(torch.nn.init, name)).parameters
        for ours in (a, b):
            params = inspect.signature(ours).parameters
            assert list(params) == list(ref), f"{name}: arguments {list(params)} != torch's {list(ref)}"
            assert [p.default for p in params.values()] == [p.default for p in ref.values()], name
    assert set(nnp.init.__all__) == set(ntorch.init.__all__) == set(FUNCTIONS)


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("conv_transpose1d", None), ("sigmoid", None), ("tanh", None),
    ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", 3), ("selu", None),
])
def test_calculate_gain_equals_torch_s(nonlinearity, param):
    for nn in BACKENDS:
        assert nn.init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


def test_calculate_gain_rejects_unknown_nonlinearities_and_bad_slopes():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        nnp.init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        nnp.init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(5, 3), (16, 3, 5, 5), (8, 4, 3), (2, 7, 1, 2, 3), (1, 1)])
def test_fans_follow_torch_for_dense_and_conv_shapes(shape):
    assert calculate_fan_in_and_fan_out(shape) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    out_channels, in_channels, *kernel = shape
    assert calculate_fan_in_and_fan_out(shape) == (in_channels * math.prod(kernel), out_channels * math.prod(kernel))


@pytest.mark.parametrize("nn", BACKENDS)
@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"])
def test_fan_based_initializers_refuse_tensors_with_fewer_than_2_dimensions(nn, name):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        getattr(nn.init, name)(empty(nn, (5,)))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        getattr(torch.nn.init, name)(torch.empty(5))


@pytest.mark.parametrize("nn", BACKENDS)
def test_xavier_uniform_fills_up_to_torch_s_bound(nn):
    w = nn.init.xavier_uniform_(empty(nn, (300, 200)), gain=2.0, generator=1)
    bound = 2.0 * math.sqrt(6.0 / (200 + 300))
    top = float(np.abs(to_numpy(w)).max())
    assert 0.99 * bound < top <= bound


@pytest.mark.parametrize("nn", BACKENDS)
@pytest.mark.parametrize("mode, fan", [("fan_in", 32 * 9), ("fan_out", 16 * 9)])
def test_kaiming_uniform_bound_on_a_conv_weight(nn, mode, fan):
    w = nn.init.kaiming_uniform_(empty(nn, (16, 32, 3, 3)), a=0.1, mode=mode, generator=2)
    bound = torch.nn.init.calculate_gain("leaky_relu", 0.1) * math.sqrt(3.0 / fan)
    top = float(np.abs(to_numpy(w)).max())
    assert 0.99 * bound < top <= bound


@pytest.mark.parametrize("nn", BACKENDS)
@pytest.mark.parametrize("name, kwargs, std", [
    ("xavier_normal_", dict(gain=1.0), math.sqrt(2.0 / (400 + 300))),
    ("kaiming_normal_", dict(nonlinearity="relu"), math.sqrt(2.0) / math.sqrt(300)),
    ("kaiming_normal_", dict(mode="fan_out", nonlinearity="tanh"), (5 / 3) / math.sqrt(400)),
    ("normal_", dict(mean=0.0, std=0.3), 0.3),
])
def test_normal_initializers_have_torch_s_std(nn, name, kwargs, std):
    w = to_numpy(getattr(nn.init, name)(empty(nn, (400, 300)), generator=3, **kwargs))
    assert abs(w.std() / std - 1) < 0.02
    assert abs(w.mean()) < 0.02 * std


@pytest.mark.parametrize("nn", BACKENDS)
def test_uniform_and_constant_fills(nn):
    w = to_numpy(nn.init.uniform_(empty(nn, (200, 100)), -0.5, 2.0, generator=4))
    assert w.min() >= -0.5 and w.max() < 2.0 and abs(w.mean() - 0.75) < 0.02
    assert np.all(to_numpy(nn.init.constant_(empty(nn, (2, 3)), 0.25)) == 0.25)
    assert np.all(to_numpy(nn.init.ones_(empty(nn, (4,)))) == 1.0)
    assert np.all(to_numpy(nn.init.zeros_(empty(nn, (3, 2, 2)))) == 0.0)


@pytest.mark.parametrize("nn", BACKENDS)
@pytest.mark.parametrize("name", ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_", "zeros_"])
def test_initializers_fill_in_place_and_accept_a_parameter(nn, name):
    w = empty(nn, (4, 3))
    assert getattr(nn.init, name)(w) is w and not np.isnan(to_numpy(w)).any()
    p = nn.Parameter(empty(nn, (4, 3)))
    data = p.data
    assert getattr(nn.init, name)(p) is p
    assert p.data is data and not np.isnan(to_numpy(p.data)).any()


@pytest.mark.parametrize("name", ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_seed_gives_identical_values_in_both_backends(name, dtype):
    a = getattr(nnp.init, name)(empty(nnp, (6, 5, 3), dtype), generator=11)
    b = getattr(ntorch.init, name)(empty(ntorch, (6, 5, 3), dtype), generator=11)
    assert b.dtype == getattr(torch, np.dtype(dtype).name) and a.dtype == dtype
    np.testing.assert_array_equal(a, to_numpy(b))
    nnlib.manual_seed(7)
    a = getattr(nnp.init, name)(empty(nnp, (6, 5), dtype))
    nnlib.manual_seed(7)
    b = getattr(ntorch.init, name)(empty(ntorch, (6, 5), dtype))
    np.testing.assert_array_equal(a, to_numpy(b))


@pytest.mark.parametrize("nn", BACKENDS)
def test_seeds_and_generators_make_draws_reproducible(nn):
    draw = lambda generator: to_numpy(nn.init.kaiming_uniform_(empty(nn, (5, 4)), generator=generator)).copy()
    np.testing.assert_array_equal(draw(5), draw(5))
    assert not np.array_equal(draw(5), draw(6))
    np.testing.assert_array_equal(draw(np.random.default_rng(5)), draw(5))
    nnlib.manual_seed(9)
    first = draw(None)
    assert not np.array_equal(first, draw(None)), "the global generator must move on"
    nnlib.manual_seed(9)
    np.testing.assert_array_equal(first, draw(None))


def test_initializers_reject_the_other_backend_s_arrays_and_bad_modes():
    with pytest.raises(TypeError, match="nnlib.numpy.init.xavier_uniform_ expects a NumPy array as tensor"):
        nnp.init.xavier_uniform_(torch.empty(3, 2))
    with pytest.raises(TypeError, match="nnlib.torch.init.normal_ expects a torch.Tensor as tensor"):
        ntorch.init.normal_(np.empty((3, 2)))
    with pytest.raises(TypeError, match="floating-point tensor"):
        nnp.init.zeros_(np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nnp.init.kaiming_normal_(np.empty((3, 2)), mode="fan_avg")


@pytest.mark.parametrize("nn", BACKENDS)
def test_kaiming_on_a_zero_element_tensor_warns_like_torch(nn):
    with pytest.warns(UserWarning, match="zero-element"):
        nn.init.kaiming_uniform_(empty(nn, (0, 3)))
