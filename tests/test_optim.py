"""Optimizers, learning-rate schedules and gradient clipping of both backends against torch.optim."""
import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import nnlib.numpy as nnp
import nnlib.torch as ntorch
from conftest import TEST_DEVICE
from parity import assert_close, tensor, to_numpy

BACKENDS = [nnp, ntorch]
NAMES = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "LRScheduler", "StepLR", "ExponentialLR",
         "CosineAnnealingLR", "LinearLR", "SequentialLR", "OneCycleLR", "clip_grad_norm_"]
STEPS = 30


# --- a small MLP, y = W2 tanh(W1 x + b1) + b2 with an MSE loss, in three implementations --------------
def initial_weights():
    rng = np.random.default_rng(5)
    return {"0.weight": rng.standard_normal((6, 3)), "0.bias": rng.standard_normal(6),
            "2.weight": rng.standard_normal((2, 6)), "2.bias": rng.standard_normal(2)}


def data():
    rng = np.random.default_rng(6)
    return rng.standard_normal((16, 3)), rng.standard_normal((16, 2))


def reference_trajectory(make_optimizer, groups=False, make_scheduler=None):
    """Parameters after each of STEPS steps of torch.optim on torch.nn (autograd), float64."""
    ref = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2)).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in initial_weights().items()})
    params = [ref[0].parameters(), ref[2].parameters()] if groups else ref.parameters()
    opt = make_optimizer(torch.optim, params)
    sched = make_scheduler(torch.optim.lr_scheduler, opt) if make_scheduler else None
    x, t = (torch.from_numpy(a) for a in data())
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        torch.nn.functional.mse_loss(ref(x), t).backward()
        opt.step()
        if sched is not None:
            sched.step()
        trajectory.append({k: v.detach().clone() for k, v in ref.state_dict().items()})
    return trajectory


def our_trajectory(nn, make_optimizer, groups=False, make_scheduler=None):
    """The same, with nnlib's Linear layers, a hand-written tanh/MSE backward and nnlib's optimizer."""
    xp, cast = (np, np.asarray) if nn is nnp else (torch, tensor)
    kwargs = {} if nn is nnp else {"device": TEST_DEVICE, "dtype": torch.float64}
    l1, l2 = nn.Linear(3, 6, **kwargs), nn.Linear(6, 2, **kwargs)
    w = initial_weights()
    l1.load_state_dict({"weight": w["0.weight"], "bias": w["0.bias"]})
    l2.load_state_dict({"weight": w["2.weight"], "bias": w["2.bias"]})
    params = [l1.parameters(), l2.parameters()] if groups else [*l1.parameters(), *l2.parameters()]
    opt = make_optimizer(nn, params)
    sched = make_scheduler(nn, opt) if make_scheduler else None
    x, t = (cast(a) for a in data())
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        h = xp.tanh(l1(x))
        y = l2(h)
        dh = l2.backward(2 * (y - t) / y.size if nn is nnp else 2 * (y - t) / y.numel())
        l1.backward(dh * (1 - h**2))
        opt.step()
        if sched is not None:
            sched.step()
        # copies (1 * ...), since the optimizer updates the arrays in place
        trajectory.append({"0.weight": 1 * l1.weight.data, "0.bias": 1 * l1.bias.data,
                           "2.weight": 1 * l2.weight.data, "2.bias": 1 * l2.bias.data})
    return trajectory, opt


