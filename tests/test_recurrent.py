"""RNN, LSTM, GRU, their cells and Embedding in both backends, against torch.nn (float64, identical
weights), against finite differences (NumPy BPTT) and against autograd (torch backend's manual BPTT)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import nnlib
import nnlib.numpy as nnp
import nnlib.torch as ntorch
from conftest import TEST_DEVICE
from nnlib.gradcheck import numerical_gradient, relative_error
from parity import assert_close, check_manual_backward_matches_autograd, tensor, to_numpy

BACKENDS = [nnp, ntorch]
KINDS = ["RNN", "LSTM", "GRU"]


# --- helpers -----------------------------------------------------------------------------------
def build(nn, kind, *args, **kwargs):
    """Our layer/cell of ``kind`` in backend ``nn``, float64 (on TEST_DEVICE for torch)."""
    if nn is ntorch:
        kwargs.update(device=TEST_DEVICE, dtype=torch.float64)
    return getattr(nn, kind)(*args, **kwargs)


def convert(nn, a):
    """NumPy array (or a tuple of them, or None) in backend ``nn``'s type."""
    if a is None:
        return None
    if isinstance(a, tuple):
        return tuple(convert(nn, b) for b in a)
    return tensor(a) if nn is ntorch else np.asarray(a, dtype=np.float64)


def random_problem(kind, N, T, C, H, with_state, grad_on_state, seed=0, num_layers=1, bidirectional=False):
    """Input, initial state, gradient of out and gradient of the final state(s), as NumPy arrays."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, C))
    pair = kind == "LSTM"
    D = 2 if bidirectional else 1
    S = (num_layers * D, N, H)

    def state():
        return (rng.standard_normal(S), rng.standard_normal(S)) if pair else rng.standard_normal(S)

    h0 = state() if with_state else None
    d_out = rng.standard_normal((N, T, D * H))
    d_state = state() if grad_on_state else None
    return x, h0, d_out, d_state


def reference(ref, kind, x, h0, d_out, d_state):
    """torch.nn's results through autograd: outputs, final states and every gradient, as NumPy arrays."""
    xt = tensor(x, requires_grad=True)
    h0t = None if h0 is None else (tuple(tensor(h, requires_grad=True) for h in h0) if kind == "LSTM" else tensor(h0, requires_grad=True))
    out, state = ref(xt) if h0t is None else ref(xt, h0t)
    states = state if kind == "LSTM" else (state,)
    loss = (out * tensor(d_out)).sum()
    if d_state is not None:
        for s, d in zip(states, d_state if kind == "LSTM" else (d_state,)):
            loss = loss + (s * tensor(d)).sum()
    loss.backward()
    result = {"out": out, "dx": xt.grad}
    result.update({f"state {i}": s for i, s in enumerate(states)})
    if h0t is not None:
        result.update({f"grad of initial state {i}": h.grad for i, h in enumerate(h0t if kind == "LSTM" else (h0t,))})
    result.update({f"gradient of {n}": p.grad for n, p in ref.named_parameters()})
    return {k: to_numpy(v) for k, v in result.items()}


def ours(m, nn, kind, x, h0, d_out, d_state):
    """The same quantities from our layer's forward and manual backward."""
    out, state = m(convert(nn, x), convert(nn, h0))
    states = state if kind == "LSTM" else (state,)
    dx = m.backward(convert(nn, d_out), convert(nn, d_state))
    result = {"out": out, "dx": dx}
    result.update({f"state {i}": s for i, s in enumerate(states)})
    if h0 is not None:
        grads0 = (m.grad_h0, m.grad_c0) if kind == "LSTM" else (m.grad_h0,)
        result.update({f"grad of initial state {i}": g for i, g in enumerate(grads0)})
    result.update({f"gradient of {n}": p.grad for n, p in m.named_parameters()})
    return {k: to_numpy(v) for k, v in result.items()}


