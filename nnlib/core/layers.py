"""Dense layers: forward caches what backward needs; backward adds into ``.grad``."""
import math
import numbers

from nnlib._base import BaseModule as Module
from nnlib._base import Parameter
from nnlib._checks import check_ndim, check_size, describe
from nnlib.random import uniform

__all__ = ["Linear", "Flatten", "Dropout", "BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class Linear(Module):
    """Linear: y = x W^T + b.  x: (*, in_features) -> y: (*, out_features).

    ``weight``: (out_features, in_features), ``bias``: (out_features,), both drawn from
    U(-1/sqrt(in_features), 1/sqrt(in_features)) as ``torch.nn.Linear`` does.

    >>> import numpy as np, nnlib, nnlib.numpy as nn
    >>> _ = nnlib.manual_seed(0)
    >>> layer = nn.Linear(3, 2)
    >>> x = np.ones((4, 3))
    >>> layer(x).shape
    (4, 2)
    >>> layer.backward(np.ones((4, 2))).shape   # dL/dx; dL/dW and dL/db are added into .grad
    (4, 3)
    >>> layer.weight.grad                        # dW = dy^T x: every entry sums four ones
    array([[4., 4., 4.],
           [4., 4., 4.]])
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        dtype, device = self.xp.resolve_dtype(dtype, device)
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        new = lambda shape: Parameter(self.xp.asarray(uniform(-bound, bound, shape), dtype=dtype, device=device))
        self.weight = new((out_features, in_features))
        self.bias = new((out_features,)) if bias else None

    def forward(self, x):
        w = self.weight.data
        self.xp.check_array(self, x, w.dtype, w.device)
        check_ndim(self, x, range(1, 33), "(*, in_features)")
        check_size(self, x, -1, self.in_features, "features")
        self._x = x
        y = x @ w.T
        return y + self.bias.data if self.bias is not None else y

    def backward(self, dy):
        """dy: (*, out_features) -> dx: (*, in_features).

        dx = dy W,  dW = dy^T x,  db = sum of dy over the rows (every leading axis of x counts as rows).
        Derived in notebook 06, section 3 ("Vectorized: each layer's backward").
        """
        x2 = self._x.reshape(-1, self.in_features)
        dy2 = dy.reshape(-1, self.out_features)
        self.weight.accumulate(dy2.T @ x2)
        if self.bias is not None:
            self.bias.accumulate(dy2.sum(axis=0))
        return dy @ self.weight.data

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Flatten: merge dimensions start_dim..end_dim into one.  x: (N, C, H, W) -> y: (N, C*H*W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        self.xp.check_array(self, x)
        start, end = _flatten_range(self, x.ndim)
        self._shape = x.shape
        return x.reshape(tuple(x.shape[:start]) + (math.prod(x.shape[start : end + 1]),) + tuple(x.shape[end + 1 :]))

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
    The mask is drawn by the backend's generator on the input's device (``nnlib.manual_seed`` seeds both).

    >>> import numpy as np, nnlib.numpy as nn
    >>> drop = nn.Dropout(p=0.5)
    >>> sorted(set(drop(np.ones(1000)).tolist()))       # each unit dropped (0) or scaled by 1 / (1 - p)
    [0.0, 2.0]
    >>> drop.eval()(np.ones(3))                          # evaluation: the identity
    array([1., 1., 1.])
    """

    def __init__(self, p=0.5):
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: dropout probability has to be between 0 and 1, but got {p!r}")
        self.p = p

    def forward(self, x):
        xp = self.xp
        xp.check_array(self, x)
        if not self.training or self.p == 0:
            self._mask = None
            return x
        keep = xp.rand(x.shape, device=x.device) >= self.p
        # p = 1 drops everything; torch then returns zeros rather than 0 * inf
        scale = 0.0 if self.p == 1 else 1 / (1 - self.p)
        self._mask = xp.astype(keep, x.dtype) * scale
        return x * self._mask

    def backward(self, dy):
        """dx = dy * mask / (1 - p): the same units the forward pass kept (dy itself in eval).
        Notebook 10, section 4 ("Dropout")."""
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
        xp = self.xp
        dtype, device = xp.resolve_dtype(dtype, device)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(xp.ones(num_features, dtype=dtype, device=device)) if affine else None
        self.bias = Parameter(xp.zeros(num_features, dtype=dtype, device=device)) if affine else None
        if track_running_stats:
            self.running_mean = xp.zeros(num_features, dtype=dtype, device=device)
            self.running_var = xp.ones(num_features, dtype=dtype, device=device)
            self.num_batches_tracked = xp.asarray(0, dtype=xp.int64, device=device)
        else:
            self._buffers = ()  # torch keeps no running statistics (and no state-dict keys) then

    def _reference(self):
        """An array whose dtype and device inputs must share (None when there are no parameters or buffers)."""
        if self.affine:
            return self.weight.data
        return self.running_mean if self.track_running_stats else None

    def forward(self, x):
        xp, ref = self.xp, self._reference()
        xp.check_array(self, x, None if ref is None else ref.dtype, None if ref is None else ref.device)
        check_ndim(self, x, self._ndims, self._layout)
        check_size(self, x, 1, self.num_features, "channels")
        axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channels
        shape = (1, -1) + (1,) * (x.ndim - 2)  # a per-channel vector, broadcastable against x
        n = math.prod(x.shape) // self.num_features  # values per channel
        self._use_batch_stats = self.training or not self.track_running_stats
        if self._use_batch_stats:
            if n == 1:
                raise ValueError(
                    f"{describe(self)}: Expected more than 1 value per channel when training, "
                    f"got input of shape {tuple(x.shape)}"
                )
            mean = x.mean(axis=axes, keepdims=True)
            var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)  # biased (divide by n): what normalizes the batch
            if self.training and self.track_running_stats:
                self._update_running_stats(mean, var, n)
        else:
            mean, var = self.running_mean.reshape(shape), self.running_var.reshape(shape)
        self._inv_std = 1 / xp.sqrt(var + self.eps)
        self._x_hat = (x - mean) * self._inv_std
        self._axes = axes
        if not self.affine:
            return self._x_hat
        return self._x_hat * self.weight.data.reshape(shape) + self.bias.data.reshape(shape)

    def _update_running_stats(self, mean, var, n):
        with self.xp.no_grad():  # statistics kept for eval, not part of the function being differentiated
            self.num_batches_tracked += 1
            m = 1 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean.reshape(-1)
            self.running_var = (1 - m) * self.running_var + m * var.reshape(-1) * n / (n - 1)

    def backward(self, dy):
        """With batch statistics (training), over the non-channel axes (n values per channel):

            dx_hat = dy * weight
            dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat))

        (the batch mean and variance depend on every x too, hence the two correction terms);
        with running statistics (eval) simply dx = dx_hat * inv_std. dweight = sum(dy * x_hat),
        dbias = sum(dy). Derived in notebook 11, section 2 ("The backward pass, derived").
        """
        axes, x_hat = self._axes, self._x_hat
        dx_hat = dy
        if self.affine:
            self.weight.accumulate((dy * x_hat).sum(axis=axes))
            self.bias.accumulate(dy.sum(axis=axes))
            dx_hat = dy * self.weight.data.reshape((1, -1) + (1,) * (dy.ndim - 2))
        if not self._use_batch_stats:
            return dx_hat * self._inv_std
        return self._inv_std * (
            dx_hat - dx_hat.mean(axis=axes, keepdims=True) - x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True)
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """BatchNorm1d: y = (x - mean) / sqrt(var + eps) * weight + bias per channel.  x: (N, C) or (N, C, L) -> same.

    >>> import numpy as np, nnlib.numpy as nn
    >>> bn = nn.BatchNorm1d(2)
    >>> y = bn(np.array([[1.0, 10.0], [3.0, 30.0]]))     # each channel: mean 0, variance 1 over the batch
    >>> y.round(4)                                        # (eps = 1e-5 keeps them just inside +-1)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> bn.running_mean                                   # 0.9 * 0 + 0.1 * batch mean
    array([0.2, 2. ])
    """

    _ndims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """BatchNorm2d: y = (x - mean) / sqrt(var + eps) * weight + bias per channel.  x: (N, C, H, W) -> same."""

    _ndims = (4,)
    _layout = "(N, C, H, W)"


