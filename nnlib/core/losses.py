"""Loss functions and weight penalties.

A loss is a module with ``loss = criterion(pred, target)`` (a scalar: a NumPy float or a 0-d tensor
built from differentiable ops, so ``torch.autograd`` can check ``backward``) and
``dpred = criterion.backward()`` (d loss / d pred, from what forward cached). ``reduction='mean'``
(default) averages over the elements (over the targets' weights for CrossEntropyLoss/NLLLoss with
``weight``), ``'sum'`` adds them up, as torch.nn. Notebook 03 derives each gradient.
"""
import math
import numbers

from nnlib._base import BaseModule as Module
from nnlib._base import Parameter
from nnlib._checks import check_same_shape, describe
from nnlib.core.activations import log_softmax
from nnlib.core.namespace import array_namespace

__all__ = [
    "MSELoss",
    "L1Loss",
    "HuberLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "MultiMarginLoss",
    "l1_penalty",
    "l2_penalty",
]


class _Loss(Module):
    """Shared by every loss: the reduction and the checks of the prediction."""

    def __init__(self, reduction="mean"):
        if reduction not in ("mean", "sum"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction

    def _check_input(self, pred):
        self.xp.check_array(self, pred, name="input (prediction)")
        if self.xp.isnan(pred).any():
            raise ValueError(
                f"{describe(self)} got NaN in its input (prediction); the model upstream already produced "
                f"NaN (a too large learning rate or an overflow is the usual cause)"
            )

    def _check_pair(self, pred, target):
        """Element-wise losses: a floating target of the prediction's shape, returned in the prediction's dtype
        (so that the gradient has the dtype of the model that made the prediction)."""
        self._check_input(pred)
        self.xp.check_array(self, target, device=pred.device, name="target")
        check_same_shape(self, pred, target, ("input (prediction)", "target"))
        return self.xp.astype(target, pred.dtype)

    def _reduce(self, losses):
        """Sum of the element losses, divided by their count for 'mean'; caches that divisor for backward."""
        self._scale = 1.0 if self.reduction == "sum" else 1.0 / math.prod(losses.shape)
        return losses.sum() * self._scale

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """MSELoss: mean((pred - target)^2).  pred, target: (*) -> scalar.

    >>> import numpy as np, nnlib.numpy as nn
    >>> loss_fn = nn.MSELoss()
    >>> float(loss_fn(np.array([1.0, 2.0]), np.array([0.0, 0.0])))     # (1 + 4) / 2
    2.5
    >>> loss_fn.backward()                                             # 2 (pred - target) / n
    array([1., 2.])
    """

    def forward(self, pred, target):
        target = self._check_pair(pred, target)
        self._diff = pred - target
        return self._reduce(self._diff**2)

    def backward(self, grad=1.0):
        """dpred = 2 (pred - target) / n (no / n for 'sum'), times ``grad``. Notebook 03, section 1."""
        return grad * 2 * self._diff * self._scale


class L1Loss(_Loss):
    """L1Loss (mean absolute error): mean(|pred - target|).  pred, target: (*) -> scalar."""

    def forward(self, pred, target):
        target = self._check_pair(pred, target)
        self._diff = pred - target
        return self._reduce(self.xp.abs(self._diff))

    def backward(self, grad=1.0):
        """dpred = sign(pred - target) / n (0 where they are equal, as torch). Notebook 03, section 1."""
        return grad * self.xp.sign(self._diff) * self._scale


class HuberLoss(_Loss):
    """HuberLoss (Huber 1964): squared error near 0, absolute error far out.  pred, target: (*) -> scalar.

    With d = pred - target and ``delta`` > 0: loss = d^2 / 2 where |d| < delta, else delta (|d| - delta / 2),
    averaged ('mean') or added ('sum'). The two pieces meet with the same value and slope at |d| = delta.

    >>> import numpy as np, nnlib.numpy as nn
    >>> loss_fn = nn.HuberLoss(delta=1.0)
    >>> float(loss_fn(np.array([0.5, 3.0]), np.array([0.0, 0.0])))     # (0.5^2 / 2 + (3 - 1/2)) / 2
    1.3125
    >>> loss_fn.backward()                                             # d / n near 0, delta sign(d) / n far out
    array([0.25, 0.5 ])
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be > 0, got {delta!r}")
        self.delta = delta

    def forward(self, pred, target):
        xp = self.xp
        target = self._check_pair(pred, target)
        self._diff = pred - target
        self._near = xp.abs(self._diff) < self.delta
        far = self.delta * (xp.abs(self._diff) - 0.5 * self.delta)
        return self._reduce(xp.where(self._near, 0.5 * self._diff**2, far))

    def backward(self, grad=1.0):
        """dpred = d / n where |d| < delta, else delta sign(d) / n (no / n for 'sum'). Notebook 03, section 1."""
        d = self._diff
        return grad * self.xp.where(self._near, d, self.delta * self.xp.sign(d)) * self._scale

    def extra_repr(self):
        return f"reduction={self.reduction!r}, delta={self.delta}"


class BCELoss(_Loss):
    """BCELoss: mean(-(t log p + (1 - t) log(1 - p))), p in [0, 1].  pred p, target t: (*) -> scalar.

    Each log is clamped at -100 as in torch, so p = 0 or 1 gives a large finite loss, not inf.
    """

    def forward(self, pred, target):
        xp = self.xp
        target = self._check_pair(pred, target)
        if math.prod(pred.shape) and (pred.min() < 0 or pred.max() > 1):
            raise ValueError(
                f"{describe(self)} expects probabilities in [0, 1] as input (apply Sigmoid first, or use "
                f"BCEWithLogitsLoss on the logits), got values in [{pred.min():.4g}, {pred.max():.4g}]"
            )
        self._p, self._t = pred, target
        with xp.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
            log_p = xp.log(pred).clip(min=-100)
            log_1mp = xp.log(1 - pred).clip(min=-100)
        return self._reduce(-(target * log_p + (1 - target) * log_1mp))

    def backward(self, grad=1.0):
        """dpred = (p - t) / (p (1 - p)) / n; torch bounds the denominator below by 1e-12, and so do we.
        Notebook 03, section 2."""
        p, t = self._p, self._t
        return grad * (p - t) / (p * (1 - p)).clip(min=1e-12) * self._scale


class BCEWithLogitsLoss(_Loss):
    """BCEWithLogitsLoss: BCELoss(sigmoid(x), t) computed stably from the logits x.  x, t: (*) -> scalar.

    loss = (1 - t) x + w (log(1 + exp(-|x|)) + max(-x, 0)), w = 1 + (pos_weight - 1) t; without
    ``pos_weight`` this is max(x, 0) - x t + log(1 + exp(-|x|)), which never overflows.
    ``pos_weight`` (broadcast against the last axis, as in torch) up-weights the positive class.
    """

    def __init__(self, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.pos_weight = None if pos_weight is None else self.xp.float_buffer(pos_weight)
        if self.pos_weight is not None:
            self._buffers = ("pos_weight",)  # torch keeps pos_weight in the state dict

    def forward(self, x, target):
        xp = self.xp
        target = self._check_pair(x, target)
        self._x, self._t = x, target
        if self.pos_weight is None:
            self._w = 1.0
        else:
            self._w = 1 + (xp.asarray(self.pos_weight, dtype=x.dtype, device=x.device) - 1) * target
        softplus_neg_x = xp.log1p(xp.exp(-xp.abs(x))) + (-x).clip(min=0)  # log(1 + exp(-x)), stably
        return self._reduce((1 - target) * x + self._w * softplus_neg_x)

    def backward(self, grad=1.0):
        """dx = (1 - t) - w (1 - sigmoid(x)), / n; without pos_weight: sigmoid(x) - t. Notebook 03, section 2."""
        return grad * ((1 - self._t) - self._w * self.xp.sigmoid(-self._x)) * self._scale


class _ClassLoss(_Loss):
    """Shared by the losses on (N, C) class scores and (N,) integer targets: the optional class weights
    (a buffer in the state dict, as torch's) and the checks of scores and targets."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = None if weight is None else self.xp.float_buffer(weight)
        if self.weight is not None:
            if self.weight.ndim != 1:
                raise ValueError(
                    f"{type(self).__name__}: weight must be 1-D (one per class), got shape {tuple(self.weight.shape)}"
                )
            self._buffers = ("weight",)  # torch keeps the class weights in the state dict

    def _check_classes(self, pred, target):
        xp = self.xp
        self._check_input(pred)
        if pred.ndim != 2:
            raise ValueError(
                f"{describe(self)} expects input of shape (N, C) (one row of class scores per example), "
                f"got shape {tuple(pred.shape)}"
            )
        n, c = pred.shape
        if not xp.is_array(target) or not xp.is_integer(target):
            got = target.dtype if xp.is_array(target) else type(target).__name__
            raise TypeError(f"{describe(self)} expects integer class indices as target, got {got}")
        if target.device != pred.device:
            raise ValueError(f"{describe(self)} got input on {pred.device} and target on {target.device}")
        if tuple(target.shape) != (n,):
            raise ValueError(
                f"{describe(self)} expects target of shape ({n},) (one class per row of the input of shape "
                f"{tuple(pred.shape)}), got target of shape {tuple(target.shape)}"
            )
        bad = target[(target < 0) | (target >= c)]
        if bad.shape[0]:
            raise ValueError(
                f"{describe(self)}: target {int(bad[0])} is out of bounds: classes must lie in [0, {c}) for C = {c}"
            )
        if self.weight is not None and tuple(self.weight.shape) != (c,):
            raise ValueError(f"{describe(self)} has {self.weight.shape[0]} class weights, got input with C = {c} classes")


class NLLLoss(_ClassLoss):
    """NLLLoss: -mean_i(logp[i, t_i]) (weighted: -sum_i w[t_i] logp[i, t_i] / sum_i w[t_i]).
    logp: (N, C) log-probabilities, target: (N,) integer classes in [0, C) -> scalar.
    """

    def _weighted_pick(self, logp, target):
        """-sum_i w_i logp[i, t_i] reduced; caches w_i * scale (w_i = weight[t_i], or 1), what backward needs."""
        xp = self.xp
        n, target = target.shape[0], xp.astype(target, xp.int64)  # indexing wants int64
        if self.weight is None:
            w = xp.ones(n, dtype=logp.dtype, device=logp.device)
        else:
            w = xp.asarray(self.weight, dtype=logp.dtype, device=logp.device)[target]
        # torch's weighted mean divides by the total weight of the targets, not by N
        scale = 1.0 if self.reduction == "sum" else 1.0 / w.sum()
        self._target, self._w_scaled = target, w * scale
        return -(w * logp[xp.arange(n, device=logp.device), target]).sum() * scale

    def _one_hot_weights(self, shape):
        """The (N, C) array with w_i * scale at [i, t_i] and zeros elsewhere."""
        xp, w = self.xp, self._w_scaled
        out = xp.zeros(shape, dtype=w.dtype, device=w.device)
        out[xp.arange(shape[0], device=w.device), self._target] = w
        return out

    def forward(self, logp, target):
        self._check_classes(logp, target)
        self._shape = logp.shape
        return self._weighted_pick(logp, target)

    def backward(self, grad=1.0):
        """dlogp[i, t_i] = -w[t_i] / sum_j w[t_j] (-1 / N unweighted), zero elsewhere. Notebook 03, section 3."""
        return -grad * self._one_hot_weights(self._shape)


class CrossEntropyLoss(NLLLoss):
    """CrossEntropyLoss: NLLLoss(log_softmax(z), t) from the logits z.  z: (N, C), target: (N,) integers -> scalar.

    The log-softmax subtracts each row's max first, so logits of +-1e4 give no NaN or inf.

    >>> import numpy as np, nnlib.numpy as nn
    >>> loss_fn = nn.CrossEntropyLoss()
    >>> z = np.array([[0.0, 0.0], [0.0, np.log(3.0)]])     # softmax rows: (1/2, 1/2) and (1/4, 3/4)
    >>> round(float(loss_fn(z, np.array([0, 1]))), 6)       # (-log(1/2) - log(3/4)) / 2
    0.490415
    >>> loss_fn.backward()                                   # (softmax - onehot) / N
    array([[-0.25 ,  0.25 ],
           [ 0.125, -0.125]])
    """

    def forward(self, z, target):
        self._check_classes(z, target)
        logp = log_softmax(z, dim=1)
        self._softmax = self.xp.exp(logp)
        return self._weighted_pick(logp, target)

    def backward(self, grad=1.0):
        """dz_i = w[t_i] / sum_j w[t_j] * (softmax(z_i) - onehot(t_i)): (softmax - onehot) / N unweighted.
        Notebook 03, section 3."""
        w = self._one_hot_weights(self._softmax.shape)
        return grad * (w.sum(axis=1, keepdims=True) * self._softmax - w)


class MultiMarginLoss(_ClassLoss):
    """MultiMarginLoss: the multiclass hinge loss (Weston & Watkins 1999; Crammer & Singer 2001), as torch.nn.
    x: (N, C) class scores, target: (N,) integer classes -> scalar.

    Each example pays for every wrong class i that scores within ``margin`` of the true class y:
    loss_n = sum_{i != y} w[y] max(0, margin - x[y] + x[i])^p / C  (p = 1 or 2; w = ``weight`` or 1),
    averaged over the N examples ('mean', torch's convention even with ``weight``) or added ('sum').
    Zero once the true class leads every other by the margin: unlike cross-entropy, it stops pushing.

    >>> import numpy as np, nnlib.numpy as nn
    >>> loss_fn = nn.MultiMarginLoss()
    >>> x = np.array([[3.0, 0.0, 2.5]])                    # true class 0 leads class 2 by only 0.5
    >>> float(loss_fn(x, np.array([0])))                   # max(0, 1 - 3 + 2.5) / 3 classes
    0.16666666666666666
    >>> loss_fn.backward()
    array([[-0.33333333,  0.        ,  0.33333333]])
    """

    def __init__(self, p=1, margin=1.0, weight=None, reduction="mean"):
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p = 1 and p = 2 are supported (as in torch), got p={p!r}")
        super().__init__(weight=weight, reduction=reduction)
        self.p, self.margin = p, margin

    def forward(self, x, target):
        xp = self.xp
        self._check_classes(x, target)
        n, c = x.shape
        target = xp.astype(target, xp.int64)
        rows = xp.arange(n, device=x.device)
        true_score = x[rows, target][:, None]                            # (N, 1)
        hinge = (self.margin - true_score + x).clip(min=0)               # (N, C): max(0, margin - x_y + x_i)
        not_true = xp.ones(x.shape, dtype=x.dtype, device=x.device)
        not_true[rows, target] = 0                                       # the sum skips i = y
        w = 1.0 if self.weight is None else xp.asarray(self.weight, dtype=x.dtype, device=x.device)[target][:, None]
        self._scale = (1.0 if self.reduction == "sum" else 1.0 / n) / c
        self._active = (hinge > 0) * not_true * w                        # (N, C): where the hinge pushes
        self._hinge, self._rows, self._target = hinge, rows, target
        return (w * hinge**self.p * not_true).sum() * self._scale

    def backward(self, grad=1.0):
        """dx_i = w[y] p h_i^(p-1) / C for each wrong class i with h_i = margin - x_y + x_i > 0, and
        dx_y = minus their sum; divided by N for 'mean'. Notebook 03, section 3."""
        slope = self._active * (1.0 if self.p == 1 else 2 * self._hinge)    # (N, C), zero at i = y
        dx = slope * 1.0
        dx[self._rows, self._target] = -slope.sum(axis=1)
        return grad * dx * self._scale

    def extra_repr(self):
        return f"p={self.p}, margin={self.margin}, reduction={self.reduction!r}"


def _check_penalty(name, parameters, strength):
    parameters = list(parameters)
    for p in parameters:
        if not isinstance(p, Parameter):
            raise TypeError(f"{name} expects Parameters (e.g. model.parameters()), got {type(p).__name__}")
    if not isinstance(strength, numbers.Real) or strength < 0:
        raise ValueError(f"{name} expects a strength >= 0, got {strength!r}")
    return parameters


def l1_penalty(parameters, strength):
    """L1 penalty: strength * sum |w| over ``parameters``; ADDS its gradient strength * sign(w) to each .grad.

    Call it after ``loss.backward``/``model.backward`` and before ``optimizer.step()``; add the returned
    value to the loss you report. Usually applied to weights only, e.g.
    ``[m.weight for m in model.modules() if isinstance(m, nn.Linear)]``, not to biases.
    Returns the penalty: a float (NumPy) or a 0-d tensor (torch). Notebook 10, section 3.
    """
    parameters = _check_penalty("l1_penalty", parameters, strength)
    total = 0.0
    for p in parameters:
        xp = array_namespace(p.data)
        total = total + strength * xp.abs(p.data).sum()
        p.accumulate(strength * xp.sign(p.data))
    return total


def l2_penalty(parameters, strength):
    """L2 penalty: strength * sum w^2 over ``parameters``; ADDS its gradient 2 * strength * w to each .grad.

    Call it after ``loss.backward``/``model.backward`` and before ``optimizer.step()``; add the returned
    value to the loss you report. Usually applied to weights only (not biases). Note the factor: SGD's
    ``weight_decay=wd`` adds wd * w to the gradient, the same as ``l2_penalty`` with strength wd / 2.
    Returns the penalty: a float (NumPy) or a 0-d tensor (torch). Notebook 10, section 3.
    """
    parameters = _check_penalty("l2_penalty", parameters, strength)
    total = 0.0
    for p in parameters:
        total = total + strength * (p.data**2).sum()
        p.accumulate(2 * strength * p.data)
    return total