def check_trajectories(make_optimizer, groups=False, make_scheduler=None):
    ref = reference_trajectory(make_optimizer, groups, make_scheduler)
    moved = max(float((ref[-1][k] - torch.from_numpy(v)).abs().max()) for k, v in initial_weights().items())
    assert moved > 1e-3, "the test problem barely moved: it would not tell optimizers apart"
    for nn in BACKENDS:
        ours, _ = our_trajectory(nn, make_optimizer, groups, make_scheduler)
        for step, (a, b) in enumerate(zip(ours, ref), start=1):
            for key in b:
                assert_close(a[key], b[key], f"{nn.BACKEND}: {key} after step {step}", atol=1e-10, rtol=1e-10)


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, weight_decay=0.1, nesterov=True, momentum=0.5)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.5, alpha=0.9)),
    ("RMSprop", dict(lr=0.005, momentum=0.5, centered=True, weight_decay=0.1, eps=1e-6)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
]


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{'-'.join(o)}" for n, o in CASES])
def test_optimizer_trajectory_matches_torch_optim_for_30_steps(name, options):
    check_trajectories(lambda lib, params: getattr(lib, name)(params, **options))


@pytest.mark.parametrize("name, extra", [("SGD", dict(momentum=0.9)), ("RMSprop", dict(centered=True)),
                                         ("Adam", dict(amsgrad=True)), ("AdamW", dict(weight_decay=0.2))])
def test_parameter_groups_with_their_own_lr_match_torch(name, extra):
    def make(lib, params):
        first, second = params
        return getattr(lib, name)([{"params": first, "lr": 0.05}, {"params": second, "lr": 0.01, **extra}], lr=0.02)

    check_trajectories(make, groups=True)


def test_defaults_match_torch_optim():
    import inspect

    for name in ["SGD", "RMSprop", "Adam", "AdamW"]:
        ours = inspect.signature(getattr(nnp, name)).parameters
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        for arg, p in ours.items():
            assert p.default == theirs[arg].default, f"{name}({arg}=...) default {p.default} != torch's {theirs[arg].default}"
        assert list(ours)[:6] == [a for a in theirs if a in ours][:6], f"{name}: argument order differs from torch"


def test_amsgrad_keeps_the_running_maximum_of_the_second_moment():
    _, opt = our_trajectory(nnp, lambda lib, params: lib.Adam(params, lr=0.05, amsgrad=True))
    states = list(opt.state.values())
    assert all(np.all(s["max_exp_avg_sq"] >= s["exp_avg_sq"]) for s in states)
    assert any(np.any(s["max_exp_avg_sq"] > s["exp_avg_sq"]) for s in states), "the maximum never mattered here"


@pytest.mark.parametrize("nn", BACKENDS)
@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "AdamW"])
def test_step_reads_grad_without_changing_it_and_skips_parameters_without_grad(nn, name):
    p = nn.Parameter(tensor([1.0, -2.0, 3.0]) if nn is ntorch else np.array([1.0, -2.0, 3.0]))
    idle = nn.Parameter(p.data * 1)
    grad = p.data * 0 + 0.5
    options = {"momentum": 0.9, "nesterov": True} if name == "SGD" else {"weight_decay": 0.1}
    opt = getattr(nn, name)([p, idle], lr=0.1, **options)
    for _ in range(3):
        p.grad = grad
        opt.step()
        assert p.grad is grad and np.all(to_numpy(grad) == 0.5)
    assert np.all(to_numpy(idle.data) == [1.0, -2.0, 3.0]) and idle not in opt.state
    assert not np.allclose(to_numpy(p.data), [1.0, -2.0, 3.0])
    opt.zero_grad()
    assert p.grad is None and idle.grad is None


def test_torch_backend_updates_keep_dtype_and_device():
    p = ntorch.Parameter(torch.ones(3, dtype=torch.float32, device=TEST_DEVICE))
    p.grad = torch.full((3,), 0.5, dtype=torch.float32, device=TEST_DEVICE)
    opt = ntorch.Adam([p], lr=0.1)
    opt.step()
    assert p.data.dtype == torch.float32 and p.data.device == TEST_DEVICE
    assert torch.allclose(p.data, torch.full((3,), 0.9, device=TEST_DEVICE))


def test_both_backends_share_one_implementation():
    for name in NAMES:
        assert getattr(nnp, name) is getattr(ntorch, name)
        assert name in nnp.optim.__all__ and name in ntorch.optim.__all__