class LayerNorm(Module):
    """LayerNorm: each example normalized over its last ``len(normalized_shape)`` axes (Ba et al., 2016).

    With D = prod(normalized_shape) values per example and the sums over those axes::

        mean = sum(x) / D,   var = sum((x - mean)^2) / D   (biased),   x_hat = (x - mean) / sqrt(var + eps)
        y = x_hat * weight + bias                            (weight, bias: normalized_shape)

    x: (*, *normalized_shape) -> y: same shape. No running statistics: training and evaluation compute the same
    thing, and no example depends on another. ``elementwise_affine=False`` drops weight and bias, ``bias=False``
    the bias only (``torch.nn.LayerNorm``'s arguments and state-dict keys).

    Backward, with dx_hat = dy * weight and means over the normalized axes (batch norm's formula with the roles
    of the axes swapped; notebook 11, sections 2 and 5)::

        dx = (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) / sqrt(var + eps)
        dweight = sum over the leading axes of dy * x_hat,   dbias = sum over the leading axes of dy

    >>> import numpy as np, nnlib.numpy as nn
    >>> ln = nn.LayerNorm(2)
    >>> ln(np.array([[1.0, 3.0], [10.0, 30.0]])).round(4)   # each ROW: mean 0, variance 1
    array([[-1.,  1.],
           [-1.,  1.]])
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        xp = self.xp
        dtype, device = xp.resolve_dtype(dtype, device)
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(d) for d in normalized_shape)
        if not self.normalized_shape or min(self.normalized_shape) < 1:
            raise ValueError(f"LayerNorm expects normalized_shape of positive sizes, got {normalized_shape!r}")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        shape = self.normalized_shape
        self.weight = Parameter(xp.ones(shape, dtype=dtype, device=device)) if elementwise_affine else None
        self.bias = Parameter(xp.zeros(shape, dtype=dtype, device=device)) if elementwise_affine and bias else None

    def forward(self, x):
        xp, w = self.xp, self.weight
        xp.check_array(self, x, None if w is None else w.data.dtype, None if w is None else w.data.device)
        k = len(self.normalized_shape)
        if x.ndim < k or tuple(x.shape[x.ndim - k:]) != self.normalized_shape:
            expected = ", ".join(["*"] + [str(d) for d in self.normalized_shape])
            raise ValueError(f"{describe(self)} expects an input of shape ({expected}), got shape {tuple(x.shape)}")
        axes = tuple(range(x.ndim - k, x.ndim))  # the normalized axes: the last k
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)  # biased, as torch
        self._inv_std = 1 / xp.sqrt(var + self.eps)
        self._x_hat = (x - mean) * self._inv_std
        self._axes = axes
        y = self._x_hat
        if self.weight is not None:
            y = y * self.weight.data
        if self.bias is not None:
            y = y + self.bias.data
        return y

    def backward(self, dy):
        """dy: like the output -> dx: like the input (the equations are in the class docstring)."""
        axes, x_hat = self._axes, self._x_hat
        rows = (-1,) + self.normalized_shape  # every leading axis counts as examples
        dx_hat = dy
        if self.weight is not None:
            self.weight.accumulate((dy * x_hat).reshape(rows).sum(axis=0))
            dx_hat = dy * self.weight.data
        if self.bias is not None:
            self.bias.accumulate(dy.reshape(rows).sum(axis=0))
        return self._inv_std * (
            dx_hat - dx_hat.mean(axis=axes, keepdims=True) - x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True)
        )

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