def check_layer_parity(kind, N, T, C, H, with_state, grad_on_state, bias=True, **kwargs):
    ref = getattr(torch.nn, kind)(C, H, bias=bias, batch_first=True, **kwargs).to(TEST_DEVICE, torch.float64)
    shape = {k: kwargs[k] for k in ("num_layers", "bidirectional") if k in kwargs}
    problem = random_problem(kind, N, T, C, H, with_state, grad_on_state, **shape)
    expected = reference(ref, kind, *problem)
    for nn in BACKENDS:
        m = build(nn, kind, C, H, bias=bias, **kwargs)
        m.load_state_dict({k: convert(nn, to_numpy(v)) for k, v in ref.state_dict().items()})
        got = ours(m, nn, kind, *problem)
        assert set(got) == set(expected), f"{nn.BACKEND} {kind}: {set(got) ^ set(expected)}"
        for key in expected:
            assert_close(got[key], expected[key], f"{nn.BACKEND} {kind}: {key}")


# --- parity with torch.nn ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_h0", "given_h0"])
@pytest.mark.parametrize("grad_on_state", [False, True], ids=["d_out", "d_out_and_d_state"])
def test_layer_matches_torch_nn_outputs_states_and_every_gradient(kind, with_state, grad_on_state):
    check_layer_parity(kind, N=3, T=5, C=4, H=6, with_state=with_state, grad_on_state=grad_on_state)


@pytest.mark.parametrize("kind", KINDS)
def test_layer_without_bias_matches_torch_nn(kind):
    check_layer_parity(kind, N=2, T=4, C=3, H=5, with_state=True, grad_on_state=True, bias=False)


