"""Dense layers, torch twin: the same equations as nnlib.numpy.layers, with torch ops."""
import math

import torch

from nnlib._checks import check_ndim, check_size
from nnlib.torch.module import Module, Parameter, check_array, resolve_dtype
from nnlib.random import uniform

__all__ = ["Linear"]


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