def _torch_message(make):
    with pytest.raises(ValueError) as info:
        make()
    return str(info.value)


@pytest.mark.parametrize("name, options", [
    ("SGD", dict(lr=-1)),
    ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, weight_decay=-1)),
    ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("RMSprop", dict(alpha=-0.1)),
    ("RMSprop", dict(eps=-1e-8)),
    ("RMSprop", dict(momentum=-1)),
    ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))),
    ("Adam", dict(eps=-1.0)),
    ("AdamW", dict(lr=-0.5)),
    ("AdamW", dict(weight_decay=-0.01)),
])
def test_invalid_hyper_parameters_raise_torch_s_value_error(name, options):
    message = _torch_message(lambda: getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **options))
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(nnp, name)([nnp.Parameter(np.zeros(2))], **options)


def test_bad_params_arguments_say_what_to_pass():
    model = nnp.Sequential(nnp.Linear(2, 2))
    with pytest.raises(TypeError, match="model.parameters()"):
        nnp.SGD(model, lr=0.1)
    with pytest.raises(TypeError, match="got ndarray"):
        nnp.SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        nnp.Adam([])
    p = nnp.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="more than one parameter group"):
        nnp.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -2"):
        nnp.SGD([{"params": [p], "lr": -2}], lr=0.1)


def test_param_groups_hold_options_like_torch():
    a, b = nnp.Parameter(np.zeros(2)), nnp.Parameter(np.zeros(3))
    opt = nnp.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    ref = torch.optim.SGD([{"params": [torch.zeros(2)]}, {"params": torch.zeros(3), "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["params"] for g in opt.param_groups] == [[a], [b]]
    for ours, theirs in zip(opt.param_groups, ref.param_groups):
        assert {k: ours[k] for k in ("lr", "momentum", "dampening", "weight_decay", "nesterov")} == \
               {k: theirs[k] for k in ("lr", "momentum", "dampening", "weight_decay", "nesterov")}


def test_step_returns_the_closure_s_loss():
    p = nnp.Parameter(np.array([3.0]))

    def closure():
        p.grad = 2 * p.data
        return float(p.data[0] ** 2)

    opt = nnp.SGD([p], lr=0.25)
    assert opt.step(closure) == 9.0 and p.data[0] == 1.5


# --- learning-rate schedules ---------------------------------------------------------------------
EPOCHS = 45

SCHEDULES = {
    "step": lambda lib, opt: lib.StepLR(opt, step_size=7, gamma=0.5),
    "step-default-gamma": lambda lib, opt: lib.StepLR(opt, 3),
    "exponential": lambda lib, opt: lib.ExponentialLR(opt, gamma=0.9),
    "cosine": lambda lib, opt: lib.CosineAnnealingLR(opt, T_max=45),
    "cosine-past-T_max": lambda lib, opt: lib.CosineAnnealingLR(opt, T_max=12, eta_min=0.001),
    "linear-warm-up-default": lambda lib, opt: lib.LinearLR(opt),
    "linear-decay": lambda lib, opt: lib.LinearLR(opt, start_factor=1.0, end_factor=0.05, total_iters=30),
    "warm-up-then-cosine": lambda lib, opt: lib.SequentialLR(
        opt, [lib.LinearLR(opt, start_factor=0.1, total_iters=5), lib.CosineAnnealingLR(opt, T_max=40, eta_min=1e-4)],
        milestones=[5]),
    "warm-up-step-exponential": lambda lib, opt: lib.SequentialLR(
        opt, [lib.LinearLR(opt, start_factor=0.25, total_iters=4), lib.StepLR(opt, 5, gamma=0.5),
              lib.ExponentialLR(opt, gamma=0.95)], milestones=[4, 20]),
}


def lr_sequence(lib, make_scheduler, make_optimizer, params):
    opt = make_optimizer(params)
    sched = make_scheduler(lib, opt)
    lrs = [([g["lr"] for g in opt.param_groups], sched.get_last_lr(), sched.last_epoch)]
    for _ in range(EPOCHS):
        opt.step()
        sched.step()
        lrs.append(([g["lr"] for g in opt.param_groups], sched.get_last_lr(), sched.last_epoch))
    return lrs


@pytest.mark.parametrize("kind", list(SCHEDULES))
def test_schedule_gives_torch_s_learning_rates_for_45_epochs(kind):
    groups = lambda p: [{"params": [p[0]]}, {"params": [p[1]], "lr": 0.03}]
    theirs = lr_sequence(torch.optim.lr_scheduler, SCHEDULES[kind], lambda p: torch.optim.SGD(groups(p), lr=0.1),
                         [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)])
    ours = lr_sequence(nnp, SCHEDULES[kind], lambda p: nnp.SGD(groups(p), lr=0.1),
                       [nnp.Parameter(np.zeros(1)), nnp.Parameter(np.zeros(1))])
    for epoch, ((lr, last, e), (lr_ref, last_ref, e_ref)) in enumerate(zip(ours, theirs)):
        assert e == e_ref, f"last_epoch {e} != torch's {e_ref}"
        np.testing.assert_allclose(lr, lr_ref, rtol=1e-12, atol=1e-15, err_msg=f"group lrs at epoch {epoch}")
        np.testing.assert_allclose(last, last_ref, rtol=1e-12, atol=1e-15, err_msg=f"get_last_lr at epoch {epoch}")


def test_warm_up_then_cosine_drives_adam_like_torch():
    warm_up_then_cosine = lambda lib, opt: lib.SequentialLR(
        opt, [lib.LinearLR(opt, start_factor=0.2, total_iters=3), lib.CosineAnnealingLR(opt, T_max=27)], milestones=[3])
    check_trajectories(lambda lib, params: lib.Adam(params, lr=0.05), make_scheduler=warm_up_then_cosine)


def test_schedules_reject_what_torch_rejects():
    opt = nnp.SGD([nnp.Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        nnp.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor"):
        nnp.LinearLR(opt, end_factor=1.5)
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        nnp.SequentialLR(opt, [nnp.StepLR(opt, 2), nnp.StepLR(opt, 3)], milestones=[])
    other = nnp.SGD([nnp.Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="same optimizer"):
        nnp.SequentialLR(opt, [nnp.StepLR(opt, 2), nnp.StepLR(other, 3)], milestones=[4])
    with pytest.raises(TypeError, match="nnlib Optimizer"):
        nnp.StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)]), 2)


ONE_CYCLES = {
    "cos-sgd": (lambda lib, p: lib.SGD(p, lr=0.1, momentum=0.9), dict(max_lr=[0.5, 0.2], total_steps=45)),
    "linear-sgd-without-momentum": (lambda lib, p: lib.SGD(p, lr=0.1),
                                    dict(max_lr=0.3, total_steps=45, anneal_strategy="linear", pct_start=0.25)),
    "three-phase-adam": (lambda lib, p: lib.Adam(p, lr=0.01),
                         dict(max_lr=0.05, epochs=9, steps_per_epoch=5, three_phase=True, div_factor=10.0)),
    "rmsprop-momentum-lists": (lambda lib, p: lib.RMSprop(p, lr=0.01, momentum=0.5),
                               dict(max_lr=0.02, total_steps=50, base_momentum=[0.8, 0.7], max_momentum=(0.9, 0.95),
                                    final_div_factor=100.0)),
    "no-momentum-cycling": (lambda lib, p: lib.AdamW(p), dict(max_lr=0.01, total_steps=45, cycle_momentum=False)),
}


def one_cycle_sequence(lib, make_optimizer, options, params):
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.03}]
    opt = make_optimizer(lib.optim if lib is torch else lib, groups)
    sched = (torch.optim.lr_scheduler if lib is torch else lib).OneCycleLR(opt, **options)
    state = lambda: [(g["lr"], g.get("momentum"), g.get("betas")) for g in opt.param_groups]
    seen = [state()]
    for _ in range(EPOCHS):
        opt.step()
        sched.step()
        seen.append(state())
    return seen


