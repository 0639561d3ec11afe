"""Optimizers, learning-rate schedules and gradient clipping, written once for both backends.

An update rule is plain arithmetic on arrays: ``+ - * /``, ``** 0.5``, ``.sum()``, ``.max()``,
``.clip()``, which NumPy arrays and torch tensors spell the same way. So this one file serves
``nnlib.numpy`` (arrays) and ``nnlib.torch`` (tensors, on any device); each backend's
``optim.py`` re-exports it. Each ``_update`` follows, line for line, the algorithm printed in
the ``torch.optim`` documentation (quoted in the docstrings), with the same defaults, so
trajectories match ``torch.optim`` step for step.

Conventions, as in ``torch.optim``: a parameter whose ``grad`` is ``None`` is skipped;
``p.grad`` is only read (it may be shared), ``p.data`` is updated in place (so it keeps its
dtype and device); per-parameter state (``exp_avg``, ``momentum_buffer``, ...) is created at
the parameter's first step and starts from zero, as the documented algorithms initialise it.
"""
import math
from bisect import bisect_right
from collections import defaultdict
from functools import reduce

from nnlib._base import BaseModule, Parameter

__all__ = [
    "Optimizer",
    "SGD",
    "RMSprop",
    "Adam",
    "AdamW",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "SequentialLR",
    "OneCycleLR",
    "clip_grad_norm_",
]


def _maximum(a, b):
    """Elementwise max(a, b); ``a.clip(min=b)`` is spelled alike for arrays and tensors and keeps NaN."""
    return a.clip(min=b)