def test_relu_rnn_matches_torch_nn():
    check_layer_parity("RNN", N=3, T=6, C=2, H=4, with_state=True, grad_on_state=True, nonlinearity="relu")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("num_layers,bidirectional", [(2, False), (1, True), (3, True)],
                         ids=["2 layers", "bidirectional", "3 layers bidirectional"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_h0", "given_h0"])
@pytest.mark.parametrize("grad_on_state", [False, True], ids=["d_out", "d_out_and_d_state"])
def test_stacked_and_bidirectional_layers_match_torch_nn(kind, num_layers, bidirectional, with_state, grad_on_state):
    check_layer_parity(kind, N=3, T=5, C=4, H=3, with_state=with_state, grad_on_state=grad_on_state,
                       num_layers=num_layers, bidirectional=bidirectional)


def test_stacked_bidirectional_relu_rnn_without_bias_matches_torch_nn():
    check_layer_parity("RNN", N=2, T=4, C=3, H=2, with_state=True, grad_on_state=True, bias=False,
                       nonlinearity="relu", num_layers=2, bidirectional=True)


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_between_layers_in_eval_mode_matches_torch_nn(kind):
    # in eval mode torch.nn applies no dropout; ours neither (dropout=0.5 would change every number otherwise)
    ref = getattr(torch.nn, kind)(3, 4, num_layers=2, dropout=0.5, batch_first=True).to(TEST_DEVICE, torch.float64).eval()
    problem = random_problem(kind, 2, 5, 3, 4, with_state=True, grad_on_state=True, num_layers=2)
    expected = reference(ref, kind, *problem)
    for nn in BACKENDS:
        m = build(nn, kind, 3, 4, num_layers=2, dropout=0.5).eval()
        m.load_state_dict({k: convert(nn, to_numpy(v)) for k, v in ref.state_dict().items()})
        got = ours(m, nn, kind, *problem)
        for key in expected:
            assert_close(got[key], expected[key], f"{nn.BACKEND} {kind} eval: {key}")


@settings(max_examples=16, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    N=st.integers(1, 3),
    T=st.integers(1, 5),
    C=st.integers(1, 4),
    H=st.integers(1, 5),
    with_state=st.booleans(),
    grad_on_state=st.booleans(),
    bias=st.booleans(),
    num_layers=st.integers(1, 3),
    bidirectional=st.booleans(),
)
def test_layers_match_torch_nn_on_random_sizes(kind, N, T, C, H, with_state, grad_on_state, bias, num_layers, bidirectional):
    check_layer_parity(kind, N, T, C, H, with_state, grad_on_state, bias=bias, num_layers=num_layers,
                       bidirectional=bidirectional)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_hx", "given_hx"])
def test_cells_match_torch_nn_cells(kind, with_state):
    N, C, H = 3, 4, 5
    rng = np.random.default_rng(3)
    lstm = kind == "LSTMCell"
    ref = getattr(torch.nn, kind)(C, H).to(TEST_DEVICE, torch.float64)
    x = rng.standard_normal((N, C))
    hx = (rng.standard_normal((N, H)), rng.standard_normal((N, H))) if lstm else rng.standard_normal((N, H))
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))

    xt = tensor(x, requires_grad=True)
    hxt = tuple(tensor(h, requires_grad=True) for h in hx) if lstm else tensor(hx, requires_grad=True)
    y = ref(xt, hxt) if with_state else ref(xt)
    loss = (y[0] * tensor(dh)).sum() + (y[1] * tensor(dc)).sum() if lstm else (y * tensor(dh)).sum()
    loss.backward()

    for nn in BACKENDS:
        m = build(nn, kind, C, H)
        m.load_state_dict({k: convert(nn, to_numpy(v)) for k, v in ref.state_dict().items()})
        got = m(convert(nn, x), convert(nn, hx)) if with_state else m(convert(nn, x))
        dx = m.backward(convert(nn, dh), convert(nn, dc)) if lstm else m.backward(convert(nn, dh))
        for a, b in zip(got if lstm else (got,), y if lstm else (y,)):
            assert_close(a, b, f"{nn.BACKEND} {kind}: output")
        assert_close(dx, xt.grad, f"{nn.BACKEND} {kind}: input gradient")
        if with_state:
            for a, b in zip(m.grad_hx if lstm else (m.grad_hx,), hxt if lstm else (hxt,)):
                assert_close(a, b.grad, f"{nn.BACKEND} {kind}: gradient of hx")
        for name, p in ref.named_parameters():
            assert_close(getattr(m, name).grad, p.grad, f"{nn.BACKEND} {kind}: gradient of {name}")


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_layer_equals_its_cell_applied_step_by_step(nn):
    N, T, C, H = 2, 6, 3, 4
    layer, cell = build(nn, "LSTM", C, H), build(nn, "LSTMCell", C, H)
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()})
    x = convert(nn, np.random.default_rng(0).standard_normal((N, T, C)))
    out, (h_n, c_n) = layer(x)
    h = c = None
    for t in range(T):
        h, c = cell(x[:, t], None if h is None else (h, c))
        assert_close(h, out[:, t], f"step {t}")
    assert_close(h, h_n[0], "h_n")
    assert_close(c, c_n[0], "c_n")


def test_embedding_matches_torch_nn_embedding_and_adds_gradients_of_repeated_ids():
    ref = torch.nn.Embedding(7, 3).to(TEST_DEVICE, torch.float64)
    ids = np.array([[0, 3, 3, 6], [3, 1, 0, 0]])
    dy = np.random.default_rng(0).standard_normal((2, 4, 3))
    y_ref = ref(torch.as_tensor(ids, device=TEST_DEVICE))
    (y_ref * tensor(dy)).sum().backward()
    for nn in BACKENDS:
        m = build(nn, "Embedding", 7, 3)
        m.load_state_dict({"weight": convert(nn, to_numpy(ref.weight))})
        ids_nn = torch.as_tensor(ids, device=TEST_DEVICE) if nn is ntorch else ids
        assert_close(m(ids_nn), y_ref, f"{nn.BACKEND}: output")
        assert m.backward(convert(nn, dy)) is None, "integer ids have no gradient"
        assert_close(m.weight.grad, ref.weight.grad, f"{nn.BACKEND}: gradient of weight")
        assert_close(to_numpy(m.weight.grad)[[2, 4, 5]], np.zeros((3, 3)), "rows never read get no gradient")