@pytest.mark.parametrize("kind", list(ONE_CYCLES))
def test_one_cycle_gives_torch_s_learning_rates_and_momenta_at_every_step(kind):
    make_optimizer, options = ONE_CYCLES[kind]
    theirs = one_cycle_sequence(torch, make_optimizer, options,
                                [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)])
    ours = one_cycle_sequence(nnp, make_optimizer, options, [nnp.Parameter(np.zeros(1)), nnp.Parameter(np.zeros(1))])
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for (lr, momentum, betas), (lr_ref, momentum_ref, betas_ref) in zip(a, b):
            np.testing.assert_allclose(lr, lr_ref, rtol=1e-12, atol=1e-15, err_msg=f"lr at step {step}")
            if momentum_ref is not None:
                np.testing.assert_allclose(momentum, momentum_ref, rtol=1e-12, err_msg=f"momentum at step {step}")
            if betas_ref is not None:
                np.testing.assert_allclose(betas, betas_ref, rtol=1e-12, err_msg=f"betas at step {step}")


def test_one_cycle_rises_to_max_lr_then_falls_far_below_where_it_started():
    opt = nnp.SGD([nnp.Parameter(np.zeros(1))], lr=1.0, momentum=0.9)
    sched = nnp.OneCycleLR(opt, max_lr=0.4, total_steps=100)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(99):
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    peak = int(np.argmax(lrs))
    assert np.isclose(lrs[0], 0.4 / 25) and np.isclose(max(lrs), 0.4) and peak == 29  # pct_start 0.3 of 100 steps
    assert np.all(np.diff(lrs[: peak + 1]) > 0) and np.all(np.diff(lrs[peak:]) < 0)
    assert np.isclose(lrs[-1], 0.4 / 25 / 1e4)