# --- optimizers ----------------------------------------------------------------------------
class Optimizer:
    """Base class: parameter groups (``param_groups``), per-parameter ``state``, ``step``, ``zero_grad``.

    ``params`` is an iterable of ``Parameter``s, or of dicts (parameter groups) such as
    ``[{"params": m1.parameters()}, {"params": m2.parameters(), "lr": 1e-2}]``: a group's own
    options override the optimizer's defaults, as in ``torch.optim``.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._check_options(defaults)
        self.param_groups = []
        self.state = defaultdict(dict)  # Parameter -> its state dict, filled at its first step
        if isinstance(params, (Parameter, BaseModule, dict)):
            raise TypeError(
                f"{type(self).__name__} expects an iterable of Parameters or of dicts (parameter groups), "
                f"got a {type(params).__name__}; pass model.parameters()"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (missing options take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"{type(self).__name__}: a parameter group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Parameter) else list(params)
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"{type(self).__name__} can only optimize nnlib Parameters, got {type(p).__name__}; "
                    f"pass model.parameters()"
                )
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one parameter group")
        group = {"params": params, **{k: v for k, v in param_group.items() if k != "params"}}
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_options(group)
        self.param_groups.append(group)

    def zero_grad(self) -> None:
        """Forget every gradient (``grad = None``, torch's default ``set_to_none=True``)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` (optional) re-computes and returns the loss."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:  # a parameter that took no part in the loss is left alone, as in torch
                    self._update(p, p.grad, group, self.state[p])
        return loss

    def _update(self, p, g, group, state) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define _update")

    def _check_options(self, options) -> None:
        """Raise ValueError, with torch's wording, for a hyper-parameter outside its range."""
        name = type(self).__name__
        if not options["lr"] >= 0.0:
            raise ValueError(f"Invalid learning rate: {options['lr']} ({name} expects lr >= 0)")
        if not options["weight_decay"] >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {options['weight_decay']} ({name} expects weight_decay >= 0)")

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in group.items() if k != "params"]
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    """SGD with optional momentum, dampening, Nesterov momentum and L2 weight decay (``torch.optim.SGD``).

    Each step, for each parameter θ with gradient g (γ = lr, λ = weight_decay, μ = momentum,
    τ = dampening)::

        g <- g + λ θ                                   if λ != 0
        b_t <- g  (t = 1),   b_t <- μ b_{t-1} + (1 - τ) g  (t > 1)     if μ != 0
        g <- g + μ b_t  (nesterov)   or   g <- b_t                      if μ != 0
        θ <- θ - γ g
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def _check_options(self, options):
        super()._check_options(options)
        if not options["momentum"] >= 0.0:
            raise ValueError(f"Invalid momentum value: {options['momentum']} (SGD expects momentum >= 0)")
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening "
                f"(SGD got momentum={options['momentum']}, dampening={options['dampening']})"
            )

    def _update(self, p, g, group, state):
        lr, mu, tau, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
        if wd != 0:
            g = g + wd * p.data
        if mu != 0:
            if "momentum_buffer" not in state:
                b = 1.0 * g  # a copy, as torch clones: the buffer must not share memory with p.grad
            else:
                b = mu * state["momentum_buffer"] + (1 - tau) * g
            state["momentum_buffer"] = b
            g = g + mu * b if group["nesterov"] else b
        p.data -= lr * g


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients (``torch.optim.RMSprop``).

    Each step (γ = lr, α = alpha, λ = weight_decay, μ = momentum, ε = eps; v, g_ave, b start at 0)::

        g <- g + λ θ                                  if λ != 0
        v_t <- α v_{t-1} + (1 - α) g^2
        ṽ_t <- v_t,   or, if centered:  g_ave <- α g_ave + (1 - α) g;  ṽ_t <- v_t - g_ave^2
        b_t <- μ b_{t-1} + g / (sqrt(ṽ_t) + ε);   θ <- θ - γ b_t       if μ > 0
        θ <- θ - γ g / (sqrt(ṽ_t) + ε)                                  otherwise
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def _check_options(self, options):
        super()._check_options(options)
        if not options["eps"] >= 0.0:
            raise ValueError(f"Invalid epsilon value: {options['eps']} (RMSprop expects eps >= 0)")
        if not options["momentum"] >= 0.0:
            raise ValueError(f"Invalid momentum value: {options['momentum']} (RMSprop expects momentum >= 0)")
        if not options["alpha"] >= 0.0:
            raise ValueError(f"Invalid alpha value: {options['alpha']} (RMSprop expects alpha >= 0)")

    def _update(self, p, g, group, state):
        lr, alpha, eps, wd, mu = group["lr"], group["alpha"], group["eps"], group["weight_decay"], group["momentum"]
        state["step"] = state.get("step", 0) + 1
        if wd != 0:
            g = g + wd * p.data
        v = state["square_avg"] = alpha * state.get("square_avg", 0.0) + (1 - alpha) * g**2
        if group["centered"]:
            g_ave = state["grad_avg"] = alpha * state.get("grad_avg", 0.0) + (1 - alpha) * g
            v = v - g_ave**2
        if mu > 0:
            b = state["momentum_buffer"] = mu * state.get("momentum_buffer", 0.0) + g / (v**0.5 + eps)
            p.data -= lr * b
        else:
            p.data -= lr * g / (v**0.5 + eps)


class Adam(Optimizer):
    """Adam: steps along bias-corrected running averages of the gradient and its square (``torch.optim.Adam``).

    Each step t (γ = lr, (β1, β2) = betas, λ = weight_decay, ε = eps; m, v, v_max start at 0)::

        g <- g + λ θ                  if λ != 0   (decoupled_weight_decay: θ <- θ - γ λ θ instead, as AdamW)
        m_t <- β1 m_{t-1} + (1 - β1) g
        v_t <- β2 v_{t-1} + (1 - β2) g^2
        m̂_t <- m_t / (1 - β1^t)
        v̂_t <- v_t / (1 - β2^t),   or, with amsgrad:  v_max <- max(v_max, v_t);  v̂_t <- v_max / (1 - β2^t)
        θ <- θ - γ m̂_t / (sqrt(v̂_t) + ε)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_options(self, options):
        super()._check_options(options)
        name = type(self).__name__
        if not options["eps"] >= 0.0:
            raise ValueError(f"Invalid epsilon value: {options['eps']} ({name} expects eps >= 0)")
        for i, beta in enumerate(options["betas"]):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta} ({name} expects 0 <= beta < 1)")

    def _update(self, p, g, group, state):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        t = state["step"] = state.get("step", 0) + 1
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.data *= 1 - lr * wd
            else:
                g = g + wd * p.data
        m = state["exp_avg"] = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * g
        v = state["exp_avg_sq"] = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = _maximum(v, state.get("max_exp_avg_sq", 0.0))
        v_hat = v / (1 - beta2**t)
        p.data -= lr * m_hat / (v_hat**0.5 + eps)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (``torch.optim.AdamW``; Loshchilov & Hutter, 2019).

    Each step t: θ <- θ - γ λ θ first (the decay does not pass through the averages), then Adam's
    update with the plain gradient::

        m_t <- β1 m_{t-1} + (1 - β1) g;   v_t <- β2 v_{t-1} + (1 - β2) g^2
        m̂_t = m_t / (1 - β1^t);   v̂_t = v_t / (1 - β2^t)   (amsgrad: v_max <- max(v_max, v_t) in place of v_t)
        θ <- θ - γ m̂_t / (sqrt(v̂_t) + ε)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)