def test_embedding_starts_standard_normal_and_identical_in_both_backends():
    nnlib.manual_seed(5)
    a = nnp.Embedding(400, 50)
    nnlib.manual_seed(5)
    b = ntorch.Embedding(400, 50, device="cpu", dtype=torch.float64)
    np.testing.assert_array_equal(a.weight.data, b.weight.data.numpy())
    assert abs(a.weight.data.mean()) < 0.02 and abs(a.weight.data.std() - 1) < 0.02


# --- state dicts and initial values ------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS + ["RNNCell", "LSTMCell", "GRUCell"])
def test_parameter_names_shapes_and_count_match_torch_nn(kind):
    ref = getattr(torch.nn, kind)(3, 5) if kind.endswith("Cell") else getattr(torch.nn, kind)(3, 5, batch_first=True)
    for nn in BACKENDS:
        m = getattr(nn, kind)(3, 5, device="cpu")
        assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == {k: tuple(v.shape) for k, v in ref.state_dict().items()}
        assert list(m.state_dict()) == list(ref.state_dict())
        assert m.num_parameters() == sum(p.numel() for p in ref.parameters())


@pytest.mark.parametrize("kind", KINDS)
def test_stacked_bidirectional_state_dict_has_torchs_keys_order_and_shapes(kind):
    # positional arguments in torch's order: (input_size, hidden_size, num_layers)
    ref = getattr(torch.nn, kind)(3, 5, 2, bidirectional=True, batch_first=True)
    for nn in BACKENDS:
        m = getattr(nn, kind)(3, 5, 2, bidirectional=True, device="cpu")
        assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
        assert m.num_parameters() == sum(p.numel() for p in ref.parameters())
        assert (m.num_layers, m.bidirectional, m.dropout) == (2, True, 0.0)
        assert "num_layers=2" in repr(m) and "bidirectional=True" in repr(m)


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_gives_identical_initial_weights_within_torchs_bound(kind):
    nnlib.manual_seed(11)
    a = getattr(nnp, kind)(10, 16)
    nnlib.manual_seed(11)
    b = getattr(ntorch, kind)(10, 16, device="cpu", dtype=torch.float64)
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data.numpy(), err_msg=name)
        assert np.abs(p.data).max() <= 1 / 4 and np.abs(p.data).max() > 0.2, name  # U(-1/sqrt(H), 1/sqrt(H))


# --- backpropagation through time against finite differences and autograd -------------------------
def _assert_bptt_matches_finite_differences(kind, m, x, h0, d_out, d_state, dropout_seed=None, check_masks=False):
    """Every gradient of ``m`` (input, initial state(s), parameters) against finite differences of
    L = sum(out * d_out) + sum(state * d_state). ``dropout_seed`` re-seeds before each forward, so every
    evaluation draws the same dropout masks."""
    pair = kind == "LSTM"

    def loss(_=None):
        if dropout_seed is not None:
            nnlib.manual_seed(dropout_seed)
        out, state = m(x, h0)
        total = (out * d_out).sum()
        for s, d in zip(state if pair else (state,), d_state if pair else (d_state,)):
            total += (s * d).sum()
        return total

    loss()
    if check_masks:
        assert any(mask is not None and (mask == 0).any() for mask in m._masks), "dropout dropped nothing"
    dx = m.backward(d_out, d_state)
    analytic = {"x": dx, "h0": m.grad_h0, **{n: p.grad for n, p in m.named_parameters()}}
    numeric = {"x": numerical_gradient(loss, x), "h0": numerical_gradient(loss, h0[0] if pair else h0)}
    if pair:
        analytic["c0"] = m.grad_c0
        numeric["c0"] = numerical_gradient(loss, h0[1])
    numeric.update({n: numerical_gradient(loss, p.data) for n, p in m.named_parameters()})
    for name in analytic:
        assert relative_error(analytic[name], numeric[name]) < 1e-7, f"{kind}: gradient of {name}"


