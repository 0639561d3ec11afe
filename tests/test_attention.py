"""Attention in both backends: MultiheadAttention against torch.nn.MultiheadAttention (float64, identical
weights; outputs, weights, input and parameter gradients, with and without masks, self- and cross-attention),
the manual backward against finite differences (NumPy) and autograd (nnlib.torch), the scaled dot-product
attention function against torch's, the positional encoding's laws, and the errors."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import nnlib.numpy as nnp
import nnlib.torch as ntorch
from conftest import TEST_DEVICE
from nnlib.gradcheck import gradcheck, numerical_gradient, relative_error
from parity import assert_close, tensor, to_numpy

BACKENDS = [nnp, ntorch]
E, H, N, L, S = 8, 2, 3, 4, 5


def build(nn, *args, **kwargs):
    """Our MultiheadAttention in backend ``nn``, float64 (on TEST_DEVICE for torch)."""
    if nn is ntorch:
        kwargs.update(device=TEST_DEVICE, dtype=torch.float64)
    else:
        kwargs.update(dtype=np.float64)
    return nn.MultiheadAttention(*args, **kwargs)


def convert(nn, a):
    """A NumPy array (float or boolean) in backend ``nn``'s type; None stays None."""
    if a is None or nn is nnp:
        return a
    if a.dtype == bool:
        return torch.as_tensor(a, device=TEST_DEVICE)
    return tensor(a)


def masks(kind, rng, L, S):
    """(attn_mask, key_padding_mask) as NumPy arrays for one of the mask cases."""
    if kind == "none":
        return None, None
    if kind == "causal":
        return np.triu(np.ones((L, S), bool), 1), None
    if kind == "bool+padding":
        padding = np.zeros((N, S), bool)
        padding[0, -2:] = True  # the first sequence is two keys shorter
        return (rng.random((L, S)) < 0.3) & ~np.eye(L, S, dtype=bool), padding  # the diagonal stays allowed
    if kind == "float 3-D":
        return rng.standard_normal((N * H, L, S)), None
    if kind == "float padding":
        forbidden = rng.random((N, S)) < 0.3
        forbidden[:, 0] = False  # every sequence keeps a key: a row with none has no distribution (NaN)
        return None, np.where(forbidden, -np.inf, rng.standard_normal((N, S)))
    raise ValueError(kind)


def reference_run(ref, q, k, v, attn_mask, padding, dy, dw, average=True, self_attention=False):
    """torch.nn.MultiheadAttention through autograd: output, weights, input and parameter gradients (NumPy)."""
    tq = tensor(q, requires_grad=True)
    tk, tv = (tq, tq) if self_attention else (tensor(k, requires_grad=True), tensor(v, requires_grad=True))
    as_t = lambda m: None if m is None else (torch.as_tensor(m, device=TEST_DEVICE) if m.dtype == bool else tensor(m))
    out, w = ref(tq, tk, tv, key_padding_mask=as_t(padding), attn_mask=as_t(attn_mask), average_attn_weights=average)
    ((out * tensor(dy)).sum() + (w * tensor(dw)).sum()).backward()
    grads = {name: to_numpy(p.grad) for name, p in ref.named_parameters()}
    inputs = (tq.grad,) if self_attention else (tq.grad, tk.grad, tv.grad)
    return to_numpy(out), to_numpy(w), [to_numpy(g) for g in inputs], grads


def load(nn, ours, ref):
    ours.load_state_dict({k: (to_numpy(v) if nn is nnp else v.detach()) for k, v in ref.state_dict().items()})


