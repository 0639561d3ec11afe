"""Conv2d, MaxPool2d, AvgPool2d and AdaptiveAvgPool2d in both backends: parity with torch.nn, finite differences,
naive loops == vectorized code, manual backward == autograd, and clear errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import nnlib
import nnlib.numpy as nnp
import nnlib.torch as ntorch
from parity import assert_close, build_both, check_manual_backward_matches_autograd, check_parity, tensor

BACKENDS = [nnp, ntorch]


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def as_backend(nn, a, device):
    """``a`` (NumPy, float64) as the input type of backend ``nn``."""
    return tensor(a, device=device) if nn is ntorch else np.asarray(a, dtype=np.float64)


def numeric_gradient(f, x, eps=1e-6):
    """Central differences of the scalar f at x (float64 array), one coordinate at a time."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = f()
        x[idx] = old - eps
        down = f()
        x[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


# --- parity with torch.nn on identical weights ---------------------------------------------
CONV_CASES = [
    # (in, out, kernel, stride, padding, bias, input shape)
    (1, 1, 3, 1, 0, True, (1, 1, 5, 5)),
    (3, 4, 3, 1, 1, True, (2, 3, 6, 6)),
    (2, 5, (3, 2), (2, 1), (1, 2), True, (3, 2, 7, 6)),
    (4, 2, (1, 4), 2, (0, 1), False, (2, 4, 5, 9)),
    (2, 3, 5, 3, 2, True, (1, 2, 8, 11)),
    (3, 2, 2, (1, 3), 0, True, (2, 3, 4, 10)),
    (2, 2, 4, 2, 0, True, (1, 2, 5, 5)),  # the last row and column are never read: zero gradient there
]


@pytest.mark.parametrize("cin, cout, k, s, p, bias, shape", CONV_CASES)
def test_conv2d_matches_torch_over_stride_padding_and_shapes(cin, cout, k, s, p, bias, shape):
    ref = torch.nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=bias)
    check_parity(lambda nn: nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=bias), ref, randn(*shape))


@st.composite
def conv_configs(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, kh - 2 * ph), 8))
    w = draw(st.integers(max(1, kw - 2 * pw), 8))
    return dict(
        n=draw(st.integers(1, 3)), cin=draw(st.integers(1, 3)), cout=draw(st.integers(1, 3)),
        k=(kh, kw), s=(draw(st.integers(1, 3)), draw(st.integers(1, 3))), p=(ph, pw), h=h, w=w,
        bias=draw(st.booleans()),
    )


@settings(max_examples=25, deadline=None)
@given(c=conv_configs())
def test_conv2d_matches_torch_on_random_configurations(c):
    x = randn(c["n"], c["cin"], c["h"], c["w"], seed=c["h"] * 10 + c["w"])
    ref = torch.nn.Conv2d(c["cin"], c["cout"], c["k"], stride=c["s"], padding=c["p"], bias=c["bias"])
    check_parity(lambda nn: nn.Conv2d(c["cin"], c["cout"], c["k"], c["s"], c["p"], bias=c["bias"]), ref, x)


POOL_CASES = [
    # (kernel, stride, padding, input shape)
    (2, None, 0, (2, 3, 6, 6)),
    (2, None, 0, (1, 2, 7, 5)),  # odd sizes: the last row is dropped (floor)
    (3, 1, 0, (2, 2, 6, 7)),  # overlapping windows
    (3, 2, 1, (2, 3, 7, 6)),  # overlapping and padded
    ((2, 3), (1, 2), (1, 1), (1, 2, 5, 8)),
    ((3, 1), None, (1, 0), (2, 1, 9, 4)),
]


@pytest.mark.parametrize("k, s, p, shape", POOL_CASES)
@pytest.mark.parametrize("pool", ["MaxPool2d", "AvgPool2d"])
def test_pooling_matches_torch(pool, k, s, p, shape):
    ref = getattr(torch.nn, pool)(k, stride=s, padding=p)
    check_parity(lambda nn: getattr(nn, pool)(k, stride=s, padding=p), ref, randn(*shape))


