"""Convolution and pooling: im2col, one matrix product, col2im.

:func:`im2col` lays every patch the kernel sees out as a column (the layout of
``torch.nn.functional.unfold``), so a convolution becomes one matrix product per sample and
pooling a max or mean over each column. Backward passes send the columns' gradients back with
:func:`col2im` (``torch.nn.functional.fold``), which adds each patch onto the pixels it came
from, so overlapping windows sum their contributions. The naive loop versions beside them
(``*_naive``) are the definitions the notebook starts from; the tests hold the two equal.
Notebook 12 derives the equations (section 8, the convolution's backward pass; pooling and its
backward in section 7). :class:`AdaptiveAvgPool2d` averages over bins chosen from the output size
(global average pooling with ``output_size=1``, notebook 13, section 2).

The forwards use differentiable operations only (no ``torch.nn.functional.conv2d``: the point is
the manual math), so ``torch.autograd`` can check the manual backwards.
"""
import math
from numbers import Integral

from nnlib._base import BaseModule as Module
from nnlib._base import Parameter
from nnlib._checks import check_ndim, check_size, describe
from nnlib.core.namespace import array_namespace, manual_backward
from nnlib.random import uniform

__all__ = [
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "im2col",
    "col2im",
    "conv2d_forward",
    "conv2d_backward",
    "conv2d_forward_naive",
    "conv2d_backward_naive",
    "max_pool2d_forward_naive",
    "max_pool2d_backward_naive",
]


# --- shared helpers ------------------------------------------------------------------------
def _int_pair(who, value, name, minimum):
    """``value`` as a pair of ints ``(h, w)``, each at least ``minimum`` (torch accepts an int or a pair)."""
    pair = (value, value) if isinstance(value, Integral) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(v, Integral) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{describe(who)} expects {name} to be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{describe(who)} expects {name} >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _output_size(who, shape, kernel_size, stride, padding):
    """``(H_out, W_out)`` with H_out = floor((H + 2p - k) / s) + 1; the kernel must fit the padded input."""
    (h, w), (kh, kw), (sh, sw), (ph, pw) = shape[-2:], kernel_size, stride, padding
    if h + 2 * ph < kh or w + 2 * pw < kw:
        raise ValueError(
            f"{describe(who)} expects an input at least as large as the kernel {(kh, kw)} after padding {(ph, pw)}, "
            f"got input of shape {tuple(shape)} (padded spatial size {(h + 2 * ph, w + 2 * pw)})"
        )
    return (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1


def im2col(x, kernel_size, stride=1, padding=0, fill=0.0):
    """Every patch the kernel sees, as a column (``torch.nn.functional.unfold``'s layout).

    x: (N, C, H, W) -> cols: (N, C*kH*kW, H_out*W_out), with
    cols[n, (c, a, b), (i, j)] = x_pad[n, c, i*sH + a, j*sW + b]; the padding holds ``fill``.
    """
    (kh, kw), (sh, sw) = _int_pair("im2col", kernel_size, "kernel_size", 1), _int_pair("im2col", stride, "stride", 1)
    ph, pw = _int_pair("im2col", padding, "padding", 0)
    xp = array_namespace(x)
    n, c = x.shape[:2]
    # a strided view (no copy): windows[n, c, i, j] is the (kH, kW) patch under output pixel (i, j)
    windows = xp.windows2d(xp.pad2d(x, (ph, pw), fill), (kh, kw), (sh, sw))
    # the one copy: kernel offsets (a, b) before output pixels (i, j), as unfold orders them
    return xp.permute_dims(windows, (0, 1, 4, 5, 2, 3)).reshape(n, c * kh * kw, -1)


def col2im(cols, output_size, kernel_size, stride=1, padding=0):
    """The adjoint of :func:`im2col` (``torch.nn.functional.fold``): add each column back onto its patch.

    cols: (N, C*kH*kW, H_out*W_out) -> x: (N, C, H, W), output_size = (H, W). One strided slice-add per
    kernel offset (kH * kW of them); where windows overlap their contributions sum, as the chain rule requires.
    """
    (h, w), (kh, kw) = _int_pair("col2im", output_size, "output_size", 1), _int_pair("col2im", kernel_size, "kernel_size", 1)
    (sh, sw), (ph, pw) = _int_pair("col2im", stride, "stride", 1), _int_pair("col2im", padding, "padding", 0)
    h_out, w_out = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    n, c = cols.shape[0], cols.shape[1] // (kh * kw)
    patches = cols.reshape(n, c, kh, kw, h_out, w_out)
    x_pad = array_namespace(cols).zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype, device=cols.device)
    for a in range(kh):
        for b in range(kw):
            x_pad[:, :, a : a + sh * h_out : sh, b : b + sw * w_out : sw] += patches[:, :, a, b]
    return x_pad[:, :, ph : ph + h, pw : pw + w]