CASES = [  # (mask kind, self-attention, bias, average the weights over heads)
    ("none", True, True, True),
    ("none", False, True, True),
    ("causal", True, True, True),
    ("bool+padding", False, True, True),
    ("float 3-D", False, False, True),
    ("float padding", True, True, False),
]


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
@pytest.mark.parametrize("kind,self_attention,bias,average", CASES, ids=[f"{c[0]}-{'self' if c[1] else 'cross'}" + ("" if c[2] else "-nobias") + ("" if c[3] else "-per-head") for c in CASES])
def test_multihead_attention_matches_torch(nn, kind, self_attention, bias, average):
    rng = np.random.default_rng(1)
    Lq, Sk = (L, L) if self_attention else (L, S)
    q = rng.standard_normal((N, Lq, E))
    k, v = (q, q) if self_attention else (rng.standard_normal((N, Sk, E)), rng.standard_normal((N, Sk, E)))
    attn_mask, padding = masks(kind, rng, Lq, Sk)
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=True).to(TEST_DEVICE, torch.float64)
    with torch.no_grad():  # torch starts the biases at zero: move them, so their gradients are tested on a real case
        for name, p in ref.named_parameters():
            if "bias" in name:
                p.copy_(torch.randn_like(p))
    dy = rng.standard_normal((N, Lq, E))
    dw = rng.standard_normal((N, Lq, Sk) if average else (N, H, Lq, Sk))
    out_ref, w_ref, dx_ref, g_ref = reference_run(ref, q, k, v, attn_mask, padding, dy, dw, average, self_attention)

    ours = build(nn, E, H, bias=bias)
    load(nn, ours, ref)
    xq = convert(nn, q)
    xk, xv = (xq, xq) if self_attention else (convert(nn, k), convert(nn, v))
    out, w = ours(xq, xk, xv, key_padding_mask=convert(nn, padding), attn_mask=convert(nn, attn_mask), average_attn_weights=average)
    assert_close(out, out_ref, "output")
    assert_close(w, w_ref, "attention weights")
    grads = ours.backward(convert(nn, dy), convert(nn, dw))
    if self_attention:  # one input reaches the output three ways: its gradient is the sum
        grads = (sum(grads),)
    for ours_g, ref_g, name in zip(grads, dx_ref, ("query", "key", "value")):
        assert_close(ours_g, ref_g, f"gradient of {name}")
    assert set(dict(ours.named_parameters())) == set(g_ref)
    for name, p in ours.named_parameters():
        assert_close(p.grad, g_ref[name], f"gradient of {name}")


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_parameters_names_shapes_and_initialization_follow_torch(nn):
    ours, ref = build(nn, 12, 3), torch.nn.MultiheadAttention(12, 3, batch_first=True)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert ours.num_parameters() == sum(p.numel() for p in ref.parameters()) == 4 * 12 * 12 + 4 * 12
    state = {k: to_numpy(v) for k, v in ours.state_dict().items()}
    assert np.all(state["in_proj_bias"] == 0) and np.all(state["out_proj.bias"] == 0)
    bound = math.sqrt(6 / (12 + 36))  # Xavier-uniform on (3E, E)
    assert np.abs(state["in_proj_weight"]).max() <= bound and np.abs(state["in_proj_weight"]).max() > 0.9 * bound
    assert list(build(nn, 4, 2, bias=False).state_dict()) == ["in_proj_weight", "out_proj.weight"]


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_need_weights_false_and_per_head_weights(nn):
    x = convert(nn, np.random.default_rng(0).standard_normal((N, L, E)))
    mha = build(nn, E, H)
    out, w = mha(x, x, x, need_weights=False)
    assert w is None and tuple(out.shape) == (N, L, E)
    _, per_head = mha(x, x, x, average_attn_weights=False)
    _, averaged = mha(x, x, x)
    assert tuple(per_head.shape) == (N, H, L, L)
    assert_close(per_head.mean(axis=1), averaged, "the average of the heads' weights")
    assert_close(per_head.sum(axis=-1), np.ones((N, H, L)), "every row of weights sums to 1")


