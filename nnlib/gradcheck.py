"""Finite-difference gradient checks for modules and losses of either backend.

The central difference (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) has error O(eps^2), so in
float64 with eps = 1e-6 a correct backward agrees to about 1e-8 relative error, and a wrong
one is off by orders of magnitude more. A module is checked through the scalar
L = sum(module(x) * dy): its gradient w.r.t. the output is exactly dy, which is what the
module's manual ``backward(dy)`` receives.

Put modules with randomness (dropout) in eval mode first: every evaluation must compute the
same function.
"""
import contextlib
from collections import OrderedDict

import numpy as np

from nnlib._checks import is_tensor, to_numpy

__all__ = ["numerical_gradient", "relative_error", "gradcheck", "gradcheck_loss", "GradcheckResult"]


def _is_floating(a):
    return a.dtype.is_floating_point if is_tensor(a) else np.issubdtype(a.dtype, np.floating)


def _require_float64(who, name, a):
    if is_tensor(a):
        import torch

        if a.dtype != torch.float64:
            raise TypeError(
                f"{who}: finite differences need float64, got {name} of dtype {a.dtype}; "
                f"call module.to(dtype=torch.float64) and pass x.double()"
            )
    elif a.dtype != np.float64:
        raise TypeError(f"{who}: finite differences need float64, got {name} of dtype {a.dtype}; use .astype(np.float64)")


def _scalar(value):
    return float(value.item()) if hasattr(value, "item") else float(value)


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of a scalar function: g_i = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).

    f: maps an array/tensor shaped like ``x`` to a scalar. x: NumPy array or torch tensor
    (float64 for accurate results); it is perturbed in place one element at a time and restored.
    Returns g shaped like x, of x's type (and device).
    """
    tensor = is_tensor(x)
    flat = x.view(-1) if tensor and x.is_contiguous() else x.reshape(-1)
    if (tensor and not x.is_contiguous()) or (not tensor and not np.shares_memory(flat, x)):
        raise ValueError("numerical_gradient perturbs x in place, so x must be contiguous: pass a contiguous copy")
    grad = np.zeros(flat.shape[0], dtype=np.float64)
    with _no_grad_if(tensor):
        for i in range(flat.shape[0]):
            old = float(flat[i])
            flat[i] = old + eps
            up = _scalar(f(x))
            flat[i] = old - eps
            down = _scalar(f(x))
            flat[i] = old
            grad[i] = (up - down) / (2 * eps)
    grad = grad.reshape(tuple(x.shape))
    if tensor:
        import torch

        return torch.as_tensor(grad, dtype=x.dtype, device=x.device)
    return grad


def _no_grad_if(tensor):
    """torch.no_grad() for tensors (the perturbed forward passes build no graph), a no-op otherwise."""
    if tensor:
        import torch

        return torch.no_grad()
    return contextlib.nullcontext()


def relative_error(a, b) -> float:
    """max |a - b| / max(max |a|, max |b|): the largest difference relative to the gradient's scale.

    Scaling by the whole array (not element by element) keeps entries whose true gradient is
    exactly 0 (dead ReLUs) from turning rounding noise into a relative error of 1.
    Accepts NumPy arrays or tensors; two all-zero arrays have error 0.
    """
    a, b = to_numpy(a).astype(np.float64), to_numpy(b).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error expects arrays of the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)))
    if scale == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / scale)


class GradcheckResult:
    """Relative errors of analytic vs numerical gradients: ``errors`` maps 'input' (or 'pred')
    and each parameter name to a float. ``passed(tol)`` is True when all are at most ``tol``."""

    def __init__(self, errors, eps, who=""):
        self.errors = OrderedDict(errors)
        self.eps = eps
        self.who = who

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    @property
    def input_error(self):
        return self.errors.get("input", self.errors.get("pred"))

    @property
    def param_errors(self) -> dict:
        return {k: v for k, v in self.errors.items() if k not in ("input", "pred")}

    def passed(self, tol=1e-6) -> bool:
        return self.max_error <= tol

    def __repr__(self):
        width = max((len(k) for k in self.errors), default=5)
        lines = [f"gradcheck of {self.who} (central differences, eps={self.eps:g})"]
        lines += [f"  {name:<{width}}  relative error {err:.2e}" for name, err in self.errors.items()]
        lines.append(f"  max relative error {self.max_error:.2e}")
        return "\n".join(lines)


def _random_like(y, seed):
    dy = np.random.default_rng(seed).standard_normal(tuple(y.shape))
    if is_tensor(y):
        import torch

        return torch.as_tensor(dy, dtype=y.dtype, device=y.device)
    return dy.astype(y.dtype)


def _first(y):
    # recurrent layers return (out, h_n): check the gradient that flows in through ``out``
    return y[0] if isinstance(y, (tuple, list)) else y


def _copy(a):
    return a.detach().clone() if is_tensor(a) else np.array(a, copy=True)


def gradcheck(module, x, dy=None, eps=1e-6, seed=0) -> GradcheckResult:
    """Compare ``module.backward(dy)`` with central differences of L = sum(module(x) * dy).

    module: a module of either backend with float64 parameters; x: its input (NumPy array or
    a float64 tensor on the module's device; integer inputs such as token ids are not
    differentiated). dy: upstream gradient shaped like the output (random N(0, 1) if None).
    Returns a :class:`GradcheckResult` with the error of the input gradient and of each parameter.
    """
    who = repr(module).splitlines()[0]
    params = list(module.named_parameters())
    differentiate_x = _is_floating(x)
    if differentiate_x:
        _require_float64(f"gradcheck of {who}", "input x", x)
    for name, p in params:
        _require_float64(f"gradcheck of {who}", f"parameter {name!r}", p.data)
    x = _copy(x)

    module.zero_grad()
    y = _first(module(x))
    dy = _random_like(y, seed) if dy is None else dy
    dx = module.backward(dy)
    analytic = OrderedDict()
    if differentiate_x:
        analytic["input"] = dx
    for name, p in params:
        # a parameter the output does not depend on gets no gradient: that is a zero gradient
        analytic[name] = p.grad if p.grad is not None else p.data * 0

    def objective(_):
        return (_first(module(x)) * dy).sum()

    numeric = OrderedDict()
    if differentiate_x:
        numeric["input"] = numerical_gradient(objective, x, eps)
    for name, p in params:
        numeric[name] = numerical_gradient(objective, p.data, eps)
    module(x)  # leave the caches as they were after the analytic pass
    errors = [(name, relative_error(analytic[name], numeric[name])) for name in analytic]
    return GradcheckResult(errors, eps, who)


def gradcheck_loss(loss, pred, target, eps=1e-6) -> GradcheckResult:
    """Compare ``loss.backward()`` (dL/dpred) with central differences of ``loss(pred, target)``.

    pred: float64 predictions (NumPy array or tensor); target as the loss expects it.
    """
    who = repr(loss).splitlines()[0]
    _require_float64(f"gradcheck of {who}", "pred", pred)
    pred = _copy(pred)
    loss(pred, target)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda p: loss(p, target), pred, eps)
    return GradcheckResult([("pred", relative_error(analytic, numeric))], eps, who)