# --- convolution: vectorized ---------------------------------------------------------------
def conv2d_forward(x, weight, bias=None, stride=1, padding=0, cols=None):
    """y[n, o, i, j] = sum_{c, a, b} W[o, c, a, b] x_pad[n, c, i*sH + a, j*sW + b] + bias[o].

    x: (N, C_in, H, W), weight: (C_out, C_in, kH, kW), bias: (C_out,) or None -> y: (N, C_out, H_out, W_out).
    With cols = im2col(x), each sample is one matrix product: y[n] = W (C_out, C_in*kH*kW) @ cols[n].
    ``cols``: im2col(x) if the caller already has it. (Strictly a cross-correlation, as in every
    deep-learning library.)
    """
    (sh, sw), (ph, pw) = _int_pair("conv2d", stride, "stride", 1), _int_pair("conv2d", padding, "padding", 0)
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    if cols is None:
        cols = im2col(x, (kh, kw), (sh, sw), (ph, pw))  # (N, C_in*kH*kW, H_out*W_out)
    y = weight.reshape(c_out, -1) @ cols  # (N, C_out, H_out*W_out)
    if bias is not None:
        y += bias[:, None]  # in place: y is large, and autograd needs only cols and W from the product
    return y.reshape(n, c_out, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)


@manual_backward
def conv2d_backward(dy, x, weight, stride=1, padding=0, cols=None):
    """Gradients of conv2d_forward.  dy: (N, C_out, H_out, W_out) -> (dx, dweight, dbias).

    dW = sum_n dy[n] @ cols[n]^T;  dbias[o] = sum_{n, i, j} dy[n, o, i, j];  dx = col2im(W^T @ dy[n]).
    ``cols``: im2col(x) if the forward kept it (saves recomputing it). Notebook 12, section 8.
    """
    c_out = weight.shape[0]
    if cols is None:
        cols = im2col(x, weight.shape[2:], stride, padding)
    dy2 = dy.reshape(dy.shape[0], c_out, -1)  # (N, C_out, H_out*W_out)
    dweight = (dy2 @ cols.swapaxes(1, 2)).sum(axis=0).reshape(weight.shape)
    dbias = dy2.sum(axis=(0, 2))
    dcols = weight.reshape(c_out, -1).T @ dy2  # (N, C_in*kH*kW, H_out*W_out)
    return col2im(dcols, x.shape[2:], weight.shape[2:], stride, padding), dweight, dbias


# --- convolution: the naive loops the vectorized version must equal -------------------------
def conv2d_forward_naive(x, weight, bias=None, stride=1, padding=0):
    """conv2d_forward with explicit loops over samples, output channels and output pixels (slow, plain)."""
    (sh, sw), (ph, pw) = _int_pair("conv2d", stride, "stride", 1), _int_pair("conv2d", padding, "padding", 0)
    xp = array_namespace(x)
    n_samples, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    x_pad = xp.pad2d(x, (ph, pw))
    h_out, w_out = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    y = xp.zeros((n_samples, c_out, h_out, w_out), dtype=x.dtype, device=x.device)
    for n in range(n_samples):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    patch = x_pad[n, :, i * sh : i * sh + kh, j * sw : j * sw + kw]  # (C_in, kH, kW)
                    y[n, o, i, j] = (patch * weight[o]).sum() + (bias[o] if bias is not None else 0)
    return y


@manual_backward
def conv2d_backward_naive(dy, x, weight, stride=1, padding=0):
    """conv2d_backward with the same loops as the forward: each output pixel sends dy back to its patch."""
    (sh, sw), (ph, pw) = _int_pair("conv2d", stride, "stride", 1), _int_pair("conv2d", padding, "padding", 0)
    xp = array_namespace(x)
    n_samples, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    x_pad = xp.pad2d(x, (ph, pw))
    dx_pad, dweight = xp.zeros_like(x_pad), xp.zeros_like(weight)
    for n in range(n_samples):
        for o in range(c_out):
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    rows, columns = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
                    dweight[o] += dy[n, o, i, j] * x_pad[n, :, rows, columns]
                    dx_pad[n, :, rows, columns] += dy[n, o, i, j] * weight[o]
    return dx_pad[:, :, ph : ph + h, pw : pw + w], dweight, dy.sum(axis=(0, 2, 3))