@settings(max_examples=20, deadline=None)
@given(
    kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3),
    h=st.integers(4, 9), w=st.integers(4, 9), pool=st.sampled_from(["MaxPool2d", "AvgPool2d"]), data=st.data(),
)
def test_pooling_matches_torch_on_random_configurations(kh, kw, sh, sw, h, w, pool, data):
    p = (data.draw(st.integers(0, kh // 2)), data.draw(st.integers(0, kw // 2)))
    ref = getattr(torch.nn, pool)((kh, kw), stride=(sh, sw), padding=p)
    check_parity(lambda nn: getattr(nn, pool)((kh, kw), (sh, sw), p), ref, randn(2, 2, h, w, seed=h * w))


def test_max_pool2d_sends_the_gradient_to_the_maximum_torch_picks_among_ties():
    # small integers: most windows hold several equal maxima, and overlapping windows share them
    x = np.random.default_rng(5).integers(0, 3, size=(2, 3, 7, 8)).astype(np.float64)
    for k, s, p in ((2, None, 0), (3, 1, 1), ((2, 3), (1, 2), 0)):
        check_parity(lambda nn: nn.MaxPool2d(k, s, p), torch.nn.MaxPool2d(k, s, p), x)
    check_parity(lambda nn: nn.MaxPool2d(2), torch.nn.MaxPool2d(2), np.ones((1, 1, 4, 4)))


def test_conv_pool_stack_matches_torch_sequential():
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 3, (2, 3)), torch.nn.AvgPool2d(2, 1)
    )
    factory = lambda nn: nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(4, 3, (2, 3)), nn.AvgPool2d(2, 1))
    check_parity(factory, ref, randn(3, 2, 10, 9))


# --- finite differences (NumPy) and autograd (torch) ----------------------------------------
@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: nnp.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1), (2, 2, 5, 4)),
        (lambda: nnp.MaxPool2d(3, 2, 1), (2, 2, 5, 6)),
        (lambda: nnp.AvgPool2d((2, 3), 1, (1, 0)), (1, 2, 4, 5)),
    ],
    ids=["Conv2d", "MaxPool2d", "AvgPool2d"],
)
def test_numpy_backward_matches_finite_differences(factory, shape):
    m = factory()
    x = randn(*shape, seed=3)
    dy = randn(*m(x).shape, seed=4)
    loss = lambda: float(np.sum(m(x) * dy))
    m(x)
    dx = m.backward(dy)
    np.testing.assert_allclose(dx, numeric_gradient(loss, x), atol=1e-7)
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad, numeric_gradient(loss, p.data), atol=1e-7, err_msg=name)


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda nn: nn.Conv2d(3, 2, (2, 3), stride=(1, 2), padding=(2, 1)), (2, 3, 6, 7)),
        (lambda nn: nn.Conv2d(1, 4, 3, bias=False), (3, 1, 5, 5)),
        (lambda nn: nn.MaxPool2d(3, 1, 1), (2, 2, 5, 5)),
        (lambda nn: nn.AvgPool2d(2, (1, 2), 1), (2, 2, 5, 6)),
    ],
)
def test_torch_manual_backward_matches_autograd(factory, shape):
    _, m = build_both(factory)
    check_manual_backward_matches_autograd(m, randn(*shape, seed=8))


