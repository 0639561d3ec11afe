"""Activation functions, NumPy reference: forward caches what backward needs; no parameters."""
import numpy as np

from nnlib.numpy.module import Module, check_array

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax"]


def sigmoid(x):
    """1 / (1 + exp(-x)) without overflow: exp is only ever taken of -|x| <= 0."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def log_softmax(x, dim):
    """x - logsumexp(x) along ``dim``; subtracting the max first keeps exp from overflowing."""
    z = x - x.max(axis=dim, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


class Sigmoid(Module):
    """Sigmoid: y = 1 / (1 + exp(-x)).  x: (*) -> y: (*), same shape."""

    def forward(self, x):
        check_array(self, x)
        self._y = sigmoid(x)
        return self._y

    def backward(self, dy):
        """dx = dy * y * (1 - y)."""
        return dy * self._y * (1 - self._y)


class Tanh(Module):
    """Tanh: y = (e^x - e^-x) / (e^x + e^-x).  x: (*) -> y: (*), same shape."""

    def forward(self, x):
        check_array(self, x)
        self._y = np.tanh(x)
        return self._y

    def backward(self, dy):
        """dx = dy * (1 - y^2)."""
        return dy * (1 - self._y**2)


class ReLU(Module):
    """ReLU: y = max(x, 0).  x: (*) -> y: (*), same shape."""

    def forward(self, x):
        check_array(self, x)
        self._x = x
        return np.maximum(x, 0)

    def backward(self, dy):
        """dx = dy where x > 0, else 0 (torch also takes the derivative at 0 to be 0)."""
        return dy * (self._x > 0)


class LeakyReLU(Module):
    """LeakyReLU: y = x if x > 0 else negative_slope * x.  x: (*) -> y: (*), same shape."""

    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def forward(self, x):
        check_array(self, x)
        self._x = x
        return np.where(x > 0, x, self.negative_slope * x)

    def backward(self, dy):
        """dx = dy where x > 0, else negative_slope * dy."""
        return np.where(self._x > 0, dy, self.negative_slope * dy)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """Softmax: y_i = exp(x_i) / sum_j exp(x_j) along ``dim``.  x: (*) -> y: (*), same shape."""

    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        check_array(self, x)
        self._y = np.exp(log_softmax(x, self.dim))
        return self._y

    def backward(self, dy):
        """dx = y * (dy - sum(dy * y)) along ``dim`` (the Jacobian diag(y) - y y^T applied to dy)."""
        y = self._y
        return y * (dy - (dy * y).sum(axis=self.dim, keepdims=True))

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """LogSoftmax: y_i = x_i - log sum_j exp(x_j) along ``dim``.  x: (*) -> y: (*), same shape."""

    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        check_array(self, x)
        self._y = log_softmax(x, self.dim)
        return self._y

    def backward(self, dy):
        """dx = dy - softmax(x) * sum(dy) along ``dim``."""
        return dy - np.exp(self._y) * dy.sum(axis=self.dim, keepdims=True)

    def extra_repr(self):
        return f"dim={self.dim}"
