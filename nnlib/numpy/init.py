"""Weight initializers for nnlib.numpy (the names and formulas of ``torch.nn.init``).

Every function fills ``tensor`` in place and returns it; ``tensor`` may also be a ``Parameter``
(its ``.data`` is filled). Random draws come from nnlib's NumPy generator (``generator``: an int
seed, a ``numpy.random.Generator``, or None for the one ``nnlib.manual_seed`` sets) in float64,
then are cast, so nnlib.numpy.init and nnlib.torch.init give identical values for one seed.
The gains, fans and standard deviations are torch.nn.init's (see ``nnlib._init_math``).
"""
from nnlib._base import Parameter
from nnlib._init_math import calculate_gain, scaled_initializers
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


# the initializers that only choose a scale are the same in both backends: built on this file's fill functions
ones_, zeros_, xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_ = scaled_initializers(
    uniform_, normal_, constant_, _target
)