@pytest.mark.parametrize("kind", KINDS)
def test_numpy_bptt_matches_finite_differences(kind):
    N, T, C, H = 2, 3, 2, 3
    x, h0, d_out, d_state = random_problem(kind, N, T, C, H, with_state=True, grad_on_state=True, seed=4)
    _assert_bptt_matches_finite_differences(kind, getattr(nnp, kind)(C, H), x, h0, d_out, d_state)


@pytest.mark.parametrize("kind", KINDS)
def test_numpy_stacked_bidirectional_bptt_with_dropout_matches_finite_differences(kind):
    N, T, C, H, L = 2, 3, 2, 2, 2
    x, h0, d_out, d_state = random_problem(kind, N, T, C, H, with_state=True, grad_on_state=True, seed=8,
                                           num_layers=L, bidirectional=True)
    m = getattr(nnp, kind)(C, H, num_layers=L, bidirectional=True, dropout=0.4)
    _assert_bptt_matches_finite_differences(kind, m, x, h0, d_out, d_state, dropout_seed=3, check_masks=True)


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_dropout_between_layers_drops_at_rate_p_only_in_training(nn):
    m = build(nn, "GRU", 2, 50, num_layers=2, dropout=0.3)
    x = convert(nn, np.random.default_rng(0).standard_normal((20, 4, 2)))
    out_train, _ = m(x)
    (mask,) = m._masks
    kept = to_numpy(mask) != 0
    assert abs(1 - kept.mean() - 0.3) < 0.02
    np.testing.assert_allclose(to_numpy(mask)[kept], 1 / 0.7)
    out_eval, _ = m.eval()(x)
    assert m._masks == [None] and not np.allclose(to_numpy(out_train), to_numpy(out_eval))


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_numpy_cell_backward_matches_finite_differences(kind):
    rng = np.random.default_rng(2)
    m = getattr(nnp, kind)(3, 4)
    x, dh = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    h = rng.standard_normal((2, 4))
    hx = (h, rng.standard_normal((2, 4))) if kind == "LSTMCell" else h

    def loss(_=None):
        y = m(x, hx)
        return ((y[0] if kind == "LSTMCell" else y) * dh).sum()

    loss()
    dx = m.backward(dh)  # LSTMCell: dc' = None, the loss reads h' only
    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-7
    assert relative_error(m.grad_hx[0] if kind == "LSTMCell" else m.grad_hx, numerical_gradient(loss, h)) < 1e-7
    if kind == "LSTMCell":
        assert relative_error(m.grad_hx[1], numerical_gradient(loss, hx[1])) < 1e-7
    for name, p in m.named_parameters():
        assert relative_error(p.grad, numerical_gradient(loss, p.data)) < 1e-7, name


class _OutputOnly(ntorch.Module):
    """A recurrent layer seen as y = out, so that parity.check_manual_backward_matches_autograd applies."""

    def __init__(self, layer):
        self.layer = layer

    def forward(self, x):
        return self.layer(x)[0]

    def backward(self, dy):
        return self.layer.backward(dy)


@pytest.mark.parametrize("kind", KINDS)
def test_torch_manual_bptt_matches_autograd_through_out(kind):
    x = np.random.default_rng(5).standard_normal((3, 7, 4))
    check_manual_backward_matches_autograd(_OutputOnly(build(ntorch, kind, 4, 5)), x)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True)], ids=["one layer", "2 layers bidirectional"])
def test_torch_manual_bptt_matches_autograd_through_final_and_initial_states(kind, num_layers, bidirectional):
    m = build(ntorch, kind, 3, 4, num_layers=num_layers, bidirectional=bidirectional)
    x, h0, d_out, d_state = random_problem(kind, 2, 5, 3, 4, with_state=True, grad_on_state=True, seed=6,
                                           num_layers=num_layers, bidirectional=bidirectional)
    for p in m.parameters():
        p.data.requires_grad_(True)
    expected = reference(_AsTorchNN(m), kind, x, h0, d_out, d_state)
    for p in m.parameters():
        p.data.requires_grad_(False)
    got = ours(m, ntorch, kind, x, h0, d_out, d_state)
    for key in expected:
        assert_close(got[key], expected[key], f"manual vs autograd {kind}: {key}")