class SelfAttention(nnp.Module):
    """x -> MultiheadAttention(x, x, x) with a causal mask; backward adds the three input paths."""

    def __init__(self):
        self.attn = nnp.MultiheadAttention(E, H)
        for p in self.attn.parameters():  # non-zero biases, so their gradients are checked on a real case
            p.data += np.random.default_rng(3).standard_normal(p.data.shape) * 0.1

    def forward(self, x):
        return self.attn(x, x, x, attn_mask=nnp.MultiheadAttention.causal_mask(x.shape[1]))[0]

    def backward(self, dy):
        return sum(self.attn.backward(dy))


def test_manual_backward_matches_finite_differences_self_attention():
    result = gradcheck(SelfAttention(), np.random.default_rng(0).standard_normal((2, 4, E)))
    assert result.passed(1e-6), result


def test_manual_backward_matches_finite_differences_cross_attention_key_value():
    rng = np.random.default_rng(0)
    mha = build(nnp, E, H)
    q, k, v = rng.standard_normal((2, 3, E)), rng.standard_normal((2, 5, E)), rng.standard_normal((2, 5, E))
    padding = np.array([[False] * 4 + [True], [False] * 5])
    dy, dw = rng.standard_normal((2, 3, E)), rng.standard_normal((2, 3, 5))

    def loss(*_):
        out, w = mha(q, k, v, key_padding_mask=padding)
        return (out * dy).sum() + (w * dw).sum()

    loss()
    _, dk, dv = mha.backward(dy, dw)
    assert relative_error(dk, numerical_gradient(loss, k)) < 1e-6
    assert relative_error(dv, numerical_gradient(loss, v)) < 1e-6
    assert np.all(dk[0, -1] == 0) and np.all(dv[0, -1] == 0), "a padding key gets no gradient"


def test_torch_manual_backward_matches_autograd():
    rng = np.random.default_rng(2)
    mha = build(ntorch, E, H)
    params = [p.data.requires_grad_(True) for p in mha.parameters()]
    q, k, v = (tensor(rng.standard_normal(shape), requires_grad=True) for shape in ((N, L, E), (N, S, E), (N, S, E)))
    attn_mask = torch.as_tensor(rng.random((L, S)) < 0.3, device=TEST_DEVICE) & ~torch.eye(L, S, dtype=torch.bool, device=TEST_DEVICE)
    dy, dw = tensor(rng.standard_normal((N, L, E))), tensor(rng.standard_normal((N, L, S)))
    out, w = mha(q, k, v, attn_mask=attn_mask)
    auto = torch.autograd.grad((out * dy).sum() + (w * dw).sum(), [q, k, v, *params])
    mha.zero_grad()
    with torch.no_grad():
        mha(q.detach(), k.detach(), v.detach(), attn_mask=attn_mask)
        manual = list(mha.backward(dy, dw)) + [p.grad for p in mha.parameters()]
    for a, m in zip(auto, manual):
        assert_close(m, a, "manual vs autograd")


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_scaled_dot_product_attention_matches_torch_functional(nn):
    rng = np.random.default_rng(4)
    q, k, v = rng.standard_normal((2, 3, 4, 6)), rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((2, 3, 5, 7))
    forbidden = np.triu(np.ones((4, 5), bool), 2)
    tq, tk, tv = (tensor(a, requires_grad=True) for a in (q, k, v))
    # torch.nn.functional reads a boolean mask the other way round: True = may attend
    ref = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.as_tensor(~forbidden, device=TEST_DEVICE))
    d_out = rng.standard_normal(tuple(ref.shape))
    (ref * tensor(d_out)).sum().backward()
    out, weights = nn.scaled_dot_product_attention(convert(nn, q), convert(nn, k), convert(nn, v), convert(nn, forbidden))
    assert_close(out, ref, "attention output")
    assert np.all(to_numpy(weights)[..., forbidden] == 0), "a forbidden position gets weight 0"
    grads = nn.scaled_dot_product_attention_backward(convert(nn, d_out), convert(nn, q), convert(nn, k), convert(nn, v), weights)
    for ours, t in zip(grads, (tq, tk, tv)):
        assert_close(ours, t.grad, "attention input gradient")


