"""Dense layers, torch twin: the same equations as nnlib.numpy.layers, with torch ops."""
import math
import numbers

import torch

from nnlib._checks import check_ndim, check_size, describe
from nnlib.torch.module import Module, Parameter, check_array, resolve_dtype
from nnlib.random import uniform

__all__ = ["Linear", "Flatten", "Dropout", "BatchNorm1d", "BatchNorm2d"]


class Linear(Module):
    """Linear: y = x W^T + b.  x: (*, in_features) -> y: (*, out_features).

    ``weight``: (out_features, in_features), ``bias``: (out_features,), both drawn from
    U(-1/sqrt(in_features), 1/sqrt(in_features)) as ``torch.nn.Linear`` does.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        dtype, device = resolve_dtype(dtype, device)
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = Parameter(torch.as_tensor(uniform(-bound, bound, (out_features, in_features)), dtype=dtype, device=device))
        self.bias = Parameter(torch.as_tensor(uniform(-bound, bound, (out_features,)), dtype=dtype, device=device)) if bias else None

    def forward(self, x):
        check_array(self, x, self.weight.data.dtype, self.weight.data.device)
        check_ndim(self, x, range(1, 33), "(*, in_features)")
        check_size(self, x, -1, self.in_features, "features")
        self._x = x
        y = x @ self.weight.data.T
        return y + self.bias.data if self.bias is not None else y

    @torch.no_grad()
    def backward(self, dy):
        """dy: (*, out_features) -> dx: (*, in_features); dW = dy^T x, db = sum of dy over rows."""
        x2 = self._x.reshape(-1, self.in_features)
        dy2 = dy.reshape(-1, self.out_features)
        self.weight.accumulate(dy2.T @ x2)
        if self.bias is not None:
            self.bias.accumulate(dy2.sum(dim=0))
        return dy @ self.weight.data

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Flatten: merge dimensions start_dim..end_dim into one.  x: (N, C, H, W) -> y: (N, C*H*W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        check_array(self, x)
        start, end = _flatten_range(self, x.ndim)
        self._shape = x.shape
        return x.reshape(x.shape[:start] + (math.prod(x.shape[start : end + 1]),) + x.shape[end + 1 :])

    @torch.no_grad()
    def backward(self, dy):
        """dx = dy reshaped back to the input's shape."""
        return dy.reshape(self._shape)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def _flatten_range(flatten, ndim):
    """``(start, end)`` as non-negative axes of an ``ndim``-D input (a 0-D input counts as 1-D, as in torch)."""
    n = max(ndim, 1)
    start = flatten.start_dim + n if flatten.start_dim < 0 else flatten.start_dim
    end = flatten.end_dim + n if flatten.end_dim < 0 else flatten.end_dim
    if not (0 <= start < n and 0 <= end < n):
        raise ValueError(
            f"{describe(flatten)} needs an input with at least {max(flatten.start_dim, flatten.end_dim) + 1} "
            f"dimensions, got a {ndim}-D input"
        )
    if start > end:
        raise ValueError(f"{describe(flatten)}: start_dim comes after end_dim for a {ndim}-D input")
    return start, end


class Dropout(Module):
    """Dropout: y = x * mask / (1 - p), mask ~ Bernoulli(1 - p) in training; y = x in eval.  x: (*) -> y: (*).

    "Inverted" dropout: scaling the kept units by 1 / (1 - p) keeps E[y] = x, so eval needs no rescaling.
    The mask is drawn with torch's generator on the input's device (``nnlib.manual_seed`` seeds it).
    """

    def __init__(self, p=0.5):
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: dropout probability has to be between 0 and 1, but got {p!r}")
        self.p = p

    def forward(self, x):
        check_array(self, x)
        if not self.training or self.p == 0:
            self._mask = None
            return x
        keep = torch.rand(x.shape, device=x.device) >= self.p
        # p = 1 drops everything; torch then returns zeros rather than 0 * inf
        scale = 0.0 if self.p == 1 else 1 / (1 - self.p)
        self._mask = keep.to(x.dtype) * scale
        return x * self._mask

    @torch.no_grad()
    def backward(self, dy):
        """dx = dy * mask / (1 - p): the same units the forward pass kept (dy itself in eval)."""
        return dy if self._mask is None else dy * self._mask

    def extra_repr(self):
        return f"p={self.p}"


