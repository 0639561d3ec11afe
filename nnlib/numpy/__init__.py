"""nnlib.numpy: the reference backend. NumPy arrays, manual forward and backward, float64 by default.

    import nnlib.numpy as nn
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))

The layers are ``nnlib.core``'s, computing with NumPy through ``nnlib/numpy/xp.py``; every public
name here exists in ``nnlib.torch`` with the same signature and meaning.
"""
import nnlib.core as _core
from nnlib.numpy import init, xp
from nnlib.numpy.module import Module, Parameter, Sequential, load, save
from nnlib.numpy.optim import *  # noqa: F401,F403
from nnlib.numpy.optim import __all__ as _optim_names
from nnlib.random import manual_seed

globals().update(_core.bind(Module))
BACKEND = xp.BACKEND
__all__ = ["init", "Module", "Parameter", "Sequential", "load", "save", "manual_seed", "BACKEND"]
__all__ += [*_core.__all__, *_optim_names]