# --- naive loops == vectorized ------------------------------------------------------------
@pytest.mark.parametrize("nn", BACKENDS)
@pytest.mark.parametrize("k, s, p", [(3, 1, 1), ((2, 3), (2, 1), (0, 2)), (1, 2, 0)])
def test_naive_conv2d_equals_vectorized(nn, k, s, p, device):
    m = dict(zip(BACKENDS, build_both(lambda backend: backend.Conv2d(2, 3, k, stride=s, padding=p))))[nn]
    x = as_backend(nn, randn(2, 2, 5, 6), device)
    y = m(x)
    dy = as_backend(nn, randn(*y.shape, seed=1), device)
    dx = m.backward(dy)
    assert_close(nn.conv2d_forward_naive(x, m.weight.data, m.bias.data, s, p), y, "forward")
    dx_naive, dw_naive, db_naive = nn.conv2d_backward_naive(dy, x, m.weight.data, s, p)
    assert_close(dx_naive, dx, "input gradient")
    assert_close(dw_naive, m.weight.grad, "weight gradient")
    assert_close(db_naive, m.bias.grad, "bias gradient")
    assert_close(nn.conv2d_forward(x, m.weight.data, m.bias.data, s, p), y, "functional forward")
    for a, b in zip(nn.conv2d_backward(dy, x, m.weight.data, s, p), (dx, m.weight.grad, m.bias.grad)):
        assert_close(a, b, "functional backward")


@pytest.mark.parametrize("nn", BACKENDS)
@pytest.mark.parametrize("k, s, p", [(2, None, 0), (3, 1, 1), ((2, 3), (1, 2), (1, 0))])
def test_naive_max_pool2d_equals_vectorized(nn, k, s, p, device):
    x = as_backend(nn, np.random.default_rng(2).integers(0, 4, size=(2, 2, 6, 7)).astype(float), device)  # with ties
    m = nn.MaxPool2d(k, s, p)
    y = m(x)
    dy = as_backend(nn, randn(*y.shape, seed=1), device)
    assert_close(nn.max_pool2d_forward_naive(x, k, s, p), y, "forward")
    assert_close(nn.max_pool2d_backward_naive(dy, x, k, s, p), m.backward(dy), "input gradient")


@pytest.mark.parametrize("nn", BACKENDS)
@pytest.mark.parametrize("k, s, p", [(3, 1, 1), ((2, 3), (2, 1), (0, 2)), (2, 2, 0)])
def test_im2col_and_col2im_equal_torch_unfold_and_fold(nn, k, s, p, device):
    x = randn(2, 3, 6, 7)
    cols = nn.im2col(as_backend(nn, x, device), k, s, p)
    assert_close(cols, F.unfold(tensor(x), k, padding=p, stride=s), "im2col")
    c = randn(*cols.shape, seed=1)
    assert_close(nn.col2im(as_backend(nn, c, device), (6, 7), k, s, p), F.fold(tensor(c), (6, 7), k, padding=p, stride=s), "col2im")


# --- construction, state and dtypes -------------------------------------------------------
def test_same_seed_gives_identical_initial_conv_weights_in_both_backends():
    nnlib.manual_seed(11)
    a = nnp.Conv2d(3, 5, (3, 2))
    nnlib.manual_seed(11)
    b = ntorch.Conv2d(3, 5, (3, 2), dtype=torch.float64, device="cpu")
    np.testing.assert_array_equal(a.weight.data, b.weight.data.numpy())
    np.testing.assert_array_equal(a.bias.data, b.bias.data.numpy())


def test_conv2d_init_bounds_follow_torch():
    m = nnp.Conv2d(4, 64, 5)  # fan_in = 100: U(-0.1, 0.1)
    assert 0.09 < np.abs(m.weight.data).max() <= 0.1 and 0.05 < np.abs(m.bias.data).max() <= 0.1


@pytest.mark.parametrize("nn", BACKENDS)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_state_dict_repr_and_parameter_count_match_torch(nn, bias):
    ref = torch.nn.Conv2d(3, 8, (3, 2), stride=(2, 1), padding=1, bias=bias)
    m = nn.Conv2d(3, 8, (3, 2), stride=(2, 1), padding=1, bias=bias)
    assert list(m.state_dict()) == list(ref.state_dict())
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert m.num_parameters() == sum(p.numel() for p in ref.parameters())
    assert repr(m) == repr(ref)
    assert (m.kernel_size, m.stride, m.padding) == (ref.kernel_size, ref.stride, ref.padding)
    assert nn.MaxPool2d(2).stride == torch.nn.MaxPool2d(2).stride == 2


