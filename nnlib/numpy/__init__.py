"""nnlib.numpy: the reference backend. NumPy arrays, manual forward and backward, float64 by default.

    import nnlib.numpy as nn
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))

Every public name here exists in ``nnlib.torch`` with the same signature and meaning.
"""
from nnlib.numpy import init
from nnlib.numpy.activations import *  # noqa: F401,F403
from nnlib.numpy.conv import *  # noqa: F401,F403
from nnlib.numpy.layers import *  # noqa: F401,F403
from nnlib.numpy.losses import *  # noqa: F401,F403
from nnlib.numpy.module import Module, Parameter, Sequential, load, save
from nnlib.numpy.optim import *  # noqa: F401,F403
from nnlib.numpy.recurrent import *  # noqa: F401,F403
from nnlib.random import manual_seed

BACKEND = "numpy"