class _BatchNorm(Module):
    """Batch normalization over every axis except the channel axis 1 (shared by BatchNorm1d/2d).

    y = (x - mean) / sqrt(var + eps) * weight + bias, with the batch's mean and (biased) variance in
    training and the running ones in eval. Running statistics follow torch:
    running = (1 - momentum) * running + momentum * batch, using the UNBIASED batch variance;
    ``momentum=None`` gives the cumulative average (momentum = 1 / num_batches_tracked).
    """

    _ndims: tuple = ()
    _layout = ""
    _buffers = ("running_mean", "running_var", "num_batches_tracked")

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None):
        dtype, device = resolve_dtype(dtype, device)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(torch.ones(num_features, dtype=dtype, device=device)) if affine else None
        self.bias = Parameter(torch.zeros(num_features, dtype=dtype, device=device)) if affine else None
        if track_running_stats:
            self.running_mean = torch.zeros(num_features, dtype=dtype, device=device)
            self.running_var = torch.ones(num_features, dtype=dtype, device=device)
            self.num_batches_tracked = torch.tensor(0, dtype=torch.int64, device=device)
        else:
            self._buffers = ()  # torch keeps no running statistics (and no state-dict keys) then

    def _reference(self):
        """A tensor whose dtype and device inputs must share (None when there are no parameters or buffers)."""
        if self.affine:
            return self.weight.data
        return self.running_mean if self.track_running_stats else None

    def forward(self, x):
        ref = self._reference()
        check_array(self, x, None if ref is None else ref.dtype, None if ref is None else ref.device)
        check_ndim(self, x, self._ndims, self._layout)
        check_size(self, x, 1, self.num_features, "channels")
        axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channels
        shape = (1, -1) + (1,) * (x.ndim - 2)  # a per-channel vector, broadcastable against x
        n = x.numel() // self.num_features  # values per channel
        self._use_batch_stats = self.training or not self.track_running_stats
        if self._use_batch_stats:
            if n == 1:
                raise ValueError(
                    f"{describe(self)}: Expected more than 1 value per channel when training, "
                    f"got input of shape {tuple(x.shape)}"
                )
            mean = x.mean(dim=axes, keepdim=True)
            var = x.var(dim=axes, keepdim=True, correction=0)  # biased (divide by n): what normalizes the batch
            if self.training and self.track_running_stats:
                self.num_batches_tracked += 1
                m = 1 / self.num_batches_tracked.item() if self.momentum is None else self.momentum
                self.running_mean = (1 - m) * self.running_mean + m * mean.detach().reshape(-1)
                self.running_var = (1 - m) * self.running_var + m * var.detach().reshape(-1) * n / (n - 1)
        else:
            mean, var = self.running_mean.reshape(shape), self.running_var.reshape(shape)
        self._inv_std = 1 / torch.sqrt(var + self.eps)
        self._x_hat = (x - mean) * self._inv_std
        self._axes = axes
        if not self.affine:
            return self._x_hat
        return self._x_hat * self.weight.data.reshape(shape) + self.bias.data.reshape(shape)

    @torch.no_grad()
    def backward(self, dy):
        """dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) over the non-channel axes,
        where dx_hat = dy * weight; with running statistics (eval) simply dx = dx_hat * inv_std.
        dweight = sum(dy * x_hat), dbias = sum(dy)."""
        axes, x_hat, inv_std = self._axes, self._x_hat.detach(), self._inv_std.detach()
        dx_hat = dy
        if self.affine:
            self.weight.accumulate((dy * x_hat).sum(dim=axes))
            self.bias.accumulate(dy.sum(dim=axes))
            dx_hat = dy * self.weight.data.reshape((1, -1) + (1,) * (dy.ndim - 2))
        if not self._use_batch_stats:
            return dx_hat * inv_std
        # the batch mean and variance depend on every x too, hence the two correction terms
        return inv_std * (
            dx_hat - dx_hat.mean(dim=axes, keepdim=True) - x_hat * (dx_hat * x_hat).mean(dim=axes, keepdim=True)
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """BatchNorm1d: y = (x - mean) / sqrt(var + eps) * weight + bias per channel.  x: (N, C) or (N, C, L) -> same."""

    _ndims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """BatchNorm2d: y = (x - mean) / sqrt(var + eps) * weight + bias per channel.  x: (N, C, H, W) -> same."""

    _ndims = (4,)
    _layout = "(N, C, H, W)"