def test_float32_works_in_both_backends():
    x = randn(2, 3, 8, 8).astype(np.float32)
    ref = torch.nn.Conv2d(3, 4, 3, padding=1)
    expected = ref(torch.from_numpy(x)).detach().numpy()
    state = {k: v.detach() for k, v in ref.state_dict().items()}
    a = nnp.Conv2d(3, 4, 3, padding=1, dtype=np.float32).load_state_dict({k: v.numpy() for k, v in state.items()})
    b = ntorch.Conv2d(3, 4, 3, padding=1, device="cpu").load_state_dict(state)
    for y in (a(x), b(torch.from_numpy(x))):
        assert y.dtype in (np.float32, torch.float32)
        np.testing.assert_allclose(np.asarray(y), expected, atol=1e-5)
    for pool in (nnp.MaxPool2d(2), nnp.AvgPool2d(2)):
        assert pool(x).dtype == np.float32 and pool.backward(pool(x)).dtype == np.float32


# --- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("nn", BACKENDS)
def test_wrong_inputs_raise_errors_that_name_the_module(nn, device):
    dt = np.float64 if nn is nnp else torch.float64
    kw = {} if nn is nnp else {"device": device}
    conv = nn.Conv2d(3, 4, 5, padding=1, dtype=dt, **kw)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*\(N, C_in, H, W\).*3-D"):
        conv(as_backend(nn, randn(3, 8, 8), device))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*expects 3 channels.*\(2, 2, 8, 8\)"):
        conv(as_backend(nn, randn(2, 2, 8, 8), device))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*at least as large as the kernel \(5, 5\).*\(2, 3, 2, 8\)"):
        conv(as_backend(nn, randn(2, 3, 2, 8), device))
    pool = nn.MaxPool2d(3)
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=3.*4-D.*5-D"):
        pool(as_backend(nn, randn(1, 1, 1, 6, 6), device))
    with pytest.raises(ValueError, match=r"AvgPool2d\(kernel_size=\(4, 1\).*kernel \(4, 1\)"):
        nn.AvgPool2d((4, 1))(as_backend(nn, randn(1, 1, 3, 6), device))


@pytest.mark.parametrize("nn", BACKENDS)
def test_invalid_hyperparameters_are_refused_as_torch_refuses_them(nn):
    with pytest.raises(ValueError, match="Conv2d expects stride >= 1, got 0"):
        nn.Conv2d(1, 2, 3, stride=0)
    with pytest.raises(ValueError, match=r"Conv2d expects stride >= 1, got \(1, -1\)"):
        nn.Conv2d(1, 2, 3, stride=(1, -1))
    with pytest.raises(ValueError, match="Conv2d expects padding >= 0"):
        nn.Conv2d(1, 2, 3, padding=-1)
    with pytest.raises(ValueError, match="Conv2d expects out_channels to be a positive int, got 0"):
        nn.Conv2d(1, 0, 3)
    with pytest.raises(TypeError, match="kernel_size to be an int or a pair of ints, got 'same'"):
        nn.Conv2d(1, 2, "same")
    with pytest.raises(ValueError, match=r"MaxPool2d expects padding at most half of kernel_size \(3, 3\), got padding 2"):
        nn.MaxPool2d(3, padding=2)
    with pytest.raises(ValueError, match="AvgPool2d expects stride >= 1"):
        nn.AvgPool2d(2, stride=0)
    for k, p in ((3, 2), (2, 2), ((3, 2), (1, 2))):  # torch refuses the same
        with pytest.raises(RuntimeError):
            torch.nn.MaxPool2d(k, padding=p)(torch.zeros(1, 1, 6, 6))
        with pytest.raises(ValueError):
            nn.MaxPool2d(k, padding=p)