# --- learning-rate schedules -----------------------------------------------------------------
class LRScheduler:
    """Sets each group's ``lr`` from its initial lr and the epoch; call ``step()`` once per epoch,
    after ``optimizer.step()``, as with ``torch.optim.lr_scheduler``.

    Subclasses give the closed form ``_lr_at(base_lr, epoch)``; torch computes the same numbers
    by multiplying the previous lr (a "chainable" form), which agrees to rounding.
    """

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} expects an nnlib Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])  # the first scheduler on an optimizer fixes the base lrs
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()

    def _lr_at(self, base_lr, epoch):
        raise NotImplementedError(f"{type(self).__name__} must define _lr_at")

    def get_lr(self) -> list:
        """The learning rates for epoch ``last_epoch``, one per parameter group."""
        return [self._lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]

    def step(self) -> None:
        """Move on one epoch and set the optimizer's learning rates."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list:
        """The learning rates set by the last ``step()``, one per parameter group."""
        return list(self._last_lr)


class StepLR(LRScheduler):
    """StepLR: lr = base_lr * gamma^floor(epoch / step_size) (decay by gamma every step_size epochs)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def _lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """ExponentialLR: lr = base_lr * gamma^epoch."""

    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def _lr_at(self, base_lr, epoch):
        return base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """CosineAnnealingLR: lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.

    From base_lr at epoch 0 down to eta_min at epoch T_max (and, like torch's, back up after it).
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def _lr_at(self, base_lr, epoch):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class LinearLR(LRScheduler):
    """LinearLR (linear warm-up): lr = base_lr * (start + (end - start) * min(epoch, total_iters) / total_iters).

    start = start_factor, end = end_factor: from start_factor * base_lr up to end_factor * base_lr.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or equal to 1. "
                f"(LinearLR got start_factor={start_factor})"
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(
                f"Ending multiplicative factor expected to be between 0 and 1. (LinearLR got end_factor={end_factor})"
            )
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer)

    def _lr_at(self, base_lr, epoch):
        progress = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class SequentialLR(LRScheduler):
    """SequentialLR: run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` from its epoch 0, ...

    Warm-up then cosine: ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 45)], [5])``.
    """

    def __init__(self, optimizer, schedulers, milestones):
        schedulers, milestones = list(schedulers), list(milestones)
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler, but got no scheduler.")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler) or isinstance(scheduler, SequentialLR):
                raise TypeError(
                    f"SequentialLR expects schedulers such as StepLR, got {type(scheduler).__name__} at index {i}"
                )
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    "SequentialLR expects all schedulers to belong to the same optimizer, but "
                    f"got scheduler {type(scheduler).__name__} at index {i} with a different one"
                )
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more than the number of "
                f"milestone points, but got number of schedulers {len(schedulers)} and the number of milestones "
                f"to be equal to {len(milestones)}"
            )
        self.optimizer = optimizer
        self._schedulers, self._milestones = schedulers, milestones
        self.last_epoch = 0
        # building the schedulers moved the lrs and their epochs: start again from epoch 0 of the first
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in schedulers:
            scheduler.last_epoch = -1
        first = schedulers[bisect_right(milestones, 0)]
        first.step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        """Move on one epoch; at a milestone the next scheduler starts from its own epoch 0."""
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler.last_epoch = -1
        scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class OneCycleLR(LRScheduler):
    """OneCycleLR: one cycle up to ``max_lr`` and far down again (Smith & Topin, 2019; ``torch.optim.lr_scheduler.OneCycleLR``).

    Stepped once per *batch* (not per epoch), for ``total_steps`` (or ``epochs * steps_per_epoch``)
    steps. With n = total_steps, s = pct_start * n::

        initial_lr = max_lr / div_factor,   min_lr = initial_lr / final_div_factor
        step 0 .. s - 1:      lr anneals from initial_lr up to max_lr      (momentum: max -> base)
        step s - 1 .. n - 1:  lr anneals from max_lr down to min_lr        (momentum: base -> max)

    "anneal" is the half cosine ``end + (start - end) (1 + cos(pi p)) / 2`` (``anneal_strategy="cos"``)
    or the straight line (``"linear"``), p the fraction of the phase done. ``three_phase=True`` goes
    back down to initial_lr by step 2s - 2, then on to min_lr. With ``cycle_momentum`` (the default)
    the momentum moves against the lr: SGD's and RMSprop's ``momentum``, Adam's ``beta1``; as in
    torch, this turns momentum on (max_momentum) for an SGD created without it.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"OneCycleLR expects an nnlib Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps} (OneCycleLR)")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs} (OneCycleLR)")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch} (OneCycleLR)")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch) (OneCycleLR)")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start} (OneCycleLR)")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy} (OneCycleLR)")
        self.anneal_strategy = anneal_strategy
        # each phase: (last step of the phase, lr from, lr to, momentum from, momentum to), as torch's table
        up = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr",
                             "base_momentum", "max_momentum"),
                            (self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        for group, top in zip(optimizer.param_groups, self._per_group("max_lr", max_lr)):
            group["initial_lr"] = top / div_factor
            group["max_lr"] = top
            group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled "
                                 f"(OneCycleLR got {type(optimizer).__name__})")
            self.use_beta1 = "betas" in optimizer.defaults
            for group, high, low in zip(optimizer.param_groups, self._per_group("max_momentum", max_momentum),
                                        self._per_group("base_momentum", base_momentum)):
                self._set_momentum(group, high)
                group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer)

    def _per_group(self, name, value):
        """One value per parameter group: a list/tuple of that length, or one number for all."""
        n = len(self.optimizer.param_groups)
        if isinstance(value, (list, tuple)):
            if len(value) != n:
                raise ValueError(f"expected {n} values for {name}, got {len(value)} (OneCycleLR)")
            return list(value)
        return [value] * n

    def _set_momentum(self, group, momentum):
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list:
        """The learning rates for step ``last_epoch`` (and, with cycle_momentum, set the momentum)."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total steps is {self.total_steps} "
                             "(OneCycleLR)")
        lrs = []
        for group in self.optimizer.param_groups:
            begin = 0.0
            for i, (end, lr_from, lr_to, m_from, m_to) in enumerate(self._phases):
                if step <= end or i == len(self._phases) - 1:
                    pct = (step - begin) / (end - begin)
                    lrs.append(self._anneal(group[lr_from], group[lr_to], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m_from], group[m_to], pct))
                    break
                begin = end
        return lrs


# --- gradient clipping -------------------------------------------------------------------------
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their joint norm is at most ``max_norm``; return the norm before.

    total = (sum over parameters of sum |g|^q)^(1/q)   (q = norm_type; q = inf: max |g|),
    g <- g * min(1, max_norm / (total + 1e-6)), as ``torch.nn.utils.clip_grad_norm_``.
    ``parameters``: Parameters (those with ``grad=None`` are skipped). Each ``p.grad`` is
    replaced by a new, scaled array (never changed in place: it may be shared).
    """
    if isinstance(parameters, Parameter):
        parameters = [parameters]
    params = [p for p in parameters if p.grad is not None]
    if not params:
        return 0.0
    norm_type = float(norm_type)
    if norm_type == math.inf:
        total = reduce(_maximum, [abs(p.grad).max() for p in params])
    else:
        total = sum((abs(p.grad) ** norm_type).sum() for p in params) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    clip_coef = (max_norm / (total + 1e-6)).clip(max=1.0)  # only ever scale down
    for p in params:
        p.grad = p.grad * clip_coef
    return total