class _AsTorchNN:
    """Our torch-backend layer with torch.nn's calling convention, its autograd gradients in p.data.grad."""

    def __init__(self, m):
        self.m = m

    def __call__(self, x, h0=None):
        return self.m(x, h0)

    def named_parameters(self):
        return [(name, p.data) for name, p in self.m.named_parameters()]


def test_backward_adds_into_grad_over_two_passes():
    m = nnp.GRU(2, 3)
    x = np.random.default_rng(0).standard_normal((2, 4, 2))
    out, _ = m(x)
    m.backward(np.ones_like(out))
    first = {n: p.grad.copy() for n, p in m.named_parameters()}
    m(x)
    m.backward(np.ones_like(out))
    for n, p in m.named_parameters():
        np.testing.assert_allclose(p.grad, 2 * first[n], err_msg=n)


# --- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
@pytest.mark.parametrize("kind", KINDS)
def test_layers_reject_bad_inputs_and_states_naming_the_module(nn, kind):
    m = getattr(nn, kind)(3, 4, device="cpu", dtype=torch.float64 if nn is ntorch else None)
    arr = (lambda *s: torch.zeros(*s, dtype=torch.float64)) if nn is ntorch else (lambda *s: np.zeros(s))
    with pytest.raises(ValueError, match=rf"{kind}\(input_size=3.*expects input of shape \(N, T, input_size\).*got a 2-D"):
        m(arr(5, 3))
    with pytest.raises(ValueError, match=rf"{kind}\(.*expects 3 features .*got input of shape \(2, 5, 7\)"):
        m(arr(2, 5, 7))
    bad_h0 = arr(2, 4)
    with pytest.raises(ValueError, match=rf"{kind}\(.*expects h0 of shape \(1, 2, 4\), got \(2, 4\)"):
        m(arr(2, 5, 3), (bad_h0, arr(1, 2, 4)) if kind == "LSTM" else bad_h0)
    with pytest.raises(ValueError, match=rf"{kind}\(.*backward expects d_out of shape \(2, 5, 4\)"):
        m(arr(2, 5, 3))
        m.backward(arr(2, 5, 5))


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
@pytest.mark.parametrize("kind", KINDS)
def test_backward_rejects_a_final_state_gradient_of_the_wrong_shape(nn, kind):
    m = getattr(nn, kind)(3, 4, device="cpu", dtype=torch.float64 if nn is ntorch else None)
    arr = (lambda *s: torch.zeros(*s, dtype=torch.float64)) if nn is ntorch else (lambda *s: np.zeros(s))
    m(arr(2, 5, 3))
    name = "d_c_n" if kind == "LSTM" else "d_h_n"
    bad = arr(1, 2, 5)
    with pytest.raises(ValueError, match=rf"{kind}\(.*backward expects {name} of shape \(1, 2, 4\), got \(1, 2, 5\)"):
        m.backward(arr(2, 5, 4), (None, bad) if kind == "LSTM" else bad)


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
@pytest.mark.parametrize("kind", KINDS)
def test_stacked_bidirectional_layers_reject_states_of_one_layer_and_one_direction(nn, kind):
    dtype = torch.float64 if nn is ntorch else None
    m = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, device="cpu", dtype=dtype)
    arr = (lambda *s: torch.zeros(*s, dtype=torch.float64)) if nn is ntorch else (lambda *s: np.zeros(s))
    bad = arr(1, 2, 4)
    with pytest.raises(ValueError, match=rf"{kind}\(.*num_layers=2.*expects h0 of shape \(4, 2, 4\), got \(1, 2, 4\)"):
        m(arr(2, 5, 3), (bad, arr(4, 2, 4)) if kind == "LSTM" else bad)
    m(arr(2, 5, 3))
    with pytest.raises(ValueError, match=r"backward expects d_out of shape \(2, 5, 8\), got \(2, 5, 4\)"):
        m.backward(arr(2, 5, 4))


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_layers_reject_backward_before_forward_and_empty_sequences(nn):
    zeros = (lambda *s: torch.zeros(*s, dtype=torch.float64)) if nn is ntorch else (lambda *s: np.zeros(s))
    m = getattr(nn, "LSTM")(3, 4, device="cpu", dtype=torch.float64 if nn is ntorch else None)
    with pytest.raises(RuntimeError, match=r"LSTM\(.*backward called before forward"):
        m.backward(zeros(2, 5, 4))
    with pytest.raises(ValueError, match=r"at least one step, got input of shape \(2, 0, 3\)"):
        m(zeros(2, 0, 3))


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_recurrent_constructors_check_num_layers_and_dropout_as_torch(nn):
    with pytest.raises(ValueError, match="num_layers must be an integer >= 1, got 0"):
        nn.GRU(3, 4, num_layers=0)
    with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\], got 1.5"):
        nn.LSTM(3, 4, num_layers=2, dropout=1.5)
    with pytest.warns(UserWarning, match="dropout acts between layers"):
        nn.RNN(3, 4, dropout=0.2, device="cpu")


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_recurrent_constructors_reject_what_the_course_does_not_support(nn):
    with pytest.raises(ValueError, match="batch-first only"):
        nn.LSTM(3, 4, batch_first=False)
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(TypeError, match=r"LSTM\(.*expects hx as a pair \(h0, c0\)"):
        zeros = torch.zeros if nn is ntorch else np.zeros
        nn.LSTM(3, 4, device="cpu")(zeros((1, 2, 3)), zeros((1, 1, 4)))