def test_numpy_conv2d_refuses_a_dtype_other_than_its_parameters():
    with pytest.raises(TypeError, match=r"Conv2d\(1, 2.*dtype float64.*got float32"):
        nnp.Conv2d(1, 2, 3)(np.zeros((1, 1, 4, 4), dtype=np.float32))


# --- AdaptiveAvgPool2d ------------------------------------------------------------------------
ADAPTIVE_CASES = [
    # (output_size, input shape): global average pooling, sizes that divide the input, PyTorch's
    # overlapping bins where they do not, None (keep that size), and an output larger than the input
    (1, (2, 3, 5, 7)),
    ((1, 1), (3, 2, 8, 8)),
    (2, (2, 2, 8, 6)),
    ((4, 3), (1, 3, 8, 9)),
    (3, (2, 2, 5, 7)),
    ((5, None), (2, 1, 7, 4)),
    ((None, 2), (1, 2, 3, 5)),
    (4, (1, 1, 3, 2)),
]


@pytest.mark.parametrize("out, shape", ADAPTIVE_CASES)
def test_adaptive_avg_pool2d_matches_torch(out, shape):
    check_parity(lambda nn: nn.AdaptiveAvgPool2d(out), torch.nn.AdaptiveAvgPool2d(out), randn(*shape))


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 10), w=st.integers(1, 10), oh=st.integers(1, 10), ow=st.integers(1, 10))
def test_adaptive_avg_pool2d_matches_torch_on_random_sizes(h, w, oh, ow):
    check_parity(lambda nn: nn.AdaptiveAvgPool2d((oh, ow)), torch.nn.AdaptiveAvgPool2d((oh, ow)), randn(2, 2, h, w, seed=h + w))


@pytest.mark.parametrize("out, shape", [(1, (2, 2, 4, 5)), (3, (1, 2, 5, 7)), ((2, 4), (2, 1, 6, 8))])
def test_adaptive_avg_pool2d_backward_matches_finite_differences_and_autograd(out, shape):
    m = nnp.AdaptiveAvgPool2d(out)
    x = randn(*shape, seed=5)
    dy = randn(*m(x).shape, seed=6)
    m(x)
    np.testing.assert_allclose(m.backward(dy), numeric_gradient(lambda: float(np.sum(m(x) * dy)), x), atol=1e-8)
    _, m_torch = build_both(lambda nn: nn.AdaptiveAvgPool2d(out))
    check_manual_backward_matches_autograd(m_torch, x)


@pytest.mark.parametrize("nn", BACKENDS)
def test_global_average_pooling_is_the_mean_of_each_channel_whatever_the_size(nn, device):
    for h, w in ((1, 1), (4, 4), (7, 3)):
        x = as_backend(nn, randn(2, 3, h, w, seed=h * w), device)
        y = nn.AdaptiveAvgPool2d(1)(x)
        assert tuple(y.shape) == (2, 3, 1, 1)
        assert_close(y[:, :, 0, 0], x.mean(axis=(2, 3)), "GAP = per-channel mean")


@pytest.mark.parametrize("nn", BACKENDS)
def test_adaptive_avg_pool2d_refuses_bad_sizes_and_inputs(nn, device):
    for bad in (0, -1, (2, 0), (2,), (1, 2, 3), 1.5, "1", True):
        with pytest.raises(ValueError, match="AdaptiveAvgPool2d expects output_size to be a positive int"):
            nn.AdaptiveAvgPool2d(bad)
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool2d\(output_size=2\).*4-D.*3-D"):
        nn.AdaptiveAvgPool2d(2)(as_backend(nn, randn(3, 4, 4), device))
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool2d\(output_size=2\).*non-empty.*\(1, 1, 0, 4\)"):
        nn.AdaptiveAvgPool2d(2)(as_backend(nn, np.zeros((1, 1, 0, 4)), device))
    assert repr(nn.AdaptiveAvgPool2d((2, None))) == repr(torch.nn.AdaptiveAvgPool2d((2, None)))
