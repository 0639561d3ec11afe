"""Activation functions: forward caches what backward needs; no parameters.

Each backward docstring gives its equation; notebook 02 derives them (section 2, "Five activations
and their derivatives"; softmax in section 6).
"""
from nnlib._base import BaseModule as Module
from nnlib.core.namespace import array_namespace

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax"]


def log_softmax(x, dim):
    """x - logsumexp(x) along ``dim``; subtracting the max first keeps exp from overflowing."""
    xp = array_namespace(x)
    z = x - xp.amax(x, axis=dim, keepdims=True)
    return z - xp.log(xp.exp(z).sum(axis=dim, keepdims=True))


class Sigmoid(Module):
    """Sigmoid: y = 1 / (1 + exp(-x)).  x: (*) -> y: (*), same shape.

    >>> import numpy as np, nnlib.numpy as nn
    >>> nn.Sigmoid()(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """

    def forward(self, x):
        self.xp.check_array(self, x)
        self._y = self.xp.sigmoid(x)
        return self._y

    def backward(self, dy):
        """dx = dy * y * (1 - y), since sigma'(x) = sigma(x) (1 - sigma(x))."""
        return dy * self._y * (1 - self._y)


class Tanh(Module):
    """Tanh: y = (e^x - e^-x) / (e^x + e^-x).  x: (*) -> y: (*), same shape."""

    def forward(self, x):
        self.xp.check_array(self, x)
        self._y = self.xp.tanh(x)
        return self._y

    def backward(self, dy):
        """dx = dy * (1 - y^2), since tanh'(x) = 1 - tanh(x)^2."""
        return dy * (1 - self._y**2)


class ReLU(Module):
    """ReLU: y = max(x, 0).  x: (*) -> y: (*), same shape.

    >>> import numpy as np, nnlib.numpy as nn
    >>> relu = nn.ReLU()
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    >>> relu.backward(np.ones(3))     # the slope: 0 left of 0 (and at 0, as torch), 1 right of it
    array([0., 0., 1.])
    """

    def forward(self, x):
        self.xp.check_array(self, x)
        self._x = x
        return x.clip(min=0)

    def backward(self, dy):
        """dx = dy where x > 0, else 0 (torch also takes the derivative at 0 to be 0)."""
        return dy * (self._x > 0)


class LeakyReLU(Module):
    """LeakyReLU: y = x if x > 0 else negative_slope * x.  x: (*) -> y: (*), same shape."""

    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def forward(self, x):
        self.xp.check_array(self, x)
        self._x = x
        return self.xp.where(x > 0, x, self.negative_slope * x)

    def backward(self, dy):
        """dx = dy where x > 0, else negative_slope * dy."""
        return self.xp.where(self._x > 0, dy, self.negative_slope * dy)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """Softmax: y_i = exp(x_i) / sum_j exp(x_j) along ``dim``.  x: (*) -> y: (*), same shape.

    >>> import numpy as np, nnlib.numpy as nn
    >>> nn.Softmax(dim=1)(np.array([[0.0, np.log(3.0)]]))
    array([[0.25, 0.75]])
    """

    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        self.xp.check_array(self, x)
        self._y = self.xp.exp(log_softmax(x, self.dim))
        return self._y

    def backward(self, dy):
        """dx = y * (dy - sum(dy * y)) along ``dim``: the Jacobian dy_i/dx_j = y_i (delta_ij - y_j),
        i.e. diag(y) - y y^T, applied to dy."""
        y = self._y
        return y * (dy - (dy * y).sum(axis=self.dim, keepdims=True))

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """LogSoftmax: y_i = x_i - log sum_j exp(x_j) along ``dim``.  x: (*) -> y: (*), same shape."""

    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        self.xp.check_array(self, x)
        self._y = log_softmax(x, self.dim)
        return self._y

    def backward(self, dy):
        """dx = dy - softmax(x) * sum(dy) along ``dim`` (dy_i/dx_j = delta_ij - softmax_j)."""
        return dy - self.xp.exp(self._y) * dy.sum(axis=self.dim, keepdims=True)

    def extra_repr(self):
        return f"dim={self.dim}"