def test_recurrent_layers_reject_a_wrong_dtype():
    with pytest.raises(TypeError, match=r"GRU\(.*expects input of dtype float64"):
        nnp.GRU(2, 3)(np.zeros((1, 2, 2), dtype=np.float32))
    with pytest.raises(TypeError, match=r"GRU\(.*expects h0 of dtype torch.float32"):
        ntorch.GRU(2, 3, device="cpu")(torch.zeros(1, 2, 2), torch.zeros(1, 1, 3, dtype=torch.float64))


@pytest.mark.parametrize("nn", BACKENDS, ids=["numpy", "torch"])
def test_embedding_rejects_float_ids_and_ids_out_of_range(nn):
    m = nn.Embedding(10, 3, device="cpu")
    ids = (lambda a: torch.as_tensor(a)) if nn is ntorch else np.asarray
    with pytest.raises(TypeError, match=r"Embedding\(num_embeddings=10.*expects integer ids"):
        m(ids([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"Embedding\(.*got id 12 out of range.*num_embeddings=10"):
        m(ids([[3, 12], [0, 1]]))
    with pytest.raises(ValueError, match="got id -1 out of range"):
        m(ids([-1, 2]))


@pytest.mark.cuda
def test_lstm_and_gru_parity_on_cuda():
    for kind, shape in [("LSTM", {}), ("GRU", {}), ("LSTM", {"num_layers": 2, "bidirectional": True})]:
        a = getattr(nnp, kind)(3, 4, **shape)
        b = getattr(ntorch, kind)(3, 4, device="cuda", dtype=torch.float64, **shape)
        b.load_state_dict(a.state_dict())
        x = np.random.default_rng(0).standard_normal((2, 5, 3))
        d_out = np.random.default_rng(1).standard_normal((2, 5, 8 if shape else 4))
        out_a, _ = a(x)
        out_b, _ = b(tensor(x, device="cuda"))
        assert_close(out_b, out_a, f"{kind} on cuda: output")
        assert_close(b.backward(tensor(d_out, device="cuda")), a.backward(d_out), f"{kind} on cuda: input gradient")
