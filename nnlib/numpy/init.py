"""Weight initializers for nnlib.numpy (the names and formulas of ``torch.nn.init``).

Every function fills ``tensor`` in place and returns it; ``tensor`` may also be a ``Parameter``
(its ``.data`` is filled). Random draws come from nnlib's NumPy generator (``generator``: an int
seed, a ``numpy.random.Generator``, or None for the one ``nnlib.manual_seed`` sets) in float64,
then are cast, so nnlib.numpy.init and nnlib.torch.init give identical values for one seed.
The gains, fans and standard deviations are torch.nn.init's (see ``nnlib._init_math``).
"""
import math
import warnings

from nnlib._base import Parameter
from nnlib._init_math import calculate_gain, kaiming_std, xavier_std
from nnlib.numpy.module import check_array
from nnlib.random import normal, uniform

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "ones_",
    "zeros_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]


def _target(tensor, who):
    """The array to fill: ``tensor`` itself or a Parameter's ``.data``; it must be a floating NumPy array."""
    data = tensor.data if isinstance(tensor, Parameter) else tensor
    check_array("nnlib.numpy.init." + who, data, name="tensor")
    return data


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with draws from U(a, b)."""
    data = _target(tensor, "uniform_")
    data[...] = uniform(a, b, tuple(data.shape), generator)
    return tensor


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with draws from N(mean, std^2)."""
    data = _target(tensor, "normal_")
    data[...] = normal(mean, std, tuple(data.shape), generator)
    return tensor


def constant_(tensor, val):
    """Fill with the value ``val``."""
    data = _target(tensor, "constant_")
    data[...] = val
    return tensor


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with zeros (the usual start for biases)."""
    return constant_(tensor, 0.0)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) = sqrt(3) * std.  tensor: (out, in, *kernel)."""
    a = math.sqrt(3.0) * xavier_std(_target(tensor, "xavier_uniform_").shape, gain)
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).  tensor: (out, in, *kernel)."""
    std = xavier_std(_target(tensor, "xavier_normal_").shape, gain)
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan) = sqrt(3) * std.  tensor: (out, in, *kernel).

    ``a``: the negative slope of the leaky ReLU that follows (used with ``'leaky_relu'`` only);
    ``mode``: ``'fan_in'`` keeps the forward activations' variance, ``'fan_out'`` the gradients'.
    """
    data = _target(tensor, "kaiming_uniform_")
    if 0 in data.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * kaiming_std(data.shape, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std^2), std = gain / sqrt(fan).  tensor: (out, in, *kernel); ``a``, ``mode`` as kaiming_uniform_."""
    data = _target(tensor, "kaiming_normal_")
    if 0 in data.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    std = kaiming_std(data.shape, a, mode, nonlinearity)
    return normal_(tensor, 0.0, std, generator)
