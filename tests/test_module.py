"""The module protocol (parameters, state dicts, modes, saving) and Linear, in both backends."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import nnlib
import nnlib.numpy as nnp
import nnlib.torch as ntorch
from parity import build_both, check_manual_backward_matches_autograd, check_parity, tensor

BACKENDS = [nnp, ntorch]


def test_both_backends_export_the_same_names():
    public = lambda mod: {n for n in dir(mod) if not n.startswith("_")} - {"BACKEND", "default_device"}
    assert public(nnp) == public(ntorch)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 6), fin=st.integers(1, 7), fout=st.integers(1, 5), bias=st.booleans())
def test_linear_matches_torch_on_random_shapes(n, fin, fout, bias):
    x = np.random.default_rng(n).standard_normal((n, fin))
    check_parity(lambda nn: nn.Linear(fin, fout, bias=bias), torch.nn.Linear(fin, fout, bias=bias), x)


def test_linear_accepts_leading_dimensions_like_torch():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    check_parity(lambda nn: nn.Linear(4, 5), torch.nn.Linear(4, 5), x)


def test_linear_manual_backward_matches_autograd():
    _, m = build_both(lambda nn: nn.Linear(6, 3))
    check_manual_backward_matches_autograd(m, np.random.default_rng(0).standard_normal((4, 6)))


def test_same_seed_gives_identical_initial_weights_in_both_backends():
    nnlib.manual_seed(3)
    a = nnp.Linear(5, 4)
    nnlib.manual_seed(3)
    b = ntorch.Linear(5, 4, dtype=torch.float64, device="cpu")
    np.testing.assert_array_equal(a.weight.data, b.weight.data.numpy())


def test_linear_init_bounds_follow_torch():
    m = nnp.Linear(100, 50)
    assert np.abs(m.weight.data).max() <= 0.1 and np.abs(m.weight.data).max() > 0.09


@pytest.mark.parametrize("nn", BACKENDS)
def test_backward_adds_into_grad_and_zero_grad_clears(nn):
    m = nn.Linear(3, 2)
    x = m.weight.data.new_ones((4, 3)) if nn is ntorch else np.ones((4, 3))
    y = m(x)
    m.backward(y * 0 + 1)
    g1 = m.weight.grad * 1
    m(x)
    m.backward(y * 0 + 1)
    assert np.allclose(nnlib_numpy(m.weight.grad), 2 * nnlib_numpy(g1))
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def nnlib_numpy(a):
    return a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else a


def test_tied_weights_are_one_parameter_with_the_summed_gradient_as_in_torch():
    # two Linear layers sharing one weight: torch yields it once, and keeps both state-dict keys
    nnlib.manual_seed(0)
    first, second = nnp.Linear(3, 3), nnp.Linear(3, 3)
    second.weight = first.weight
    net = nnp.Sequential(first, nnp.Tanh(), second)
    twin = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh(), torch.nn.Linear(3, 3)).double()
    twin[2].weight = twin[0].weight
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in twin.named_parameters()]
    assert net.num_parameters() == sum(p.numel() for p in twin.parameters()) == 9 + 3 + 3
    assert list(net.state_dict()) == list(twin.state_dict())

    x = np.random.default_rng(0).standard_normal((4, 3))
    net.backward(np.ones_like(net(x)))
    twin(torch.from_numpy(x)).sum().backward()
    np.testing.assert_allclose(first.weight.grad, twin[0].weight.grad.numpy())
    # one SGD step moves the shared weight once, by the summed gradient
    before = first.weight.data.copy()
    nnp.SGD(net.parameters(), lr=0.1).step()
    np.testing.assert_allclose(first.weight.data, before - 0.1 * first.weight.grad)


def test_state_dict_keys_match_torch_sequential():
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    for nn in BACKENDS:
        m = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
        assert list(m.state_dict()) == list(ref.state_dict())
        assert [n for n, _ in m.named_parameters()] == [n for n, _ in ref.named_parameters()]
        assert m.num_parameters() == sum(p.numel() for p in ref.parameters())


def test_state_dict_moves_between_backends_and_torch_nn():
    a = nnp.Sequential(nnp.Linear(3, 4), nnp.Linear(4, 2))
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in a.state_dict().items()})
    b = ntorch.Sequential(ntorch.Linear(3, 4), ntorch.Linear(4, 2)).to(device="cpu", dtype=torch.float64)
    b.load_state_dict(a.state_dict())
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(a(x), ref(torch.from_numpy(x)).detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(a(x), b(torch.from_numpy(x)).numpy(), atol=1e-12)


def test_load_state_dict_rejects_wrong_keys_and_shapes():
    m = nnp.Linear(3, 2)
    with pytest.raises(KeyError, match="missing keys"):
        m.load_state_dict({"weight": np.zeros((2, 3))})
    with pytest.raises(ValueError, match=r"shape \(3, 3\)"):
        m.load_state_dict({"weight": np.zeros((3, 3)), "bias": np.zeros(2)})


def test_save_and_load_round_trip_without_pickle(tmp_path):
    a = nnp.Sequential(nnp.Linear(3, 4), nnp.Linear(4, 2))
    nnp.save(a, tmp_path / "w.npz")
    b = nnp.Sequential(nnp.Linear(3, 4), nnp.Linear(4, 2)).load_state_dict(nnp.load(tmp_path / "w.npz"))
    for (k, v), w in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(v, w, err_msg=k)
    t = ntorch.Linear(3, 2, device="cpu")
    ntorch.save(t, tmp_path / "w.pt")
    u = ntorch.Linear(3, 2, device="cpu").load_state_dict(ntorch.load(tmp_path / "w.pt"))
    assert torch.equal(t.weight.data, u.weight.data)


def test_numpy_load_refuses_pickled_objects(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        np.load(tmp_path / "obj.npy", allow_pickle=False)
    np.savez(tmp_path / "evil.npz", weight=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError):
        nnp.load(tmp_path / "evil.npz")


def test_train_and_eval_set_the_mode_recursively():
    for nn in BACKENDS:
        m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2)))
        m.eval()
        assert not any(x.training for x in m.modules())
        m.train()
        assert all(x.training for x in m.modules())


def test_sequential_slicing_shares_parameters():
    m = nnp.Sequential(nnp.Linear(2, 3), nnp.Linear(3, 1))
    assert m[:1][0] is m[0] and len(m) == 2


@pytest.mark.parametrize(
    "bad, exc, match",
    [
        (np.zeros((4, 5)), ValueError, r"expects 3 features .* got input of shape \(4, 5\)"),
        (np.zeros((4, 3), dtype=np.float32), TypeError, "expects input of dtype float64"),
        (np.zeros((4, 3), dtype=np.int64), TypeError, "expects input of dtype float64"),
        ([[0.0, 0.0, 0.0]], TypeError, "expects a NumPy array"),
    ],
)
def test_numpy_linear_rejects_bad_input_with_a_clear_message(bad, exc, match):
    with pytest.raises(exc, match=match):
        nnp.Linear(3, 2)(bad)


def test_torch_linear_rejects_bad_input_with_a_clear_message():
    m = ntorch.Linear(3, 2, device="cpu")
    with pytest.raises(ValueError, match="Linear.*expects 3 features"):
        m(torch.zeros(4, 5))
    with pytest.raises(TypeError, match="dtype torch.float32"):
        m(torch.zeros(4, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="torch.Tensor"):
        m(np.zeros((4, 3), dtype=np.float32))
    meta = ntorch.Linear(3, 2, device="meta")
    with pytest.raises(ValueError, match="parameters on meta"):
        meta(torch.zeros(4, 3))


def test_numpy_backend_refuses_a_gpu_device():
    with pytest.raises(ValueError, match="CPU only"):
        nnp.Linear(3, 2, device="cuda")


def test_torch_backend_defaults_to_cuda_when_available_else_cpu():
    m = ntorch.Linear(3, 2)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert m.weight.data.device.type == expected and m.weight.data.dtype == torch.float32


@pytest.mark.cuda
def test_linear_parity_on_cuda():
    a = nnp.Linear(4, 3)
    b = ntorch.Linear(4, 3, device="cuda", dtype=torch.float64).load_state_dict(a.state_dict())
    x = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_allclose(a(x), b(tensor(x, device="cuda")).cpu().numpy(), atol=1e-12)
