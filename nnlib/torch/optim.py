"""Optimizers, learning-rate schedules and gradient clipping for nnlib.torch.

The update rules are plain array arithmetic, the same for NumPy arrays and torch tensors, so
they are written once, in ``nnlib._optim``, and re-exported here (``nnlib.numpy.SGD is nnlib.torch.SGD``).
"""
from nnlib._optim import *  # noqa: F401,F403
from nnlib._optim import __all__  # noqa: F401