def test_causal_mask_makes_each_output_independent_of_later_inputs():
    rng = np.random.default_rng(5)
    mha, x = build(nnp, E, H), rng.standard_normal((1, 6, E))
    mask = nnp.MultiheadAttention.causal_mask(6)
    assert mask.dtype == bool and mask.sum() == 6 * 5 // 2 and not mask.diagonal().any()
    y1, w = mha(x, x, x, attn_mask=mask)
    x2 = x.copy()
    x2[0, 4:] += 10.0  # change the last two positions only
    y2, _ = mha(x2, x2, x2, attn_mask=mask)
    np.testing.assert_allclose(y1[0, :4], y2[0, :4], atol=1e-12)
    assert not np.allclose(y1[0, 4:], y2[0, 4:])
    assert np.all(np.triu(w[0], 1) == 0)
    assert ntorch.MultiheadAttention.causal_mask(3, device="cpu").dtype == torch.bool


def test_sinusoidal_positional_encoding_follows_its_formula_and_rotates():
    pe = nnp.sinusoidal_positional_encoding(50, 16)
    pos, i = 7, 3
    assert pe.shape == (50, 16)
    assert pe[pos, 2 * i] == pytest.approx(math.sin(pos / 10000 ** (2 * i / 16)))
    assert pe[pos, 2 * i + 1] == pytest.approx(math.cos(pos / 10000 ** (2 * i / 16)))
    # PE[pos + k] = PE[pos] R_k for one fixed matrix R_k (a rotation per pair of columns), for every pos
    R, *_ = np.linalg.lstsq(pe[:40], pe[5:45], rcond=None)
    np.testing.assert_allclose(pe[:40] @ R, pe[5:45], atol=1e-8)
    pt = ntorch.sinusoidal_positional_encoding(50, 16, xp=ntorch.xp)
    assert isinstance(pt, torch.Tensor) and pt.dtype == torch.float64
    np.testing.assert_allclose(pt.numpy(), pe, atol=1e-12)
    with pytest.raises(ValueError, match="even d_model"):
        nnp.sinusoidal_positional_encoding(10, 5)


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_clear_errors(nn):
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="batch_first=True only"):
        nn.MultiheadAttention(8, 2, batch_first=False)
    with pytest.raises(ValueError, match="dropout"):
        nn.MultiheadAttention(8, 2, dropout=0.1)
    mha = build(nn, E, H)
    with pytest.raises(RuntimeError, match="before forward"):
        mha.backward(convert(nn, np.zeros((N, L, E))))
    rng = np.random.default_rng(0)
    q, k = convert(nn, rng.standard_normal((N, L, E))), convert(nn, rng.standard_normal((N, S, E)))
    with pytest.raises(ValueError, match="same sequence length S"):
        mha(q, k, convert(nn, rng.standard_normal((N, S + 1, E))))
    with pytest.raises(ValueError, match="same batch size"):
        mha(q, k, convert(nn, rng.standard_normal((N + 1, S, E))))
    with pytest.raises(ValueError, match=r"shape \(N, L, 8\)"):
        mha(convert(nn, rng.standard_normal((N, L, E + 1))), k, k)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(L, S\) = \(4, 5\)"):
        mha(q, k, k, attn_mask=convert(nn, np.zeros((S, L), bool)))
    with pytest.raises(ValueError, match=r"key_padding_mask of shape \(N, S\) = \(3, 5\)"):
        mha(q, k, k, key_padding_mask=convert(nn, np.zeros((N, L), bool)))
    with pytest.raises(TypeError, match="attn_mask"):
        mha(q, k, k, attn_mask=[[0.0] * S] * L)
    mha(q, k, k)
    with pytest.raises(ValueError, match="d_output of shape"):
        mha.backward(convert(nn, np.zeros((N, S, E))))
