"""Activation functions, torch twin: the same equations as nnlib.numpy.activations, with torch ops."""
import torch

from nnlib.torch.module import Module, check_array

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax"]


def sigmoid(x):
    """1 / (1 + exp(-x)) without overflow (the NumPy file spells out the two-branch formula)."""
    # torch.sigmoid is that same stable formula; the hand-written one would give autograd
    # the wrong slope at exactly x = 0, where the derivative of |x| is taken to be 0.
    return torch.sigmoid(x)


def log_softmax(x, dim):
    """x - logsumexp(x) along ``dim``; subtracting the max first keeps exp from overflowing."""
    # The shift cancels mathematically, so autograd need not differentiate through the max.
    z = x - x.amax(dim=dim, keepdim=True).detach()
    return z - torch.log(torch.exp(z).sum(dim=dim, keepdim=True))


class Sigmoid(Module):
    """Sigmoid: y = 1 / (1 + exp(-x)).  x: (*) -> y: (*), same shape."""

    def forward(self, x):
        check_array(self, x)
        self._y = sigmoid(x)
        return self._y

    @torch.no_grad()
    def backward(self, dy):
        """dx = dy * y * (1 - y)."""
        return dy * self._y * (1 - self._y)


class Tanh(Module):
    """Tanh: y = (e^x - e^-x) / (e^x + e^-x).  x: (*) -> y: (*), same shape."""

    def forward(self, x):
        check_array(self, x)
        self._y = torch.tanh(x)
        return self._y

    @torch.no_grad()
    def backward(self, dy):
        """dx = dy * (1 - y^2)."""
        return dy * (1 - self._y**2)


class ReLU(Module):
    """ReLU: y = max(x, 0).  x: (*) -> y: (*), same shape."""

    def forward(self, x):
        check_array(self, x)
        self._x = x
        return torch.clamp(x, min=0)

    @torch.no_grad()
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
        return torch.where(x > 0, x, self.negative_slope * x)

    @torch.no_grad()
    def backward(self, dy):
        """dx = dy where x > 0, else negative_slope * dy."""
        return torch.where(self._x > 0, dy, self.negative_slope * dy)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """Softmax: y_i = exp(x_i) / sum_j exp(x_j) along ``dim``.  x: (*) -> y: (*), same shape."""

    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        check_array(self, x)
        self._y = torch.exp(log_softmax(x, self.dim))
        return self._y

    @torch.no_grad()
    def backward(self, dy):
        """dx = y * (dy - sum(dy * y)) along ``dim`` (the Jacobian diag(y) - y y^T applied to dy)."""
        y = self._y
        return y * (dy - (dy * y).sum(dim=self.dim, keepdim=True))

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

    @torch.no_grad()
    def backward(self, dy):
        """dx = dy - softmax(x) * sum(dy) along ``dim``."""
        return dy - torch.exp(self._y) * dy.sum(dim=self.dim, keepdim=True)

    def extra_repr(self):
        return f"dim={self.dim}"
