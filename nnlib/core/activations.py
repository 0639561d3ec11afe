"""Activation functions: forward caches what backward needs; no parameters.

Each backward docstring gives its equation; notebook 02 derives them (section 2, "Five activations
and their derivatives"; softmax in section 6).
"""
import math

from nnlib._base import BaseModule as Module
from nnlib.core.namespace import array_namespace

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "GELU", "SiLU", "Softmax", "LogSoftmax"]


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


class GELU(Module):
    """GELU (Hendrycks & Gimpel 2016): y = x Phi(x), Phi the standard normal CDF.  x: (*) -> y: (*), same shape.

    ``approximate='none'`` (torch's default): Phi(x) = (1 + erf(x / sqrt(2))) / 2, exactly.
    ``approximate='tanh'``: Phi(x) ~ (1 + tanh(u)) / 2 with u = sqrt(2 / pi) (x + 0.044715 x^3), as torch.

    >>> import numpy as np, nnlib.numpy as nn
    >>> gelu = nn.GELU()
    >>> gelu(np.array([-3.0, 0.0, 3.0])).round(4)      # close to 0 left of 0, close to x right of it
    array([-0.004,  0.   ,  2.996])
    >>> float(gelu.backward(np.ones(3))[1])            # the slope at 0 is Phi(0) = 1/2
    0.5
    """

    def __init__(self, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        xp = self.xp
        xp.check_array(self, x)
        self._x = x
        if self.approximate == "tanh":
            self._t = xp.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))
            return 0.5 * x * (1 + self._t)
        self._cdf = 0.5 * (1 + xp.erf(x / math.sqrt(2)))
        return x * self._cdf

    def backward(self, dy):
        """dx = dy (Phi(x) + x phi(x)), phi(x) = exp(-x^2 / 2) / sqrt(2 pi) the normal density;
        tanh form: dy ((1 + t) / 2 + x (1 - t^2) sqrt(2 / pi) (1 + 3 * 0.044715 x^2) / 2), t = tanh(u).
        Notebook 02, section 2."""
        x = self._x
        if self.approximate == "tanh":
            t = self._t
            du = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x**2)
            return dy * (0.5 * (1 + t) + 0.5 * x * (1 - t**2) * du)
        density = self.xp.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)
        return dy * (self._cdf + x * density)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """SiLU, also called swish (Elfwing et al. 2018; Ramachandran et al. 2017): y = x sigmoid(x).
    x: (*) -> y: (*), same shape.

    >>> import numpy as np, nnlib.numpy as nn
    >>> nn.SiLU()(np.array([-1.0, 0.0, 1.0])).round(4)
    array([-0.2689,  0.    ,  0.7311])
    """

    def forward(self, x):
        self.xp.check_array(self, x)
        self._x, self._s = x, self.xp.sigmoid(x)
        return x * self._s

    def backward(self, dy):
        """dx = dy (s + x s (1 - s)) = dy s (1 + x (1 - s)), s = sigmoid(x). Notebook 02, section 2."""
        s = self._s
        return dy * s * (1 + self._x * (1 - s))


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
