"""Helpers for parity tests: our two backends against torch.nn on identical weights, float64.

Typical use::

    ref = torch.nn.Linear(5, 3).double()
    check_parity(lambda nn: nn.Linear(5, 3), ref, x)

``check_parity`` builds the module in both backends, loads ``ref``'s state dict into
each, runs forward and the manual backward with the same upstream gradient, and
compares outputs, input gradients and every parameter gradient with the reference's
autograd results. It also checks our torch module's manual backward against autograd
on our own forward.
"""
import numpy as np
import torch

import nnlib.numpy as nnp
import nnlib.torch as ntorch
from conftest import TEST_DEVICE

ATOL = 1e-10
RTOL = 1e-8


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def tensor(x, device=None, requires_grad=False):
    """A float64 copy of ``x`` on ``device`` (TEST_DEVICE by default)."""
    t = torch.as_tensor(np.array(to_numpy(x)), dtype=torch.float64, device=device or TEST_DEVICE)
    return t.requires_grad_(requires_grad)


def assert_close(ours, ref, what, atol=ATOL, rtol=RTOL):
    ours, ref = to_numpy(ours), to_numpy(ref)
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != reference {ref.shape}"
    np.testing.assert_allclose(ours, ref, atol=atol, rtol=rtol, err_msg=what)


def build_both(factory):
    """``factory(backend_module)`` -> (numpy module, torch module on TEST_DEVICE in float64)."""
    ours_np = factory(nnp).to(dtype=np.float64)
    ours_t = factory(ntorch).to(device=TEST_DEVICE, dtype=torch.float64)
    return ours_np, ours_t


def _run_ours(module, x, dy):
    y = module(x)
    dx = module.backward(dy)
    grads = {name: p.grad for name, p in module.named_parameters()}
    return y, dx, grads


def check_parity(factory, ref, x, dy=None, train=True, atol=ATOL, rtol=RTOL, check_buffers=True):
    """Forward, input gradient and parameter gradients of both backends equal ``ref``'s.

    factory: ``lambda nn: nn.Layer(...)`` (called with nnlib.numpy and nnlib.torch).
    ref: the torch.nn module (float64); its weights are loaded into ours.
    x: input (NumPy array); dy: upstream gradient (random if None).
    Returns ``(ours_np, ours_t)`` for further checks.
    """
    ref = ref.to(device=TEST_DEVICE, dtype=torch.float64).train(train)
    ours_np, ours_t = build_both(factory)
    state = {k: v.detach() for k, v in ref.state_dict().items()}
    ours_np.load_state_dict({k: to_numpy(v) for k, v in state.items()})
    ours_t.load_state_dict(state)
    ours_np.train(train)
    ours_t.train(train)

    x = np.asarray(x, dtype=np.float64)
    xt = tensor(x, requires_grad=True)
    y_ref = ref(xt)
    if dy is None:
        dy = np.random.default_rng(99).standard_normal(tuple(y_ref.shape))
    (y_ref * tensor(dy)).sum().backward()
    ref_grads = {name: p.grad for name, p in ref.named_parameters()}

    y_np, dx_np, g_np = _run_ours(ours_np, x, np.asarray(dy, dtype=np.float64))
    y_t, dx_t, g_t = _run_ours(ours_t, tensor(x), tensor(dy))
    for backend, y, dx, grads in (("numpy", y_np, dx_np, g_np), ("torch", y_t, dx_t, g_t)):
        assert_close(y, y_ref, f"{backend}: output", atol, rtol)
        assert_close(dx, xt.grad, f"{backend}: input gradient", atol, rtol)
        assert set(grads) == set(ref_grads), f"{backend}: parameter names {set(grads)} != {set(ref_grads)}"
        for name in ref_grads:
            assert_close(grads[name], ref_grads[name], f"{backend}: gradient of {name}", atol, rtol)
    if check_buffers:
        for key, value in ref.state_dict().items():
            assert_close(ours_np.state_dict()[key], value, f"numpy: state {key} after forward", atol, rtol)
            assert_close(ours_t.state_dict()[key], value, f"torch: state {key} after forward", atol, rtol)
    return ours_np, ours_t


def check_manual_backward_matches_autograd(module, x, dy=None, atol=ATOL, rtol=RTOL):
    """Our torch module's manual backward equals torch.autograd through our own forward."""
    params = list(module.named_parameters())
    for _, p in params:
        p.data.requires_grad_(True)
        p.data.grad = None
    xt = tensor(x, requires_grad=True)
    y = module(xt)
    if dy is None:
        dy = np.random.default_rng(7).standard_normal(tuple(y.shape))
    dyt = tensor(dy)
    (y * dyt).sum().backward()
    module.zero_grad()
    with torch.no_grad():
        module(xt.detach())
        dx = module.backward(dyt)
    assert_close(dx, xt.grad, "manual vs autograd: input gradient", atol, rtol)
    for name, p in params:
        assert_close(p.grad, p.data.grad, f"manual vs autograd: gradient of {name}", atol, rtol)
        p.data.requires_grad_(False)
        p.data.grad = None