@pytest.mark.parametrize("make_optimizer, options", [
    (lambda lib, p: lib.SGD(p, lr=0.05, momentum=0.9, nesterov=True), dict(max_lr=0.2, total_steps=STEPS)),
    (lambda lib, p: lib.Adam(p, lr=0.01), dict(max_lr=0.05, total_steps=STEPS, pct_start=0.2)),
], ids=["nesterov-sgd", "adam"])
def test_one_cycle_drives_optimizers_like_torch(make_optimizer, options):
    check_trajectories(make_optimizer, make_scheduler=lambda lib, opt: lib.OneCycleLR(opt, **options))


def test_one_cycle_rejects_what_torch_rejects():
    make = lambda **kw: nnp.OneCycleLR(nnp.SGD([nnp.Parameter(np.zeros(1))], lr=0.1), **kw)
    with pytest.raises(ValueError, match="either total_steps OR"):
        make(max_lr=0.1)
    with pytest.raises(ValueError, match="positive integer total_steps"):
        make(max_lr=0.1, total_steps=0)
    with pytest.raises(ValueError, match="positive integer steps_per_epoch"):
        make(max_lr=0.1, epochs=3, steps_per_epoch=2.5)
    with pytest.raises(ValueError, match="float between 0 and 1 pct_start"):
        make(max_lr=0.1, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy"):
        make(max_lr=0.1, total_steps=10, anneal_strategy="step")
    with pytest.raises(ValueError, match="expected 1 values for max_lr"):
        make(max_lr=[0.1, 0.2], total_steps=10)
    sched = make(max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()

    class NoMomentum(nnp.Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=0.1, weight_decay=0))

    with pytest.raises(ValueError, match="must support momentum or beta1"):
        nnp.OneCycleLR(NoMomentum([nnp.Parameter(np.zeros(1))]), max_lr=0.1, total_steps=10)


# --- gradient clipping ---------------------------------------------------------------------------
def grads_for_clipping(scale):
    rng = np.random.default_rng(3)
    return [scale * rng.standard_normal(s) for s in [(4, 3), (3,), (2, 2, 2)]]


@pytest.mark.parametrize("nn", BACKENDS)
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(nn, norm_type, max_norm):
    grads = grads_for_clipping(2.0)
    refs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for r, g in zip(refs, grads):
        r.grad = torch.from_numpy(g.copy())
    refs.append(torch.zeros(2, dtype=torch.float64, requires_grad=True))  # no gradient: skipped
    total_ref = torch.nn.utils.clip_grad_norm_(refs, max_norm, norm_type=norm_type)

    as_array = np.asarray if nn is nnp else tensor
    params = [nn.Parameter(as_array(np.zeros(g.shape))) for g in grads] + [nn.Parameter(as_array(np.zeros(2)))]
    originals = [as_array(g.copy()) for g in grads]
    for p, g in zip(params, originals):
        p.grad = g
    total = nn.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert_close(total, total_ref, f"{nn.BACKEND}: total norm", atol=1e-12, rtol=1e-12)
    for i, (p, r) in enumerate(zip(params, refs)):
        if r.grad is None:
            assert p.grad is None
            continue
        assert_close(p.grad, r.grad, f"{nn.BACKEND}: clipped gradient {i}", atol=1e-12, rtol=1e-12)
        assert_close(originals[i], grads[i], f"{nn.BACKEND}: gradient {i} was changed in place", atol=0, rtol=0)


@pytest.mark.parametrize("nn", BACKENDS)
def test_clip_grad_norm_with_a_nan_gradient_raises_or_propagates_like_torch(nn):
    ref = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    ref.grad = torch.tensor([1.0, float("nan"), 2.0], dtype=torch.float64)
    with pytest.raises(RuntimeError) as info:
        torch.nn.utils.clip_grad_norm_([ref], 1.0, error_if_nonfinite=True)
    as_array = np.asarray if nn is nnp else tensor
    for norm_type in [2.0, math.inf]:
        p = nn.Parameter(as_array(np.zeros(3)))
        p.grad = as_array(np.array([1.0, np.nan, 2.0]))
        with pytest.raises(RuntimeError, match=re.escape(str(info.value).split("for gradients")[1])):
            nn.clip_grad_norm_([p], 1.0, norm_type=norm_type, error_if_nonfinite=True)
        assert math.isnan(nn.clip_grad_norm_([p], 1.0, norm_type=norm_type))
        assert np.all(np.isnan(to_numpy(p.grad)))


def test_clip_grad_norm_of_nothing_is_zero_and_a_single_parameter_is_accepted():
    assert nnp.clip_grad_norm_([nnp.Parameter(np.zeros(2))], 1.0) == 0.0
    p = nnp.Parameter(np.zeros(2))
    p.grad = np.array([3.0, 4.0])
    assert nnp.clip_grad_norm_(p, 1.0) == 5.0
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-6)


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(1e-3, 1e3), max_norm=st.floats(0.01, 10.0), norm_type=st.sampled_from([1.0, 2.0, math.inf]))
def test_clipped_gradients_never_exceed_max_norm_and_keep_their_direction(scale, max_norm, norm_type):
    grads = grads_for_clipping(scale)
    params = [nnp.Parameter(np.zeros(g.shape)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g
    total = nnp.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    flat = np.concatenate([p.grad.ravel() for p in params])
    assert np.linalg.norm(flat, ord=norm_type) <= max_norm * (1 + 1e-12)
    ratio = flat / np.concatenate([g.ravel() for g in grads])
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
    assert ratio[0] <= 1.0
    if total + 1e-6 <= max_norm:
        assert ratio[0] == 1.0, "gradients already within max_norm must be left as they are"