# --- max pooling: the naive loops ----------------------------------------------------------
def max_pool2d_forward_naive(x, kernel_size, stride=None, padding=0):
    """y[n, c, i, j] = max of the window x_pad[n, c, i*sH : i*sH + kH, j*sW : j*sW + kW] (padding is -inf)."""
    (kh, kw) = _int_pair("max_pool2d", kernel_size, "kernel_size", 1)
    (sh, sw) = _int_pair("max_pool2d", kernel_size if stride is None else stride, "stride", 1)
    (ph, pw) = _int_pair("max_pool2d", padding, "padding", 0)
    xp = array_namespace(x)
    n_samples, channels, h, w = x.shape
    x_pad = xp.pad2d(x, (ph, pw), -math.inf)
    h_out, w_out = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    y = xp.zeros((n_samples, channels, h_out, w_out), dtype=x.dtype, device=x.device)
    for n in range(n_samples):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    y[n, c, i, j] = x_pad[n, c, i * sh : i * sh + kh, j * sw : j * sw + kw].max()
    return y


@manual_backward
def max_pool2d_backward_naive(dy, x, kernel_size, stride=None, padding=0):
    """Each output sends its gradient to the first maximum of its window (row-major), as torch does."""
    (kh, kw) = _int_pair("max_pool2d", kernel_size, "kernel_size", 1)
    (sh, sw) = _int_pair("max_pool2d", kernel_size if stride is None else stride, "stride", 1)
    (ph, pw) = _int_pair("max_pool2d", padding, "padding", 0)
    _, _, h, w = x.shape
    x_pad = array_namespace(x).pad2d(x, (ph, pw), -math.inf)
    dx_pad = array_namespace(x).zeros_like(x_pad)
    for n in range(dy.shape[0]):
        for c in range(dy.shape[1]):
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    window = x_pad[n, c, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    a, b = divmod(int(window.argmax()), kw)  # argmax: the first maximum, row-major
                    dx_pad[n, c, i * sh + a, j * sw + b] += dy[n, c, i, j]
    return dx_pad[:, :, ph : ph + h, pw : pw + w]


# --- layers --------------------------------------------------------------------------------
class Conv2d(Module):
    """Conv2d: y[n, o] = sum_c W[o, c] (*) x_pad[n, c] + b[o], the kernel sliding with stride s.
    x: (N, C_in, H, W) -> y: (N, C_out, H_out, W_out), H_out = floor((H + 2p - kH) / s) + 1.

    ``weight``: (out_channels, in_channels, kH, kW), ``bias``: (out_channels,), both drawn from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels * kH * kW, as ``torch.nn.Conv2d`` does.

    >>> import numpy as np, nnlib.numpy as nn
    >>> conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
    >>> x = np.ones((2, 1, 8, 8))
    >>> conv(x).shape                          # padding 1 keeps 8 x 8
    (2, 4, 8, 8)
    >>> conv.backward(np.ones((2, 4, 8, 8))).shape, conv.weight.grad.shape
    ((2, 1, 8, 8), (4, 1, 3, 3))
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, device=None, dtype=None):
        dtype, device = self.xp.resolve_dtype(dtype, device)
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Conv2d expects {name} to be a positive int, got {value!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _int_pair("Conv2d", kernel_size, "kernel_size", 1)
        self.stride = _int_pair("Conv2d", stride, "stride", 1)
        self.padding = _int_pair("Conv2d", padding, "padding", 0)
        bound = 1 / math.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1])
        new = lambda shape: Parameter(self.xp.asarray(uniform(-bound, bound, shape), dtype=dtype, device=device))
        self.weight = new((self.out_channels, self.in_channels, *self.kernel_size))
        self.bias = new((self.out_channels,)) if bias else None

    def forward(self, x):
        self.xp.check_array(self, x, self.weight.data.dtype, self.weight.data.device)
        check_ndim(self, x, 4, "(N, C_in, H, W)")
        check_size(self, x, 1, self.in_channels, "channels")
        _output_size(self, x.shape, self.kernel_size, self.stride, self.padding)
        self._x = x
        self._cols = im2col(x, self.kernel_size, self.stride, self.padding)  # backward needs it again for dW
        bias = self.bias.data if self.bias is not None else None
        return conv2d_forward(x, self.weight.data, bias, self.stride, self.padding, self._cols)

    def backward(self, dy):
        """dy: (N, C_out, H_out, W_out) -> dx: (N, C_in, H, W); adds dW and db.

        dW = sum_n dy[n] cols[n]^T,  db[o] = sum_{n, i, j} dy[n, o, i, j],  dx = col2im(W^T dy[n]):
        each output pixel sends dy back through the weights onto the patch it saw (notebook 12, section 8).
        """
        dx, dweight, dbias = conv2d_backward(dy, self._x, self.weight.data, self.stride, self.padding, self._cols)
        self.weight.accumulate(dweight)
        if self.bias is not None:
            self.bias.accumulate(dbias)
        return dx

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        return s + ("" if self.bias is not None else ", bias=False")


class _Pool2d(Module):
    """What both pools share: torch's arguments (stride defaults to kernel_size), checks, and the columns."""

    def __init__(self, kernel_size, stride=None, padding=0):
        name = type(self).__name__
        # kept as given, as torch keeps them (its repr shows kernel_size=2, not (2, 2))
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding
        self._k = _int_pair(name, kernel_size, "kernel_size", 1)
        self._s = _int_pair(name, self.stride, "stride", 1)
        self._p = _int_pair(name, padding, "padding", 0)
        # torch's rule: padding at most half the kernel, so every window holds at least one real pixel
        if self._p[0] > self._k[0] // 2 or self._p[1] > self._k[1] // 2:
            raise ValueError(f"{name} expects padding at most half of kernel_size {self._k}, got padding {padding!r}")

    def _columns(self, x, fill):
        """x: (N, C, H, W) -> (N, C, kH*kW, H_out*W_out): each window as a column, padded with ``fill``."""
        self.xp.check_array(self, x)
        check_ndim(self, x, 4, "(N, C, H, W)")
        self._out = _output_size(self, x.shape, self._k, self._s, self._p)
        self._x_shape = x.shape
        return im2col(x, self._k, self._s, self._p, fill).reshape(*x.shape[:2], self._k[0] * self._k[1], -1)

    def _to_input(self, dcols):
        """(N, C, kH*kW, H_out*W_out) window gradients -> (N, C, H, W), overlapping windows summed."""
        return col2im(dcols.reshape(self._x_shape[0], -1, dcols.shape[-1]), self._x_shape[2:], self._k, self._s, self._p)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """MaxPool2d: y[n, c, i, j] = max of x's (kH, kW) window at (i*sH, j*sW), padding -inf.
    x: (N, C, H, W) -> y: (N, C, H_out, W_out). The gradient goes to the window's first maximum (row-major), as torch's.

    >>> import numpy as np, nnlib.numpy as nn
    >>> pool = nn.MaxPool2d(2)
    >>> x = np.array([[[[1.0, 2.0], [4.0, 3.0]]]])
    >>> pool(x)
    array([[[[4.]]]])
    >>> pool.backward(np.ones((1, 1, 1, 1)))        # the gradient goes to the maximum only
    array([[[[0., 0.],
             [1., 0.]]]])
    """

    def forward(self, x):
        cols = self._columns(x, fill=-math.inf)
        # (N, C, H_out*W_out): each window's maximum and where it is (the first one, as torch picks)
        y, self._argmax = self.xp.max_argmax(cols, axis=2)
        return y.reshape(*x.shape[:2], *self._out)

    def backward(self, dy):
        """dy: (N, C, H_out, W_out) -> dx: (N, C, H, W): dy goes to each window's maximum, zero elsewhere
        (the max is locally the identity of that one input). Notebook 12, section 7."""
        offsets = self.xp.arange(self._k[0] * self._k[1], device=dy.device)[:, None]
        dcols = (self._argmax[:, :, None, :] == offsets) * dy.reshape(*dy.shape[:2], 1, -1)
        return self._to_input(dcols)


class AvgPool2d(_Pool2d):
    """AvgPool2d: y[n, c, i, j] = mean of x's (kH, kW) window at (i*sH, j*sW), zero padding counted
    (torch's count_include_pad=True).  x: (N, C, H, W) -> y: (N, C, H_out, W_out).
    """

    def forward(self, x):
        return self._columns(x, fill=0.0).mean(axis=2).reshape(*x.shape[:2], *self._out)

    def backward(self, dy):
        """dy: (N, C, H_out, W_out) -> dx: (N, C, H, W): every pixel of a window gets dy / (kH kW).
        Notebook 12, section 7."""
        size = self._k[0] * self._k[1]
        dcols = self.xp.broadcast_to(dy.reshape(*dy.shape[:2], 1, -1) / size, (*dy.shape[:2], size, math.prod(dy.shape[2:])))
        return self._to_input(dcols)


def _adaptive_bins(size_in, size_out):
    """PyTorch's bins: output index i averages inputs floor(i * n / m) <= r < ceil((i + 1) * n / m).

    They tile the input when m divides n (bins of n / m), and overlap by one where it does not
    (5 -> 3: rows 0-1, 1-3, 3-4).
    """
    return [((i * size_in) // size_out, -((-(i + 1) * size_in) // size_out)) for i in range(size_out)]


class AdaptiveAvgPool2d(Module):
    """AdaptiveAvgPool2d: average over bins chosen so that the output has ``output_size``, whatever the input's.
    x: (N, C, H, W) -> y: (N, C, H_out, W_out).

    Output cell (i, j) is the mean of the rectangle of rows R_i and columns C_j, with PyTorch's bins
    R_i = [floor(i H / H_out), ceil((i + 1) H / H_out)) (and C_j likewise). A mean over a rectangle
    is a mean over its rows of means over its columns, so the layer is two matrix products with
    averaging matrices A_H (H_out, H), A_H[i, r] = 1 / |R_i| for r in R_i (0 elsewhere), and A_W:

        y = A_H x A_W^T,        dx = A_H^T dy A_W

    (the backward of a product by a constant matrix is the product by its transpose; where bins
    overlap, a pixel collects the gradient of every bin it is in). ``output_size=1`` is **global
    average pooling** (Lin, Chen & Yan, 2014): one mean per channel, shape (N, C, 1, 1), whatever
    the image size; notebook 13 uses it to make a CNN's head indifferent to where a feature is.

    output_size: an int (square) or a pair; an entry ``None`` keeps that input size, as torch's.

    >>> import numpy as np, nnlib.numpy as nn
    >>> gap = nn.AdaptiveAvgPool2d(1)
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2)
    >>> gap(x).reshape(-1)                          # the mean of each channel
    array([1.5, 5.5])
    >>> gap.backward(np.ones((1, 2, 1, 1)))[0, 0]   # each pixel gets 1/4 of its channel's gradient
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """

    def __init__(self, output_size):
        pair = (output_size, output_size) if not isinstance(output_size, (tuple, list)) else tuple(output_size)
        if len(pair) != 2 or not all(
            v is None or (isinstance(v, Integral) and not isinstance(v, bool) and v >= 1) for v in pair
        ):
            raise ValueError(
                f"AdaptiveAvgPool2d expects output_size to be a positive int or a pair of positive ints "
                f"(or None to keep a size), got {output_size!r}"
            )
        self.output_size = output_size  # kept as given, as torch keeps it

    def _averaging_matrix(self, size_in, size_out, like):
        """(size_out, size_in): row i holds 1 / |bin i| on the bin's inputs."""
        rows = [[0.0] * size_in for _ in range(size_out)]
        for i, (start, end) in enumerate(_adaptive_bins(size_in, size_out)):
            rows[i][start:end] = [1.0 / (end - start)] * (end - start)
        return self.xp.asarray(rows, dtype=like.dtype, device=like.device)

    def forward(self, x):
        self.xp.check_array(self, x)
        check_ndim(self, x, 4, "(N, C, H, W)")
        if x.shape[2] == 0 or x.shape[3] == 0:
            raise ValueError(f"{describe(self)} expects a non-empty image, got input of shape {tuple(x.shape)}")
        wanted = self.output_size if isinstance(self.output_size, (tuple, list)) else (self.output_size,) * 2
        out_h, out_w = (x.shape[2 + a] if wanted[a] is None else int(wanted[a]) for a in range(2))
        self._rows = self._averaging_matrix(x.shape[2], out_h, x)   # A_H: (H_out, H)
        self._cols = self._averaging_matrix(x.shape[3], out_w, x)   # A_W: (W_out, W)
        return self._rows @ x @ self._cols.T

    def backward(self, dy):
        """dy: (N, C, H_out, W_out) -> dx: (N, C, H, W) = A_H^T dy A_W (no parameters)."""
        return self._rows.T @ dy @ self._cols

    def extra_repr(self):
        return f"output_size={self.output_size}"
